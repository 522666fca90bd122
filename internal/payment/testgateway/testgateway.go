// Package testgateway is Hushpay's built-in payment gateway for trials and tests: the
// embedded default connector. It charges nothing; it answers like a real gateway's test
// mode, following the public test card numbers that Stripe and others document, so that
// agents and integrators can rehearse every outcome. It keeps no card data: it decides from
// the card number while the request lasts and remembers only the masked result.
//
// Test cards (any future expiry; any security code of the right length unless noted):
//
//	card number          outcome
//	4242424242424242     approved (Visa)
//	4000056655665556     approved (Visa debit)
//	5555555555554444     approved (Mastercard)
//	2223003122003222     approved (Mastercard 2-series)
//	5105105105105100     approved (Mastercard prepaid)
//	378282246310005      approved (Amex)
//	371449635398431      approved (Amex)
//	6011111111111117     approved (Discover)
//	6011000990139424     approved (Discover)
//	3056930009020004     approved (Diners)
//	36227206271667       approved (Diners, 14 digits)
//	3566002020360505     approved (JCB)
//	6200000000000005     approved (UnionPay)
//	4000000000000002     declined: card_declined (generic)
//	4000000000009995     declined: insufficient_funds
//	4000000000009987     declined: lost_or_stolen (lost card)
//	4000000000009979     declined: lost_or_stolen (stolen card)
//	4100000000000019     declined: fraudulent
//	4000000000000127     declined: incorrect_cvc
//	4000000000000101     declined: incorrect_cvc when a security code is given
//	4000000000000069     declined: expired_card
//	4000000000000119     declined: processing_error
//	4000000000000010     declined: incorrect_postal_code when a postcode is given
//	any other number     declined: card_declined (like a gateway in test mode given a live card)
//
// Payment types: sale and recurring return a charge ID (recurring also a reusable token),
// preauth an authorisation ID, verify and tokenize a token; a declining card declines
// every type. Charging a stored token approves unless the card it came from declines.
package testgateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hushpay/hushpay/internal/payment"
)

// Name is the connector's name in results.
const Name = "test"

// outcome of one test card: "" approves.
type outcome struct {
	code     payment.DeclineCode
	needCVV  bool // declines only when a security code is given
	needPost bool // declines only when a postcode is given
	approve  bool
}

// cards maps test card numbers to their outcome. Numbers absent from it decline.
var cards = map[string]outcome{
	"4242424242424242": {approve: true},
	"4000056655665556": {approve: true},
	"5555555555554444": {approve: true},
	"2223003122003222": {approve: true},
	"5105105105105100": {approve: true},
	"378282246310005":  {approve: true},
	"371449635398431":  {approve: true},
	"6011111111111117": {approve: true},
	"6011000990139424": {approve: true},
	"3056930009020004": {approve: true},
	"36227206271667":   {approve: true},
	"3566002020360505": {approve: true},
	"6200000000000005": {approve: true},
	"4000000000000002": {code: payment.DeclineGeneric},
	"4000000000009995": {code: payment.DeclineInsufficientFunds},
	"4000000000009987": {code: payment.DeclineLostOrStolen},
	"4000000000009979": {code: payment.DeclineLostOrStolen},
	"4100000000000019": {code: payment.DeclineFraud},
	"4000000000000127": {code: payment.DeclineIncorrectCVC},
	"4000000000000101": {code: payment.DeclineIncorrectCVC, needCVV: true},
	"4000000000000069": {code: payment.DeclineExpiredCard},
	"4000000000000119": {code: payment.DeclineProcessingError},
	"4000000000000010": {code: payment.DeclineAddressMismatch, needPost: true},
}

// Fault is a gateway failure the test gateway can be told to simulate on its next
// request, to rehearse in-doubt payments.
type Fault int

// Faults.
const (
	// FaultNone: answer normally.
	FaultNone Fault = iota
	// FaultUnavailable: refuse the request (not processed, not charged).
	FaultUnavailable
	// FaultAnswerLost: process the request, then lose the answer (charged if approved;
	// a lookup finds it).
	FaultAnswerLost
	// FaultRequestLost: lose the request before processing it (not charged; a lookup
	// finds nothing).
	FaultRequestLost
)

// Gateway is the test gateway connector. The zero value is not usable; call New.
type Gateway struct {
	latency time.Duration

	mu      sync.Mutex
	results map[string]record // by idempotency key
	tokens  map[string]outcome
	faults  []Fault
	charges int
	seq     int
}

// record is what the gateway remembers of a request: its masked result and what it asked.
type record struct {
	res      payment.Result
	amount   int64
	currency string
}

var _ payment.Connector = (*Gateway)(nil)

// New returns a test gateway that answers after latency (0: at once).
func New(latency time.Duration) *Gateway {
	return &Gateway{latency: latency, results: map[string]record{}, tokens: map[string]outcome{}}
}

// Name returns "test".
func (g *Gateway) Name() string { return Name }

// Inject makes the next requests fail with the given faults, one each, in order.
func (g *Gateway) Inject(f ...Fault) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults = append(g.faults, f...)
}

// Charges returns how many payments the gateway has approved (each idempotency key
// counts once), so that tests can check that nothing was charged twice.
func (g *Gateway) Charges() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.charges
}

// Pay implements payment.Connector.
func (g *Gateway) Pay(ctx context.Context, req *payment.Request) (*payment.Result, error) {
	if req.Key == "" {
		return nil, payment.NewConnectorError(Name, payment.ErrorGatewayConfig, false, errors.New("no idempotency key"))
	}
	if g.latency > 0 {
		t := time.NewTimer(g.latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, payment.NewConnectorError(Name, payment.ErrorAnswerLost, true, ctx.Err())
		}
	}
	// Decide from the card before taking the lock: the number is read, never kept.
	var o outcome
	known := false
	if req.Token != nil {
		g.mu.Lock()
		o, known = g.tokens[req.Token.GatewayToken]
		g.mu.Unlock()
		if !known {
			return &payment.Result{Outcome: payment.OutcomeDeclined, DeclineCode: payment.DeclineGeneric}, nil
		}
	} else {
		if req.Card.Wiped() {
			return nil, payment.NewConnectorError(Name, payment.ErrorGatewayConfig, false, errors.New("no card in request"))
		}
		o, known = cards[req.Card.RevealPAN()]
		if !known {
			o = outcome{code: payment.DeclineGeneric}
		}
		if o.needCVV && !req.Card.HasSecurityCode() || o.needPost && req.Card.PostalCode() == "" {
			o = outcome{approve: true}
		}
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	if rec, ok := g.results[req.Key]; ok {
		if rec.amount != req.Amount || rec.currency != req.Currency {
			return nil, payment.NewConnectorError(Name, payment.ErrorGatewayConfig, false,
				errors.New("idempotency key reused with different parameters"))
		}
		r := rec.res
		return &r, nil // the same key never charges twice
	}
	fault := FaultNone
	if len(g.faults) > 0 {
		fault, g.faults = g.faults[0], g.faults[1:]
	}
	switch fault {
	case FaultUnavailable:
		return nil, payment.NewConnectorError(Name, payment.ErrorGatewayUnavailable, false, errors.New("simulated outage"))
	case FaultRequestLost:
		return nil, payment.NewConnectorError(Name, payment.ErrorAnswerLost, true, errors.New("simulated timeout"))
	}
	g.seq++
	res := payment.Result{Outcome: payment.OutcomeApproved, AuthCode: authCode(req.Key)}
	if !o.approve {
		res = payment.Result{Outcome: payment.OutcomeDeclined, DeclineCode: o.code}
	} else {
		id := fmt.Sprintf("%06d", g.seq)
		switch req.Type {
		case payment.TypeSale:
			res.ChargeID = "ch_test_" + id
		case payment.TypePreauth:
			res.ChargeID = "auth_test_" + id
		case payment.TypeVerify, payment.TypeTokenize:
			res.AuthCode = ""
			res.TokenID = "tok_test_" + id
		case payment.TypeRecurring:
			res.ChargeID, res.TokenID = "ch_test_"+id, "tok_test_"+id
		}
		if res.TokenID != "" {
			g.tokens[res.TokenID] = o
		}
		if req.Type == payment.TypeSale || req.Type == payment.TypeRecurring || req.Type == payment.TypePreauth {
			g.charges++
		}
	}
	g.results[req.Key] = record{res: res, amount: req.Amount, currency: req.Currency}
	if fault == FaultAnswerLost {
		return nil, payment.NewConnectorError(Name, payment.ErrorAnswerLost, true, errors.New("simulated lost answer"))
	}
	return &res, nil
}

// Lookup implements payment.Connector: the result recorded for req.Key, or
// payment.ErrNotFound when the key never reached the gateway. A lookup can be made to fail
// with FaultUnavailable through Inject.
func (g *Gateway) Lookup(ctx context.Context, req *payment.Request) (*payment.Result, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.faults) > 0 && g.faults[0] == FaultUnavailable {
		g.faults = g.faults[1:]
		return nil, payment.NewConnectorError(Name, payment.ErrorGatewayUnavailable, false, errors.New("simulated outage"))
	}
	rec, ok := g.results[req.Key]
	if !ok {
		return nil, payment.ErrNotFound
	}
	r := rec.res
	return &r, nil
}

// authCode derives a six-character authorisation code from the key.
func authCode(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:3])
}
