package web

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/payment"
)

// key feeds digits of one side of a call to the payment service, as the media layer does.
func key(t *testing.T, svc *payment.Service, callID, digits string, side payment.Side) {
	t.Helper()
	for i := 0; i < len(digits); i++ {
		if err := svc.Digit(context.Background(), callID, digits[i], payment.Source{Side: side, Transport: payment.TransportRFC4733}); err != nil && side == payment.SideCustomer {
			t.Fatalf("digit %d: %v", i, err)
		}
	}
}

func (b *browser) state(id string) PanelView {
	b.e.t.Helper()
	req, _ := http.NewRequest("GET", b.e.srv.URL+"/payments/"+id+"/state", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v PanelView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		b.e.t.Fatal(err)
	}
	return v
}

func (b *browser) action(id, act string, form url.Values) (int, PanelView) {
	b.e.t.Helper()
	req, _ := http.NewRequest("POST", b.e.srv.URL+"/payments/"+id+"/"+act, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf)
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var v PanelView
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

func field(v PanelView, name string) FieldView {
	for _, f := range v.Fields {
		if f.Name == name {
			return f
		}
	}
	return FieldView{}
}

// TestPaymentFlow takes a payment end to end through the dashboard: the call pairs by the
// agent keying the call reference, the panel's event stream shows each masked digit, the
// card field is reset and keyed again, Pay is approved, a receipt goes to an SMTP sink and
// the day's CSV lists the payment. Then a declined card.
func TestPaymentFlow(t *testing.T) {
	e := newEnv(t, config.Web{})
	smtpAddr, mails := smtpSink(t)
	ctx := context.Background()
	b := e.browser()
	b.login("alice", "alice-password-1")
	id := createSession(t, b)
	v := b.state(id)
	if v.CallRef == "" || v.Secure || v.CanPay || len(v.Fields) != 3 {
		t.Fatalf("new session: %+v", v)
	}

	// The live stream of the panel (through the API's SSE endpoint).
	req, _ := http.NewRequest("GET", e.srv.URL+"/payments/"+id+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := b.c.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("events: %v %v", resp, err)
	}
	defer resp.Body.Close()
	events := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "data: ") {
				events <- l[6:]
			}
		}
		close(events)
	}()
	waitFor := func(what string) string {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("stream ended waiting for %s", what)
				}
				if strings.Contains(ev, what) {
					return ev
				}
			case <-deadline:
				t.Fatalf("no event with %s", what)
			}
		}
	}
	waitFor(`"session.created"`)

	key(t, e.svc, "call-1", v.CallRef, payment.SideAgent)
	waitFor(`"secure.on"`)
	key(t, e.svc, "call-1", "4242", payment.SideCustomer)
	ev := waitFor(`"masked":"****"`)
	if strings.Contains(ev, "4242") {
		t.Fatalf("event shows digits: %s", ev)
	}
	if f := field(b.state(id), "card_number"); f.Masked != "****" || f.State != "active" || !f.CanReset {
		t.Fatalf("card field while keying: %+v", f)
	}
	// Reset the card field, key it again in full.
	if code, v := b.action(id, "reset", url.Values{"field": {"card_number"}}); code != 200 || field(v, "card_number").Masked != "" {
		t.Fatalf("reset: %d %+v", code, field(v, "card_number"))
	}
	key(t, e.svc, "call-1", "4242424242424242", payment.SideCustomer)
	waitFor(`"capture.field_complete"`)
	v = b.state(id)
	if f := field(v, "card_number"); !f.Valid || f.Masked != "************4242" || v.Brand != "Visa" {
		t.Fatalf("card field complete: %+v %s", f, v.Brand)
	}
	key(t, e.svc, "call-1", "1230", payment.SideCustomer)
	key(t, e.svc, "call-1", "123", payment.SideCustomer)
	waitFor(`"capture.complete"`)
	v = b.state(id)
	if !v.CanPay || field(v, "expiry").Masked != "1230" || field(v, "security_code").Masked != "***" {
		t.Fatalf("ready: %+v", v)
	}
	code, v := b.action(id, "pay", url.Values{})
	if code != 200 || v.Result == nil || v.Result.Outcome != "approved" || v.Result.AuthCode == "" || !v.Result.Receipt {
		t.Fatalf("pay: %d %+v", code, v.Result)
	}
	waitFor(`"payment.approved"`)

	// Receipt: refused until SMTP is set, then delivered with the masked card only.
	if code, v := b.action(id, "receipt", url.Values{"email": {"customer@example.com"}}); code != 422 || !strings.Contains(v.Message, "not set up") {
		t.Fatalf("receipt without smtp: %d %q", code, v.Message)
	}
	host, port, _ := net.SplitHostPort(smtpAddr)
	for k, val := range map[string]string{"smtp_host": host, "smtp_port": port, "smtp_from": "shop@example.com", "receipt_name": "Acme Energy"} {
		if err := e.st.SetSetting(ctx, testTenant, k, val); err != nil {
			t.Fatal(err)
		}
	}
	if code, v := b.action(id, "receipt", url.Values{"email": {"not an address"}}); code != 422 {
		t.Fatalf("bad address: %d %q", code, v.Message)
	}
	if code, v := b.action(id, "receipt", url.Values{"email": {"customer@example.com"}}); code != 200 {
		t.Fatalf("receipt: %d %q", code, v.Message)
	}
	select {
	case m := <-mails:
		if !strings.Contains(m, "RCPT TO:<customer@example.com>") || !strings.Contains(m, "************4242") || !strings.Contains(m, "Acme Energy") ||
			strings.Contains(m, "4242424242424242") || !strings.Contains(m, v.Result.AuthCode) {
			t.Fatalf("receipt mail:\n%s", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no mail")
	}

	// A declined card on a second call.
	id2 := createSession(t, b)
	v2 := b.state(id2)
	key(t, e.svc, "call-2", v2.CallRef, payment.SideAgent)
	key(t, e.svc, "call-2", "40000000000000021230123", payment.SideCustomer)
	_, v2 = b.action(id2, "pay", url.Values{})
	if v2.Result == nil || v2.Result.Outcome != "declined" || v2.Result.Reason == "" || !strings.Contains(v2.Result.Next, "another card") || !v2.CanRestart {
		t.Fatalf("decline: %+v", v2)
	}

	// The supervisor's CSV for today lists both, masked.
	sue := e.browser()
	sue.login("sue", "sue-password-1")
	r, err := sue.c.Get(e.srv.URL + "/supervisor/export.csv")
	if err != nil || r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %v %v", r, err)
	}
	rows, err := csv.NewReader(r.Body).ReadAll()
	r.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{}
	for _, row := range rows[1:] {
		found[row[0]] = row
	}
	if a := found[id]; a == nil || a[4] != "approved" || a[5] != "12.50" || a[9] != "************4242" || a[10] == "" {
		t.Fatalf("approved row: %v", a)
	}
	if d := found[id2]; d == nil || d[4] != "declined" || d[11] != "card_declined" {
		t.Fatalf("declined row: %v", d)
	}
	for _, pan := range []string{"4242424242424242", "4000000000000002"} {
		if strings.Contains(e.logs.String(), pan) {
			t.Errorf("logs hold %s", pan)
		}
	}
}

// smtpSink is a minimal SMTP server (RFC 5321) that records each session's transcript.
func smtpSink(t *testing.T) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				var log strings.Builder
				rd := bufio.NewReader(c)
				w := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
				w("220 sink")
				data := false
				for {
					l, err := rd.ReadString('\n')
					if err != nil {
						return
					}
					log.WriteString(l)
					switch {
					case data:
						if l == ".\r\n" {
							data = false
							w("250 ok")
						}
					case strings.HasPrefix(l, "EHLO"), strings.HasPrefix(l, "HELO"):
						w("250 sink")
					case strings.HasPrefix(l, "DATA"):
						data = true
						w("354 go on")
					case strings.HasPrefix(l, "QUIT"):
						w("221 bye")
						out <- log.String()
						return
					default:
						w("250 ok")
					}
				}
			}(c)
		}
	}()
	return ln.Addr().String(), out
}

// TestSecureButton: a call paired without keying (by call ID or SIP header) shows the
// Secure button; pressing it secures the line.
func TestSecureButton(t *testing.T) {
	e := newEnv(t, config.Web{})
	b := e.browser()
	b.login("alice", "alice-password-1")
	id := createSession(t, b)
	v := b.state(id)
	if v.CanSecure {
		t.Fatal("secure offered before the call is paired")
	}
	if code, v := b.action(id, "secure", url.Values{}); code != http.StatusConflict || v.Message == "" {
		t.Fatalf("secure before pairing: %d %q", code, v.Message)
	}
	if _, err := e.svc.PairCall(context.Background(), payment.PairByCallRef, v.CallRef, "call-9"); err != nil {
		t.Fatal(err)
	}
	if v = b.state(id); !v.CanSecure || !v.Paired || v.Secure {
		t.Fatalf("paired: %+v", v)
	}
	if !strings.Contains(v.StatusText, "Secure") {
		t.Fatalf("status text: %q", v.StatusText)
	}
	code, v := b.action(id, "secure", url.Values{})
	if code != 200 || !v.Secure || v.CanSecure || field(v, "card_number").State != "active" {
		t.Fatalf("after secure: %d %+v", code, v)
	}
}

// TestPlainErrors: a card number that fails the check shows what to tell the customer, and
// Reset gives the field back.
func TestPlainErrors(t *testing.T) {
	e := newEnv(t, config.Web{})
	b := e.browser()
	b.login("alice", "alice-password-1")
	id := createSession(t, b)
	key(t, e.svc, "call-5", b.state(id).CallRef, payment.SideAgent)
	key(t, e.svc, "call-5", "4242424242424241#", payment.SideCustomer) // Luhn fails
	f := field(b.state(id), "card_number")
	if f.Error != "Card number not valid: ask the customer to key it again." || f.Valid || !f.CanReset {
		t.Fatalf("invalid card number: %+v", f)
	}
	_, page := b.get("/payments/" + id)
	if !strings.Contains(page, "Card number not valid") || strings.Contains(page, "4242424242424241") {
		t.Fatal("the page does not explain the error, or shows the digits")
	}
	if code, v := b.action(id, "reset", url.Values{"field": {"card_number"}}); code != 200 || field(v, "card_number").Error != "" {
		t.Fatalf("reset: %d %+v", code, field(v, "card_number"))
	}
	if code, _ := b.action(id, "reset", url.Values{"field": {"no_such_field"}}); code != http.StatusConflict {
		t.Fatalf("reset of an unknown field: %d", code)
	}
}
