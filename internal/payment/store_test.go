package payment_test

import (
	"os"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/payment/testgateway"
	"github.com/hushpay/hushpay/internal/store/storetest"
)

// TestWithSQLiteStore runs the Service on the real SQLite store (internal/store) with the
// public test cards, then scans the database files (main, WAL, shared memory) for card data.
func TestWithSQLiteStore(t *testing.T) {
	st, path := storetest.SQLite(t)
	gw := testgateway.New(0)
	clock := &fakeClock{now: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	h := &harness{t: t, gw: gw, clock: clock, secure: map[string]bool{}}
	log, _ := logging.New(os.Stderr, "text", "warn")
	svc, err := payment.NewService(st, gw, payment.Options{Clock: clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	e := &errs{}
	for i, c := range securityCards {
		if i == 3 {
			gw.Inject(testgateway.FaultAnswerLost, testgateway.FaultUnavailable) // one in doubt
		}
		runCardThrough(t, h, e, c.pan, c.cvv)
	}
	if _, err := svc.ResolvePending(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := svc.List(ctx, payment.Filter{Tenant: "t1", Status: []payment.Status{payment.StatusApproved}})
	if err != nil || len(list) == 0 {
		t.Fatalf("approved sessions: %d %v", len(list), err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			continue
		}
		scan(t, "database file "+suffix, string(b))
	}
	scan(t, "error texts", joinErrs(e))
}

func joinErrs(e *errs) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := ""
	for _, s := range e.txt {
		out += s + "\n"
	}
	return out
}
