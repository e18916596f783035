package feed

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
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
	// Volume, Bid and Ask are zero when the file has no such columns.
	Volume   int64
	Bid, Ask decimal.Decimal
}

// Replay file headers: the short form carries prices only.
const (
	replayHeader     = "time,stock_code,price"
	replayHeaderFull = "time,stock_code,price,volume,bid,ask"
)

// ParseReplay reads a CSV replay file with the header
// "time,stock_code,price" or "time,stock_code,price,volume,bid,ask", where
// time is RFC 3339 or a duration since the start such as 1.5s, and bid and
// ask may be empty. Lines must be in time order.
func ParseReplay(r io.Reader) ([]Tick, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("replay: reading header: %w", err)
	}
	full := false
	switch strings.Join(head, ",") {
	case replayHeader:
	case replayHeaderFull:
		full = true
	default:
		return nil, fmt.Errorf("replay: header must be %s or %s, got %q", replayHeader, replayHeaderFull, strings.Join(head, ","))
	}
	cr.FieldsPerRecord = len(head)
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
		t := Tick{Offset: off, Code: rec[1], Price: p}
		if full {
			if t.Volume, err = strconv.ParseInt(rec[3], 10, 64); err != nil || t.Volume < 0 {
				return nil, fmt.Errorf("replay line %d, column 4: volume %q is not a whole number of shares", line, rec[3])
			}
			for i, q := range []*decimal.Decimal{&t.Bid, &t.Ask} {
				if rec[4+i] == "" {
					continue
				}
				if *q, err = decimal.NewFromString(rec[4+i]); err != nil || !domain.OnTickGrid(*q) {
					return nil, fmt.Errorf("replay line %d, column %d: %q is not a price on the KRX tick grid", line, 5+i, rec[4+i])
				}
			}
		}
		ticks = append(ticks, t)
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
		tr := domain.Trade{Code: t.Code, At: time.Now().UTC(), Price: t.Price, Volume: t.Volume, Bid: t.Bid, Ask: t.Ask}
		if err := sink.ApplyTrades(ctx, []domain.Trade{tr}); err != nil {
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
