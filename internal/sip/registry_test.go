package sip

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/media"
	"github.com/hushpay/hushpay/internal/payment"
)

// fakePayments records what the registry asks of the payment service.
type fakePayments struct {
	mu     sync.Mutex
	secure []bool
	reg    *Registry
	callID string
	setErr error
	ended  []string
	digits int
}

func (f *fakePayments) Digit(context.Context, string, byte, payment.Source) error {
	f.mu.Lock()
	f.digits++
	f.mu.Unlock()
	return payment.ErrIgnored
}

func (f *fakePayments) PairCall(_ context.Context, _ payment.PairingKind, value, callID string) (*payment.Session, error) {
	return &payment.Session{ID: "ps_1", Tenant: "t1"}, nil
}

func (f *fakePayments) SetSecure(_ context.Context, tenant, id string, on bool) (*payment.Session, error) {
	f.mu.Lock()
	f.secure = append(f.secure, on)
	err := f.setErr
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	f.reg.OnSecure(f.callID, on) // as payment.Service does after storing the change
	return &payment.Session{ID: id, Tenant: tenant, Secure: on}, nil
}

func (f *fakePayments) List(context.Context, payment.Filter) ([]*payment.Session, error) {
	return nil, nil
}

func (f *fakePayments) CallEnded(_ context.Context, callID string) error {
	f.mu.Lock()
	f.ended = append(f.ended, callID)
	f.mu.Unlock()
	return nil
}

func testCall(t *testing.T, r *Registry, codecs []media.Codec) *call {
	t.Helper()
	pool, err := media.NewPortPool(netip.MustParseAddr("127.0.0.1"), 43000, 43100)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ms, err := media.NewSession(ctx, media.OptionsFromConfig(config.Default().Media, pool))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close(); cancel() })
	if err := ms.Leg(media.Customer).SetCodecs(codecs); err != nil {
		t.Fatal(err)
	}
	c := &call{id: newCallID(), mode: ModeInline, inID: "in-1", header: "crm-7", start: time.Now(), ctx: ctx,
		cancel: cancel, ms: ms, state: StateAnswered, acked: make(chan struct{})}
	if !r.reserve() {
		t.Fatal("no slot")
	}
	r.add(c)
	return c
}

func TestRegistry(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fp := &fakePayments{}
	r := NewRegistry(1, fp, log)
	fp.reg = r
	var events []Event
	var mu sync.Mutex
	unsub := r.Subscribe(func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() })
	defer unsub()

	c := testCall(t, r, []media.Codec{{PT: 0, Name: "PCMU"}, {PT: 101, Name: "telephone-event"}})
	fp.callID = c.id
	if r.reserve() {
		t.Fatal("second slot with max 1")
	}
	if got, err := r.FindByHeader("crm-7"); err != nil || got.ID != c.id {
		t.Fatalf("FindByHeader: %v %v", got, err)
	}
	if got, err := r.FindBySIPCallID("in-1"); err != nil || got.ID != c.id {
		t.Fatalf("FindBySIPCallID: %v %v", got, err)
	}
	if _, err := r.Get("nope"); !errors.Is(err, ErrNoCall) {
		t.Fatalf("Get unknown: %v", err)
	}
	if _, err := r.SetSecure(context.Background(), c.id, true); !errors.Is(err, ErrNotPaired) {
		t.Fatalf("SetSecure unpaired: %v", err)
	}
	r.PaymentEvent(&payment.Event{Type: payment.EventSessionPaired, SessionID: "ps_1", Tenant: "t1",
		Data: payment.NewData(payment.Str("call_id", c.id))})
	if got, _ := r.FindBySession("t1", "ps_1"); got.ID != c.id {
		t.Fatal("pairing not learnt from the payment event")
	}
	got, err := r.SetSecure(context.Background(), c.id, true)
	if err != nil || !got.Secure || !c.ms.Secure() {
		t.Fatalf("SetSecure on: %+v %v (media %v)", got, err, c.ms.Secure())
	}
	if got, err := r.SetSecure(context.Background(), c.id, false); err != nil || got.Secure {
		t.Fatalf("SetSecure off: %+v %v", got, err)
	}
	mu.Lock()
	n := len(events)
	mu.Unlock()
	if n < 4 {
		t.Fatalf("%d events, want started + updates", n)
	}
	r.remove(c)
	r.release()
	if r.Active() != 0 || len(r.Calls()) != 0 {
		t.Fatal("call left after remove")
	}
}

// TestRegistryCannotSecure: a call whose customer codecs the relay cannot decode refuses secure
// mode with the reason, and never asks the payment service.
func TestRegistryCannotSecure(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	fp := &fakePayments{}
	r := NewRegistry(5, fp, log)
	fp.reg = r
	c := testCall(t, r, []media.Codec{{PT: 18, Name: "G729"}})
	fp.callID = c.id
	c.setCannot("no PCMU or PCMA in the audio codecs (G729)")
	r.setSession(c, "t1", "ps_1", "")
	_, err := r.SetSecure(context.Background(), c.id, true)
	if !errors.Is(err, ErrCannotSecure) || len(fp.secure) != 0 {
		t.Fatalf("err %v, payment asked %v", err, fp.secure)
	}
	// The payment service turning it on anyway (agent keyed the call reference): the relay
	// refuses and the session is turned off again.
	r.OnSecure(c.id, true)
	if c.ms.Secure() {
		t.Fatal("media secure on an unmaskable call")
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		fp.mu.Lock()
		n := len(fp.secure)
		fp.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if len(fp.secure) != 1 || fp.secure[0] {
		t.Fatalf("session not turned off after the relay refused: %v", fp.secure)
	}
}
