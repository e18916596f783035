package httpapi

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
	"github.com/stocking-kr/stocking/service"
)

type claimsKey struct{}

// Claims returns the verified bearer of the request, for handlers of
// operations that declare SecurityScheme.
func Claims(ctx context.Context) (ports.Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(ports.Claims)
	return c, ok
}

// accountQuery selects the account a read is about: the caller's personal
// account when omitted.
type accountQuery struct {
	AccountID string `query:"account_id" maxLength:"64" doc:"One of the caller's accounts (GET /accounts); the personal account when omitted."`
}

// target is the account an operation acts on, for its caller.
func target(ctx context.Context, accountID string) service.Target {
	return service.Target{UserID: userID(ctx), AccountID: accountID}
}

// userID is the caller of an authenticated operation. The middleware has
// already refused requests without a valid token, so it is never empty
// there.
func userID(ctx context.Context) string {
	c, _ := Claims(ctx)
	return c.UserID
}

// authenticate enforces the bearer scheme on every operation that declares
// it, so access control is read from the same place the OpenAPI document
// shows. Admin operations also need the admin role, read from the
// database rather than the token so that a promotion or demotion counts at
// once; they are rare enough for the extra read.
func (s *server) authenticate(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	if op == nil || !requiresBearer(op) {
		next(ctx)
		return
	}
	token, ok := bearerToken(ctx.Header("Authorization"))
	if !ok {
		writeHumaProblem(ctx, unauthorized("the Authorization header must read \"Bearer <access_token>\"", false))
		return
	}
	claims, err := s.svc.Users.Authenticate(token)
	if err != nil {
		p := domainProblem(err, nil)
		if p == nil || p.Status != http.StatusUnauthorized {
			p = unauthorized("the access token is not valid; log in again", token != "")
		} else if token != "" {
			p.header.Set("Www-Authenticate", `Bearer realm="stocking", error="invalid_token"`)
		}
		writeHumaProblem(ctx, p)
		return
	}
	isAdmin, _ := op.Metadata[metaAdmin].(bool)
	key := claims.UserID + "/" + claims.Session.FamilyID
	if !isAdmin && s.users.known(key) {
		next(huma.WithValue(ctx, claimsKey{}, claims))
		return
	}
	// Nor does it prove the session is still live: after a logout or a
	// password change, its access tokens stop working too.
	if err := s.svc.Users.SessionLive(ctx.Context(), claims.Session.FamilyID); err != nil {
		if p := domainProblem(err, nil); p != nil {
			if p.Status == http.StatusServiceUnavailable {
				logUnavailable(s.log, p, ctx.Method(), ctx.URL().Path)
			} else if p.Status == http.StatusUnauthorized {
				p.header.Set("Www-Authenticate", `Bearer realm="stocking", error="invalid_token"`)
			}
			writeHumaProblem(ctx, p)
			return
		}
		writeHumaProblem(ctx, fromHuma(ctx, s.log, &huma.ErrorModel{Status: http.StatusInternalServerError, Errors: []*huma.ErrorDetail{{Message: err.Error()}}}))
		return
	}
	// A valid signature does not prove the user still exists: an account
	// deleted since the token was issued must not act until it expires.
	u, err := s.svc.Users.Me(ctx.Context(), claims.UserID)
	switch {
	case domain.IsCode(err, domain.CodeNotFound):
		writeHumaProblem(ctx, unauthorized("the access token's user no longer exists; sign up or log in again", true))
		return
	case err != nil:
		if p := domainProblem(err, nil); p != nil {
			logUnavailable(s.log, p, ctx.Method(), ctx.URL().Path)
			writeHumaProblem(ctx, p)
			return
		}
		writeHumaProblem(ctx, fromHuma(ctx, s.log, &huma.ErrorModel{Status: http.StatusInternalServerError, Errors: []*huma.ErrorDetail{{Message: err.Error()}}}))
		return
	}
	s.users.remember(key)
	if isAdmin {
		if u.Role != domain.RoleAdmin {
			writeHumaProblem(ctx, newProblem(http.StatusForbidden, string(domain.CodeForbidden), op.Method+" "+op.Path+" is for administrators; your account has the "+string(u.Role)+" role"))
			return
		}
		claims.Role = u.Role
	}
	next(huma.WithValue(ctx, claimsKey{}, claims))
}

// userCache remembers for a short while that a token's user exists, so
// that the check costs a database read per user every few seconds rather
// than one per request. A deleted user is refused once the entry ages out.
type userCache struct {
	ttl  time.Duration
	mu   sync.Mutex
	seen map[string]time.Time
}

// maxCachedUsers bounds the cache; past it, it starts over.
const maxCachedUsers = 1 << 17

func newUserCache(ttl time.Duration) *userCache {
	return &userCache{ttl: ttl, seen: map[string]time.Time{}}
}

func (c *userCache) known(id string) bool {
	c.mu.Lock()
	t, ok := c.seen[id]
	c.mu.Unlock()
	return ok && time.Since(t) < c.ttl
}

func (c *userCache) remember(id string) {
	c.mu.Lock()
	if len(c.seen) >= maxCachedUsers {
		c.seen = map[string]time.Time{}
	}
	c.seen[id] = time.Now()
	c.mu.Unlock()
}

func requiresBearer(op *huma.Operation) bool {
	for _, req := range op.Security {
		if _, ok := req[SecurityScheme]; ok {
			return true
		}
	}
	return false
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header. A missing header yields ("", true) so that the token issuer's own
// "missing token" message reaches the client.
func bearerToken(h string) (string, bool) {
	if h == "" {
		return "", true
	}
	scheme, token, found := strings.Cut(strings.TrimSpace(h), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

func unauthorized(detail string, badToken bool) *Problem {
	p := newProblem(http.StatusUnauthorized, string(domain.CodeUnauthorized), detail)
	v := `Bearer realm="stocking"`
	if badToken {
		v += `, error="invalid_token"`
	}
	p.header = http.Header{"Www-Authenticate": {v}}
	return p
}

type signupInput struct {
	Body struct {
		Email    string `json:"email" maxLength:"254" example:"trader@example.com"`
		Password string `json:"password" maxLength:"72" example:"correct-horse-battery" doc:"8 to 72 bytes."`
		Nickname string `json:"nickname" maxLength:"40" example:"개미투자자"`
	}
}

type loginInput struct {
	Body struct {
		Email    string `json:"email" maxLength:"254" example:"trader@example.com"`
		Password string `json:"password" maxLength:"72" example:"correct-horse-battery"`
	}
}

type refreshInput struct {
	Body struct {
		RefreshToken string `json:"refresh_token" maxLength:"4096"`
	}
}

type tokensOutput struct {
	CacheControl string `header:"Cache-Control"`
	Pragma       string `header:"Pragma"`
	Body         Envelope[Tokens]
}

// tokens answers a token pair. Tokens must stay out of every cache, the
// browser's and any proxy's.
func (s *server) tokens(res service.AuthResult) *tokensOutput {
	return &tokensOutput{CacheControl: "no-store", Pragma: "no-cache", Body: Envelope[Tokens]{tokensDTO(res, s.svc.Now())}}
}

type logoutInput struct {
	Body struct {
		RefreshToken string `json:"refresh_token" maxLength:"4096"`
	}
}

type passwordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" maxLength:"72"`
		NewPassword     string `json:"new_password" maxLength:"72" doc:"8 to 72 bytes."`
	}
}

type userOutput struct {
	Body Envelope[User]
}

func (s *server) registerAuth(api huma.API) {
	register(api, public, huma.Operation{
		OperationID: "signup", Method: http.MethodPost, Path: "/auth/signup", Tags: []string{"auth"},
		Summary:       "Create an account",
		Description:   "Creates a user funded with the initial virtual cash (booked as a DEPOSIT) and returns tokens.",
		DefaultStatus: http.StatusCreated,
		Responses:     map[string]*huma.Response{"429": rateLimitedResponse(api)},
	}, func(ctx context.Context, in *signupInput) (*tokensOutput, error) {
		if err := s.signup.check(ctx, in.Body.Email); err != nil {
			return nil, err
		}
		res, err := s.svc.Users.Signup(ctx, service.SignupInput{Email: in.Body.Email, Password: in.Body.Password, Nickname: in.Body.Nickname})
		if err != nil {
			return nil, err
		}
		return s.tokens(res), nil
	})

	register(api, public, huma.Operation{
		OperationID: "login", Method: http.MethodPost, Path: "/auth/login", Tags: []string{"auth"},
		Summary:     "Log in with e-mail and password",
		Description: "Starts a session: the refresh token rotates on every refresh, and logout or a password change ends it.",
		Responses:   map[string]*huma.Response{"429": rateLimitedResponse(api)},
	}, func(ctx context.Context, in *loginInput) (*tokensOutput, error) {
		if err := s.login.check(ctx, in.Body.Email); err != nil {
			return nil, err
		}
		res, err := s.svc.Users.Login(ctx, in.Body.Email, in.Body.Password)
		if err != nil {
			return nil, err
		}
		return s.tokens(res), nil
	})

	register(api, public, huma.Operation{
		OperationID: "refresh", Method: http.MethodPost, Path: "/auth/refresh", Tags: []string{"auth"},
		Summary: "Trade a refresh token for a new token pair",
		Description: "Each refresh token works once: the answer carries the next one. A refresh token sent a second time " +
			"has been copied, so it is refused with 401 and every token of its session stops working.",
	}, func(ctx context.Context, in *refreshInput) (*tokensOutput, error) {
		res, err := s.svc.Users.Refresh(ctx, in.Body.RefreshToken)
		if err != nil {
			return nil, err
		}
		return s.tokens(res), nil
	})

	register(api, public, huma.Operation{
		OperationID: "logout", Method: http.MethodPost, Path: "/auth/logout", Tags: []string{"auth"},
		Summary:       "End a session",
		Description:   "Revokes the session of the refresh token: its refresh and access tokens stop working. Ending a session already ended succeeds.",
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *logoutInput) (*struct{}, error) {
		return nil, s.svc.Users.Logout(ctx, in.Body.RefreshToken)
	})

	register(api, signedIn, huma.Operation{
		OperationID: "change-password", Method: http.MethodPost, Path: "/auth/password", Tags: []string{"auth"},
		Summary:       "Change the password",
		Description:   "Checks the current password, sets the new one and ends every other session of the user; the caller's session goes on.",
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *passwordInput) (*struct{}, error) {
		c, _ := Claims(ctx)
		return nil, s.svc.Users.ChangePassword(ctx, c.UserID, c.Session.FamilyID, in.Body.CurrentPassword, in.Body.NewPassword)
	})

	register(api, signedIn, huma.Operation{
		OperationID: "get-me", Method: http.MethodGet, Path: "/users/me", Tags: []string{"users"},
		Summary: "The caller's profile",
	}, func(ctx context.Context, _ *struct{}) (*userOutput, error) {
		u, err := s.svc.Users.Me(ctx, userID(ctx))
		if err != nil {
			return nil, err
		}
		return &userOutput{Body: Envelope[User]{userDTO(u, s.svc.Now())}}, nil
	})
}
