package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// AuditEntry is one line of the tamper-evident audit log: who did what to which subject.
type AuditEntry struct {
	ID        int64
	TenantID  string
	Actor     string // "key:<id>", "user:<name>", "system"
	Action    string // "session.create", "call.secure", "api_key.revoke" …
	Subject   string // the session, call or key acted on
	Detail    string // short free text, no card data (checked)
	CreatedAt time.Time
	PrevHash  string
	Hash      string
}

// ErrAuditBroken is returned by VerifyAudit when the chain does not hold.
var ErrAuditBroken = errors.New("store: audit log altered")

// auditHash chains an entry to the one before it: SHA-256 over the previous hash and every
// field, each length-prefixed so that no two different entries encode alike. Base64url, not
// hex, so that a digest never holds a long run of decimal digits (see cardguard.go).
func auditHash(e *AuditEntry) string {
	h := sha256.New()
	for _, f := range []string{e.PrevHash, strconv.FormatInt(e.ID, 10), e.TenantID, e.Actor, e.Action, e.Subject, e.Detail,
		strconv.FormatInt(ts(e.CreatedAt), 10)} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// AppendAudit adds e to the end of the audit log, setting its ID, CreatedAt and hashes.
func (s *Store) AppendAudit(ctx context.Context, e *AuditEntry) error {
	return s.withTx(ctx, func(t *tx) error { return t.appendAudit(ctx, e) })
}

func (t *tx) appendAudit(ctx context.Context, e *AuditEntry) error {
	if err := checkNoCard(e.TenantID, e.Actor, e.Action, e.Subject, e.Detail); err != nil {
		return err
	}
	if t.s.driver == DriverPostgres {
		// The chain needs one writer at a time (its own lock: audit entries need not wait
		// for event appends).
		if _, err := t.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(auditLockKey)); err != nil {
			return fmt.Errorf("store: audit: lock: %w", err)
		}
	}
	var prevID int64
	err := t.queryRow(ctx, `SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&prevID, &e.PrevHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: audit: %w", err)
	}
	e.ID = prevID + 1
	e.CreatedAt = t.s.now().UTC().Round(0)
	e.Hash = auditHash(e)
	if _, err := t.exec(ctx, `INSERT INTO audit_log (id, tenant_id, actor, action, subject, detail, created_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.TenantID, e.Actor, e.Action, e.Subject, e.Detail, ts(e.CreatedAt), e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// Audit returns a tenant's audit entries, newest first, at most limit.
func (s *Store) Audit(ctx context.Context, tenantID string, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.query(ctx, `SELECT id, tenant_id, actor, action, subject, detail, created_at, prev_hash, hash
		FROM audit_log WHERE tenant_id = ? ORDER BY id DESC LIMIT ?`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	defer rows.Close()
	return scanAudit(rows)
}

func scanAudit(rows *sql.Rows) ([]AuditEntry, error) {
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var created int64
		if err := rows.Scan(&e.ID, &e.TenantID, &e.Actor, &e.Action, &e.Subject, &e.Detail, &created, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("store: audit: %w", err)
		}
		e.CreatedAt = fromTS(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// VerifyAudit walks the whole audit log and returns ErrAuditBroken (with the first bad id)
// when an entry was altered, removed or inserted out of chain.
func (s *Store) VerifyAudit(ctx context.Context) error {
	rows, err := s.query(ctx, `SELECT id, tenant_id, actor, action, subject, detail, created_at, prev_hash, hash FROM audit_log ORDER BY id`)
	if err != nil {
		return fmt.Errorf("store: verify audit: %w", err)
	}
	defer rows.Close()
	entries, err := scanAudit(rows)
	if err != nil {
		return err
	}
	prev := ""
	for i := range entries {
		e := &entries[i]
		if e.ID != int64(i+1) || e.PrevHash != prev || auditHash(e) != e.Hash {
			return fmt.Errorf("%w at entry %d", ErrAuditBroken, e.ID)
		}
		prev = e.Hash
	}
	return nil
}
