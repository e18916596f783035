package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/google/uuid"

	"github.com/stocking-kr/stocking/domain"
)

// Cursors are opaque to clients: a cursor names the list it belongs to and
// the id of the last row of the page, with a checksum over both. A cursor
// that was not given out by the same list (garbled, truncated, made up, or
// taken from another list) is refused with 422 instead of silently starting
// somewhere. The checksum is not a secret: a forged cursor could only page
// through the caller's own rows, which the lists filter by account anyway.

// Lists that page with a cursor.
const (
	cursorOrders       = "orders"
	cursorTransactions = "transactions"
	cursorPayments     = "payments"
)

// maxCursorLen bounds the query parameter; real cursors are under 100
// characters.
const maxCursorLen = 128

func cursorSum(list, id string) string {
	h := sha256.Sum256([]byte("stocking cursor\x00" + list + "\x00" + id))
	return hex.EncodeToString(h[:6])
}

// nextCursor encodes the id of a page's last row as the next_cursor of
// list; "" (no further page) gives null.
func nextCursor(list, id string) *string {
	if id == "" {
		return nil
	}
	s := base64.RawURLEncoding.EncodeToString([]byte(list + ":" + id + ":" + cursorSum(list, id)))
	return &s
}

// readCursor decodes a cursor of list back to the row id the store pages
// from; "" (the first page) stays "".
func readCursor(list, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	bad := domain.FieldErrorf(domain.CodeInvalid, "cursor",
		"is not a cursor of GET /%s; pass the next_cursor of the previous page unchanged, or omit cursor for the first page", list)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != list || parts[2] != cursorSum(list, parts[1]) {
		return "", bad
	}
	if _, err := uuid.Parse(parts[1]); err != nil {
		return "", bad
	}
	return parts[1], nil
}
