package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hushpay/hushpay/internal/store"
)

// Roles of dashboard users. Each role can do everything the roles before it can.
const (
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
)

func roleRank(r string) int {
	switch r {
	case RoleAgent:
		return 1
	case RoleSupervisor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

const (
	cookieName    = "hushpay_session"
	preCookieName = "hushpay_login" // CSRF token of the login form, before there is a login
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
)

// usernameRE: login names are also agent IDs in event streams, so they stay URL-safe.
var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// ValidUsername reports whether name can be a login name (2–64 of a-z 0-9 . _ -).
func ValidUsername(name string) bool {
	return usernameRE.MatchString(name) && !store.LooksLikeCard(name)
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

type userKey struct{}

type authed struct {
	u store.User
	l store.Login
}

// currentUser returns the logged-in user of the request (from the middleware's context, or
// by reading the cookie).
func (s *Server) currentUser(r *http.Request) (store.User, store.Login, bool) {
	if a, ok := r.Context().Value(userKey{}).(authed); ok {
		return a.u, a.l, true
	}
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return store.User{}, store.Login{}, false
	}
	l, u, err := s.st.Login(r.Context(), tokenHash(c.Value), s.now())
	if err != nil {
		return store.User{}, store.Login{}, false
	}
	return u, l, true
}

// user wraps h so that it runs only for a logged-in user holding at least role, and only
// with a valid CSRF token when the method changes something.
func (s *Server) user(role string, h func(http.ResponseWriter, *http.Request, store.User)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, l, ok := s.currentUser(r)
		if !ok {
			if r.Method == http.MethodGet && !wantsJSON(r) && r.Header.Get("Accept") != "text/event-stream" {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		if roleRank(u.Role) < roleRank(role) {
			s.render(w, r, http.StatusForbidden, "error", page{Title: "Not allowed", User: &u, CSRF: l.CSRFToken,
				Error: "Your role (" + u.Role + ") cannot open this page. Ask an admin if you need it."})
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !s.checkCSRF(r, l.CSRFToken) {
				http.Error(w, "missing or wrong CSRF token: reload the page and try again", http.StatusForbidden)
				return
			}
		}
		// Sliding expiry, written at most once a minute.
		if exp := s.now().Add(s.opts.Config.SessionTTL); exp.Sub(l.ExpiresAt) > time.Minute {
			if err := s.st.ExtendLogin(r.Context(), l.TokenHash, exp); err == nil {
				l.ExpiresAt = exp
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), userKey{}, authed{u, l}))
		h(w, r, u)
	})
}

// checkCSRF accepts a request whose form field or header carries the login's token and
// whose Origin, when sent, is this server.
func (s *Server) checkCSRF(r *http.Request, want string) bool {
	if o := r.Header.Get("Origin"); o != "" {
		ou, err := url.Parse(o)
		if err != nil || ou.Host != r.Host {
			return false
		}
	}
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// secureCookie says whether the cookie gets the Secure flag (config cookie_secure).
func (s *Server) secureCookie(r *http.Request) bool {
	switch s.opts.Config.CookieSecure {
	case "always":
		return true
	case "never":
		return false
	}
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if host == "localhost" {
		return true // browsers treat http://localhost as a secure context
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: s.secureCookie(r), SameSite: http.SameSiteStrictMode})
}

type loginData struct {
	Next     string
	Username string
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.currentUser(r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.loginForm(w, r, http.StatusOK, "", loginData{Next: r.URL.Query().Get("next")})
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, status int, msg string, d loginData) {
	tok := randomToken()
	s.setCookie(w, r, preCookieName, tok, 3600)
	s.render(w, r, status, "login", page{Title: "Log in", CSRF: tok, Error: msg, Data: d})
}

// safeNext keeps redirects after login on this site.
func safeNext(n string) string {
	if n == "" || !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.HasPrefix(n, "/\\") {
		return "/"
	}
	return n
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	name := strings.ToLower(strings.TrimSpace(r.PostFormValue("username")))
	pw := r.PostFormValue("password")
	d := loginData{Next: r.PostFormValue("next"), Username: name}
	pre, err := r.Cookie(preCookieName)
	if err != nil || pre.Value == "" || subtle.ConstantTimeCompare([]byte(pre.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		s.loginForm(w, r, http.StatusForbidden, "The login form expired. Please try again.", d)
		return
	}
	u, err := s.st.UserByName(r.Context(), name)
	if err != nil || !ValidUsername(name) || len(pw) > 1024 {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Error("web: login", "err", err)
		}
		_ = CheckPassword(s.dummy, pw) // as slow as a real check
		d.Username = ""
		s.loginForm(w, r, http.StatusUnauthorized, "Wrong username or password.", d)
		return
	}
	now := s.now()
	if u.Locked(now) {
		s.loginForm(w, r, http.StatusTooManyRequests, lockedMessage(u.LockedUntil.Sub(now)), d)
		return
	}
	if u.Disabled {
		_ = CheckPassword(s.dummy, pw)
		s.loginForm(w, r, http.StatusUnauthorized, "Wrong username or password.", d)
		return
	}
	if err := CheckPassword(u.PasswordHash, pw); err != nil {
		until, ferr := s.st.LoginFailed(r.Context(), u.ID, s.opts.Config.MaxFailedLogins, s.opts.Config.LockoutDuration)
		if ferr != nil {
			s.log.Error("web: login", "err", ferr)
		}
		s.audit(r.Context(), u, "web.login_failed", u.ID, "")
		if !until.IsZero() {
			s.audit(r.Context(), u, "web.locked_out", u.ID, "")
			s.loginForm(w, r, http.StatusTooManyRequests, lockedMessage(until.Sub(now)), d)
			return
		}
		s.loginForm(w, r, http.StatusUnauthorized, "Wrong username or password.", d)
		return
	}
	if err := s.st.LoginSucceeded(r.Context(), u.ID); err != nil {
		s.log.Error("web: login", "err", err)
	}
	tok := randomToken()
	l := &store.Login{TokenHash: tokenHash(tok), UserID: u.ID, CSRFToken: randomToken(), ExpiresAt: now.Add(s.opts.Config.SessionTTL)}
	if err := s.st.CreateLogin(r.Context(), l); err != nil {
		s.log.Error("web: login", "err", err)
		s.loginForm(w, r, http.StatusInternalServerError, "Could not log in; please try again.", d)
		return
	}
	_, _ = s.st.DeleteExpiredLogins(r.Context(), now)
	s.audit(r.Context(), u, "web.login", u.ID, "")
	s.setCookie(w, r, preCookieName, "", -1)
	s.setCookie(w, r, cookieName, tok, 0)
	next := safeNext(d.Next)
	if next == "/" {
		next = homeFor(u.Role)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func homeFor(role string) string {
	if role == RoleSupervisor {
		return "/supervisor"
	}
	return "/payments/new"
}

func lockedMessage(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m < 1 {
		m = 1
	}
	return fmt.Sprintf("Too many wrong passwords: this account is locked for %d more minute(s). An admin can unlock it by setting a new password.", m)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, u store.User) {
	_, l, _ := s.currentUser(r)
	if err := s.st.DeleteLogin(r.Context(), l.TokenHash); err != nil {
		s.log.Error("web: logout", "err", err)
	}
	s.audit(r.Context(), u, "web.logout", u.ID, "")
	s.setCookie(w, r, cookieName, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// Bootstrap creates the first admin user of tenant ("admin") when no user exists at all.
// It returns the password to show once: password itself when given (then "" is returned,
// as the operator knows it), or a random one. It returns "" when users already exist.
func Bootstrap(ctx context.Context, st *store.Store, tenant, password string, p Argon2Params) (string, error) {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	if p == (Argon2Params{}) {
		p = DefaultArgon2
	}
	show := password == ""
	if show {
		password = randomPassword()
	}
	h, err := HashPassword(password, p)
	if err != nil {
		return "", err
	}
	if err := st.CreateUser(ctx, &store.User{TenantID: tenant, Username: "admin", Role: RoleAdmin, PasswordHash: h}); err != nil {
		return "", fmt.Errorf("web: first admin: %w", err)
	}
	if !show {
		return "", nil
	}
	return password, nil
}

// randomPassword returns 16 characters of an alphabet without look-alikes (about 90 bits).
func randomPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b [16]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}
