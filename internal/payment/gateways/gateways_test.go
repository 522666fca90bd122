package gateways

import (
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/payment/paymenttest"
)

func TestConnector(t *testing.T) {
	def := config.Default()
	tests := []struct {
		name    string
		mod     func(p *config.Payment)
		want    string
		wantErr bool
	}{
		{"default is the test gateway", func(p *config.Payment) {}, "test", false},
		{"stripe", func(p *config.Payment) { p.Gateway = "stripe"; p.Stripe.SecretKey = "sk_test_1" }, "stripe", false},
		{"stripe without key", func(p *config.Payment) { p.Gateway = "stripe" }, "", true},
		{"http", func(p *config.Payment) {
			p.Gateway, p.HTTP.URL, p.HTTP.Secret = "http", "https://adapter.example/pay", "0123456789abcdef"
		}, "http", false},
		{"http without url", func(p *config.Payment) { p.Gateway = "http" }, "", true},
		{"unknown", func(p *config.Payment) { p.Gateway = "adyen" }, "", true},
	}
	for _, tt := range tests {
		p := def.Payment
		tt.mod(&p)
		c, err := Connector(p)
		if (err != nil) != tt.wantErr || (err == nil && c.Name() != tt.want) {
			t.Errorf("%s: %v %v", tt.name, c, err)
		}
	}
}

func TestRulesAndOptions(t *testing.T) {
	cfg := config.Default()
	cfg.Capture.Terminator = "*"
	cfg.Capture.Timeout = 7 * time.Second
	cfg.Capture.MaxAttempts = 5
	cfg.Capture.AllowedBrands = []string{"visa", "amex"}
	cfg.Capture.MaskStyle = "first6last4"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := Rules(cfg.Capture)
	if r.Terminator != '*' || r.Timeout != 7*time.Second || r.MaxAttempts != 5 || len(r.AllowedBrands) != 2 ||
		r.AllowedBrands[1] != capture.BrandAmex || r.MaskStyle != capture.MaskFirst6Last4 {
		t.Fatalf("%+v", r)
	}
	// The defaults make a working Service.
	def := config.Default()
	conn, err := Connector(def.Payment)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := payment.NewService(paymenttest.NewMemRepo(), conn, Options(def)); err != nil {
		t.Fatal(err)
	}
	if _, err := payment.NewService(paymenttest.NewMemRepo(), conn, Options(cfg)); err != nil {
		t.Fatal(err)
	}
}
