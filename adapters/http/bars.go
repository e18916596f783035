package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/stocking-kr/stocking/domain"
)

type barsInput struct {
	Code     string `path:"code" example:"005930"`
	Interval string `query:"interval" enum:"1m,1d" default:"1m" doc:"1m: minute bars from the recorded trades (at most 7 days per request); 1d: daily bars (at most 20 years)."`
	From     string `query:"from" example:"2026-03-02" doc:"Start, inclusive: RFC 3339, or a date (Seoul midnight). Default: a day (1m) or a year (1d) before to."`
	To       string `query:"to" example:"2026-03-03T15:30:00+09:00" doc:"End, exclusive: RFC 3339, or a date (Seoul midnight). Default: now."`
}

// Bar is a listing's open, high, low, close and volume over one interval.
type Bar struct {
	Time   time.Time `json:"time" doc:"Start of the interval: the minute, or Seoul midnight of the day."`
	Open   string    `json:"open" example:"70000"`
	High   string    `json:"high" example:"70300"`
	Low    string    `json:"low" example:"69900"`
	Close  string    `json:"close" example:"70100"`
	Volume int64     `json:"volume" example:"15230"`
}

type barsOutput struct {
	Body Page[Bar]
}

// parseInstant reads a time bound: RFC 3339, or a date meaning Seoul
// midnight.
func parseInstant(field, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, domain.Seoul); err == nil {
		return t, nil
	}
	return time.Time{}, domain.FieldErrorf(domain.CodeInvalid, field, "%q is neither an RFC 3339 time nor a YYYY-MM-DD date", v)
}

func (s *server) registerBars(api huma.API) {
	register(api, public, huma.Operation{
		OperationID: "list-stock-bars", Method: http.MethodGet, Path: "/stocks/{code}/bars", Tags: []string{"stocks"},
		Summary:     "OHLCV bars of a listing, oldest first",
		Description: "Minute bars are built from the recorded trades; daily bars from the closed days (and imported history), with the days not yet closed built from the trades.",
	}, func(ctx context.Context, in *barsInput) (*barsOutput, error) {
		from, err := parseInstant("from", in.From)
		if err != nil {
			return nil, err
		}
		to, err := parseInstant("to", in.To)
		if err != nil {
			return nil, err
		}
		bars, err := s.svc.Market.Bars(ctx, in.Code, domain.BarInterval(in.Interval), from, to)
		if err != nil {
			return nil, err
		}
		out := make([]Bar, len(bars))
		for i, b := range bars {
			out[i] = Bar{Time: utc(b.Start), Open: money(b.Open), High: money(b.High), Low: money(b.Low), Close: money(b.Close), Volume: b.Volume}
		}
		return &barsOutput{Body: Page[Bar]{Data: out}}, nil
	})
}
