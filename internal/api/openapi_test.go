package api

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// The OpenAPI document and the routes registered on the mux describe the same API: every
// route is documented with its method and scope, and every documented operation is served.
func TestOpenAPIInSync(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi version %q, want 3.1.x", doc.OpenAPI)
	}
	s := New(Options{})
	served := map[string]bool{}
	for _, rt := range s.routes() {
		key := strings.ToLower(rt.Method) + " " + rt.Pattern
		served[key] = true
		raw, ok := doc.Paths[rt.Pattern][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("route %s %s is not in openapi.json", rt.Method, rt.Pattern)
			continue
		}
		var op struct {
			Scope     string                     `json:"x-required-scope"`
			Security  []map[string][]string      `json:"security"`
			Responses map[string]json.RawMessage `json:"responses"`
		}
		if err := json.Unmarshal(raw, &op); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if op.Scope != rt.Scope {
			t.Errorf("%s: documented scope %q, served with %q", key, op.Scope, rt.Scope)
		}
		if rt.Scope != "" && (len(op.Security) == 0 || op.Responses["401"] == nil || op.Responses["403"] == nil) {
			t.Errorf("%s: authenticated route without security, 401 or 403 documented", key)
		}
	}
	var extra []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if !served[m+" "+p] {
				extra = append(extra, m+" "+p)
			}
		}
	}
	sort.Strings(extra)
	for _, x := range extra {
		t.Errorf("openapi.json documents %s, which is not served", x)
	}
}

func TestMatchesPath(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"/v1/sessions", "/v1/sessions", true},
		{"/v1/sessions/{id}", "/v1/sessions/ps_1", true},
		{"/v1/sessions/{id}", "/v1/sessions/", false},
		{"/v1/sessions/{id}/pay", "/v1/sessions/ps_1/pay", true},
		{"/v1/sessions/{id}/pay", "/v1/sessions/ps_1/cancel", false},
		{"/v1/sessions", "/v1/sessions/ps_1", false},
	}
	for _, tt := range tests {
		if got := (route{Pattern: tt.pattern}).matchesPath(tt.path); got != tt.want {
			t.Errorf("%s ~ %s = %v", tt.pattern, tt.path, got)
		}
	}
}
