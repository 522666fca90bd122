package httpgateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/payment"
)

const secret = "0123456789abcdef-secret"

// refGateway implements the gateway side of docs/gateway-http.md: it checks signatures,
// keeps answers by idempotency key and counts charges. Faults can be scripted per try.
type refGateway struct {
	t       *testing.T
	mu      sync.Mutex
	answers map[string]answer
	charges int
	tries   int
	script  []func(w http.ResponseWriter, r *http.Request) bool // true: handled (fault)
	bodies  []string
}

func newRef(t *testing.T) (*refGateway, *httptest.Server) {
	g := &refGateway{t: t, answers: map[string]answer{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv
}

func (g *refGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.tries++
	var f func(http.ResponseWriter, *http.Request) bool
	if len(g.script) > 0 {
		f, g.script = g.script[0], g.script[1:]
	}
	g.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	ts, _ := strconv.ParseInt(r.Header.Get(HeaderTimestamp), 10, 64)
	key := r.Header.Get(HeaderIdempotency)
	signed := body
	if r.Method == http.MethodGet {
		signed = []byte(strings.TrimPrefix(r.URL.Path, "/pay/"))
		if string(signed) != key {
			http.Error(w, "key mismatch", 400)
			return
		}
	}
	if !Verify(secret, ts, signed, r.Header.Get(HeaderSignature)) || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		http.Error(w, "bad signature", 401)
		return
	}
	g.mu.Lock()
	g.bodies = append(g.bodies, string(body))
	g.mu.Unlock()
	if f != nil && f(w, r) {
		return
	}
	g.process(w, r, body)
}

// process answers a verified request: a lookup, or a payment (once per idempotency key).
func (g *refGateway) process(w http.ResponseWriter, r *http.Request, body []byte) {
	key := r.Header.Get(HeaderIdempotency)
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.Method == http.MethodGet {
		a, ok := g.answers[key]
		if !ok {
			http.Error(w, "no such payment", 404)
			return
		}
		_ = json.NewEncoder(w).Encode(a)
		return
	}
	if a, ok := g.answers[key]; ok { // the same key never charges twice
		_ = json.NewEncoder(w).Encode(a)
		return
	}
	var req struct {
		Key  string `json:"idempotency_key"`
		Type string `json:"type"`
		Card *struct {
			Number string `json:"number"`
			CVC    string `json:"security_code"`
		} `json:"card"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Key != key {
		http.Error(w, "bad request", 400)
		return
	}
	a := answer{ChargeID: fmt.Sprintf("ch_%d", len(g.answers)+1), AuthCode: "OK1234"}
	switch {
	case req.Card != nil && req.Card.Number == "4000000000000002":
		a = answer{ErrorCode: "card_declined", ErrorMessage: "Do not honour"}
	case req.Card != nil && req.Card.Number == "4000000000009995":
		a = answer{ErrorCode: "insufficient_funds"}
	case req.Card != nil && req.Card.Number == "4000000000000127":
		a = answer{ErrorCode: "gateway_specific_51"}
	case req.Type == "tokenize":
		a = answer{TokenID: "tok_1"}
	default:
		g.charges++
	}
	g.answers[key] = a
	_ = json.NewEncoder(w).Encode(a)
}

// processThenFail processes the request as usual, then answers with a fault instead
// (the gateway charged but its answer was lost on the way back).
func (g *refGateway) processThenFail(fault func(w http.ResponseWriter)) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		g.mu.Lock()
		body := g.bodies[len(g.bodies)-1]
		g.mu.Unlock()
		g.process(httptest.NewRecorder(), r, []byte(body))
		fault(w)
		return true
	}
}

func status(code int, body string) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(code)
		fmt.Fprint(w, body)
		return true
	}
}

func hang(w http.ResponseWriter, r *http.Request) bool {
	select {
	case <-r.Context().Done():
	case <-time.After(3 * time.Second):
	}
	return true
}

func connector(t *testing.T, srv *httptest.Server, retries int) *Connector {
	c, err := New(Config{URL: srv.URL + "/pay", Secret: secret, Timeout: 200 * time.Millisecond, Retries: retries, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func req(pan string) *payment.Request {
	return &payment.Request{Key: "hp_ps_1_1", Type: payment.TypeSale, Amount: 1999, Currency: "GBP", SessionID: "ps_1", Tenant: "t",
		AccountRef: `INV "1"`, Card: capture.NewCard([]byte(pan), 12, 2030, []byte("847"), []byte("90210"), ""),
		Fields: map[string]string{"account": "00012345"}}
}

func TestPayOutcomes(t *testing.T) {
	tests := []struct {
		pan     string
		typ     payment.Type
		outcome payment.Outcome
		code    payment.DeclineCode
	}{
		{"4242424242424242", payment.TypeSale, payment.OutcomeApproved, ""},
		{"4242424242424242", payment.TypeTokenize, payment.OutcomeApproved, ""},
		{"4000000000000002", payment.TypeSale, payment.OutcomeDeclined, payment.DeclineGeneric},
		{"4000000000009995", payment.TypeSale, payment.OutcomeDeclined, payment.DeclineInsufficientFunds},
		{"4000000000000127", payment.TypeSale, payment.OutcomeDeclined, payment.DeclineGeneric}, // unknown gateway code
	}
	for _, tt := range tests {
		g, srv := newRef(t)
		c := connector(t, srv, 0)
		r := req(tt.pan)
		r.Type = tt.typ
		res, err := c.Pay(context.Background(), r)
		if err != nil || res.Outcome != tt.outcome || res.DeclineCode != tt.code {
			t.Fatalf("%s %s: %+v %v", tt.pan, tt.typ, res, err)
		}
		if tt.typ == payment.TypeTokenize && res.TokenID != "tok_1" {
			t.Fatalf("token %+v", res)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(g.bodies[0]), &body); err != nil {
			t.Fatalf("body is not JSON: %v", err)
		}
		if f, _ := body["fields"].(map[string]any); f["account"] != "00012345" {
			t.Fatalf("fields %v", body["fields"])
		}
		if err := json.Unmarshal([]byte(g.bodies[0]), &body); err != nil {
			t.Fatalf("body is not JSON: %v", err)
		}
		card := body["card"].(map[string]any)
		if card["number"] != tt.pan || card["security_code"] != "847" || body["account_ref"] != `INV "1"` || body["amount"] != float64(1999) {
			t.Fatalf("body %v", body)
		}
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name    string
		script  func(g *refGateway) []func(http.ResponseWriter, *http.Request) bool
		retries int
		outcome payment.Outcome // when it ends well
		code    payment.DeclineCode
		maybe   bool
		tries   int
		charges int
	}{
		{name: "5xx then ok, same key", retries: 2, outcome: payment.OutcomeApproved, tries: 2, charges: 1,
			script: func(g *refGateway) []func(http.ResponseWriter, *http.Request) bool {
				return []func(http.ResponseWriter, *http.Request) bool{status(503, "busy")}
			}},
		{name: "5xx every time", retries: 2, code: payment.ErrorAnswerLost, maybe: true, tries: 3,
			script: func(g *refGateway) []func(http.ResponseWriter, *http.Request) bool {
				return []func(http.ResponseWriter, *http.Request) bool{status(500, ""), status(502, ""), status(500, "")}
			}},
		{name: "timeout then ok", retries: 1, outcome: payment.OutcomeApproved, tries: 2, charges: 1,
			script: func(g *refGateway) []func(http.ResponseWriter, *http.Request) bool {
				return []func(http.ResponseWriter, *http.Request) bool{hang}
			}},
		{name: "timeout, no retries", retries: 0, code: payment.ErrorAnswerLost, maybe: true, tries: 1,
			script: func(g *refGateway) []func(http.ResponseWriter, *http.Request) bool {
				return []func(http.ResponseWriter, *http.Request) bool{hang}
			}},
		{name: "malformed answer", retries: 0, code: payment.ErrorGatewayProtocol, maybe: true, tries: 1,
			script: func(g *refGateway) []func(http.ResponseWriter, *http.Request) bool {
				return []func(http.ResponseWriter, *http.Request) bool{status(200, "<html>oops")}
			}},
		{name: "empty answer", retries: 0, code: payment.ErrorGatewayProtocol, maybe: true, tries: 1,
			script: func(g *refGateway) []func(http.ResponseWriter, *http.Request) bool {
				return []func(http.ResponseWriter, *http.Request) bool{status(200, "{}")}
			}},
		{name: "answer echoing a card number", retries: 0, code: payment.ErrorGatewayProtocol, maybe: true, tries: 1,
			script: func(g *refGateway) []func(http.ResponseWriter, *http.Request) bool {
				return []func(http.ResponseWriter, *http.Request) bool{status(200, `{"charge_id":"4242424242424242"}`)}
			}},
		{name: "malformed then ok", retries: 1, outcome: payment.OutcomeApproved, tries: 2, charges: 1,
			script: func(g *refGateway) []func(http.ResponseWriter, *http.Request) bool {
				return []func(http.ResponseWriter, *http.Request) bool{status(200, "garbage")}
			}},
		{name: "4xx refused: not charged, no retry", retries: 2, code: payment.ErrorGatewayConfig, tries: 1,
			script: func(g *refGateway) []func(http.ResponseWriter, *http.Request) bool {
				return []func(http.ResponseWriter, *http.Request) bool{status(422, `{"error":"bad"}`)}
			}},
		{name: "429 retried, not charged", retries: 1, code: payment.ErrorGatewayUnavailable, tries: 2,
			script: func(g *refGateway) []func(http.ResponseWriter, *http.Request) bool {
				return []func(http.ResponseWriter, *http.Request) bool{status(429, ""), status(429, "")}
			}},
		{name: "processed, answer lost, retry gets the stored answer", retries: 1, outcome: payment.OutcomeApproved, tries: 2, charges: 1,
			script: func(g *refGateway) []func(http.ResponseWriter, *http.Request) bool {
				return []func(http.ResponseWriter, *http.Request) bool{g.processThenFail(func(w http.ResponseWriter) {
					w.WriteHeader(504)
				})}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, srv := newRef(t)
			g.script = tt.script(g)
			c := connector(t, srv, tt.retries)
			res, err := c.Pay(context.Background(), req("4242424242424242"))
			if tt.outcome != "" {
				if err != nil || res.Outcome != tt.outcome {
					t.Fatalf("%+v %v", res, err)
				}
			} else {
				ce, ok := payment.AsConnectorError(err)
				if !ok || ce.Code != tt.code || ce.MaybeCharged != tt.maybe {
					t.Fatalf("got %+v %v; want %s maybe %v", res, err, tt.code, tt.maybe)
				}
				if strings.Contains(err.Error(), "4242424242424242") || strings.Contains(err.Error(), "847") {
					t.Fatalf("error leaks: %v", err)
				}
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.tries != tt.tries || g.charges != tt.charges {
				t.Fatalf("tries %d charges %d", g.tries, g.charges)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c, _ := New(Config{URL: "http://" + addr + "/pay", Secret: secret, Retries: 1, Backoff: time.Millisecond})
	_, err := c.Pay(context.Background(), req("4242424242424242"))
	ce, ok := payment.AsConnectorError(err)
	if !ok || ce.MaybeCharged || ce.Code != payment.ErrorGatewayUnavailable {
		t.Fatalf("%v", err)
	}
}

func TestBadSignatureIsRefused(t *testing.T) {
	g, srv := newRef(t)
	c, _ := New(Config{URL: srv.URL + "/pay", Secret: "another-secret-of-16", Timeout: time.Second})
	_, err := c.Pay(context.Background(), req("4242424242424242"))
	ce, ok := payment.AsConnectorError(err)
	if !ok || ce.Code != payment.ErrorGatewayConfig || ce.MaybeCharged || g.charges != 0 {
		t.Fatalf("%v", err)
	}
}

func TestLookup(t *testing.T) {
	g, srv := newRef(t)
	c := connector(t, srv, 0)
	lreq := req("4242424242424242")
	lreq.Card = capture.Card{}
	if _, err := c.Lookup(context.Background(), lreq); !errors.Is(err, payment.ErrNotFound) {
		t.Fatalf("lookup before payment: %v", err)
	}
	if _, err := c.Pay(context.Background(), req("4242424242424242")); err != nil {
		t.Fatal(err)
	}
	res, err := c.Lookup(context.Background(), lreq)
	if err != nil || res.Outcome != payment.OutcomeApproved || res.ChargeID != "ch_1" {
		t.Fatalf("%+v %v", res, err)
	}
	g.script = append(g.script, status(500, ""))
	if _, err := c.Lookup(context.Background(), lreq); !errors.Is(err, payment.ErrConnector) {
		t.Fatalf("lookup fault: %v", err)
	} else if ce, _ := payment.AsConnectorError(err); ce.MaybeCharged {
		t.Fatal("a lookup cannot charge")
	}
	if g.charges != 1 {
		t.Fatal(g.charges)
	}
}

func TestTokenAndValidation(t *testing.T) {
	g, srv := newRef(t)
	c := connector(t, srv, 0)
	r := &payment.Request{Key: "k", Type: payment.TypeSale, Amount: 5, Currency: "GBP", Token: &payment.Token{GatewayToken: "tok_1"}}
	if res, err := c.Pay(context.Background(), r); err != nil || res.Outcome != payment.OutcomeApproved {
		t.Fatalf("%+v %v", res, err)
	}
	if !strings.Contains(g.bodies[0], `"token":"tok_1"`) || strings.Contains(g.bodies[0], `"card"`) {
		t.Fatal(g.bodies[0])
	}
	if _, err := c.Pay(context.Background(), &payment.Request{Key: "k2"}); !errors.Is(err, payment.ErrConnector) {
		t.Fatal("request without card accepted")
	}
	for _, cfg := range []Config{{URL: "ftp://x", Secret: secret}, {URL: "http://x", Secret: "short"}, {URL: "::", Secret: secret}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	if !Verify(secret, 1, []byte("a"), Sign(secret, 1, []byte("a"))) || Verify(secret, 2, []byte("a"), Sign(secret, 1, []byte("a"))) {
		t.Fatal("Sign/Verify")
	}
}
