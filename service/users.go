package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/mail"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Users signs people up, logs them in, refreshes their tokens and manages
// roles.
type Users struct {
	*core
	tokens ports.TokenIssuer
	hasher ports.PasswordHasher
	// decoy is the hash unknown e-mails are checked against at login.
	decoy struct {
		once sync.Once
		hash string
	}
}

// SignupInput is what a new user sends.
type SignupInput struct {
	Email    string
	Password string
	Nickname string
}

// AuthResult is a user with fresh tokens.
type AuthResult struct {
	User   domain.User
	Tokens ports.TokenPair
}

// Password limits: bcrypt reads at most 72 bytes, and a password shorter
// than 8 characters is refused as too easy to guess.
const (
	minPasswordLen = 8
	maxPasswordLen = 72
	maxNicknameLen = 40
	maxEmailLen    = 254
)

func normalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", domain.FieldErrorf(domain.CodeInvalid, "email", "is required")
	}
	if len(e) > maxEmailLen {
		return "", domain.FieldErrorf(domain.CodeInvalid, "email", "must be at most %d characters", maxEmailLen)
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || !strings.Contains(e[strings.IndexByte(e, '@'):], ".") {
		return "", domain.FieldErrorf(domain.CodeInvalid, "email", "%q is not an e-mail address like name@example.com", email)
	}
	return e, nil
}

func validatePassword(pw string) error {
	if utf8.RuneCountInString(pw) < minPasswordLen {
		return domain.FieldErrorf(domain.CodeInvalid, "password", "must be at least %d characters", minPasswordLen)
	}
	if len(pw) > maxPasswordLen {
		return domain.FieldErrorf(domain.CodeInvalid, "password", "must be at most %d bytes", maxPasswordLen)
	}
	return nil
}

func validateNickname(n string) (string, error) {
	n = strings.TrimSpace(n)
	if n == "" {
		return "", domain.FieldErrorf(domain.CodeInvalid, "nickname", "is required")
	}
	if utf8.RuneCountInString(n) > maxNicknameLen {
		return "", domain.FieldErrorf(domain.CodeInvalid, "nickname", "must be at most %d characters", maxNicknameLen)
	}
	return n, nil
}

// Signup creates a user and an account funded with the initial cash,
// booked as a DEPOSIT, and returns tokens.
func (s *Users) Signup(ctx context.Context, in SignupInput) (AuthResult, error) {
	u, err := s.Create(ctx, in, domain.RoleUser)
	if err != nil {
		return AuthResult{}, err
	}
	return s.issue(ctx, u, "")
}

// Create creates a user with the given role (the CLI creates admins).
func (s *Users) Create(ctx context.Context, in SignupInput, role domain.Role) (domain.User, error) {
	email, err := normalizeEmail(in.Email)
	if err != nil {
		return domain.User{}, err
	}
	if err := validatePassword(in.Password); err != nil {
		return domain.User{}, err
	}
	nick, err := validateNickname(in.Nickname)
	if err != nil {
		return domain.User{}, err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return domain.User{}, err
	}
	var u domain.User
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		now := s.clock.Now().UTC()
		u = domain.User{ID: s.ids.NewID(), Email: email, Nickname: nick, PasswordHash: hash, Role: role, Public: true, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		// The personal account takes the user's id.
		a := domain.Account{
			ID: u.ID, UserID: u.ID, Kind: domain.PersonalAccount, FreeDeposited: decimal.Zero,
			HistoryStart: now, CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreateAccount(ctx, a); err != nil {
			return err
		}
		if s.cfg.InitialCash.IsPositive() {
			return s.bookCash(ctx, tx, &a, domain.TxDeposit, s.cfg.InitialCash, "", "initial cash")
		}
		return nil
	})
	if domain.IsCode(err, domain.CodeConflict) {
		return domain.User{}, domain.FieldErrorf(domain.CodeConflict, "email", "%s is already registered; log in instead", email)
	}
	return u, err
}

// Login checks credentials. Unknown e-mail and wrong password give the same
// answer so the endpoint does not reveal who has an account.
func (s *Users) Login(ctx context.Context, email, password string) (AuthResult, error) {
	bad := domain.Errorf(domain.CodeUnauthorized, "e-mail or password is incorrect")
	e, err := normalizeEmail(email)
	if err != nil {
		return AuthResult{}, err
	}
	u, err := s.store.GetUserByEmail(ctx, e)
	if domain.IsCode(err, domain.CodeNotFound) {
		// Spend the same hashing work as for a wrong password, so the
		// answer's timing does not tell which e-mails have an account.
		_ = s.hasher.Compare(s.decoyHash(), password)
		return AuthResult{}, bad
	}
	if err != nil {
		return AuthResult{}, err
	}
	if s.hasher.Compare(u.PasswordHash, password) != nil {
		return AuthResult{}, bad
	}
	return s.issue(ctx, u, "")
}

// decoyHash is a hash of a random password made with the configured
// hasher (so with the same cost as real ones), compared against when a
// login names an unknown e-mail.
func (s *Users) decoyHash() string {
	s.decoy.once.Do(func() {
		var b [18]byte
		_, _ = rand.Read(b[:])
		s.decoy.hash, _ = s.hasher.Hash(base64.RawURLEncoding.EncodeToString(b[:]))
	})
	return s.decoy.hash
}

// Authenticate verifies an access token.
func (s *Users) Authenticate(token string) (ports.Claims, error) {
	return s.tokens.VerifyAccess(token)
}

// Me returns the user's profile.
func (s *Users) Me(ctx context.Context, userID string) (domain.User, error) {
	return s.store.GetUser(ctx, userID)
}

// Promote makes a user an admin.
func (s *Users) Promote(ctx context.Context, email string) (domain.User, error) {
	e, err := normalizeEmail(email)
	if err != nil {
		return domain.User{}, err
	}
	var u domain.User
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		u, err = tx.GetUserByEmail(ctx, e)
		if err != nil {
			if domain.IsCode(err, domain.CodeNotFound) {
				return domain.Errorf(domain.CodeNotFound, "no user with e-mail %s", e)
			}
			return err
		}
		u.Role = domain.RoleAdmin
		u.UpdatedAt = s.clock.Now().UTC()
		return tx.UpdateUser(ctx, u)
	})
	return u, err
}

// issue starts a session for the user (a new family when familyID is
// "") and hands out its tokens.
func (s *Users) issue(ctx context.Context, u domain.User, familyID string) (AuthResult, error) {
	return s.issueIn(ctx, nil, u, familyID)
}
