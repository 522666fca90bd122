package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Delivery states.
const (
	DeliveryPending   = "pending"   // waiting for its next attempt
	DeliveryDelivered = "delivered" // the receiver answered 2xx
	DeliveryFailed    = "failed"    // gave up after the last attempt
)

// Delivery is one webhook delivery: an event on its way to a tenant's URL, with the record
// of its attempts (the delivery log).
type Delivery struct {
	ID            int64
	TenantID      string
	URL           string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastStatus    int    // HTTP status of the last attempt, 0 if none was received
	LastError     string // why the last attempt failed, redacted
	CreatedAt     time.Time
	UpdatedAt     time.Time

	// Event and Secret are filled by ClaimDeliveries for the sender.
	Event  Event
	Secret string
}

// ClaimDeliveries leases up to limit deliveries that are due at now to the caller for lease;
// another node (or worker) will not take them until the lease runs out. The claim is a
// conditional update, so two claimers never both win a delivery.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	rows, err := s.query(ctx, `SELECT id FROM webhook_deliveries
		WHERE status = ? AND next_attempt_at <= ? AND lease_until <= ? ORDER BY next_attempt_at, id LIMIT ?`,
		DeliveryPending, ts(now), ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due deliveries: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: due deliveries: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: due deliveries: %w", err)
	}
	var out []Delivery
	for _, id := range ids {
		res, err := s.exec(ctx, `UPDATE webhook_deliveries SET lease_until = ? WHERE id = ? AND status = ? AND lease_until <= ?`,
			ts(now.Add(lease)), id, DeliveryPending, ts(now))
		if err != nil {
			return out, fmt.Errorf("store: claim delivery: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue // another worker won it
		}
		d, err := s.delivery(ctx, id)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Store) delivery(ctx context.Context, id int64) (Delivery, error) {
	var d Delivery
	var next, created, updated, evCreated int64
	var data string
	err := s.queryRow(ctx, `SELECT d.id, d.tenant_id, d.url, d.status, d.attempts, d.next_attempt_at, d.last_status, d.last_error,
		d.created_at, d.updated_at, t.webhook_secret, e.id, e.session_id, e.seq, e.agent_id, e.type, e.data, e.created_at
		FROM webhook_deliveries d JOIN tenants t ON t.id = d.tenant_id JOIN events e ON e.id = d.event_id WHERE d.id = ?`, id).
		Scan(&d.ID, &d.TenantID, &d.URL, &d.Status, &d.Attempts, &next, &d.LastStatus, &d.LastError, &created, &updated,
			&d.Secret, &d.Event.ID, &d.Event.SessionID, &d.Event.Seq, &d.Event.AgentID, &d.Event.Type, &data, &evCreated)
	if err != nil {
		return d, fmt.Errorf("store: delivery %d: %w", id, err)
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromTS(next), fromTS(created), fromTS(updated)
	d.Event.TenantID = d.TenantID
	d.Event.Data = json.RawMessage(data)
	d.Event.CreatedAt = fromTS(evCreated)
	return d, nil
}

// DeliveryResult is the outcome of one delivery attempt.
type DeliveryResult struct {
	StatusCode int       // HTTP status received, 0 if none
	Err        string    // why it failed (already redacted), empty on success
	Delivered  bool      // the receiver accepted it
	GiveUp     bool      // no more attempts
	Next       time.Time // when to try again (if neither Delivered nor GiveUp)
}

// RecordAttempt writes the outcome of an attempt on delivery id and releases its lease.
func (s *Store) RecordAttempt(ctx context.Context, id int64, r DeliveryResult) error {
	status := DeliveryPending
	switch {
	case r.Delivered:
		status = DeliveryDelivered
	case r.GiveUp:
		status = DeliveryFailed
	}
	now := s.now()
	if r.Next.IsZero() {
		r.Next = now
	}
	_, err := s.exec(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, lease_until = 0,
		last_status = ?, last_error = ?, updated_at = ? WHERE id = ?`,
		status, ts(r.Next), r.StatusCode, r.Err, ts(now), id)
	if err != nil {
		return fmt.Errorf("store: record delivery attempt: %w", err)
	}
	return nil
}

// Deliveries returns a tenant's delivery log, newest first, at most limit rows with id
// below before (0: from the newest).
func (s *Store) Deliveries(ctx context.Context, tenantID string, before int64, limit int) ([]Delivery, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.query(ctx, `SELECT d.id, d.tenant_id, d.url, d.status, d.attempts, d.next_attempt_at, d.last_status, d.last_error,
		d.created_at, d.updated_at, e.id, e.session_id, e.type FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.tenant_id = ? AND d.id < ? ORDER BY d.id DESC LIMIT ?`, tenantID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var next, created, updated int64
		if err := rows.Scan(&d.ID, &d.TenantID, &d.URL, &d.Status, &d.Attempts, &next, &d.LastStatus, &d.LastError,
			&created, &updated, &d.Event.ID, &d.Event.SessionID, &d.Event.Type); err != nil {
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromTS(next), fromTS(created), fromTS(updated)
		out = append(out, d)
	}
	return out, rows.Err()
}
