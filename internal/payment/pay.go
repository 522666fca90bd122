package payment

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
)

// attemptKey is the idempotency key of a session's nth attempt: the session ID is globally
// unique, so keys never collide between tenants sharing a gateway account.
func attemptKey(sessionID string, n int) string {
	return "hp_" + sessionID + "_" + strconv.Itoa(n)
}

// Pay sends the captured card to the gateway. The session must be ready (every field
// captured on this node, ErrNoCardData otherwise) and no earlier attempt may be in doubt
// (ErrInDoubt). It returns the session with its Result: approved, declined (the agent can
// capture again or cancel), failed with a connector error (not charged), or in doubt (the
// answer was lost and an immediate lookup could not settle it; Resolve later, never pay
// again). The security code is dropped as soon as the gateway answers, whatever the
// answer, and every copy of the card is wiped; after approval the whole card is.
//
// A cancelled ctx does not abandon an attempt once sent: the gateway call runs to its own
// timeout so that its answer is recorded.
func (s *Service) Pay(ctx context.Context, tenant, id string) (*Session, error) {
	sess, err := s.repo.GetSession(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if sess.Status == StatusInDoubt {
		return nil, ErrInDoubt
	}
	if sess.Status != StatusReady {
		return nil, fmt.Errorf("%w: session is %s, not ready", ErrWrongState, sess.Status)
	}
	lv := s.liveGet(id)
	if lv == nil {
		return nil, ErrNoCardData
	}
	lv.mu.Lock()
	if lv.gone || lv.paying {
		lv.mu.Unlock()
		return nil, fmt.Errorf("%w: payment in progress", ErrWrongState)
	}
	card, err := lv.m.Card()
	if err != nil {
		lv.mu.Unlock()
		return nil, fmt.Errorf("%w: %w", ErrNoCardData, err)
	}
	defer card.Wipe()
	var fields map[string]string
	for _, f := range sess.RequiredFields {
		if !f.IsCard() && f != capture.FieldPostalCode {
			if fields == nil {
				fields = map[string]string{}
			}
			fields[string(f)] = lv.m.Digits(f)
		}
	}
	var n int
	sess, err = s.update(ctx, tenant, id, func(x *Session) ([]*Event, error) {
		if x.Status == StatusInDoubt {
			return nil, ErrInDoubt
		}
		if x.Status != StatusReady {
			return nil, fmt.Errorf("%w: session is %s, not ready", ErrWrongState, x.Status)
		}
		x.Attempts++
		n = x.Attempts
		x.Status = StatusProcessing
		return []*Event{s.newEvent(EventPaymentSubmitted, Int("attempt", int64(n)), Int("amount", x.Amount),
			Str("currency", x.Currency), Str("gateway", s.conn.Name()))}, nil
	})
	if err != nil {
		lv.mu.Unlock()
		return nil, err
	}
	lv.paying = true
	if lv.timer != nil {
		lv.timer.Stop()
		lv.timer = nil
	}
	lv.mu.Unlock()

	now := s.now()
	att := &Attempt{Key: attemptKey(id, n), SessionID: id, Tenant: tenant, Number: n, Gateway: s.conn.Name(),
		Amount: sess.Amount, Currency: sess.Currency, Status: AttemptPending, CreatedAt: now, UpdatedAt: now}
	// Detach from the caller: once the attempt is recorded, its answer must be recorded too.
	bg := context.WithoutCancel(ctx)
	var res *Result
	var perr error
	lreq := sessionRequest(sess, att) // the same request without the card, for a lookup
	if err := s.repo.CreateAttempt(bg, att); err != nil {
		perr = NewConnectorError(s.conn.Name(), ErrorGatewayConfig, false, fmt.Errorf("record attempt: %w", err))
	} else {
		req := *lreq
		req.Card = card
		req.Fields = fields
		res, perr = s.conn.Pay(bg, &req)
		req.Card = capture.Card{}
	}
	masked := maskedOf(card)
	card.Wipe()

	res, attStatus := s.settle(bg, att, lreq, res, perr)
	fill(res, masked, s.conn.Name())
	att.Status, att.Result, att.UpdatedAt = attStatus, res, s.now()
	if err := s.repo.UpdateAttempt(bg, att); err != nil {
		s.log.Error("payment: store attempt result", "session", id, "attempt", n, "err", err)
	}
	return s.finish(bg, lv, tenant, id, n, res)
}

// sessionRequest is the request of a session's attempt, without the card.
func sessionRequest(sess *Session, att *Attempt) *Request {
	return &Request{Key: att.Key, Type: sess.Type, Amount: att.Amount, Currency: att.Currency, SessionID: sess.ID,
		Tenant: sess.Tenant, AccountRef: sess.AccountRef, Description: sess.Description, AttemptedAt: att.CreatedAt}
}

// maskedOf keeps what may be stored of a card.
func maskedOf(c capture.Card) Result {
	return Result{First6: c.MaskedFirst6(), Last4: c.Last4(), Brand: c.Brand(), ExpMonth: c.ExpMonth(), ExpYear: c.ExpYear()}
}

// fill completes a connector's result with the masked card and the gateway.
func fill(res *Result, m Result, gateway string) {
	if res.Last4 == "" {
		res.First6, res.Last4 = m.First6, m.Last4
	}
	if res.Brand == "" {
		res.Brand = m.Brand
	}
	if res.ExpMonth == 0 {
		res.ExpMonth, res.ExpYear = m.ExpMonth, m.ExpYear
	}
	res.Gateway = gateway
	if res.Reason == "" {
		res.Reason = res.DeclineCode.Reason()
	}
}

// settle turns a connector's answer into a definite result where it can: a fault that
// may have charged is looked up at once. It returns the result and the attempt status.
func (s *Service) settle(ctx context.Context, att *Attempt, lreq *Request, res *Result, err error) (*Result, AttemptStatus) {
	if err == nil && res != nil && (res.Outcome == OutcomeApproved || res.Outcome == OutcomeDeclined) {
		res.At = s.now()
		return res, AttemptDone
	}
	ce, ok := AsConnectorError(err)
	if !ok {
		if err == nil {
			err = errors.New("connector gave no outcome")
		}
		ce = NewConnectorError(s.conn.Name(), ErrorGatewayProtocol, true, err)
	}
	s.log.Warn("payment: gateway fault", "session", att.SessionID, "attempt", att.Number, "err", ce)
	if !ce.MaybeCharged {
		return &Result{Outcome: OutcomeError, DeclineCode: ce.Code, At: s.now()}, AttemptDone
	}
	lctx, cancel := context.WithTimeout(ctx, s.opts.LookupTimeout)
	defer cancel()
	if res, done := s.lookup(lctx, att, lreq); done {
		return res, AttemptDone
	}
	return &Result{Outcome: OutcomeInDoubt, DeclineCode: ErrorAnswerLost, At: s.now()}, AttemptInDoubt
}

// lookup asks the gateway about an attempt; done is false when it could not tell.
func (s *Service) lookup(ctx context.Context, att *Attempt, req *Request) (*Result, bool) {
	res, err := s.conn.Lookup(ctx, req)
	switch {
	case err == nil && res != nil && (res.Outcome == OutcomeApproved || res.Outcome == OutcomeDeclined):
		res.At = s.now()
		return res, true
	case errors.Is(err, ErrNotFound):
		// The gateway never processed the key: not charged.
		return &Result{Outcome: OutcomeError, DeclineCode: ErrorGatewayUnavailable, At: s.now()}, true
	}
	if err != nil && !errors.Is(err, ErrLookupUnsupported) {
		s.log.Warn("payment: lookup failed", "session", att.SessionID, "attempt", att.Number, "err", err)
	}
	return nil, false
}

// finish records an attempt's result in the session and, when this node holds it (lv not
// nil), in its live state.
func (s *Service) finish(ctx context.Context, lv *live, tenant, id string, n int, res *Result) (*Session, error) {
	var view *capture.View
	if lv != nil {
		lv.mu.Lock()
		defer lv.mu.Unlock()
		lv.paying = false
		// The gateway answered (or may have): the security code goes now, whatever the
		// answer. After approval the view keeps showing what was paid with (masked).
		v := lv.m.View()
		lv.m.DropSecurityCode()
		if res.Outcome == OutcomeApproved || res.Outcome == OutcomeInDoubt {
			s.drop(lv) // never pay this card again from this session
		} else {
			v = lv.m.View()
			s.touch(lv)
		}
		view = &v
	}
	var callID string
	var secureOff bool
	sess, err := s.update(ctx, tenant, id, func(x *Session) ([]*Event, error) {
		if x.Attempts != n {
			return nil, fmt.Errorf("%w: attempt %d is not the session's latest", ErrConflict, n)
		}
		if x.Status != StatusProcessing && x.Status != StatusInDoubt {
			// Another node (or a start-up resolution) already recorded this attempt's outcome.
			return nil, fmt.Errorf("%w: attempt %d already settled (%s)", ErrConflict, n, x.Status)
		}
		r := *res
		x.Result = &r
		if view != nil {
			x.Capture = *view
		}
		var t EventType
		switch res.Outcome {
		case OutcomeApproved:
			x.Status, t = StatusApproved, EventPaymentApproved
		case OutcomeDeclined:
			x.Status, t = StatusDeclined, EventPaymentDeclined
		case OutcomeInDoubt:
			x.Status, t = StatusInDoubt, EventPaymentInDoubt
		default:
			x.Status, t = StatusFailed, EventPaymentFailed
		}
		evs := []*Event{s.newEvent(t, Int("attempt", int64(n)), ResultAttr("result", r), ViewAttr("capture", x.Capture))}
		callID, secureOff = x.Pairing.CallID, false
		if x.Status == StatusApproved && x.Secure {
			x.Secure, secureOff = false, true
			evs = append(evs, s.newEvent(EventSecureOff, Str("call_id", callID), Str("by", "payment")))
		}
		return evs, nil
	})
	if err != nil {
		s.log.Error("payment: store result", "session", id, "attempt", n, "outcome", res.Outcome, "err", err)
		return nil, err
	}
	if secureOff {
		s.secureChanged(callID, false)
	}
	if res.Outcome == OutcomeApproved && res.TokenID != "" && (sess.Type == TypeTokenize || sess.Type == TypeRecurring) {
		s.saveToken(ctx, sess, res)
	}
	s.log.Info("payment attempt finished", "session", id, "attempt", n, "outcome", res.Outcome, "code", res.DeclineCode)
	return sess, nil
}

// TokenID returns the ID of the reusable token kept for an approved tokenize or recurring
// session: "tok_" and the session ID.
func TokenID(sessionID string) string { return "tok_" + sessionID }

// saveToken keeps the gateway's reusable token of an approved tokenize or recurring
// session.
func (s *Service) saveToken(ctx context.Context, sess *Session, res *Result) {
	t := &Token{ID: TokenID(sess.ID), Tenant: sess.Tenant, SessionID: sess.ID, Gateway: res.Gateway,
		GatewayToken: res.TokenID, First6: res.First6, Last4: res.Last4, Brand: res.Brand,
		ExpMonth: res.ExpMonth, ExpYear: res.ExpYear, Schedule: sess.Schedule, CreatedAt: s.now()}
	if err := s.repo.SaveToken(ctx, t); err != nil {
		s.log.Error("payment: store token", "session", sess.ID, "err", err)
	}
}

// Token returns a stored reusable token, or ErrNotFound.
func (s *Service) Token(ctx context.Context, tenant, id string) (*Token, error) {
	return s.repo.GetToken(ctx, tenant, id)
}

// ChargeToken charges a stored reusable token (a later payment of a recurring schedule).
// key is the caller's idempotency key for this charge: calling again with the same key
// returns the first charge's attempt and never charges twice (an attempt still in doubt
// is looked up again). The attempt's Result says what happened.
func (s *Service) ChargeToken(ctx context.Context, tenant, tokenID string, amount int64, currency, key string) (*Attempt, error) {
	if err := checkKey("idempotency_key", key, 255); err != nil {
		return nil, err
	}
	currency = strings.ToUpper(currency)
	if !validCurrency(currency) || amount <= 0 || amount > MaxAmount {
		return nil, invalid("amount and currency")
	}
	tok, err := s.repo.GetToken(ctx, tenant, tokenID)
	if err != nil {
		return nil, err
	}
	if tok.Gateway != s.conn.Name() {
		return nil, fmt.Errorf("%w: token belongs to gateway %s", ErrWrongState, tok.Gateway)
	}
	now := s.now()
	att := &Attempt{Key: "hp_tok_" + tokenID + "_" + key, SessionID: tok.SessionID, TokenID: tokenID, Tenant: tenant, Number: 0,
		Gateway: s.conn.Name(), Amount: amount, Currency: currency, Status: AttemptPending, CreatedAt: now, UpdatedAt: now}
	if err := s.repo.CreateAttempt(ctx, att); errors.Is(err, ErrDuplicateKey) {
		old, gerr := s.repo.GetAttempt(ctx, att.Key)
		if gerr != nil {
			return nil, gerr
		}
		if old.Amount != amount || old.Currency != currency {
			return nil, ErrIdempotencyMismatch
		}
		if old.Status == AttemptInDoubt {
			s.resolveTokenCharge(ctx, old, tok)
		}
		return old, nil
	} else if err != nil {
		return nil, err
	}
	bg := context.WithoutCancel(ctx)
	req := tokenRequest(att, tok)
	res, perr := s.conn.Pay(bg, req)
	res, st := s.settle(bg, att, req, res, perr)
	fill(res, Result{First6: tok.First6, Last4: tok.Last4, Brand: tok.Brand, ExpMonth: tok.ExpMonth, ExpYear: tok.ExpYear}, s.conn.Name())
	att.Status, att.Result, att.UpdatedAt = st, res, s.now()
	if err := s.repo.UpdateAttempt(bg, att); err != nil {
		return att, err
	}
	return att, nil
}

// tokenRequest is the request of a token charge.
func tokenRequest(att *Attempt, tok *Token) *Request {
	return &Request{Key: att.Key, Type: TypeSale, Amount: att.Amount, Currency: att.Currency,
		SessionID: tok.SessionID, Tenant: att.Tenant, Token: tok, AttemptedAt: att.CreatedAt}
}

// resolveTokenCharge looks up a token charge left pending or in doubt.
func (s *Service) resolveTokenCharge(ctx context.Context, a *Attempt, tok *Token) {
	if tok == nil {
		t, err := s.repo.GetToken(ctx, a.Tenant, a.TokenID)
		if err != nil {
			return
		}
		tok = t
	}
	if res, done := s.lookup(ctx, a, tokenRequest(a, tok)); done {
		prev := Result{}
		if a.Result != nil {
			prev = *a.Result
		}
		fill(res, prev, s.conn.Name())
		a.Status, a.Result, a.UpdatedAt = AttemptDone, res, s.now()
		if err := s.repo.UpdateAttempt(ctx, a); err != nil {
			s.log.Error("payment: store token charge", "err", err)
		}
	}
}

// Resolve settles a session whose last attempt is in doubt by asking the gateway. It
// returns the session, still in doubt when the gateway cannot tell (ErrLookupUnsupported
// or a connector error is returned with it).
func (s *Service) Resolve(ctx context.Context, tenant, id string) (*Session, error) {
	sess, err := s.repo.GetSession(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if sess.Status != StatusInDoubt {
		return sess, nil
	}
	att, err := s.repo.GetAttempt(ctx, attemptKey(id, sess.Attempts))
	if err != nil {
		return sess, err
	}
	res, lerr := s.conn.Lookup(ctx, sessionRequest(sess, att))
	switch {
	case lerr == nil && res != nil && (res.Outcome == OutcomeApproved || res.Outcome == OutcomeDeclined):
	case errors.Is(lerr, ErrNotFound):
		res = &Result{Outcome: OutcomeError, DeclineCode: ErrorGatewayUnavailable}
	case lerr != nil:
		return sess, lerr
	default:
		return sess, NewConnectorError(s.conn.Name(), ErrorGatewayProtocol, true, errors.New("lookup gave no outcome"))
	}
	res.At = s.now()
	prev := Result{}
	if sess.Result != nil {
		prev = *sess.Result
	}
	fill(res, prev, s.conn.Name())
	att.Status, att.Result, att.UpdatedAt = AttemptDone, res, s.now()
	if err := s.repo.UpdateAttempt(ctx, att); err != nil {
		return sess, err
	}
	return s.finish(ctx, nil, tenant, id, att.Number, res)
}

// ResolvePending looks up every attempt left pending or in doubt (after a restart, or by
// a periodic job) and settles the ones the gateway can tell about. It returns how many
// it settled.
func (s *Service) ResolvePending(ctx context.Context) (int, error) {
	settled := 0
	for _, st := range []AttemptStatus{AttemptPending, AttemptInDoubt} {
		atts, err := s.repo.ListAttempts(ctx, "", st)
		if err != nil {
			return settled, err
		}
		for _, a := range atts {
			if a.Gateway != s.conn.Name() || (st == AttemptPending && s.liveGet(a.SessionID) != nil) {
				continue // another gateway, or an attempt being sent by this process
			}
			if a.Number == 0 { // a charge of a stored token
				s.resolveTokenCharge(ctx, a, nil)
				continue
			}
			sess, err := s.repo.GetSession(ctx, a.Tenant, a.SessionID)
			if err != nil {
				continue
			}
			if sess.Status == StatusProcessing && sess.Attempts == a.Number {
				// Left processing by a crash: mark in doubt first so that it is never paid again.
				sess.Status = StatusInDoubt
				sess.Result = &Result{Outcome: OutcomeInDoubt, DeclineCode: ErrorAnswerLost, Gateway: a.Gateway, At: s.now()}
				ev := s.newEvent(EventPaymentInDoubt, Int("attempt", int64(a.Number)), ResultAttr("result", *sess.Result))
				if err := s.repo.UpdateSession(ctx, sess, ev); err != nil {
					continue
				}
				s.emit([]*Event{ev})
				a.Status = AttemptInDoubt
				_ = s.repo.UpdateAttempt(ctx, a)
			}
			out, err := s.Resolve(ctx, a.Tenant, a.SessionID)
			if err == nil && out.Status != StatusInDoubt {
				settled++
			}
		}
	}
	return settled, nil
}

// ResolveLoop calls ResolvePending every interval (on the Service's clock) until ctx ends,
// so that payments left in doubt are settled as soon as the gateway can tell. Run it in
// its own goroutine; it returns ctx.Err().
func (s *Service) ResolveLoop(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = time.Minute
	}
	for {
		tick := make(chan struct{})
		t := s.clock.AfterFunc(every, func() { close(tick) })
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-tick:
		}
		if n, err := s.ResolvePending(ctx); err != nil {
			s.log.Warn("payment: resolving pending attempts", "err", err)
		} else if n > 0 {
			s.log.Info("payment: settled attempts in doubt", "count", n)
		}
	}
}

// Cancel ends a session that is not being paid: its card data is wiped and its call
// leaves secure mode. A session in doubt cannot be cancelled until resolved (ErrInDoubt).
func (s *Service) Cancel(ctx context.Context, tenant, id, reason string) (*Session, error) {
	if err := checkText("reason", reason, 255); err != nil {
		return nil, err
	}
	var callID string
	var wasSecure bool
	sess, err := s.update(ctx, tenant, id, func(x *Session) ([]*Event, error) {
		switch x.Status {
		case StatusInDoubt:
			return nil, ErrInDoubt
		case StatusProcessing, StatusApproved, StatusCancelled:
			return nil, fmt.Errorf("%w: session is %s", ErrWrongState, x.Status)
		}
		callID, wasSecure = x.Pairing.CallID, x.Secure
		x.Status, x.Secure = StatusCancelled, false
		x.Capture.Active = ""
		evs := []*Event{}
		if wasSecure {
			evs = append(evs, s.newEvent(EventSecureOff, Str("call_id", callID), Str("by", "cancel")))
		}
		return append(evs, s.newEvent(EventSessionCancelled, Str("reason", reason))), nil
	})
	if err != nil {
		return nil, err
	}
	if lv := s.liveGet(id); lv != nil {
		lv.mu.Lock()
		if !lv.gone {
			s.drop(lv)
		}
		lv.mu.Unlock()
	}
	if wasSecure {
		s.secureChanged(callID, false)
	}
	return sess, nil
}
