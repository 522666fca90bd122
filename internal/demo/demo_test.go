package demo

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hushpay/hushpay/internal/audio"
	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/dtmf"
	"github.com/hushpay/hushpay/internal/payment"
)

// TestMelodyKeysNothing: the phones' talking never looks like a key press to a DTMF
// detector (ours, the one the relay runs).
func TestMelodyKeysNothing(t *testing.T) {
	for _, clip := range [][]byte{
		melody([]float64{523, 659, 784, 659, 587, 0, 698, 880, 784, 0}, 180, -18),
		melody([]float64{262, 0, 330, 0, 392, 0, 0, 0}, 200, -24),
	} {
		if len(clip)%frame != 0 || len(clip) == 0 {
			t.Fatalf("clip of %d bytes is not whole frames", len(clip))
		}
		lin := make([]int16, len(clip))
		audio.DecodeUlaw(lin, clip)
		det := dtmf.NewDetector(dtmf.DefaultDetectorConfig())
		var got []dtmf.Event
		for i := 0; i < 5; i++ { // looped
			det.Process(lin, func(e dtmf.Event) { got = append(got, e) })
		}
		det.Flush(func(e dtmf.Event) { got = append(got, e) })
		if len(got) != 0 {
			t.Fatalf("the clip was detected as DTMF: %+v", got)
		}
		if lvl := audio.LevelDBm0(lin); lvl < -40 {
			t.Fatalf("clip too quiet: %.1f dBm0", lvl)
		}
	}
}

// recorder receives a phone's RTP and decodes its telephone-events into digits.
func recorder(t *testing.T) (*net.UDPConn, <-chan byte) {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	out := make(chan byte, 64)
	go func() {
		buf := make([]byte, 1500)
		var last uint32
		seen := false
		for {
			n, _, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			var p rtp.Packet
			if p.Unmarshal(buf[:n]) != nil || p.PayloadType != ptEvent {
				continue
			}
			var ev dtmf.TelephoneEvent
			if ev.Unmarshal(p.Payload) != nil {
				continue
			}
			if !seen || p.Timestamp != last { // RFC 4733 §2.5.1.2: one event per timestamp
				seen, last = true, p.Timestamp
				d, _ := dtmf.EventDigit(ev.Event)
				out <- d
			}
		}
	}()
	return c, out
}

func newTestDemo(t *testing.T) (*Demo, <-chan byte, <-chan byte) {
	t.Helper()
	d, err := New(Options{Hushpay: "127.0.0.1:1", AgentListen: "127.0.0.1:0", Host: netip.MustParseAddr("127.0.0.1"), KeyDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); d.customer.close(); d.agent.close() })
	rc, cust := recorder(t)
	ra, agent := recorder(t)
	d.customer.remote = rc.LocalAddr().(*net.UDPAddr)
	d.agent.remote = ra.LocalAddr().(*net.UDPAddr)
	go d.customer.run(ctx)
	go d.agent.run(ctx)
	d.up = true
	return d, cust, agent
}

func collect(t *testing.T, ch <-chan byte, n int) string {
	t.Helper()
	var b strings.Builder
	deadline := time.After(20 * time.Second)
	for b.Len() < n {
		select {
		case d := <-ch:
			b.WriteByte(d)
		case <-deadline:
			t.Fatalf("got %q, want %d keys", b.String(), n)
		}
	}
	return b.String()
}

func view(active capture.FieldName) capture.View {
	return capture.View{Active: active, Fields: []capture.FieldView{{Name: capture.FieldCardNumber}, {Name: capture.FieldExpiry}, {Name: capture.FieldSecurityCode}}}
}

// TestPhonesFollowThePayment: the agent phone keys a new session's call reference; once
// secure, the customer phone keys each field as it is asked for, as RFC 4733 events.
func TestPhonesFollowThePayment(t *testing.T) {
	d, cust, agent := newTestDemo(t)
	if err := d.SetCard("declined"); err != nil {
		t.Fatal(err)
	}
	if err := d.SetCard("4242424242424242"); err == nil {
		t.Fatal("a card number was taken as a card name")
	}
	d.PaymentEvent(&payment.Event{Type: payment.EventSessionCreated, Data: payment.NewData(payment.Str("call_ref", "123456"))})
	if got := collect(t, agent, 6); got != "123456" {
		t.Fatalf("agent keyed %q", got)
	}
	d.PaymentEvent(&payment.Event{Type: payment.EventSecureOn})
	d.PaymentEvent(&payment.Event{Type: payment.EventCaptureFieldStarted, Data: payment.NewData(payment.ViewAttr("capture", view(capture.FieldCardNumber)))})
	if got := collect(t, cust, 17); got != "4000000000000002#" {
		t.Fatalf("customer keyed %q", got)
	}
	// A digit event for the same field does not make the customer key again; the next
	// field does.
	d.PaymentEvent(&payment.Event{Type: payment.EventCaptureDigit, Data: payment.NewData(payment.ViewAttr("capture", view(capture.FieldCardNumber)))})
	d.PaymentEvent(&payment.Event{Type: payment.EventCaptureFieldStarted, Data: payment.NewData(payment.ViewAttr("capture", view(capture.FieldExpiry)))})
	if got := collect(t, cust, 4); got != "1230" {
		t.Fatalf("expiry keyed %q", got)
	}
	// Leaving secure mode stops the customer keying.
	d.PaymentEvent(&payment.Event{Type: payment.EventSecureOff, Data: payment.NewData(payment.ViewAttr("capture", view("")))})
	d.PaymentEvent(&payment.Event{Type: payment.EventCaptureFieldStarted, Data: payment.NewData(payment.ViewAttr("capture", view(capture.FieldSecurityCode)))})
	select {
	case k := <-cust:
		t.Fatalf("customer keyed %q while not secure", k)
	case <-time.After(500 * time.Millisecond):
	}
}

// TestInbandKeys: with InbandDTMF the phone keys tones in its audio that a DTMF detector
// reads back exactly.
func TestInbandKeys(t *testing.T) {
	p, err := newPhone("customer", netip.MustParseAddr("127.0.0.1"), melody([]float64{440, 0}, 100, -20), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	p.inband = true
	rc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	p.remote = rc.LocalAddr().(*net.UDPAddr)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); p.close() }()
	go p.run(ctx)
	p.key("4#7", time.Millisecond)
	det := dtmf.NewDetector(dtmf.DefaultDetectorConfig())
	var got strings.Builder
	buf := make([]byte, 1500)
	lin := make([]int16, frame)
	deadline := time.Now().Add(10 * time.Second)
	for got.Len() < 3 && time.Now().Before(deadline) {
		_ = rc.SetReadDeadline(deadline)
		n, _, err := rc.ReadFromUDP(buf)
		if err != nil {
			break
		}
		var pkt rtp.Packet
		if pkt.Unmarshal(buf[:n]) != nil || pkt.PayloadType != ptPCMU || len(pkt.Payload) != frame {
			t.Fatalf("unexpected packet: pt %d, %d bytes", pkt.PayloadType, len(pkt.Payload))
		}
		audio.DecodeUlaw(lin, pkt.Payload)
		det.Process(lin, func(e dtmf.Event) {
			if e.Kind == dtmf.DigitStart {
				got.WriteByte(e.Digit)
			}
		})
	}
	if got.String() != "4#7" {
		t.Fatalf("detected %q, want 4#7", got.String())
	}
}
