package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/hushpay/hushpay/internal/demo"
)

func TestDemoCardHandler(t *testing.T) {
	dm, err := demo.New(demo.Options{Hushpay: "127.0.0.1:1", AgentListen: "127.0.0.1:0", Host: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	h := demoCardHandler(dm)
	tests := []struct {
		card, remote string
		want         int
	}{
		{"declined", "127.0.0.1:5000", 200},
		{"4242424242424242", "127.0.0.1:5000", 400}, // names only, never a card number
		{"nope", "127.0.0.1:5000", 400},
		{"approved", "192.0.2.1:5000", 403},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("POST", "/demo/card", strings.NewReader(url.Values{"card": {tc.card}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = tc.remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("card %q from %s: %d, want %d", tc.card, tc.remote, w.Code, tc.want)
		}
	}
	if dm.CardName() != "declined" {
		t.Fatalf("card %q", dm.CardName())
	}
}

func TestDemoInvoices(t *testing.T) {
	for _, tc := range []struct {
		account string
		n       int
	}{{"ACME-1001", 2}, {"other", 0}} {
		w := httptest.NewRecorder()
		demoInvoices(w, httptest.NewRequest("GET", "/demo/invoices?account="+tc.account, nil))
		var a struct {
			Invoices []map[string]any `json:"invoices"`
		}
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &a) != nil || len(a.Invoices) != tc.n {
			t.Errorf("%s: %d %s", tc.account, w.Code, w.Body)
		}
	}
}
