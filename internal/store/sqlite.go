package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go
)

// openSQLite opens two pools on the same file: one connection for every write (SQLite has
// one writer at a time; queueing in Go is cheaper and surer than busy retries), and a pool of
// read-only connections that read concurrently over the write-ahead log.
func (s *Store) openSQLite(ctx context.Context, o Options) error {
	path := o.DSN
	if path == "" {
		return fmt.Errorf("store: sqlite needs a file path")
	}
	if strings.HasPrefix(path, "file:") || strings.Contains(path, "?") || path == ":memory:" {
		return fmt.Errorf("store: sqlite dsn must be a plain file path, got %q", path)
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?"
	pragmas := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)",
		o.BusyTimeout.Milliseconds())
	// The writer never checkpoints itself (a checkpoint syncs the database file and would
	// stall the commit that triggered it); checkpointSQLite does it beside the writer.
	w, err := sql.Open("sqlite", base+pragmas+"&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s.write = w
	if err := w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", base+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	r.SetMaxOpenConns(o.MaxConns)
	r.SetMaxIdleConns(o.MaxConns)
	s.read = r
	c, err := sql.Open("sqlite", base+pragmas)
	if err != nil {
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	c.SetMaxOpenConns(1)
	s.ckpt = c
	return nil
}

// checkpointInterval is how often the write-ahead log is copied back into the database.
const checkpointInterval = 500 * time.Millisecond

// checkpointSQLite copies the write-ahead log into the database file on its own
// connection, so that commits never wait for the file to be synced. A passive checkpoint
// does not block the writer or readers; the log restarts from its beginning once a
// checkpoint has caught up. On close, a last truncating checkpoint leaves a clean file.
func (s *Store) checkpointSQLite(ctx context.Context) {
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			_, _ = s.ckpt.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`)
			return
		case <-t.C:
			if _, err := s.ckpt.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil && ctx.Err() == nil {
				slog.Debug("store: checkpoint", "err", err)
			}
		}
	}
}
