package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"
)

// checkpointEvery is how often a SQLite database's write-ahead log is copied back
// into the database file in the background.
//
// SQLite checkpoints on its own when a commit leaves 1 000 pages or more in the
// log, inside that commit, while the cashier's writer holds the write lock: on a
// database of a million transfers a checkpoint takes 15–20 ms, most of it waiting
// on the disk, and every notification of the batch waited with it. Checkpointing
// every 100 ms keeps the log short of that, so commits rarely checkpoint; a PASSIVE
// checkpoint waits for no reader or writer, and once it has copied the whole log
// the next write starts the log again from its beginning. If this goroutine falls
// behind, SQLite's own checkpoint still bounds the log.
const checkpointEvery = 100 * time.Millisecond

// checkpoints runs PASSIVE checkpoints on pool every interval until the pool is
// closed, and closes the returned channel then.
func checkpoints(pool *sql.DB, every time.Duration, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		failing := false
		for range t.C {
			_, err := pool.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
			switch {
			case errors.Is(err, sql.ErrConnDone) || err != nil && err.Error() == "sql: database is closed":
				return
			case err != nil && !failing:
				log.Warn("background checkpoint failed; SQLite checkpoints in its commits meanwhile", "err", err)
				failing = true
			case err == nil:
				failing = false
			}
		}
	}()
	return done
}
