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
	login := func(email string) time.Duration {
		start := time.Now()
		_, err := svc.Users.Login(ctx, email, "wrong-password-123")
		took := time.Since(start)
		if !domain.IsCode(err, domain.CodeUnauthorized) {
			t.Fatalf("login %s: %v", email, err)
		}
		return took
	}
	login("unknown@example.com") // the decoy hash is made on first use
	// The two kinds alternate, so that a busy machine slows both alike;
	// the medians then differ by the work done, not by when it ran. The
	// leak this guards against was a factor of 60.
	var knownDs, unknownDs []time.Duration
	for range 15 {
		knownDs = append(knownDs, login("known@example.com"))
		unknownDs = append(unknownDs, login("unknown@example.com"))
	}
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	known, unknown := median(knownDs), median(unknownDs)
	ratio := float64(unknown) / float64(known)
	t.Logf("median login: known e-mail %s, unknown %s (ratio %.2f)", known, unknown, ratio)
	if ratio < 0.5 || ratio > 2 {
		t.Fatalf("an unknown e-mail takes %s, a known one %s: timing tells them apart", unknown, known)
	}
}
