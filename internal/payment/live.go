package payment

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
)

// live is the card data a node holds for one session: the capture machine and its
// timeout. Only this node can pay the session.
type live struct {
	mu     sync.Mutex
	tenant string
	id     string
	m      *capture.Machine
	timer  Timer // the active field's inactivity timeout
	ttl    Timer // forgets the card after Options.CardTTL without activity
	paying bool  // a Pay is waiting for the gateway; capture is frozen
	gone   bool  // removed from Service.lives; the machine is wiped
}

// liveFor returns the session's live state, creating it (with nothing captured) when this
// node holds none.
func (s *Service) liveFor(sess *Session) (*live, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if lv, ok := s.lives[sess.ID]; ok {
		return lv, nil
	}
	m, err := s.newMachine(sess.RequiredFields, sess.AllowedBrands)
	if err != nil {
		return nil, err
	}
	lv := &live{tenant: sess.Tenant, id: sess.ID, m: m}
	s.lives[sess.ID] = lv
	return lv, nil
}

// liveGet returns the session's live state if this node holds one.
func (s *Service) liveGet(id string) *live {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lives[id]
}

// drop wipes and forgets a session's live state. Called with lv.mu held.
func (s *Service) drop(lv *live) {
	if lv.timer != nil {
		lv.timer.Stop()
		lv.timer = nil
	}
	if lv.ttl != nil {
		lv.ttl.Stop()
		lv.ttl = nil
	}
	lv.m.Wipe()
	lv.gone = true
	s.mu.Lock()
	if s.lives[lv.id] == lv {
		delete(s.lives, lv.id)
	}
	s.mu.Unlock()
}

// lockLive locks the session's live state, creating it if needed; it retries when the
// state was dropped between lookup and lock.
func (s *Service) lockLive(sess *Session) (*live, error) {
	for {
		lv, err := s.liveFor(sess)
		if err != nil {
			return nil, err
		}
		lv.mu.Lock()
		if !lv.gone {
			return lv, nil
		}
		lv.mu.Unlock()
	}
}

// schedule arms the live state's timer for the active field's deadline. Called with lv.mu
// held.
func (s *Service) schedule(lv *live) {
	if lv.timer != nil {
		lv.timer.Stop()
		lv.timer = nil
	}
	d, ok := lv.m.Deadline()
	if !ok || lv.paying {
		return
	}
	wait := d.Sub(s.now())
	if wait < 0 {
		wait = 0
	}
	lv.timer = s.clock.AfterFunc(wait, func() { s.expire(lv) })
}

// touch restarts the time after which an idle session's card data is forgotten. Called
// with lv.mu held after every capture change.
func (s *Service) touch(lv *live) {
	if lv.ttl != nil {
		lv.ttl.Stop()
	}
	lv.ttl = s.clock.AfterFunc(s.opts.CardTTL, func() { s.forget(lv) })
}

// forget wipes the card data of a session left idle for Options.CardTTL; the session's
// capture starts again from the first field.
func (s *Service) forget(lv *live) {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	if lv.gone || lv.paying {
		return // dropped already, or a payment will touch it again
	}
	lv.m.Wipe()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s.storeCapture(ctx, lv, nil, func(v capture.View) []*Event {
		return []*Event{s.newEvent(EventCaptureRestarted, Str("reason", "card_data_expired"), ViewAttr("capture", v))}
	}, false)
	if err != nil && !errors.Is(err, ErrWrongState) {
		s.log.Error("payment: store expired card data", "session", lv.id, "err", err)
	}
	s.drop(lv)
	s.log.Info("payment: idle card data wiped", "session", lv.id, "after", s.opts.CardTTL)
}

// expire ends a field's attempt whose inactivity timeout passed.
func (s *Service) expire(lv *live) {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	if lv.gone || lv.paying {
		return
	}
	ch := lv.m.Expire(s.now())
	if ch.Kind == capture.ChangeNone {
		s.schedule(lv)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.storeCapture(ctx, lv, nil, captureEvents(ch), false); err != nil {
		s.log.Error("payment: store capture timeout", "session", lv.id, "err", err)
	}
	s.schedule(lv)
}

// capturable reports whether a session's capture may change in status st.
func capturable(st Status) bool {
	switch st {
	case StatusPending, StatusCapturing, StatusReady, StatusDeclined, StatusFailed:
		return true
	}
	return false
}

// storeCapture writes the live machine's view into the session with the given event
// types' events. Called with lv.mu held. requireSecure refuses the change when the
// session is not in secure mode.
func (s *Service) storeCapture(ctx context.Context, lv *live, first *Session, mk func(v capture.View) []*Event, requireSecure bool) (*Session, error) {
	view := lv.m.View()
	return s.updateFrom(ctx, lv.tenant, lv.id, first, func(sess *Session) ([]*Event, error) {
		if !capturable(sess.Status) {
			return nil, fmt.Errorf("%w: session is %s", ErrWrongState, sess.Status)
		}
		if requireSecure && !sess.Secure {
			return nil, ErrNotSecure
		}
		evs := mk(view)
		sess.Capture = view
		switch {
		case view.Complete:
			sess.Status = StatusReady
		case sess.Status == StatusReady || sess.Status == StatusPending || len(evs) > 0:
			sess.Status = StatusCapturing
		}
		return evs, nil
	})
}

// captureEvents returns a maker of the events recording a capture change.
func captureEvents(ch capture.Change) func(capture.View) []*Event {
	return func(v capture.View) []*Event {
		return changeEvents(ch, v)
	}
}

func changeEvents(ch capture.Change, v capture.View) []*Event {
	field := func(t EventType, name capture.FieldName, extra ...Attr) *Event {
		attrs := []Attr{Str("field", string(name)), ViewAttr("capture", v)}
		if fv, ok := v.Field(name); ok {
			attrs = append(attrs, FieldAttr("field_view", fv))
		}
		return &Event{Type: t, Data: NewData(append(attrs, extra...)...)}
	}
	var evs []*Event
	switch ch.Kind {
	case capture.ChangeStarted:
		evs = append(evs, field(EventCaptureFieldStarted, ch.Field))
	case capture.ChangeDigit:
		fv, _ := v.Field(ch.Field)
		evs = append(evs, field(EventCaptureDigit, ch.Field, Int("length", int64(fv.Length))))
	case capture.ChangeComplete:
		evs = append(evs, field(EventCaptureFieldDone, ch.Field))
	case capture.ChangeInvalid, capture.ChangeFailed:
		fv, _ := v.Field(ch.Field)
		evs = append(evs, field(EventCaptureFieldInvalid, ch.Field, Str("error", capture.ErrorCode(ch.Err)),
			Int("attempts", int64(fv.Attempts)), Bool("failed", ch.Kind == capture.ChangeFailed)))
	case capture.ChangeReset:
		evs = append(evs, field(EventCaptureFieldReset, ch.Field))
	case capture.ChangeRestarted:
		evs = append(evs, field(EventCaptureRestarted, ch.Field))
	}
	if ch.Next != "" {
		evs = append(evs, field(EventCaptureFieldStarted, ch.Next))
	}
	if ch.Complete {
		evs = append(evs, &Event{Type: EventCaptureComplete, Data: NewData(ViewAttr("capture", v))})
	}
	return evs
}

// stamp sets the time of events made without one.
func (s *Service) stamp(evs []*Event) []*Event {
	now := s.now()
	for _, e := range evs {
		if e.Time.IsZero() {
			e.Time = now
		}
	}
	return evs
}

// captureOp runs op on the session's machine and stores the result. Capture needs secure
// mode: digits keyed outside it reach the agent unmasked.
func (s *Service) captureOp(ctx context.Context, tenant, id string, op func(m *capture.Machine, now time.Time) (capture.Change, error)) (*Session, error) {
	sess, err := s.repo.GetSession(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	return s.captureOpOn(ctx, sess, op)
}

// captureOpOn is captureOp on a session just read.
func (s *Service) captureOpOn(ctx context.Context, sess *Session, op func(m *capture.Machine, now time.Time) (capture.Change, error)) (*Session, error) {
	if !capturable(sess.Status) {
		return nil, fmt.Errorf("%w: session is %s", ErrWrongState, sess.Status)
	}
	if !sess.Secure {
		return nil, ErrNotSecure
	}
	lv, err := s.lockLive(sess)
	if err != nil {
		return nil, err
	}
	defer lv.mu.Unlock()
	if lv.paying {
		return nil, fmt.Errorf("%w: payment in progress", ErrWrongState)
	}
	ch, err := op(lv.m, s.now())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrWrongState, err)
	}
	out, err := s.storeCapture(ctx, lv, sess, func(v capture.View) []*Event { return s.stamp(changeEvents(ch, v)) }, true)
	s.schedule(lv)
	s.touch(lv)
	return out, err
}

// StartCapture makes the session collect the named field from now (the agent's "capture
// card number / expiry / security code" request). The call must be in secure mode.
func (s *Service) StartCapture(ctx context.Context, tenant, id string, field capture.FieldName) (*Session, error) {
	return s.captureOp(ctx, tenant, id, func(m *capture.Machine, now time.Time) (capture.Change, error) {
		return m.Start(field, now)
	})
}

// ResetField clears one field, gives it its attempts back and collects it again.
func (s *Service) ResetField(ctx context.Context, tenant, id string, field capture.FieldName) (*Session, error) {
	return s.captureOp(ctx, tenant, id, func(m *capture.Machine, now time.Time) (capture.Change, error) {
		return m.Reset(field, now)
	})
}

// StartAgain clears every field and collects the card from the start.
func (s *Service) StartAgain(ctx context.Context, tenant, id string) (*Session, error) {
	return s.captureOp(ctx, tenant, id, func(m *capture.Machine, now time.Time) (capture.Change, error) {
		return m.StartAgain(now), nil
	})
}

// Digit takes one key press from the media layer for a call. Customer digits are captured
// when the call's session is in secure mode and a field is collecting; agent digits are
// never captured as card data but, outside secure mode, can key the call reference that
// pairs the call with a session and turns secure mode on. The result says what happened:
// nil when the digit was used, an error wrapping ErrIgnored when it was not (for the
// media layer, the digit then passes as usual), another error on failure.
func (s *Service) Digit(ctx context.Context, callID string, d byte, src Source) error {
	if !(d >= '0' && d <= '9' || d == '*' || d == '#' || d >= 'A' && d <= 'D') {
		return fmt.Errorf("%w: not a DTMF key", ErrIgnored)
	}
	switch src.Side {
	case SideAgent:
		return s.agentDigit(ctx, callID, d)
	case SideCustomer:
	default:
		return fmt.Errorf("%w: unknown side %q", ErrInvalidRequest, src.Side)
	}
	sess, err := s.sessionForCall(ctx, callID)
	if err != nil {
		return fmt.Errorf("%w: no active session on the call", ErrIgnored)
	}
	if !sess.Secure {
		return fmt.Errorf("%w: %w", ErrIgnored, ErrNotSecure)
	}
	_, err = s.captureOpOn(ctx, sess, func(m *capture.Machine, now time.Time) (capture.Change, error) {
		ch, err := m.Key(d, now)
		if err == nil && ch.Kind == capture.ChangeNone {
			err = capture.ErrNoActiveField // an empty terminator: nothing to store
		}
		return ch, err
	})
	if errors.Is(err, capture.ErrNoActiveField) || errors.Is(err, capture.ErrInvalidKey) || errors.Is(err, ErrNotSecure) ||
		errors.Is(err, ErrWrongState) {
		return fmt.Errorf("%w: %w", ErrIgnored, err) // e.g. a key pressed while the payment is processing
	}
	return err
}

// sessionForCall returns the active session paired with the call (read fresh: pairing
// and secure state can change on any node).
func (s *Service) sessionForCall(ctx context.Context, callID string) (*Session, error) {
	sess, err := s.repo.FindActive(ctx, PairByCallID, callID)
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// agentDigit collects the agent's digits towards a call reference.
func (s *Service) agentDigit(ctx context.Context, callID string, d byte) error {
	if d < '0' || d > '9' {
		s.mu.Lock()
		delete(s.agent, callID) // * or # starts the reference again
		s.mu.Unlock()
		return fmt.Errorf("%w: agent key", ErrIgnored)
	}
	if sess, err := s.repo.FindActive(ctx, PairByCallID, callID); err == nil && sess.Secure {
		return fmt.Errorf("%w: agent key in secure mode", ErrIgnored)
	}
	n := s.opts.CallRefDigits
	s.mu.Lock()
	buf := append(s.agent[callID], d)
	if len(buf) > n {
		buf = buf[len(buf)-n:]
	}
	s.agent[callID] = buf
	ref := string(buf)
	s.mu.Unlock()
	if len(ref) < n {
		return fmt.Errorf("%w: call reference incomplete", ErrIgnored)
	}
	sess, err := s.repo.FindActive(ctx, PairByCallRef, ref)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: no session with this call reference", ErrIgnored)
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.agent, callID)
	s.mu.Unlock()
	if _, err := s.pair(ctx, sess.Tenant, sess.ID, callID, true, "call_ref"); err != nil {
		return err
	}
	return nil
}

// PairCall ties the active session found by a pairing value (call reference, or the
// value of the configured SIP header) to a call, without entering secure mode. The media
// or SIP layer calls it when a call carries the header.
func (s *Service) PairCall(ctx context.Context, kind PairingKind, value, callID string) (*Session, error) {
	if err := checkKey("call_id", callID, 255); err != nil {
		return nil, err
	}
	sess, err := s.repo.FindActive(ctx, kind, value)
	if err != nil {
		return nil, err
	}
	return s.pair(ctx, sess.Tenant, sess.ID, callID, false, string(kind))
}

// pair sets the session's call ID and, when secure, enters secure mode.
func (s *Service) pair(ctx context.Context, tenant, id, callID string, secure bool, by string) (*Session, error) {
	sess, err := s.update(ctx, tenant, id, func(sess *Session) ([]*Event, error) {
		if !sess.Status.Active() {
			return nil, fmt.Errorf("%w: session is %s", ErrWrongState, sess.Status)
		}
		if sess.Pairing.CallID != "" && sess.Pairing.CallID != callID {
			return nil, fmt.Errorf("%w: session already paired with another call", ErrPairingInUse)
		}
		var evs []*Event
		if sess.Pairing.CallID != callID {
			sess.Pairing.CallID = callID
			evs = append(evs, s.newEvent(EventSessionPaired, Str("call_id", callID), Str("by", by)))
		}
		if secure && !sess.Secure {
			sess.Secure = true
			evs = append(evs, s.newEvent(EventSecureOn, Str("call_id", callID), Str("by", by)))
		}
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	if secure && sess.Secure {
		s.secureChanged(callID, true)
		return s.autoStart(ctx, sess)
	}
	return sess, nil
}

// secureChanged tells the media layer.
func (s *Service) secureChanged(callID string, on bool) {
	if s.opts.OnSecure != nil && callID != "" {
		s.opts.OnSecure(callID, on)
	}
}

// autoStart starts collecting the next incomplete field when secure mode begins and no
// field is collecting.
func (s *Service) autoStart(ctx context.Context, sess *Session) (*Session, error) {
	if !capturable(sess.Status) || sess.Capture.Complete || sess.Capture.Active != "" {
		return sess, nil
	}
	out, err := s.captureOp(ctx, sess.Tenant, sess.ID, func(m *capture.Machine, now time.Time) (capture.Change, error) {
		if m.Active() != "" {
			return capture.Change{}, errors.New("already collecting")
		}
		next := m.NextField()
		if next == "" {
			return capture.Change{}, errors.New("complete")
		}
		return m.Start(next, now)
	})
	if err != nil {
		return sess, nil // nothing to start: not an error for the caller
	}
	return out, nil
}

// SetSecure turns secure mode on or off for the session's paired call (the agent's
// on-screen button). Turning it on needs a paired call and starts collecting the next
// field; turning it off stops collection (partial digits are discarded).
func (s *Service) SetSecure(ctx context.Context, tenant, id string, on bool) (*Session, error) {
	if !on {
		if lv := s.liveGet(id); lv != nil {
			lv.mu.Lock()
			if !lv.gone && !lv.paying {
				lv.m.Stop()
				if lv.timer != nil {
					lv.timer.Stop()
					lv.timer = nil
				}
			}
			lv.mu.Unlock()
		}
	}
	var callID string
	sess, err := s.update(ctx, tenant, id, func(sess *Session) ([]*Event, error) {
		callID = sess.Pairing.CallID
		if sess.Secure == on {
			return nil, nil
		}
		if on {
			if !sess.Status.Active() || !capturable(sess.Status) {
				return nil, fmt.Errorf("%w: session is %s", ErrWrongState, sess.Status)
			}
			if sess.Pairing.CallID == "" {
				return nil, fmt.Errorf("%w: no call is paired with the session", ErrWrongState)
			}
			sess.Secure = true
			return []*Event{s.newEvent(EventSecureOn, Str("call_id", callID), Str("by", "api"))}, nil
		}
		sess.Secure = false
		if lv := s.liveGet(id); lv != nil {
			lv.mu.Lock()
			sess.Capture = lv.m.View()
			lv.mu.Unlock()
		} else {
			sess.Capture.Active = ""
		}
		return []*Event{s.newEvent(EventSecureOff, Str("call_id", callID), Str("by", "api"),
			ViewAttr("capture", sess.Capture))}, nil
	})
	if err != nil {
		return nil, err
	}
	s.secureChanged(callID, on)
	if on {
		return s.autoStart(ctx, sess)
	}
	return sess, nil
}

// CallEnded forgets a call: its session leaves secure mode and the agent's partial call
// reference is dropped. Card data already captured stays until the session is paid or
// cancelled.
func (s *Service) CallEnded(ctx context.Context, callID string) error {
	s.mu.Lock()
	delete(s.agent, callID)
	s.mu.Unlock()
	sess, err := s.repo.FindActive(ctx, PairByCallID, callID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if sess.Secure {
		_, err = s.SetSecure(ctx, sess.Tenant, sess.ID, false)
	}
	return err
}
