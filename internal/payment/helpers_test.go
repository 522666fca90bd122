package payment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/payment/paymenttest"
	"github.com/hushpay/hushpay/internal/payment/testgateway"
)

// fakeClock is a Clock whose time moves only when the test says so; due timers run in
// Advance, on the test's goroutine.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c       *fakeClock
	at      time.Time
	f       func()
	stopped bool
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) payment.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the time on and runs the timers that fall due, in order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	keep := c.timers[:0]
	for _, t := range c.timers {
		if t.stopped {
			continue
		}
		if !t.at.After(c.now) {
			t.stopped = true
			due = append(due, t)
		} else {
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, t := range due {
		t.f()
	}
}

// harness is a Service over an in-memory repository and the test gateway, with everything
// it emits collected for inspection.
type harness struct {
	t      testing.TB
	svc    *payment.Service
	repo   *paymenttest.MemRepo
	gw     *testgateway.Gateway
	clock  *fakeClock
	logs   *bytes.Buffer
	mu     sync.Mutex
	events []*payment.Event
	secure map[string]bool
	ids    int
}

func newHarness(t testing.TB, mod ...func(*payment.Options)) *harness {
	t.Helper()
	return newHarnessConn(t, nil, mod...)
}

// newHarnessConn uses conn as the connector (the test gateway when nil).
func newHarnessConn(t testing.TB, conn payment.Connector, mod ...func(*payment.Options)) *harness {
	t.Helper()
	h := &harness{t: t, repo: paymenttest.NewMemRepo(), gw: testgateway.New(0),
		clock: &fakeClock{now: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}, logs: &bytes.Buffer{},
		secure: map[string]bool{}}
	log, err := logging.New(h.logs, "json", "debug")
	if err != nil {
		t.Fatal(err)
	}
	opts := payment.Options{
		Clock: h.clock, Logger: log,
		NewID: func(prefix string) string {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.ids++
			return prefix + "_" + letters(h.ids)
		},
		OnEvent: func(e *payment.Event) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.events = append(h.events, e)
		},
		OnSecure: func(callID string, on bool) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.secure[callID] = on
		},
	}
	for _, m := range mod {
		m(&opts)
	}
	if conn == nil {
		conn = h.gw
	}
	h.svc, err = payment.NewService(h.repo, conn, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var ctx = context.Background()

// letters writes n in base 26 with letters only, so that test IDs hold no digits that the
// security scan could mistake for card data.
func letters(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('a' + n%26)}, b...)
		n /= 26
		if n == 0 {
			return string(b)
		}
	}
}

func (h *harness) create(req payment.CreateRequest) *payment.Session {
	h.t.Helper()
	if req.Tenant == "" {
		req.Tenant = "t1"
	}
	if req.IdempotencyKey == "" {
		h.mu.Lock()
		h.ids++
		req.IdempotencyKey = fmt.Sprintf("key-%d", h.ids)
		h.mu.Unlock()
	}
	if req.Currency == "" {
		req.Currency = "GBP"
	}
	if req.Amount == 0 && req.Type != payment.TypeVerify && req.Type != payment.TypeTokenize {
		req.Amount = 1999
	}
	s, created, err := h.svc.Create(ctx, req)
	if err != nil || !created {
		h.t.Fatalf("create: %v (created %v)", err, created)
	}
	return s
}

// secureCall pairs the session with call by keying its call reference on the agent side.
func (h *harness) secureCall(s *payment.Session, call string) {
	h.t.Helper()
	for i := 0; i < len(s.Pairing.CallRef); i++ {
		err := h.svc.Digit(ctx, call, s.Pairing.CallRef[i], payment.Source{Side: payment.SideAgent, Transport: payment.TransportRFC4733})
		if i < len(s.Pairing.CallRef)-1 && !errors.Is(err, payment.ErrIgnored) {
			h.t.Fatalf("agent digit %d: %v", i, err)
		}
		if i == len(s.Pairing.CallRef)-1 && err != nil {
			h.t.Fatalf("pairing: %v", err)
		}
	}
	got := h.get(s)
	if !got.Secure || got.Pairing.CallID != call {
		h.t.Fatalf("not paired/secure: %+v", got.Pairing)
	}
}

// key feeds customer keys on a call.
func (h *harness) key(call, keys string) {
	h.t.Helper()
	for i := 0; i < len(keys); i++ {
		h.clock.Advance(200 * time.Millisecond)
		if err := h.svc.Digit(ctx, call, keys[i], payment.Source{Side: payment.SideCustomer, Transport: payment.TransportInband}); err != nil {
			h.t.Fatalf("customer key %d: %v", i, err)
		}
	}
}

func (h *harness) get(s *payment.Session) *payment.Session {
	h.t.Helper()
	got, err := h.svc.Get(ctx, s.Tenant, s.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return got
}

// eventTypes lists the types of a session's stored events.
func (h *harness) eventTypes(s *payment.Session) []payment.EventType {
	h.t.Helper()
	evs, err := h.svc.Events(ctx, s.Tenant, s.ID, 0, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []payment.EventType
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			h.t.Fatalf("event %d has seq %d", i, e.Seq)
		}
		out = append(out, e.Type)
	}
	return out
}

// emitted returns everything the harness collected, as text: events (JSON), logs and the
// repository's contents.
func (h *harness) emitted() string {
	h.mu.Lock()
	evs, _ := json.Marshal(h.events)
	h.mu.Unlock()
	return string(evs) + "\n" + h.logs.String() + "\n" + string(h.repo.Dump())
}

var _ = slog.Default
var _ capture.FieldName
