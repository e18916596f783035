package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/google/uuid"

	"github.com/stocking-kr/stocking/adapters/feed"
	"github.com/stocking-kr/stocking/adapters/kis"
	"github.com/stocking-kr/stocking/ports"
)

// marketFeed builds the feed MARKET_DATA names: the simulated random walk,
// a CSV replay (replayFile overrides MARKET_DATA_REPLAY, and speed its
// pace), or the KIS Open API.
func (m *Main) marketFeed(replayFile string, speed float64) (ports.MarketFeed, error) {
	cfg := m.Config
	kind := cfg.MarketData
	if replayFile != "" {
		kind = "replay"
	} else {
		replayFile = cfg.ReplayFile
	}
	switch kind {
	case "replay":
		fh, err := os.Open(replayFile)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		defer fh.Close()
		ticks, err := feed.ParseReplay(fh)
		if err != nil {
			return nil, err
		}
		m.Logger.Info("replaying trades", "file", replayFile, "trades", len(ticks), "speed", speed)
		return &feed.Replay{Ticks: ticks, Speed: speed, OnError: func(t feed.Tick, err error) error {
			m.Logger.Warn("replayed trade rejected", "code", t.Code, "price", t.Price, "err", err)
			return nil
		}}, nil
	case "kis":
		c, err := kis.NewClient(kis.Config{
			AppKey: cfg.KISAppKey, AppSecret: cfg.KISSecret, Env: cfg.KISEnv,
			RESTBase: cfg.KISAPIBase, WSURL: cfg.KISWSURL, Logger: m.Logger,
		})
		if err != nil {
			return nil, err
		}
		fc := kis.FeedConfig{Logger: m.Logger}
		if len(cfg.MarketDataCodes) > 0 {
			codes := cfg.MarketDataCodes
			fc.Codes = func(context.Context) ([]string, error) { return codes, nil }
		}
		m.Logger.Info("KIS market data", "env", cfg.KISEnv, "codes", len(cfg.MarketDataCodes))
		return kis.NewFeed(c, fc), nil
	}
	m.Logger.Info("simulated market data", "interval", cfg.FeedInterval)
	return &feed.Simulated{Interval: cfg.FeedInterval, Logger: m.Logger}, nil
}

// feedLease is the lease every feed process contends for.
const feedLease = "feed"

// feedOwner names this process in the feed lease: host, pid and a random
// suffix, unique even across restarts that reuse a pid.
func feedOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), uuid.NewString()[:8])
}

// feedGCPercent is the garbage collector's GOGC in feed processes (`stocking
// feed`, bench-feed) when the environment sets none. A feed allocates some
// 6 KiB a trade over a live heap of a few MiB, so at Go's default of 100 a
// market of 20,000 trades a second collects a dozen times a second, and
// on a busy machine each collection's stop of the world waits for the
// process's threads to be scheduled. At 400 it collects about a quarter as
// often, for about 10% less CPU a trade (bench-feed), at the cost of a
// heap that may grow to five times the live one before a collection.
const feedGCPercent = 400

// tuneFeedGC applies feedGCPercent unless GOGC is set.
func tuneFeedGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(feedGCPercent)
	}
}
