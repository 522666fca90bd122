// Package testpeer finds the real programs that integration tests and benchmarks talk to
// (sipp, baresip, multimon-ng, a spandsp DTMF decoder, PostgreSQL, a browser). When one is
// missing, the test is skipped with a clear message on a developer machine and fails when
// CI=true, so that a green CI run means every peer really ran.
package testpeer

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true), where a missing peer is a failure.
func InCI() bool {
	v := os.Getenv("CI")
	return v == "true" || v == "1"
}

// Missing skips t (or fails it under CI) because a peer is not available.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("peer missing under CI=true: %s (run ./scripts/test, which installs it)", msg)
	}
	t.Skipf("peer missing: %s (run ./scripts/test to install it)", msg)
}

// LookPath returns the path of a program on PATH, or skips/fails t when it is missing.
// pkg names the Debian package that provides it.
func LookPath(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s not on PATH (Debian package %s)", name, pkg)
	}
	return p
}

// Postgres returns the connection string of the test PostgreSQL database from
// HUSHPAY_TEST_POSTGRES, or skips/fails t when it is not set.
func Postgres(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("HUSHPAY_TEST_POSTGRES")
	if dsn == "" {
		Missing(t, "HUSHPAY_TEST_POSTGRES is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return dsn
}
