package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Tenant is one merchant (or contact centre) using Hushpay. Every session, key, event and
// delivery belongs to exactly one tenant.
type Tenant struct {
	ID   string
	Name string
	// WebhookURL receives every event of the tenant's sessions; empty disables webhooks.
	WebhookURL string
	// WebhookSecret keys the HMAC-SHA256 signature of each webhook body. It is kept in the
	// clear because signing needs it; it is never returned by the API.
	WebhookSecret string
	CreatedAt     time.Time
}

// CreateTenant inserts t, setting its ID (when empty) and CreatedAt.
func (s *Store) CreateTenant(ctx context.Context, t *Tenant) error {
	if t.ID == "" {
		t.ID = NewID("tn_")
	}
	t.CreatedAt = s.now().UTC()
	_, err := s.exec(ctx, `INSERT INTO tenants (id, name, webhook_url, webhook_secret, created_at) VALUES (?, ?, ?, ?, ?)`,
		t.ID, t.Name, t.WebhookURL, t.WebhookSecret, ts(t.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("%w: tenant %s exists", ErrConflict, t.ID)
	}
	if err != nil {
		return fmt.Errorf("store: create tenant: %w", err)
	}
	return nil
}

// Tenant returns the tenant with the given ID.
func (s *Store) Tenant(ctx context.Context, id string) (Tenant, error) {
	var t Tenant
	var created int64
	err := s.queryRow(ctx, `SELECT id, name, webhook_url, webhook_secret, created_at FROM tenants WHERE id = ?`, id).
		Scan(&t.ID, &t.Name, &t.WebhookURL, &t.WebhookSecret, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("%w: tenant %s", ErrNotFound, id)
	}
	if err != nil {
		return t, fmt.Errorf("store: tenant: %w", err)
	}
	t.CreatedAt = fromTS(created)
	return t, nil
}

// SetWebhook sets (or, with an empty url, clears) a tenant's webhook URL and secret.
func (s *Store) SetWebhook(ctx context.Context, tenantID, url, secret string) error {
	res, err := s.exec(ctx, `UPDATE tenants SET webhook_url = ?, webhook_secret = ? WHERE id = ?`, url, secret, tenantID)
	if err != nil {
		return fmt.Errorf("store: set webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: tenant %s", ErrNotFound, tenantID)
	}
	return nil
}
