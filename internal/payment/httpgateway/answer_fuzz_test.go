package httpgateway

import (
	"testing"

	"github.com/hushpay/hushpay/internal/payment"
)

// FuzzParseAnswer feeds arbitrary bytes as a gateway's answer: it must never panic, and
// whatever it accepts is a definite outcome whose fields cannot carry a card number.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{
		`{"charge_id":"ch_1","auth_code":"A1"}`,
		`{"token_id":"tok_1"}`,
		`{"error_code":"insufficient_funds","error_message":"no money"}`,
		`{"error_code":"weird_51"}`,
		`{}`, `[]`, `null`, ``, `{"charge_id":4}`,
		`{"charge_id":"4242424242424242"}`,
		`{"charge_id":"ch\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := parseAnswer(raw)
		if err != nil {
			return
		}
		if res.Outcome != payment.OutcomeApproved && res.Outcome != payment.OutcomeDeclined {
			t.Fatalf("outcome %q", res.Outcome)
		}
		for _, s := range []string{res.ChargeID, res.TokenID, res.AuthCode, string(res.DeclineCode)} {
			if payment.LooksLikePAN(s) || len(s) > 255 {
				t.Fatalf("accepted field %q", s)
			}
		}
	})
}
