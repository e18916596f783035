package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// checkpointInterval is how often the background checkpointer copies the
// write-ahead log back into the database file. At a few thousand orders a
// second the log grows by some ten megabytes in this time, and a checkpoint
// writes each changed page once however often it changed.
const checkpointInterval = 100 * time.Millisecond

// walAutoCheckpoint is the log size, in pages, at which the writer
// checkpoints by itself, a safety net for a checkpointer that falls behind.
// It sits well above what accumulates between two background checkpoints.
const walAutoCheckpoint = 20000

// checkpointer runs WAL checkpoints on a connection of its own. Left to
// SQLite, the connection that commits past the log-size threshold runs the
// checkpoint inside its commit: it copies pages and waits for two fsyncs
// while every other writer queues behind it. On its own connection the
// checkpoint proceeds beside the writer, which only needs the WAL's write
// lock, not the checkpoint lock.
type checkpointer struct {
	db   *sql.DB
	log  *slog.Logger
	stop chan struct{}
	done chan struct{}
}

func startCheckpointer(db *sql.DB, log *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.checkpoint()
		}
	}
}

// checkpoint copies what it can without waiting for anyone (PASSIVE):
// frames a reader still needs stay in the log for the next round.
func (c *checkpointer) checkpoint() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var busy, logFrames, done int
	err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done)
	if err != nil {
		c.log.Warn("sqlite checkpoint failed", "err", err)
	}
}

// close stops the loop; the connection belongs to the Store.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return nil
}
