package api

import (
	"net/http"
	"strings"
)

// route is one endpoint. The whole API is declared in routes(), in one place: the mux, the
// metrics labels and the OpenAPI sync test all read it.
type route struct {
	Method  string
	Pattern string
	Scope   string // required scope; empty: no authentication
	handler http.Handler
}

func (s *Server) routes() []route {
	r := func(method, pattern, scope string, h http.HandlerFunc) route {
		if scope != "" {
			h = s.require(scope, h)
		}
		return route{Method: method, Pattern: pattern, Scope: scope, handler: h}
	}
	return []route{
		r("GET", "/healthz", "", s.handleHealth),
		r("GET", "/metrics", "", s.handleMetrics),
		r("GET", "/v1/openapi.json", "", s.handleOpenAPI),

		r("POST", "/v1/sessions", ScopeSessionsWrite, s.handleCreateSession),
		r("GET", "/v1/sessions", ScopeSessionsRead, s.handleListSessions),
		r("GET", "/v1/sessions/{id}", ScopeSessionsRead, s.handleGetSession),
		r("POST", "/v1/sessions/{id}/capture", ScopeSessionsWrite, s.handleCapture),
		r("POST", "/v1/sessions/{id}/reset", ScopeSessionsWrite, s.handleReset),
		r("POST", "/v1/sessions/{id}/restart", ScopeSessionsWrite, s.handleRestart),
		r("POST", "/v1/sessions/{id}/pay", ScopeSessionsWrite, s.handlePay),
		r("POST", "/v1/sessions/{id}/resolve", ScopeSessionsWrite, s.handleResolve),
		r("POST", "/v1/sessions/{id}/cancel", ScopeSessionsWrite, s.handleCancel),
		r("GET", "/v1/sessions/{id}/events", ScopeSessionsRead, s.handleSessionEvents),
		r("GET", "/v1/agents/{agent}/events", ScopeSessionsRead, s.handleAgentEvents),
		r("GET", "/v1/events", ScopeSessionsRead, s.handleTenantEvents),

		r("GET", "/v1/calls", ScopeCallsRead, s.handleListCalls),
		r("POST", "/v1/calls/{id}/secure", ScopeCallsWrite, s.handleSecure(true)),
		r("DELETE", "/v1/calls/{id}/secure", ScopeCallsWrite, s.handleSecure(false)),

		r("POST", "/v1/api-keys", ScopeAdmin, s.handleCreateKey),
		r("GET", "/v1/api-keys", ScopeAdmin, s.handleListKeys),
		r("DELETE", "/v1/api-keys/{id}", ScopeAdmin, s.handleRevokeKey),
		r("GET", "/v1/webhook", ScopeAdmin, s.handleGetWebhook),
		r("PUT", "/v1/webhook", ScopeAdmin, s.handleSetWebhook),
		r("DELETE", "/v1/webhook", ScopeAdmin, s.handleDeleteWebhook),
		r("GET", "/v1/webhook/deliveries", ScopeAdmin, s.handleDeliveries),
		r("GET", "/v1/audit", ScopeAdmin, s.handleAudit),
		r("POST", "/v1/tenants", ScopeSystem, s.handleCreateTenant),
	}
}

// matchesPath reports whether path fits the route's pattern ({name} matches one segment).
func (rt route) matchesPath(path string) bool {
	ps := strings.Split(strings.Trim(rt.Pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if ps[i] != xs[i] {
			return false
		}
	}
	return true
}
