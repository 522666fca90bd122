package integration

import (
	"context"
	"encoding/json"
	"sort"
	"sync"

	"github.com/hushpay/hushpay/internal/payment"
)

// memRepo is an in-memory payment.Repository for these tests: the SIP tests exercise the real
// payment.Service, and keep the store (tested on its own, with SQLite and PostgreSQL) out of
// their way. Values are copied in and out through JSON, as a database would.
type memRepo struct {
	mu       sync.Mutex
	sessions map[string][]byte
	events   map[string][]*payment.Event
	global   int64
	attempts map[string][]byte
	tokens   map[string][]byte
}

func newMemRepo() *memRepo {
	return &memRepo{sessions: map[string][]byte{}, events: map[string][]*payment.Event{},
		attempts: map[string][]byte{}, tokens: map[string][]byte{}}
}

func (r *memRepo) load(b []byte) *payment.Session {
	var s payment.Session
	_ = json.Unmarshal(b, &s)
	return &s
}

func (r *memRepo) conflict(s *payment.Session) error {
	for id, b := range r.sessions {
		o := r.load(b)
		if id == s.ID || !o.Status.Active() || !s.Status.Active() {
			continue
		}
		p, q := s.Pairing, o.Pairing
		if (p.CallRef != "" && p.CallRef == q.CallRef) || (p.CallID != "" && p.CallID == q.CallID) || (p.Header != "" && p.Header == q.Header) {
			return payment.ErrPairingInUse
		}
	}
	return nil
}

func (r *memRepo) append(s *payment.Session, evs []*payment.Event) {
	for _, e := range evs {
		if e.SessionID == "" {
			e.SessionID, e.Tenant, e.AgentID = s.ID, s.Tenant, s.AgentID
		}
		r.global++
		e.GlobalSeq = r.global
		e.Seq = int64(len(r.events[s.ID]) + 1)
		r.events[s.ID] = append(r.events[s.ID], e)
	}
}

func (r *memRepo) CreateSession(_ context.Context, s *payment.Session, evs ...*payment.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.sessions {
		if o := r.load(b); o.Tenant == s.Tenant && o.IdempotencyKey == s.IdempotencyKey {
			return payment.ErrDuplicateKey
		}
	}
	if err := r.conflict(s); err != nil {
		return err
	}
	b, _ := json.Marshal(s)
	r.sessions[s.ID] = b
	r.append(s, evs)
	return nil
}

func (r *memRepo) GetSession(_ context.Context, tenant, id string) (*payment.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.sessions[id]
	if !ok {
		return nil, payment.ErrNotFound
	}
	s := r.load(b)
	if s.Tenant != tenant {
		return nil, payment.ErrNotFound
	}
	return s, nil
}

func (r *memRepo) GetSessionByKey(_ context.Context, tenant, key string) (*payment.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.sessions {
		if s := r.load(b); s.Tenant == tenant && s.IdempotencyKey == key {
			return s, nil
		}
	}
	return nil, payment.ErrNotFound
}

func (r *memRepo) UpdateSession(_ context.Context, s *payment.Session, evs ...*payment.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.sessions[s.ID]
	if !ok {
		return payment.ErrNotFound
	}
	if r.load(b).Version != s.Version {
		return payment.ErrConflict
	}
	if err := r.conflict(s); err != nil {
		return err
	}
	s.Version++
	nb, _ := json.Marshal(s)
	r.sessions[s.ID] = nb
	r.append(s, evs)
	return nil
}

func (r *memRepo) ListSessions(_ context.Context, f payment.Filter) ([]*payment.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*payment.Session
	for _, b := range r.sessions {
		if s := r.load(b); s.Tenant == f.Tenant && (f.AgentID == "" || s.AgentID == f.AgentID) {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

func (r *memRepo) FindActive(_ context.Context, kind payment.PairingKind, value string) (*payment.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.sessions {
		s := r.load(b)
		if !s.Status.Active() {
			continue
		}
		switch {
		case kind == payment.PairByCallRef && s.Pairing.CallRef == value,
			kind == payment.PairByCallID && s.Pairing.CallID == value,
			kind == payment.PairByHeader && s.Pairing.Header == value:
			return s, nil
		}
	}
	return nil, payment.ErrNotFound
}

func (r *memRepo) ListEvents(_ context.Context, tenant, id string, after int64, limit int) ([]*payment.Event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*payment.Event
	for _, e := range r.events[id] {
		if e.Tenant == tenant && e.Seq > after && (limit <= 0 || len(out) < limit) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (r *memRepo) ListEventsGlobal(context.Context, payment.Filter, int64, int) ([]*payment.Event, error) {
	return nil, nil
}

func (r *memRepo) CreateAttempt(_ context.Context, a *payment.Attempt) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.attempts[a.Key]; ok {
		return payment.ErrDuplicateKey
	}
	r.attempts[a.Key], _ = json.Marshal(a)
	return nil
}

func (r *memRepo) GetAttempt(_ context.Context, key string) (*payment.Attempt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.attempts[key]
	if !ok {
		return nil, payment.ErrNotFound
	}
	var a payment.Attempt
	_ = json.Unmarshal(b, &a)
	return &a, nil
}

func (r *memRepo) UpdateAttempt(_ context.Context, a *payment.Attempt) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.attempts[a.Key]; !ok {
		return payment.ErrNotFound
	}
	r.attempts[a.Key], _ = json.Marshal(a)
	return nil
}

func (r *memRepo) ListAttempts(_ context.Context, sessionID string, status payment.AttemptStatus) ([]*payment.Attempt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*payment.Attempt
	for _, b := range r.attempts {
		var a payment.Attempt
		_ = json.Unmarshal(b, &a)
		if (sessionID == "" || a.SessionID == sessionID) && (status == "" || a.Status == status) {
			out = append(out, &a)
		}
	}
	return out, nil
}

func (r *memRepo) SaveToken(_ context.Context, t *payment.Token) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.tokens[t.ID]; ok {
		return payment.ErrDuplicateKey
	}
	r.tokens[t.ID], _ = json.Marshal(t)
	return nil
}

func (r *memRepo) GetToken(_ context.Context, tenant, id string) (*payment.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.tokens[id]
	if !ok {
		return nil, payment.ErrNotFound
	}
	var t payment.Token
	_ = json.Unmarshal(b, &t)
	if t.Tenant != tenant {
		return nil, payment.ErrNotFound
	}
	return &t, nil
}

var _ payment.Repository = (*memRepo)(nil)
