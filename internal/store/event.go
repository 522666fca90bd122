package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Event is one change of a payment session as stored: the unit of the Server-sent event
// streams and of webhooks. Data is the event's JSON body, which holds masked values only.
type Event struct {
	ID        int64 // global, increasing in commit order; the SSE id
	TenantID  string
	SessionID string
	Seq       int64 // 1, 2, 3 … within the session, without gaps
	AgentID   string
	Type      string
	Data      json.RawMessage
	CreatedAt time.Time
}

// EventFilter selects the events a reader follows. TenantID is required; SessionID and
// AgentID narrow it further when set.
type EventFilter struct {
	TenantID  string
	SessionID string
	AgentID   string
}

// Match reports whether e passes the filter.
func (f EventFilter) Match(e *Event) bool {
	return e.TenantID == f.TenantID &&
		(f.SessionID == "" || e.SessionID == f.SessionID) &&
		(f.AgentID == "" || e.AgentID == f.AgentID)
}

// AppendEvent stores e in its own transaction and sets its ID, Seq and (when zero)
// CreatedAt.
func (s *Store) AppendEvent(ctx context.Context, e *Event) error {
	return s.withTx(ctx, func(t *tx) error { return t.appendEvent(ctx, e) })
}

// appendEvent stores e inside t: it takes the next sequence number of its session, queues a
// webhook delivery when the tenant has a webhook URL, and (PostgreSQL) tells other nodes.
func (t *tx) appendEvent(ctx context.Context, e *Event) error {
	if e.TenantID == "" || e.SessionID == "" || e.Type == "" {
		return fmt.Errorf("store: append event: tenant, session and type are required")
	}
	if len(e.Data) == 0 {
		e.Data = json.RawMessage("{}")
	}
	if !json.Valid(e.Data) {
		return fmt.Errorf("store: append event %s: data is not JSON", e.Type)
	}
	if t.s.driver == DriverPostgres {
		// Serialise event appends until commit so that ids become visible in order.
		if _, err := t.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(eventsLockKey)); err != nil {
			return fmt.Errorf("store: append event: lock: %w", err)
		}
	}
	now := t.s.now().UTC()
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now
	}
	if err := t.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE session_id = ?`, e.SessionID).Scan(&e.Seq); err != nil {
		return fmt.Errorf("store: append event: seq: %w", err)
	}
	if err := checkNoCard(e.TenantID, e.SessionID, e.AgentID, e.Type, string(e.Data)); err != nil {
		return err
	}
	err := t.queryRow(ctx, `INSERT INTO events (tenant_id, session_id, seq, agent_id, type, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.TenantID, e.SessionID, e.Seq, e.AgentID, e.Type, string(e.Data), ts(e.CreatedAt)).Scan(&e.ID)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: event seq %d of %s", ErrConflict, e.Seq, e.SessionID)
		}
		return fmt.Errorf("store: append event: %w", err)
	}
	if _, err := t.exec(ctx, `INSERT INTO webhook_deliveries (tenant_id, event_id, url, status, next_attempt_at, created_at, updated_at)
		SELECT id, ?, webhook_url, ?, ?, ?, ? FROM tenants WHERE id = ? AND webhook_url <> ''`,
		e.ID, DeliveryPending, ts(now), ts(now), ts(now), e.TenantID); err != nil {
		return fmt.Errorf("store: append event: queue webhook: %w", err)
	}
	if t.s.driver == DriverPostgres {
		if _, err := t.tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, eventsChannel); err != nil {
			return fmt.Errorf("store: append event: notify: %w", err)
		}
	}
	t.events = true
	return nil
}

// EventsAfter returns up to limit events matching f with an id greater than after, oldest
// first.
func (s *Store) EventsAfter(ctx context.Context, f EventFilter, after int64, limit int) ([]Event, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	var where strings.Builder
	args := []any{after}
	where.WriteString("id > ?")
	if f.TenantID != "" {
		where.WriteString(" AND tenant_id = ?")
		args = append(args, f.TenantID)
	}
	if f.SessionID != "" {
		where.WriteString(" AND session_id = ?")
		args = append(args, f.SessionID)
	}
	if f.AgentID != "" {
		where.WriteString(" AND agent_id = ?")
		args = append(args, f.AgentID)
	}
	args = append(args, limit)
	rows, err := s.query(ctx, `SELECT id, tenant_id, session_id, seq, agent_id, type, data, created_at FROM events WHERE `+
		where.String()+` ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var data string
		var created int64
		if err := rows.Scan(&e.ID, &e.TenantID, &e.SessionID, &e.Seq, &e.AgentID, &e.Type, &data, &created); err != nil {
			return nil, fmt.Errorf("store: events: %w", err)
		}
		e.Data = json.RawMessage(data)
		e.CreatedAt = fromTS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastEventID returns the id of the newest event (0 when there is none).
func (s *Store) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: last event: %w", err)
	}
	return id, nil
}

// EventsChanged returns a channel that is closed when new events may be available: at once
// after a local commit, and after a NOTIFY or poll for events other nodes wrote.
func (s *Store) EventsChanged() <-chan struct{} { return s.changed.wait() }
