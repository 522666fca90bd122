package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/logging/logtest"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/payment/testgateway"
	"github.com/hushpay/hushpay/internal/store"
	"github.com/hushpay/hushpay/internal/store/storetest"
)

// env is a running API over a real store and payment service with the test gateway.
type env struct {
	t       *testing.T
	backend storetest.Backend
	store   *store.Store
	svc     *payment.Service
	gw      *testgateway.Gateway
	api     *api.Server
	srv     *httptest.Server
	logs    *logtest.Buffer
	tenant  string
	keys    map[string]string // scope set name → key
}

type envOption func(*api.Options)

func newEnv(t *testing.T, b storetest.Backend, opts ...envOption) *env {
	t.Helper()
	logs := &logtest.Buffer{}
	log, err := logging.New(logs, "json", "debug")
	if err != nil {
		t.Fatal(err)
	}
	gw := testgateway.New(0)
	svc, err := payment.NewService(b.Store, gw, payment.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	o := api.Options{Store: b.Store, Payments: svc, Logger: log, SSEKeepalive: time.Second}
	for _, f := range opts {
		f(&o)
	}
	a := api.New(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		<-done
	})
	e := &env{t: t, backend: b, store: b.Store, svc: svc, gw: gw, api: a, srv: srv, logs: logs, keys: map[string]string{}}
	e.tenant = e.newTenant("Acme")
	for name, scopes := range map[string][]string{
		"read":   {api.ScopeSessionsRead},
		"write":  {api.ScopeSessionsRead, api.ScopeSessionsWrite},
		"calls":  {api.ScopeCallsRead, api.ScopeCallsWrite},
		"admin":  {api.ScopeAdmin},
		"system": {api.ScopeAdmin, api.ScopeSystem},
	} {
		k, err := api.CreateKey(ctx, b.Store, e.tenant, name, "", scopes)
		if err != nil {
			t.Fatal(err)
		}
		e.keys[name] = k.Key
	}
	return e
}

func (e *env) newTenant(name string) string {
	e.t.Helper()
	tn := &store.Tenant{Name: name}
	if err := e.store.CreateTenant(context.Background(), tn); err != nil {
		e.t.Fatal(err)
	}
	return tn.ID
}

// res is an HTTP answer.
type res struct {
	status int
	header http.Header
	body   []byte
}

func (r res) err() api.Error {
	var e api.Error
	_ = json.Unmarshal(r.body, &e)
	return e
}

func (r res) session(t *testing.T) payment.Session {
	t.Helper()
	var s payment.Session
	if err := json.Unmarshal(r.body, &s); err != nil {
		t.Fatalf("decode session: %v: %s", err, r.body)
	}
	return s
}

// do sends a request; body may be a string (sent as is) or a value (sent as JSON). Extra
// headers come in pairs.
func (e *env) do(method, path, key string, body any, headers ...string) res {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return res{resp.StatusCode, resp.Header, b}
}

// createSession creates a sale paired with callID and returns it.
func (e *env) createSession(key, idem, callID string, amount int64) payment.Session {
	e.t.Helper()
	r := e.do("POST", "/v1/sessions", e.keys["write"], map[string]any{"amount": amount, "currency": "GBP", "account_ref": "INV-1", "agent_id": "agent-7", "call_id": callID},
		"Idempotency-Key", idem)
	if r.status != http.StatusCreated {
		e.t.Fatalf("create session: %d %s", r.status, r.body)
	}
	return r.session(e.t)
}

// expiry returns an MMYY expiry a year ahead.
func expiry() string {
	n := time.Now().AddDate(1, 0, 0)
	return fmt.Sprintf("%02d%02d", int(n.Month()), n.Year()%100)
}

// keyCard secures the session's call and keys a card as the media layer would: each digit
// through payment.Service.Digit from the customer's side.
func (e *env) keyCard(sess payment.Session, callID, pan, cvv string) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.svc.SetSecure(ctx, sess.Tenant, sess.ID, true); err != nil {
		e.t.Fatalf("secure on: %v", err)
	}
	e.keyDigits(callID, pan+"#"+expiry()+cvv)
}

func (e *env) keyDigits(callID, digits string) {
	e.t.Helper()
	for i := 0; i < len(digits); i++ {
		err := e.svc.Digit(context.Background(), callID, digits[i], payment.Source{Side: payment.SideCustomer, Transport: payment.TransportRFC4733})
		if digits[i] == '#' && errors.Is(err, payment.ErrIgnored) {
			continue // the field had already ended at its full length
		}
		if err != nil {
			e.t.Fatalf("digit %d: %v", i, err)
		}
	}
}

var _ = slog.Default
