package stripe

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/testpeer"
)

const (
	testPAN = "4242424242424242"
	testCVC = "847"
)

func testCard() capture.Card {
	return capture.NewCard([]byte(testPAN), 12, 2030, []byte(testCVC), []byte("90210"), capture.MaskLast4)
}

func request(t payment.Type, key string) *payment.Request {
	amount := int64(1999)
	if t == payment.TypeVerify || t == payment.TypeTokenize {
		amount = 0
	}
	return &payment.Request{Key: key, Type: t, Amount: amount, Currency: "GBP", SessionID: "ps_1", Tenant: "t1",
		AccountRef: "INV-1", Description: "Invoice 1", Card: testCard()}
}

// recorder keeps every request sent (method, path, idempotency key, body) and forwards it.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method, path, key, body string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, req.URL.Path, req.Header.Get("Idempotency-Key"), string(body)})
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// stripeMock starts stripe-mock on a free loopback port and returns its base URL.
func stripeMock(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		bin = strings.TrimSpace(string(gopath)) + "/bin/stripe-mock"
		if _, err := exec.LookPath(bin); err != nil {
			testpeer.Missing(t, "stripe-mock (go install github.com/stripe/stripe-mock@v0.203.0)")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-http-addr", fmt.Sprintf("127.0.0.1:%d", port), "-https-addr", "127.0.0.1:")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Listening for HTTP at") {
				close(ready)
				for sc.Scan() {
				}
				return
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("stripe-mock did not start")
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

func TestAgainstStripeMock(t *testing.T) {
	base := stripeMock(t)
	rec := &recorder{next: http.DefaultTransport}
	c, err := New(Config{SecretKey: "sk_test_123", APIBase: base, HTTPClient: &http.Client{Transport: rec, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, typ := range []payment.Type{payment.TypeSale, payment.TypePreauth, payment.TypeRecurring, payment.TypeVerify, payment.TypeTokenize} {
		t.Run(string(typ), func(t *testing.T) {
			key := "hp_ps_1_" + string(typ)
			req := request(typ, key)
			res, err := c.Pay(ctx, req)
			// stripe-mock validates every request against Stripe's OpenAPI specification but
			// answers with fixtures (a PaymentIntent that "requires_payment_method"); it
			// cannot approve or decline. A connector error here means a request Stripe
			// would reject.
			if err != nil {
				t.Fatalf("stripe-mock rejected a request: %v", err)
			}
			if res.ChargeID == "" {
				t.Fatalf("result %+v", res)
			}
			for _, r := range rec.all() {
				if r.method == http.MethodPost && r.key == "" {
					t.Errorf("POST %s without idempotency key", r.path)
				}
				if r.path != "/v1/payment_methods" && (strings.Contains(r.body, testPAN) || strings.Contains(r.body, "cvc")) {
					t.Errorf("card data sent to %s", r.path)
				}
			}
			if typ == payment.TypeVerify || typ == payment.TypeTokenize {
				if _, err := c.Lookup(ctx, request(typ, key)); !errors.Is(err, payment.ErrNotFound) {
					t.Fatalf("lookup: %v", err)
				}
				return
			}
			lreq := request(typ, key)
			lreq.Card = capture.Card{}
			if _, err := c.Lookup(ctx, lreq); err != nil && !errors.Is(err, payment.ErrNotFound) {
				t.Fatalf("lookup rejected: %v", err)
			}
		})
	}
	// The card went in the PaymentMethod request only, MOTO on the confirm.
	var pm, confirm int
	for _, r := range rec.all() {
		switch {
		case r.path == "/v1/payment_methods":
			pm++
			if !strings.Contains(r.body, "card[number]="+testPAN) || !strings.HasSuffix(r.key, ":pm") {
				t.Errorf("payment method request %q key %q", r.body, r.key)
			}
		case strings.HasSuffix(r.path, "/confirm"):
			confirm++
			if !strings.Contains(r.body, "payment_method_options[card][moto]=true") || !strings.HasSuffix(r.key, ":confirm") {
				t.Errorf("confirm %q key %q", r.body, r.key)
			}
		}
	}
	if pm != 5 || confirm != 3 {
		t.Fatalf("%d payment methods, %d confirms", pm, confirm)
	}
}

// fakeStripe answers like Stripe's API with canned bodies, per path.
type fakeStripe struct {
	mu       sync.Mutex
	handlers map[string]func(w http.ResponseWriter, r *http.Request)
	keys     map[string][]string // path → idempotency keys seen
}

func newFake(t *testing.T) (*fakeStripe, *httptest.Server) {
	f := &fakeStripe{handlers: map[string]func(http.ResponseWriter, *http.Request){}, keys: map[string][]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if strings.HasPrefix(path, "/v1/payment_intents/") && strings.HasSuffix(path, "/confirm") {
			path = "/v1/payment_intents/confirm"
		}
		f.mu.Lock()
		f.keys[path] = append(f.keys[path], r.Header.Get("Idempotency-Key"))
		h := f.handlers[path]
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if h == nil {
			h = defaults[path]
		}
		if h == nil {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"no such path"}}`)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeStripe) on(path string, h func(w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[path] = h
}

func body(status int, s string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		fmt.Fprint(w, s)
	}
}

var defaults = map[string]func(http.ResponseWriter, *http.Request){
	"/v1/payment_methods":         body(200, `{"id":"pm_1","object":"payment_method"}`),
	"/v1/customers":               body(200, `{"id":"cus_1","object":"customer"}`),
	"/v1/payment_intents":         body(200, `{"id":"pi_1","object":"payment_intent","status":"requires_confirmation","metadata":{}}`),
	"/v1/payment_intents/confirm": body(200, `{"id":"pi_1","object":"payment_intent","status":"succeeded","latest_charge":{"id":"ch_1","object":"charge","authorization_code":"A1B2C3"}}`),
	"/v1/setup_intents":           body(200, `{"id":"seti_1","object":"setup_intent","status":"succeeded"}`),
}

func fakeConnector(t *testing.T, srv *httptest.Server, retries int, timeout time.Duration) *Connector {
	c, err := New(Config{SecretKey: "sk_test_x", APIBase: srv.URL, MaxNetworkRetries: retries, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cardError(code, decline string) string {
	return fmt.Sprintf(`{"error":{"type":"card_error","code":%q,"decline_code":%q,"message":"Your card %s was declined."}}`, code, decline, testPAN)
}

func TestOutcomesAndFaults(t *testing.T) {
	tests := []struct {
		name     string
		typ      payment.Type
		path     string
		handler  func(http.ResponseWriter, *http.Request)
		retries  int
		timeout  time.Duration
		outcome  payment.Outcome
		decline  payment.DeclineCode
		fault    payment.DeclineCode
		maybe    bool
		tokenSet bool
	}{
		{name: "approved", typ: payment.TypeSale, outcome: payment.OutcomeApproved},
		{name: "preauth requires capture", typ: payment.TypePreauth, path: "/v1/payment_intents/confirm",
			handler: body(200, `{"id":"pi_1","status":"requires_capture"}`), outcome: payment.OutcomeApproved},
		{name: "recurring gets a token", typ: payment.TypeRecurring, outcome: payment.OutcomeApproved, tokenSet: true},
		{name: "tokenize", typ: payment.TypeTokenize, outcome: payment.OutcomeApproved, tokenSet: true},
		{name: "verify declined", typ: payment.TypeVerify, path: "/v1/setup_intents",
			handler: body(402, cardError("card_declined", "generic_decline")), outcome: payment.OutcomeDeclined, decline: payment.DeclineGeneric},
		{name: "insufficient funds", typ: payment.TypeSale, path: "/v1/payment_intents/confirm",
			handler: body(402, cardError("card_declined", "insufficient_funds")), outcome: payment.OutcomeDeclined, decline: payment.DeclineInsufficientFunds},
		{name: "lost card", typ: payment.TypeSale, path: "/v1/payment_intents/confirm",
			handler: body(402, cardError("card_declined", "lost_card")), outcome: payment.OutcomeDeclined, decline: payment.DeclineLostOrStolen},
		{name: "incorrect cvc", typ: payment.TypeSale, path: "/v1/payment_intents/confirm",
			handler: body(402, cardError("incorrect_cvc", "")), outcome: payment.OutcomeDeclined, decline: payment.DeclineIncorrectCVC},
		{name: "expired at payment method", typ: payment.TypeSale, path: "/v1/payment_methods",
			handler: body(402, cardError("expired_card", "")), outcome: payment.OutcomeDeclined, decline: payment.DeclineExpiredCard},
		{name: "incorrect number at payment method", typ: payment.TypeSale, path: "/v1/payment_methods",
			handler: body(402, cardError("incorrect_number", "")), outcome: payment.OutcomeDeclined, decline: payment.DeclineIncorrectNumber},
		{name: "processing error", typ: payment.TypeSale, path: "/v1/payment_intents/confirm",
			handler: body(402, cardError("processing_error", "")), outcome: payment.OutcomeDeclined, decline: payment.DeclineProcessingError},
		{name: "requires payment method after confirm", typ: payment.TypeSale, path: "/v1/payment_intents/confirm",
			handler: body(200, `{"id":"pi_1","status":"requires_payment_method","last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"fraudulent"}}`),
			outcome: payment.OutcomeDeclined, decline: payment.DeclineFraud},
		{name: "5xx on confirm: maybe charged", typ: payment.TypeSale, path: "/v1/payment_intents/confirm",
			handler: body(500, `{"error":{"type":"api_error","message":"boom"}}`), fault: payment.ErrorGatewayUnavailable, maybe: true},
		{name: "5xx on create: not charged", typ: payment.TypeSale, path: "/v1/payment_intents",
			handler: body(503, `{"error":{"type":"api_error"}}`), fault: payment.ErrorGatewayUnavailable},
		{name: "5xx on payment method: not charged", typ: payment.TypeSale, path: "/v1/payment_methods",
			handler: body(500, `{"error":{"type":"api_error"}}`), fault: payment.ErrorGatewayUnavailable},
		{name: "bad key", typ: payment.TypeSale, path: "/v1/payment_methods",
			handler: body(401, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_x"}}`), fault: payment.ErrorGatewayConfig},
		{name: "rate limited", typ: payment.TypeSale, path: "/v1/payment_intents",
			handler: body(429, `{"error":{"type":"invalid_request_error","code":"rate_limit"}}`), fault: payment.ErrorGatewayConfig},
		{name: "malformed answer on confirm", typ: payment.TypeSale, path: "/v1/payment_intents/confirm",
			handler: body(200, `{"id":"pi_1","status":`), fault: payment.ErrorAnswerLost, maybe: true},
		{name: "unknown status", typ: payment.TypeSale, path: "/v1/payment_intents/confirm",
			handler: body(200, `{"id":"pi_1","status":"weird"}`), fault: payment.ErrorGatewayProtocol, maybe: true},
		{name: "processing", typ: payment.TypeSale, path: "/v1/payment_intents/confirm",
			handler: body(200, `{"id":"pi_1","status":"processing"}`), fault: payment.ErrorAnswerLost, maybe: true},
		{name: "timeout on confirm", typ: payment.TypeSale, path: "/v1/payment_intents/confirm", timeout: 100 * time.Millisecond,
			handler: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(2 * time.Second):
				}
			}, fault: payment.ErrorAnswerLost, maybe: true},
		{name: "idempotency error on confirm", typ: payment.TypeSale, path: "/v1/payment_intents/confirm",
			handler: body(400, `{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters"}}`),
			fault:   payment.ErrorGatewayConfig, maybe: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t)
			if tt.path != "" {
				f.on(tt.path, tt.handler)
			}
			retries := -1
			if tt.retries != 0 {
				retries = tt.retries
			}
			c := fakeConnector(t, srv, retries, tt.timeout)
			res, err := c.Pay(context.Background(), request(tt.typ, "hp_ps_1_1"))
			if tt.fault != "" {
				ce, ok := payment.AsConnectorError(err)
				if !ok || ce.Code != tt.fault || ce.MaybeCharged != tt.maybe || !errors.Is(err, payment.ErrConnector) {
					t.Fatalf("got %+v, %v; want fault %s maybe %v", res, err, tt.fault, tt.maybe)
				}
				if strings.Contains(err.Error(), testPAN) || strings.Contains(err.Error(), "sk_test_x") {
					t.Fatalf("error text leaks: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tt.outcome || res.DeclineCode != tt.decline || (res.TokenID != "") != tt.tokenSet {
				t.Fatalf("result %+v", res)
			}
			if tt.name == "approved" && (res.AuthCode != "A1B2C3" || res.ChargeID != "pi_1") {
				t.Fatalf("result %+v", res)
			}
			if tt.tokenSet && res.TokenID != "cus_1/pm_1" {
				t.Fatalf("token %q", res.TokenID)
			}
		})
	}
}

func TestRetriesKeepTheIdempotencyKey(t *testing.T) {
	f, srv := newFake(t)
	n := 0
	f.on("/v1/payment_intents/confirm", func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			// The connection breaks before an answer: stripe-go retries such network errors.
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		defaults["/v1/payment_intents/confirm"](w, r)
	})
	c := fakeConnector(t, srv, 1, 0)
	res, err := c.Pay(context.Background(), request(payment.TypeSale, "hp_ps_9_1"))
	if err != nil || res.Outcome != payment.OutcomeApproved {
		t.Fatalf("%+v %v", res, err)
	}
	keys := f.keys["/v1/payment_intents/confirm"]
	if len(keys) != 2 || keys[0] != "hp_ps_9_1:confirm" || keys[1] != keys[0] {
		t.Fatalf("confirm keys %v", keys)
	}
	if k := f.keys["/v1/payment_methods"]; len(k) != 1 || k[0] != "hp_ps_9_1:pm" {
		t.Fatalf("pm keys %v", k)
	}
	if k := f.keys["/v1/payment_intents"]; len(k) != 1 || k[0] != "hp_ps_9_1:pi" {
		t.Fatalf("pi keys %v", k)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c, _ := New(Config{SecretKey: "sk_test_x", APIBase: "http://" + addr, MaxNetworkRetries: -1})
	_, err := c.Pay(context.Background(), request(payment.TypeSale, "k"))
	ce, ok := payment.AsConnectorError(err)
	if !ok || ce.MaybeCharged || ce.Code != payment.ErrorGatewayUnavailable {
		t.Fatalf("%v", err)
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name    string
		handler func(http.ResponseWriter, *http.Request)
		outcome payment.Outcome
		err     error
		maybe   bool
	}{
		{"charged", body(200, `{"id":"pi_1","status":"succeeded","metadata":{"hushpay_key":"hp_ps_1_1"}}`), payment.OutcomeApproved, nil, false},
		{"declined", body(200, `{"id":"pi_1","status":"requires_payment_method","metadata":{"hushpay_key":"hp_ps_1_1"},"last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds"}}`), payment.OutcomeDeclined, nil, false},
		{"never confirmed", body(200, `{"id":"pi_1","status":"requires_confirmation","metadata":{"hushpay_key":"hp_ps_1_1"}}`), "", payment.ErrNotFound, false},
		{"another payment", body(200, `{"id":"pi_2","status":"succeeded","metadata":{"hushpay_key":"other"}}`), "", payment.ErrConnector, true},
		{"down", body(500, `{"error":{"type":"api_error"}}`), "", payment.ErrConnector, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t)
			f.on("/v1/payment_intents", tt.handler)
			c := fakeConnector(t, srv, -1, 0)
			req := request(payment.TypeSale, "hp_ps_1_1")
			req.Card = capture.Card{}
			res, err := c.Lookup(context.Background(), req)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("%+v %v", res, err)
				}
				if ce, ok := payment.AsConnectorError(err); ok && ce.MaybeCharged != tt.maybe {
					t.Fatalf("maybe %v", ce.MaybeCharged)
				}
				return
			}
			if err != nil || res.Outcome != tt.outcome {
				t.Fatalf("%+v %v", res, err)
			}
			if k := f.keys["/v1/payment_intents"]; len(k) != 1 || k[0] != "hp_ps_1_1:pi" {
				t.Fatalf("lookup keys %v", k)
			}
		})
	}
}

func TestTokenCharge(t *testing.T) {
	f, srv := newFake(t)
	c := fakeConnector(t, srv, -1, 0)
	req := &payment.Request{Key: "hp_tok_x_1", Type: payment.TypeSale, Amount: 500, Currency: "GBP",
		Token: &payment.Token{GatewayToken: "cus_1/pm_1"}}
	res, err := c.Pay(context.Background(), req)
	if err != nil || res.Outcome != payment.OutcomeApproved {
		t.Fatalf("%+v %v", res, err)
	}
	if len(f.keys["/v1/payment_methods"]) != 0 {
		t.Fatal("payment method created for a token charge")
	}
	req.Token.GatewayToken = "garbage"
	if _, err := c.Pay(context.Background(), req); !errors.Is(err, payment.ErrConnector) {
		t.Fatal(err)
	}
	if _, err := New(Config{}); err == nil {
		t.Fatal("no key accepted")
	}
}

func TestLookupAfterKeyLifetime(t *testing.T) {
	f, srv := newFake(t)
	c := fakeConnector(t, srv, -1, 0)
	req := request(payment.TypeSale, "hp_old_1")
	req.Card = capture.Card{}
	req.AttemptedAt = time.Now().Add(-25 * time.Hour)
	if _, err := c.Lookup(context.Background(), req); !errors.Is(err, payment.ErrLookupUnsupported) {
		t.Fatal(err)
	}
	if len(f.keys["/v1/payment_intents"]) != 0 {
		t.Fatal("replayed a forgotten key")
	}
}
