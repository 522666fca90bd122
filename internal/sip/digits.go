package sip

import (
	"context"
	"errors"
	"time"

	"github.com/hushpay/hushpay/internal/media"
	"github.com/hushpay/hushpay/internal/payment"
)

// pumpDigits hands the key presses the relay reports for a call to the payment service, in
// order, outside the media goroutines: the customer's in secure mode (captured), the agent's
// outside it (a call reference pairs the call and starts secure mode; the configured
// activation code starts secure mode on a call already paired).
func (s *Server) pumpDigits(c *call) {
	for {
		select {
		case <-c.ctx.Done():
			return
		case e := <-c.digits:
			s.digit(c, e)
		}
	}
}

func (s *Server) digit(c *call, e media.DigitEvent) {
	side := payment.SideCustomer
	if e.Leg == media.Agent {
		side = payment.SideAgent
	}
	c.mu.Lock()
	uas, capturing := c.uas, c.capturing
	c.mu.Unlock()
	if uas != nil && !capturing { // a leg Hushpay answers itself: its flow takes the keys
		select {
		case uas.keys <- e.Digit:
		default:
		}
		return
	}
	// Never log the digit itself: in secure mode it is card data.
	s.log.Debug("sip: key press", "call", c.id, "side", side, "transport", e.Transport.String(), "secure", e.Secure)
	if s.opts.Payments != nil {
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		err := s.opts.Payments.Digit(ctx, c.id, e.Digit, payment.Source{Side: side, Transport: transport(e.Transport)})
		cancel()
		if err != nil && !errors.Is(err, payment.ErrIgnored) {
			s.log.Warn("sip: digit not taken by the payment service", "call", c.id, "side", side, "err", err)
		}
	}
	if e.Leg == media.Agent && !e.Secure {
		s.activationKey(c, e.Digit)
	}
}

// activationKey collects the agent's keys and starts secure mode when they end with the
// activation code on a call already paired with a session.
func (s *Server) activationKey(c *call, d byte) {
	code := s.cfg.ActivationCode
	if code == "" {
		return
	}
	c.mu.Lock()
	c.agentKeys = append(c.agentKeys, d)
	if len(c.agentKeys) > len(code) {
		c.agentKeys = c.agentKeys[len(c.agentKeys)-len(code):]
	}
	match := string(c.agentKeys) == code
	if match {
		c.agentKeys = c.agentKeys[:0]
	}
	id := c.id
	c.mu.Unlock()
	if !match {
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	if _, err := s.reg.SetSecure(ctx, id, true); err != nil {
		s.log.Info("sip: activation code keyed but secure mode not started", "call", id, "err", err)
	}
}

func transport(t media.Transport) payment.Transport {
	switch t {
	case media.Inband:
		return payment.TransportInband
	case media.RFC4733:
		return payment.TransportRFC4733
	default:
		return payment.TransportSIPInfo
	}
}
