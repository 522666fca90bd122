package media

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/hushpay/hushpay/internal/dtmf"
)

func TestSetSecureRefused(t *testing.T) {
	tests := []struct {
		name   string
		codecs []Codec
		want   error
	}{
		{"no codecs", nil, ErrNoCodecs},
		{"opaque audio codec", []Codec{{PT: 0, Name: "PCMU"}, {PT: 9, Name: "G722"}}, ErrCodecNotMaskable},
		{"opus", []Codec{{PT: 111, Name: "opus", ClockRate: 48000}}, ErrCodecNotMaskable},
		{"events only", []Codec{{PT: 101, Name: "telephone-event"}}, ErrCodecNotMaskable},
		{"PCMU at 16 kHz is not G.711", []Codec{{PT: 96, Name: "PCMU", ClockRate: 16000}}, ErrCodecNotMaskable},
		{"PCMA and events", []Codec{{PT: 8, Name: "pcma"}, {PT: 96, Name: "telephone-event", ClockRate: 8000}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSession(context.Background(), testOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if tt.codecs != nil {
				if err := s.Leg(Customer).SetCodecs(tt.codecs); err != nil {
					t.Fatal(err)
				}
			}
			err = s.SetSecure(true)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("SetSecure = %v, want %v", err, tt.want)
			}
			if s.Secure() != (tt.want == nil) {
				t.Fatalf("Secure() = %v after %v", s.Secure(), err)
			}
		})
	}
}

func TestSetCodecsInvalid(t *testing.T) {
	s, err := NewSession(context.Background(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, cs := range [][]Codec{{{PT: 128, Name: "PCMU"}}, {{PT: 0, Name: "PCMU"}, {PT: 0, Name: "PCMA"}}} {
		if err := s.Leg(Agent).SetCodecs(cs); !errors.Is(err, ErrBadCodec) {
			t.Errorf("SetCodecs(%v) = %v", cs, err)
		}
	}
}

func TestCloseReleasesPortsAndIsIdempotent(t *testing.T) {
	pool, err := NewPortPool(netip.MustParseAddr("127.0.0.1"), 43000, 43003)
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.Ports = pool
	for range 3 { // the pool has room for one session: each must give its ports back
		s, err := NewSession(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewSession(context.Background(), opts); !errors.Is(err, ErrNoPorts) {
			t.Fatalf("second session: %v, want ErrNoPorts", err)
		}
		s.Close()
		s.Close()
		if err := s.SetSecure(true); !errors.Is(err, ErrClosed) {
			t.Fatalf("SetSecure after Close = %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := NewSession(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(2 * time.Second)
	for !s.closed.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !s.closed.Load() {
		t.Fatal("session not closed when its context ended")
	}
}

func TestRTCPMuxAndLegAddresses(t *testing.T) {
	opts := testOptions()
	opts.RTCPMux = true
	c := newCall(t, opts)
	l := c.s.Leg(Customer)
	if !l.RTCPMux() || l.LocalRTCP() != l.LocalRTP() || l.LocalRTP().Port()%2 != 0 {
		t.Fatalf("mux leg: rtp %v rtcp %v", l.LocalRTP(), l.LocalRTCP())
	}
	// RTCP on the RTP port is forwarded to the other side's RTP port.
	rr, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: 9}})
	if _, err := c.customer.conn.WriteToUDPAddrPort(rr, l.LocalRTP()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		c.agent.mu.Lock()
		n := len(c.agent.rtcp)
		c.agent.mu.Unlock()
		if n > 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("RTCP not forwarded over rtcp-mux")
}

// TestTransparentOutsideSecure: every header field and payload arrives as sent, including
// odd packet sizes, marker bits, comfort noise, unknown payload types, SSRC changes,
// timestamp jumps, duplicates and reordering, in both directions.
func TestTransparentOutsideSecure(t *testing.T) {
	c := newCall(t, testOptions())
	var sent [2][]rtp.Packet
	mk := func(pt uint8, seq uint16, ts, ssrc uint32, marker bool, n int) rtp.Packet {
		pl := make([]byte, n)
		for i := range pl {
			pl[i] = byte(int(seq)*7 + i)
		}
		return rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc, Marker: marker}, Payload: pl}
	}
	for leg := range 2 {
		pkts := []rtp.Packet{
			mk(0, 1, 0, 1, true, 160), mk(0, 2, 160, 1, false, 80), mk(8, 3, 240, 1, false, 240), mk(0, 5, 480, 1, false, 320),
			mk(0, 4, 480, 1, false, 160), mk(0, 4, 480, 1, false, 160), mk(13, 6, 800, 1, false, 1), mk(0, 7, 900000, 1, true, 160),
			mk(99, 8, 900160, 1, false, 33), mk(0, 500, 77, 2, true, 160), mk(101, 501, 237, 2, true, 4),
		}
		for i := range pkts {
			c.send(t, LegID(leg), &pkts[i])
		}
		sent[leg] = pkts
	}
	c.agent.waitFor(t, len(sent[Customer]))
	c.customer.waitFor(t, len(sent[Agent]))
	for leg, ph := range []*phone{c.agent, c.customer} {
		got := ph.packets()
		if len(got) != len(sent[leg]) {
			t.Fatalf("leg %d: %d packets arrived, sent %d", leg, len(got), len(sent[leg]))
		}
		for i := range got {
			a, _ := got[i].Marshal()
			b, _ := sent[leg][i].Marshal()
			if !bytes.Equal(a, b) {
				t.Errorf("leg %d packet %d altered:\n got %v\nwant %v", leg, i, got[i].Header, sent[leg][i].Header)
			}
		}
	}
}

func TestPayloadTypeMappedBetweenLegs(t *testing.T) {
	c := newCall(t, testOptions())
	if err := c.s.Leg(Agent).SetCodecs([]Codec{{PT: 0, Name: "PCMU"}, {PT: 96, Name: "telephone-event"}}); err != nil {
		t.Fatal(err)
	}
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: 1, SSRC: 1}, Payload: []byte{1, 0, 0, 0}}
	c.send(t, Customer, &p)
	c.agent.waitFor(t, 1)
	if got := c.agent.packets(); len(got) != 1 || got[0].PayloadType != 96 || !bytes.Equal(got[0].Payload, p.Payload) {
		t.Fatalf("got %v", got)
	}
}

func TestLatching(t *testing.T) {
	c := newCall(t, testOptions())
	// The SDP said one address; packets come from another (NAT): the relay answers there.
	c.s.Leg(Agent).SetRemote(netip.MustParseAddrPort("127.0.0.1:9"), netip.AddrPort{})
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1, SSRC: 1}, Payload: make([]byte, 160)}
	c.send(t, Agent, &p)
	c.customer.waitFor(t, 1)
	deadline := time.Now().Add(2 * time.Second)
	for c.s.Leg(Agent).Remote() != c.agent.addr() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := c.s.Leg(Agent).Remote(); got != c.agent.addr() {
		t.Fatalf("agent leg remote %v, want latched %v", got, c.agent.addr())
	}
	// An intruder on another port is ignored while the latched source is alive.
	intruder := newPhone(t)
	b, _ := p.Marshal()
	intruder.conn.WriteToUDPAddrPort(b, c.s.Leg(Agent).LocalRTP())
	deadline = time.Now().Add(2 * time.Second)
	for c.s.Stats().AgentToCustomer.Foreign == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if c.s.Stats().AgentToCustomer.Foreign != 1 || c.s.Leg(Agent).Remote() != c.agent.addr() {
		t.Fatalf("intruder not ignored: %+v remote %v", c.s.Stats().AgentToCustomer, c.s.Leg(Agent).Remote())
	}
	// A re-INVITE (hold, resume) declares the same address again: the latch survives.
	c.s.Leg(Agent).SetRemote(netip.MustParseAddrPort("127.0.0.1:9"), netip.AddrPort{})
	if got := c.s.Leg(Agent).Remote(); got != c.agent.addr() {
		t.Fatalf("re-declaring the same address dropped the latch: remote %v, want %v", got, c.agent.addr())
	}
	// A new address in the SDP is taken at once.
	moved := netip.MustParseAddrPort("127.0.0.1:11")
	c.s.Leg(Agent).SetRemote(moved, netip.AddrPort{})
	if got := c.s.Leg(Agent).Remote(); got != moved {
		t.Fatalf("remote %v after a new address in the SDP, want %v", got, moved)
	}
}

// TestAgentDigitsOutsideSecure: the agent keys a call reference as tones, events and SIP
// INFO; each press is reported once; nothing of the agent's is reported in secure mode and
// the customer's digits are not reported outside it.
func TestAgentDigitsOutsideSecure(t *testing.T) {
	c := newCall(t, testOptions())
	st := makeStream(t, 1400, 20, -55, []digitSpec{
		{digit: '1', atMS: 200, durMS: 80, levelDBm: -10}, {digit: '2', atMS: 500, durMS: 80, levelDBm: -10},
		{digit: '3', atMS: 800, durMS: 80, levelDBm: -10},
	}, 5)
	cust := makeStream(t, 1400, 20, -55, []digitSpec{{digit: '9', atMS: 300, durMS: 80, levelDBm: -10}}, 6)
	cust.ssrc = 77
	for i := 0; i < st.packets(); i++ {
		c.send(t, Agent, st.packet(i))
		c.send(t, Customer, cust.packet(i))
		if i == 510*8/st.ptime { // the '2' also as RFC 4733 and SIP INFO
			ev := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: 9999, Timestamp: st.ts0 + 500*8, SSRC: st.ssrc, Marker: true}, Payload: []byte{2, 10, 0, 160}}
			c.send(t, Agent, &ev)
			if err := c.s.SIPInfoDigit(Agent, '2'); err != nil {
				t.Fatal(err)
			}
		}
		c.customer.waitFor(t, i)
	}
	c.customer.waitFor(t, st.packets()+1)
	if got := c.sink.string(Agent); got != "123" {
		t.Fatalf("agent digits %q, want 123", got)
	}
	if got := c.sink.string(Customer); got != "" {
		t.Fatalf("customer digits reported outside secure mode: %q", got)
	}
	if err := c.s.SIPInfoDigit(Customer, '5'); err != nil {
		t.Fatal(err)
	}
	if err := c.s.SIPInfoDigit(Agent, 'x'); !errors.Is(err, ErrBadDigit) {
		t.Fatalf("bad digit: %v", err)
	}
	if err := c.s.SetSecure(true); err != nil {
		t.Fatal(err)
	}
	if err := c.s.SIPInfoDigit(Agent, '4'); err != nil {
		t.Fatal(err)
	}
	if err := c.s.SIPInfoDigit(Customer, '6'); err != nil {
		t.Fatal(err)
	}
	if a, cu := c.sink.string(Agent), c.sink.string(Customer); a != "123" || cu != "6" {
		t.Fatalf("after secure: agent %q customer %q, want 123 and 6", a, cu)
	}
}

// TestMaskDigitReplacesEvents: in mode digit the agent gets the same event for every key,
// with the original sequence numbers, timestamps and durations.
func TestMaskDigitReplacesEvents(t *testing.T) {
	opts := testOptions()
	opts.Mask = dtmf.MaskConfig{Mode: dtmf.MaskDigit, Digit: '#', LevelDBm0: -10}
	c := newCall(t, opts)
	if err := c.s.SetSecure(true); err != nil {
		t.Fatal(err)
	}
	pkts, err := dtmf.AppendKeyPress(nil, '7', 1000, 800, 160, 10)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range pkts {
		pl := make([]byte, 4)
		e.Event.MarshalTo(pl)
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: uint16(100 + i), Timestamp: e.Timestamp, SSRC: 3, Marker: e.Marker}, Payload: pl}
		c.send(t, Customer, &p)
	}
	c.agent.waitFor(t, len(pkts))
	got := c.agent.packets()
	if len(got) != len(pkts) {
		t.Fatalf("%d packets arrived, sent %d", len(got), len(pkts))
	}
	for i, p := range got {
		var ev dtmf.TelephoneEvent
		if err := ev.Unmarshal(p.Payload); err != nil {
			t.Fatal(err)
		}
		if ev.Event != 11 || ev.Duration != pkts[i].Event.Duration || p.SequenceNumber != uint16(100+i) || p.Timestamp != pkts[i].Timestamp {
			t.Errorf("packet %d: event %d dur %d seq %d", i, ev.Event, ev.Duration, p.SequenceNumber)
		}
	}
	if c.sink.string(Customer) != "7" {
		t.Fatalf("sink got %q, want 7", c.sink.string(Customer))
	}
}

// TestEventsReplacedByAudioKeepSequence: in mode tone the events become masking audio; the
// repeats are dropped and the agent sees an unbroken sequence, then the next audio.
func TestEventsReplacedByAudioKeepSequence(t *testing.T) {
	c := newCall(t, testOptions())
	if err := c.s.SetSecure(true); err != nil {
		t.Fatal(err)
	}
	seq := uint16(65530)
	send := func(p *rtp.Packet) {
		p.SequenceNumber = seq
		seq++
		c.send(t, Customer, p)
	}
	audioPkt := func(ts uint32) *rtp.Packet {
		return &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, Timestamp: ts, SSRC: 3}, Payload: bytes.Repeat([]byte{0xff}, 160)}
	}
	ts := uint32(5000)
	for range 5 {
		send(audioPkt(ts))
		ts += 160
	}
	evs, _ := dtmf.AppendKeyPress(nil, '4', ts, 800, 160, 10)
	for _, e := range evs {
		pl := make([]byte, 4)
		e.Event.MarshalTo(pl)
		send(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, Timestamp: e.Timestamp, SSRC: 3, Marker: e.Marker}, Payload: pl})
	}
	ts += 800
	for range 5 {
		send(audioPkt(ts))
		ts += 160
	}
	c.agent.waitFor(t, 15)
	time.Sleep(20 * time.Millisecond)
	got := c.agent.packets()
	wantTS := uint32(5000)
	for i, p := range got {
		if p.PayloadType != 0 {
			t.Fatalf("packet %d has payload type %d", i, p.PayloadType)
		}
		if p.SequenceNumber != uint16(65530+i) {
			t.Fatalf("packet %d: seq %d, want %d", i, p.SequenceNumber, uint16(65530+i))
		}
		if p.Timestamp != wantTS {
			t.Fatalf("packet %d: ts %d, want %d", i, p.Timestamp, wantTS)
		}
		wantTS += uint32(len(p.Payload))
	}
	if wantTS != ts {
		t.Fatalf("timeline ends at %d, want %d", wantTS, ts)
	}
	if c.sink.string(Customer) != "4" {
		t.Fatalf("sink got %q", c.sink.string(Customer))
	}
	// RTCP from the customer now reports the packets the agent really got.
	sr, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.SenderReport{SSRC: 3, PacketCount: uint32(seq - 65530), OctetCount: 10 * 160 * 2}})
	c.customer.conn.WriteToUDPAddrPort(sr, c.s.Leg(Customer).LocalRTCP())
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		c.agent.mu.Lock()
		var r []byte
		if len(c.agent.rtcp) > 0 {
			r = c.agent.rtcp[0]
		}
		c.agent.mu.Unlock()
		if r != nil {
			pk, err := rtcp.Unmarshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if n := pk[0].(*rtcp.SenderReport).PacketCount; n != uint32(len(got)) {
				t.Fatalf("sender report says %d packets, agent got %d", n, len(got))
			}
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("sender report not forwarded")
}

// TestSinkMayCallBack: the capture engine ends secure mode from inside Digit (the last digit
// of a card) and the agent's call reference starts it: neither deadlocks.
func TestSinkMayCallBack(t *testing.T) {
	opts := testOptions()
	var sp atomic.Pointer[Session]
	done := make(chan struct{}, 2)
	opts.Sink = DigitSinkFunc(func(e DigitEvent) {
		sp.Load().SetSecure(e.Leg == Agent)
		done <- struct{}{}
	})
	c := newCall(t, opts)
	sp.Store(c.s)
	s := c.s
	send := func(from LegID, digit uint8, seq uint16) {
		pl := make([]byte, 4)
		dtmf.TelephoneEvent{Event: digit, Volume: 10, Duration: 400}.MarshalTo(pl)
		c.send(t, from, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: 8000 * uint32(seq), SSRC: uint32(from) + 1, Marker: true}, Payload: pl})
	}
	for i, leg := range []LegID{Agent, Customer} {
		send(leg, 3, uint16(i+1))
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatalf("sink for the %v digit did not return (deadlock?)", leg)
		}
		if s.Secure() != (leg == Agent) {
			t.Fatalf("after the %v digit Secure() = %v", leg, s.Secure())
		}
	}
}

// TestTapSeesWhatLeaves: the recorder's tap gets exactly the packets the agent and the
// customer receive, masked, in both directions.
func TestTapSeesWhatLeaves(t *testing.T) {
	opts := testOptions()
	var mu sync.Mutex
	tapped := map[LegID][]rtp.Packet{}
	opts.Tap = TapFunc(func(from LegID, h *rtp.Header, payload []byte) {
		mu.Lock()
		tapped[from] = append(tapped[from], rtp.Packet{Header: *h, Payload: append([]byte(nil), payload...)})
		mu.Unlock()
	})
	c := newCall(t, opts)
	if err := c.s.SetSecure(true); err != nil {
		t.Fatal(err)
	}
	st := makeStream(t, 1000, 20, -55, []digitSpec{{digit: '7', atMS: 300, durMS: 90, levelDBm: -10}}, 8)
	back := makeStream(t, 1000, 20, -40, nil, 9)
	back.ssrc = 99
	for i := 0; i < st.packets(); i++ {
		c.send(t, Customer, st.packet(i))
		c.send(t, Agent, back.packet(i))
		if i%8 == 0 {
			c.agent.waitFor(t, i)
		}
	}
	c.agent.waitFor(t, st.packets())
	c.customer.waitFor(t, back.packets())
	mu.Lock()
	defer mu.Unlock()
	for from, ph := range map[LegID]*phone{Customer: c.agent, Agent: c.customer} {
		got := ph.packets()
		if len(got) != len(tapped[from]) {
			t.Fatalf("from %v: tap saw %d packets, peer got %d", from, len(tapped[from]), len(got))
		}
		for i := range got {
			a, _ := got[i].Marshal()
			b, _ := tapped[from][i].Marshal()
			if !bytes.Equal(a, b) {
				t.Fatalf("from %v packet %d: tap and peer differ", from, i)
			}
		}
	}
	assertNoDigits(t, agentAudio(tapped[Customer], st.ts0, len(st.samples)))
	if c.sink.string(Customer) != "7" {
		t.Fatalf("sink got %q", c.sink.string(Customer))
	}
}
