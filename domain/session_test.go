package domain

import (
	"strings"
	"testing"
	"time"
)

func seoul(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Seoul)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSessions(t *testing.T) {
	c := NewKRXCalendar()
	for _, tc := range []struct {
		at        string
		open      bool
		nextOpen  string
		nextClose string
	}{
		{"2026-11-26 08:59", false, "2026-11-26 09:00", "2026-11-26 15:30"}, // Thursday before the open
		{"2026-11-26 09:00", true, "", "2026-11-26 15:30"},
		{"2026-11-26 15:29", true, "", "2026-11-26 15:30"},
		{"2026-11-26 15:30", false, "2026-11-27 09:00", "2026-11-27 15:30"},
		{"2026-11-27 16:00", false, "2026-11-30 09:00", "2026-11-30 15:30"}, // Friday evening → Monday
		{"2026-11-28 10:00", false, "2026-11-30 09:00", "2026-11-30 15:30"}, // Saturday
		{"2026-12-24 16:00", false, "2026-12-28 09:00", "2026-12-28 15:30"}, // Christmas, weekend
		{"2026-12-30 16:00", false, "2027-01-04 09:00", "2027-01-04 15:30"}, // year-end closing and New Year
		{"2026-09-23 15:31", false, "2026-09-28 09:00", "2026-09-28 15:30"}, // Chuseok
	} {
		s := c.SessionAt(seoul(tc.at))
		if s.Open != tc.open {
			t.Errorf("%s: open = %v", tc.at, s.Open)
		}
		if tc.nextOpen != "" && !s.NextOpen.Equal(seoul(tc.nextOpen)) {
			t.Errorf("%s: next open %s, want %s", tc.at, s.NextOpen.In(Seoul), tc.nextOpen)
		}
		if !s.NextClose.Equal(seoul(tc.nextClose)) {
			t.Errorf("%s: next close %s, want %s", tc.at, s.NextClose.In(Seoul), tc.nextClose)
		}
	}
	// A DAY order placed on Friday night expires at Monday's close.
	if got := c.DayOrderExpiry(seoul("2026-11-27 20:00")); !got.Equal(seoul("2026-11-30 15:30")) {
		t.Errorf("DAY expiry %s", got.In(Seoul))
	}
	// The instant in UTC does not matter, only Seoul time.
	if !c.IsOpen(time.Date(2026, 11, 26, 0, 30, 0, 0, time.UTC)) { // 09:30 Seoul
		t.Error("09:30 Seoul should be open")
	}
}

func TestAlwaysOpen(t *testing.T) {
	c := NewKRXCalendar()
	c.Always = true
	at := seoul("2026-11-28 23:10") // Saturday night
	if !c.IsOpen(at) {
		t.Fatal("always mode closed")
	}
	if got := c.DayOrderExpiry(at); !got.Equal(seoul("2026-11-29 00:00")) {
		t.Fatalf("always-mode DAY expiry %s, want the end of the Seoul day", got.In(Seoul))
	}
}

func TestParseHolidays(t *testing.T) {
	h, err := ParseHolidays(strings.NewReader("# comment\n\n2026-01-01 New Year\n"))
	if err != nil || h["2026-01-01"] != "New Year" || len(h) != 1 {
		t.Fatalf("%v %v", h, err)
	}
	if _, err := ParseHolidays(strings.NewReader("01/01/2026 x\n")); err == nil {
		t.Fatal("bad date accepted")
	}
	if len(NewKRXCalendar().Holidays) < 20 {
		t.Fatal("embedded holiday list is short")
	}
}

func TestMarketDay(t *testing.T) {
	cal := NewKRXCalendar()
	cal.Holidays = map[string]string{"2026-12-31": "year-end closing"}
	for _, c := range []struct {
		date    string
		trading bool
		holiday string
		open    string
		close   string
	}{
		{"2026-12-01", true, "", "2026-12-01T09:00:00+09:00", "2026-12-01T15:30:00+09:00"},
		{"2026-12-05", false, "", "2026-12-05T09:00:00+09:00", "2026-12-05T15:30:00+09:00"}, // Saturday
		{"2026-12-31", false, "year-end closing", "2026-12-31T09:00:00+09:00", "2026-12-31T15:30:00+09:00"},
	} {
		d, err := cal.Day(c.date)
		if err != nil {
			t.Fatal(err)
		}
		if d.Trading != c.trading || d.Holiday != c.holiday || d.Open.Format(time.RFC3339) != c.open || d.Close.Format(time.RFC3339) != c.close {
			t.Errorf("%s: %+v", c.date, d)
		}
	}
	always := &Calendar{Always: true}
	d, _ := always.Day("2026-12-05")
	if !d.Trading || d.Open.Format(time.RFC3339) != "2026-12-05T00:00:00+09:00" || d.Close.Format(time.RFC3339) != "2026-12-06T00:00:00+09:00" {
		t.Errorf("always: %+v", d)
	}
	if _, err := cal.Day("12/01/2026"); !IsCode(err, CodeInvalid) {
		t.Errorf("bad date: %v", err)
	}
	if got := SeoulDate(time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)); got != "2026-12-01" {
		t.Errorf("SeoulDate = %s", got)
	}
}
