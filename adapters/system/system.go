// Package system provides the real clock and UUIDv7 identifiers.
package system

import (
	"time"

	"github.com/google/uuid"
)

// Clock is the wall clock.
type Clock struct{}

// Now implements ports.Clock.
func (Clock) Now() time.Time { return time.Now() }

// IDs makes UUIDv7 identifiers: time-ordered, so they sort by creation and
// keep B-tree inserts at the right edge of the index.
type IDs struct{}

// NewID implements ports.IDGenerator.
func (IDs) NewID() string { return uuid.Must(uuid.NewV7()).String() }

// CompactIDs makes UUIDv7 identifiers without hyphens: 32 alphanumeric
// characters, the portable form every payment gateway accepts as an id.
type CompactIDs struct{}

// NewID implements ports.IDGenerator.
func (CompactIDs) NewID() string {
	u := uuid.Must(uuid.NewV7())
	const hex = "0123456789abcdef"
	b := make([]byte, 32)
	for i, c := range u {
		b[2*i], b[2*i+1] = hex[c>>4], hex[c&0xf]
	}
	return string(b)
}
