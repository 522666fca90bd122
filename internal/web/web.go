package web

import (
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the web front-end.
type Options struct {
	// Store keeps users, logins and settings (required).
	Store *store.Store
	// Payments runs the payment sessions (required).
	Payments *payment.Service
	// API is the API's handler (api.Server.Handler); the dashboard's live streams are served
	// by its Server-sent event endpoints, called with the logged-in user as principal.
	API http.Handler
	// Calls lists the node's calls for the supervisor (nil when SIP is not running).
	Calls api.CallController
	// Config is the web section of the configuration.
	Config config.Web
	// Argon2 sets the password hash cost (DefaultArgon2 when zero).
	Argon2 Argon2Params
	// Logger (slog.Default() when nil).
	Logger *slog.Logger
	// Now tells the time (time.Now when nil); for tests.
	Now func() time.Time
	// HTTPClient makes billing lookups (a client with Config.Billing.Timeout when nil).
	HTTPClient *http.Client
}

// Server is the web front-end. Create it with New and serve it for every path outside /v1,
// /metrics and /healthz.
type Server struct {
	opts  Options
	st    *store.Store
	pay   *payment.Service
	log   *slog.Logger
	now   func() time.Time
	pages map[string]*template.Template
	mux   *http.ServeMux
	dummy string // a hash checked for unknown usernames, so they take as long as known ones
}

// New returns the web front-end as an http.Handler.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Argon2 == (Argon2Params{}) {
		o.Argon2 = DefaultArgon2
	}
	if o.Config.SessionTTL <= 0 {
		o.Config.SessionTTL = 8 * time.Hour
	}
	if o.Config.MaxFailedLogins <= 0 {
		o.Config.MaxFailedLogins = 5
	}
	if o.Config.LockoutDuration <= 0 {
		o.Config.LockoutDuration = 15 * time.Minute
	}
	if o.Config.CookieSecure == "" {
		o.Config.CookieSecure = "auto"
	}
	if o.Config.Billing.Timeout <= 0 {
		o.Config.Billing.Timeout = 5 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: o.Config.Billing.Timeout}
	}
	s := &Server{opts: o, st: o.Store, pay: o.Payments, log: o.Logger, now: o.Now}
	s.dummy, _ = HashPassword("hushpay-dummy-password", o.Argon2)
	s.pages = parsePages()
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// ServeHTTP serves the front-end.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin") // so that form POSTs carry their Origin (checked with the CSRF token)
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("web: panic", "path", r.URL.Path, "panic", p)
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	s.mux.ServeHTTP(w, r)
}

// routes declares every page and action in one place with the role each needs.
func (s *Server) routes() {
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	s.mux.HandleFunc("GET /{$}", s.handleHome)
	s.mux.HandleFunc("GET /login", s.handleLoginPage)
	s.mux.HandleFunc("POST /login", s.handleLogin)
	s.mux.Handle("POST /logout", s.user(RoleAgent, s.handleLogout))

	s.mux.Handle("GET /payments/new", s.user(RoleAgent, s.handleNewPayment))
	s.mux.Handle("POST /payments", s.user(RoleAgent, s.handleCreatePayment))
	s.mux.Handle("GET /payments/{id}", s.user(RoleAgent, s.handlePaymentPage))
	s.mux.Handle("GET /payments/{id}/state", s.user(RoleAgent, s.handlePaymentState))
	s.mux.Handle("GET /payments/{id}/events", s.user(RoleAgent, s.handlePaymentEvents))
	s.mux.Handle("POST /payments/{id}/secure", s.user(RoleAgent, s.handleAction(actionSecure)))
	s.mux.Handle("POST /payments/{id}/reset", s.user(RoleAgent, s.handleAction(actionReset)))
	s.mux.Handle("POST /payments/{id}/restart", s.user(RoleAgent, s.handleAction(actionRestart)))
	s.mux.Handle("POST /payments/{id}/pay", s.user(RoleAgent, s.handleAction(actionPay)))
	s.mux.Handle("POST /payments/{id}/cancel", s.user(RoleAgent, s.handleAction(actionCancel)))
	s.mux.Handle("POST /payments/{id}/receipt", s.user(RoleAgent, s.handleReceipt))

	s.mux.Handle("GET /supervisor", s.user(RoleSupervisor, s.handleSupervisor))
	s.mux.Handle("GET /supervisor/events", s.user(RoleSupervisor, s.handleSupervisorEvents))
	s.mux.Handle("GET /supervisor/history", s.user(RoleSupervisor, s.handleHistory))
	s.mux.Handle("GET /supervisor/export.csv", s.user(RoleSupervisor, s.handleExport))

	s.mux.Handle("GET /admin", s.user(RoleAdmin, s.handleAdmin))
	s.mux.Handle("POST /admin/settings", s.user(RoleAdmin, s.handleSaveSettings))
	s.mux.Handle("POST /admin/users", s.user(RoleAdmin, s.handleCreateUser))
	s.mux.Handle("POST /admin/users/{id}", s.user(RoleAdmin, s.handleUpdateUser))
	s.mux.Handle("POST /admin/keys", s.user(RoleAdmin, s.handleCreateKey))
	s.mux.Handle("POST /admin/keys/{id}/revoke", s.user(RoleAdmin, s.handleRevokeKey))
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.currentUser(r); ok {
		http.Redirect(w, r, "/payments/new", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// page is what every template receives.
type page struct {
	Title string
	User  *store.User
	CSRF  string
	Flash string
	Error string
	Data  any
}

// render writes a page with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	exec := "layout"
	if name == "supervisor_live" { // the live tables alone, reloaded by the page's script
		name, exec = "supervisor", "live"
	}
	t, ok := s.pages[name]
	if !ok {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	if u, l, ok := s.currentUser(r); ok {
		if p.User == nil {
			p.User = &u
		}
		if p.CSRF == "" {
			p.CSRF = l.CSRFToken
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, exec, p); err != nil {
		s.log.Error("web: render", "page", name, "err", err)
	}
}

// wantsJSON reports whether the caller is the page's script (fetch) rather than a form.
func wantsJSON(r *http.Request) bool {
	return r.Header.Get("Accept") == "application/json"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// audit records a user's action; a failure is logged (the action already happened).
func (s *Server) audit(ctx context.Context, u store.User, action, subject, detail string) {
	err := s.st.AppendAudit(context.WithoutCancel(ctx), &store.AuditEntry{TenantID: u.TenantID, Actor: "user:" + u.Username,
		Action: action, Subject: subject, Detail: detail})
	if err != nil {
		s.log.Error("web: audit", "action", action, "err", err)
	}
}

var funcs = template.FuncMap{
	"json": func(v any) (template.JS, error) {
		b, err := json.Marshal(v)
		return template.JS(b), err
	},
	"hasRole": func(u *store.User, role string) bool { return u != nil && roleRank(u.Role) >= roleRank(role) },
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
	"money":      formatAmount,
	"fieldLabel": fieldLabel,
	"errorText":  errorText,
}

// parsePages parses each page template together with the layout.
func parsePages() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := n[len("templates/") : len(n)-len(".html")]
		if base == "layout" || base == "partials" {
			continue
		}
		out[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n))
	}
	return out
}
