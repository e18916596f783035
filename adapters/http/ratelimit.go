package httpapi

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/time/rate"
)

// RateLimit allows N attempts per Per, refilled evenly, with a burst of N.
// N zero turns the limit off.
type RateLimit struct {
	N   int
	Per time.Duration
}

// AuthLimits bound the attempts at login and signup, each counted per
// client address and per e-mail address, so that neither one machine nor
// a botnet aimed at one account can guess passwords at speed.
type AuthLimits struct {
	PerAddress RateLimit
	PerEmail   RateLimit
}

// DefaultAuthLimits are the limits of a production server.
var DefaultAuthLimits = AuthLimits{
	PerAddress: RateLimit{N: 60, Per: time.Minute},
	PerEmail:   RateLimit{N: 10, Per: time.Minute},
}

// limiter holds one token bucket per key. Buckets idle long enough to be
// full again are dropped when the map grows.
type limiter struct {
	limit RateLimit
	mu    sync.Mutex
	m     map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxBuckets bounds the memory one limiter holds between sweeps.
const maxBuckets = 1 << 16

func newLimiter(l RateLimit) *limiter {
	if l.N <= 0 || l.Per <= 0 {
		return nil
	}
	return &limiter{limit: l, m: map[string]*bucket{}}
}

// allow takes one attempt for key, or says how long to wait for one.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[key]
	if b == nil {
		if len(l.m) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Every(l.limit.Per/time.Duration(l.limit.N)), l.limit.N)}
		l.m[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops buckets that have refilled since they were last used; if
// that frees too little, it starts over.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.m {
		if now.Sub(b.seen) > l.limit.Per {
			delete(l.m, k)
		}
	}
	if len(l.m) >= maxBuckets*3/4 {
		l.m = map[string]*bucket{}
	}
}

// authLimiter applies AuthLimits to one action (login, signup).
type authLimiter struct {
	action          string
	byAddr, byEmail *limiter
}

func newAuthLimiter(action string, l AuthLimits) *authLimiter {
	return &authLimiter{action: action, byAddr: newLimiter(l.PerAddress), byEmail: newLimiter(l.PerEmail)}
}

// check counts an attempt by the request's client for email and answers
// a 429 problem when either limit is spent.
func (a *authLimiter) check(ctx context.Context, email string) error {
	now := time.Now()
	if ok, wait := a.byAddr.allow(clientAddr(ctx), now); !ok {
		return rateLimited("too many "+a.action+" attempts from your address", wait)
	}
	if e := strings.ToLower(strings.TrimSpace(email)); e != "" {
		if ok, wait := a.byEmail.allow(e, now); !ok {
			return rateLimited("too many "+a.action+" attempts for this e-mail address", wait)
		}
	}
	return nil
}

// codeRateLimited is the problem code of a 429.
const codeRateLimited = "rate_limited"

func rateLimited(what string, wait time.Duration) *Problem {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	p := newProblem(http.StatusTooManyRequests, codeRateLimited, what+"; try again in "+strconv.Itoa(secs)+" s")
	p.header = http.Header{"Retry-After": {strconv.Itoa(secs)}}
	return p
}

func rateLimitedResponse(api huma.API) *huma.Response {
	r := problemResponse(api, "Too many attempts; wait the seconds Retry-After gives.")
	r.Headers = map[string]*huma.Param{"Retry-After": {
		Description: "Seconds to wait before trying again.",
		Schema:      &huma.Schema{Type: huma.TypeInteger},
	}}
	return r
}
