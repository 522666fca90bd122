package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/store"
	"github.com/hushpay/hushpay/internal/store/storetest"
)

func TestTenantsAndKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		tn := &store.Tenant{Name: "Acme"}
		if err := s.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateTenant(ctx, &store.Tenant{ID: tn.ID, Name: "again"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate tenant: %v", err)
		}
		if err := s.SetWebhook(ctx, tn.ID, "https://example.test/hook", "s3cret"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Tenant(ctx, tn.ID); err != nil || got.WebhookURL != "https://example.test/hook" || got.WebhookSecret != "s3cret" {
			t.Fatalf("tenant: %+v %v", got, err)
		}
		if _, err := s.Tenant(ctx, "tn_none"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing tenant: %v", err)
		}
		if n, _ := s.CountAPIKeys(ctx); n != 0 {
			t.Fatalf("keys at start: %d", n)
		}
		k := &store.APIKey{TenantID: tn.ID, Name: "crm", Prefix: "hpk_abcd", Hash: "h1", Scopes: []string{"sessions:read", "sessions:write"}}
		if err := s.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAPIKey(ctx, &store.APIKey{TenantID: tn.ID, Name: "dup", Hash: "h1"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate hash: %v", err)
		}
		got, err := s.APIKeyByHash(ctx, "h1")
		if err != nil || got.ID != k.ID || len(got.Scopes) != 2 || got.Revoked() {
			t.Fatalf("by hash: %+v %v", got, err)
		}
		if err := s.RevokeAPIKey(ctx, "tn_other", k.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke from another tenant: %v", err)
		}
		if err := s.RevokeAPIKey(ctx, tn.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.APIKeyByHash(ctx, "h1"); !got.Revoked() {
			t.Fatal("not revoked")
		}
		if l, _ := s.APIKeys(ctx, tn.ID); len(l) != 1 {
			t.Fatalf("list keys: %d", len(l))
		}
	})
}

func TestEventsAndDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		quiet := &store.Tenant{Name: "no webhook"}
		hooked := &store.Tenant{Name: "webhook", WebhookURL: "http://127.0.0.1:1/hook", WebhookSecret: "k"}
		for _, tn := range []*store.Tenant{quiet, hooked} {
			if err := s.CreateTenant(ctx, tn); err != nil {
				t.Fatal(err)
			}
		}
		changed := s.EventsChanged()
		for _, tn := range []*store.Tenant{quiet, hooked} {
			ps := newSession(tn.ID, "ps_"+tn.ID, "k", "", 100, t0)
			if err := s.CreateSession(ctx, ps, ev(payment.EventSessionCreated), ev(payment.EventSecureOn)); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-changed:
		case <-time.After(5 * time.Second):
			t.Fatal("EventsChanged not signalled after a commit")
		}
		all, err := s.EventsAfter(ctx, store.EventFilter{}, 0, 0)
		if err != nil || len(all) != 4 {
			t.Fatalf("events: %d %v", len(all), err)
		}
		if l, _ := s.EventsAfter(ctx, store.EventFilter{TenantID: hooked.ID}, all[2].ID-1, 10); len(l) != 2 || l[0].ID != all[2].ID {
			t.Fatalf("filtered events: %+v", l)
		}
		if last, _ := s.LastEventID(ctx); last != all[3].ID {
			t.Fatalf("last event %d, want %d", last, all[3].ID)
		}
		now := time.Now()
		ds, err := s.ClaimDeliveries(ctx, now, time.Minute, 10)
		if err != nil || len(ds) != 2 {
			t.Fatalf("claim: %d %v", len(ds), err)
		}
		if ds[0].TenantID != hooked.ID || ds[0].Secret != "k" || ds[0].Event.Type != string(payment.EventSessionCreated) || ds[0].URL != hooked.WebhookURL {
			t.Fatalf("delivery: %+v", ds[0])
		}
		if again, _ := s.ClaimDeliveries(ctx, now, time.Minute, 10); len(again) != 0 {
			t.Fatalf("claimed leased deliveries again: %d", len(again))
		}
		if err := s.RecordAttempt(ctx, ds[0].ID, store.DeliveryResult{Delivered: true, StatusCode: 204}); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordAttempt(ctx, ds[1].ID, store.DeliveryResult{StatusCode: 500, Err: "HTTP 500", Next: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.ClaimDeliveries(ctx, now.Add(time.Minute), time.Minute, 10); len(due) != 0 {
			t.Fatalf("retry claimed before its time: %d", len(due))
		}
		due, _ := s.ClaimDeliveries(ctx, now.Add(2*time.Hour), time.Minute, 10)
		if len(due) != 1 || due[0].Attempts != 1 || due[0].LastStatus != 500 {
			t.Fatalf("retry: %+v", due)
		}
		if err := s.RecordAttempt(ctx, due[0].ID, store.DeliveryResult{GiveUp: true, Err: "refused"}); err != nil {
			t.Fatal(err)
		}
		log, err := s.Deliveries(ctx, hooked.ID, 0, 10)
		if err != nil || len(log) != 2 || log[0].Status != store.DeliveryFailed || log[0].Attempts != 2 || log[1].Status != store.DeliveryDelivered {
			t.Fatalf("delivery log: %+v %v", log, err)
		}
		if l, _ := s.Deliveries(ctx, quiet.ID, 0, 10); len(l) != 0 {
			t.Fatalf("deliveries for a tenant without webhook: %d", len(l))
		}
	})
}

func TestAuditChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		for _, a := range []string{"session.create", "call.secure", "session.pay"} {
			if err := s.AppendAudit(ctx, &store.AuditEntry{TenantID: "t1", Actor: "key:k1", Action: a, Subject: "ps_1", Detail: "ok"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
		l, err := s.Audit(ctx, "t1", 10)
		if err != nil || len(l) != 3 || l[0].Action != "session.pay" || l[0].PrevHash != l[1].Hash {
			t.Fatalf("audit: %+v %v", l, err)
		}
		// Tamper with the middle row behind the store's back.
		if err := storetest.Exec(t, b, `UPDATE audit_log SET detail = 'changed' WHERE id = 2`); err != nil {
			t.Fatal(err)
		}
		if err := s.VerifyAudit(ctx); !errors.Is(err, store.ErrAuditBroken) {
			t.Fatalf("tampered audit verified: %v", err)
		}
	})
}
