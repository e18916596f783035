package feed

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Tick is one line of a replay file.
type Tick struct {
	// Offset is when the tick happens, counted from the first tick.
	Offset time.Duration
	Code   string
	Price  decimal.Decimal
}

// ParseReplay reads a CSV replay file with the header
// "time,stock_code,price", where time is RFC 3339 or a duration since the
// start such as 1.5s. Lines must be in time order.
func ParseReplay(r io.Reader) ([]Tick, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 3
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("replay: reading header: %w", err)
	}
	if strings.Join(head, ",") != "time,stock_code,price" {
		return nil, fmt.Errorf("replay: header must be time,stock_code,price, got %q", strings.Join(head, ","))
	}
	var (
		ticks []Tick
		start time.Time
	)
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return ticks, nil
		}
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		var off time.Duration
		if d, err := time.ParseDuration(rec[0]); err == nil {
			off = d
		} else if at, err := time.Parse(time.RFC3339Nano, rec[0]); err == nil {
			if start.IsZero() {
				start = at
			}
			off = at.Sub(start)
		} else {
			return nil, fmt.Errorf("replay line %d: time %q is neither RFC 3339 nor a duration", line, rec[0])
		}
		if n := len(ticks); n > 0 && off < ticks[n-1].Offset {
			return nil, fmt.Errorf("replay line %d: time goes backwards", line)
		}
		if !domain.ValidStockCode(rec[1]) {
			return nil, fmt.Errorf("replay line %d: %q is not a stock code", line, rec[1])
		}
		p, err := decimal.NewFromString(rec[2])
		if err != nil || !domain.OnTickGrid(p) {
			return nil, fmt.Errorf("replay line %d: price %q is not on the KRX tick grid", line, rec[2])
		}
		ticks = append(ticks, Tick{Offset: off, Code: rec[1], Price: p})
	}
}

// Replay plays recorded ticks, keeping their spacing divided by Speed
// (Speed 0 plays them as fast as the sink takes them).
type Replay struct {
	Ticks []Tick
	Speed float64
	// OnError decides whether a rejected tick stops the replay; nil stops
	// it.
	OnError func(Tick, error) error
}

// Run implements ports.MarketFeed.
func (r *Replay) Run(ctx context.Context, sink ports.MarketSink) error {
	start := time.Now()
	for _, t := range r.Ticks {
		if r.Speed > 0 {
			due := start.Add(time.Duration(float64(t.Offset) / r.Speed))
			if wait := time.Until(due); wait > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(wait):
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := sink.ApplyTrades(ctx, []domain.Trade{{Code: t.Code, At: time.Now().UTC(), Price: t.Price}}); err != nil {
			if r.OnError == nil {
				return fmt.Errorf("replay %s @ %s: %w", t.Code, t.Price, err)
			}
			if err := r.OnError(t, err); err != nil {
				return err
			}
		}
	}
	return nil
}
