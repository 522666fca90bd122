// Package storetest opens throw-away stores for tests: SQLite in a temporary directory, and
// PostgreSQL (when HUSHPAY_TEST_POSTGRES names a server) in a schema of its own that is
// dropped when the test ends, so that parallel test runs never see each other's rows.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/hushpay/hushpay/internal/store"
	"github.com/hushpay/hushpay/internal/testpeer"
)

// SQLite opens a store on a new database file in t's temporary directory and returns it
// with the file's path (to scan the file, its WAL and SHM for card data).
func SQLite(t testing.TB) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hushpay.db")
	s, err := store.Open(context.Background(), store.Options{Driver: store.DriverSQLite, DSN: path})
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

// Postgres opens a store in a new schema of the test PostgreSQL database and returns it
// with its DSN (which selects that schema). It skips (or fails under CI) when no server is
// configured. The schema is dropped when t ends.
func Postgres(t testing.TB) (*store.Store, string) {
	t.Helper()
	dsn := PostgresDSN(t)
	s, err := store.Open(context.Background(), store.Options{Driver: store.DriverPostgres, DSN: dsn, PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, dsn
}

// PostgresDSN creates an empty schema with a random name in the test database and returns a
// DSN whose search_path selects it. The schema is dropped when t ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := testpeer.Postgres(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "hushpay_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		testpeer.Missing(t, "postgres at HUSHPAY_TEST_POSTGRES not usable: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("HUSHPAY_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Backend is one store to run a behaviour test against.
type Backend struct {
	Name  string
	Store *store.Store
	// Where is the SQLite file path or the PostgreSQL DSN.
	Where string
}

// Each runs fn as a subtest once per backend: SQLite always, PostgreSQL when configured.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		s, p := SQLite(t)
		fn(t, Backend{Name: store.DriverSQLite, Store: s, Where: p})
	})
	t.Run("postgres", func(t *testing.T) {
		s, dsn := Postgres(t)
		fn(t, Backend{Name: store.DriverPostgres, Store: s, Where: dsn})
	})
}

// Exec runs a statement on the backend's database behind the store's back (to tamper with
// rows in tests).
func Exec(t testing.TB, b Backend, query string) error {
	t.Helper()
	driver, dsn := "pgx", b.Where
	if b.Name == store.DriverSQLite {
		driver, dsn = "sqlite", b.Where
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(query)
	return err
}
