package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/store"
)

// Options configures a Dispatcher.
type Options struct {
	// Store holds the deliveries (required).
	Store *store.Store
	// Client sends the requests (default: a client with Timeout).
	Client *http.Client
	// MaxAttempts per delivery before it is marked failed (default 8).
	MaxAttempts int
	// Backoff is the wait before the second attempt; each later wait doubles, up to
	// MaxBackoff (defaults 5s and 1h).
	Backoff, MaxBackoff time.Duration
	// Timeout of one attempt (default 10s).
	Timeout time.Duration
	// Workers is how many deliveries are sent at once (default 4).
	Workers int
	// Poll is how often due retries are looked for when no new event arrives (default 1s).
	Poll time.Duration
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
}

// Dispatcher sends queued deliveries until its context ends. Several nodes may run one on
// the same database: a delivery is leased to one sender at a time.
type Dispatcher struct {
	o       Options
	results *prometheus.CounterVec
}

// Body is the JSON document POSTed for each event.
type Body struct {
	// ID identifies the event (the same as its Server-sent event id): use it to drop
	// duplicates, since a delivery is retried until a 2xx answer arrives.
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	SessionID string          `json:"session_id"`
	Seq       int64           `json:"seq"`
	AgentID   string          `json:"agent_id,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// NewDispatcher returns a dispatcher with o's defaults filled in.
func NewDispatcher(o Options) *Dispatcher {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.Backoff <= 0 {
		o.Backoff = 5 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Hour
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is an answer, not a hop to follow
		}}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Dispatcher{o: o, results: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hushpay_webhook_attempts_total",
		Help: "Webhook delivery attempts by result (delivered, retry, failed).",
	}, []string{"result"})}
}

// Collectors returns the dispatcher's Prometheus metrics.
func (d *Dispatcher) Collectors() []prometheus.Collector { return []prometheus.Collector{d.results} }

// NextWait returns the wait after the given number of failed attempts (1 → Backoff).
func (d *Dispatcher) NextWait(attempts int) time.Duration {
	w := d.o.Backoff
	for i := 1; i < attempts && w < d.o.MaxBackoff; i++ {
		w *= 2
	}
	return min(w, d.o.MaxBackoff)
}

// Run sends deliveries until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	tick := time.NewTicker(d.o.Poll)
	defer tick.Stop()
	for {
		changed := d.o.Store.EventsChanged()
		d.RunOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-changed:
			// Coalesce bursts (a card keyed is dozens of events): at most one claim query
			// per 100 ms, instead of one per commit.
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		case <-tick.C:
		}
	}
}

// RunOnce sends every delivery due now and returns when they are all recorded.
func (d *Dispatcher) RunOnce(ctx context.Context) {
	for ctx.Err() == nil {
		lease := d.o.Timeout*2 + 5*time.Second
		ds, err := d.o.Store.ClaimDeliveries(ctx, d.o.Now(), lease, d.o.Workers*4)
		if err != nil {
			if ctx.Err() == nil {
				d.o.Logger.Warn("webhook: claim deliveries", "err", err)
			}
			return
		}
		if len(ds) == 0 {
			return
		}
		sem := make(chan struct{}, d.o.Workers)
		var wg sync.WaitGroup
		for i := range ds {
			sem <- struct{}{}
			wg.Add(1)
			go func(dl *store.Delivery) {
				defer func() { <-sem; wg.Done() }()
				d.deliver(ctx, dl)
			}(&ds[i])
		}
		wg.Wait()
	}
}

// deliver makes one attempt and records it.
func (d *Dispatcher) deliver(ctx context.Context, dl *store.Delivery) {
	status, err := d.send(ctx, dl)
	res := store.DeliveryResult{StatusCode: status}
	attempts := dl.Attempts + 1
	switch {
	case err == nil:
		res.Delivered = true
		d.results.WithLabelValues("delivered").Inc()
	case attempts >= d.o.MaxAttempts:
		res.GiveUp = true
		res.Err = logging.Redact(err.Error())
		d.results.WithLabelValues("failed").Inc()
		d.o.Logger.Warn("webhook: delivery failed, giving up", "delivery", dl.ID, "event", dl.Event.ID, "attempts", attempts, "err", err)
	default:
		res.Err = logging.Redact(err.Error())
		res.Next = d.o.Now().Add(d.NextWait(attempts))
		d.results.WithLabelValues("retry").Inc()
		d.o.Logger.Info("webhook: delivery failed, will retry", "delivery", dl.ID, "event", dl.Event.ID, "attempts", attempts, "next", res.Next, "err", err)
	}
	if len(res.Err) > 300 {
		res.Err = res.Err[:300]
	}
	if err := d.o.Store.RecordAttempt(context.WithoutCancel(ctx), dl.ID, res); err != nil {
		d.o.Logger.Error("webhook: record attempt", "delivery", dl.ID, "err", err)
	}
}

// send POSTs the event and returns the HTTP status; an error unless it is 2xx.
func (d *Dispatcher) send(ctx context.Context, dl *store.Delivery) (int, error) {
	body, err := json.Marshal(Body{
		ID: EventID(dl.Event.ID), Type: dl.Event.Type, SessionID: dl.Event.SessionID, Seq: dl.Event.Seq,
		AgentID: dl.Event.AgentID, CreatedAt: dl.Event.CreatedAt, Data: dl.Event.Data,
	})
	if err != nil {
		return 0, fmt.Errorf("encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hushpay-webhook/1")
	req.Header.Set("Hushpay-Event-Id", EventID(dl.Event.ID))
	req.Header.Set(SignatureHeader, Sign(dl.Secret, d.o.Now(), body))
	resp, err := d.o.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("receiver answered HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// EventID formats an event's global id as webhook bodies and SSE streams show it.
func EventID(id int64) string { return strconv.FormatInt(id, 10) }
