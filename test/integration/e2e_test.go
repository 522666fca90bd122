package integration

import (
	"context"

	"github.com/hushpay/hushpay/internal/audio"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/dtmf"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/sip"
	"github.com/hushpay/hushpay/internal/testpeer"
)

// panLeadMS is the silence before the customer's in-band card number in their microphone
// file: time for the agent to key the call reference and secure the line.
const panLeadMS = 9000

// TestBaresipEndToEnd: a customer phone calls through Hushpay to an agent phone that answers
// by itself. The agent keys the payment's call reference (RFC 2833), which pairs the call and
// secures it; the customer keys the card number as in-band tones, the line is held and
// resumed, then the expiry and security code go as RFC 2833 events. Hushpay captured the
// whole card; what the agent heard holds no digit for multimon-ng or spandsp; the call ends
// cleanly when the customer hangs up.
func TestBaresipEndToEnd(t *testing.T) {
	testEndToEnd(t, false)
}

// TestBaresipAgentHangsUp is the same call ended from the agent's side.
func TestBaresipAgentHangsUp(t *testing.T) {
	testEndToEnd(t, true)
}

func testEndToEnd(t *testing.T, agentHangsUp bool) {
	multimon := testpeer.Multimon(t)
	spandsp := testpeer.Spandsp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	dir := t.TempDir()
	mic := filepath.Join(dir, "customer.wav")
	writeDigitsWAV(t, mic, testPAN, panLeadMS, audio.PCM16)
	// Control: the decoders do hear the card number in the customer's own microphone file.
	ctl, _, err := dtmf.Sequence(testPAN, dtmf.SequenceOptions{ToneMS: 90, GapMS: 90, LeadMS: 100, LevelDBm0: -8})
	if err != nil {
		t.Fatal(err)
	}
	if tones, err := testpeer.DecodeMultimon(ctx, multimon, ctl); err != nil || len(tones) != len(testPAN) {
		t.Fatalf("control: multimon-ng found %d tones in the customer's audio (%v)", len(tones), err)
	}

	agentMic := filepath.Join(dir, "agent.wav")
	writeHumWAV(t, agentMic, 60)
	agent, agentAddr := startPhone(t, ctx, phoneOptions{name: "agent", source: agentMic, autoAnswer: true})
	customer, _ := startPhone(t, ctx, phoneOptions{name: "customer", source: mic})
	n := startNode(t, nodeOptions{upstream: "sip:" + agentAddr})

	sess, _, err := n.svc.Create(ctx, payment.CreateRequest{Tenant: "t1", Amount: 4200, Currency: "GBP", IdempotencyKey: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	customer.command(t, "dial", "sip:agent@"+n.addr)
	customer.waitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	agent.waitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	call := n.waitCall(t, 5*time.Second)

	// The agent keys the call reference shown on the payment page, once its phone sends audio.
	agent.waitAudio(t, 15*time.Second)
	customer.waitAudio(t, 15*time.Second)
	agent.keys(t, sess.Pairing.CallRef, 250*time.Millisecond)
	waitSecure(t, n, call.ID, true, 5*time.Second)

	// The card number arrives in-band from the microphone file; wait for it to be complete.
	waitField(t, n, sess.ID, capture.FieldCardNumber, 20*time.Second)

	// Hold and resume while secure.
	customer.command(t, "hold", "")
	waitMedia(t, n, call.ID, sip.MediaHeld, 5*time.Second)
	time.Sleep(500 * time.Millisecond)
	customer.command(t, "resume", "")
	waitMedia(t, n, call.ID, sip.MediaActive, 5*time.Second)
	if c, err := n.reg.Get(call.ID); err != nil || !c.Secure {
		t.Fatalf("secure mode lost over hold/resume: %+v %v", c, err)
	}

	// Expiry and security code as RFC 2833 events.
	time.Sleep(300 * time.Millisecond)
	customer.keys(t, "1230", 300*time.Millisecond)
	waitField(t, n, sess.ID, capture.FieldExpiry, 5*time.Second)
	customer.keys(t, "089", 300*time.Millisecond)
	waitField(t, n, sess.ID, capture.FieldSecurityCode, 5*time.Second)

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

	time.Sleep(time.Second)
	if agentHangsUp {
		agent.command(t, "hangup", "")
	} else {
		customer.command(t, "hangup", "")
	}
	customer.waitEvent(t, "CALL_CLOSED", 10*time.Second)
	agent.waitEvent(t, "CALL_CLOSED", 10*time.Second)
	n.waitIdle(t, 5*time.Second)

	// What the agent heard: no digit for either detector.
	heard := agent.recording(t)
	if len(heard) < 8000*10 {
		t.Fatalf("agent recording only %d samples", len(heard))
	}
	if tones, err := testpeer.DecodeMultimon(ctx, multimon, heard); err != nil || len(tones) != 0 {
		t.Errorf("multimon-ng found digits in what the agent heard: %v (%v)", tones, err)
	}
	if tones, err := testpeer.DecodeSpandsp(ctx, spandsp, heard); err != nil || len(tones) != 0 {
		t.Errorf("spandsp found digits in what the agent heard: %v (%v)", tones, err)
	}
}

func waitSecure(t *testing.T, n *node, id string, on bool, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if c, err := n.reg.Get(id); err == nil && c.Secure == on {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	c, _ := n.reg.Get(id)
	t.Fatalf("call secure=%v, want %v: %+v", c.Secure, on, c)
}

func waitMedia(t *testing.T, n *node, id string, st sip.MediaState, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if c, err := n.reg.Get(id); err == nil && c.Media == st {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	c, _ := n.reg.Get(id)
	t.Fatalf("call media %s, want %s", c.Media, st)
}

func waitField(t *testing.T, n *node, sessionID string, f capture.FieldName, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	var fv capture.FieldView
	for time.Now().Before(deadline) {
		s, err := n.svc.Get(context.Background(), "t1", sessionID)
		if err == nil {
			fv, _ = s.Capture.Field(f)
			if fv.State == capture.StateComplete {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("field %s not complete: %+v", f, fv)
}
