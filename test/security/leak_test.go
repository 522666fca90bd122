package security_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/logging/logtest"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/payment/testgateway"
	"github.com/hushpay/hushpay/internal/store"
	"github.com/hushpay/hushpay/internal/store/storetest"
	"github.com/hushpay/hushpay/internal/webhook"
)

// card is a known test card and the security code keyed with it. Security codes start
// with 0 so that no JSON number, counter or amount can ever look like one: a hit is a leak.
type card struct {
	pan, cvv string
	fault    testgateway.Fault
	want     []payment.Status // acceptable statuses after pay (and resolve)
}

var cards = []card{
	{"4242424242424242", "089", testgateway.FaultNone, []payment.Status{payment.StatusApproved}},
	{"4000000000000002", "098", testgateway.FaultNone, []payment.Status{payment.StatusDeclined}},
	{"5555555555554444", "089", testgateway.FaultNone, []payment.Status{payment.StatusApproved}},
	{"378282246310005", "0898", testgateway.FaultNone, []payment.Status{payment.StatusApproved}},
	{"6011111111111117", "098", testgateway.FaultNone, []payment.Status{payment.StatusApproved}},
	{"4000000000009995", "089", testgateway.FaultNone, []payment.Status{payment.StatusDeclined}},
	{"4000000000000127", "098", testgateway.FaultNone, []payment.Status{payment.StatusDeclined}},
	{"4000000000000069", "089", testgateway.FaultNone, []payment.Status{payment.StatusDeclined}},
	{"4000000000000119", "089", testgateway.FaultNone, []payment.Status{payment.StatusDeclined, payment.StatusFailed}},
	{"4242424242424242", "098", testgateway.FaultUnavailable, []payment.Status{payment.StatusFailed}},
	{"5555555555554444", "098", testgateway.FaultAnswerLost, []payment.Status{payment.StatusApproved}},
	{"4242424242424242", "089", testgateway.FaultRequestLost, []payment.Status{payment.StatusFailed, payment.StatusDeclined, payment.StatusCancelled, payment.StatusPending, payment.StatusReady}},
}

// invalidPAN fails Luhn: keyed first, refused, then reset through the API.
const invalidPAN = "4242424242424241"

func TestNoCardDataAnywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		logs := &logtest.Buffer{}
		log, err := logging.New(logs, "json", "debug")
		if err != nil {
			t.Fatal(err)
		}
		gw := testgateway.New(0)
		svc, err := payment.NewService(b.Store, gw, payment.Options{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		srv := api.New(api.Options{Store: b.Store, Payments: svc, Logger: log, SSEKeepalive: time.Second})
		go func() { _ = srv.Run(ctx) }()
		hs := httptest.NewServer(srv.Handler())
		defer func() { cancel(); hs.CloseClientConnections(); hs.Close() }()

		// Webhook receiver: keeps every body and header.
		var hookMu sync.Mutex
		var hooks bytes.Buffer
		receiver := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if err := webhook.Verify(r.Header.Get(webhook.SignatureHeader), body, "whsec-test-0123456789", time.Now(), time.Minute); err != nil {
				t.Errorf("webhook signature: %v", err)
			}
			hookMu.Lock()
			fmt.Fprintf(&hooks, "%v\n%s\n", r.Header, body)
			hookMu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}))
		receiver.Start()
		defer receiver.Close()
		tn := &store.Tenant{ID: "sec", Name: "Security", WebhookURL: receiver.URL, WebhookSecret: "whsec-test-0123456789"}
		if err := b.Store.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		key, err := api.CreateKey(ctx, b.Store, tn.ID, "sec", "", []string{api.ScopeAdmin})
		if err != nil {
			t.Fatal(err)
		}
		disp := webhook.NewDispatcher(webhook.Options{Store: b.Store, Logger: log, Poll: 50 * time.Millisecond, Backoff: 100 * time.Millisecond})
		go disp.Run(ctx)

		// Event streams: every byte kept.
		var streams []*logtest.Buffer
		openStream := func(path string) {
			buf := &logtest.Buffer{}
			streams = append(streams, buf)
			req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+key.Key)
			resp, err := hs.Client().Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("stream %s: %v", path, err)
			}
			go func() { defer resp.Body.Close(); _, _ = io.Copy(buf, resp.Body) }()
		}
		openStream("/v1/events")
		openStream("/v1/agents/agent-sec/events")

		// Every HTTP answer kept.
		var answers bytes.Buffer
		call := func(method, path string, body any, hdr ...string) (int, []byte) {
			var rd io.Reader
			if s, ok := body.(string); ok {
				rd = strings.NewReader(s)
			} else if body != nil {
				j, _ := json.Marshal(body)
				rd = bytes.NewReader(j)
			}
			req, _ := http.NewRequest(method, hs.URL+path, rd)
			req.Header.Set("Authorization", "Bearer "+key.Key)
			for i := 0; i+1 < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
			resp, err := hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(resp.Body)
			fmt.Fprintf(&answers, "%d %v %s\n", resp.StatusCode, resp.Header, out)
			return resp.StatusCode, out
		}
		keyDigits := func(callID, digits string) {
			for i := 0; i < len(digits); i++ {
				err := svc.Digit(ctx, callID, digits[i], payment.Source{Side: payment.SideCustomer, Transport: payment.TransportInband})
				if err != nil && !errors.Is(err, payment.ErrIgnored) {
					t.Fatalf("digit: %v", err)
				}
			}
		}
		exp := time.Now().AddDate(2, 0, 0)
		expiry := fmt.Sprintf("%02d%02d", int(exp.Month()), exp.Year()%100)

		// Attempts to hand card data to the API: refused, and the refusals echo nothing.
		for _, c := range cards[:4] {
			call("POST", "/v1/sessions", map[string]any{"amount": 100, "currency": "GBP", "card_number": c.pan, "cvv": c.cvv}, "Idempotency-Key", "bad-"+c.cvv)
			call("POST", "/v1/sessions", map[string]any{"amount": 100, "currency": "GBP", "description": "card " + c.pan}, "Idempotency-Key", "bad2-"+c.cvv)
			call("GET", "/v1/sessions?account_ref="+c.pan, nil)
			call("GET", "/v1/sessions/"+c.pan, nil)
		}

		run := cards
		if raceEnabled {
			run = []card{cards[0], cards[1], cards[3], cards[9], cards[10], cards[11]}
		}
		for i, c := range run {
			callID := fmt.Sprintf("call-sec-%d", i)
			code, body := call("POST", "/v1/sessions", map[string]any{"amount": 1999 + i, "currency": "GBP", "agent_id": "agent-sec",
				"account_ref": fmt.Sprintf("INV-%d", i), "call_id": callID}, "Idempotency-Key", fmt.Sprintf("sec-%d", i))
			if code != http.StatusCreated {
				t.Fatalf("create: %d %s", code, body)
			}
			var sess payment.Session
			_ = json.Unmarshal(body, &sess)
			if _, err := svc.SetSecure(ctx, tn.ID, sess.ID, true); err != nil {
				t.Fatalf("secure: %v", err)
			}
			if i%3 == 0 { // a mistyped card number, then reset by the agent
				keyDigits(callID, invalidPAN+"#")
				if code, body := call("POST", "/v1/sessions/"+sess.ID+"/reset", map[string]any{"field": "card_number"}); code != 200 {
					t.Fatalf("reset: %d %s", code, body)
				}
			}
			keyDigits(callID, c.pan+"#"+expiry+c.cvv)
			if i%4 == 1 { // start again after a complete capture, key it all again
				if code, body := call("POST", "/v1/sessions/"+sess.ID+"/restart", nil); code != 200 {
					t.Fatalf("restart: %d %s", code, body)
				}
				keyDigits(callID, c.pan+"#"+expiry+c.cvv)
			}
			if c.fault != testgateway.FaultNone {
				gw.Inject(c.fault)
			}
			code, body = call("POST", "/v1/sessions/"+sess.ID+"/pay", nil)
			if code != 200 && code != http.StatusBadGateway {
				t.Fatalf("pay %s: %d %s", c.pan[len(c.pan)-4:], code, body)
			}
			_ = json.Unmarshal(body, &sess)
			if sess.Status == payment.StatusInDoubt {
				code, body = call("POST", "/v1/sessions/"+sess.ID+"/resolve", nil)
				_ = json.Unmarshal(body, &sess)
			}
			if !statusIn(sess.Status, c.want) {
				t.Errorf("card ending %s fault %d: status %s, want one of %v (%s)", c.pan[len(c.pan)-4:], c.fault, sess.Status, c.want, body)
			}
			if sess.Status != payment.StatusApproved && sess.Status.Active() {
				call("POST", "/v1/sessions/"+sess.ID+"/cancel", map[string]any{"reason": "security test"})
			}
			call("GET", "/v1/sessions/"+sess.ID, nil)
		}
		call("GET", "/v1/sessions?limit=1000", nil)
		call("GET", "/v1/audit", nil)

		// Wait until every webhook is delivered, then read the delivery log.
		deadline := time.Now().Add(30 * time.Second)
		for {
			ds, err := b.Store.Deliveries(ctx, tn.ID, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			pending := 0
			for _, d := range ds {
				if d.Status != store.DeliveryDelivered {
					pending++
				}
			}
			if len(ds) > 0 && pending == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d webhooks not delivered", pending, len(ds))
			}
			time.Sleep(50 * time.Millisecond)
		}
		call("GET", "/v1/webhook/deliveries?limit=1000", nil)
		time.Sleep(300 * time.Millisecond) // let the streams catch the last events

		artifacts := map[string]string{
			"logs":          logs.String(),
			"http answers":  answers.String(),
			"database rows": storetest.Dump(t, b),
		}
		hookMu.Lock()
		artifacts["webhook requests"] = hooks.String()
		hookMu.Unlock()
		for i, s := range streams {
			artifacts[fmt.Sprintf("event stream %d", i)] = s.String()
		}
		// Sanity: the artifacts really saw the traffic (masked).
		for name, want := range map[string]string{"webhook requests": "payment.approved", "event stream 0": "capture.digit",
			"event stream 1": "************4242", "database rows": "4242", "logs": "payment"} {
			if !strings.Contains(artifacts[name], want) {
				t.Errorf("%s does not contain %q: the scan would prove nothing", name, want)
			}
		}
		if b.Name == store.DriverSQLite {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				raw, err := os.ReadFile(b.Where + suffix)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				for _, c := range append(cards, card{pan: invalidPAN}) {
					if hit := panHit(string(raw), c.pan); hit != "" {
						t.Errorf("SQLite file %s holds %s", b.Where+suffix, hit)
					}
				}
			}
		}
		for name, text := range artifacts {
			toks := tokenSet(text)
			for _, c := range append(cards, card{pan: invalidPAN}) {
				if hit := panHit(text, c.pan); hit != "" {
					t.Errorf("%s holds %s", name, hit)
				}
				if c.cvv != "" && toks[c.cvv] {
					t.Errorf("%s holds the security code %s", name, c.cvv)
				}
			}
		}
	})
}

func statusIn(s payment.Status, l []payment.Status) bool {
	for _, x := range l {
		if s == x {
			return true
		}
	}
	return false
}

// panHit returns which form of pan text holds: the whole number, or twelve or more of its
// digits in a row (more than first six and last four together), also with the separators
// people write.
func panHit(text, pan string) string {
	for _, form := range []string{pan, pan[:12], pan[len(pan)-12:]} {
		if strings.Contains(text, form) {
			return "card digits " + form[:2] + "…" + form[len(form)-2:] + fmt.Sprintf(" (%d digits)", len(form))
		}
	}
	for _, sep := range []string{" ", "-"} {
		var grouped strings.Builder
		for i := 0; i < len(pan); i += 4 {
			if i > 0 {
				grouped.WriteString(sep)
			}
			grouped.WriteString(pan[i:min(i+4, len(pan))])
		}
		if strings.Contains(text, grouped.String()) {
			return "a grouped card number"
		}
	}
	return ""
}

var (
	timestamps = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?`)
	tokens     = regexp.MustCompile(`[A-Za-z0-9]+`)
)

// tokenSet returns the alphanumeric tokens of text, timestamps removed first: a security
// code that leaks shows up as a token of its own. The test codes start with 0, which no
// number Hushpay writes does, so a hit is a leak.
func tokenSet(text string) map[string]bool {
	text = timestamps.ReplaceAllString(text, " ")
	set := map[string]bool{}
	for _, tok := range tokens.FindAllString(text, -1) {
		set[tok] = true
	}
	return set
}
