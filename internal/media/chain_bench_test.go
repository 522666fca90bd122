package media

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp"

	"github.com/hushpay/hushpay/internal/dtmf/dtmftest"
)

// benchChain measures one direction's chain per packet (no socket I/O: no remote is set).
func benchChain(b *testing.B, from LegID, secure bool) {
	opts := testOptions()
	s, err := NewSession(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.Leg(Customer).SetCodecs(defaultCodecs)
	s.Leg(Agent).SetCodecs(defaultCodecs)
	if secure {
		if err := s.SetSecure(true); err != nil {
			b.Fatal(err)
		}
	}
	st := &stream{samples: make([]int16, 160*50), ptime: 160, ssrc: 1}
	dtmftest.AddNoise(st.samples, -40, rand.New(rand.NewPCG(1, 2)))
	var pkts [][]byte
	for i := 0; i < 50; i++ {
		p := st.packet(i)
		raw, _ := p.Marshal()
		pkts = append(pkts, raw)
	}
	d := s.dirs[from]
	b.ReportAllocs()
	b.ResetTimer()
	var seq uint16
	var ts uint32
	for i := 0; i < b.N; i++ {
		raw := pkts[i%len(pkts)]
		n := copy(d.p.buf[:], raw)
		var h rtp.Header
		h.Unmarshal(raw)
		// keep the stream continuous
		d.p.buf[2], d.p.buf[3] = byte(seq>>8), byte(seq)
		d.p.buf[4], d.p.buf[5], d.p.buf[6], d.p.buf[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
		seq++
		ts += 160
		d.handle(n, int64(i)*20e6)
	}
}

func BenchmarkChainCustomerSecure(b *testing.B) { benchChain(b, Customer, true) }
func BenchmarkChainCustomerPlain(b *testing.B)  { benchChain(b, Customer, false) }
func BenchmarkChainAgentDetecting(b *testing.B) { benchChain(b, Agent, false) }
