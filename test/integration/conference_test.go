package integration

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/payment"
)

// TestBaresipConferenceLeg: a phone standing in for the PBX's conference calls Hushpay's
// conference number and keys the agent's ID and #; Hushpay pairs the leg with that agent's
// open payment session; the customer presses 1 and keys the card (RFC 2833); Hushpay captures
// it and hangs up its leg by itself.
func TestBaresipConferenceLeg(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n := startNode(t, nodeOptions{edit: func(c *config.SIP) {
		c.Conference.Numbers = []string{"8000"}
		c.Conference.Tenant = "t1"
	}})
	other, _, err := n.svc.Create(ctx, payment.CreateRequest{Tenant: "t1", AgentID: "1002", Amount: 100, Currency: "GBP", IdempotencyKey: "other"})
	if err != nil {
		t.Fatal(err)
	}
	sess, _, err := n.svc.Create(ctx, payment.CreateRequest{Tenant: "t1", AgentID: "1001", Amount: 990, Currency: "GBP", IdempotencyKey: "conf"})
	if err != nil {
		t.Fatal(err)
	}
	mic := filepath.Join(t.TempDir(), "mic.wav")
	writeHumWAV(t, mic, 60)
	pbx, _ := startPhone(t, ctx, phoneOptions{name: "conference", source: mic})
	pbx.command(t, "dial", "sip:8000@"+n.addr)
	pbx.waitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	pbx.keys(t, "1001#", 250*time.Millisecond)

	var callID string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && callID == "" {
		if c, err := n.reg.FindBySession("t1", sess.ID); err == nil {
			callID = c.ID
		}
		time.Sleep(50 * time.Millisecond)
	}
	if callID == "" {
		t.Fatal("conference leg not paired with agent 1001's session")
	}
	pbx.keys(t, "1", 250*time.Millisecond)
	waitSecure(t, n, callID, true, 5*time.Second)
	pbx.keys(t, testPAN+"1230"+"089", 250*time.Millisecond)
	pbx.waitEvent(t, "CALL_CLOSED", 15*time.Second) // Hushpay hung up by itself
	n.waitIdle(t, 5*time.Second)

	got, err := n.svc.Get(ctx, "t1", sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Capture.Complete {
		t.Fatalf("capture not complete: %+v", got.Capture)
	}
	if pan, _ := got.Capture.Field(capture.FieldCardNumber); !strings.HasSuffix(pan.Masked, "4242") {
		t.Fatalf("card number %+v", pan)
	}
	if o, _ := n.svc.Get(ctx, "t1", other.ID); o.Pairing.CallID != "" || o.Secure {
		t.Fatalf("another agent's session was touched: %+v", o.Pairing)
	}
}
