package testgateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/payment"
)

func req(key, pan string, typ payment.Type) *payment.Request {
	return &payment.Request{Key: key, Type: typ, Amount: 1000, Currency: "GBP",
		Card: capture.NewCard([]byte(pan), 12, 2030, []byte("847"), nil, "")}
}

func TestCardTable(t *testing.T) {
	for pan, o := range cards {
		g := New(0)
		res, err := g.Pay(context.Background(), req("k", pan, payment.TypeSale))
		if err != nil {
			t.Fatal(err)
		}
		want := payment.OutcomeApproved
		if !o.approve {
			want = payment.OutcomeDeclined
		}
		if o.needPost { // declines only with a postcode
			want = payment.OutcomeApproved
		}
		if res.Outcome != want {
			t.Errorf("%s: %+v", pan, res)
		}
		if !o.approve && !o.needPost && res.DeclineCode != o.code {
			t.Errorf("%s: code %s want %s", pan, res.DeclineCode, o.code)
		}
		if res.Outcome == payment.OutcomeApproved && (res.ChargeID == "" || res.AuthCode == "") {
			t.Errorf("%s: %+v", pan, res)
		}
	}
	// Conditional declines.
	g := New(0)
	r := req("a", "4000000000000010", payment.TypeSale)
	r.Card = capture.NewCard([]byte("4000000000000010"), 12, 2030, []byte("847"), []byte("12345"), "")
	if res, _ := g.Pay(context.Background(), r); res.DeclineCode != payment.DeclineAddressMismatch {
		t.Errorf("postcode check: %+v", res)
	}
	r = req("b", "4000000000000101", payment.TypeSale)
	r.Card = capture.NewCard([]byte("4000000000000101"), 12, 2030, nil, nil, "")
	if res, _ := g.Pay(context.Background(), r); res.Outcome != payment.OutcomeApproved {
		t.Errorf("cvc check without cvc: %+v", res)
	}
	if res, _ := g.Pay(context.Background(), req("c", "4111111111111111", payment.TypeSale)); res.DeclineCode != payment.DeclineGeneric {
		t.Errorf("non-test card: %+v", res)
	}
}

func TestTypesTokensIdempotency(t *testing.T) {
	g := New(0)
	ctx := context.Background()
	for _, tt := range []struct {
		typ          payment.Type
		charge, tok  bool
		countsCharge bool
	}{
		{payment.TypeSale, true, false, true},
		{payment.TypePreauth, true, false, true},
		{payment.TypeVerify, false, true, false},
		{payment.TypeTokenize, false, true, false},
		{payment.TypeRecurring, true, true, true},
	} {
		before := g.Charges()
		res, err := g.Pay(ctx, req("key-"+string(tt.typ), "4242424242424242", tt.typ))
		if err != nil || (res.ChargeID != "") != tt.charge || (res.TokenID != "") != tt.tok {
			t.Fatalf("%s: %+v %v", tt.typ, res, err)
		}
		if (g.Charges() == before+1) != tt.countsCharge {
			t.Fatalf("%s: charges %d", tt.typ, g.Charges())
		}
		// Same key again: same answer, no new charge.
		again, _ := g.Pay(ctx, req("key-"+string(tt.typ), "4242424242424242", tt.typ))
		if *again != *res || g.Charges() != before+b2i(tt.countsCharge) {
			t.Fatalf("%s replay: %+v", tt.typ, again)
		}
		if tt.tok {
			tres, err := g.Pay(ctx, &payment.Request{Key: "tokcharge-" + string(tt.typ), Type: payment.TypeSale, Amount: 5,
				Currency: "GBP", Token: &payment.Token{GatewayToken: res.TokenID}})
			if err != nil || tres.Outcome != payment.OutcomeApproved {
				t.Fatalf("token charge: %+v %v", tres, err)
			}
		}
	}
	// Same key, different amount: refused.
	r := req("key-sale", "4242424242424242", payment.TypeSale)
	r.Amount = 1
	if _, err := g.Pay(ctx, r); !errors.Is(err, payment.ErrConnector) {
		t.Fatal(err)
	}
	// Unknown token declines.
	if res, _ := g.Pay(ctx, &payment.Request{Key: "z", Amount: 5, Currency: "GBP", Token: &payment.Token{GatewayToken: "nope"}}); res.Outcome != payment.OutcomeDeclined {
		t.Fatal(res)
	}
	// A token from a declining card declines.
	if _, err := g.Pay(ctx, &payment.Request{Key: ""}); !errors.Is(err, payment.ErrConnector) {
		t.Fatal("no key accepted")
	}
	if _, err := g.Pay(ctx, &payment.Request{Key: "nocard"}); !errors.Is(err, payment.ErrConnector) {
		t.Fatal("no card accepted")
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestFaultsAndLookup(t *testing.T) {
	ctx := context.Background()
	g := New(0)
	if _, err := g.Lookup(ctx, &payment.Request{Key: "x"}); !errors.Is(err, payment.ErrNotFound) {
		t.Fatal(err)
	}
	g.Inject(FaultUnavailable, FaultAnswerLost, FaultRequestLost)
	_, err := g.Pay(ctx, req("1", "4242424242424242", payment.TypeSale))
	if ce, ok := payment.AsConnectorError(err); !ok || ce.MaybeCharged {
		t.Fatalf("unavailable: %v", err)
	}
	_, err = g.Pay(ctx, req("2", "4242424242424242", payment.TypeSale))
	if ce, ok := payment.AsConnectorError(err); !ok || !ce.MaybeCharged || g.Charges() != 1 {
		t.Fatalf("answer lost: %v", err)
	}
	if res, err := g.Lookup(ctx, &payment.Request{Key: "2"}); err != nil || res.Outcome != payment.OutcomeApproved {
		t.Fatalf("lookup: %v", err)
	}
	_, err = g.Pay(ctx, req("3", "4242424242424242", payment.TypeSale))
	if ce, ok := payment.AsConnectorError(err); !ok || !ce.MaybeCharged || g.Charges() != 1 {
		t.Fatalf("request lost: %v", err)
	}
	if _, err := g.Lookup(ctx, &payment.Request{Key: "3"}); !errors.Is(err, payment.ErrNotFound) {
		t.Fatal(err)
	}
	g.Inject(FaultUnavailable)
	if _, err := g.Lookup(ctx, &payment.Request{Key: "2"}); !errors.Is(err, payment.ErrConnector) {
		t.Fatal(err)
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	g := New(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := g.Pay(ctx, req("k", "4242424242424242", payment.TypeSale))
	if ce, ok := payment.AsConnectorError(err); !ok || !ce.MaybeCharged || g.Charges() != 0 {
		t.Fatalf("%v", err)
	}
	if g.Name() != "test" {
		t.Fatal(g.Name())
	}
}
