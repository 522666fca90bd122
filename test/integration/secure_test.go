package integration

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/audio"
	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/dtmf"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/sip"
)

const testPAN = "4242424242424242"

// writeDigitsWAV writes a WAV (μ-law for sipp, 16-bit for baresip) with digits as in-band
// DTMF (Hushpay's generator), followed by 20 s of silence.
func writeDigitsWAV(t *testing.T, path, digits string, leadMS float64, format audio.Format) {
	t.Helper()
	samples, _, err := dtmf.Sequence(digits, dtmf.SequenceOptions{ToneMS: 90, GapMS: 90, LeadMS: leadMS, LevelDBm0: -8})
	if err != nil {
		t.Fatal(err)
	}
	samples = append(samples, make([]int16, 20*8000)...)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := audio.WriteWAV(f, 8000, format, samples); err != nil {
		t.Fatal(err)
	}
}

// writeHumWAV writes seconds of a quiet 300 Hz hum (an agent's microphone: audio that is
// neither silence nor DTMF).
func writeHumWAV(t *testing.T, path string, seconds int) {
	t.Helper()
	samples := make([]int16, 8000*seconds)
	amp := audio.SineAmplitude(-30)
	for i := range samples {
		samples[i] = audio.Saturate(amp * math.Sin(2*math.Pi*300*float64(i)/8000))
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := audio.WriteWAV(f, 8000, audio.PCM16, samples); err != nil {
		t.Fatal(err)
	}
}

// secureCall pairs the answered call with a new payment session and turns secure mode on,
// as the agent's secure button does.
func secureCall(t *testing.T, ctx context.Context, n *node) *payment.Session {
	t.Helper()
	c := n.waitCall(t, 10*time.Second)
	sess, _, err := n.svc.Create(ctx, payment.CreateRequest{Tenant: "t1", Amount: 1250, Currency: "GBP",
		IdempotencyKey: "k-" + c.ID, CallID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.svc.SetSecure(ctx, "t1", sess.ID, true); err != nil {
		t.Fatal(err)
	}
	call, err := n.reg.Get(c.ID)
	if err != nil || !call.Secure {
		t.Fatalf("call not secure after SetSecure: %+v %v", call, err)
	}
	return sess
}

// TestSippSecureDigits: in secure mode the customer's RFC 2833 events (sipp's pcaps), SIP
// INFO and in-band tones (rtp_stream of a μ-law WAV) are all captured, and the INFO never
// reaches the agent side (its scenario fails on any INFO).
func TestSippSecureDigits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	writeDigitsWAV(t, filepath.Join(dir, "digits.wav"), testPAN, 300, audio.Ulaw)
	uasPort, uas := sippUAS(t, ctx, "uas_noinfo.xml", 1)
	n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort)})
	port := ports(10)
	uac := startSippIn(t, ctx, dir, "-sf", scenario("uac_secure.xml"), "-i", "127.0.0.1", "-p", itoa(port),
		"-mp", itoa(port+2), "-m", "1", "-s", "5001", n.addr)
	sess := secureCall(t, ctx, n)
	uac.finish(t, "uac", 40*time.Second)
	uas.finish(t, "uas (an INFO reached the agent?)", 10*time.Second)
	n.waitIdle(t, 5*time.Second)

	got, err := n.svc.Get(ctx, "t1", sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	pan, _ := got.Capture.Field(capture.FieldCardNumber)
	if !pan.Valid || !strings.HasSuffix(pan.Masked, "4242") {
		t.Errorf("card number not captured from in-band tones: %+v", pan)
	}
	// The first attempt: 4-9 from RFC 2833 events, then # by INFO (too short: invalid).
	maxLen, invalid := 0, false
	n.mu.Lock()
	for _, e := range n.digits {
		if e.SessionID != sess.ID {
			continue
		}
		switch e.Type {
		case payment.EventCaptureDigit:
			if v, ok := e.Data.Get("length"); ok {
				if l, ok := v.(int64); ok && int(l) > maxLen && !invalid {
					maxLen = int(l)
				}
			}
		case payment.EventCaptureFieldInvalid:
			invalid = true
		}
	}
	n.mu.Unlock()
	if maxLen != 6 || !invalid {
		t.Errorf("first attempt: %d digits from RFC 2833 (want 6), ended invalid by INFO #: %v", maxLen, invalid)
	}
}

// TestSippCannotSecure: a G.729-only call (the relay cannot decode it) still connects through
// Hushpay, is marked "cannot secure" with the reason, and secure mode is refused for it: by
// the registry (the agent's button) and, when the payment service turns it on anyway (a
// paired session), by the relay, which takes the session out of secure mode again.
func TestSippCannotSecure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uasPort, uas := sippUAS(t, ctx, "uas_g729.xml", 1)
	n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort)})
	uac := sippUAC(t, ctx, n, "uac_g729.xml", 1)
	c := n.waitCall(t, 10*time.Second)
	if !strings.Contains(c.CannotSecure, "G729") {
		t.Fatalf("call not marked cannot-secure: %+v", c)
	}
	sess, _, err := n.svc.Create(ctx, payment.CreateRequest{Tenant: "t1", Amount: 100, Currency: "GBP",
		IdempotencyKey: "g729", CallID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	n.reg.PaymentEvent(&payment.Event{Type: payment.EventSessionPaired, SessionID: sess.ID, Tenant: "t1",
		Data: payment.NewData(payment.Str("call_id", c.ID))})
	if _, err := n.reg.SetSecure(ctx, c.ID, true); !errors.Is(err, sip.ErrCannotSecure) {
		t.Fatalf("registry SetSecure: %v, want ErrCannotSecure", err)
	}
	// The payment service turns it on (as when the agent keys the call reference).
	if _, err := n.svc.SetSecure(ctx, "t1", sess.ID, true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := n.svc.Get(ctx, "t1", sess.ID)
		if err == nil && !s.Secure {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("payment session left in secure mode on a call the relay cannot mask")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got, _ := n.reg.Get(c.ID); got.Secure {
		t.Fatal("call shown secure")
	}
	uac.finish(t, "uac", 20*time.Second)
	uas.finish(t, "uas", 10*time.Second)
	n.waitIdle(t, 5*time.Second)
}
