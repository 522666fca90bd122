package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

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
	w, err := sql.Open("sqlite", base+pragmas+"&_txlock=immediate")
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
	return nil
}
