package service

import (
	"context"
	"errors"
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// TakeLease gives the named lease to owner for ttl if owner holds it or it
// has expired, and reports whether owner holds it now.
func (s *Market) TakeLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, time.Time, error) {
	now := s.clock.Now().UTC()
	expires := now.Add(ttl)
	var ok bool
	err := s.tx(ctx, func(ctx context.Context, tx ports.Tx) error {
		var err error
		ok, err = tx.TakeLease(ctx, name, owner, now, expires)
		return err
	})
	if errors.Is(err, domain.ErrDuplicate) {
		return false, time.Time{}, nil
	}
	return ok && err == nil, expires, err
}

// ReleaseLease gives the lease up, so that a standby takes over at once.
func (s *Market) ReleaseLease(ctx context.Context, name, owner string) error {
	return s.tx(ctx, func(ctx context.Context, tx ports.Tx) error { return tx.ReleaseLease(ctx, name, owner) })
}

// RunLeased runs run only while owner holds the named lease, so that of
// any number of processes calling it one runs at a time: a standby tries
// every ttl/3; the holder renews as often, and stops run when it loses
// the lease (or cannot renew it before it expires), then stands by again.
// A holder that dies stops renewing, and a standby takes over within
// ttl + ttl/3. It returns when ctx ends, giving the lease up.
func (s *Market) RunLeased(ctx context.Context, name, owner string, ttl time.Duration, run func(context.Context) error) error {
	every := ttl / 3
	wait := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(every):
			return true
		}
	}
	for {
		ok, expires, err := s.TakeLease(ctx, name, owner, ttl)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("taking the feed lease", "lease", name, "err", err)
		}
		if !ok {
			if !wait() {
				return nil
			}
			continue
		}
		s.log.Info("feed lease held; driving the listings", "lease", name, "owner", owner)
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- run(rctx) }()
		tick := time.NewTicker(every)
	hold:
		for {
			select {
			case err := <-done:
				tick.Stop()
				cancel()
				s.release(name, owner)
				if ctx.Err() != nil {
					return nil
				}
				return err
			case <-tick.C:
				ok, exp, err := s.TakeLease(ctx, name, owner, ttl)
				if ok {
					expires = exp
					continue
				}
				if err != nil && s.clock.Now().Add(every).Before(expires) {
					// The database is away; the lease still runs.
					continue
				}
				s.log.Warn("feed lease lost; standing by", "lease", name, "owner", owner, "err", err)
				break hold
			}
		}
		tick.Stop()
		cancel()
		<-done
	}
}

// release gives the lease up on the way out, past the caller's ended
// context.
func (s *Market) release(name, owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.ReleaseLease(ctx, name, owner); err != nil {
		s.log.Warn("releasing the feed lease", "lease", name, "err", err)
	}
}
