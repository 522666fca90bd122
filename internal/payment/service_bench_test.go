package payment_test

import (
	"testing"

	"github.com/hushpay/hushpay/internal/payment"
)

// BenchmarkDigit measures one customer digit through the Service (find the call's session,
// run the machine, store the view and its event) on the in-memory repository, that is the
// Service's own cost without a database.
func BenchmarkDigit(b *testing.B) {
	h := newHarness(b)
	s := h.create(payment.CreateRequest{})
	h.secureCall(s, "c")
	src := payment.Source{Side: payment.SideCustomer, Transport: payment.TransportRFC4733}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%12 == 11 {
			if _, err := h.svc.ResetField(ctx, s.Tenant, s.ID, "card_number"); err != nil {
				b.Fatal(err)
			}
			continue
		}
		if err := h.svc.Digit(ctx, "c", '4', src); err != nil {
			b.Fatal(err)
		}
	}
}
