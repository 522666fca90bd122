package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/payment"
)

// Payments is what the SIP layer needs of the payment service (*payment.Service).
type Payments interface {
	// Digit hands over one key press of a call (see payment.Service.Digit).
	Digit(ctx context.Context, callID string, d byte, src payment.Source) error
	// PairCall ties the active session with a pairing value to a call.
	PairCall(ctx context.Context, kind payment.PairingKind, value, callID string) (*payment.Session, error)
	// SetSecure turns secure mode on or off for a session's paired call.
	SetSecure(ctx context.Context, tenant, id string, on bool) (*payment.Session, error)
	// CallEnded forgets a call.
	CallEnded(ctx context.Context, callID string) error
	// List returns sessions (a conference leg looks up the session of the agent whose ID the
	// PBX keyed).
	List(ctx context.Context, f payment.Filter) ([]*payment.Session, error)
}

// EventType names a change of a call.
type EventType string

// Call events.
const (
	EventStarted EventType = "call.started"
	EventUpdated EventType = "call.updated"
	EventEnded   EventType = "call.ended"
)

// Event is one change of a call, with the call as it is after the change.
type Event struct {
	Type EventType
	Call Call
}

// Registry keeps the node's active calls: it lists them, finds them, reports every change to
// its subscribers, and turns secure mode on and off. It is safe for concurrent use.
type Registry struct {
	max      int64
	payments atomic.Pointer[Payments]
	log      *slog.Logger
	active   atomic.Int64

	mu    sync.Mutex
	byID  map[string]*call
	bySIP map[string]*call // both legs' SIP Call-IDs
	subs  []*subscriber
}

type subscriber struct{ fn func(Event) }

// NewRegistry returns a registry admitting at most maxCalls concurrent calls. payments may be
// nil (calls are then relayed but never paired).
func NewRegistry(maxCalls int, payments Payments, log *slog.Logger) *Registry {
	if log == nil {
		log = slog.Default()
	}
	r := &Registry{max: int64(maxCalls), log: log, byID: map[string]*call{}, bySIP: map[string]*call{}}
	if payments != nil {
		r.SetPayments(payments)
	}
	return r
}

// SetPayments sets the payment service after the registry was made: the registry is created
// first so that its OnSecure and PaymentEvent can be given to payment.NewService.
func (r *Registry) SetPayments(p Payments) {
	r.payments.Store(&p)
}

func (r *Registry) pay() Payments {
	if p := r.payments.Load(); p != nil {
		return *p
	}
	return nil
}

// Subscribe calls fn with every change of every call until the returned function is called.
// fn is called from SIP and media goroutines, in order per call; it must not block.
func (r *Registry) Subscribe(fn func(Event)) (unsubscribe func()) {
	s := &subscriber{fn: fn}
	r.mu.Lock()
	r.subs = append(r.subs, s)
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.subs = slices.DeleteFunc(r.subs, func(x *subscriber) bool { return x == s })
		r.mu.Unlock()
	}
}

func (r *Registry) notify(t EventType, c *call) {
	ev := Event{Type: t, Call: c.snapshot()}
	r.mu.Lock()
	subs := slices.Clone(r.subs)
	r.mu.Unlock()
	for _, s := range subs {
		s.fn(ev)
	}
}

// reserve takes a slot for a new call, false when the limit is reached.
func (r *Registry) reserve() bool {
	if r.active.Add(1) > r.max {
		r.active.Add(-1)
		return false
	}
	return true
}

func (r *Registry) release() { r.active.Add(-1) }

// Active returns the number of calls holding a slot (being set up or established).
func (r *Registry) Active() int { return int(r.active.Load()) }

func (r *Registry) add(c *call) {
	r.mu.Lock()
	r.byID[c.id] = c
	r.bySIP[c.inID] = c
	r.mu.Unlock()
	r.notify(EventStarted, c)
}

func (r *Registry) addOut(c *call, outID string) {
	c.mu.Lock()
	c.outID = outID
	c.mu.Unlock()
	r.mu.Lock()
	r.bySIP[outID] = c
	r.mu.Unlock()
}

func (r *Registry) remove(c *call) {
	c.mu.Lock()
	outID := c.outID
	c.mu.Unlock()
	r.mu.Lock()
	delete(r.byID, c.id)
	delete(r.bySIP, c.inID)
	if outID != "" {
		delete(r.bySIP, outID)
	}
	r.mu.Unlock()
}

// bySIPCallID returns the call with a leg of this SIP Call-ID and whether it is the customer
// leg.
func (r *Registry) bySIPCallID(id string) (*call, bool) {
	r.mu.Lock()
	c := r.bySIP[id]
	r.mu.Unlock()
	if c == nil {
		return nil, false
	}
	return c, c.inID == id
}

func (r *Registry) get(id string) *call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[id]
}

// Calls returns every active call.
func (r *Registry) Calls() []Call {
	r.mu.Lock()
	cs := make([]*call, 0, len(r.byID))
	for _, c := range r.byID {
		cs = append(cs, c)
	}
	r.mu.Unlock()
	out := make([]Call, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.snapshot())
	}
	slices.SortFunc(out, func(a, b Call) int { return a.StartedAt.Compare(b.StartedAt) })
	return out
}

// Get returns the call with Hushpay's call ID, or ErrNoCall.
func (r *Registry) Get(id string) (Call, error) {
	c := r.get(id)
	if c == nil {
		return Call{}, ErrNoCall
	}
	return c.snapshot(), nil
}

// FindBySIPCallID returns the call one of whose legs has this SIP Call-ID, or ErrNoCall.
func (r *Registry) FindBySIPCallID(id string) (Call, error) {
	c, _ := r.bySIPCallID(id)
	if c == nil {
		return Call{}, ErrNoCall
	}
	return c.snapshot(), nil
}

// FindByHeader returns the call whose INVITE carried the configured pairing header with this
// value, or ErrNoCall.
func (r *Registry) FindByHeader(value string) (Call, error) {
	if value == "" {
		return Call{}, ErrNoCall
	}
	for _, c := range r.Calls() {
		if c.Header == value {
			return c, nil
		}
	}
	return Call{}, ErrNoCall
}

// FindBySession returns the call paired with a payment session, or ErrNoCall.
func (r *Registry) FindBySession(tenant, sessionID string) (Call, error) {
	for _, c := range r.Calls() {
		if c.Tenant == tenant && c.SessionID == sessionID {
			return c, nil
		}
	}
	return Call{}, ErrNoCall
}

// SetSecure turns secure mode on or off for a call through its paired payment session (the
// agent's secure button): the payment service records the change and calls OnSecure, which
// masks. It fails with ErrNoCall, ErrCannotSecure (with the reason) or ErrNotPaired.
func (r *Registry) SetSecure(ctx context.Context, id string, on bool) (Call, error) {
	c := r.get(id)
	if c == nil {
		return Call{}, ErrNoCall
	}
	snap := c.snapshot()
	if on {
		if reason := r.cannotSecure(c); reason != "" {
			return snap, fmt.Errorf("%w: %s", ErrCannotSecure, reason)
		}
	}
	pay := r.pay()
	if snap.SessionID == "" || pay == nil {
		if !on { // nothing paired: just make sure the relay stops masking
			r.OnSecure(id, false)
			return c.snapshot(), nil
		}
		return snap, ErrNotPaired
	}
	if _, err := pay.SetSecure(ctx, snap.Tenant, snap.SessionID, on); err != nil {
		return snap, err
	}
	return c.snapshot(), nil
}

// cannotSecure returns why the call's media cannot be masked now, "" when it can.
func (r *Registry) cannotSecure(c *call) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.cannot != "":
		return c.cannot
	case c.ms == nil:
		return "the call has no media through the relay"
	case c.state == StateEnded:
		return "the call has ended"
	}
	return ""
}

// OnSecure is the payment service's hook (payment.Options.OnSecure): it turns masking on or
// off in the call's relay. When the relay refuses (media it cannot decode), the payment
// session is taken out of secure mode again so that no digit is captured unmasked.
func (r *Registry) OnSecure(callID string, on bool) {
	c := r.get(callID)
	if c == nil {
		return
	}
	err := error(nil)
	if on {
		if reason := r.cannotSecure(c); reason != "" {
			err = fmt.Errorf("%w: %s", ErrCannotSecure, reason)
		}
	}
	if err == nil && c.ms != nil {
		err = c.ms.SetSecure(on)
	}
	if err != nil {
		if on && !errors.Is(err, ErrCannotSecure) {
			c.setCannot(logging.Redact(err.Error()))
		}
		r.log.Warn("sip: secure mode refused", "call", callID, "err", err)
		c.mu.Lock()
		c.secure = false
		tenant, sess := c.tenant, c.session
		c.mu.Unlock()
		if pay := r.pay(); on && pay != nil && sess != "" {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), operationTimeout)
				defer cancel()
				if _, err := pay.SetSecure(ctx, tenant, sess, false); err != nil {
					r.log.Warn("sip: leaving secure mode after the relay refused it", "call", callID, "err", err)
				}
			}()
		}
		r.notify(EventUpdated, c)
		return
	}
	c.mu.Lock()
	c.secure = on
	c.mu.Unlock()
	r.notify(EventUpdated, c)
}

// PaymentEvent lets the registry learn which session a call is paired with; give it every
// event of the payment service (payment.Options.OnEvent).
func (r *Registry) PaymentEvent(e *payment.Event) {
	if e != nil && e.Type == payment.EventCaptureComplete {
		r.mu.Lock()
		var cs []*call
		for _, c := range r.byID {
			cs = append(cs, c)
		}
		r.mu.Unlock()
		for _, c := range cs {
			c.mu.Lock()
			match := c.session == e.SessionID && c.tenant == e.Tenant
			c.mu.Unlock()
			if match {
				c.capturedOnce.Do(func() { close(c.captured) })
			}
		}
		return
	}
	if e == nil || e.Type != payment.EventSessionPaired {
		return
	}
	c := r.get(e.Data.String("call_id"))
	if c == nil {
		return
	}
	r.setSession(c, e.Tenant, e.SessionID, e.AgentID)
}

func (r *Registry) setSession(c *call, tenant, session, agent string) {
	c.mu.Lock()
	c.tenant, c.session = tenant, session
	if c.agentID == "" {
		c.agentID = agent
	}
	c.mu.Unlock()
	r.notify(EventUpdated, c)
}
