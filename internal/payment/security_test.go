package payment_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/payment/httpgateway"
	"github.com/hushpay/hushpay/internal/payment/stripe"
	"github.com/hushpay/hushpay/internal/payment/testgateway"
)

// securityCards are known test card numbers with the security code keyed for each. The
// codes are chosen not to occur by chance in IDs, times or amounts of these tests.
var securityCards = []struct{ pan, cvv string }{
	{"4242424242424242", "847"},
	{"4000000000000002", "847"},
	{"4000000000009995", "847"},
	{"4000000000000127", "847"},
	{"4000000000000069", "847"},
	{"4000000000000119", "847"},
	{"5555555555554444", "847"},
	{"2223003122003222", "847"},
	{"378282246310005", "9361"},
	{"6011111111111117", "847"},
	{"3566002020360505", "847"},
	{"36227206271667", "847"},
}

// counters are JSON number fields that count things (sequences, versions, lengths); a
// security code scan ignores their values, which can equal a code by chance.
var counters = regexp.MustCompile(`"(seq|global_seq|version|length|max_length|attempts|attempt|max_attempts|amount|count|exp_month|exp_year|number)":[0-9]+`)

// scan fails t if text holds a card number (whole, spaced, or 12 of its digits in a row)
// or a security code standing alone (not inside a longer number nor a counter field).
func scan(t *testing.T, where, text string) {
	t.Helper()
	for _, f := range findings(text) {
		t.Errorf("%s holds %s", where, f)
	}
}

func findings(text string) []string {
	var out []string
	for _, c := range securityCards {
		for _, needle := range []string{c.pan, c.pan[:12], c.pan[len(c.pan)-12:], spaced(c.pan)} {
			if i := strings.Index(text, needle); i >= 0 {
				out = append(out, fmt.Sprintf("card number %s…: %q", c.pan[:6], excerpt(text, i)))
			}
		}
	}
	text = counters.ReplaceAllString(text, "")
	for _, cvv := range []string{"847", "9361"} {
		for off := 0; ; {
			i := strings.Index(text[off:], cvv)
			if i < 0 {
				break
			}
			i += off
			end := i + len(cvv)
			if (i == 0 || !isDigit(text[i-1])) && (end == len(text) || !isDigit(text[end])) {
				out = append(out, fmt.Sprintf("security code %s: %q", cvv, excerpt(text, i)))
				break
			}
			off = end
		}
	}
	return out
}

// TestSecurityScanFindsPlantedData shows that the scan can fail.
func TestSecurityScanFindsPlantedData(t *testing.T) {
	for _, planted := range []string{`{"pan":"4242424242424242"}`, "card 4242 4242 4242 4242", "x5555555555554444",
		`{"cvv":"847"}`, "code=9361&", `"masked":"378282246310"`} {
		if len(findings("before "+planted+" after")) == 0 {
			t.Errorf("scan missed %q", planted)
		}
	}
	for _, clean := range []string{`{"global_seq":847,"length":9361}`, "at 10:00:00.8471Z", "************4242", "1230"} {
		if f := findings(clean); len(f) != 0 {
			t.Errorf("false finding in %q: %v", clean, f)
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func spaced(pan string) string {
	var b strings.Builder
	for i := 0; i < len(pan); i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(pan[i])
	}
	return b.String()
}

func excerpt(s string, i int) string {
	lo, hi := max(0, i-60), min(len(s), i+60)
	return s[lo:hi]
}

// errs collects the text of every error returned.
type errs struct {
	mu  sync.Mutex
	txt []string
}

func (e *errs) add(err error) {
	if err != nil {
		e.mu.Lock()
		e.txt = append(e.txt, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		e.mu.Unlock()
	}
}

// runCardThrough drives one card through every path of the Service: a mistyped number, a
// reset, start again, an invalid expiry and security code, then a payment (and a retry of
// the security code after a decline).
func runCardThrough(t *testing.T, h *harness, e *errs, pan, cvv string) {
	t.Helper()
	s := h.create(payment.CreateRequest{RequiredFields: []capture.FieldName{capture.FieldCardNumber, capture.FieldExpiry,
		capture.FieldSecurityCode, capture.FieldPostalCode}})
	call := "call-" + s.ID
	h.secureCall(s, call)
	cust := payment.Source{Side: payment.SideCustomer, Transport: payment.TransportRFC4733}
	keys := func(k string) {
		for i := 0; i < len(k); i++ {
			h.clock.Advance(100 * time.Millisecond)
			e.add(h.svc.Digit(ctx, call, k[i], cust))
		}
	}
	// A mistyped number (last digit changed) fails Luhn.
	bad := pan[:len(pan)-1] + string('0'+(pan[len(pan)-1]-'0'+1)%10)
	keys(bad + "#")
	// Half a number, then reset.
	keys(pan[:8])
	_, err := h.svc.ResetField(ctx, s.Tenant, s.ID, capture.FieldCardNumber)
	e.add(err)
	keys(pan + "#")
	keys("1330")                 // invalid month
	keys("1230")                 // valid expiry
	keys(cvv[:len(cvv)-1] + "#") // too short
	// The agent keys digits on their side: never captured.
	for i := 0; i < len(pan); i++ {
		e.add(h.svc.Digit(ctx, call, pan[i], payment.Source{Side: payment.SideAgent}))
	}
	keys(cvv)
	keys("90210#")
	got, err := h.svc.Get(ctx, s.Tenant, s.ID)
	e.add(err)
	if got.Status != payment.StatusReady {
		t.Fatalf("%s not ready: %s %+v", pan[:6], got.Status, got.Capture)
	}
	paid, err := h.svc.Pay(ctx, s.Tenant, s.ID)
	e.add(err)
	if paid == nil || paid.Result == nil {
		t.Fatalf("%s: no payment result: %v", pan[:6], err)
	}
	if paid.Status == payment.StatusDeclined {
		_, err = h.svc.StartCapture(ctx, s.Tenant, s.ID, capture.FieldSecurityCode)
		e.add(err)
		keys(cvv)
		_, err = h.svc.Pay(ctx, s.Tenant, s.ID)
		e.add(err)
	}
	if paid.Status == payment.StatusInDoubt {
		_, err = h.svc.Resolve(ctx, s.Tenant, s.ID)
		e.add(err)
	}
	if got, _ := h.svc.Get(ctx, s.Tenant, s.ID); got.Status.Active() && got.Status != payment.StatusInDoubt {
		_, err = h.svc.Cancel(ctx, s.Tenant, s.ID, "security test")
		e.add(err)
	}
	// Events reach the harness through OnEvent and the repository dump; here only check
	// that they can be read back.
	_, err = h.svc.Events(ctx, s.Tenant, s.ID, 0, 0)
	e.add(err)
	b, _ := json.Marshal(paid)
	e.add(fmt.Errorf("session %s %+v", b, paid))
}

// echoingStripe answers like Stripe, with error messages that quote the card number (a
// gateway can), to check that nothing from them is kept.
func echoingStripe(t *testing.T, mode string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		num := ""
		if m := regexp.MustCompile(`card%5Bnumber%5D=(\d+)|card\[number\]=(\d+)`).FindStringSubmatch(string(body)); m != nil {
			num = m[1] + m[2]
		}
		switch {
		case r.URL.Path == "/v1/payment_methods":
			if mode == "pm_error" {
				w.WriteHeader(402)
				fmt.Fprintf(w, `{"error":{"type":"card_error","code":"incorrect_number","message":"Your card number %s is incorrect.","param":"card[number]"}}`, num)
				return
			}
			fmt.Fprint(w, `{"id":"pm_1","object":"payment_method"}`)
		case r.URL.Path == "/v1/customers":
			fmt.Fprint(w, `{"id":"cus_1"}`)
		case r.URL.Path == "/v1/payment_intents":
			fmt.Fprint(w, `{"id":"pi_1","status":"requires_confirmation","metadata":{}}`)
		case strings.HasSuffix(r.URL.Path, "/confirm"):
			switch mode {
			case "decline":
				w.WriteHeader(402)
				fmt.Fprint(w, `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Card declined"}}`)
			case "500":
				w.WriteHeader(500)
				fmt.Fprint(w, `{"error":{"type":"api_error","message":"internal"}}`)
			case "garbage":
				fmt.Fprint(w, `{"id":"pi_1","status":`)
			default:
				fmt.Fprint(w, `{"id":"pi_1","status":"succeeded","latest_charge":{"id":"ch_1","authorization_code":"OK"}}`)
			}
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// echoingHTTPGateway follows docs/gateway-http.md, or fails in the given mode, quoting
// the card in its error messages.
func echoingHTTPGateway(t *testing.T, mode string) *httptest.Server {
	var mu sync.Mutex
	answers := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key := r.Header.Get(httpgateway.HeaderIdempotency)
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodGet {
			if a, ok := answers[key]; ok {
				fmt.Fprint(w, a)
				return
			}
			http.Error(w, "unknown", 404)
			return
		}
		var req struct {
			Card struct{ Number string } `json:"card"`
		}
		_ = json.Unmarshal(body, &req)
		switch mode {
		case "500":
			w.WriteHeader(500)
			fmt.Fprintf(w, "failed for card %s", req.Card.Number)
			return
		case "echo":
			fmt.Fprintf(w, `{"charge_id":%q}`, req.Card.Number)
			return
		case "timeout":
			answers[key] = `{"charge_id":"ch_late"}` // processed; the answer never arrives
			mu.Unlock()
			select {
			case <-r.Context().Done():
			case <-time.After(time.Second):
			}
			mu.Lock()
			return
		}
		a := `{"charge_id":"ch_1","auth_code":"A1"}`
		if strings.HasPrefix(req.Card.Number, "4000") {
			a = fmt.Sprintf(`{"error_code":"card_declined","error_message":"card %s declined"}`, req.Card.Number)
		}
		answers[key] = a
		fmt.Fprint(w, a)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSecurityNoCardDataEmitted(t *testing.T) {
	type setup struct {
		name string
		conn func(t *testing.T) payment.Connector
		pre  func(h *harness)
	}
	var setups []setup
	for _, f := range []struct {
		name  string
		fault []testgateway.Fault
	}{{"ok", nil}, {"unavailable", []testgateway.Fault{testgateway.FaultUnavailable}},
		{"answer-lost", []testgateway.Fault{testgateway.FaultAnswerLost}},
		{"in-doubt", []testgateway.Fault{testgateway.FaultAnswerLost, testgateway.FaultUnavailable}},
		{"request-lost", []testgateway.Fault{testgateway.FaultRequestLost}}} {
		setups = append(setups, setup{name: "test/" + f.name, pre: func(h *harness) { h.gw.Inject(f.fault...) }})
	}
	for _, mode := range []string{"ok", "pm_error", "decline", "500", "garbage"} {
		setups = append(setups, setup{name: "stripe/" + mode, conn: func(t *testing.T) payment.Connector {
			c, err := stripe.New(stripe.Config{SecretKey: "sk_test_x", APIBase: echoingStripe(t, mode).URL, MaxNetworkRetries: -1,
				Now: func() time.Time { return time.Date(2026, 11, 21, 10, 30, 0, 0, time.UTC) }}) // the harness's clock
			if err != nil {
				t.Fatal(err)
			}
			return c
		}})
	}
	for _, mode := range []string{"ok", "500", "echo", "timeout"} {
		setups = append(setups, setup{name: "http/" + mode, conn: func(t *testing.T) payment.Connector {
			c, err := httpgateway.New(httpgateway.Config{URL: echoingHTTPGateway(t, mode).URL + "/pay",
				Secret: "0123456789abcdef", Timeout: 100 * time.Millisecond, Retries: 1, Backoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}})
	}
	for _, st := range setups {
		t.Run(st.name, func(t *testing.T) {
			var conn payment.Connector
			if st.conn != nil {
				conn = st.conn(t)
			}
			h := newHarnessConn(t, conn)
			e := &errs{}
			// Every card through the test gateway; a sample of brands and outcomes through
			// the other connectors' normal paths; three cards through each fault path. This
			// keeps the suite fast under the race detector.
			cards := securityCards
			switch {
			case !strings.HasSuffix(st.name, "/ok"):
				cards = []struct{ pan, cvv string }{securityCards[0], securityCards[1], securityCards[8]}
			case st.conn != nil:
				cards = []struct{ pan, cvv string }{securityCards[0], securityCards[1], securityCards[2],
					securityCards[6], securityCards[8], securityCards[11]}
			}
			for _, c := range cards {
				if st.pre != nil {
					st.pre(h)
				}
				runCardThrough(t, h, e, c.pan, c.cvv)
			}
			_, err := h.svc.ResolvePending(context.Background())
			e.add(err)
			scan(t, "events, logs and repository", h.emitted())
			scan(t, "error texts", strings.Join(e.txt, "\n"))
		})
	}
}

func TestSecurityCaptureViewsAndEvents(t *testing.T) {
	// Every view the agent is sent while a card is keyed, digit by digit.
	h := newHarness(t, func(o *payment.Options) { o.Rules.MaskStyle = capture.MaskFirst6Last4 })
	for _, c := range securityCards {
		s := h.create(payment.CreateRequest{})
		h.secureCall(s, "c"+s.ID)
		h.key("c"+s.ID, c.pan)
		if len(c.pan) != 15 && len(c.pan) != 16 {
			h.key("c"+s.ID, "#")
		}
		h.key("c"+s.ID, "1230"+c.cvv)
		got := h.get(s)
		fv, _ := got.Capture.Field(capture.FieldCardNumber)
		want := c.pan[:6] + strings.Repeat("*", len(c.pan)-10) + c.pan[len(c.pan)-4:]
		if fv.Masked != want {
			t.Fatalf("%s shown as %s", c.pan[:6], fv.Masked)
		}
		_, _ = h.svc.Cancel(ctx, s.Tenant, s.ID, "")
	}
	scan(t, "first6/last4 events", h.emitted())
}
