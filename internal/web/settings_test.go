package web

import (
	"context"
	"testing"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/store"
	"github.com/hushpay/hushpay/internal/store/storetest"
)

func TestApplySettings(t *testing.T) {
	tests := []struct {
		name    string
		set     Settings
		wantErr bool
		check   func(config.Config) bool
	}{
		{"empty keeps the file", Settings{}, false, func(c config.Config) bool { return c.Capture.MaskStyle == "last4" && c.Payment.Gateway == "test" }},
		{"masking", Settings{MaskStyle: "first6last4", MaskMode: "silence", ActivationCode: "*99#"}, false, func(c config.Config) bool {
			return c.Capture.MaskStyle == "first6last4" && c.Media.Mask.Mode == "silence" && c.SIP.ActivationCode == "*99#"
		}},
		{"stripe with its key", Settings{Gateway: "stripe", StripeSecretKey: "sk_test_abc"}, false, func(c config.Config) bool {
			return c.Payment.Gateway == "stripe" && c.Payment.Stripe.SecretKey == "sk_test_abc"
		}},
		{"stripe without a key is refused", Settings{Gateway: "stripe"}, true, func(c config.Config) bool { return c.Payment.Gateway == "test" }},
		{"bad mask style is refused", Settings{MaskStyle: "all"}, true, func(c config.Config) bool { return c.Capture.MaskStyle == "last4" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			err := ApplySettings(&c, tc.set)
			if (err != nil) != tc.wantErr || !tc.check(c) {
				t.Fatalf("err %v, config %+v %+v", err, c.Capture, c.Payment)
			}
		})
	}
}

func TestLoadSettings(t *testing.T) {
	st, _ := storetest.SQLite(t)
	ctx := context.Background()
	if err := st.CreateTenant(ctx, &store.Tenant{ID: testTenant, Name: "Default"}); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{setSMTPHost: "mail.example", setSMTPPort: "2525", setSMTPPassword: "pw", setGateway: "http"} {
		if err := st.SetSetting(ctx, testTenant, k, v); err != nil {
			t.Fatal(err)
		}
	}
	s, err := LoadSettings(ctx, st, testTenant)
	if err != nil || s.SMTPHost != "mail.example" || s.SMTPPort != 2525 || s.SMTPPassword != "pw" || s.Gateway != "http" {
		t.Fatalf("%+v %v", s, err)
	}
}
