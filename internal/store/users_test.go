package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/store"
	"github.com/hushpay/hushpay/internal/store/storetest"
)

func TestUsersLoginsSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		tn := &store.Tenant{ID: "t1", Name: "Acme"}
		if err := s.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		if n, err := s.CountUsers(ctx); err != nil || n != 0 {
			t.Fatalf("users at start: %d %v", n, err)
		}
		u := &store.User{TenantID: "t1", Username: "alice", Role: "agent", PasswordHash: "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA"}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, &store.User{TenantID: "t1", Username: "alice", Role: "admin", PasswordHash: "x"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate username: %v", err)
		}
		if err := s.CreateUser(ctx, &store.User{TenantID: "t1", Username: "bob", Role: "agent", PasswordHash: "4242424242424242"}); !errors.Is(err, store.ErrCardData) {
			t.Fatalf("card-shaped value: %v", err)
		}
		got, err := s.UserByName(ctx, "alice")
		if err != nil || got.ID != u.ID || got.Role != "agent" || got.PasswordHash != u.PasswordHash || got.Disabled || !got.LockedUntil.IsZero() {
			t.Fatalf("user: %+v %v", got, err)
		}
		if _, err := s.UserByName(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}

		// Lockout: the third failure locks, and the count starts again.
		for i := 1; i <= 3; i++ {
			until, err := s.LoginFailed(ctx, u.ID, 3, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if (i == 3) != !until.IsZero() {
				t.Fatalf("failure %d: locked until %v", i, until)
			}
		}
		got, _ = s.User(ctx, u.ID)
		if !got.Locked(time.Now()) || got.FailedLogins != 0 || got.Locked(time.Now().Add(2*time.Minute)) {
			t.Fatalf("after lockout: %+v", got)
		}
		if err := s.LoginSucceeded(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.User(ctx, u.ID); got.Locked(time.Now()) {
			t.Fatalf("lock not cleared: %+v", got)
		}

		// Logins: found until they expire, gone when the user is disabled.
		now := time.Now()
		l := &store.Login{TokenHash: "th1", UserID: u.ID, CSRFToken: "csrf1", ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateLogin(ctx, l); err != nil {
			t.Fatal(err)
		}
		gl, gu, err := s.Login(ctx, "th1", now)
		if err != nil || gl.CSRFToken != "csrf1" || gu.Username != "alice" {
			t.Fatalf("login: %+v %+v %v", gl, gu, err)
		}
		if _, _, err := s.Login(ctx, "th1", now.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired login: %v", err)
		}
		if err := s.ExtendLogin(ctx, "th1", now.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Login(ctx, "th1", now.Add(2*time.Hour)); err != nil {
			t.Fatalf("extended login: %v", err)
		}
		if err := s.UpdateUser(ctx, "t1", u.ID, "supervisor", true, ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Login(ctx, "th1", now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("login of a disabled user: %v", err)
		}
		if err := s.UpdateUser(ctx, "t2", u.ID, "admin", false, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other tenant's user: %v", err)
		}
		if err := s.UpdateUser(ctx, "t1", u.ID, "admin", false, "newhash"); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.User(ctx, u.ID); got.Role != "admin" || got.Disabled || got.PasswordHash != "newhash" {
			t.Fatalf("updated: %+v", got)
		}
		if err := s.CreateLogin(ctx, &store.Login{TokenHash: "th2", UserID: u.ID, CSRFToken: "c", ExpiresAt: now.Add(-time.Second)}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.DeleteExpiredLogins(ctx, now); err != nil || n != 1 {
			t.Fatalf("expired logins deleted: %d %v", n, err)
		}
		if err := s.DeleteLogin(ctx, "th2"); err != nil {
			t.Fatal(err)
		}
		if us, err := s.Users(ctx, "t1"); err != nil || len(us) != 1 {
			t.Fatalf("users: %+v %v", us, err)
		}

		// Settings: set, replace, remove; card-shaped values refused.
		if err := s.SetSetting(ctx, "t1", "mask_style", "last4"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSetting(ctx, "t1", "mask_style", "first6last4"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSetting(ctx, "t1", "receipt_name", "Acme"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSetting(ctx, "t1", "receipt_name", "x 4000 0000 0000 0002"); !errors.Is(err, store.ErrCardData) {
			t.Fatalf("card-shaped setting: %v", err)
		}
		if err := s.SetSetting(ctx, "t1", "receipt_name", ""); err != nil {
			t.Fatal(err)
		}
		m, err := s.Settings(ctx, "t1")
		if err != nil || len(m) != 1 || m["mask_style"] != "first6last4" {
			t.Fatalf("settings: %v %v", m, err)
		}
	})
}
