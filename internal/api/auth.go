package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/hushpay/hushpay/internal/store"
)

// Scopes an API key can hold. Admin implies every scope of its tenant except System;
// System (given to the bootstrap key) also allows creating tenants.
const (
	ScopeSessionsRead  = "sessions:read"
	ScopeSessionsWrite = "sessions:write"
	ScopeCallsRead     = "calls:read"
	ScopeCallsWrite    = "calls:write"
	ScopeAdmin         = "admin"
	ScopeSystem        = "system"
)

// AllScopes lists every scope, for validation.
var AllScopes = []string{ScopeSessionsRead, ScopeSessionsWrite, ScopeCallsRead, ScopeCallsWrite, ScopeAdmin, ScopeSystem}

// KeyPrefix starts every API key, so that secret scanners can recognise one.
const KeyPrefix = "hpk_"

// NewKey returns a new random API key (hpk_ and 43 base64url characters: 256 bits) and the
// hash under which the store keeps it.
func NewKey() (key, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	key = KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return key, HashKey(key)
}

// HashKey returns the SHA-256 of an API key, base64url-encoded. The key has 256 random bits,
// so a fast hash is enough (there is no dictionary to try); it is what the store looks keys
// up by. (Not hex: a hex digest can hold a long run of decimal digits, which the store's
// card-number guard would rightly refuse.)
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Principal is the authenticated caller of a request.
type Principal struct {
	TenantID string
	KeyID    string
	Scopes   []string
}

// Has reports whether the principal holds scope (admin holds every tenant scope).
func (p Principal) Has(scope string) bool {
	if slices.Contains(p.Scopes, scope) {
		return true
	}
	return scope != ScopeSystem && slices.Contains(p.Scopes, ScopeAdmin)
}

// Actor names the principal in the audit log.
func (p Principal) Actor() string { return "key:" + p.KeyID }

type principalKey struct{}

// PrincipalFrom returns the request's authenticated caller.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// WithPrincipal returns ctx carrying p (for other front-ends, such as the dashboard, that
// authenticate their own way and then call the same handlers).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

var (
	errNoKey      = errf(http.StatusUnauthorized, CodeUnauthorized, "missing API key: send Authorization: Bearer <key>")
	errBadKey     = errf(http.StatusUnauthorized, CodeUnauthorized, "invalid or revoked API key")
	errWrongScope = func(scope string) error {
		return errf(http.StatusForbidden, CodeForbidden, "this API key lacks the "+scope+" scope")
	}
)

// authenticate resolves the request's API key to a principal.
func (s *Server) authenticate(r *http.Request) (Principal, error) {
	if p, ok := PrincipalFrom(r.Context()); ok {
		return p, nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return Principal{}, errNoKey
	}
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(key, KeyPrefix) || len(key) > 200 {
		return Principal{}, errBadKey
	}
	k, err := s.store.APIKeyByHash(r.Context(), HashKey(key))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, errBadKey
	}
	if err != nil {
		return Principal{}, err
	}
	if k.Revoked() {
		return Principal{}, errBadKey
	}
	return Principal{TenantID: k.TenantID, KeyID: k.ID, Scopes: k.Scopes}, nil
}

// require wraps h so that it runs only for a caller holding scope.
func (s *Server) require(scope string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			if ae := (*apiError)(nil); errors.As(err, &ae) && ae.status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hushpay"`)
			}
			s.writeError(w, r, err)
			return
		}
		if !p.Has(scope) {
			s.writeError(w, r, errWrongScope(scope))
			return
		}
		h(w, r.WithContext(WithPrincipal(r.Context(), p)))
	}
}

// principal returns the caller of a request that passed require.
func principal(r *http.Request) Principal {
	p, _ := PrincipalFrom(r.Context())
	return p
}
