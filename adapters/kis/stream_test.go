package kis_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stocking-kr/stocking/adapters/kis"
	"github.com/stocking-kr/stocking/adapters/kis/kisfake"
	"github.com/stocking-kr/stocking/domain"
)

// runStream starts a Stream on codes and returns it with the sink its
// handler fills. The stream stops when the test ends.
func (e *env) runStream(t *testing.T, codes ...string) (*kis.Stream, *tradeSink) {
	t.Helper()
	sink := newTradeSink()
	st := kis.NewStream(e.client, sink.add)
	if err := st.SetCodes(codes); err != nil {
		t.Fatal(err)
	}
	runUntilCleanup(t, "Stream.Run", st.Run)
	return st, sink
}

func TestStreamSubscribesInKISShape(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	st, sink := e.runStream(t, "005930", "000660")
	// The fake checks the approval key, custtype, tr_type and tr_id of
	// every request and only then subscribes.
	e.wait(t, "both codes subscribed", func() bool { return e.fake.Subscribed("005930", "000660") })
	if n := e.fake.ApprovalIssues(); n != 1 {
		t.Errorf("approval keys issued = %d, want 1", n)
	}
	e.roundTrip(t, sink, "005930")
	if got := st.Stats().Subscribed; !reflect.DeepEqual(got, []string{"000660", "005930"}) {
		t.Errorf("confirmed subscriptions = %v", got)
	}
}

func TestStreamMapsMultiRecordFrames(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	listing(t, e.fake, "005930", "삼성전자", "70000")
	st, sink := e.runStream(t, "005930", "000660")
	e.wait(t, "subscribed", func() bool { return e.fake.Subscribed("005930", "000660") })

	at := time.Date(2026, 3, 3, 10, 15, 42, 0, domain.Seoul)
	var trades []kisfake.Trade
	for i := range 5 {
		trades = append(trades, kisfake.Trade{Code: "005930", Price: decimal.NewFromInt(70100 + 100*int64(i)),
			Volume: int64(i + 1), Bid: dec("70000"), Ask: dec("70100"), BidSize: 300, AskSize: 200, At: at})
	}
	trades = append(trades,
		kisfake.Trade{Code: "000660", Price: dec("181500"), Volume: 7, At: at},
		kisfake.Trade{Code: "000660", Price: dec("181400"), Volume: 8, At: at})
	if err := e.fake.Publish(trades); err != nil {
		t.Fatal(err)
	}
	got := sink.waitFor(t, 7)
	_, batches := sink.snapshot()
	if len(batches) != 2 || len(batches[0]) != 5 || len(batches[1]) != 2 {
		t.Fatalf("handler calls = %d (sizes %v), want one per frame: 5 and 2 records", len(batches), sizes(batches))
	}
	if st.Stats().Frames != 2 {
		t.Errorf("frames = %d, want 2", st.Stats().Frames)
	}
	first := got[0]
	want := domain.Trade{Code: "005930", At: at, Price: dec("70100"), Volume: 1,
		Bid: dec("70000"), Ask: dec("70100"), BidSize: 300, AskSize: 200}
	if first.Code != want.Code || !first.At.Equal(want.At) || !first.Price.Equal(want.Price) || first.Volume != want.Volume ||
		!first.Bid.Equal(want.Bid) || !first.Ask.Equal(want.Ask) || first.BidSize != want.BidSize || first.AskSize != want.AskSize {
		t.Errorf("first trade = %+v\nwant %+v", first, want)
	}
	for i := range 5 {
		if got[i].Volume != int64(i+1) {
			t.Errorf("trade %d volume %d: records out of order", i, got[i].Volume)
		}
	}
	// Without quotes in the input the fake quotes ask = price, bid one tick
	// below, as every KIS frame carries quotes.
	if g := got[5]; g.Code != "000660" || !g.Price.Equal(dec("181500")) || !g.Ask.Equal(dec("181500")) || !g.Bid.Equal(dec("181400")) {
		t.Errorf("000660 trade = %+v", g)
	}
}

// roundTrip publishes a trade of code and waits for it: the server answers
// on one socket in order, so every answer sent before the trade has been
// handled by the time it arrives.
func (e *env) roundTrip(t *testing.T, sink *tradeSink, code string) {
	t.Helper()
	before, _ := sink.snapshot()
	if err := e.fake.Publish([]kisfake.Trade{{Code: code, Price: dec("1000"), Volume: 1}}); err != nil {
		t.Fatal(err)
	}
	sink.waitFor(t, len(before)+1)
}

func sizes(b [][]domain.Trade) []int {
	var out []int
	for _, x := range b {
		out = append(out, len(x))
	}
	return out
}

func TestStreamReconnectsAndResubscribesEverything(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	codes := []string{"005930", "000660", "035420"}
	st, sink := e.runStream(t, codes...)
	e.wait(t, "first subscription", func() bool { return e.fake.Subscribed(codes...) })

	if n := e.fake.DropSessions(); n != 1 {
		t.Fatalf("dropped %d sessions", n)
	}
	e.wait(t, "a second session with every code", func() bool {
		return e.fake.Connects() == 2 && e.fake.Sessions() == 1 && e.fake.Subscribed(codes...)
	})
	if err := e.fake.Publish([]kisfake.Trade{{Code: "035420", Price: dec("210000"), Volume: 1}}); err != nil {
		t.Fatal(err)
	}
	if got := sink.waitFor(t, 1); got[0].Code != "035420" {
		t.Errorf("trade after reconnect = %+v", got[0])
	}
	if n := st.Stats().Connects; n != 2 {
		t.Errorf("stream counted %d connects, want 2", n)
	}
}

func TestStreamFetchesNewApprovalKeyWhenRefused(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	e.runStream(t, "005930")
	e.wait(t, "subscribed", func() bool { return e.fake.Subscribed("005930") })
	e.fake.ForgetApprovalKeys()
	e.fake.DropSessions()
	// The next session is refused for the cached key; the one after uses a
	// new key.
	e.wait(t, "subscribed with a new key", func() bool {
		return e.fake.ApprovalIssues() == 2 && e.fake.Subscribed("005930")
	})
	if n := e.fake.Answers("OPSP0011"); n != 1 {
		t.Errorf("refusals for the old key = %d, want 1", n)
	}
}

func TestStreamSkipsMalformedFramesAndKeepsSession(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	st, sink := e.runStream(t, "005930")
	e.wait(t, "subscribed", func() bool { return e.fake.Subscribed("005930") })

	good := make([]string, 46)
	for i := range good {
		good[i] = "0"
	}
	good[0], good[1], good[2], good[12], good[33] = "005930", "093001", "70000", "9", "20260303"
	bad := append([]string(nil), good...)
	bad[2] = "7O000" // a letter O: the record is refused, its neighbour kept
	for _, msg := range []string{
		"", // kisfake.MalformedFrame: 2 records announced, 3 fields sent
		"0|H0STCNT0|001|" + strings.Repeat("x^", 45) + "x", // right shape, nothing parses
		"hello",
		`{"header":`,
		"0|H0STCNT0|002|" + strings.Join(good, "^") + "^" + strings.Join(bad, "^"),
	} {
		e.fake.SendRaw(msg)
	}
	if err := e.fake.Publish([]kisfake.Trade{{Code: "005930", Price: dec("70000"), Volume: 3}}); err != nil {
		t.Fatal(err)
	}
	got := sink.waitFor(t, 2)
	if len(got) != 2 || got[0].Volume != 9 || got[1].Volume != 3 {
		t.Fatalf("trades = %+v, want the good record and the published trade", got)
	}
	stats := st.Stats()
	if stats.Malformed != 4 || stats.BadRecords != 1 {
		t.Errorf("malformed = %d, bad records = %d; want 4 and 1", stats.Malformed, stats.BadRecords)
	}
	if n := e.fake.Connects(); n != 1 {
		t.Errorf("connects = %d: a malformed frame cost the session", n)
	}
	if !strings.Contains(e.logs.String(), "malformed frame skipped") {
		t.Error("malformed frame was not logged")
	}
}

func TestStreamEchoesPingPong(t *testing.T) {
	// The interval leaves a loaded test machine time to answer each one.
	e := newEnv(t, kisfake.Options{PingInterval: 100 * time.Millisecond}, nil)
	st, _ := e.runStream(t, "005930")
	// The fake closes a session that misses one echo; three echoes on the
	// first session mean every PINGPONG went back.
	e.wait(t, "three echoes", func() bool { return e.fake.Echoes() >= 3 })
	if n := e.fake.Connects(); n != 1 {
		t.Errorf("connects = %d, want the first session kept", n)
	}
	if st.Stats().PingPongs < 3 {
		t.Errorf("stream counted %d PINGPONGs", st.Stats().PingPongs)
	}
}

func TestStreamEnforcesSubscriptionCap(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, func(c *kis.Config) { c.MaxSubscriptions = 3 })
	sink := newTradeSink()
	st := kis.NewStream(e.client, sink.add)
	err := st.SetCodes([]string{"005930", "000660", "035420", "005380", "035720", "bad"})
	var ce *kis.CodesError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *kis.CodesError", err)
	}
	if !reflect.DeepEqual(ce.Over, []string{"005380", "035720"}) || !reflect.DeepEqual(ce.Invalid, []string{"BAD"}) {
		t.Errorf("over = %v, invalid = %v", ce.Over, ce.Invalid)
	}
	if !strings.Contains(err.Error(), "005380") || !strings.Contains(err.Error(), "3-subscription cap") {
		t.Errorf("error %q does not say which codes and why", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go st.Run(ctx)
	e.wait(t, "the first three subscribed", func() bool { return e.fake.Subscribed("005930", "000660", "035420") })
}

func TestStreamLogsCodesKISRefuses(t *testing.T) {
	// The server holds fewer than the client believes: KIS's refusal is
	// logged and reported, and the rest keep working.
	e := newEnv(t, kisfake.Options{MaxSubscriptions: 2}, nil)
	st, sink := e.runStream(t, "005930", "000660", "035420")
	e.wait(t, "the third refused", func() bool { return e.fake.Answers("OPSP0008") == 1 })
	if !e.fake.Subscribed("005930", "000660") {
		t.Fatalf("subscriptions = %v", e.fake.Subscriptions())
	}
	e.roundTrip(t, sink, "005930")
	if got := st.Stats().Refused; !reflect.DeepEqual(got, []string{"035420"}) {
		t.Errorf("refused = %v", got)
	}
	if !strings.Contains(e.logs.String(), "MAX SUBSCRIBE OVER") {
		t.Error("KIS's refusal was not logged")
	}
}

func TestStreamFollowsCodeChangesOnOneSession(t *testing.T) {
	e := newEnv(t, kisfake.Options{}, nil)
	st, sink := e.runStream(t, "005930", "000660", "035420")
	e.wait(t, "first set", func() bool { return e.fake.Subscribed("005930", "000660", "035420") })

	if err := st.SetCodes([]string{"000660", "035420", "005380"}); err != nil {
		t.Fatal(err)
	}
	e.wait(t, "second set", func() bool { return e.fake.Subscribed("000660", "035420", "005380") })
	if n := e.fake.Connects(); n != 1 {
		t.Errorf("connects = %d: changing codes must not reconnect", n)
	}
	// The unsubscribed code no longer reaches the handler; the new one does.
	if err := e.fake.Publish([]kisfake.Trade{
		{Code: "005930", Price: dec("70000"), Volume: 1},
		{Code: "005380", Price: dec("250000"), Volume: 2},
	}); err != nil {
		t.Fatal(err)
	}
	got := sink.waitFor(t, 1)
	if len(got) != 1 || got[0].Code != "005380" {
		t.Errorf("trades = %+v, want only 005380", got)
	}
}
