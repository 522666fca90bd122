package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/store/storetest"
)

func TestAuthorization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		sess := e.createSession(e.keys["write"], "idem-1", "", 1000)
		// Another tenant with full rights.
		other := e.newTenant("Other")
		ok, err := api.CreateKey(context.Background(), e.store, other, "o", "", []string{api.ScopeAdmin})
		if err != nil {
			t.Fatal(err)
		}
		revoked, err := api.CreateKey(context.Background(), e.store, e.tenant, "r", "", []string{api.ScopeAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if r := e.do("DELETE", "/v1/api-keys/"+revoked.ID, e.keys["admin"], nil); r.status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		get := "/v1/sessions/" + sess.ID
		tests := []struct {
			name   string
			method string
			path   string
			auth   string // full Authorization header value; "" for none
			status int
			code   string
		}{
			{"no key", "GET", get, "", 401, api.CodeUnauthorized},
			{"wrong key", "GET", get, "Bearer hpk_" + strings.Repeat("x", 43), 401, api.CodeUnauthorized},
			{"not bearer", "GET", get, "Basic " + e.keys["read"], 401, api.CodeUnauthorized},
			{"revoked key", "GET", get, "Bearer " + revoked.Key, 401, api.CodeUnauthorized},
			{"wrong tenant", "GET", get, "Bearer " + ok.Key, 404, api.CodeNotFound},
			{"wrong tenant events", "GET", get + "/events", "Bearer " + ok.Key, 404, api.CodeNotFound},
			{"wrong tenant pay", "POST", get + "/pay", "Bearer " + ok.Key, 404, api.CodeNotFound},
			{"wrong scope: read cannot pay", "POST", get + "/pay", "Bearer " + e.keys["read"], 403, api.CodeForbidden},
			{"wrong scope: calls cannot read sessions", "GET", get, "Bearer " + e.keys["calls"], 403, api.CodeForbidden},
			{"wrong scope: write cannot manage keys", "GET", "/v1/api-keys", "Bearer " + e.keys["write"], 403, api.CodeForbidden},
			{"wrong scope: admin cannot create tenants", "POST", "/v1/tenants", "Bearer " + e.keys["admin"], 403, api.CodeForbidden},
			{"admin implies read", "GET", get, "Bearer " + e.keys["admin"], 200, ""},
			{"read", "GET", get, "Bearer " + e.keys["read"], 200, ""},
			{"health needs no key", "GET", "/healthz", "", 200, ""},
			{"openapi needs no key", "GET", "/v1/openapi.json", "", 200, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				hdr := []string{}
				if tt.auth != "" {
					hdr = []string{"Authorization", tt.auth}
				}
				r := e.do(tt.method, tt.path, "", nil, hdr...)
				if r.status != tt.status || r.err().Code != tt.code {
					t.Fatalf("%s %s: %d %s, want %d %s", tt.method, tt.path, r.status, r.body, tt.status, tt.code)
				}
				if tt.status == 401 && r.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			})
		}
		// The other tenant's list does not show the session.
		if r := e.do("GET", "/v1/sessions", ok.Key, nil); r.status != 200 || strings.Contains(string(r.body), sess.ID) {
			t.Fatalf("other tenant's list: %d %s", r.status, r.body)
		}
	})
}

func TestCreateSessionIdempotency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		body := map[string]any{"amount": 1999, "currency": "GBP", "account_ref": "INV-42", "description": "Invoice 42"}
		if r := e.do("POST", "/v1/sessions", e.keys["write"], body); r.status != 400 || r.err().Code != api.CodeIdempotencyRequired {
			t.Fatalf("without key: %d %s", r.status, r.body)
		}
		r1 := e.do("POST", "/v1/sessions", e.keys["write"], body, "Idempotency-Key", "order-42")
		if r1.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r1.status, r1.body)
		}
		s1 := r1.session(t)
		if s1.Status != payment.StatusPending || len(s1.Pairing.CallRef) != 6 || s1.Amount != 1999 || r1.header.Get("Location") != "/v1/sessions/"+s1.ID {
			t.Fatalf("created: %+v", s1)
		}
		r2 := e.do("POST", "/v1/sessions", e.keys["write"], body, "Idempotency-Key", "order-42")
		if r2.status != http.StatusOK || r2.session(t).ID != s1.ID {
			t.Fatalf("replay: %d %s", r2.status, r2.body)
		}
		for name, changed := range map[string]map[string]any{
			"amount":      {"amount": 2000, "currency": "GBP", "account_ref": "INV-42", "description": "Invoice 42"},
			"description": {"amount": 1999, "currency": "GBP", "account_ref": "INV-42", "description": "Invoice 43"},
		} {
			r := e.do("POST", "/v1/sessions", e.keys["write"], changed, "Idempotency-Key", "order-42")
			if r.status != http.StatusConflict || r.err().Code != api.CodeIdempotencyMismatch {
				t.Errorf("%s changed: %d %s", name, r.status, r.body)
			}
		}
		// The same key in another tenant is another session.
		other := e.newTenant("Other")
		k, _ := api.CreateKey(context.Background(), e.store, other, "w", "", []string{api.ScopeSessionsWrite, api.ScopeSessionsRead})
		if r := e.do("POST", "/v1/sessions", k.Key, body, "Idempotency-Key", "order-42"); r.status != http.StatusCreated || r.session(t).ID == s1.ID {
			t.Fatalf("other tenant same key: %d %s", r.status, r.body)
		}
	})
}

// No endpoint accepts card data, whatever its name or shape.
func TestRejectsCardData(t *testing.T) {
	e := newEnv(t, sqliteBackend(t))
	sess := e.createSession(e.keys["write"], "idem-card", "", 500)
	base := `"amount": 100, "currency": "GBP"`
	tests := []struct {
		name, path, body string
	}{
		{"card_number field", "/v1/sessions", `{` + base + `, "card_number": "4242424242424242"}`},
		{"pan field", "/v1/sessions", `{` + base + `, "pan": "x"}`},
		{"cvv field", "/v1/sessions", `{` + base + `, "cvv": "123"}`},
		{"security code field", "/v1/sessions", `{` + base + `, "Security-Code": 123}`},
		{"expiry field", "/v1/sessions", `{` + base + `, "expiry": "1230"}`},
		{"nested card", "/v1/sessions", `{` + base + `, "schedule": {"card": {"number": "5555555555554444"}}}`},
		{"card in description", "/v1/sessions", `{` + base + `, "description": "card 4000 0000 0000 0002 thanks"}`},
		{"card in account_ref", "/v1/sessions", `{` + base + `, "account_ref": "378282246310005"}`},
		{"card as a number", "/v1/sessions", `{` + base + `, "amount": 4242424242424242}`},
		{"card as a key", "/v1/sessions", `{` + base + `, "4242424242424242": 1}`},
		{"card in capture field", "/v1/sessions/" + sess.ID + "/capture", `{"field": "4242424242424242"}`},
		{"card in cancel reason", "/v1/sessions/" + sess.ID + "/cancel", `{"reason": "5555-5555-5555-4444"}`},
		{"card on pay", "/v1/sessions/" + sess.ID + "/pay", `{"card_number": "4242424242424242", "cvc": "123"}`},
		{"card in key name", "/v1/api-keys", `{"name": "4242424242424242", "scopes": ["sessions:read"]}`},
	}
	for _, tt := range tests {
		key := e.keys["write"]
		if strings.HasPrefix(tt.path, "/v1/api-keys") {
			key = e.keys["admin"]
		}
		r := e.do("POST", tt.path, key, tt.body, "Idempotency-Key", "idem-"+strings.ReplaceAll(tt.name, " ", "-"))
		if r.status != 400 || r.err().Code != api.CodeCardDataRejected {
			t.Errorf("%s: %d %s", tt.name, r.status, r.body)
		}
		if strings.Contains(string(r.body), "4242424242424242") {
			t.Errorf("%s: error echoes the card number", tt.name)
		}
	}
	if r := e.do("POST", "/v1/sessions", e.keys["write"], `{`+base+`}`, "Idempotency-Key", "4242424242424242"); r.status != 400 || r.err().Code != api.CodeCardDataRejected {
		t.Errorf("card as idempotency key: %d %s", r.status, r.body)
	}
}

func TestInputValidation(t *testing.T) {
	e := newEnv(t, sqliteBackend(t))
	sess := e.createSession(e.keys["write"], "idem-v", "", 500)
	tests := []struct {
		name, method, path, body string
		ctype                    string
		status                   int
		code                     string
	}{
		{"unknown field", "POST", "/v1/sessions", `{"amount": 1, "currency": "GBP", "colour": "red"}`, "", 400, api.CodeInvalidRequest},
		{"not JSON", "POST", "/v1/sessions", `{"amount": `, "", 400, api.CodeInvalidRequest},
		{"array", "POST", "/v1/sessions", `[1]`, "", 400, api.CodeInvalidRequest},
		{"two objects", "POST", "/v1/sessions", `{"amount": 1, "currency": "GBP"}{}`, "", 400, api.CodeInvalidRequest},
		{"wrong type", "POST", "/v1/sessions", `{"amount": "ten", "currency": "GBP"}`, "", 400, api.CodeInvalidRequest},
		{"negative amount", "POST", "/v1/sessions", `{"amount": -1, "currency": "GBP"}`, "", 400, api.CodeInvalidRequest},
		{"lower-case currency", "POST", "/v1/sessions", `{"amount": 1, "currency": "gbp"}`, "", 400, api.CodeInvalidRequest},
		{"no currency", "POST", "/v1/sessions", `{"amount": 1}`, "", 400, api.CodeInvalidRequest},
		{"bad type", "POST", "/v1/sessions", `{"amount": 1, "currency": "GBP", "type": "refund"}`, "", 400, api.CodeInvalidRequest},
		{"bad brand", "POST", "/v1/sessions", `{"amount": 1, "currency": "GBP", "allowed_brands": ["amexx"]}`, "", 400, api.CodeInvalidRequest},
		{"control chars", "POST", "/v1/sessions", `{"amount": 1, "currency": "GBP", "description": "a\u0000b"}`, "", 400, api.CodeInvalidRequest},
		{"too large", "POST", "/v1/sessions", `{"amount": 1, "currency": "GBP", "description": "` + strings.Repeat("a", 70000) + `"}`, "", 413, api.CodeTooLarge},
		{"form body", "POST", "/v1/sessions", `amount=1`, "application/x-www-form-urlencoded", 415, api.CodeUnsupportedMedia},
		{"bad filter", "GET", "/v1/sessions?status=lost", "", "", 400, api.CodeInvalidRequest},
		{"unknown filter", "GET", "/v1/sessions?colour=red", "", "", 400, api.CodeInvalidRequest},
		{"bad time filter", "GET", "/v1/sessions?from=yesterday", "", "", 400, api.CodeInvalidRequest},
		{"bad limit", "GET", "/v1/sessions?limit=0", "", "", 400, api.CodeInvalidRequest},
		{"unknown session", "GET", "/v1/sessions/ps_nope", "", "", 404, api.CodeNotFound},
		{"bad id", "GET", "/v1/sessions/a%20b", "", "", 400, api.CodeInvalidRequest},
		{"missing field", "POST", "/v1/sessions/" + sess.ID + "/capture", `{}`, "", 400, api.CodeInvalidRequest},
		{"pay before capture", "POST", "/v1/sessions/" + sess.ID + "/pay", ``, "", 409, api.CodeWrongState},
		{"unknown endpoint", "GET", "/v1/nothing", "", "", 404, api.CodeNotFound},
		{"wrong method", "PATCH", "/v1/sessions", "", "", 405, api.CodeMethodNotAllowed},
		{"bad Last-Event-ID", "GET", "/v1/sessions/" + sess.ID + "/events?last_event_id=x", "", "", 400, api.CodeInvalidRequest},
	}
	for _, tt := range tests {
		var body any
		if tt.body != "" {
			body = tt.body
		}
		hdr := []string{"Idempotency-Key", "idem-" + strings.ReplaceAll(tt.name, " ", "-")}
		if tt.ctype != "" {
			hdr = append(hdr, "Content-Type", tt.ctype)
		}
		r := e.do(tt.method, tt.path, e.keys["write"], body, hdr...)
		if r.status != tt.status || r.err().Code != tt.code || r.err().Message == "" {
			t.Errorf("%s: %d %s, want %d %s", tt.name, r.status, r.body, tt.status, tt.code)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: content type %q", tt.name, ct)
		}
	}
}

// sqliteBackend is for tests whose behaviour does not depend on the database.
func sqliteBackend(t *testing.T) storetest.Backend {
	s, p := storetest.SQLite(t)
	return storetest.Backend{Name: "sqlite", Store: s, Where: p}
}
