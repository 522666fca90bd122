// Package storetest opens throw-away stores for tests: SQLite in a temporary directory, and
// PostgreSQL (when HUSHPAY_TEST_POSTGRES names a server) in a schema of its own that is
// dropped when the test ends, so that parallel test runs never see each other's rows.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
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

// Dump returns the text of every row of every table of the backend's database, one row a
// line, as "table: col=value …" (to scan what is at rest for card data).
func Dump(t testing.TB, b Backend) string {
	t.Helper()
	driver, listTables := "pgx", `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`
	if b.Name == store.DriverSQLite {
		driver, listTables = "sqlite", `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1`
	}
	db, err := sql.Open(driver, b.Where)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(listTables)
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 5 {
		t.Fatalf("dump: only %d tables found: %v", len(tables), tables)
	}
	var out strings.Builder
	for _, tbl := range tables {
		rows, err := db.Query(`SELECT * FROM "` + tbl + `"`)
		if err != nil {
			t.Fatalf("dump %s: %v", tbl, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out.WriteString(tbl + ":")
			for i, c := range cols {
				v := vals[i]
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(&out, " %s=%v", c, v)
			}
			out.WriteByte('\n')
		}
		rows.Close()
	}
	return out.String()
}
