package domain

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"time"
)

//go:embed krx_holidays.txt
var krxHolidays string

// Seoul is the exchange's time zone. Korea has no daylight saving time, so
// a fixed offset is exact and needs no tzdata on the host.
var Seoul = time.FixedZone("Asia/Seoul", 9*60*60)

// Calendar decides when the market is open. Regular trading runs 09:00 to
// 15:30 Seoul time on trading days: weekdays that are not in Holidays.
type Calendar struct {
	// Always keeps the market open around the clock (MARKET_HOURS=always),
	// for demos and tests. DAY orders then expire at the end of the Seoul
	// calendar day.
	Always   bool
	Holidays map[string]string // "2006-01-02" → name
	Open     time.Duration     // since midnight, Seoul
	Close    time.Duration
}

// NewKRXCalendar returns the regular-session calendar with the holiday list
// that ships with StocKing.
func NewKRXCalendar() *Calendar {
	h, err := ParseHolidays(strings.NewReader(krxHolidays))
	if err != nil {
		panic(err) // the embedded list is checked by tests
	}
	return &Calendar{Holidays: h, Open: 9 * time.Hour, Close: 15*time.Hour + 30*time.Minute}
}

// ParseHolidays reads a holiday list: one "YYYY-MM-DD name" per line;
// blank lines and lines starting with # are ignored.
func ParseHolidays(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		date, name, _ := strings.Cut(line, " ")
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return nil, fmt.Errorf("holiday list line %d: %q is not a YYYY-MM-DD date", n, date)
		}
		out[date] = strings.TrimSpace(name)
	}
	return out, sc.Err()
}

// TradingDay reports whether the Seoul date of t is a trading day.
func (c *Calendar) TradingDay(t time.Time) bool {
	if c.Always {
		return true
	}
	s := t.In(Seoul)
	if wd := s.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, holiday := c.Holidays[s.Format(time.DateOnly)]
	return !holiday
}

func midnight(t time.Time) time.Time {
	s := t.In(Seoul)
	return time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, Seoul)
}

// IsOpen reports whether the regular session is running at t.
func (c *Calendar) IsOpen(t time.Time) bool {
	if c.Always {
		return true
	}
	if !c.TradingDay(t) {
		return false
	}
	since := t.Sub(midnight(t))
	return since >= c.Open && since < c.Close
}

// Session is the market state at an instant.
type Session struct {
	Open      bool
	NextOpen  time.Time // zero when Open or Always
	NextClose time.Time // the close of the current or next session
}

// SessionAt describes the market at t.
func (c *Calendar) SessionAt(t time.Time) Session {
	if c.Always {
		return Session{Open: true, NextClose: midnight(t).AddDate(0, 0, 1)}
	}
	if c.IsOpen(t) {
		return Session{Open: true, NextClose: midnight(t).Add(c.Close)}
	}
	open := c.nextOpen(t)
	return Session{NextOpen: open, NextClose: midnight(open).Add(c.Close)}
}

// nextOpen finds the next session start after t. The holiday list never
// holds more than a few weeks in a row, so a year bounds the search.
func (c *Calendar) nextOpen(t time.Time) time.Time {
	day := midnight(t)
	for i := 0; i < 370; i++ {
		d := day.AddDate(0, 0, i)
		if c.TradingDay(d) && d.Add(c.Open).After(t) {
			return d.Add(c.Open)
		}
	}
	return time.Time{}
}

// DayOrderExpiry is when a DAY order placed at t expires: the close of the
// session in progress, or of the next session when the market is closed.
// With Always, the end of the Seoul calendar day.
func (c *Calendar) DayOrderExpiry(t time.Time) time.Time {
	return c.SessionAt(t).NextClose
}

// MarketDay is one Seoul date as the exchange sees it.
type MarketDay struct {
	Date    string // YYYY-MM-DD, Seoul
	Trading bool
	// Holiday names the closing day, when it is one (weekends have none).
	Holiday string
	// Open and Close bound the regular session; with Always, the whole
	// Seoul calendar day.
	Open, Close time.Time
}

// Day describes a Seoul date ("2006-01-02").
func (c *Calendar) Day(date string) (MarketDay, error) {
	d, err := time.ParseInLocation(time.DateOnly, date, Seoul)
	if err != nil {
		return MarketDay{}, FieldErrorf(CodeInvalid, "date", "%q is not a YYYY-MM-DD date", date)
	}
	md := MarketDay{Date: date, Trading: c.TradingDay(d)}
	md.Holiday = c.Holidays[date]
	if c.Always {
		md.Open, md.Close = d, d.AddDate(0, 0, 1)
		return md, nil
	}
	md.Open, md.Close = d.Add(c.Open), d.Add(c.Close)
	return md, nil
}

// SeoulDate is the Seoul calendar date of t, as YYYY-MM-DD.
func SeoulDate(t time.Time) string { return t.In(Seoul).Format(time.DateOnly) }

// SessionStart is when the session that t falls in (or last ended before
// t) opened: the regular open of t's Seoul day, or its midnight when the
// market is always open. A trade is a session's first when no other was
// recorded since.
func (c *Calendar) SessionStart(t time.Time) time.Time {
	if c.Always {
		return midnight(t)
	}
	return midnight(t).Add(c.Open)
}
