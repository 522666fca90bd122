package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/payment/testgateway"
	"github.com/hushpay/hushpay/internal/store"
	"github.com/hushpay/hushpay/internal/store/storetest"
)

// env is a whole front-end on a throw-away SQLite store with the test gateway and the API
// (for the event streams).
type env struct {
	t    *testing.T
	st   *store.Store
	svc  *payment.Service
	srv  *httptest.Server
	logs *strings.Builder
	db   string
}

const testTenant = "default"

func newEnv(t *testing.T, cfg config.Web) *env {
	t.Helper()
	st, dbPath := storetest.SQLite(t)
	ctx := context.Background()
	if err := st.CreateTenant(ctx, &store.Tenant{ID: testTenant, Name: "Default"}); err != nil {
		t.Fatal(err)
	}
	logs := &strings.Builder{}
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(b []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(b)
	}), nil))
	svc, err := payment.NewService(st, testgateway.New(0), payment.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	a := api.New(api.Options{Store: st, Payments: svc, Logger: log, SSEKeepalive: time.Second})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = a.Run(runCtx); close(done) }()
	cfg.CookieSecure = "never"
	w := New(Options{Store: st, Payments: svc, API: a.Handler(), Config: cfg, Argon2: testArgon2, Logger: log})
	mux := http.NewServeMux()
	mux.Handle("/v1/", a.Handler())
	mux.Handle("/", w)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); stop(); <-done })
	e := &env{t: t, st: st, svc: svc, srv: srv, logs: logs, db: dbPath}
	for _, u := range []struct{ name, role string }{{"alice", RoleAgent}, {"bob", RoleAgent}, {"sue", RoleSupervisor}, {"ada", RoleAdmin}} {
		h, _ := HashPassword(u.name+"-password-1", testArgon2)
		if err := st.CreateUser(ctx, &store.User{TenantID: testTenant, Username: u.name, Role: u.role, PasswordHash: h}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// browser is a client with a cookie jar that does not follow redirects.
type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) get(path string) (*http.Response, string) {
	b.e.t.Helper()
	resp, err := b.c.Get(b.e.srv.URL + path)
	if err != nil {
		b.e.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfRE.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values, withCSRF bool) (*http.Response, string) {
	b.e.t.Helper()
	if withCSRF {
		form.Set("csrf", b.csrf)
	}
	resp, err := b.c.PostForm(b.e.srv.URL+path, form)
	if err != nil {
		b.e.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func (b *browser) login(name, pw string) *http.Response {
	b.e.t.Helper()
	b.get("/login")
	resp, _ := b.post("/login", url.Values{"username": {name}, "password": {pw}}, true)
	if resp.StatusCode == http.StatusSeeOther {
		b.get("/payments/new") // picks up the login's CSRF token
	}
	return resp
}

func TestLoginCookieAndLogout(t *testing.T) {
	e := newEnv(t, config.Web{})
	b := e.browser()
	if resp, _ := b.get("/payments/new"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp := b.login("alice", "alice-password-1")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/payments/new" {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var c *http.Cookie
	for _, x := range resp.Cookies() {
		if x.Name == cookieName {
			c = x
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Fatalf("session cookie: %+v", c)
	}
	if r, body := b.get("/payments/new"); r.StatusCode != 200 || !strings.Contains(body, "New payment") {
		t.Fatalf("after login: %d", r.StatusCode)
	}
	if r, _ := b.post("/logout", url.Values{}, true); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.StatusCode)
	}
	if r, _ := b.get("/payments/new"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: %d", r.StatusCode)
	}
}

func TestSecureCookieFlag(t *testing.T) {
	s := &Server{opts: Options{Config: config.Web{CookieSecure: "auto"}}}
	tests := []struct {
		host, proto string
		want        bool
	}{
		{"127.0.0.1:8080", "", true},
		{"localhost:8080", "", true},
		{"[::1]:8080", "", true},
		{"pay.example.com", "", false},
		{"pay.example.com", "https", true},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", "http://"+tc.host+"/", nil)
		r.Host = tc.host
		if tc.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		if got := s.secureCookie(r); got != tc.want {
			t.Errorf("%s %s: secure %v, want %v", tc.host, tc.proto, got, tc.want)
		}
	}
	s.opts.Config.CookieSecure = "always"
	if !s.secureCookie(httptest.NewRequest("GET", "http://pay.example.com/", nil)) {
		t.Error("always: not secure")
	}
}

func TestLoginCSRFAndLockout(t *testing.T) {
	e := newEnv(t, config.Web{MaxFailedLogins: 3, LockoutDuration: time.Hour})
	b := e.browser()
	b.get("/login")
	// Without the login form's token: refused, even with the right password.
	if r, _ := b.post("/login", url.Values{"username": {"alice"}, "password": {"alice-password-1"}, "csrf": {"forged"}}, false); r.StatusCode != http.StatusForbidden {
		t.Fatalf("login without csrf: %d", r.StatusCode)
	}
	// Unknown user and wrong password look the same.
	b.get("/login")
	r1, body1 := b.post("/login", url.Values{"username": {"nobody"}, "password": {"x"}}, true)
	b.get("/login")
	r2, body2 := b.post("/login", url.Values{"username": {"alice"}, "password": {"wrong"}}, true)
	if r1.StatusCode != 401 || r2.StatusCode != 401 || !strings.Contains(body1, "Wrong username or password") || !strings.Contains(body2, "Wrong username or password") {
		t.Fatalf("wrong logins: %d %d", r1.StatusCode, r2.StatusCode)
	}
	b.get("/login")
	b.post("/login", url.Values{"username": {"alice"}, "password": {"wrong"}}, true)
	b.get("/login")
	if r, body := b.post("/login", url.Values{"username": {"alice"}, "password": {"wrong"}}, true); r.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "locked") {
		t.Fatalf("third failure: %d", r.StatusCode)
	}
	if r := b.login("alice", "alice-password-1"); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %d", r.StatusCode)
	}
	// Another user is not affected; an admin's new password unlocks.
	if r := b.login("bob", "bob-password-1"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob: %d", r.StatusCode)
	}
	u, _ := e.st.UserByName(context.Background(), "alice")
	h, _ := HashPassword("alice-password-2", testArgon2)
	if err := e.st.UpdateUser(context.Background(), testTenant, u.ID, RoleAgent, false, h); err != nil {
		t.Fatal(err)
	}
	if r := e.browser().login("alice", "alice-password-2"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after unlock: %d", r.StatusCode)
	}
}

func TestCSRFOnEveryPost(t *testing.T) {
	e := newEnv(t, config.Web{})
	b := e.browser()
	b.login("ada", "ada-password-1")
	sess := createSession(t, b)
	posts := []string{"/logout", "/payments", "/payments/" + sess + "/secure", "/payments/" + sess + "/reset", "/payments/" + sess + "/restart",
		"/payments/" + sess + "/pay", "/payments/" + sess + "/cancel", "/payments/" + sess + "/receipt", "/admin/settings", "/admin/users",
		"/admin/users/x", "/admin/keys", "/admin/keys/x/revoke"}
	for _, p := range posts {
		for _, tok := range []string{"", "wrong-token"} {
			r, _ := b.post(p, url.Values{"csrf": {tok}, "field": {"card_number"}}, false)
			if r.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with csrf %q: %d, want 403", p, tok, r.StatusCode)
			}
		}
	}
	// A cross-site Origin is refused even with the token.
	req, _ := http.NewRequest("POST", e.srv.URL+"/payments/"+sess+"/cancel", strings.NewReader("csrf="+b.csrf))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site origin: %d", resp.StatusCode)
	}
	if got, _ := e.svc.Get(context.Background(), testTenant, sess); got.Status != payment.StatusPending {
		t.Fatalf("session changed by a forged request: %s", got.Status)
	}
}

// createSession creates a sale through the form and returns its ID.
func createSession(t *testing.T, b *browser) string {
	t.Helper()
	_, body := b.get("/payments/new")
	idem := regexp.MustCompile(`name="idem" value="([^"]+)"`).FindStringSubmatch(body)
	if idem == nil {
		t.Fatal("no idempotency token in the form")
	}
	r, _ := b.post("/payments", url.Values{"idem": {idem[1]}, "type": {"sale"}, "amount": {"12.50"}, "currency": {"gbp"}, "account_ref": {"INV-1"}}, true)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", r.StatusCode)
	}
	// The same form sent twice gives the same session.
	r2, _ := b.post("/payments", url.Values{"idem": {idem[1]}, "type": {"sale"}, "amount": {"12.50"}, "currency": {"gbp"}, "account_ref": {"INV-1"}}, true)
	if r2.Header.Get("Location") != r.Header.Get("Location") {
		t.Fatalf("double submit made two sessions: %s %s", r.Header.Get("Location"), r2.Header.Get("Location"))
	}
	return strings.TrimPrefix(r.Header.Get("Location"), "/payments/")
}

func TestRoles(t *testing.T) {
	e := newEnv(t, config.Web{})
	alice, bob, sue, ada := e.browser(), e.browser(), e.browser(), e.browser()
	alice.login("alice", "alice-password-1")
	bob.login("bob", "bob-password-1")
	sue.login("sue", "sue-password-1")
	ada.login("ada", "ada-password-1")
	sess := createSession(t, alice)
	tests := []struct {
		b    *browser
		path string
		want int
	}{
		{alice, "/payments/" + sess, 200},
		{bob, "/payments/" + sess, 404}, // another agent's payment
		{bob, "/payments/" + sess + "/state", 404},
		{sue, "/payments/" + sess, 200},
		{alice, "/supervisor", 403},
		{alice, "/supervisor/history", 403},
		{alice, "/supervisor/export.csv", 403},
		{alice, "/admin", 403},
		{sue, "/supervisor", 200},
		{sue, "/supervisor/history", 200},
		{sue, "/admin", 403},
		{ada, "/admin", 200},
		{ada, "/supervisor", 200},
	}
	for _, tc := range tests {
		if r, _ := tc.b.get(tc.path); r.StatusCode != tc.want {
			t.Errorf("GET %s: %d, want %d", tc.path, r.StatusCode, tc.want)
		}
	}
	if r, _ := bob.post("/payments/"+sess+"/cancel", url.Values{}, true); r.StatusCode != 404 {
		t.Errorf("bob cancels alice's payment: %d", r.StatusCode)
	}
	if r, _ := sue.post("/admin/users", url.Values{"username": {"eve"}, "role": {"admin"}, "password": {"eve-password-12"}}, true); r.StatusCode != 403 {
		t.Errorf("supervisor creates a user: %d", r.StatusCode)
	}
	if r, _ := ada.post("/admin/users", url.Values{"username": {"eve"}, "role": {"supervisor"}, "password": {"eve-password-12"}}, true); r.StatusCode != http.StatusSeeOther {
		t.Errorf("admin creates a user: %d", r.StatusCode)
	}
	if r := e.browser().login("eve", "eve-password-12"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/supervisor" {
		t.Errorf("new user logs in: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}

var (
	inputRE  = regexp.MustCompile(`(?s)<(input|textarea|select)\b[^>]*>`)
	attrRE   = regexp.MustCompile(`\b(?:name|id|autocomplete|inputmode)="([^"]*)"`)
	hiddenOK = regexp.MustCompile(`name="(csrf|idem|next|on|section)"`)
)

// TestNoCardInputs scans every page's form fields: none may be meant for, or named like,
// card data, and card-shaped values sent to any form are refused and never stored.
func TestNoCardInputs(t *testing.T) {
	e := newEnv(t, config.Web{Billing: config.Billing{URL: "http://127.0.0.1:1/{account}"}})
	b := e.browser()
	_, loginPage := b.get("/login")
	b.login("ada", "ada-password-1")
	sess := createSession(t, b)
	pages := map[string]string{"/login": loginPage}
	for _, p := range []string{"/payments/new", "/payments/new?account=A1", "/payments/" + sess, "/supervisor", "/supervisor/history", "/admin"} {
		r, body := b.get(p)
		if r.StatusCode != 200 {
			t.Fatalf("%s: %d", p, r.StatusCode)
		}
		pages[p] = body
	}
	bad := regexp.MustCompile(`(?i)(cc-|card|pan\b|cvv|cvc|security|expir|exp-|postal)`)
	n := 0
	for p, body := range pages {
		for _, in := range inputRE.FindAllString(body, -1) {
			n++
			attrs := ""
			for _, m := range attrRE.FindAllStringSubmatch(in, -1) {
				attrs += m[1] + " "
			}
			if bad.MatchString(attrs) || strings.Contains(in, `type="hidden"`) && !strings.Contains(in, `name="field"`) && !hiddenOK.MatchString(in) {
				t.Errorf("%s: a field that could take card data: %s", p, in)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d fields found: the scan is not looking", n)
	}
	// Card-shaped values in every text field of the new payment form are refused.
	for _, field := range []string{"account_ref", "amount", "description", "count"} {
		_, body := b.get("/payments/new")
		idem := regexp.MustCompile(`name="idem" value="([^"]+)"`).FindStringSubmatch(body)[1]
		form := url.Values{"idem": {idem}, "type": {"sale"}, "amount": {"5"}, "currency": {"GBP"}, "account_ref": {"A"}}
		form.Set(field, "4242 4242 4242 4242")
		r, body := b.post("/payments", form, true)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "card number") || strings.Contains(body, "4242 4242") {
			t.Errorf("card number in %s: %d", field, r.StatusCode)
		}
	}
	if r, _ := b.post("/admin/settings", url.Values{"section": {"receipt"}, "receipt_name": {"4000000000000002"}}, true); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("card number in a setting: %d", r.StatusCode)
	}
	if _, body := b.get("/payments/new?account=4242424242424242"); !strings.Contains(body, "looks like a card number") {
		t.Error("card number as a lookup account was not refused")
	}
	dump := storetest.Dump(t, storetest.Backend{Name: store.DriverSQLite, Store: e.st, Where: e.db})
	for _, pan := range []string{"4242424242424242", "4242 4242 4242 4242", "4000000000000002"} {
		if strings.Contains(dump, pan) {
			t.Errorf("the database holds %s", pan)
		}
	}
}
