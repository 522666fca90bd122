// Package api serves Hushpay's REST JSON API under /v1: payment sessions, calls, API keys,
// webhooks and the audit log, Server-sent event streams of session changes, the OpenAPI
// document (/v1/openapi.json), Prometheus metrics (/metrics) and a health check (/healthz).
//
// Integrations authenticate with API keys (Authorization: Bearer hpk_…), each bound to one
// tenant and holding scopes. Errors are {code, message}. No endpoint accepts card data: a
// body naming a card field or holding a card-number-shaped value is refused.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hushpay/hushpay/internal/store"
)

// Options configures a Server.
type Options struct {
	// Store is the database (required).
	Store *store.Store
	// Payments runs payment sessions (required for the session endpoints).
	Payments Payments
	// Calls lists and secures calls; nil until SIP is wired, and then the call endpoints
	// answer 503 no_call_control.
	Calls CallController
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// MaxBodyBytes caps request bodies (default 64 KiB).
	MaxBodyBytes int64
	// SSEKeepalive is the interval of comment lines on idle event streams (default 15s).
	SSEKeepalive time.Duration
	// Registry receives the API's metrics and is served at /metrics (default: a new
	// registry with the Go and process collectors).
	Registry *prometheus.Registry
}

// Server is the HTTP API. Create it with New, start its event hub with Run, and serve
// Handler.
type Server struct {
	opts    Options
	store   *store.Store
	log     *slog.Logger
	hub     *hub
	metrics *metrics
	mux     *http.ServeMux
}

// New returns a server for o.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 10
	}
	if o.SSEKeepalive <= 0 {
		o.SSEKeepalive = 15 * time.Second
	}
	if o.Registry == nil {
		o.Registry = newRegistry()
	}
	s := &Server{opts: o, store: o.Store, log: o.Logger}
	s.metrics = newMetrics(o.Registry)
	s.hub = newHub(o.Store, o.Logger, s.metrics)
	s.mux = http.NewServeMux()
	for _, rt := range s.routes() {
		s.mux.Handle(rt.Method+" "+rt.Pattern, s.instrument(rt, rt.handler))
	}
	s.mux.Handle("/", s.instrument(route{Pattern: "unmatched"}, http.HandlerFunc(s.notFound)))
	return s
}

// Handler returns the HTTP handler of the whole API.
func (s *Server) Handler() http.Handler { return s.mux }

// Run follows the event stream for the Server-sent event subscribers until ctx ends.
func (s *Server) Run(ctx context.Context) error { return s.hub.run(ctx) }

// notFound answers unknown paths, and known paths with the wrong method (the mux's own 405
// has no JSON body).
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	for _, rt := range s.routes() {
		if rt.matchesPath(r.URL.Path) {
			w.Header().Set("Allow", rt.Method)
			s.writeError(w, r, errf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method "+r.Method+" is not allowed here"))
			return
		}
	}
	s.writeError(w, r, errf(http.StatusNotFound, CodeNotFound, "no such endpoint"))
}

// instrument adds panic recovery, security headers and metrics around a route.
func (s *Server) instrument(rt route, h http.Handler) http.Handler {
	label := rt.Pattern
	if rt.Method != "" {
		label = rt.Method + " " + rt.Pattern
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("api: panic", "route", label, "panic", p)
				if !sw.wrote {
					s.writeError(sw, r, errf(http.StatusInternalServerError, CodeInternal, "internal error"))
				}
			}
			s.metrics.observe(label, sw.status, time.Since(start))
		}()
		sw.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(sw, r)
	})
}

// statusWriter remembers the status written and passes Flush through (for SSE).
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
