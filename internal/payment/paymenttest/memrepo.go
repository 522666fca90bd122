// Package paymenttest holds test helpers for code that uses package payment: an in-memory
// Repository with the same behaviour as the stores (uniqueness, versions, sequences). It
// is for tests only; Hushpay itself always uses internal/store.
package paymenttest

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"sync"

	"github.com/hushpay/hushpay/internal/payment"
)

// MemRepo is an in-memory payment.Repository for tests. Values are copied in and out
// through JSON, as a database would, so that callers cannot alias stored state.
type MemRepo struct {
	mu        sync.Mutex
	sessions  map[string]*payment.Session // by ID
	events    map[string][]*payment.Event // by session ID
	all       []*payment.Event            // every event in GlobalSeq order
	attempts  map[string]*payment.Attempt
	attemptOK []string // attempt keys in creation order
	tokens    map[string]*payment.Token
	globalSeq int64
}

var _ payment.Repository = (*MemRepo)(nil)

// NewMemRepo returns an empty repository.
func NewMemRepo() *MemRepo {
	return &MemRepo{
		sessions: map[string]*payment.Session{},
		events:   map[string][]*payment.Event{},
		attempts: map[string]*payment.Attempt{},
		tokens:   map[string]*payment.Token{},
	}
}

func clone[T any](v *T) *T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

func (r *MemRepo) pairingInUse(s *payment.Session) bool {
	for _, o := range r.sessions {
		if o.ID == s.ID || !o.Status.Active() || !s.Status.Active() {
			continue
		}
		p, q := s.Pairing, o.Pairing
		if (p.CallRef != "" && p.CallRef == q.CallRef) || (p.CallID != "" && p.CallID == q.CallID) ||
			(p.Header != "" && p.Header == q.Header) {
			return true
		}
	}
	return false
}

func (r *MemRepo) appendEvents(s *payment.Session, events []*payment.Event) {
	evs := r.events[s.ID]
	for _, e := range events {
		r.globalSeq++
		e.Seq = int64(len(evs)) + 1
		e.GlobalSeq = r.globalSeq
		e.SessionID, e.Tenant, e.AgentID = s.ID, s.Tenant, s.AgentID
		c := clone(e)
		evs = append(evs, c)
		r.all = append(r.all, c)
	}
	r.events[s.ID] = evs
}

// CreateSession implements payment.Repository.
func (r *MemRepo) CreateSession(_ context.Context, s *payment.Session, events ...*payment.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.sessions[s.ID]; ok {
		return payment.ErrDuplicateKey
	}
	for _, o := range r.sessions {
		if o.Tenant == s.Tenant && o.IdempotencyKey == s.IdempotencyKey {
			return payment.ErrDuplicateKey
		}
	}
	if r.pairingInUse(s) {
		return payment.ErrPairingInUse
	}
	s.Version = 1
	r.sessions[s.ID] = clone(s)
	r.appendEvents(s, events)
	return nil
}

// GetSession implements payment.Repository.
func (r *MemRepo) GetSession(_ context.Context, tenant, id string) (*payment.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sessions[id]
	if !ok || s.Tenant != tenant {
		return nil, payment.ErrNotFound
	}
	return clone(s), nil
}

// GetSessionByKey implements payment.Repository.
func (r *MemRepo) GetSessionByKey(_ context.Context, tenant, key string) (*payment.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.sessions {
		if s.Tenant == tenant && s.IdempotencyKey == key {
			return clone(s), nil
		}
	}
	return nil, payment.ErrNotFound
}

// UpdateSession implements payment.Repository.
func (r *MemRepo) UpdateSession(_ context.Context, s *payment.Session, events ...*payment.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old, ok := r.sessions[s.ID]
	if !ok || old.Tenant != s.Tenant {
		return payment.ErrNotFound
	}
	if old.Version != s.Version {
		return payment.ErrConflict
	}
	if r.pairingInUse(s) {
		return payment.ErrPairingInUse
	}
	s.Version++
	r.sessions[s.ID] = clone(s)
	r.appendEvents(s, events)
	return nil
}

// ListSessions implements payment.Repository.
func (r *MemRepo) ListSessions(_ context.Context, f payment.Filter) ([]*payment.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*payment.Session
	for _, s := range r.sessions {
		if s.Tenant != f.Tenant || (f.AgentID != "" && s.AgentID != f.AgentID) ||
			(len(f.Status) > 0 && !slices.Contains(f.Status, s.Status)) ||
			(!f.From.IsZero() && s.CreatedAt.Before(f.From)) || (!f.To.IsZero() && !s.CreatedAt.Before(f.To)) ||
			(f.MinAmount != nil && s.Amount < *f.MinAmount) || (f.MaxAmount != nil && s.Amount > *f.MaxAmount) ||
			(f.AccountRef != "" && s.AccountRef != f.AccountRef) {
			continue
		}
		out = append(out, clone(s))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID > out[j].ID
	})
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	if f.Offset >= len(out) {
		return nil, nil
	}
	out = out[f.Offset:]
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// FindActive implements payment.Repository.
func (r *MemRepo) FindActive(_ context.Context, kind payment.PairingKind, value string) (*payment.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if value == "" {
		return nil, payment.ErrNotFound
	}
	for _, s := range r.sessions {
		if !s.Status.Active() {
			continue
		}
		var v string
		switch kind {
		case payment.PairByCallRef:
			v = s.Pairing.CallRef
		case payment.PairByCallID:
			v = s.Pairing.CallID
		case payment.PairByHeader:
			v = s.Pairing.Header
		}
		if v == value {
			return clone(s), nil
		}
	}
	return nil, payment.ErrNotFound
}

// ListEvents implements payment.Repository.
func (r *MemRepo) ListEvents(_ context.Context, tenant, sessionID string, after int64, limit int) ([]*payment.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sessions[sessionID]
	if !ok || s.Tenant != tenant {
		return nil, payment.ErrNotFound
	}
	var out []*payment.Event
	for _, e := range r.events[sessionID] {
		if e.Seq > after && (limit <= 0 || len(out) < limit) {
			out = append(out, clone(e))
		}
	}
	return out, nil
}

// ListEventsGlobal implements payment.Repository.
func (r *MemRepo) ListEventsGlobal(_ context.Context, f payment.Filter, after int64, limit int) ([]*payment.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*payment.Event
	for _, e := range r.all {
		if e.GlobalSeq > after && e.Tenant == f.Tenant && (f.AgentID == "" || e.AgentID == f.AgentID) &&
			(limit <= 0 || len(out) < limit) {
			out = append(out, clone(e))
		}
	}
	return out, nil
}

// CreateAttempt implements payment.Repository.
func (r *MemRepo) CreateAttempt(_ context.Context, a *payment.Attempt) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.attempts[a.Key]; ok {
		return payment.ErrDuplicateKey
	}
	r.attempts[a.Key] = clone(a)
	r.attemptOK = append(r.attemptOK, a.Key)
	return nil
}

// GetAttempt implements payment.Repository.
func (r *MemRepo) GetAttempt(_ context.Context, key string) (*payment.Attempt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.attempts[key]
	if !ok {
		return nil, payment.ErrNotFound
	}
	return clone(a), nil
}

// UpdateAttempt implements payment.Repository.
func (r *MemRepo) UpdateAttempt(_ context.Context, a *payment.Attempt) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.attempts[a.Key]; !ok {
		return payment.ErrNotFound
	}
	r.attempts[a.Key] = clone(a)
	return nil
}

// ListAttempts implements payment.Repository.
func (r *MemRepo) ListAttempts(_ context.Context, sessionID string, status payment.AttemptStatus) ([]*payment.Attempt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*payment.Attempt
	for _, k := range r.attemptOK {
		a := r.attempts[k]
		if (sessionID == "" || a.SessionID == sessionID) && (status == "" || a.Status == status) {
			out = append(out, clone(a))
		}
	}
	return out, nil
}

// SaveToken implements payment.Repository.
func (r *MemRepo) SaveToken(_ context.Context, t *payment.Token) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.tokens[t.ID]; ok {
		return payment.ErrDuplicateKey
	}
	r.tokens[t.ID] = clone(t)
	return nil
}

// GetToken implements payment.Repository.
func (r *MemRepo) GetToken(_ context.Context, tenant, id string) (*payment.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.tokens[id]
	if !ok || t.Tenant != tenant {
		return nil, payment.ErrNotFound
	}
	return clone(t), nil
}

// Dump returns every stored value marshalled to JSON, for tests that scan what would be
// at rest for card data.
func (r *MemRepo) Dump() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, err := json.Marshal(map[string]any{
		"sessions": r.sessions, "events": r.all, "attempts": r.attempts, "tokens": r.tokens,
	})
	if err != nil {
		panic(err)
	}
	return b
}
