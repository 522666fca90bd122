package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/store"
	"github.com/hushpay/hushpay/internal/store/storetest"
)

func TestNextWait(t *testing.T) {
	d := NewDispatcher(Options{Backoff: time.Second, MaxBackoff: 10 * time.Second})
	for _, tt := range []struct {
		attempts int
		want     time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second}, {5, 10 * time.Second}, {40, 10 * time.Second}} {
		if got := d.NextWait(tt.attempts); got != tt.want {
			t.Errorf("NextWait(%d) = %s, want %s", tt.attempts, got, tt.want)
		}
	}
}

// A receiver that fails twice gets the event on the third attempt, after the backoff, with a
// valid signature each time; a receiver that never answers 2xx ends "failed" after
// MaxAttempts; the delivery log shows both.
func TestDispatcherRetries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		s := b.Store
		var mu sync.Mutex
		var bodies [][]byte
		var calls atomic.Int32
		flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if err := Verify(r.Header.Get(SignatureHeader), body, "secret-0123456789", time.Now(), time.Hour); err != nil {
				t.Errorf("receiver: %v", err)
			}
			mu.Lock()
			bodies = append(bodies, body)
			mu.Unlock()
			if calls.Add(1) <= 2 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		defer flaky.Close()
		dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", http.StatusInternalServerError)
		}))
		defer dead.Close()

		good := &store.Tenant{Name: "a", WebhookURL: flaky.URL, WebhookSecret: "secret-0123456789"}
		bad := &store.Tenant{Name: "b", WebhookURL: dead.URL, WebhookSecret: "secret-0123456789"}
		for _, tn := range []*store.Tenant{good, bad} {
			if err := s.CreateTenant(ctx, tn); err != nil {
				t.Fatal(err)
			}
			if err := s.AppendEvent(ctx, &store.Event{TenantID: tn.ID, SessionID: "ps_1", Type: "secure.on", Data: json.RawMessage(`{"secure":true}`)}); err != nil {
				t.Fatal(err)
			}
		}
		var clock atomic.Int64
		clock.Store(time.Now().UnixNano())
		d := NewDispatcher(Options{Store: s, MaxAttempts: 3, Backoff: time.Minute, Now: func() time.Time { return time.Unix(0, clock.Load()) }})
		d.RunOnce(ctx)
		if calls.Load() != 1 {
			t.Fatalf("first round: %d calls", calls.Load())
		}
		d.RunOnce(ctx) // nothing due before the backoff
		if calls.Load() != 1 {
			t.Fatalf("retried before the backoff: %d calls", calls.Load())
		}
		for range 3 {
			clock.Add(int64(5 * time.Minute))
			d.RunOnce(ctx)
		}
		if calls.Load() != 3 {
			t.Fatalf("calls %d, want 3", calls.Load())
		}
		log, _ := s.Deliveries(ctx, good.ID, 0, 10)
		if len(log) != 1 || log[0].Status != store.DeliveryDelivered || log[0].Attempts != 3 || log[0].LastStatus != 204 {
			t.Fatalf("good log: %+v", log)
		}
		log, _ = s.Deliveries(ctx, bad.ID, 0, 10)
		if len(log) != 1 || log[0].Status != store.DeliveryFailed || log[0].Attempts != 3 || log[0].LastStatus != 500 {
			t.Fatalf("bad log: %+v", log)
		}
		var got Body
		if err := json.Unmarshal(bodies[2], &got); err != nil || got.Type != "secure.on" || got.SessionID != "ps_1" || string(got.Data) != `{"secure":true}` || got.ID == "" {
			t.Fatalf("body: %s %v", bodies[2], err)
		}
	})
}
