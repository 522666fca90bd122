package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// APIKey is an integration's credential as stored: only the SHA-256 of the secret key (the
// key has 256 random bits, so a fast hash is the right tool; there is nothing to guess),
// the first characters for people to recognise it, and its scopes.
type APIKey struct {
	ID        string
	TenantID  string
	Name      string
	Prefix    string // first characters of the key, for display
	Hash      string // SHA-256 of the whole key, base64url
	Scopes    []string
	CreatedAt time.Time
	RevokedAt time.Time // zero while the key is valid
}

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// CreateAPIKey inserts k, setting its ID (when empty) and CreatedAt.
func (s *Store) CreateAPIKey(ctx context.Context, k *APIKey) error {
	if k.ID == "" {
		k.ID = NewID("key_")
	}
	k.CreatedAt = s.now().UTC()
	_, err := s.exec(ctx, `INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.TenantID, k.Name, k.Prefix, k.Hash, strings.Join(k.Scopes, " "), ts(k.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("%w: api key", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: create api key: %w", err)
	}
	return nil
}

const apiKeyColumns = `id, tenant_id, name, prefix, key_hash, scopes, created_at, revoked_at`

func scanAPIKey(sc interface{ Scan(...any) error }) (APIKey, error) {
	var k APIKey
	var scopes string
	var created int64
	var revoked sql.NullInt64
	if err := sc.Scan(&k.ID, &k.TenantID, &k.Name, &k.Prefix, &k.Hash, &scopes, &created, &revoked); err != nil {
		return k, err
	}
	k.Scopes = strings.Fields(scopes)
	k.CreatedAt = fromTS(created)
	if revoked.Valid {
		k.RevokedAt = fromTS(revoked.Int64)
	}
	return k, nil
}

// APIKeyByHash returns the key whose hash is hash, revoked or not.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (APIKey, error) {
	k, err := scanAPIKey(s.queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE key_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("%w: api key", ErrNotFound)
	}
	if err != nil {
		return k, fmt.Errorf("store: api key: %w", err)
	}
	return k, nil
}

// APIKeys lists a tenant's keys, newest first.
func (s *Store) APIKeys(ctx context.Context, tenantID string) ([]APIKey, error) {
	rows, err := s.query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = ? ORDER BY created_at DESC, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: api keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("store: api keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// CountAPIKeys returns how many keys exist across all tenants (to detect a first start).
func (s *Store) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM api_keys`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count api keys: %w", err)
	}
	return n, nil
}

// RevokeAPIKey revokes a tenant's key. Revoking an already revoked key is not an error.
func (s *Store) RevokeAPIKey(ctx context.Context, tenantID, id string) error {
	res, err := s.exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND tenant_id = ?`,
		ts(s.now()), id, tenantID)
	if err != nil {
		return fmt.Errorf("store: revoke api key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: api key %s", ErrNotFound, id)
	}
	return nil
}
