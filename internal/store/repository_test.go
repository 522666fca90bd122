package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/store"
	"github.com/hushpay/hushpay/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 123456789, time.UTC)

func newSession(tenant, id, key, callRef string, amount int64, at time.Time) *payment.Session {
	return &payment.Session{
		ID: id, Tenant: tenant, AgentID: "agent-1", Type: payment.TypeSale, Amount: amount, Currency: "GBP",
		AccountRef: "INV-" + id, RequiredFields: []capture.FieldName{capture.FieldCardNumber, capture.FieldExpiry, capture.FieldSecurityCode},
		IdempotencyKey: key, Pairing: payment.Pairing{CallRef: callRef}, Status: payment.StatusPending,
		Capture:   capture.View{Fields: []capture.FieldView{{Name: capture.FieldCardNumber, State: capture.StatePending, MaxLength: 19}}},
		CreatedAt: at, UpdatedAt: at,
	}
}

func ev(typ payment.EventType, attrs ...payment.Attr) *payment.Event {
	return &payment.Event{Type: typ, Data: payment.NewData(attrs...), Time: t0}
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		a := newSession("t1", "ps_a", "key-a", "111111", 1000, t0)
		e1 := ev(payment.EventSessionCreated, payment.Str("x", "y"))
		if err := s.CreateSession(ctx, a, e1); err != nil {
			t.Fatal(err)
		}
		if a.Version != 1 || e1.Seq != 1 || e1.GlobalSeq == 0 || e1.SessionID != "ps_a" || e1.Tenant != "t1" || e1.AgentID != "agent-1" {
			t.Fatalf("after create: version %d event %+v", a.Version, e1)
		}
		got, err := s.GetSession(ctx, "t1", "ps_a")
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || got.Amount != 1000 || !got.CreatedAt.Equal(t0) || got.Pairing.CallRef != "111111" || len(got.Capture.Fields) != 1 {
			t.Fatalf("round trip: %+v", got)
		}
		if _, err := s.GetSession(ctx, "t2", "ps_a"); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("other tenant: %v", err)
		}
		if got, err := s.GetSessionByKey(ctx, "t1", "key-a"); err != nil || got.ID != "ps_a" {
			t.Fatalf("by key: %v %v", got, err)
		}
		// Same idempotency key in the same tenant: duplicate; in another tenant: fine.
		if err := s.CreateSession(ctx, newSession("t1", "ps_b", "key-a", "222222", 1, t0)); !errors.Is(err, payment.ErrDuplicateKey) {
			t.Fatalf("duplicate key: %v", err)
		}
		if err := s.CreateSession(ctx, newSession("t1", "ps_a", "key-z", "222223", 1, t0)); !errors.Is(err, payment.ErrDuplicateKey) {
			t.Fatalf("duplicate id: %v", err)
		}
		// Call reference unique among active sessions, across tenants.
		if err := s.CreateSession(ctx, newSession("t2", "ps_c", "key-a", "111111", 1, t0)); !errors.Is(err, payment.ErrPairingInUse) {
			t.Fatalf("pairing in use: %v", err)
		}
		bs := newSession("t1", "ps_b", "key-b", "222222", 2000, t0.Add(time.Second))
		if err := s.CreateSession(ctx, bs); err != nil {
			t.Fatal(err)
		}
		// Update: version check, pairing check, events.
		got.Status = payment.StatusCapturing
		got.Pairing.CallID = "call-1"
		got.Secure = true
		e2, e3 := ev(payment.EventSecureOn), ev(payment.EventCaptureDigit, payment.Int("length", 1))
		if err := s.UpdateSession(ctx, got, e2, e3); err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 || e2.Seq != 2 || e3.Seq != 3 || e3.GlobalSeq <= e2.GlobalSeq || e2.GlobalSeq <= e1.GlobalSeq {
			t.Fatalf("after update: version %d seqs %d/%d global %d/%d/%d", got.Version, e2.Seq, e3.Seq, e1.GlobalSeq, e2.GlobalSeq, e3.GlobalSeq)
		}
		stale := *got
		stale.Version = 1
		if err := s.UpdateSession(ctx, &stale, ev(payment.EventSecureOff)); !errors.Is(err, payment.ErrConflict) {
			t.Fatalf("stale update: %v", err)
		}
		if stale.Version != 1 {
			t.Fatalf("failed update changed version to %d", stale.Version)
		}
		ghost := newSession("t1", "ps_ghost", "k", "", 1, t0)
		ghost.Version = 1
		if err := s.UpdateSession(ctx, ghost); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		other := *got
		other.Tenant = "t2"
		if err := s.UpdateSession(ctx, &other); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("update other tenant: %v", err)
		}
		bs.Pairing.CallID = "call-1"
		if err := s.UpdateSession(ctx, bs); !errors.Is(err, payment.ErrPairingInUse) {
			t.Fatalf("update pairing in use: %v", err)
		}
		bs.Pairing.CallID = ""
		// The failed update's event was not written (same transaction).
		evs, err := s.ListEvents(ctx, "t1", "ps_a", 0, 0)
		if err != nil || len(evs) != 3 {
			t.Fatalf("events: %d %v", len(evs), err)
		}
		if evs[2].Type != payment.EventCaptureDigit || evs[2].Seq != 3 || evs[2].Data.Len() != 1 || !evs[2].Time.Equal(t0) {
			t.Fatalf("event 3: %+v", evs[2])
		}
		if evs, _ := s.ListEvents(ctx, "t1", "ps_a", 1, 1); len(evs) != 1 || evs[0].Seq != 2 {
			t.Fatalf("events after 1 limit 1: %+v", evs)
		}
		if _, err := s.ListEvents(ctx, "t2", "ps_a", 0, 0); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("events of other tenant: %v", err)
		}
		// FindActive across tenants; inactive sessions release their pairing.
		if f, err := s.FindActive(ctx, payment.PairByCallID, "call-1"); err != nil || f.ID != "ps_a" {
			t.Fatalf("find by call id: %v %v", f, err)
		}
		if _, err := s.FindActive(ctx, payment.PairByCallRef, ""); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("find empty: %v", err)
		}
		got.Status = payment.StatusApproved
		got.Result = &payment.Result{Outcome: payment.OutcomeApproved, AuthCode: "A1B2C3", Last4: "4242", Brand: capture.BrandVisa, Gateway: "test", At: t0}
		if err := s.UpdateSession(ctx, got, ev(payment.EventPaymentApproved, payment.ResultAttr("result", *got.Result))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindActive(ctx, payment.PairByCallRef, "111111"); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("find approved: %v", err)
		}
		if err := s.CreateSession(ctx, newSession("t2", "ps_c", "key-c", "111111", 3000, t0.Add(2*time.Second))); err != nil {
			t.Fatalf("reuse call ref of an approved session: %v", err)
		}
		// Global events: per tenant and agent.
		all, err := s.ListEventsGlobal(ctx, payment.Filter{Tenant: "t1"}, 0, 0)
		if err != nil || len(all) != 4 {
			t.Fatalf("global: %d %v", len(all), err)
		}
		if more, _ := s.ListEventsGlobal(ctx, payment.Filter{Tenant: "t1"}, all[1].GlobalSeq, 1); len(more) != 1 || more[0].GlobalSeq != all[2].GlobalSeq {
			t.Fatalf("global after: %+v", more)
		}
		if none, _ := s.ListEventsGlobal(ctx, payment.Filter{Tenant: "t1", AgentID: "nobody"}, 0, 0); len(none) != 0 {
			t.Fatalf("agent filter: %d", len(none))
		}
	})
}

func TestListSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		for i := range 10 {
			ps := newSession("t1", fmt.Sprintf("ps_%02d", i), fmt.Sprintf("k%d", i), fmt.Sprintf("%06d", i), int64(100*i), t0.Add(time.Duration(i)*time.Minute))
			if i%2 == 1 {
				ps.Status = payment.StatusCancelled
				ps.AgentID = "agent-2"
			}
			if err := s.CreateSession(ctx, ps); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CreateSession(ctx, newSession("t2", "ps_x", "k", "999999", 1, t0)); err != nil {
			t.Fatal(err)
		}
		ids := func(f payment.Filter) string {
			t.Helper()
			l, err := s.ListSessions(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			out := ""
			for _, ps := range l {
				out += ps.ID[3:] + " "
			}
			return out
		}
		lo, hi := int64(200), int64(600)
		tests := []struct {
			name string
			f    payment.Filter
			want string
		}{
			{"all newest first", payment.Filter{Tenant: "t1"}, "09 08 07 06 05 04 03 02 01 00 "},
			{"limit offset", payment.Filter{Tenant: "t1", Limit: 3, Offset: 2}, "07 06 05 "},
			{"status", payment.Filter{Tenant: "t1", Status: []payment.Status{payment.StatusCancelled}}, "09 07 05 03 01 "},
			{"agent", payment.Filter{Tenant: "t1", AgentID: "agent-1"}, "08 06 04 02 00 "},
			{"from inclusive to exclusive", payment.Filter{Tenant: "t1", From: t0.Add(2 * time.Minute), To: t0.Add(5 * time.Minute)}, "04 03 02 "},
			{"amounts inclusive", payment.Filter{Tenant: "t1", MinAmount: &lo, MaxAmount: &hi}, "06 05 04 03 02 "},
			{"account", payment.Filter{Tenant: "t1", AccountRef: "INV-ps_03"}, "03 "},
			{"other tenant", payment.Filter{Tenant: "t2"}, "x "},
			{"nobody", payment.Filter{Tenant: "t3"}, ""},
		}
		for _, tt := range tests {
			if got := ids(tt.f); got != tt.want {
				t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
			}
		}
	})
}

func TestAttemptsAndTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		a1 := &payment.Attempt{Key: "key-a/1", SessionID: "ps_a", Tenant: "t1", Number: 1, Gateway: "test", Amount: 1000, Currency: "GBP",
			Status: payment.AttemptPending, CreatedAt: t0, UpdatedAt: t0}
		if err := s.CreateAttempt(ctx, a1); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAttempt(ctx, a1); !errors.Is(err, payment.ErrDuplicateKey) {
			t.Fatalf("duplicate attempt: %v", err)
		}
		a2 := *a1
		a2.Key, a2.Number, a2.CreatedAt = "key-a/2", 2, t0.Add(time.Second)
		if err := s.CreateAttempt(ctx, &a2); err != nil {
			t.Fatal(err)
		}
		a1.Status = payment.AttemptInDoubt
		a1.Result = &payment.Result{Outcome: payment.OutcomeInDoubt, DeclineCode: payment.ErrorAnswerLost, Gateway: "test", At: t0}
		if err := s.UpdateAttempt(ctx, a1); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateAttempt(ctx, &payment.Attempt{Key: "nope"}); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("update missing attempt: %v", err)
		}
		got, err := s.GetAttempt(ctx, "key-a/1")
		if err != nil || got.Status != payment.AttemptInDoubt || got.Result == nil || got.Result.DeclineCode != payment.ErrorAnswerLost {
			t.Fatalf("get attempt: %+v %v", got, err)
		}
		if _, err := s.GetAttempt(ctx, "nope"); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("get missing attempt: %v", err)
		}
		l, _ := s.ListAttempts(ctx, "ps_a", "")
		if len(l) != 2 || l[0].Number != 1 || l[1].Number != 2 {
			t.Fatalf("list attempts: %+v", l)
		}
		if l, _ := s.ListAttempts(ctx, "", payment.AttemptInDoubt); len(l) != 1 || l[0].Key != "key-a/1" {
			t.Fatalf("list in doubt: %+v", l)
		}
		tok := &payment.Token{ID: "tok_1", Tenant: "t1", SessionID: "ps_a", Gateway: "test", GatewayToken: "pm_123", Last4: "4242",
			Brand: capture.BrandVisa, ExpMonth: 12, ExpYear: 2030, CreatedAt: t0,
			Schedule: &payment.Schedule{Amount: 500, Count: 12, StartDate: "2026-12-01", Frequency: payment.FrequencyMonthly}}
		if err := s.SaveToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveToken(ctx, tok); !errors.Is(err, payment.ErrDuplicateKey) {
			t.Fatalf("duplicate token: %v", err)
		}
		if got, err := s.GetToken(ctx, "t1", "tok_1"); err != nil || got.GatewayToken != "pm_123" || got.Schedule == nil || got.Schedule.Count != 12 {
			t.Fatalf("get token: %+v %v", got, err)
		}
		if _, err := s.GetToken(ctx, "t2", "tok_1"); !errors.Is(err, payment.ErrNotFound) {
			t.Fatalf("token of other tenant: %v", err)
		}
	})
}

// Concurrent writers on the same store must queue, not fail (SQLITE_BUSY), and optimistic
// updates of one session must let exactly one writer win each version.
func TestConcurrentWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ps := newSession("t1", fmt.Sprintf("ps_c%02d", i), fmt.Sprintf("k%d", i), fmt.Sprintf("%06d", i), 1, t0)
				if err := s.CreateSession(ctx, ps, ev(payment.EventSessionCreated)); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		base, err := s.GetSession(ctx, "t1", "ps_c00")
		if err != nil {
			t.Fatal(err)
		}
		var won sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for range 8 {
			won.Add(1)
			go func() {
				defer won.Done()
				c := *base
				err := s.UpdateSession(ctx, &c, ev(payment.EventSecureOn))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, payment.ErrConflict):
					conflicts++
				default:
					t.Error(err)
				}
			}()
		}
		won.Wait()
		if wins != 1 || conflicts != 7 {
			t.Fatalf("wins %d conflicts %d", wins, conflicts)
		}
		evs, _ := s.ListEvents(ctx, "t1", "ps_c00", 0, 0)
		if len(evs) != 2 {
			t.Fatalf("events after racing updates: %d", len(evs))
		}
	})
}

func TestCardDataRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		ps := newSession("t1", "ps_card", "k", "123456", 1, t0)
		ps.Description = "card 4242 4242 4242 4242"
		if err := s.CreateSession(ctx, ps); !errors.Is(err, store.ErrCardData) {
			t.Fatalf("session with a card number in its description: %v", err)
		}
		ps.Description = "order 1234"
		if err := s.CreateSession(ctx, ps); err != nil {
			t.Fatal(err)
		}
		if err := s.AppendAudit(ctx, &store.AuditEntry{TenantID: "t1", Actor: "x", Action: "y", Detail: "5555555555554444"}); !errors.Is(err, store.ErrCardData) {
			t.Fatalf("audit with a card number: %v", err)
		}
		a := &payment.Attempt{Key: "k/1", SessionID: "ps_card", Tenant: "t1", Number: 1, Gateway: "test", Status: payment.AttemptDone,
			Result: &payment.Result{Outcome: payment.OutcomeError, Reason: "gateway echoed 378282246310005"}}
		if err := s.CreateAttempt(ctx, a); !errors.Is(err, store.ErrCardData) {
			t.Fatalf("attempt with a card number: %v", err)
		}
	})
}

func TestMigrationsReopen(t *testing.T) {
	_, path := storetest.SQLite(t)
	// Opening the same file again applies nothing and keeps working.
	s, err := store.Open(context.Background(), store.Options{Driver: store.DriverSQLite, DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(context.Background(), store.Options{Driver: "mysql", DSN: "x"}); !errors.Is(err, store.ErrDriver) {
		t.Fatalf("unknown driver: %v", err)
	}
	if _, err := store.Open(context.Background(), store.Options{Driver: store.DriverSQLite, DSN: ":memory:"}); err == nil {
		t.Fatal("sqlite :memory: accepted (readers and the writer would see different databases)")
	}
}
