package domain

import (
	"strings"
	"testing"
	"time"
)

func TestContestValidate(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ok := Contest{Name: "12월 리그", StartsAt: now.Add(time.Hour), EndsAt: now.Add(7 * 24 * time.Hour), InitialCash: d("10000000"), Listings: []string{"005930"}}
	for _, c := range []struct {
		name  string
		mut   func(*Contest)
		field string
	}{
		{"valid", func(*Contest) {}, ""},
		{"started already, still running", func(c *Contest) { c.StartsAt = now.Add(-time.Hour) }, ""},
		{"no name", func(c *Contest) { c.Name = "  " }, "name"},
		{"long name", func(c *Contest) { c.Name = strings.Repeat("가", 81) }, "name"},
		{"ends before it starts", func(c *Contest) { c.EndsAt = c.StartsAt.Add(-time.Minute) }, "ends_at"},
		{"ended already", func(c *Contest) { c.StartsAt, c.EndsAt = now.Add(-2*time.Hour), now.Add(-time.Hour) }, "ends_at"},
		{"too long", func(c *Contest) { c.EndsAt = c.StartsAt.Add(400 * 24 * time.Hour) }, "ends_at"},
		{"no cash", func(c *Contest) { c.InitialCash = d("0") }, "initial_cash"},
		{"bad listing", func(c *Contest) { c.Listings = []string{"samsung"} }, "listings"},
		{"listing twice", func(c *Contest) { c.Listings = []string{"005930", "005930"} }, "listings"},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := ok
			c.mut(&x)
			err := x.Validate(now)
			var e *Error
			if c.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !asError(err, &e) || e.Field != c.field {
				t.Fatalf("err %v, want a %s error", err, c.field)
			}
		})
	}
	if ok.StatusAt(now) != ContestScheduled || ok.StatusAt(ok.StartsAt) != ContestRunning || ok.StatusAt(ok.EndsAt) != ContestEnded {
		t.Error("status")
	}
	if !ok.Allows("005930") || ok.Allows("000660") || !(Contest{}).Allows("000660") {
		t.Error("allows")
	}
}
