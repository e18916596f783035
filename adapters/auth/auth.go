// Package auth issues and verifies HS256 JWT bearer tokens and hashes
// passwords with bcrypt.
package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Token types, carried in the "typ" claim so a refresh token can never be
// used as an access token and the reverse.
const (
	typeAccess  = "access"
	typeRefresh = "refresh"
	issuer      = "stocking"
)

// JWT issues and verifies tokens signed with one shared secret.
type JWT struct {
	secret     []byte
	accessTTL  time.Duration
	refreshTTL time.Duration
	now        func() time.Time
}

// NewJWT returns an issuer. The secret must be at least 32 bytes: HS256
// with a short secret can be brute-forced offline from any token.
func NewJWT(secret string, accessTTL, refreshTTL time.Duration, now func() time.Time) (*JWT, error) {
	if len(secret) < 32 {
		return nil, errors.New("JWT_SECRET_KEY must be at least 32 characters")
	}
	if accessTTL <= 0 || refreshTTL <= 0 {
		return nil, errors.New("token lifetimes must be positive")
	}
	if now == nil {
		now = time.Now
	}
	return &JWT{secret: []byte(secret), accessTTL: accessTTL, refreshTTL: refreshTTL, now: now}, nil
}

type claims struct {
	Role domain.Role `json:"role"`
	Type string      `json:"typ"`
	// Family is the session family (the jti of a refresh token is its own
	// session id).
	Family string `json:"sid,omitempty"`
	jwt.RegisteredClaims
}

// Issue implements ports.TokenIssuer.
func (j *JWT) Issue(u domain.User, s ports.SessionRef) (ports.TokenPair, error) {
	access, err := j.sign(u, typeAccess, j.accessTTL, s.FamilyID, "")
	if err != nil {
		return ports.TokenPair{}, err
	}
	refresh, err := j.sign(u, typeRefresh, j.refreshTTL, s.FamilyID, s.ID)
	if err != nil {
		return ports.TokenPair{}, err
	}
	return ports.TokenPair{AccessToken: access, RefreshToken: refresh, ExpiresIn: j.accessTTL, RefreshExpiresIn: j.refreshTTL}, nil
}

func (j *JWT) sign(u domain.User, typ string, ttl time.Duration, family, id string) (string, error) {
	now := j.now()
	c := claims{Role: u.Role, Type: typ, Family: family, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: issuer, Subject: u.ID, ID: id,
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Second)),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(j.secret)
}

// VerifyAccess implements ports.TokenIssuer.
func (j *JWT) VerifyAccess(token string) (ports.Claims, error) { return j.verify(token, typeAccess) }

// VerifyRefresh implements ports.TokenIssuer.
func (j *JWT) VerifyRefresh(token string) (ports.Claims, error) { return j.verify(token, typeRefresh) }

func (j *JWT) verify(token, typ string) (ports.Claims, error) {
	if token == "" {
		return ports.Claims{}, domain.Errorf(domain.CodeUnauthorized, "missing %s token; send it as \"Authorization: Bearer <token>\"", typ)
	}
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return j.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer), jwt.WithExpirationRequired(), jwt.WithTimeFunc(j.now))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		hint := "log in again"
		if typ == typeAccess {
			hint = "POST /api/v1/auth/refresh with your refresh token for a new one"
		}
		return ports.Claims{}, domain.Errorf(domain.CodeUnauthorized, "the %s token expired at %s; %s", typ, c.ExpiresAt.UTC().Format(time.RFC3339), hint)
	case err != nil:
		return ports.Claims{}, domain.Errorf(domain.CodeUnauthorized, "the %s token is not valid (%s); log in again", typ, reason(err))
	case c.Type != typ:
		return ports.Claims{}, domain.Errorf(domain.CodeUnauthorized, "a %s token was sent where a %s token is required", c.Type, typ)
	case c.Subject == "":
		return ports.Claims{}, domain.Errorf(domain.CodeUnauthorized, "the %s token names no user", typ)
	}
	return ports.Claims{UserID: c.Subject, Role: c.Role, Session: ports.SessionRef{ID: c.ID, FamilyID: c.Family}}, nil
}

// reason turns a jwt error into a short phrase without echoing the token.
func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "unsupported signing method"
	}
	return "rejected"
}

// Bcrypt hashes passwords.
type Bcrypt struct{ Cost int }

// Hash implements ports.PasswordHasher.
func (b Bcrypt) Hash(password string) (string, error) {
	cost := b.Cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// Compare implements ports.PasswordHasher.
func (Bcrypt) Compare(hash, password string) error {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
}
