package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/config"
)

func TestAdminConsole(t *testing.T) {
	e := newEnv(t, config.Web{})
	ctx := context.Background()
	b := e.browser()
	b.login("ada", "ada-password-1")
	post := func(path string, form url.Values) (*http.Response, string) {
		t.Helper()
		b.get("/admin")
		return b.post(path, form, true)
	}
	tests := []struct {
		name string
		form url.Values
		want int
	}{
		{"masking", url.Values{"section": {"masking"}, "mask_style": {"first6last4"}, "mask_mode": {"silence"}, "activation_code": {"*77#"}}, 303},
		{"bad mask style", url.Values{"section": {"masking"}, "mask_style": {"everything"}, "mask_mode": {"tone"}}, 422},
		{"bad activation code", url.Values{"section": {"masking"}, "mask_style": {"last4"}, "mask_mode": {"tone"}, "activation_code": {"12ab"}}, 422},
		{"webhook", url.Values{"section": {"webhook"}, "webhook_url": {"https://hooks.example/h"}, "webhook_secret": {"a-secret-of-20-chars"}}, 303},
		{"webhook short secret", url.Values{"section": {"webhook"}, "webhook_url": {"https://hooks.example/h"}, "webhook_secret": {"short"}}, 422},
		{"receipt", url.Values{"section": {"receipt"}, "receipt_name": {"Acme"}, "receipt_logo": {"https://acme.example/logo.png"}, "receipt_colour": {"#aa0000"}}, 303},
		{"receipt logo over http", url.Values{"section": {"receipt"}, "receipt_logo": {"http://acme.example/logo.png"}}, 422},
		{"smtp", url.Values{"section": {"smtp"}, "smtp_host": {"mail.example"}, "smtp_port": {"587"}, "smtp_from": {"shop@acme.example"}, "smtp_password": {"smtp-secret-pw"}}, 303},
		{"gateway", url.Values{"section": {"gateway"}, "gateway": {"stripe"}, "stripe_secret_key": {"sk_test_secretvalue"}}, 303},
		{"unknown section", url.Values{"section": {"x"}}, 422},
	}
	for _, tc := range tests {
		if r, _ := post("/admin/settings", tc.form); r.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, r.StatusCode, tc.want)
		}
	}
	set, err := LoadSettings(ctx, e.st, testTenant)
	if err != nil || set.MaskStyle != "first6last4" || set.ActivationCode != "*77#" || set.SMTPPassword != "smtp-secret-pw" || set.StripeSecretKey != "sk_test_secretvalue" {
		t.Fatalf("settings: %+v %v", set, err)
	}
	// Saving again without the secret keeps it.
	post("/admin/settings", url.Values{"section": {"smtp"}, "smtp_host": {"mail2.example"}, "smtp_port": {"25"}, "smtp_from": {"shop@acme.example"}})
	if set, _ = LoadSettings(ctx, e.st, testTenant); set.SMTPPassword != "smtp-secret-pw" || set.SMTPHost != "mail2.example" {
		t.Fatalf("secret lost on save: %+v", set)
	}
	tn, _ := e.st.Tenant(ctx, testTenant)
	if tn.WebhookURL != "https://hooks.example/h" || tn.WebhookSecret != "a-secret-of-20-chars" {
		t.Fatalf("webhook: %+v", tn)
	}
	// Secrets are write-only: the console never shows them.
	_, page := b.get("/admin")
	for _, secret := range []string{"smtp-secret-pw", "sk_test_secretvalue", "a-secret-of-20-chars"} {
		if strings.Contains(page, secret) {
			t.Errorf("the admin page shows the secret %q", secret)
		}
	}
	if !strings.Contains(page, "https://hooks.example/h") || !strings.Contains(page, "; set)") {
		t.Error("the admin page does not show the webhook URL or that secrets are set")
	}

	// API keys: shown once, listed by prefix, revocable; the system scope cannot be given.
	if r, _ := post("/admin/keys", url.Values{"name": {"crm"}, "scope": {api.ScopeSystem}}); r.StatusCode != 422 {
		t.Errorf("system scope: %d", r.StatusCode)
	}
	r, body := post("/admin/keys", url.Values{"name": {"crm"}, "scope": {api.ScopeSessionsRead, api.ScopeSessionsWrite}})
	key := regexp.MustCompile(`id="new-key">(hpk_[A-Za-z0-9_-]+)<`).FindStringSubmatch(body)
	if r.StatusCode != 200 || key == nil {
		t.Fatalf("create key: %d", r.StatusCode)
	}
	if _, page := b.get("/admin"); strings.Contains(page, key[1]) {
		t.Error("the key is shown again")
	}
	k, err := e.st.APIKeyByHash(ctx, api.HashKey(key[1]))
	if err != nil || k.Name != "crm" {
		t.Fatalf("stored key: %+v %v", k, err)
	}
	if r, _ := post("/admin/keys/"+k.ID+"/revoke", url.Values{}); r.StatusCode != 303 {
		t.Errorf("revoke: %d", r.StatusCode)
	}
	if k, _ = e.st.APIKeyByHash(ctx, api.HashKey(key[1])); !k.Revoked() {
		t.Error("key not revoked")
	}

	// Users: an admin cannot demote or disable themself; can disable another user.
	ada, _ := e.st.UserByName(ctx, "ada")
	if r, _ := post("/admin/users/"+ada.ID, url.Values{"role": {"agent"}}); r.StatusCode != 422 {
		t.Errorf("self-demotion: %d", r.StatusCode)
	}
	bob, _ := e.st.UserByName(ctx, "bob")
	if r, _ := post("/admin/users/"+bob.ID, url.Values{"role": {"agent"}, "disabled": {"1"}}); r.StatusCode != 303 {
		t.Errorf("disable bob: %d", r.StatusCode)
	}
	if r := e.browser().login("bob", "bob-password-1"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("disabled user logs in: %d", r.StatusCode)
	}
	if r, _ := post("/admin/users", url.Values{"username": {"Bad Name"}, "role": {"agent"}, "password": {"long-enough-pw"}}); r.StatusCode != 422 {
		t.Errorf("bad username: %d", r.StatusCode)
	}
	if r, _ := post("/admin/users", url.Values{"username": {"carl"}, "role": {"agent"}, "password": {"short"}}); r.StatusCode != 422 {
		t.Errorf("short password: %d", r.StatusCode)
	}
	audit, _ := e.st.Audit(ctx, testTenant, 100)
	actions := map[string]bool{}
	for _, a := range audit {
		actions[a.Action] = a.Actor == "user:ada" || actions[a.Action]
	}
	for _, want := range []string{"web.settings", "api_key.create", "api_key.revoke", "web.user_update"} {
		if !actions[want] {
			t.Errorf("no audit entry %s by user:ada", want)
		}
	}
}

func TestHistoryFilters(t *testing.T) {
	e := newEnv(t, config.Web{})
	a := e.browser()
	a.login("alice", "alice-password-1")
	createSession(t, a)
	s := e.browser()
	s.login("sue", "sue-password-1")
	tests := []struct {
		query string
		want  int
		rows  bool
	}{
		{"", 200, true},
		{"?agent=alice", 200, true},
		{"?agent=bob", 200, false},
		{"?status=pending", 200, true},
		{"?status=approved", 200, false},
		{"?min=10&max=13", 200, true},
		{"?min=13", 200, false},
		{"?from=2000-01-01&to=2000-01-02", 200, false},
		{"?from=yesterday", 200, false},
		{"?status=bogus", 200, false},
	}
	for _, tc := range tests {
		r, body := s.get("/supervisor/history" + tc.query)
		if r.StatusCode != tc.want || strings.Contains(body, "12.50 GBP") != tc.rows {
			t.Errorf("%s: %d, rows %v", tc.query, r.StatusCode, !tc.rows)
		}
	}
	if r, _ := s.get("/supervisor/export.csv?date=nonsense"); r.StatusCode != 400 {
		t.Errorf("bad export date: %d", r.StatusCode)
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"12.50", "GBP", 1250, true},
		{"12,5", "EUR", 1250, true},
		{"12", "GBP", 1200, true},
		{".5", "GBP", 50, true},
		{"1000", "JPY", 1000, true},
		{"1.5", "JPY", 0, false},
		{"1.234", "KWD", 1234, true},
		{"0", "GBP", 0, false},
		{"-5", "GBP", 0, false},
		{"1e3", "GBP", 0, false},
		{"", "GBP", 0, false},
		{"12.345", "GBP", 0, false},
		{"5", "", 0, false},
		{"99999999999999", "GBP", 0, false},
	}
	for _, tc := range tests {
		got, err := parseAmount(tc.in, tc.cur)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseAmount(%q, %s) = %d, %v", tc.in, tc.cur, got, err)
		}
		if tc.ok {
			if back := formatMajor(got, tc.cur); back == "" {
				t.Errorf("format %d", got)
			}
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"12.50", "0.01", "1,000", "1e9", "９", "4242424242424242"} {
		f.Add(s, "GBP")
	}
	f.Fuzz(func(t *testing.T, s, cur string) {
		n, err := parseAmount(s, cur)
		if err == nil && (n <= 0 || n > 100_000_000_000) {
			t.Fatalf("parseAmount(%q) = %d", s, n)
		}
	})
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{"=SUM(A1)": "'=SUM(A1)", "+1": "+1", "-12.50": "-12.50", "@x": "'@x", "INV-1": "INV-1", "": ""} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
