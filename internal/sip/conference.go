package sip

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/hushpay/hushpay/internal/payment"
)

// runConference is the conference-leg flow (DESIGN.md, deployment mode 2). The PBX
// conferences Hushpay into a call and keys the agent's ID (ended by sip.conference.terminator
// or a pause of sip.conference.timeout); the leg pairs with that agent's open payment session,
// waits for the customer to press 1 (or the agent's secure button), lets the payment service
// capture the card from the keys it hears, and hangs up once the capture is complete. The PBX
// mutes the agent-customer audio meanwhile; Hushpay never relays anything on this leg.
func (s *Server) runConference(ctx context.Context, leg *UASLeg) {
	c := leg.c
	cfg := s.cfg.Conference
	ctx, cancel := context.WithTimeout(ctx, cfg.MaxWait)
	defer cancel()
	pay := s.reg.pay()
	if pay == nil {
		s.log.Warn("sip: conference leg without a payment service", "call", c.id)
		return
	}
	agent, err := leg.Collect(ctx, 32, cfg.Terminator, cfg.Timeout)
	if err != nil || agent == "" {
		s.log.Info("sip: conference leg: no agent ID keyed", "call", c.id, "err", err)
		return
	}
	sess, err := s.agentSession(ctx, pay, agent)
	if err != nil {
		s.log.Info("sip: conference leg: no open payment session for the agent", "call", c.id, "agent", agent, "err", err)
		return
	}
	p, err := pay.PairCall(ctx, payment.PairByCallRef, sess.Pairing.CallRef, c.id)
	if err != nil {
		s.log.Warn("sip: conference leg: pairing", "call", c.id, "err", err)
		return
	}
	s.reg.setSession(c, p.Tenant, p.ID, agent)

	// Wait for the customer's 1 or the agent's secure button (which reaches the registry
	// through the payment service's OnSecure).
	for !c.snapshot().Secure {
		k, err := leg.Collect(ctx, 1, "", 200*time.Millisecond)
		switch {
		case errors.Is(err, ErrTimeout):
			continue
		case err != nil:
			return
		case k == "1":
			if _, err := pay.SetSecure(ctx, p.Tenant, p.ID, true); err != nil {
				s.log.Warn("sip: conference leg: secure mode", "call", c.id, "err", err)
				return
			}
		}
	}
	c.mu.Lock()
	c.capturing = true
	c.mu.Unlock()
	select {
	case <-c.captured:
		s.log.Info("sip: conference leg: capture complete, leaving the call", "call", c.id)
		time.Sleep(200 * time.Millisecond) // let the last key's events settle
	case <-ctx.Done():
	}
}

// agentSession returns the newest open session of the agent that is not paired with another
// call.
func (s *Server) agentSession(ctx context.Context, pay Payments, agent string) (*payment.Session, error) {
	list, err := pay.List(ctx, payment.Filter{Tenant: s.cfg.Conference.Tenant, AgentID: agent})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(list, func(x *payment.Session) bool {
		return x.Status.Active() && x.Pairing.CallID == "" && x.Result == nil
	})
	if i < 0 {
		return nil, payment.ErrNotFound
	}
	return list[i], nil
}
