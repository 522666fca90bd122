package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/hushpay/hushpay/internal/store"
)

// KeyInfo describes an API key without its secret.
type KeyInfo struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// NewKeyInfo is the answer to creating a key: the only time the key itself is shown.
type NewKeyInfo struct {
	KeyInfo
	Key string `json:"key"`
}

func keyInfo(k store.APIKey) KeyInfo {
	ki := KeyInfo{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes, CreatedAt: k.CreatedAt}
	if k.Revoked() {
		t := k.RevokedAt
		ki.RevokedAt = &t
	}
	if ki.Scopes == nil {
		ki.Scopes = []string{}
	}
	return ki
}

// CreateKey makes a new API key for a tenant and stores only its hash. It is used by the
// API and by `hushpay serve` for the bootstrap key (key empty: random).
func CreateKey(ctx context.Context, st *store.Store, tenantID, name, key string, scopes []string) (NewKeyInfo, error) {
	hash := HashKey(key)
	if key == "" {
		key, hash = NewKey()
	}
	k := store.APIKey{TenantID: tenantID, Name: name, Prefix: key[:min(len(key), 12)], Hash: hash, Scopes: scopes}
	if err := st.CreateAPIKey(ctx, &k); err != nil {
		return NewKeyInfo{}, err
	}
	return NewKeyInfo{KeyInfo: keyInfo(k), Key: key}, nil
}

type createKeyRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

func (s *Server) validScopes(p Principal, scopes []string) error {
	if len(scopes) == 0 {
		return errf(http.StatusBadRequest, CodeInvalidRequest, "scopes: give at least one of "+joinScopes())
	}
	for _, sc := range scopes {
		if !slices.Contains(AllScopes, sc) {
			return errf(http.StatusBadRequest, CodeInvalidRequest, "scopes: unknown scope "+strconv.Quote(sc)+"; want "+joinScopes())
		}
		if !p.Has(sc) {
			return errf(http.StatusForbidden, CodeForbidden, "a key cannot grant the "+sc+" scope it does not hold")
		}
	}
	return nil
}

func joinScopes() string {
	out := ""
	for i, s := range AllScopes {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

func (s *Server) handleCreateKey(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var req createKeyRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := requiredText("name", req.Name, 100); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.validScopes(p, req.Scopes); err != nil {
		s.writeError(w, r, err)
		return
	}
	k, err := CreateKey(r.Context(), s.store, p.TenantID, req.Name, "", slices.Compact(slices.Sorted(slices.Values(req.Scopes))))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.audit(r, "api_key.create", k.ID, "scopes "+joinList(k.Scopes))
	writeJSON(w, http.StatusCreated, k)
}

func joinList(l []string) string {
	out := ""
	for i, s := range l {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}

func (s *Server) handleListKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := s.store.APIKeys(r.Context(), principal(r).TenantID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]KeyInfo, 0, len(keys))
	for _, k := range keys {
		out = append(out, keyInfo(k))
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
}

func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := validID("id", id); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.RevokeAPIKey(r.Context(), principal(r).TenantID, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.audit(r, "api_key.revoke", id, "")
	w.WriteHeader(http.StatusNoContent)
}

// Webhook is a tenant's webhook configuration as the API shows it (the secret is
// write-only).
type Webhook struct {
	URL       string `json:"url"`
	SecretSet bool   `json:"secret_set"`
}

type setWebhookRequest struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

func (s *Server) handleGetWebhook(w http.ResponseWriter, r *http.Request) {
	t, err := s.store.Tenant(r.Context(), principal(r).TenantID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Webhook{URL: t.WebhookURL, SecretSet: t.WebhookSecret != ""})
}

func (s *Server) handleSetWebhook(w http.ResponseWriter, r *http.Request) {
	var req setWebhookRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := validURL("url", req.URL); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.Secret) < 16 || len(req.Secret) > 256 {
		s.writeError(w, r, errf(http.StatusBadRequest, CodeInvalidRequest, "secret must be 16 to 256 characters"))
		return
	}
	if err := validText("secret", req.Secret, 256); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principal(r)
	if err := s.store.SetWebhook(r.Context(), p.TenantID, req.URL, req.Secret); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.audit(r, "webhook.set", p.TenantID, "")
	writeJSON(w, http.StatusOK, Webhook{URL: req.URL, SecretSet: true})
}

func (s *Server) handleDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if err := s.store.SetWebhook(r.Context(), p.TenantID, "", ""); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.audit(r, "webhook.delete", p.TenantID, "")
	w.WriteHeader(http.StatusNoContent)
}

// Delivery is one line of the webhook delivery log.
type Delivery struct {
	ID            int64     `json:"id"`
	EventID       int64     `json:"event_id"`
	EventType     string    `json:"event_type"`
	SessionID     string    `json:"session_id"`
	URL           string    `json:"url"`
	Status        string    `json:"status"`
	Attempts      int       `json:"attempts"`
	LastStatus    int       `json:"last_status,omitempty"`
	LastError     string    `json:"last_error,omitempty"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) {
	limit, before, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ds, err := s.store.Deliveries(r.Context(), principal(r).TenantID, before, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]Delivery, 0, len(ds))
	for _, d := range ds {
		out = append(out, Delivery{ID: d.ID, EventID: d.Event.ID, EventType: d.Event.Type, SessionID: d.Event.SessionID, URL: d.URL,
			Status: d.Status, Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError,
			NextAttemptAt: d.NextAttemptAt, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": out})
}

// pageParams reads ?limit= (1..1000, default 100) and ?before= (an id).
func pageParams(r *http.Request) (limit int, before int64, err error) {
	q := r.URL.Query()
	limit = 100
	if v := q.Get("limit"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 || n > 1000 {
			return 0, 0, errf(http.StatusBadRequest, CodeInvalidRequest, "limit must be 1 to 1000")
		}
		limit = n
	}
	if v := q.Get("before"); v != "" {
		n, e := strconv.ParseInt(v, 10, 64)
		if e != nil || n < 1 {
			return 0, 0, errf(http.StatusBadRequest, CodeInvalidRequest, "before must be a positive id")
		}
		before = n
	}
	return limit, before, nil
}

// AuditEntry is one line of the audit log as the API shows it.
type AuditEntry struct {
	ID        int64     `json:"id"`
	Actor     string    `json:"actor"`
	Action    string    `json:"action"`
	Subject   string    `json:"subject"`
	Detail    string    `json:"detail,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Hash      string    `json:"hash"`
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	limit, _, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	es, err := s.store.Audit(r.Context(), principal(r).TenantID, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]AuditEntry, 0, len(es))
	for _, e := range es {
		out = append(out, AuditEntry{ID: e.ID, Actor: e.Actor, Action: e.Action, Subject: e.Subject, Detail: e.Detail, CreatedAt: e.CreatedAt, Hash: e.Hash})
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}

// audit records an action of the request's caller. A failure is logged, not returned: the
// action already happened.
func (s *Server) audit(r *http.Request, action, subject, detail string) {
	p := principal(r)
	err := s.store.AppendAudit(context.WithoutCancel(r.Context()), &store.AuditEntry{TenantID: p.TenantID, Actor: p.Actor(),
		Action: action, Subject: subject, Detail: detail})
	if err != nil {
		s.log.Error("api: audit", "action", action, "err", err)
	}
}

// Tenant is a tenant as the API shows it.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

type createTenantRequest struct {
	Name string `json:"name"`
}

// handleCreateTenant creates a tenant and its first admin key (system scope only).
func (s *Server) handleCreateTenant(w http.ResponseWriter, r *http.Request) {
	var req createTenantRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := requiredText("name", req.Name, 200); err != nil {
		s.writeError(w, r, err)
		return
	}
	t := store.Tenant{Name: req.Name}
	if err := s.store.CreateTenant(r.Context(), &t); err != nil {
		s.writeError(w, r, err)
		return
	}
	k, err := CreateKey(r.Context(), s.store, t.ID, "admin", "", []string{ScopeAdmin})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.audit(r, "tenant.create", t.ID, "")
	writeJSON(w, http.StatusCreated, map[string]any{"tenant": Tenant{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt}, "admin_key": k})
}
