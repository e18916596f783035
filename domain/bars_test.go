package domain

import (
	"testing"
	"time"
)

func TestAggregateTrades(t *testing.T) {
	at := func(hms string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04:05", "2026-12-01 "+hms, Seoul)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	trades := []Trade{
		{Code: "005930", At: at("09:00:01"), Price: d("70000"), Volume: 10},
		{Code: "000660", At: at("09:00:02"), Price: d("180000"), Volume: 1},
		{Code: "005930", At: at("09:00:30"), Price: d("70300"), Volume: 5},
		{Code: "005930", At: at("09:00:59"), Price: d("69800"), Volume: 7},
		{Code: "005930", At: at("09:00:59"), Price: d("70100"), Volume: 3},
		{Code: "005930", At: at("09:01:00"), Price: d("70200"), Volume: 2},
	}
	bars := AggregateTrades(trades, Minute)
	if len(bars) != 3 {
		t.Fatalf("%d bars: %+v", len(bars), bars)
	}
	b := bars[0]
	if b.Code != "005930" || !b.Start.Equal(at("09:00:00")) || !b.Open.Equal(d("70000")) || !b.High.Equal(d("70300")) ||
		!b.Low.Equal(d("69800")) || !b.Close.Equal(d("70100")) || b.Volume != 25 {
		t.Errorf("first minute of 005930: %+v", b)
	}
	if bars[1].Code != "000660" || bars[1].Volume != 1 {
		t.Errorf("000660: %+v", bars[1])
	}
	if !bars[2].Start.Equal(at("09:01:00")) || !bars[2].Open.Equal(d("70200")) || bars[2].Volume != 2 {
		t.Errorf("second minute: %+v", bars[2])
	}
	day := AggregateTrades(trades, Daily)
	if len(day) != 2 || !day[0].Start.Equal(at("00:00:00")) || day[0].Volume != 27 || !day[0].Close.Equal(d("70200")) {
		t.Errorf("daily: %+v", day)
	}
	// Merging a stored bar with the next batch's agrees with one pass.
	first, second := AggregateTrades(trades[:3], Minute), AggregateTrades(trades[3:5], Minute)
	if m := first[0].Merge(second[0]); m != bars[0] {
		t.Errorf("merged %+v, want %+v", m, bars[0])
	}
}
