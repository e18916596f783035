package service

import (
	"context"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Sessions. Every login and signup starts a session family; each refresh
// uses up its refresh token and hands out the next one of the family. A
// refresh token that comes back after it was used has been copied (by
// whoever holds the other copy, the user or a thief), so the whole family
// is revoked and both must log in again. Access tokens carry their family,
// so that a revoked family's access tokens stop working too (within the
// few seconds the HTTP adapter trusts a check).

// issueIn creates the session of a new token pair, in tx or, when tx is
// nil, in a transaction of its own, and signs the pair.
func (s *Users) issueIn(ctx context.Context, tx ports.Tx, u domain.User, familyID string) (AuthResult, error) {
	now := s.clock.Now().UTC()
	id := s.ids.NewID()
	if familyID == "" {
		familyID = id
	}
	pair, err := s.tokens.Issue(u, ports.SessionRef{ID: id, FamilyID: familyID})
	if err != nil {
		return AuthResult{}, err
	}
	sess := ports.Session{ID: id, FamilyID: familyID, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(pair.RefreshExpiresIn)}
	create := func(ctx context.Context, tx ports.Tx) error { return tx.CreateSession(ctx, sess) }
	if tx != nil {
		err = create(ctx, tx)
	} else {
		err = s.tx(ctx, create)
	}
	if err != nil {
		return AuthResult{}, err
	}
	return AuthResult{User: u, Tokens: pair}, nil
}

// Refresh trades a refresh token for a new pair in the same session
// family. A token used before revokes its family and is refused.
func (s *Users) Refresh(ctx context.Context, refreshToken string) (AuthResult, error) {
	c, err := s.tokens.VerifyRefresh(refreshToken)
	if err != nil {
		return AuthResult{}, err
	}
	if c.Session.ID == "" {
		return AuthResult{}, domain.Errorf(domain.CodeUnauthorized, "the refresh token belongs to no session; log in again")
	}
	var (
		res    AuthResult
		reused bool
	)
	err = s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		reused = false
		now := s.clock.Now().UTC()
		sess, err := tx.GetSession(ctx, c.Session.ID)
		if domain.IsCode(err, domain.CodeNotFound) || (err == nil && sess.UserID != c.UserID) {
			return domain.Errorf(domain.CodeUnauthorized, "the refresh token's session does not exist; log in again")
		}
		if err != nil {
			return err
		}
		if !sess.RevokedAt.IsZero() {
			return domain.Errorf(domain.CodeUnauthorized, "the refresh token's session was ended (logout, a password change or a reused token); log in again")
		}
		used, err := tx.UseSession(ctx, sess.ID, now)
		if err != nil {
			return err
		}
		if !used {
			// Used before, or by a concurrent refresh with the same token:
			// either way two holders have it.
			reused = true
			_, err := tx.RevokeSessionFamily(ctx, sess.FamilyID, now)
			return err
		}
		u, err := tx.GetUser(ctx, c.UserID)
		if domain.IsCode(err, domain.CodeNotFound) {
			return domain.Errorf(domain.CodeUnauthorized, "the refresh token's user no longer exists; sign up or log in again")
		}
		if err != nil {
			return err
		}
		res, err = s.issueIn(ctx, tx, u, sess.FamilyID)
		return err
	})
	if err != nil {
		return AuthResult{}, err
	}
	if reused {
		return AuthResult{}, domain.Errorf(domain.CodeUnauthorized,
			"the refresh token was already used; since a copy of it is in other hands, every token of its session is revoked: log in again")
	}
	return res, nil
}

// Logout revokes the session family of a refresh token. Logging out of a
// session already ended succeeds.
func (s *Users) Logout(ctx context.Context, refreshToken string) error {
	c, err := s.tokens.VerifyRefresh(refreshToken)
	if err != nil {
		return err
	}
	if c.Session.FamilyID == "" {
		return nil
	}
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		sess, err := tx.GetSession(ctx, c.Session.FamilyID)
		if domain.IsCode(err, domain.CodeNotFound) || (err == nil && sess.UserID != c.UserID) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = tx.RevokeSessionFamily(ctx, c.Session.FamilyID, s.clock.Now().UTC())
		return err
	})
}

// ChangePassword sets a new password after checking the current one, and
// ends every session of the user but the caller's (familyID).
func (s *Users) ChangePassword(ctx context.Context, userID, familyID, current, next string) error {
	if current == "" {
		return domain.FieldErrorf(domain.CodeInvalid, "current_password", "is required")
	}
	if err := validatePassword(next); err != nil {
		if de, ok := err.(*domain.Error); ok {
			de.Field = "new_password"
		}
		return err
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if s.hasher.Compare(u.PasswordHash, current) != nil {
		return domain.FieldErrorf(domain.CodeInvalid, "current_password", "is not the account's password")
	}
	hash, err := s.hasher.Hash(next)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		now := s.clock.Now().UTC()
		u, err := tx.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		u.PasswordHash, u.UpdatedAt = hash, now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		_, err = tx.RevokeUserSessions(ctx, userID, familyID, now)
		return err
	})
}

// SessionLive answers nil while the session family of an access token is
// live, and an unauthorized error once it was revoked. Tokens without a
// family (issued before sessions existed) count as live until they expire.
func (s *Users) SessionLive(ctx context.Context, familyID string) error {
	if familyID == "" {
		return nil
	}
	sess, err := s.store.GetSession(ctx, familyID)
	if domain.IsCode(err, domain.CodeNotFound) {
		return domain.Errorf(domain.CodeUnauthorized, "the access token's session does not exist; log in again")
	}
	if err != nil {
		return err
	}
	if !sess.RevokedAt.IsZero() {
		return domain.Errorf(domain.CodeUnauthorized, "the access token's session was ended (logout or a password change); log in again")
	}
	return nil
}
