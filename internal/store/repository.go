package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hushpay/hushpay/internal/payment"
)

// Repository is the store seen as the payment package's payment.Repository.
var _ payment.Repository = (*Store)(nil)

// inactiveStatuses is the SQL form of payment.Status.Active: active is every status but these.
const inactiveStatuses = `('approved', 'cancelled')`

// sessionUniqueErr maps a unique violation on payment_sessions to the payment error.
func sessionUniqueErr(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "call_ref") || strings.Contains(msg, "call_id") || strings.Contains(msg, "pair_header") ||
		strings.Contains(msg, "_active_") {
		return fmt.Errorf("%w: %w", payment.ErrPairingInUse, ErrConflict)
	}
	return fmt.Errorf("%w: %w", payment.ErrDuplicateKey, ErrConflict)
}

func sessionArgs(s *payment.Session) (state []byte, brand, last4, auth string, err error) {
	state, err = json.Marshal(s)
	if err != nil {
		return nil, "", "", "", fmt.Errorf("store: session %s: %w", s.ID, err)
	}
	brand = string(s.Capture.Brand)
	if r := s.Result; r != nil {
		if r.Brand != "" {
			brand = string(r.Brand)
		}
		last4, auth = r.Last4, r.AuthCode
	}
	return state, brand, last4, auth, nil
}

// CreateSession implements payment.Repository.
func (s *Store) CreateSession(ctx context.Context, ps *payment.Session, events ...*payment.Event) error {
	ps.Version = 1
	state, brand, last4, auth, err := sessionArgs(ps)
	if err != nil {
		return err
	}
	err = s.withTx(ctx, func(t *tx) error {
		_, err := t.exec(ctx, `INSERT INTO payment_sessions (id, tenant_id, idempotency_key, status, agent_id, call_ref, call_id, pair_header,
			amount, currency, account_ref, payment_type, brand, last4, auth_code, version, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ps.ID, ps.Tenant, ps.IdempotencyKey, string(ps.Status), ps.AgentID, ps.Pairing.CallRef, ps.Pairing.CallID, ps.Pairing.Header,
			ps.Amount, ps.Currency, ps.AccountRef, string(ps.Type), brand, last4, auth, ps.Version, string(state),
			ts(ps.CreatedAt), ts(ps.UpdatedAt))
		if err != nil {
			if isUniqueViolation(err) {
				return sessionUniqueErr(err)
			}
			return fmt.Errorf("store: create session: %w", err)
		}
		return t.appendPaymentEvents(ctx, ps, events)
	})
	if err != nil {
		ps.Version = 0
	}
	return err
}

// UpdateSession implements payment.Repository.
func (s *Store) UpdateSession(ctx context.Context, ps *payment.Session, events ...*payment.Event) error {
	next := *ps
	next.Version = ps.Version + 1
	state, brand, last4, auth, err := sessionArgs(&next)
	if err != nil {
		return err
	}
	err = s.withTx(ctx, func(t *tx) error {
		res, err := t.exec(ctx, `UPDATE payment_sessions SET status = ?, agent_id = ?, call_ref = ?, call_id = ?, pair_header = ?,
			amount = ?, currency = ?, account_ref = ?, payment_type = ?, brand = ?, last4 = ?, auth_code = ?, version = ?, state = ?, updated_at = ?
			WHERE id = ? AND tenant_id = ? AND version = ?`,
			string(ps.Status), ps.AgentID, ps.Pairing.CallRef, ps.Pairing.CallID, ps.Pairing.Header,
			ps.Amount, ps.Currency, ps.AccountRef, string(ps.Type), brand, last4, auth, next.Version, string(state), ts(ps.UpdatedAt),
			ps.ID, ps.Tenant, ps.Version)
		if err != nil {
			if isUniqueViolation(err) {
				return sessionUniqueErr(err)
			}
			return fmt.Errorf("store: update session: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			err := t.queryRow(ctx, `SELECT 1 FROM payment_sessions WHERE id = ? AND tenant_id = ?`, ps.ID, ps.Tenant).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: session %s", payment.ErrNotFound, ps.ID)
			}
			if err != nil {
				return fmt.Errorf("store: update session: %w", err)
			}
			return fmt.Errorf("%w: session %s", payment.ErrConflict, ps.ID)
		}
		return t.appendPaymentEvents(ctx, ps, events)
	})
	if err == nil {
		ps.Version = next.Version
	}
	return err
}

// appendPaymentEvents appends a session's events inside t and writes back their Seq,
// GlobalSeq and the session's identifiers.
func (t *tx) appendPaymentEvents(ctx context.Context, ps *payment.Session, events []*payment.Event) error {
	for _, e := range events {
		data, err := json.Marshal(e.Data)
		if err != nil {
			return fmt.Errorf("store: event %s: %w", e.Type, err)
		}
		if e.Time.IsZero() {
			e.Time = t.s.now()
		}
		e.Time = e.Time.UTC()
		se := Event{TenantID: ps.Tenant, SessionID: ps.ID, AgentID: ps.AgentID, Type: string(e.Type), Data: data, CreatedAt: e.Time}
		if err := t.appendEvent(ctx, &se); err != nil {
			return err
		}
		e.Seq, e.GlobalSeq = se.Seq, se.ID
		e.SessionID, e.Tenant, e.AgentID = ps.ID, ps.Tenant, ps.AgentID
	}
	return nil
}

func scanSession(sc interface{ Scan(...any) error }) (*payment.Session, error) {
	var state string
	var version int64
	if err := sc.Scan(&state, &version); err != nil {
		return nil, err
	}
	ps := new(payment.Session)
	if err := json.Unmarshal([]byte(state), ps); err != nil {
		return nil, fmt.Errorf("store: session state: %w", err)
	}
	ps.Version = version
	return ps, nil
}

func (s *Store) oneSession(ctx context.Context, query string, args ...any) (*payment.Session, error) {
	ps, err := scanSession(s.queryRow(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, payment.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: session: %w", err)
	}
	return ps, nil
}

// GetSession implements payment.Repository.
func (s *Store) GetSession(ctx context.Context, tenant, id string) (*payment.Session, error) {
	return s.oneSession(ctx, `SELECT state, version FROM payment_sessions WHERE id = ? AND tenant_id = ?`, id, tenant)
}

// GetSessionByKey implements payment.Repository.
func (s *Store) GetSessionByKey(ctx context.Context, tenant, key string) (*payment.Session, error) {
	return s.oneSession(ctx, `SELECT state, version FROM payment_sessions WHERE tenant_id = ? AND idempotency_key = ?`, tenant, key)
}

// FindActive implements payment.Repository.
func (s *Store) FindActive(ctx context.Context, kind payment.PairingKind, value string) (*payment.Session, error) {
	if value == "" {
		return nil, payment.ErrNotFound
	}
	col := ""
	switch kind {
	case payment.PairByCallRef:
		col = "call_ref"
	case payment.PairByCallID:
		col = "call_id"
	case payment.PairByHeader:
		col = "pair_header"
	default:
		return nil, fmt.Errorf("%w: pairing kind %q", payment.ErrNotFound, kind)
	}
	// The conditions repeat those of the partial unique indexes word for word, so that both
	// databases answer from the index instead of scanning every session.
	return s.oneSession(ctx, `SELECT state, version FROM payment_sessions WHERE `+col+` = ? AND status NOT IN `+inactiveStatuses+
		` AND `+col+` <> ''`, value)
}

// ListSessions implements payment.Repository.
func (s *Store) ListSessions(ctx context.Context, f payment.Filter) ([]*payment.Session, error) {
	var w strings.Builder
	w.WriteString("tenant_id = ?")
	args := []any{f.Tenant}
	if f.AgentID != "" {
		w.WriteString(" AND agent_id = ?")
		args = append(args, f.AgentID)
	}
	if len(f.Status) > 0 {
		w.WriteString(" AND status IN (")
		for i, st := range f.Status {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteString("?")
			args = append(args, string(st))
		}
		w.WriteString(")")
	}
	if !f.From.IsZero() {
		w.WriteString(" AND created_at >= ?")
		args = append(args, ts(f.From))
	}
	if !f.To.IsZero() {
		w.WriteString(" AND created_at < ?")
		args = append(args, ts(f.To))
	}
	if f.MinAmount != nil {
		w.WriteString(" AND amount >= ?")
		args = append(args, *f.MinAmount)
	}
	if f.MaxAmount != nil {
		w.WriteString(" AND amount <= ?")
		args = append(args, *f.MaxAmount)
	}
	if f.AccountRef != "" {
		w.WriteString(" AND account_ref = ?")
		args = append(args, f.AccountRef)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	offset := max(f.Offset, 0)
	args = append(args, limit, offset)
	rows, err := s.query(ctx, `SELECT state, version FROM payment_sessions WHERE `+w.String()+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list sessions: %w", err)
	}
	defer rows.Close()
	var out []*payment.Session
	for rows.Next() {
		ps, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list sessions: %w", err)
		}
		out = append(out, ps)
	}
	return out, rows.Err()
}

// PaymentEvent converts a stored event to the payment package's form.
func PaymentEvent(se *Event) (*payment.Event, error) {
	e := &payment.Event{Seq: se.Seq, GlobalSeq: se.ID, SessionID: se.SessionID, Tenant: se.TenantID, AgentID: se.AgentID,
		Type: payment.EventType(se.Type), Time: se.CreatedAt}
	if err := json.Unmarshal(se.Data, &e.Data); err != nil {
		return nil, fmt.Errorf("store: event %d: %w", se.ID, err)
	}
	return e, nil
}

func (s *Store) paymentEvents(ctx context.Context, query string, args ...any) ([]*payment.Event, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var out []*payment.Event
	for rows.Next() {
		var se Event
		var data string
		var created int64
		if err := rows.Scan(&se.ID, &se.TenantID, &se.SessionID, &se.Seq, &se.AgentID, &se.Type, &data, &created); err != nil {
			return nil, fmt.Errorf("store: events: %w", err)
		}
		se.Data, se.CreatedAt = json.RawMessage(data), fromTS(created)
		e, err := PaymentEvent(&se)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// noLimit stands for "all" in queries with a LIMIT.
const noLimit = 1 << 62

// ListEvents implements payment.Repository.
func (s *Store) ListEvents(ctx context.Context, tenant, sessionID string, afterSeq int64, limit int) ([]*payment.Event, error) {
	var one int
	err := s.queryRow(ctx, `SELECT 1 FROM payment_sessions WHERE id = ? AND tenant_id = ?`, sessionID, tenant).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, payment.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	lim := int64(limit)
	if limit <= 0 {
		lim = noLimit
	}
	return s.paymentEvents(ctx, `SELECT id, tenant_id, session_id, seq, agent_id, type, data, created_at FROM events
		WHERE session_id = ? AND tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`, sessionID, tenant, afterSeq, lim)
}

// ListEventsGlobal implements payment.Repository.
func (s *Store) ListEventsGlobal(ctx context.Context, f payment.Filter, afterGlobalSeq int64, limit int) ([]*payment.Event, error) {
	lim := int64(limit)
	if limit <= 0 {
		lim = noLimit
	}
	q := `SELECT id, tenant_id, session_id, seq, agent_id, type, data, created_at FROM events WHERE tenant_id = ? AND id > ?`
	args := []any{f.Tenant, afterGlobalSeq}
	if f.AgentID != "" {
		q += ` AND agent_id = ?`
		args = append(args, f.AgentID)
	}
	args = append(args, lim)
	return s.paymentEvents(ctx, q+` ORDER BY id LIMIT ?`, args...)
}

func attemptArgs(a *payment.Attempt) (state []byte, outcome, charge, auth, decline string, err error) {
	state, err = json.Marshal(a)
	if err != nil {
		return nil, "", "", "", "", fmt.Errorf("store: attempt %s: %w", a.Key, err)
	}
	if r := a.Result; r != nil {
		outcome, charge, auth, decline = string(r.Outcome), r.ChargeID, r.AuthCode, string(r.DeclineCode)
	}
	return state, outcome, charge, auth, decline, nil
}

// CreateAttempt implements payment.Repository.
func (s *Store) CreateAttempt(ctx context.Context, a *payment.Attempt) error {
	state, outcome, charge, auth, decline, err := attemptArgs(a)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO payment_attempts (idempotency_key, session_id, tenant_id, number, gateway, amount, currency, status,
		outcome, charge_id, auth_code, decline_code, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Key, a.SessionID, a.Tenant, a.Number, a.Gateway, a.Amount, a.Currency, string(a.Status),
		outcome, charge, auth, decline, string(state), ts(a.CreatedAt), ts(a.UpdatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("%w: attempt %s", payment.ErrDuplicateKey, a.Key)
	}
	if err != nil {
		return fmt.Errorf("store: create attempt: %w", err)
	}
	return nil
}

// GetAttempt implements payment.Repository.
func (s *Store) GetAttempt(ctx context.Context, key string) (*payment.Attempt, error) {
	var state string
	err := s.queryRow(ctx, `SELECT state FROM payment_attempts WHERE idempotency_key = ?`, key).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, payment.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: attempt: %w", err)
	}
	a := new(payment.Attempt)
	if err := json.Unmarshal([]byte(state), a); err != nil {
		return nil, fmt.Errorf("store: attempt state: %w", err)
	}
	return a, nil
}

// UpdateAttempt implements payment.Repository.
func (s *Store) UpdateAttempt(ctx context.Context, a *payment.Attempt) error {
	state, outcome, charge, auth, decline, err := attemptArgs(a)
	if err != nil {
		return err
	}
	res, err := s.exec(ctx, `UPDATE payment_attempts SET status = ?, outcome = ?, charge_id = ?, auth_code = ?, decline_code = ?, state = ?,
		updated_at = ? WHERE idempotency_key = ?`, string(a.Status), outcome, charge, auth, decline, string(state), ts(a.UpdatedAt), a.Key)
	if err != nil {
		return fmt.Errorf("store: update attempt: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: attempt %s", payment.ErrNotFound, a.Key)
	}
	return nil
}

// ListAttempts implements payment.Repository.
func (s *Store) ListAttempts(ctx context.Context, sessionID string, status payment.AttemptStatus) ([]*payment.Attempt, error) {
	q := `SELECT state FROM payment_attempts WHERE 1 = 1`
	var args []any
	if sessionID != "" {
		q += ` AND session_id = ?`
		args = append(args, sessionID)
	}
	if status != "" {
		q += ` AND status = ?`
		args = append(args, string(status))
	}
	rows, err := s.query(ctx, q+` ORDER BY created_at, number, idempotency_key`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: attempts: %w", err)
	}
	defer rows.Close()
	var out []*payment.Attempt
	for rows.Next() {
		var state string
		if err := rows.Scan(&state); err != nil {
			return nil, fmt.Errorf("store: attempts: %w", err)
		}
		a := new(payment.Attempt)
		if err := json.Unmarshal([]byte(state), a); err != nil {
			return nil, fmt.Errorf("store: attempt state: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SaveToken implements payment.Repository.
func (s *Store) SaveToken(ctx context.Context, t *payment.Token) error {
	state, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("store: token: %w", err)
	}
	_, err = s.exec(ctx, `INSERT INTO gateway_tokens (id, tenant_id, session_id, gateway, gateway_token, customer, brand, first6, last4,
		exp_month, exp_year, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Tenant, t.SessionID, t.Gateway, t.GatewayToken, t.Customer, string(t.Brand), t.First6, t.Last4,
		t.ExpMonth, t.ExpYear, string(state), ts(t.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("%w: token %s", payment.ErrDuplicateKey, t.ID)
	}
	if err != nil {
		return fmt.Errorf("store: save token: %w", err)
	}
	return nil
}

// GetToken implements payment.Repository.
func (s *Store) GetToken(ctx context.Context, tenant, id string) (*payment.Token, error) {
	var state string
	err := s.queryRow(ctx, `SELECT state FROM gateway_tokens WHERE id = ? AND tenant_id = ?`, id, tenant).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, payment.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: token: %w", err)
	}
	t := new(payment.Token)
	if err := json.Unmarshal([]byte(state), t); err != nil {
		return nil, fmt.Errorf("store: token state: %w", err)
	}
	return t, nil
}
