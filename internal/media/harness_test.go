package media

import (
	"context"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hushpay/hushpay/internal/audio"
	"github.com/hushpay/hushpay/internal/dtmf"
	"github.com/hushpay/hushpay/internal/dtmf/dtmftest"
)

// The harness plays a customer phone and an agent phone over loopback UDP around a real
// Session, and records everything each phone receives.

var testPortBase = 41000

var testPool = func() *PortPool {
	p, err := NewPortPool(netip.MustParseAddr("127.0.0.1"), testPortBase, testPortBase+1999)
	if err != nil {
		panic(err)
	}
	return p
}()

// phone is one end of a call: a UDP socket and what it received.
type phone struct {
	conn *net.UDPConn
	mu   sync.Mutex
	got  []rtp.Packet
	rtcp [][]byte
	done chan struct{}
}

func newPhone(t *testing.T) *phone {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetReadBuffer(4 << 20); err != nil {
		t.Log(err)
	}
	ph := &phone{conn: c, done: make(chan struct{})}
	go func() {
		defer close(ph.done)
		buf := make([]byte, 2048)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if isRTCP(buf[:n]) {
				ph.mu.Lock()
				ph.rtcp = append(ph.rtcp, append([]byte(nil), buf[:n]...))
				ph.mu.Unlock()
				continue
			}
			var p rtp.Packet
			if err := p.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
				continue
			}
			ph.mu.Lock()
			ph.got = append(ph.got, p)
			ph.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-ph.done })
	return ph
}

func (ph *phone) addr() netip.AddrPort { return ph.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (ph *phone) count() int {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	return len(ph.got)
}

func (ph *phone) packets() []rtp.Packet {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	return append([]rtp.Packet(nil), ph.got...)
}

// waitFor waits until the phone has received at least n packets (or a while passed).
func (ph *phone) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for ph.count() < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// sink records digits.
type sink struct {
	mu     sync.Mutex
	digits []DigitEvent
}

func (s *sink) Digit(e DigitEvent) {
	s.mu.Lock()
	s.digits = append(s.digits, e)
	s.mu.Unlock()
}

func (s *sink) got() []DigitEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DigitEvent(nil), s.digits...)
}

func (s *sink) string(leg LegID) string {
	var b []byte
	for _, e := range s.got() {
		if e.Leg == leg {
			b = append(b, e.Digit)
		}
	}
	return string(b)
}

// call is a session with its two phones.
type call struct {
	s        *Session
	customer *phone
	agent    *phone
	sink     *sink
}

var defaultCodecs = []Codec{{PT: 0, Name: "PCMU"}, {PT: 8, Name: "PCMA"}, {PT: 101, Name: "telephone-event"}, {PT: 13, Name: "CN"}}

func testOptions() Options {
	return Options{
		Ports:        testPool,
		Latching:     true,
		LatchTimeout: 2 * time.Second,
		Mask:         dtmf.MaskConfig{Mode: dtmf.MaskTone, FreqHz: 440, LevelDBm0: -20, Digit: '#'},
		Delay:        20 * time.Millisecond,
		MaxLag:       time.Hour, // the harness sends faster than real time; lag is tested apart
		FailHold:     500 * time.Millisecond,
		DrainTimeout: 300 * time.Millisecond,
		AgentDigits:  true,
	}
}

func newCall(t *testing.T, opts Options) *call {
	t.Helper()
	c := &call{customer: newPhone(t), agent: newPhone(t), sink: &sink{}}
	if opts.Sink == nil {
		opts.Sink = c.sink
	}
	s, err := NewSession(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c.s = s
	// Each phone takes RTP and RTCP on one socket.
	s.Leg(Customer).SetRemote(c.customer.addr(), c.customer.addr())
	s.Leg(Agent).SetRemote(c.agent.addr(), c.agent.addr())
	for _, l := range []LegID{Customer, Agent} {
		if err := s.Leg(l).SetCodecs(defaultCodecs); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// sendRaw sends a marshalled packet from a phone to its leg of the session.
func (c *call) send(t *testing.T, from LegID, p *rtp.Packet) {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ph, l := c.customer, c.s.Leg(Customer)
	if from == Agent {
		ph, l = c.agent, c.s.Leg(Agent)
	}
	if _, err := ph.conn.WriteToUDPAddrPort(b, l.LocalRTP()); err != nil {
		t.Fatal(err)
	}
}

// stream is customer audio with digits, cut into packets.
type stream struct {
	samples []int16
	placed  []dtmf.Placed // in samples
	ptime   int           // samples per packet
	ssrc    uint32
	ts0     uint32
	seq0    uint16
}

// packet returns packet i of the stream as PCMU.
func (st *stream) packet(i int) *rtp.Packet {
	a := i * st.ptime
	pl := make([]byte, st.ptime)
	audio.EncodeUlaw(pl, st.samples[a:a+st.ptime])
	return &rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: st.seq0 + uint16(i), Timestamp: st.ts0 + uint32(a), SSRC: st.ssrc, Marker: i == 0},
		Payload: pl,
	}
}

func (st *stream) packets() int { return len(st.samples) / st.ptime }

// digitSpec is one key press placed in a stream.
type digitSpec struct {
	digit    byte
	atMS     float64
	durMS    float64
	levelDBm float64
	twistDB  float64
}

func makeStream(t *testing.T, totalMS float64, ptimeMS int, noiseDBm0 float64, digits []digitSpec, seed uint64) *stream {
	t.Helper()
	n := int(totalMS * 8)
	s := make([]int16, n)
	st := &stream{ptime: ptimeMS * 8, ssrc: 0x1234abcd, ts0: 90000, seq0: 65000}
	for _, d := range digits {
		tone, err := dtmf.DigitTone(d.digit, d.levelDBm, d.twistDB)
		if err != nil {
			t.Fatal(err)
		}
		at, dn := int(d.atMS*8), int(d.durMS*8)
		s = dtmf.AddTone(s, 8000, at, dn, tone)
		st.placed = append(st.placed, dtmf.Placed{Digit: d.digit, Start: at, End: at + dn})
	}
	dtmftest.AddNoise(s, noiseDBm0, rand.New(rand.NewPCG(seed, 7)))
	st.samples = s[:n-n%st.ptime]
	return st
}

// agentAudio rebuilds what the agent heard, by timestamp, from received PCMU/PCMA packets
// of the stream's SSRC. Missing stretches are zero.
func agentAudio(pkts []rtp.Packet, ts0 uint32, n int) []int16 {
	out, _ := agentAudioPresent(pkts, ts0, n)
	return out
}

// agentAudioPresent is agentAudio that also says which samples arrived.
func agentAudioPresent(pkts []rtp.Packet, ts0 uint32, n int) ([]int16, []bool) {
	out := make([]int16, n)
	present := make([]bool, n)
	tmp := make([]int16, 2048)
	for _, p := range pkts {
		if p.PayloadType != 0 && p.PayloadType != 8 {
			continue
		}
		off := int(int32(p.Timestamp - ts0))
		m := len(p.Payload)
		if p.PayloadType == 8 {
			audio.DecodeAlaw(tmp[:m], p.Payload)
		} else {
			audio.DecodeUlaw(tmp[:m], p.Payload)
		}
		for i := 0; i < m; i++ {
			if j := off + i; j >= 0 && j < n {
				out[j] = tmp[i]
				present[j] = true
			}
		}
	}
	return out, present
}

// dtmfFreqs are the eight DTMF frequencies.
var dtmfFreqs = []float64{697, 770, 852, 941, 1209, 1336, 1477, 1633}

// toneLevels returns, per 20 ms Hann-windowed block (10 ms hop), the strongest level (dBm0
// of an equivalent sine) found at any DTMF frequency. Blocks with samples missing (packets
// lost before the relay; a receiver would conceal them) report -200.
func toneLevels(s []int16, present ...[]bool) []float64 {
	const block = 160
	var out []float64
	win := make([]float64, block)
	for i := range win {
		win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(block-1))
	}
blocks:
	for a := 0; a+block <= len(s); a += block / 2 {
		best := -200.0
		if len(present) > 0 {
			for i := a; i < a+block; i++ {
				if !present[0][i] {
					out = append(out, best)
					continue blocks
				}
			}
		}
		for _, f := range dtmfFreqs {
			w := 2 * math.Pi * f / 8000
			var re, im float64
			for i := 0; i < block; i++ {
				v := float64(s[a+i]) * win[i]
				re += v * math.Cos(w*float64(i))
				im -= v * math.Sin(w*float64(i))
			}
			amp := 2 * math.Hypot(re, im) / (block * 0.5) // sine amplitude (Hann gain 0.5)
			lvl := 20 * math.Log10(amp/audio.SineAmplitude(0)+1e-12)
			best = max(best, lvl)
		}
		out = append(out, best)
	}
	return out
}

func maxOf(v []float64) float64 {
	m := -200.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func sortedSeqs(pkts []rtp.Packet) []uint16 {
	s := make([]uint16, 0, len(pkts))
	for _, p := range pkts {
		s = append(s, p.SequenceNumber)
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}
