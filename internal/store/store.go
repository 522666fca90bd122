// Package store keeps Hushpay's records: tenants, API keys, payment sessions and attempts,
// gateway tokens, the event stream, webhook deliveries and the audit log. It runs on SQLite
// (embedded, one node) or PostgreSQL (several nodes sharing one database) with one schema
// applied by goose migrations.
//
// Nothing the store writes can hold a card number or a security code: the schema has no
// column for them, and every write is checked for card-number-shaped values (ErrCardData).
//
// Concurrency: on SQLite every write goes through one connection (a single writer, so
// concurrent writes queue instead of failing with SQLITE_BUSY) while reads use a pool over
// the WAL. On PostgreSQL, writes that append events take a transaction-scoped advisory lock
// so that event ids become visible in id order (a reader that follows "id > last" never
// skips an event that commits late).
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Driver names accepted by Open.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Options configures Open.
type Options struct {
	// Driver is DriverSQLite or DriverPostgres.
	Driver string
	// DSN is a file path for SQLite, a libpq URL for PostgreSQL.
	DSN string
	// BusyTimeout is how long a SQLite connection waits on a lock before failing
	// (default 5s).
	BusyTimeout time.Duration
	// MaxConns bounds the reader pool (SQLite) or the whole pool (PostgreSQL); default 8.
	MaxConns int
	// PollInterval is how often a PostgreSQL store looks for events written by other nodes
	// when LISTEN/NOTIFY is unavailable (default 1s). Ignored on SQLite.
	PollInterval time.Duration
}

// Store is an open database. It is safe for concurrent use.
type Store struct {
	driver string
	write  *sql.DB // SQLite: one connection; PostgreSQL: the same pool as read
	read   *sql.DB
	ckpt   *sql.DB // SQLite: the connection that checkpoints the write-ahead log
	now    func() time.Time

	rstmts  *stmtCache // prepared reads
	wstmts  *stmtCache // prepared writes
	changed *broadcast // closed and replaced each time new events are committed
	stop    context.CancelFunc
	wg      sync.WaitGroup

	closeOnce sync.Once
}

// Open connects to the database described by o, applies any pending migrations and
// returns the store.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 8
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	s := &Store{driver: o.Driver, now: time.Now, changed: newBroadcast()}
	var err error
	switch o.Driver {
	case DriverSQLite:
		err = s.openSQLite(ctx, o)
	case DriverPostgres:
		err = s.openPostgres(ctx, o)
	default:
		return nil, fmt.Errorf("%w: %q", ErrDriver, o.Driver)
	}
	if err != nil {
		s.closeDBs()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	cache := o.Driver == DriverSQLite
	s.rstmts, s.wstmts = newStmtCache(s.read, cache), newStmtCache(s.write, cache)
	bg, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	switch o.Driver {
	case DriverPostgres:
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.listenPostgres(bg, o) }()
	case DriverSQLite:
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.checkpointSQLite(bg) }()
	}
	return s, nil
}

// Driver reports which database the store runs on.
func (s *Store) Driver() string { return s.driver }

// Close stops background work and closes the database.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.stop != nil {
			s.stop()
		}
		s.wg.Wait()
		err = s.closeDBs()
	})
	return err
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.rstmts != nil {
		s.rstmts.close()
		s.wstmts.close()
	}
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	if s.read != nil && s.read != s.write {
		errs = append(errs, s.read.Close())
	}
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.Close())
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers (for the health endpoint).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// q rewrites a query written with ? placeholders for the store's driver.
func (s *Store) q(query string) string {
	if s.driver != DriverPostgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// exec runs a write outside a transaction after checking its arguments for card data.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := checkNoCard(args...); err != nil {
		return nil, err
	}
	st, err := s.wstmts.get(ctx, s.q(query))
	if err != nil {
		return s.write.ExecContext(ctx, s.q(query), args...)
	}
	return st.ExecContext(ctx, args...)
}

// queryRow runs a read through the statement cache.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := s.rstmts.get(ctx, s.q(query))
	if err != nil {
		return s.read.QueryRowContext(ctx, s.q(query), args...) // reports the error
	}
	return st.QueryRowContext(ctx, args...)
}

// query runs a read through the statement cache.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.rstmts.get(ctx, s.q(query))
	if err != nil {
		return s.read.QueryContext(ctx, s.q(query), args...)
	}
	return st.QueryContext(ctx, args...)
}

// stmtCache keeps prepared statements by query text. SQLite (modernc) otherwise parses every
// statement on every call, which was a fifth of the CPU time of a digit; pgx caches
// prepared statements per connection itself, so the PostgreSQL store bypasses this one.
type stmtCache struct {
	db     *sql.DB
	on     bool
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	wanted map[string]bool
}

func newStmtCache(db *sql.DB, on bool) *stmtCache {
	return &stmtCache{db: db, on: on, m: map[string]*sql.Stmt{}}
}

// errNoCache tells callers to run the query directly.
var errNoCache = errors.New("store: statement cache off")

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if !c.on {
		return nil, errNoCache
	}
	c.mu.Lock()
	st, ok := c.m[query]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	// Prepare without holding mu: preparing waits for a connection, and the goroutine that
	// holds the write connection may need mu (peek) to finish its transaction.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok { // prepared meanwhile by another caller
		st.Close()
		return old, nil
	}
	if len(c.m) >= 500 { // dynamic queries are bounded, but never grow without limit
		for k, old := range c.m {
			old.Close()
			delete(c.m, k)
		}
	}
	c.m[query] = st
	return st, nil
}

// peek returns the statement for query if it is prepared already; if not, it notes the
// query for prepareWanted. Inside a transaction nothing may be prepared on the database:
// on SQLite the transaction holds the only write connection, so preparing would wait for it
// forever.
func (c *stmtCache) peek(query string) (*sql.Stmt, bool) {
	if !c.on {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[query]
	if !ok {
		if c.wanted == nil {
			c.wanted = map[string]bool{}
		}
		c.wanted[query] = true
	}
	return st, ok
}

// prepareWanted prepares the queries peek missed; called once a transaction has ended.
func (c *stmtCache) prepareWanted() {
	if !c.on {
		return
	}
	c.mu.Lock()
	wanted := c.wanted
	c.wanted = nil
	c.mu.Unlock()
	for q := range wanted {
		_, _ = c.get(context.Background(), q)
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.m {
		st.Close()
		delete(c.m, k)
	}
}

// tx is a write transaction that checks every argument for card data.
type tx struct {
	s  *Store
	tx *sql.Tx
	// events is set when the transaction appended events, so that Commit wakes readers.
	events bool
}

// begin starts a write transaction.
func (s *Store) begin(ctx context.Context) (*tx, error) {
	t, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	return &tx{s: s, tx: t}, nil
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := checkNoCard(args...); err != nil {
		return nil, err
	}
	if st, ok := t.s.wstmts.peek(t.s.q(query)); ok {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, t.s.q(query), args...)
}

func (t *tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := t.s.wstmts.peek(t.s.q(query)); ok {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, t.s.q(query), args...)
}

func (t *tx) commit() error {
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if t.events {
		t.s.changed.notify()
	}
	t.s.wstmts.prepareWanted()
	return nil
}

func (t *tx) rollback() {
	_ = t.tx.Rollback()
	t.s.wstmts.prepareWanted()
}

// withTx runs fn in a write transaction, committing when it returns nil.
func (s *Store) withTx(ctx context.Context, fn func(t *tx) error) error {
	t, err := s.begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(t); err != nil {
		t.rollback()
		return err
	}
	return t.commit()
}

// ts is the store's time unit: nanoseconds since the Unix epoch, UTC.
func ts(t time.Time) int64 { return t.UnixNano() }

func fromTS(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// NewID returns a random identifier with the given prefix ("ps_", "key_"): 80 random bits
// in lower-case base32, so identifiers never look like card numbers.
func NewID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// isUniqueViolation reports whether err is a unique-constraint failure on either driver.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || // SQLite
		strings.Contains(msg, "SQLSTATE 23505") // PostgreSQL unique_violation
}
