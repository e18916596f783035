package kis

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stocking-kr/stocking/domain"
	"github.com/stocking-kr/stocking/ports"
)

// Feed defaults.
const (
	DefaultCodesInterval = 30 * time.Second
	DefaultBatchSize     = 2048
	DefaultFlushInterval = 5 * time.Millisecond
	DefaultBufferSize    = 1 << 15
)

// finalFlushTimeout bounds the last hand-over after Run's context ends.
const finalFlushTimeout = 2 * time.Second

// FeedConfig configures a Feed. Every field has a default.
type FeedConfig struct {
	// Codes lists the listings to watch, most important first. It is called
	// at the start and every CodesInterval, so the feed follows held,
	// watched and open-order listings as they change. Nil watches every
	// active listing the sink reports. Only the first
	// Config.MaxSubscriptions codes are subscribed.
	Codes         func(ctx context.Context) ([]string, error)
	CodesInterval time.Duration

	// BatchSize is the most trades handed to the sink at once, and the
	// number that makes a waiting batch go at once. FlushInterval is how
	// long a trade may wait for others to join its batch while the sink is
	// idle. A sink that keeps up gets what arrived in FlushInterval and
	// during the previous batch; BatchSize matters when it falls behind:
	// every batch costs some statements per listing besides those per
	// trade, so large batches let it catch up sooner.
	BatchSize     int
	FlushInterval time.Duration
	// BufferSize bounds the trades waiting for the sink. When the sink is
	// too slow for the market and the buffer is full, the oldest waiting
	// trades are dropped (see Feed).
	BufferSize int
	Logger     *slog.Logger
}

// Feed is the KIS market feed: it streams real-time trades of a changing set
// of listings and records them through a ports.MarketSink.
//
// The socket is read by one goroutine that parses each frame and appends its
// trades to a bounded buffer; another goroutine hands the buffer to
// sink.ApplyTrades in batches, in arrival order. The reader never waits for
// the sink: a reader that stalls stops echoing PINGPONG and loses the
// session, and KIS does not replay what a dropped session missed. So when
// the sink falls so far behind that the buffer fills, the oldest waiting
// trades are dropped, counted in FeedStats.Dropped and logged. Dropping the
// oldest rather than merging trades keeps every recorded trade a real one
// (a merged trade would carry volume at a price it never traded at) and
// keeps the newest prices, which are what quotes and fills need.
//
// A batch the sink refuses is logged, counted in FeedStats.SinkErrors and
// not retried: by the time a retry could succeed newer trades have moved
// the prices on, and retrying would hold up everything behind it.
type Feed struct {
	c     *Client
	cfg   FeedConfig
	log   *slog.Logger
	queue *tradeQueue

	stream *Stream

	delivered, batches, sinkErrors atomic.Int64
	lastCodesErr                   string
	dropLog                        rateLimitedLog
}

// FeedStats is a snapshot of a Feed's counters.
type FeedStats struct {
	Received   int64 // trades read from the socket
	Delivered  int64 // trades handed to the sink
	Dropped    int64 // trades dropped because the sink fell behind
	Batches    int64 // ApplyTrades calls
	SinkErrors int64 // ApplyTrades calls that failed
	Stream     StreamStats
}

var _ ports.MarketFeed = (*Feed)(nil)

// NewFeed builds a Feed over c.
func NewFeed(c *Client, cfg FeedConfig) *Feed {
	if cfg.CodesInterval <= 0 {
		cfg.CodesInterval = DefaultCodesInterval
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = DefaultBufferSize
	}
	cfg.BufferSize = max(cfg.BufferSize, cfg.BatchSize)
	if cfg.Logger == nil {
		cfg.Logger = c.log
	}
	f := &Feed{c: c, cfg: cfg, log: cfg.Logger, queue: newTradeQueue(cfg.BufferSize, cfg.BatchSize)}
	f.stream = NewStream(c, f.queue.push)
	f.stream.log = cfg.Logger
	return f
}

// Stream is the Feed's WebSocket session, for its statistics.
func (f *Feed) Stream() *Stream { return f.stream }

// Stats returns the Feed's counters.
func (f *Feed) Stats() FeedStats {
	received, dropped := f.queue.counts()
	return FeedStats{
		Received:   received,
		Delivered:  f.delivered.Load(),
		Dropped:    dropped,
		Batches:    f.batches.Load(),
		SinkErrors: f.sinkErrors.Load(),
		Stream:     f.stream.Stats(),
	}
}

// Run implements ports.MarketFeed. It returns nil when ctx ends, after a
// last attempt to hand over what is buffered.
func (f *Feed) Run(ctx context.Context, sink ports.MarketSink) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		f.followCodes(ctx, sink)
	}()
	go func() {
		defer wg.Done()
		if err := f.stream.Run(ctx); err != nil {
			f.log.Error("kis feed: stream stopped", "err", err)
			cancel()
		}
	}()
	f.deliver(ctx, sink)
	wg.Wait()
	return nil
}

// followCodes applies the code list now and every CodesInterval.
func (f *Feed) followCodes(ctx context.Context, sink ports.MarketSink) {
	t := time.NewTicker(f.cfg.CodesInterval)
	defer t.Stop()
	for {
		f.refreshCodes(ctx, sink)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (f *Feed) refreshCodes(ctx context.Context, sink ports.MarketSink) {
	codes, err := f.codes(ctx, sink)
	if err != nil {
		if ctx.Err() == nil {
			f.log.Warn("kis feed: listing the codes to watch; keeping the current ones", "err", err)
		}
		return
	}
	err = f.stream.SetCodes(codes)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	// The same refusal every 30 s would bury the log; say it when it
	// changes.
	if msg != f.lastCodesErr && err != nil {
		f.log.Warn("kis feed: some codes are not watched", "err", err)
	}
	f.lastCodesErr = msg
}

func (f *Feed) codes(ctx context.Context, sink ports.MarketSink) ([]string, error) {
	if f.cfg.Codes != nil {
		return f.cfg.Codes(ctx)
	}
	stocks, err := sink.Stocks(ctx)
	if err != nil {
		return nil, err
	}
	codes := make([]string, 0, len(stocks))
	for _, s := range stocks {
		if s.Active {
			codes = append(codes, s.Code)
		}
	}
	return codes, nil
}

// deliver hands buffered trades to the sink until ctx ends. When the sink
// is idle a batch waits up to FlushInterval for company; when trades pile
// up while the sink works, the next batch goes as soon as it returns.
func (f *Feed) deliver(ctx context.Context, sink ports.MarketSink) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var reportedDrops int64
	for {
		select {
		case <-ctx.Done():
		case <-f.queue.ready:
		}
		if f.queue.len() < f.cfg.BatchSize && ctx.Err() == nil {
			timer.Reset(f.cfg.FlushInterval)
			select {
			case <-ctx.Done():
			case <-f.queue.full:
			case <-timer.C:
			}
			timer.Stop()
		}
		if ctx.Err() != nil {
			// What is buffered still goes, on a context of its own.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
			f.drain(fctx, sink)
			cancel()
			return
		}
		f.drain(ctx, sink)
		if _, dropped := f.queue.counts(); dropped > reportedDrops {
			if n, ok := f.dropLog.allow(); ok {
				f.log.Warn("kis feed: the sink is slower than the market; oldest trades dropped",
					"dropped", dropped-reportedDrops, "dropped_total", dropped, "suppressed_since_last", n)
				reportedDrops = dropped
			}
		}
	}
}

// drain hands over everything buffered, BatchSize trades at a time.
func (f *Feed) drain(ctx context.Context, sink ports.MarketSink) {
	for {
		batch := f.queue.take(f.cfg.BatchSize)
		if len(batch) == 0 {
			return
		}
		f.batches.Add(1)
		if err := sink.ApplyTrades(ctx, batch); err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return
			}
			f.sinkErrors.Add(1)
			f.log.Warn("kis feed: recording trades failed; batch lost", "trades", len(batch), "err", err)
			continue
		}
		f.delivered.Add(int64(len(batch)))
	}
}

// tradeQueue is a bounded FIFO of trades between the socket reader and the
// sink. A push never blocks: when full, it overwrites the oldest trades.
type tradeQueue struct {
	mu       sync.Mutex
	buf      []domain.Trade
	head, n  int
	received int64
	dropped  int64
	batch    int
	// ready is signalled when the queue becomes non-empty, full when it
	// holds a whole batch.
	ready chan struct{}
	full  chan struct{}
}

func newTradeQueue(size, batch int) *tradeQueue {
	return &tradeQueue{
		buf:   make([]domain.Trade, size),
		batch: batch,
		ready: make(chan struct{}, 1),
		full:  make(chan struct{}, 1),
	}
}

func (q *tradeQueue) push(ts []domain.Trade) {
	q.mu.Lock()
	wasEmpty := q.n == 0
	size := len(q.buf)
	for _, t := range ts {
		if q.n == size {
			q.head = (q.head + 1) % size
			q.n--
			q.dropped++
		}
		q.buf[(q.head+q.n)%size] = t
		q.n++
	}
	q.received += int64(len(ts))
	isFull := q.n >= q.batch
	q.mu.Unlock()
	if wasEmpty {
		signal(q.ready)
	}
	if isFull {
		signal(q.full)
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// take removes up to max trades, oldest first, into a new slice the sink may
// keep.
func (q *tradeQueue) take(max int) []domain.Trade {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := min(max, q.n)
	if k == 0 {
		return nil
	}
	out := make([]domain.Trade, k)
	size := len(q.buf)
	first := copy(out, q.buf[q.head:min(q.head+k, size)])
	copy(out[first:], q.buf[:k-first])
	for i := range k {
		q.buf[(q.head+i)%size] = domain.Trade{} // let the decimals go
	}
	q.head = (q.head + k) % size
	q.n -= k
	if q.n == 0 {
		// A stale ready signal would only cost an empty pass; clear it so
		// the flush timer starts from the next trade.
		select {
		case <-q.ready:
		default:
		}
	}
	select {
	case <-q.full:
	default:
	}
	if q.n > 0 {
		signal(q.ready)
	}
	if q.n >= q.batch {
		signal(q.full)
	}
	return out
}

func (q *tradeQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

func (q *tradeQueue) counts() (received, dropped int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.received, q.dropped
}
