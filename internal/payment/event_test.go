package payment

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hushpay/hushpay/internal/capture"
)

func TestDataHoldsOnlyMaskedValues(t *testing.T) {
	d := NewData(
		Str("note", "card 4242 4242 4242 4242 keyed"),
		Str("id", "ps_abc"),
		Int("amount", 1999),
		Int("big", 4242424242424242),
		Bool("ok", true),
		ViewAttr("capture", capture.View{Active: capture.FieldCardNumber}),
		FieldAttr("field", capture.FieldView{Name: capture.FieldExpiry, Masked: "1230"}),
		ResultAttr("result", Result{Outcome: OutcomeApproved, Last4: "4242"}),
		Str("4242424242424242", "key is redacted too"),
		Str("long", strings.Repeat("x", 1000)),
		ViewAttr("forged", capture.View{Fields: []capture.FieldView{{Masked: "4242424242424242"}}}),
		FieldAttr("forged_field", capture.FieldView{Masked: "5555555555554444"}),
		ResultAttr("forged_result", Result{ChargeID: "4242424242424242", Reason: "card 4242424242424242"}),
	)
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Contains(s, "4242424242424242") || strings.Contains(s, "4242 4242 4242 4242") || strings.Contains(s, "5555555555554444") {
		t.Fatalf("data holds a card number: %s", s)
	}
	if d.String("id") != "ps_abc" || d.String("note") != "card [REDACTED] keyed" || len(d.String("long")) != maxStr {
		t.Fatalf("%v", d.Map())
	}
	if v, _ := d.Get("amount"); v != int64(1999) {
		t.Fatalf("amount %v", v)
	}
	if v, _ := d.Get("big"); v != "[REDACTED]" {
		t.Fatalf("big %v", v)
	}
	// Reading back from JSON (as a store does) filters again, also nested values.
	var back Data
	raw := `{"a":"4242424242424242","n":{"deep":["x 5555555555554444"]},"num":4242424242424242,"f":1.5,"k":7}`
	if err := json.Unmarshal([]byte(raw), &back); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(back)
	if strings.Contains(string(out), "4242424242424242") || strings.Contains(string(out), "5555555555554444") {
		t.Fatalf("decoded data holds a card number: %s", out)
	}
	if v, _ := back.Get("k"); v != int64(7) {
		t.Fatalf("k %v", v)
	}
	if err := json.Unmarshal([]byte(`[1]`), &back); err == nil {
		t.Fatal("array accepted")
	}
	var empty Data
	if b, _ := json.Marshal(empty); string(b) != "{}" || empty.Len() != 0 {
		t.Fatalf("empty %s", b)
	}
}

func TestDeclineReasons(t *testing.T) {
	for _, c := range []DeclineCode{DeclineGeneric, DeclineInsufficientFunds, DeclineIncorrectCVC, DeclineExpiredCard,
		DeclineIncorrectNumber, DeclineLostOrStolen, DeclineFraud, DeclineAddressMismatch, DeclineProcessingError,
		DeclineCardNotSupported, DeclineCurrencyNotAllowed, ErrorGatewayUnavailable, ErrorGatewayConfig,
		ErrorGatewayProtocol, ErrorAnswerLost, "something_else"} {
		if r := c.Reason(); r == "" || strings.ContainsAny(r, "\n") {
			t.Errorf("%s: %q", c, r)
		}
	}
	if DeclineCode("").Reason() != "" {
		t.Error("empty code has a reason")
	}
}

func TestMaskedPAN(t *testing.T) {
	tests := []struct {
		r    *Result
		n    int
		want string
	}{
		{&Result{Last4: "4242"}, 16, "************4242"},
		{&Result{First6: "424242", Last4: "4242"}, 16, "424242******4242"},
		{&Result{First6: "378282", Last4: "0005"}, 15, "378282*****0005"},
		{&Result{Last4: "4242"}, 0, "************4242"},
		{&Result{}, 16, ""},
		{nil, 16, ""},
	}
	for _, tt := range tests {
		if got := tt.r.MaskedPAN(tt.n); got != tt.want {
			t.Errorf("%+v: %q want %q", tt.r, got, tt.want)
		}
	}
}

func TestLooksLikePAN(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"INV-1001", false},
		{"order 20261121123456", false}, // 14 digits, no card brand/Luhn
		{"4242424242424242", true},
		{"pay 4242-4242-4242-4242 now", true},
		{"4242 4242 4242 4242", true},
		{"123456789012345678901234", true}, // more than 19 digits could hide one
		{"1234567890123", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := LooksLikePAN(tt.s); got != tt.want {
			t.Errorf("LooksLikePAN(%q) = %v", tt.s, got)
		}
	}
}

func TestStatusAndTypeHelpers(t *testing.T) {
	for _, s := range []Status{StatusPending, StatusCapturing, StatusReady, StatusProcessing, StatusInDoubt, StatusDeclined, StatusFailed} {
		if !s.Active() || !s.Valid() {
			t.Errorf("%s", s)
		}
	}
	if StatusApproved.Active() || StatusCancelled.Active() || Status("x").Valid() || Type("refund").Valid() {
		t.Error("helpers")
	}
	ce := NewConnectorError("x", ErrorAnswerLost, true, nil)
	if !strings.Contains(ce.Error(), "may have been charged") {
		t.Error(ce.Error())
	}
}
