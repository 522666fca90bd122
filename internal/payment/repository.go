package payment

import (
	"context"
	"time"
)

// Repository keeps sessions, their events, payment attempts and reusable tokens. It is
// implemented by internal/store (SQLite and PostgreSQL). Every method is safe for
// concurrent use. Nothing given to it holds card data.
type Repository interface {
	// CreateSession stores a new session (Version must be 1) and appends events to it in
	// the same transaction, assigning their Seq and GlobalSeq. It fails with
	// ErrDuplicateKey when the tenant already has a session with the same IdempotencyKey,
	// and with ErrPairingInUse when an active session already has the same Pairing.CallRef,
	// CallID or Header (non-empty ones).
	CreateSession(ctx context.Context, s *Session, events ...*Event) error

	// GetSession returns the tenant's session, or ErrNotFound.
	GetSession(ctx context.Context, tenant, id string) (*Session, error)

	// GetSessionByKey returns the tenant's session created with an idempotency key, or
	// ErrNotFound.
	GetSessionByKey(ctx context.Context, tenant, idempotencyKey string) (*Session, error)

	// UpdateSession replaces the stored session when its stored Version equals s.Version,
	// then increments s.Version, and appends events in the same transaction (assigning Seq
	// and GlobalSeq). ErrConflict when the version differs, ErrNotFound when there is no
	// such session, ErrPairingInUse as for CreateSession.
	UpdateSession(ctx context.Context, s *Session, events ...*Event) error

	// ListSessions returns the sessions matching f, newest first.
	ListSessions(ctx context.Context, f Filter) ([]*Session, error)

	// FindActive returns the active session (Status.Active) whose pairing value of the given
	// kind equals value, across all tenants, or ErrNotFound.
	FindActive(ctx context.Context, kind PairingKind, value string) (*Session, error)

	// ListEvents returns the session's events with Seq > afterSeq in Seq order, at most
	// limit (all when limit <= 0).
	ListEvents(ctx context.Context, tenant, sessionID string, afterSeq int64, limit int) ([]*Event, error)

	// ListEventsGlobal returns the events with GlobalSeq > afterGlobalSeq matching f (Tenant
	// required, AgentID when set; other fields ignored) in GlobalSeq order, at most limit.
	ListEventsGlobal(ctx context.Context, f Filter, afterGlobalSeq int64, limit int) ([]*Event, error)

	// CreateAttempt records an attempt before it is sent; ErrDuplicateKey when an attempt
	// with the same Key exists (so that only one caller ever sends it).
	CreateAttempt(ctx context.Context, a *Attempt) error

	// GetAttempt returns the attempt with the given key, or ErrNotFound.
	GetAttempt(ctx context.Context, key string) (*Attempt, error)

	// UpdateAttempt replaces the attempt with the same Key (Status, Result, UpdatedAt), or
	// ErrNotFound.
	UpdateAttempt(ctx context.Context, a *Attempt) error

	// ListAttempts returns a session's attempts, oldest first. With sessionID empty it
	// returns the attempts of every session in the given status (e.g. AttemptPending and
	// AttemptInDoubt at start-up, to resolve them).
	ListAttempts(ctx context.Context, sessionID string, status AttemptStatus) ([]*Attempt, error)

	// SaveToken stores a reusable gateway token; ErrDuplicateKey when the ID exists.
	SaveToken(ctx context.Context, t *Token) error

	// GetToken returns the tenant's token, or ErrNotFound.
	GetToken(ctx context.Context, tenant, id string) (*Token, error)
}

// Filter selects sessions (ListSessions) and events (ListEventsGlobal). Zero fields do not
// filter.
type Filter struct {
	// Tenant is required.
	Tenant string
	// AgentID selects one agent's sessions.
	AgentID string
	// Status selects sessions in any of these statuses.
	Status []Status
	// From and To bound CreatedAt: From <= CreatedAt < To.
	From, To time.Time
	// MinAmount and MaxAmount bound Amount inclusively when not nil.
	MinAmount, MaxAmount *int64
	// AccountRef selects an exact account reference.
	AccountRef string
	// Limit caps the number returned (the store's default, 100, when <= 0); Offset skips.
	Limit, Offset int
}
