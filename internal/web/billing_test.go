package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/config"
)

func TestLookupInvoices(t *testing.T) {
	answers := map[string]struct {
		status int
		body   string
	}{
		"A1":    {200, `{"invoices":[{"id":"INV-1","description":"Gas","amount":1250,"currency":"gbp","due_date":"2026-12-01"},{"id":"INV-2","amount":0,"currency":"GBP"},{"id":"4242424242424242","amount":5,"currency":"GBP"},{"id":"INV-3","description":"card 4000 0000 0000 0002","amount":5,"currency":"GBP"},{"id":"INV-4","amount":5,"currency":"EURO"}]}`},
		"none":  {404, ``},
		"empty": {200, `{"invoices":[]}`},
		"bad":   {200, `{"invoices":`},
		"down":  {503, `oops`},
		"slow":  {200, `{}`},
	}
	var (
		mu                  sync.Mutex
		gotAuth, gotAccount string
	)
	got := func() (string, string) { mu.Lock(); defer mu.Unlock(); return gotAuth, gotAccount }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		acc := r.URL.Query().Get("account")
		mu.Lock()
		gotAuth, gotAccount = r.Header.Get("Authorization"), acc
		mu.Unlock()
		if acc == "slow" {
			time.Sleep(300 * time.Millisecond)
		}
		a, ok := answers[acc]
		if !ok {
			a.status = 404
		}
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	defer srv.Close()
	s := &Server{opts: Options{Config: config.Web{Billing: config.Billing{URL: srv.URL + "/inv?account={account}", Token: "tok", Timeout: 100 * time.Millisecond}},
		HTTPClient: srv.Client()}}
	inv, err := s.lookupInvoices(context.Background(), "A1")
	if auth, _ := got(); err != nil || len(inv) != 1 || inv[0].ID != "INV-1" || inv[0].Currency != "GBP" || inv[0].Major() != "12.50" || auth != "Bearer tok" {
		t.Fatalf("A1: %+v %v (auth %q)", inv, err, auth)
	}
	for _, acc := range []string{"none", "empty"} {
		if inv, err := s.lookupInvoices(context.Background(), acc); err != nil || len(inv) != 0 {
			t.Errorf("%s: %+v %v", acc, inv, err)
		}
	}
	for _, acc := range []string{"bad", "down", "slow"} {
		if _, err := s.lookupInvoices(context.Background(), acc); !errors.Is(err, ErrBilling) {
			t.Errorf("%s: %v", acc, err)
		}
	}
	// The account is escaped into the URL.
	_, err = s.lookupInvoices(context.Background(), "a&b c")
	if _, acc := got(); err != nil || acc != "a&b c" {
		t.Errorf("escaping: %v, server got %q", err, acc)
	}
}
