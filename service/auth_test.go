package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stocking-kr/stocking/adapters/auth"
	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/service"
)

// TestLoginTakesAsLongForUnknownEmails checks that a login naming an
// e-mail nobody registered costs the same password hashing as a wrong
// password for a real account, so timing does not reveal who has one.
func TestLoginTakesAsLongForUnknownEmails(t *testing.T) {
	// Cost 8 makes one comparison a few milliseconds: far above the
	// database read, far below a slow test.
	svc := newService(t, withHasher(auth.Bcrypt{Cost: 8}))
	ctx := context.Background()
	if _, err := svc.Users.Signup(ctx, service.SignupInput{Email: "known@example.com", Password: "correct-horse-battery", Nickname: "k"}); err != nil {
		t.Fatal(err)
	}
	median := func(email string) time.Duration {
		var ds []time.Duration
		for range 9 {
			start := time.Now()
			_, err := svc.Users.Login(ctx, email, "wrong-password-123")
			ds = append(ds, time.Since(start))
			if !domain.IsCode(err, domain.CodeUnauthorized) {
				t.Fatalf("login %s: %v", email, err)
			}
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	median("unknown@example.com") // the decoy hash is made on first use
	known, unknown := median("known@example.com"), median("unknown@example.com")
	ratio := float64(unknown) / float64(known)
	t.Logf("median login: known e-mail %s, unknown %s (ratio %.2f)", known, unknown, ratio)
	if ratio < 0.6 || ratio > 1.67 {
		t.Fatalf("an unknown e-mail takes %s, a known one %s: timing tells them apart", unknown, known)
	}
}
