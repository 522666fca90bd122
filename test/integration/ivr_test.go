package integration

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/audio"
	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/dtmf"
	"github.com/hushpay/hushpay/internal/sip"
	"github.com/hushpay/hushpay/internal/testpeer"
)

// TestBaresipIVR: a phone calls an IVR entry number. The flow plays a prompt (a WAV holding
// the DTMF digits 159, so that the phone's recording proves it was heard), collects keys
// until # (the phone sends 4, 2, 7, # as RFC 2833 events), and hangs up.
func TestBaresipIVR(t *testing.T) {
	multimon := testpeer.Multimon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	prompt := filepath.Join(dir, "prompt.wav")
	samples, _, err := dtmf.Sequence("159", dtmf.SequenceOptions{Rate: 16000, ToneMS: 100, GapMS: 100, LeadMS: 200, LevelDBm0: -8})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(prompt)
	if err != nil {
		t.Fatal(err)
	}
	if err := audio.WriteWAV(f, 16000, audio.PCM16, samples); err != nil {
		t.Fatal(err)
	}
	f.Close()

	type result struct {
		keys    string
		playErr error
		err     error
	}
	done := make(chan result, 1)
	n := startNode(t, nodeOptions{
		edit: func(c *config.SIP) { c.IVRNumbers = []string{"pay"} },
		ivr: func(ctx context.Context, leg *sip.UASLeg) {
			var r result
			r.playErr = leg.Play(ctx, prompt)
			r.keys, r.err = leg.Collect(ctx, 8, "#", 10*time.Second)
			_ = leg.Hangup(ctx)
			done <- r
		},
	})
	mic := filepath.Join(dir, "mic.wav")
	writeHumWAV(t, mic, 30)
	phone, _ := startPhone(t, ctx, phoneOptions{name: "caller", source: mic})
	phone.command(t, "dial", "sip:pay@"+n.addr)
	phone.waitEvent(t, "CALL_ESTABLISHED", 10*time.Second)
	time.Sleep(1500 * time.Millisecond) // the prompt lasts 0.8 s
	phone.keys(t, "427#", 300*time.Millisecond)
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("IVR flow did not finish")
	}
	if r.playErr != nil || r.err != nil || r.keys != "427" {
		t.Fatalf("flow: play %v, collect %q %v", r.playErr, r.keys, r.err)
	}
	phone.waitEvent(t, "CALL_CLOSED", 10*time.Second)
	n.waitIdle(t, 5*time.Second)
	heard := phone.recording(t)
	tones, err := testpeer.DecodeMultimon(ctx, multimon, heard)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, tn := range tones {
		got += string(tn.Digit)
	}
	if got != "159" {
		t.Fatalf("the caller heard %q of the prompt's digits, want 159", got)
	}
}

// TestSippIVRTransfer: an IVR flow transfers the caller with REFER (blind transfer); the caller
// (sipp) accepts it and Hushpay's leg hangs up. The answer chose the caller's first codec
// (PCMA) with its telephone-event.
func TestSippIVRTransfer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	n := startNode(t, nodeOptions{
		edit: func(c *config.SIP) { c.IVRNumbers = []string{"pay"} },
		ivr: func(ctx context.Context, leg *sip.UASLeg) {
			done <- leg.Transfer(ctx, "sip:agents@pbx.test")
		},
	})
	uac := sippUAC(t, ctx, n, "uac_refer.xml", 1, "-s", "pay")
	uac.finish(t, "uac", 20*time.Second)
	if err := <-done; err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	n.waitIdle(t, 5*time.Second)
}
