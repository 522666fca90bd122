package media

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/pion/rtp"

	"github.com/hushpay/hushpay/internal/dtmf"
)

// fuzzSession is a session whose chains are driven directly (no remote: nothing is sent),
// with a tap that checks what would leave.
type fuzzSession struct {
	s       *Session
	secured bool
	t       *testing.T
}

func newFuzzSession(t *testing.T, mode dtmf.MaskMode) *fuzzSession {
	fs := &fuzzSession{t: t}
	opts := testOptions()
	opts.Mask.Mode = mode
	opts.Tap = TapFunc(func(from LegID, h *rtp.Header, payload []byte) {
		if from != Customer || !fs.secured || fs.s.dirs[Customer].state() != maskOn {
			return
		}
		// In secure mode (tone) nothing but G.711 audio and comfort noise leaves towards
		// the agent: no customer event, no opaque payload.
		switch h.PayloadType {
		case PTPCMU, PTPCMA:
		case PTCN:
			if len(payload) != 1 {
				t.Fatalf("comfort noise with %d bytes left in secure mode", len(payload))
			}
		case 101:
			if mode != dtmf.MaskDigit {
				t.Fatal("telephone-event left in secure mode")
			}
			for i := 0; i < len(payload); i += 4 {
				if payload[i] != 11 {
					t.Fatalf("event %d left in secure mode", payload[i])
				}
			}
		default:
			t.Fatalf("payload type %d left in secure mode", h.PayloadType)
		}
	})
	opts.Sink = DigitSinkFunc(func(DigitEvent) {})
	s, err := NewSession(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, l := range []LegID{Customer, Agent} {
		s.Leg(l).SetCodecs(defaultCodecs)
	}
	fs.s = s
	return fs
}

// feed runs a datagram through a direction's chain as if read from its socket.
func (fs *fuzzSession) feed(from LegID, b []byte, now int64) {
	d := fs.s.dirs[from]
	n := copy(d.p.buf[:], b)
	d.handle(n, now)
}

// splitDatagrams cuts fuzz input into datagrams: each is preceded by a 2-byte length; the
// top bit of the length sends it from the agent side, the next one toggles secure mode
// first.
func (fs *fuzzSession) run(data []byte) {
	now := int64(1e9)
	for len(data) >= 2 {
		h := binary.BigEndian.Uint16(data)
		data = data[2:]
		n := min(int(h&0x3fff), len(data))
		from := Customer
		if h&0x8000 != 0 {
			from = Agent
		}
		if h&0x4000 != 0 {
			fs.secured = !fs.secured
			if err := fs.s.SetSecure(fs.secured); err != nil {
				fs.t.Fatal(err)
			}
		}
		fs.feed(from, data[:n], now)
		data = data[n:]
		now += 20e6
	}
}

func datagram(flags uint16, p rtp.Packet) []byte {
	b, _ := p.Marshal()
	out := binary.BigEndian.AppendUint16(nil, uint16(len(b))|flags)
	return append(out, b...)
}

func fuzzSeeds() [][]byte {
	audioPkt := func(seq uint16, ts uint32, n int) rtp.Packet {
		pl := make([]byte, n)
		for i := range pl {
			pl[i] = byte(i * 37)
		}
		return rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: ts, SSRC: 5}, Payload: pl}
	}
	ev := func(seq uint16, ts uint32, dur uint16, end bool) rtp.Packet {
		pl := make([]byte, 4)
		dtmf.TelephoneEvent{Event: 5, End: end, Volume: 10, Duration: dur}.MarshalTo(pl)
		return rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: ts, SSRC: 5, Marker: dur == 0}, Payload: pl}
	}
	var call []byte
	call = append(call, datagram(0, audioPkt(1, 0, 160))...)
	call = append(call, datagram(0x4000, audioPkt(2, 160, 160))...)
	call = append(call, datagram(0, ev(3, 320, 0, false))...)
	call = append(call, datagram(0, ev(4, 320, 160, false))...)
	call = append(call, datagram(0, ev(5, 320, 320, true))...)
	call = append(call, datagram(0, ev(6, 320, 320, true))...)
	call = append(call, datagram(0, audioPkt(8, 640, 80))...)
	call = append(call, datagram(0, audioPkt(7, 480, 160))...)
	call = append(call, datagram(0x8000, audioPkt(100, 0, 160))...)
	cn := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 13, SequenceNumber: 9, Timestamp: 720, SSRC: 5}, Payload: []byte{40, 1, 2, 3}}
	call = append(call, datagram(0, cn)...)
	call = append(call, datagram(0x4000, audioPkt(10, 9000, 320))...)
	pad := audioPkt(11, 1000, 160)
	pad.Padding, pad.PaddingSize = true, 4
	ext := audioPkt(12, 1160, 160)
	ext.Extension, ext.ExtensionProfile = true, 0xBEDE
	ext.SetExtension(1, []byte{0xaa})
	ext.CSRC = []uint32{1, 2}
	return [][]byte{call, datagram(0x4000, pad), datagram(0x4000, ext), {0x40, 0x02, 0x80, 0x00}}
}

// FuzzCustomerPackets drives arbitrary datagrams (RTP, RFC 4733, comfort noise, garbage)
// through both chains, switching secure mode on and off, and checks that nothing panics
// and that in secure mode nothing but masked audio leaves towards the agent.
func FuzzCustomerPackets(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		newFuzzSession(t, dtmf.MaskTone).run(data)
	})
}

// FuzzCustomerPacketsDigitMode is FuzzCustomerPackets with events rewritten to the mask
// digit instead of replaced by audio.
func FuzzCustomerPacketsDigitMode(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		newFuzzSession(t, dtmf.MaskDigit).run(data)
	})
}
