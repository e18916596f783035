package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// feedChildEnv, when set, makes TestFeedProcess a `stocking feed` process
// on the database it names, for TestFeedLeaseTakeover to start and kill.
const feedChildEnv = "STOCKING_TEST_FEED_CHILD_DB"

func feedEnv(dbURI string) map[string]string {
	return map[string]string{"DATABASE_URI": dbURI, "FEED_INTERVAL": "100ms", "FEED_LEASE_TTL": "3s", "TEMPORAL_ADDRESS": "off"}
}

// TestFeedProcess is a child of TestFeedLeaseTakeover: it runs `stocking
// feed` until it is killed.
func TestFeedProcess(t *testing.T) {
	uri := os.Getenv(feedChildEnv)
	if uri == "" {
		t.Skip("run by TestFeedLeaseTakeover")
	}
	if err := runFeed(t.Context(), testEnv(t, feedEnv(uri)), nil); err != nil {
		t.Fatal(err)
	}
}

// TestFeedLeaseTakeover runs two feed processes on one database: one
// drives the listings, the other stands by; killed, the holder is
// replaced within 15 seconds and trades go on.
func TestFeedLeaseTakeover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	env := feedEnv("")
	m, _ := startMainWith(t, testEnv(t, nil), Options{Migrate: true, Seed: true})
	env["DATABASE_URI"] = m.Config.DatabaseURI
	ctx := context.Background()
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFeedProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), feedChildEnv+"="+m.Config.DatabaseURI)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	procs := map[int]*exec.Cmd{}
	for range 2 {
		c := start()
		procs[c.Process.Pid] = c
	}
	holder := func() int {
		l, err := m.Store.GetLease(ctx, feedLease)
		if err != nil || l.ExpiresAt.Before(time.Now()) {
			return 0
		}
		for pid := range procs {
			if strings.Contains(l.Owner, fmt.Sprintf(":%d:", pid)) {
				return pid
			}
		}
		return 0
	}
	var first int
	waitFor(t, "a feed process to take the lease", 30*time.Second, func() bool { first = holder(); return first != 0 })
	trades := func() int {
		tape, err := m.Store.ListTrades(ctx, "005930", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(tape)
	}
	waitFor(t, "the holder to record trades", 15*time.Second, func() bool { return trades() > 0 })
	// The standby stays standing by while the holder lives.
	time.Sleep(4 * time.Second)
	if h := holder(); h != first {
		t.Fatalf("the lease moved from %d to %d while its holder lived", first, h)
	}

	if err := procs[first].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	procs[first].Wait()
	killed := time.Now()
	var second int
	waitFor(t, "the standby to take over", 15*time.Second, func() bool { second = holder(); return second != 0 && second != first })
	took := time.Since(killed)
	before := trades()
	waitFor(t, "trades after the takeover", 10*time.Second, func() bool { return trades() > before })
	t.Logf("standby %d took over %s after holder %d was killed", second, took.Round(10*time.Millisecond), first)
}
