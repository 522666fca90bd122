package payment_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/payment/testgateway"
)

func TestCreateValidation(t *testing.T) {
	h := newHarness(t)
	sched := &payment.Schedule{Amount: 1000, Count: 12, StartDate: "2026-12-01", Frequency: payment.FrequencyMonthly}
	tests := []struct {
		name string
		req  payment.CreateRequest
	}{
		{"no tenant", payment.CreateRequest{IdempotencyKey: "k", Amount: 1, Currency: "GBP"}},
		{"no key", payment.CreateRequest{Tenant: "t", Amount: 1, Currency: "GBP"}},
		{"key with space", payment.CreateRequest{Tenant: "t", IdempotencyKey: "a b", Amount: 1, Currency: "GBP"}},
		{"zero amount", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Currency: "GBP"}},
		{"negative amount", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: -5, Currency: "GBP"}},
		{"huge amount", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: payment.MaxAmount + 1, Currency: "GBP"}},
		{"bad currency", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "XXX"}},
		{"currency length", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "POUND"}},
		{"bad type", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", Type: "refund"}},
		{"verify with amount", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", Type: payment.TypeVerify}},
		{"recurring without schedule", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", Type: payment.TypeRecurring}},
		{"schedule on sale", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", Schedule: sched}},
		{"schedule bad date", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", Type: payment.TypeRecurring,
			Schedule: &payment.Schedule{Amount: 1, Count: 1, StartDate: "1/12/2026", Frequency: payment.FrequencyMonthly}}},
		{"schedule no end", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", Type: payment.TypeRecurring,
			Schedule: &payment.Schedule{Amount: 1, StartDate: "2026-12-01", Frequency: payment.FrequencyMonthly}}},
		{"schedule frequency", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", Type: payment.TypeRecurring,
			Schedule: &payment.Schedule{Amount: 1, Count: 2, StartDate: "2026-12-01", Frequency: "hourly"}}},
		{"card number in account ref", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", AccountRef: "4242 4242 4242 4242"}},
		{"card number in description", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", Description: "card 4242424242424242"}},
		{"control char", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", Description: "a\x00b"}},
		{"no card number field", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", RequiredFields: []capture.FieldName{capture.FieldExpiry}}},
		{"duplicate field", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", RequiredFields: []capture.FieldName{capture.FieldCardNumber, capture.FieldCardNumber}}},
		{"cvv first", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", RequiredFields: []capture.FieldName{capture.FieldSecurityCode, capture.FieldCardNumber}}},
		{"unknown brand", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", AllowedBrands: []capture.Brand{"visa", "vissa"}}},
		{"bad field name", payment.CreateRequest{Tenant: "t", IdempotencyKey: "k", Amount: 1, Currency: "GBP", RequiredFields: []capture.FieldName{capture.FieldCardNumber, "acc ount"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := h.svc.Create(ctx, tt.req)
			if !errors.Is(err, payment.ErrInvalidRequest) {
				t.Fatalf("got %v, want ErrInvalidRequest", err)
			}
			if strings.Contains(err.Error(), "4242") {
				t.Fatalf("error echoes the input: %v", err)
			}
		})
	}
	ok := payment.CreateRequest{Tenant: "t", IdempotencyKey: "rec", Amount: 1000, Currency: "gbp", Type: payment.TypeRecurring, Schedule: sched,
		RequiredFields: []capture.FieldName{capture.FieldCardNumber, capture.FieldExpiry, capture.FieldSecurityCode, capture.FieldPostalCode}}
	s, created, err := h.svc.Create(ctx, ok)
	if err != nil || !created || s.Currency != "GBP" || len(s.Pairing.CallRef) != 6 || s.Status != payment.StatusPending {
		t.Fatalf("valid create: %+v %v", s, err)
	}
	if len(s.Capture.Fields) != 4 || s.Capture.Active != "" {
		t.Fatalf("initial view %+v", s.Capture)
	}
}

func TestCreateIdempotent(t *testing.T) {
	h := newHarness(t)
	req := payment.CreateRequest{Tenant: "t1", IdempotencyKey: "order-1", Amount: 500, Currency: "EUR", AgentID: "agent7"}
	a, created, err := h.svc.Create(ctx, req)
	if err != nil || !created {
		t.Fatal(err)
	}
	b, created, err := h.svc.Create(ctx, req)
	if err != nil || created || b.ID != a.ID {
		t.Fatalf("second create: %v %v %v", b, created, err)
	}
	req.Amount = 501
	if _, _, err := h.svc.Create(ctx, req); !errors.Is(err, payment.ErrIdempotencyMismatch) {
		t.Fatalf("changed request: %v", err)
	}
	// Another tenant may use the same key.
	req.Tenant = "t2"
	if _, created, err := h.svc.Create(ctx, req); err != nil || !created {
		t.Fatalf("other tenant: %v", err)
	}
	// Another tenant cannot see the session.
	if _, err := h.svc.Get(ctx, "t2", a.ID); !errors.Is(err, payment.ErrNotFound) {
		t.Fatalf("cross-tenant get: %v", err)
	}
	list, err := h.svc.List(ctx, payment.Filter{Tenant: "t1", AgentID: "agent7"})
	if err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("list: %v %v", list, err)
	}
	if _, err := h.svc.List(ctx, payment.Filter{}); !errors.Is(err, payment.ErrInvalidRequest) {
		t.Fatal("list without tenant")
	}
}

func TestFullPaymentFlow(t *testing.T) {
	h := newHarness(t)
	s := h.create(payment.CreateRequest{AgentID: "agent1"})
	// Customer digits before pairing are not captured.
	if err := h.svc.Digit(ctx, "call-1", '4', payment.Source{Side: payment.SideCustomer}); !errors.Is(err, payment.ErrIgnored) {
		t.Fatalf("digit before pairing: %v", err)
	}
	// A wrong call reference pairs nothing.
	for _, d := range []byte("000000") {
		if err := h.svc.Digit(ctx, "call-1", d, payment.Source{Side: payment.SideAgent}); !errors.Is(err, payment.ErrIgnored) {
			t.Fatalf("wrong reference: %v", err)
		}
	}
	h.secureCall(s, "call-1")
	if !h.secure["call-1"] {
		t.Fatal("media not told to mask")
	}
	got := h.get(s)
	if got.Capture.Active != capture.FieldCardNumber || got.Status != payment.StatusPending && got.Status != payment.StatusCapturing {
		t.Fatalf("after secure: active %s status %s", got.Capture.Active, got.Status)
	}
	// Agent digits in secure mode are never captured.
	if err := h.svc.Digit(ctx, "call-1", '4', payment.Source{Side: payment.SideAgent}); !errors.Is(err, payment.ErrIgnored) {
		t.Fatalf("agent digit in secure mode: %v", err)
	}
	h.key("call-1", "42424242")
	got = h.get(s)
	if fv, _ := got.Capture.Field(capture.FieldCardNumber); fv.Masked != "********" || fv.Length != 8 || got.Capture.Brand != capture.BrandVisa {
		t.Fatalf("live view %+v brand %s", fv, got.Capture.Brand)
	}
	h.key("call-1", "424242421230847")
	got = h.get(s)
	if got.Status != payment.StatusReady || !got.Capture.Complete {
		t.Fatalf("after capture: %s %+v", got.Status, got.Capture)
	}
	if fv, _ := got.Capture.Field(capture.FieldCardNumber); fv.Masked != "************4242" {
		t.Fatalf("masked %s", fv.Masked)
	}
	if fv, _ := got.Capture.Field(capture.FieldExpiry); fv.Masked != "1230" {
		t.Fatalf("expiry %s", fv.Masked)
	}
	if fv, _ := got.Capture.Field(capture.FieldSecurityCode); fv.Masked != "***" {
		t.Fatalf("cvv %s", fv.Masked)
	}
	paid, err := h.svc.Pay(ctx, s.Tenant, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := paid.Result
	if paid.Status != payment.StatusApproved || r == nil || r.Outcome != payment.OutcomeApproved || r.AuthCode == "" ||
		r.ChargeID == "" || r.Last4 != "4242" || r.First6 != "" || r.Brand != capture.BrandVisa || r.ExpMonth != 12 ||
		r.ExpYear != 2030 || r.Gateway != "test" || r.At.IsZero() {
		t.Fatalf("result %+v status %s", r, paid.Status)
	}
	if paid.Secure || h.secure["call-1"] {
		t.Fatal("secure mode not left after approval")
	}
	if h.gw.Charges() != 1 {
		t.Fatalf("charges %d", h.gw.Charges())
	}
	if _, err := h.svc.Pay(ctx, s.Tenant, s.ID); !errors.Is(err, payment.ErrWrongState) {
		t.Fatalf("second pay: %v", err)
	}
	if h.gw.Charges() != 1 {
		t.Fatal("charged twice")
	}
	types := h.eventTypes(s)
	for _, want := range []payment.EventType{payment.EventSessionCreated, payment.EventSessionPaired, payment.EventSecureOn,
		payment.EventCaptureFieldStarted, payment.EventCaptureDigit, payment.EventCaptureFieldDone, payment.EventCaptureComplete,
		payment.EventPaymentSubmitted, payment.EventPaymentApproved, payment.EventSecureOff} {
		if !slices.Contains(types, want) {
			t.Errorf("no %s event in %v", want, types)
		}
	}
	// After approval customer digits on the call are not captured.
	if err := h.svc.Digit(ctx, "call-1", '1', payment.Source{Side: payment.SideCustomer}); !errors.Is(err, payment.ErrIgnored) {
		t.Fatalf("digit after approval: %v", err)
	}
	if strings.Contains(h.emitted(), "4242424242424242") {
		t.Fatal("card number emitted")
	}
}

func TestTestCardsThroughService(t *testing.T) {
	tests := []struct {
		pan, exp, cvv string
		outcome       payment.Outcome
		code          payment.DeclineCode
	}{
		{"4242424242424242", "1230", "847", payment.OutcomeApproved, ""},
		{"5555555555554444", "1230", "847", payment.OutcomeApproved, ""},
		{"378282246310005", "1230", "9361", payment.OutcomeApproved, ""},
		{"6011111111111117", "1230", "847", payment.OutcomeApproved, ""},
		{"3566002020360505", "1230", "847", payment.OutcomeApproved, ""},
		{"2223003122003222", "1230", "847", payment.OutcomeApproved, ""},
		{"36227206271667", "1230", "847", payment.OutcomeApproved, ""},
		{"4000000000000002", "1230", "847", payment.OutcomeDeclined, payment.DeclineGeneric},
		{"4000000000009995", "1230", "847", payment.OutcomeDeclined, payment.DeclineInsufficientFunds},
		{"4000000000000127", "1230", "847", payment.OutcomeDeclined, payment.DeclineIncorrectCVC},
		{"4000000000000069", "1230", "847", payment.OutcomeDeclined, payment.DeclineExpiredCard},
		{"4000000000000119", "1230", "847", payment.OutcomeDeclined, payment.DeclineProcessingError},
		{"4000000000009987", "1230", "847", payment.OutcomeDeclined, payment.DeclineLostOrStolen},
		{"4100000000000019", "1230", "847", payment.OutcomeDeclined, payment.DeclineFraud},
		{"4000000000000101", "1230", "847", payment.OutcomeDeclined, payment.DeclineIncorrectCVC},
		{"4111111111111111", "1230", "847", payment.OutcomeDeclined, payment.DeclineGeneric}, // not a test card
	}
	for _, tt := range tests {
		t.Run(tt.pan, func(t *testing.T) {
			h := newHarness(t)
			s := h.create(payment.CreateRequest{})
			h.secureCall(s, "c")
			keys := tt.pan
			if len(tt.pan) != 16 && len(tt.pan) != 15 {
				keys += "#"
			}
			h.key("c", keys+tt.exp+tt.cvv)
			paid, err := h.svc.Pay(ctx, s.Tenant, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			r := paid.Result
			if r.Outcome != tt.outcome || r.DeclineCode != tt.code || r.Last4 != tt.pan[len(tt.pan)-4:] {
				t.Fatalf("result %+v", r)
			}
			if tt.outcome == payment.OutcomeDeclined {
				if paid.Status != payment.StatusDeclined || r.Reason == "" || !paid.Secure {
					t.Fatalf("declined session: %s %+v", paid.Status, r)
				}
				// The security code is gone; the card number is kept for a retry.
				if fv, _ := paid.Capture.Field(capture.FieldSecurityCode); fv.State != capture.StatePending || fv.Length != 0 {
					t.Fatalf("cvv after decline %+v", fv)
				}
				if _, err := h.svc.Pay(ctx, s.Tenant, s.ID); !errors.Is(err, payment.ErrWrongState) {
					t.Fatalf("pay without cvv: %v", err)
				}
				if h.gw.Charges() != 0 {
					t.Fatal("a decline charged")
				}
			}
			if e := h.emitted(); strings.Contains(e, tt.pan) || strings.Contains(e, `"`+tt.cvv+`"`) {
				t.Fatalf("card data emitted")
			}
		})
	}
}

func TestDeclineThenRetryWithNewCard(t *testing.T) {
	h := newHarness(t)
	s := h.create(payment.CreateRequest{})
	h.secureCall(s, "c")
	h.key("c", "40000000000001271230123")
	paid, _ := h.svc.Pay(ctx, s.Tenant, s.ID)
	if paid.Result.DeclineCode != payment.DeclineIncorrectCVC {
		t.Fatalf("%+v", paid.Result)
	}
	// The agent asks for the security code again: same card, new code.
	if _, err := h.svc.StartCapture(ctx, s.Tenant, s.ID, capture.FieldSecurityCode); err != nil {
		t.Fatal(err)
	}
	h.key("c", "456")
	paid, err := h.svc.Pay(ctx, s.Tenant, s.ID)
	if err != nil || paid.Attempts != 2 || paid.Result.DeclineCode != payment.DeclineIncorrectCVC {
		t.Fatalf("%+v %v", paid, err)
	}
	// Another card from the start.
	if _, err := h.svc.StartAgain(ctx, s.Tenant, s.ID); err != nil {
		t.Fatal(err)
	}
	h.key("c", "55555555555544441230123")
	paid, err = h.svc.Pay(ctx, s.Tenant, s.ID)
	if err != nil || paid.Status != payment.StatusApproved || paid.Attempts != 3 || paid.Result.Last4 != "4444" {
		t.Fatalf("%+v %v", paid, err)
	}
	atts, _ := h.repo.ListAttempts(ctx, s.ID, "")
	if len(atts) != 3 || atts[2].Key == atts[1].Key {
		t.Fatalf("attempts %+v", atts)
	}
}

func TestGatewayFaultsThroughService(t *testing.T) {
	tests := []struct {
		name    string
		faults  []testgateway.Fault
		status  payment.Status
		outcome payment.Outcome
		charges int
	}{
		{"unavailable: failed, not charged", []testgateway.Fault{testgateway.FaultUnavailable}, payment.StatusFailed, payment.OutcomeError, 0},
		{"answer lost, lookup finds charge", []testgateway.Fault{testgateway.FaultAnswerLost}, payment.StatusApproved, payment.OutcomeApproved, 1},
		{"request lost, lookup finds nothing", []testgateway.Fault{testgateway.FaultRequestLost}, payment.StatusFailed, payment.OutcomeError, 0},
		{"answer lost, lookup down: in doubt", []testgateway.Fault{testgateway.FaultAnswerLost, testgateway.FaultUnavailable}, payment.StatusInDoubt, payment.OutcomeInDoubt, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			s := h.create(payment.CreateRequest{})
			h.secureCall(s, "c")
			h.key("c", "42424242424242421230847")
			h.gw.Inject(tt.faults...)
			paid, err := h.svc.Pay(ctx, s.Tenant, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if paid.Status != tt.status || paid.Result.Outcome != tt.outcome || h.gw.Charges() != tt.charges {
				t.Fatalf("status %s result %+v charges %d", paid.Status, paid.Result, h.gw.Charges())
			}
			if tt.status == payment.StatusFailed && paid.Result.Reason == "" {
				t.Fatal("no reason")
			}
			if tt.status != payment.StatusInDoubt {
				return
			}
			if paid.Result.DeclineCode != payment.ErrorAnswerLost {
				t.Fatalf("%+v", paid.Result)
			}
			// In doubt: no new payment, no cancel, no capture until resolved.
			if _, err := h.svc.Pay(ctx, s.Tenant, s.ID); !errors.Is(err, payment.ErrInDoubt) {
				t.Fatalf("pay in doubt: %v", err)
			}
			if _, err := h.svc.Cancel(ctx, s.Tenant, s.ID, "x"); !errors.Is(err, payment.ErrInDoubt) {
				t.Fatalf("cancel in doubt: %v", err)
			}
			if _, err := h.svc.StartAgain(ctx, s.Tenant, s.ID); !errors.Is(err, payment.ErrWrongState) {
				t.Fatalf("capture in doubt: %v", err)
			}
			res, err := h.svc.Resolve(ctx, s.Tenant, s.ID)
			if err != nil || res.Status != payment.StatusApproved || res.Result.Last4 != "4242" || h.gw.Charges() != 1 {
				t.Fatalf("resolve: %+v %v", res, err)
			}
			if h.secure["c"] {
				t.Fatal("secure after resolution")
			}
		})
	}
}

func TestConcurrentPayChargesOnce(t *testing.T) {
	h := newHarness(t)
	s := h.create(payment.CreateRequest{})
	h.secureCall(s, "c")
	h.key("c", "42424242424242421230847")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.svc.Pay(ctx, s.Tenant, s.ID); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if !errors.Is(err, payment.ErrWrongState) && !errors.Is(err, payment.ErrNoCardData) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || h.gw.Charges() != 1 {
		t.Fatalf("%d pays succeeded, %d charges", ok, h.gw.Charges())
	}
}

func TestTimeoutResetStartAgainSecureOff(t *testing.T) {
	h := newHarness(t)
	s := h.create(payment.CreateRequest{})
	if _, err := h.svc.StartCapture(ctx, s.Tenant, s.ID, capture.FieldCardNumber); !errors.Is(err, payment.ErrNotSecure) {
		t.Fatalf("capture before secure: %v", err)
	}
	if _, err := h.svc.SetSecure(ctx, s.Tenant, s.ID, true); !errors.Is(err, payment.ErrWrongState) {
		t.Fatalf("secure without call: %v", err)
	}
	if _, err := h.svc.PairCall(ctx, payment.PairByCallRef, s.Pairing.CallRef, "call-9"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.SetSecure(ctx, s.Tenant, s.ID, true); err != nil || !h.secure["call-9"] {
		t.Fatal(err)
	}
	h.key("call-9", "4242")
	h.clock.Advance(10 * time.Second) // capture timeout
	got := h.get(s)
	fv, _ := got.Capture.Field(capture.FieldCardNumber)
	if fv.Error != "input-timeout" || fv.Attempts != 1 || fv.Length != 0 {
		t.Fatalf("after timeout %+v", fv)
	}
	if !slices.Contains(h.eventTypes(s), payment.EventCaptureFieldInvalid) {
		t.Fatal("no invalid event for the timeout")
	}
	h.clock.Advance(10 * time.Second)
	h.clock.Advance(10 * time.Second)
	got = h.get(s)
	if fv, _ := got.Capture.Field(capture.FieldCardNumber); fv.State != capture.StateFailed || fv.Error != "too-many-attempts" {
		t.Fatalf("after 3 timeouts %+v", fv)
	}
	if _, err := h.svc.ResetField(ctx, s.Tenant, s.ID, capture.FieldCardNumber); err != nil {
		t.Fatal(err)
	}
	h.key("call-9", "4242424242424242")
	got = h.get(s)
	if got.Capture.Active != capture.FieldExpiry {
		t.Fatalf("active %s", got.Capture.Active)
	}
	if _, err := h.svc.ResetField(ctx, s.Tenant, s.ID, "nope"); !errors.Is(err, payment.ErrWrongState) {
		t.Fatalf("reset unknown field: %v", err)
	}
	h.key("call-9", "12")
	if _, err := h.svc.SetSecure(ctx, s.Tenant, s.ID, false); err != nil || h.secure["call-9"] {
		t.Fatal(err)
	}
	got = h.get(s)
	if fv, _ := got.Capture.Field(capture.FieldExpiry); got.Capture.Active != "" || fv.Length != 0 {
		t.Fatalf("after secure off %+v", got.Capture)
	}
	if err := h.svc.Digit(ctx, "call-9", '1', payment.Source{Side: payment.SideCustomer}); !errors.Is(err, payment.ErrIgnored) {
		t.Fatalf("digit after secure off: %v", err)
	}
	// No timer fires after secure off.
	n := len(h.eventTypes(s))
	h.clock.Advance(time.Minute)
	if len(h.eventTypes(s)) != n {
		t.Fatal("timeout after secure off")
	}
	// Secure on again resumes with the next field.
	got, err := h.svc.SetSecure(ctx, s.Tenant, s.ID, true)
	if err != nil || got.Capture.Active != capture.FieldExpiry {
		t.Fatalf("resume: %v %+v", err, got.Capture)
	}
	got, err = h.svc.StartAgain(ctx, s.Tenant, s.ID)
	if err != nil || got.Capture.Active != capture.FieldCardNumber || got.Capture.Brand != "" {
		t.Fatalf("start again: %v %+v", err, got.Capture)
	}
	if err := h.svc.CallEnded(ctx, "call-9"); err != nil || h.secure["call-9"] || h.get(s).Secure {
		t.Fatal("call end did not leave secure mode", err)
	}
}

func TestCancel(t *testing.T) {
	h := newHarness(t)
	s := h.create(payment.CreateRequest{})
	h.secureCall(s, "c")
	h.key("c", "42424242424242421230847")
	got, err := h.svc.Cancel(ctx, s.Tenant, s.ID, "customer changed their mind")
	if err != nil || got.Status != payment.StatusCancelled || got.Secure || h.secure["c"] {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := h.svc.Pay(ctx, s.Tenant, s.ID); !errors.Is(err, payment.ErrWrongState) {
		t.Fatalf("pay after cancel: %v", err)
	}
	if _, err := h.svc.Cancel(ctx, s.Tenant, s.ID, ""); !errors.Is(err, payment.ErrWrongState) {
		t.Fatal(err)
	}
	if _, err := h.svc.Cancel(ctx, s.Tenant, s.ID, "4242424242424242"); !errors.Is(err, payment.ErrInvalidRequest) {
		t.Fatal(err)
	}
	// The call reference is free again for a new session on the same call.
	s2 := h.create(payment.CreateRequest{})
	h.secureCall(s2, "c")
}

func TestRecurringTokenAndCharge(t *testing.T) {
	h := newHarness(t)
	s := h.create(payment.CreateRequest{Type: payment.TypeRecurring, Amount: 1500,
		Schedule: &payment.Schedule{Amount: 1500, Count: 12, StartDate: "2026-11-21", Frequency: payment.FrequencyMonthly}})
	h.secureCall(s, "c")
	h.key("c", "55555555555544441230123")
	paid, err := h.svc.Pay(ctx, s.Tenant, s.ID)
	if err != nil || paid.Status != payment.StatusApproved || paid.Result.TokenID == "" {
		t.Fatalf("%+v %v", paid, err)
	}
	list := h.repo.Dump()
	if !strings.Contains(string(list), paid.Result.TokenID) {
		t.Fatal("token not stored")
	}
	tok, err := h.svc.Token(ctx, s.Tenant, payment.TokenID(s.ID))
	if err != nil {
		t.Fatalf("token: %v (%s)", err, list)
	}
	if tok.Last4 != "4444" || tok.GatewayToken != paid.Result.TokenID || tok.Schedule == nil {
		t.Fatalf("%+v", tok)
	}
	a1, err := h.svc.ChargeToken(ctx, s.Tenant, tok.ID, 1500, "GBP", "2026-12")
	if err != nil || a1.Result.Outcome != payment.OutcomeApproved || a1.Result.Last4 != "4444" {
		t.Fatalf("%+v %v", a1, err)
	}
	a2, err := h.svc.ChargeToken(ctx, s.Tenant, tok.ID, 1500, "GBP", "2026-12")
	if err != nil || a2.Key != a1.Key || h.gw.Charges() != 2 {
		t.Fatalf("repeat charge: %+v %v charges %d", a2, err, h.gw.Charges())
	}
	if _, err := h.svc.ChargeToken(ctx, s.Tenant, tok.ID, 1600, "GBP", "2026-12"); !errors.Is(err, payment.ErrIdempotencyMismatch) {
		t.Fatal(err)
	}
	if _, err := h.svc.ChargeToken(ctx, "other", tok.ID, 1500, "GBP", "x"); !errors.Is(err, payment.ErrNotFound) {
		t.Fatal(err)
	}
	// A token charge whose answer is lost is looked up, not charged again.
	h.gw.Inject(testgateway.FaultAnswerLost)
	a3, err := h.svc.ChargeToken(ctx, s.Tenant, tok.ID, 1500, "GBP", "2027-01")
	if err != nil || a3.Result.Outcome != payment.OutcomeApproved || h.gw.Charges() != 3 {
		t.Fatalf("%+v %v", a3, err)
	}
}

func TestResolvePendingAfterCrash(t *testing.T) {
	h := newHarness(t)
	s := h.create(payment.CreateRequest{})
	h.secureCall(s, "c")
	h.key("c", "42424242424242421230847")
	// Simulate a crash after the gateway charged and before the answer was stored: the
	// answer is lost, the lookup too, and the process "restarts" with a new Service.
	h.gw.Inject(testgateway.FaultAnswerLost, testgateway.FaultUnavailable)
	paid, _ := h.svc.Pay(ctx, s.Tenant, s.ID)
	if paid.Status != payment.StatusInDoubt {
		t.Fatalf("%s", paid.Status)
	}
	svc2, err := payment.NewService(h.repo, h.gw, payment.Options{Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	n, err := svc2.ResolvePending(ctx)
	if err != nil || n != 1 {
		t.Fatalf("resolved %d: %v", n, err)
	}
	if got := h.get(s); got.Status != payment.StatusApproved || h.gw.Charges() != 1 {
		t.Fatalf("%s charges %d", got.Status, h.gw.Charges())
	}
	// Card data does not survive a restart: a ready session on a new Service has none.
	s2 := h.create(payment.CreateRequest{})
	h.secureCall(s2, "c2")
	h.key("c2", "42424242424242421230847")
	if _, err := svc2.Pay(ctx, s2.Tenant, s2.ID); !errors.Is(err, payment.ErrNoCardData) {
		t.Fatalf("pay on another node: %v", err)
	}
}

func TestCreatePairingConflicts(t *testing.T) {
	// With 4-digit call references and many active sessions, references collide and are
	// drawn again, also when the request pairs a call at once.
	h := newHarness(t, func(o *payment.Options) { o.CallRefDigits = 4 })
	refs := map[string]bool{}
	for i := range 300 {
		s := h.create(payment.CreateRequest{CallID: fmt.Sprintf("call-%d", i), Header: fmt.Sprintf("hdr-%d", i)})
		if refs[s.Pairing.CallRef] {
			t.Fatalf("call reference %s given twice", s.Pairing.CallRef)
		}
		refs[s.Pairing.CallRef] = true
	}
	// A call already paired with an active session cannot be paired again.
	_, _, err := h.svc.Create(ctx, payment.CreateRequest{Tenant: "t1", IdempotencyKey: "dup-call", Amount: 1, Currency: "GBP", CallID: "call-7"})
	if !errors.Is(err, payment.ErrPairingInUse) {
		t.Fatalf("second session on call-7: %v", err)
	}
	_, _, err = h.svc.Create(ctx, payment.CreateRequest{Tenant: "t1", IdempotencyKey: "dup-hdr", Amount: 1, Currency: "GBP", Header: "hdr-9"})
	if !errors.Is(err, payment.ErrPairingInUse) {
		t.Fatalf("second session with hdr-9: %v", err)
	}
	// Pairing by header value.
	s, err := h.svc.PairCall(ctx, payment.PairByHeader, "hdr-11", "call-11")
	if err != nil || s.Pairing.CallID != "call-11" {
		t.Fatalf("%+v %v", s, err)
	}
}

func TestIdleCardDataIsWiped(t *testing.T) {
	h := newHarness(t, func(o *payment.Options) { o.CardTTL = 5 * time.Minute })
	s := h.create(payment.CreateRequest{})
	h.secureCall(s, "c")
	h.key("c", "42424242424242421230847")
	if h.get(s).Status != payment.StatusReady {
		t.Fatal("not ready")
	}
	h.clock.Advance(4 * time.Minute)
	if h.get(s).Status != payment.StatusReady {
		t.Fatal("wiped early")
	}
	h.clock.Advance(time.Minute)
	got := h.get(s)
	if got.Status != payment.StatusCapturing || got.Capture.Complete {
		t.Fatalf("after TTL: %s %+v", got.Status, got.Capture)
	}
	if fv, _ := got.Capture.Field(capture.FieldCardNumber); fv.State != capture.StatePending || fv.Masked != "" {
		t.Fatalf("card number after TTL %+v", fv)
	}
	if _, err := h.svc.Pay(ctx, s.Tenant, s.ID); !errors.Is(err, payment.ErrWrongState) {
		t.Fatalf("pay after TTL: %v", err)
	}
	types := h.eventTypes(s)
	if types[len(types)-1] != payment.EventCaptureRestarted {
		t.Fatalf("last event %s", types[len(types)-1])
	}
	// Capture works again from the start.
	if _, err := h.svc.StartAgain(ctx, s.Tenant, s.ID); err != nil {
		t.Fatal(err)
	}
	h.key("c", "42424242424242421230847")
	if paid, err := h.svc.Pay(ctx, s.Tenant, s.ID); err != nil || paid.Status != payment.StatusApproved {
		t.Fatalf("%v", err)
	}
}

func TestSessionAllowedBrands(t *testing.T) {
	h := newHarness(t, func(o *payment.Options) {
		o.Rules.AllowedBrands = []capture.Brand{capture.BrandVisa, capture.BrandAmex}
	})
	if _, _, err := h.svc.Create(ctx, payment.CreateRequest{Tenant: "t1", IdempotencyKey: "mc", Amount: 1, Currency: "GBP",
		AllowedBrands: []capture.Brand{capture.BrandMastercard}}); !errors.Is(err, payment.ErrInvalidRequest) {
		t.Fatalf("brand the configuration refuses: %v", err)
	}
	s := h.create(payment.CreateRequest{AllowedBrands: []capture.Brand{capture.BrandAmex, capture.BrandMastercard}})
	h.secureCall(s, "c")
	h.key("c", "4242424242424242") // Visa: allowed by the configuration, not by the session
	fv, _ := h.get(s).Capture.Field(capture.FieldCardNumber)
	if fv.Error != "invalid-card-type" || fv.Attempts != 1 {
		t.Fatalf("%+v", fv)
	}
	h.key("c", "378282246310005")
	if got := h.get(s); got.Capture.Brand != capture.BrandAmex || got.Capture.Active != capture.FieldExpiry {
		t.Fatalf("%+v", got.Capture)
	}
}

// crashingGateway charges through the test gateway, then never answers: the process
// "dies" before recording the result.
type crashingGateway struct {
	*testgateway.Gateway
	block chan struct{}
}

func (c *crashingGateway) Pay(ctx context.Context, req *payment.Request) (*payment.Result, error) {
	res, err := c.Gateway.Pay(ctx, req)
	<-c.block
	return res, err
}

func TestResolvePendingAfterCrashMidPayment(t *testing.T) {
	gw := testgateway.New(0)
	crash := &crashingGateway{Gateway: gw, block: make(chan struct{})}
	h := newHarnessConn(t, crash)
	s := h.create(payment.CreateRequest{})
	h.secureCall(s, "c")
	h.key("c", "42424242424242421230847")
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = h.svc.Pay(context.Background(), s.Tenant, s.ID)
	}()
	// Wait until the gateway has charged and the session is processing.
	for gw.Charges() == 0 {
		time.Sleep(time.Millisecond)
	}
	if got := h.get(s); got.Status != payment.StatusProcessing {
		t.Fatalf("%s", got.Status)
	}
	// A new process on the same store settles the attempt by lookup.
	svc2, err := payment.NewService(h.repo, gw, payment.Options{Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc2.ResolvePending(ctx); err != nil || n != 1 {
		t.Fatalf("resolved %d %v", n, err)
	}
	got := h.get(s)
	if got.Status != payment.StatusApproved || got.Result.Outcome != payment.OutcomeApproved || gw.Charges() != 1 {
		t.Fatalf("%s %+v", got.Status, got.Result)
	}
	// The first process's late answer does not overwrite the settled result.
	close(crash.block)
	<-done
	if again := h.get(s); again.Version != got.Version || again.Status != payment.StatusApproved {
		t.Fatalf("late answer changed the session: %s v%d→v%d", again.Status, got.Version, again.Version)
	}
	types := h.eventTypes(s)
	if slices.Index(types, payment.EventPaymentInDoubt) < 0 || slices.Index(types, payment.EventPaymentApproved) < 0 {
		t.Fatalf("%v", types)
	}
}

func TestTokenChargeInDoubtIsResolved(t *testing.T) {
	h := newHarness(t)
	s := h.create(payment.CreateRequest{Type: payment.TypeTokenize})
	h.secureCall(s, "c")
	h.key("c", "42424242424242421230847")
	if paid, err := h.svc.Pay(ctx, s.Tenant, s.ID); err != nil || paid.Result.TokenID == "" {
		t.Fatalf("%+v %v", paid, err)
	}
	h.gw.Inject(testgateway.FaultAnswerLost, testgateway.FaultUnavailable)
	a, err := h.svc.ChargeToken(ctx, s.Tenant, payment.TokenID(s.ID), 700, "GBP", "m1")
	if err != nil || a.Status != payment.AttemptInDoubt || a.Result.Outcome != payment.OutcomeInDoubt {
		t.Fatalf("%+v %v", a, err)
	}
	n, err := h.svc.ResolvePending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = n
	a2, err := h.svc.ChargeToken(ctx, s.Tenant, payment.TokenID(s.ID), 700, "GBP", "m1")
	if err != nil || a2.Status != payment.AttemptDone || a2.Result.Outcome != payment.OutcomeApproved || h.gw.Charges() != 1 {
		t.Fatalf("%+v %v charges %d", a2, err, h.gw.Charges())
	}
}

func TestGenericFieldReachesTheGateway(t *testing.T) {
	var got map[string]string
	rec := &recordingConn{Gateway: testgateway.New(0), fields: func(f map[string]string) { got = f }}
	h := newHarnessConn(t, rec)
	s := h.create(payment.CreateRequest{RequiredFields: []capture.FieldName{capture.FieldCardNumber, capture.FieldExpiry,
		capture.FieldSecurityCode, "account"}})
	h.secureCall(s, "c")
	h.key("c", "42424242424242421230847")
	if a, _ := h.get(s).Capture.Field("account"); a.State != capture.StateActive {
		t.Fatalf("%+v", a)
	}
	h.key("c", "00012345#")
	if fv, _ := h.get(s).Capture.Field("account"); fv.Masked != "********" || !fv.Valid {
		t.Fatalf("%+v", fv)
	}
	if paid, err := h.svc.Pay(ctx, s.Tenant, s.ID); err != nil || paid.Status != payment.StatusApproved {
		t.Fatal(err)
	}
	if got["account"] != "00012345" {
		t.Fatalf("fields %v", got)
	}
}

type recordingConn struct {
	*testgateway.Gateway
	fields func(map[string]string)
}

func (r *recordingConn) Pay(ctx context.Context, req *payment.Request) (*payment.Result, error) {
	r.fields(req.Fields)
	return r.Gateway.Pay(ctx, req)
}

func TestResolveLoop(t *testing.T) {
	h := newHarness(t)
	s := h.create(payment.CreateRequest{})
	h.secureCall(s, "c")
	h.key("c", "42424242424242421230847")
	h.gw.Inject(testgateway.FaultAnswerLost, testgateway.FaultUnavailable)
	if paid, _ := h.svc.Pay(ctx, s.Tenant, s.ID); paid.Status != payment.StatusInDoubt {
		t.Fatal(paid.Status)
	}
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- h.svc.ResolveLoop(lctx, time.Minute) }()
	// Advance the clock until the loop has run once and settled the payment.
	for i := 0; h.get(s).Status == payment.StatusInDoubt; i++ {
		if i > 5000 {
			t.Fatal("loop never settled the payment")
		}
		h.clock.Advance(time.Minute)
		time.Sleep(time.Millisecond)
	}
	if got := h.get(s); got.Status != payment.StatusApproved || h.gw.Charges() != 1 {
		t.Fatalf("%s charges %d", got.Status, h.gw.Charges())
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
