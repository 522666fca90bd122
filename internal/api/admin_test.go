package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/api"
)

func TestKeysAdmin(t *testing.T) {
	e := newEnv(t, sqliteBackend(t))
	r := e.do("POST", "/v1/api-keys", e.keys["admin"], map[string]any{"name": "crm", "scopes": []string{"sessions:read"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create key: %d %s", r.status, r.body)
	}
	var k api.NewKeyInfo
	_ = json.Unmarshal(r.body, &k)
	if !strings.HasPrefix(k.Key, api.KeyPrefix) || len(k.Key) < 40 || k.ID == "" {
		t.Fatalf("new key: %+v", k)
	}
	if r := e.do("GET", "/v1/sessions", k.Key, nil); r.status != 200 {
		t.Fatalf("use new key: %d %s", r.status, r.body)
	}
	// The list shows the key without its secret or hash.
	r = e.do("GET", "/v1/api-keys", e.keys["admin"], nil)
	if r.status != 200 || strings.Contains(string(r.body), k.Key) || !strings.Contains(string(r.body), k.ID) || strings.Contains(string(r.body), api.HashKey(k.Key)) {
		t.Fatalf("list keys: %s", r.body)
	}
	for name, body := range map[string]map[string]any{
		"unknown scope":    {"name": "x", "scopes": []string{"everything"}},
		"no scopes":        {"name": "x", "scopes": []string{}},
		"no name":          {"scopes": []string{"sessions:read"}},
		"escalate: system": {"name": "x", "scopes": []string{"system"}},
	} {
		if r := e.do("POST", "/v1/api-keys", e.keys["admin"], body); r.status != 400 && r.status != 403 {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := e.do("DELETE", "/v1/api-keys/"+k.ID, e.keys["admin"], nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/sessions", k.Key, nil); r.status != 401 {
		t.Fatalf("revoked key still works: %d", r.status)
	}
	if r := e.do("DELETE", "/v1/api-keys/key_nope", e.keys["admin"], nil); r.status != 404 {
		t.Fatalf("revoke unknown: %d", r.status)
	}
	// Tenants: system scope creates one with its own admin key, isolated from ours.
	r = e.do("POST", "/v1/tenants", e.keys["system"], map[string]any{"name": "Beta"})
	if r.status != http.StatusCreated {
		t.Fatalf("create tenant: %d %s", r.status, r.body)
	}
	var nt struct {
		Tenant   api.Tenant     `json:"tenant"`
		AdminKey api.NewKeyInfo `json:"admin_key"`
	}
	_ = json.Unmarshal(r.body, &nt)
	if r := e.do("GET", "/v1/api-keys", nt.AdminKey.Key, nil); r.status != 200 || strings.Contains(string(r.body), k.ID) {
		t.Fatalf("new tenant's keys: %d %s", r.status, r.body)
	}
}

func TestWebhookConfig(t *testing.T) {
	e := newEnv(t, sqliteBackend(t))
	if r := e.do("PUT", "/v1/webhook", e.keys["admin"], map[string]any{"url": "ftp://x", "secret": "0123456789abcdef"}); r.status != 400 {
		t.Fatalf("bad url: %d", r.status)
	}
	if r := e.do("PUT", "/v1/webhook", e.keys["admin"], map[string]any{"url": "https://hooks.example/x", "secret": "short"}); r.status != 400 {
		t.Fatalf("short secret: %d", r.status)
	}
	r := e.do("PUT", "/v1/webhook", e.keys["admin"], map[string]any{"url": "https://hooks.example/x", "secret": "0123456789abcdefXYZ"})
	if r.status != 200 {
		t.Fatalf("set: %d %s", r.status, r.body)
	}
	r = e.do("GET", "/v1/webhook", e.keys["admin"], nil)
	if r.status != 200 || strings.Contains(string(r.body), "0123456789abcdefXYZ") || !strings.Contains(string(r.body), `"secret_set":true`) {
		t.Fatalf("get: %s", r.body)
	}
	if r := e.do("DELETE", "/v1/webhook", e.keys["admin"], nil); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	if r := e.do("GET", "/v1/webhook/deliveries", e.keys["admin"], nil); r.status != 200 || !strings.Contains(string(r.body), `"deliveries":[]`) {
		t.Fatalf("deliveries: %s", r.body)
	}
}

// fakeCalls is a CallController for the tests (the real one comes with SIP).
type fakeCalls struct{ secure map[string]bool }

func (f *fakeCalls) Calls(_ context.Context, tenant string) ([]api.Call, error) {
	return []api.Call{{ID: "call-1", Mode: "inline", CanSecure: true, Secure: f.secure["call-1"], StartedAt: time.Now()}}, nil
}

func (f *fakeCalls) SetSecure(_ context.Context, tenant, id string, on bool) (api.Call, error) {
	switch id {
	case "call-1":
		f.secure[id] = on
		return api.Call{ID: id, Mode: "inline", CanSecure: true, Secure: on}, nil
	case "call-g729":
		return api.Call{}, api.ErrCannotSecure
	}
	return api.Call{}, api.ErrNoCall
}

func TestCalls(t *testing.T) {
	e := newEnv(t, sqliteBackend(t))
	for _, p := range []struct{ m, path string }{{"GET", "/v1/calls"}, {"POST", "/v1/calls/call-1/secure"}, {"DELETE", "/v1/calls/call-1/secure"}} {
		if r := e.do(p.m, p.path, e.keys["calls"], nil); r.status != 503 || r.err().Code != api.CodeNoCallControl {
			t.Errorf("%s %s without call control: %d %s", p.m, p.path, r.status, r.body)
		}
	}
	fc := &fakeCalls{secure: map[string]bool{}}
	e = newEnv(t, sqliteBackend(t), func(o *api.Options) { o.Calls = fc })
	if r := e.do("POST", "/v1/calls/call-1/secure", e.keys["calls"], nil); r.status != 200 || !fc.secure["call-1"] {
		t.Fatalf("secure on: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/calls", e.keys["calls"], nil); r.status != 200 || !strings.Contains(string(r.body), `"secure":true`) {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/v1/calls/call-1/secure", e.keys["calls"], nil); r.status != 200 || fc.secure["call-1"] {
		t.Fatalf("secure off: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v1/calls/call-x/secure", e.keys["calls"], nil); r.status != 404 || r.err().Code != api.CodeNoCall {
		t.Fatalf("unknown call: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/v1/calls/call-g729/secure", e.keys["calls"], nil); r.status != 409 || r.err().Code != api.CodeCannotSecure {
		t.Fatalf("cannot secure: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/v1/calls", e.keys["read"], nil); r.status != 403 {
		t.Fatalf("calls with a sessions key: %d", r.status)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t, sqliteBackend(t))
	if r := e.do("GET", "/healthz", "", nil); r.status != 200 || !strings.Contains(string(r.body), `"status":"ok"`) {
		t.Fatalf("health: %d %s", r.status, r.body)
	}
	e.do("GET", "/v1/sessions/ps_4242424242424242", e.keys["read"], nil)
	r := e.do("GET", "/metrics", "", nil)
	body := string(r.body)
	if r.status != 200 || !strings.Contains(body, `hushpay_http_requests_total{code="4xx",route="GET /v1/sessions/{id}"}`) ||
		!strings.Contains(body, "hushpay_sse_streams") {
		t.Fatalf("metrics: %d\n%s", r.status, body)
	}
	if strings.Contains(body, "ps_") || strings.Contains(body, "4242424242424242") {
		t.Fatal("metrics carry an identifier or a card number")
	}
	var doc map[string]any
	if r := e.do("GET", "/v1/openapi.json", "", nil); r.status != 200 || json.Unmarshal(r.body, &doc) != nil || doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi: %d", r.status)
	}
}
