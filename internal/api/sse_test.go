package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/store/storetest"
)

// sseEvent is one parsed Server-sent event.
type sseEvent struct {
	id, typ string
	data    api.StreamEvent
}

// sseClient reads a stream in the background.
type sseClient struct {
	events chan sseEvent
	raw    chan string // every line, for scanning
	cancel context.CancelFunc
}

func (e *env) openStream(path, key, lastID string) *sseClient {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		e.t.Fatalf("stream %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{events: make(chan sseEvent, 1000), raw: make(chan string, 10000), cancel: cancel}
	e.t.Cleanup(cancel)
	go func() {
		defer resp.Body.Close()
		defer close(c.events)
		sc := bufio.NewScanner(resp.Body)
		var cur sseEvent
		for sc.Scan() {
			line := sc.Text()
			select {
			case c.raw <- line:
			default:
			}
			switch {
			case strings.HasPrefix(line, "id: "):
				cur.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				cur.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &cur.data)
			case line == "" && cur.id != "":
				c.events <- cur
				cur = sseEvent{}
			}
		}
	}()
	return c
}

// until reads events until one of type typ arrives, returning all read.
func (c *sseClient) until(t *testing.T, typ string) []sseEvent {
	t.Helper()
	var got []sseEvent
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatalf("stream ended before %s (got %d events)", typ, len(got))
			}
			got = append(got, ev)
			if ev.typ == typ {
				return got
			}
		case <-deadline:
			t.Fatalf("no %s event within 10s (got %d events)", typ, len(got))
		}
	}
}

// A whole payment: digits keyed through the payment service appear live and masked on the
// session's stream and on the agent's stream; pay approves; resuming with Last-Event-ID
// replays exactly what followed.
func TestSessionFlowAndStreams(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		sess := e.createSession(e.keys["write"], "flow-1", "call-flow-1", 4200)
		agent := e.openStream("/v1/agents/agent-7/events", e.keys["read"], "")
		tenant := e.openStream("/v1/events", e.keys["read"], "")
		stream := e.openStream("/v1/sessions/"+sess.ID+"/events", e.keys["read"], "")
		first := stream.until(t, "session.created")
		if first[0].data.SessionID != sess.ID || first[0].data.Seq != 1 {
			t.Fatalf("first event: %+v", first[0])
		}
		e.keyCard(sess, "call-flow-1", "4242424242424242", "737")
		got := stream.until(t, "capture.complete")
		digits := 0
		for _, ev := range got {
			if ev.typ == string(payment.EventCaptureDigit) {
				digits++
			}
		}
		if digits < 16 {
			t.Fatalf("saw %d digit events, want at least 16", digits)
		}
		r := e.do("GET", "/v1/sessions/"+sess.ID, e.keys["read"], nil)
		s := r.session(t)
		if s.Status != payment.StatusReady || !s.Capture.Complete {
			t.Fatalf("after keying: %s %s", s.Status, r.body)
		}
		if f, _ := s.Capture.Field("card_number"); f.Masked != "************4242" || !f.Valid {
			t.Fatalf("masked card: %+v", f)
		}
		r = e.do("POST", "/v1/sessions/"+sess.ID+"/pay", e.keys["write"], nil)
		if r.status != 200 || r.session(t).Status != payment.StatusApproved {
			t.Fatalf("pay: %d %s", r.status, r.body)
		}
		paid := stream.until(t, "payment.approved")
		agent.until(t, "payment.approved")
		tenant.until(t, "payment.approved")
		// Paying again does not charge again.
		if r := e.do("POST", "/v1/sessions/"+sess.ID+"/pay", e.keys["write"], nil); r.status != 409 {
			t.Fatalf("second pay: %d %s", r.status, r.body)
		}
		if e.gw.Charges() != 1 {
			t.Fatalf("charges: %d", e.gw.Charges())
		}
		// Resume from the middle of the stream.
		all := append(append(first, got...), paid...)
		mid := all[len(all)/2]
		resumed := e.openStream("/v1/sessions/"+sess.ID+"/events", e.keys["read"], mid.id)
		again := resumed.until(t, "payment.approved")
		if again[0].data.GlobalSeq <= mid.data.GlobalSeq || again[0].data.Seq != mid.data.Seq+1 || len(again) != len(all)-len(all)/2-1 {
			t.Fatalf("resumed after %s: first %+v, %d events, want %d", mid.id, again[0], len(again), len(all)-len(all)/2-1)
		}
		// Audit log recorded the API actions.
		r = e.do("GET", "/v1/audit", e.keys["admin"], nil)
		if !strings.Contains(string(r.body), "session.pay") || !strings.Contains(string(r.body), "session.create") {
			t.Fatalf("audit: %s", r.body)
		}
		if err := e.store.VerifyAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// Keep-alive comments flow on an idle stream.
func TestStreamKeepalive(t *testing.T) {
	e := newEnv(t, sqliteBackend(t))
	c := e.openStream("/v1/events", e.keys["read"], "")
	deadline := time.After(5 * time.Second)
	for {
		select {
		case line := <-c.raw:
			if line == ": keepalive" {
				return
			}
		case <-deadline:
			t.Fatal("no keepalive within 5s (interval 1s)")
		}
	}
}
