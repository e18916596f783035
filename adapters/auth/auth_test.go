package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

const secret = "0123456789abcdef0123456789abcdef"

func TestTokens(t *testing.T) {
	now := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	j, err := NewJWT(secret, 15*time.Minute, 24*time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	u := domain.User{ID: "u1", Role: domain.RoleAdmin}
	pair, err := j.Issue(u, ports.SessionRef{ID: "s-2", FamilyID: "s-1"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := j.VerifyAccess(pair.AccessToken)
	if err != nil || c.UserID != "u1" || c.Role != domain.RoleAdmin || c.Session != (ports.SessionRef{FamilyID: "s-1"}) {
		t.Fatalf("access: %+v %v", c, err)
	}
	if c, err := j.VerifyRefresh(pair.RefreshToken); err != nil || c.Session != (ports.SessionRef{ID: "s-2", FamilyID: "s-1"}) {
		t.Fatalf("refresh: %+v %v", c, err)
	}
	if _, err := j.VerifyAccess(pair.RefreshToken); err == nil || !strings.Contains(err.Error(), "refresh token was sent") {
		t.Fatalf("refresh token accepted as access: %v", err)
	}
	if _, err := j.VerifyRefresh(pair.AccessToken); err == nil {
		t.Fatal("access token accepted as refresh")
	}

	// Tampered payload: flip a character of the signature.
	parts := strings.Split(pair.AccessToken, ".")
	sig := []byte(parts[2])
	if sig[0] == 'A' {
		sig[0] = 'B'
	} else {
		sig[0] = 'A'
	}
	tampered := parts[0] + "." + parts[1] + "." + string(sig)
	if _, err := j.VerifyAccess(tampered); !domain.IsCode(err, domain.CodeUnauthorized) || !strings.Contains(err.Error(), "bad signature") {
		t.Fatalf("tampered: %v", err)
	}
	if _, err := j.VerifyAccess("not-a-token"); !strings.Contains(err.Error(), "malformed") {
		t.Fatalf("garbage: %v", err)
	}
	if _, err := j.VerifyAccess(""); !domain.IsCode(err, domain.CodeUnauthorized) {
		t.Fatalf("empty: %v", err)
	}

	// Another secret.
	other, _ := NewJWT(strings.Repeat("x", 32), time.Minute, time.Hour, func() time.Time { return now })
	if _, err := other.VerifyAccess(pair.AccessToken); err == nil {
		t.Fatal("token verified with another secret")
	}

	// "none" algorithm must be refused.
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "u1", "typ": "access", "iss": "stocking", "exp": now.Add(time.Hour).Unix()})
	s, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if _, err := j.VerifyAccess(s); err == nil {
		t.Fatal("alg none accepted")
	}

	// Expiry.
	now = now.Add(16 * time.Minute)
	if _, err := j.VerifyAccess(pair.AccessToken); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired: %v", err)
	}
	if _, err := j.VerifyRefresh(pair.RefreshToken); err != nil {
		t.Fatalf("refresh should still be valid: %v", err)
	}
}

func TestShortSecretRefused(t *testing.T) {
	if _, err := NewJWT("short", time.Minute, time.Hour, nil); err == nil {
		t.Fatal("short secret accepted")
	}
}

func TestBcrypt(t *testing.T) {
	b := Bcrypt{Cost: 4}
	h, err := b.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if b.Compare(h, "correct horse") != nil {
		t.Fatal("right password refused")
	}
	if b.Compare(h, "wrong horse") == nil {
		t.Fatal("wrong password accepted")
	}
}
