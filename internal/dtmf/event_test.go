package dtmf

import (
	"math/rand/v2"
	"slices"
	"testing"
)

type rtpPacket struct {
	seq     uint16
	ts      uint32
	marker  bool
	payload []byte
}

// packets turns key presses into RTP packets with consecutive sequence numbers.
func packets(t *testing.T, seq uint16, presses ...[]EventPacket) []rtpPacket {
	t.Helper()
	var out []rtpPacket
	for _, ps := range presses {
		for _, p := range ps {
			b := make([]byte, 4)
			if _, err := p.Event.MarshalTo(b); err != nil {
				t.Fatal(err)
			}
			out = append(out, rtpPacket{seq: seq, ts: p.Timestamp, marker: p.Marker, payload: b})
			seq++
		}
	}
	return out
}

func press(t *testing.T, d byte, ts, dur uint32) []EventPacket {
	t.Helper()
	p, err := AppendKeyPress(nil, d, ts, dur, 160, 10)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func receive(t *testing.T, pkts []rtpPacket) []KeyPress {
	t.Helper()
	r := NewEventReceiver()
	var got []KeyPress
	for _, p := range pkts {
		if err := r.Receive(p.seq, p.ts, p.marker, p.payload, func(k KeyPress) { got = append(got, k) }); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func digitsOf(k []KeyPress) string {
	var b []byte
	for _, p := range k {
		b = append(b, p.Digit)
	}
	return string(b)
}

func TestAppendKeyPress(t *testing.T) {
	ps := press(t, '7', 1000, 800)
	// first + 5 growing + 3 end
	if len(ps) != 9 {
		t.Fatalf("%d packets: %+v", len(ps), ps)
	}
	for i, p := range ps {
		if p.Timestamp != 1000 || p.Event.Event != 7 || p.Event.Volume != 10 {
			t.Errorf("packet %d: %+v", i, p)
		}
		if p.Marker != (i == 0) {
			t.Errorf("packet %d marker %v", i, p.Marker)
		}
		if i < 6 && (p.Event.End || p.Event.Duration != uint16(160*i)) {
			t.Errorf("packet %d: %+v", i, p.Event)
		}
		if i >= 6 && (!p.Event.End || p.Event.Duration != 800) {
			t.Errorf("end packet %d: %+v", i, p.Event)
		}
	}
	odd := press(t, '1', 0, 250)
	if last := odd[len(odd)-1].Event.Duration; last != 250 {
		t.Errorf("duration 250 ends with %d", last)
	}
	if _, err := AppendKeyPress(nil, 'x', 0, 160, 160, 0); err == nil {
		t.Error("bad digit accepted")
	}
	if _, err := AppendKeyPress(nil, '1', 0, 0, 160, 0); err == nil {
		t.Error("zero duration accepted")
	}
}

func TestLongEventSegmentation(t *testing.T) {
	const dur = 3*0xFFFF + 1000
	ps := press(t, '#', 0xFFFF0000, dur) // also wraps the timestamp
	var segs []uint32
	for i, p := range ps {
		if !slices.Contains(segs, p.Timestamp) {
			segs = append(segs, p.Timestamp)
			if p.Marker != (i == 0) {
				t.Errorf("segment start %d marker %v", i, p.Marker)
			}
		}
		if i > 0 && p.Marker {
			t.Errorf("marker on packet %d", i)
		}
	}
	start := uint32(0xFFFF0000)
	want := []uint32{start, start + 0xFFFF, start + 2*0xFFFF, start + 3*0xFFFF}
	if !slices.Equal(segs, want) {
		t.Fatalf("segments %x, want %x", segs, want)
	}
	// Each non-final segment reports 0xFFFF last; the final one ends at the remainder.
	if e := ps[len(ps)-1].Event; !e.End || e.Duration != 1000 {
		t.Errorf("last packet %+v", e)
	}
	if got := receive(t, packets(t, 1, ps)); digitsOf(got) != "#" {
		t.Errorf("long event received as %q", digitsOf(got))
	}
}

func TestEventReceiverExactlyOnce(t *testing.T) {
	base := [][]EventPacket{
		press(t, '4', 1000, 800), press(t, '1', 3000, 480), press(t, '1', 5000, 160),
		press(t, '1', 7000, 1600), press(t, '#', 12000, 320),
	}
	all := packets(t, 100, base...)
	if got := digitsOf(receive(t, all)); got != "4111#" {
		t.Fatalf("clean stream: %q", got)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		var pk []rtpPacket
		for _, p := range all {
			switch x := rng.IntN(10); {
			case x == 0: // lost
			case x == 1: // duplicated
				pk = append(pk, p, p)
			default:
				pk = append(pk, p)
			}
		}
		// local reordering
		for i := 1; i < len(pk); i++ {
			if rng.IntN(5) == 0 {
				pk[i-1], pk[i] = pk[i], pk[i-1]
			}
		}
		got := receive(t, pk)
		// each press at most once, and every press with a surviving packet exactly once
		for _, ps := range base {
			n := 0
			for _, k := range got {
				if k.Timestamp == ps[0].Timestamp {
					n++
				}
			}
			survived := 0
			for _, p := range pk {
				if p.ts == ps[0].Timestamp {
					survived++
				}
			}
			if n > 1 || (survived > 0) != (n == 1) {
				t.Fatalf("trial %d: press at %d reported %d times (%d packets survived)", trial, ps[0].Timestamp, n, survived)
			}
		}
	}
}

func TestEventReceiverIgnoresNonDigitsAndStale(t *testing.T) {
	r := NewEventReceiver()
	var got []KeyPress
	emit := func(k KeyPress) { got = append(got, k) }
	_ = r.Receive(1, 100, true, []byte{16, 0, 0, 160}, emit) // flash
	if len(got) != 0 {
		t.Fatal("flash reported as a digit")
	}
	if err := r.Receive(2, 200, true, []byte{1, 2}, emit); err == nil {
		t.Fatal("short payload accepted")
	}
	// Fill the history, then a very old packet does not come back as a new press.
	for i := range 20 {
		_ = r.Receive(uint16(3+i), uint32(1000+i*1000), true, []byte{1, 0, 0, 160}, emit)
	}
	n := len(got)
	_ = r.Receive(30, 1000, false, []byte{1, 0x80, 0, 160}, emit)
	if len(got) != n {
		t.Fatal("stale packet reported again")
	}
}

func TestEventReceiverSameDigitAfterLostEnd(t *testing.T) {
	// '1' whose end packets are all lost, then '1' again 2 s later whose first packet (with
	// the marker) is lost too: still two key presses.
	a := press(t, '1', 1000, 800)
	b := press(t, '1', 17000, 800)
	pk := packets(t, 1, a[:len(a)-3], b[1:])
	if got := digitsOf(receive(t, pk)); got != "11" {
		t.Fatalf("got %q, want 11", got)
	}
}

func FuzzEventReceiver(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 1, 5, 10, 0, 160})
	f.Add([]byte{0, 1, 0, 0, 0, 1, 11, 0x8A, 3, 32})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewEventReceiver()
		seen := map[uint32]int{}
		for len(b) >= 6 {
			seq := uint16(b[0])<<8 | uint16(b[1])
			ts := uint32(b[2])<<8 | uint32(b[3])
			marker := b[4]&1 == 1
			n := int(b[5] % 8)
			b = b[6:]
			n = min(n, len(b))
			_ = r.Receive(seq, ts, marker, b[:n], func(k KeyPress) {
				seen[k.Timestamp]++
				if seen[k.Timestamp] > 1 {
					t.Fatalf("timestamp %d reported twice", k.Timestamp)
				}
			})
			b = b[n:]
		}
	})
}

func TestEventReceiverTimestampWrap(t *testing.T) {
	a := press(t, '9', 0xFFFFFE00, 800) // just before the RTP timestamp wraps
	b := press(t, '8', 0x00000300, 800) // after the wrap
	pk := packets(t, 0xFFF0, a, b)      // sequence numbers wrap too
	// deliver b's first packets before a's end packets
	pk[len(a)-1], pk[len(a)] = pk[len(a)], pk[len(a)-1]
	if got := digitsOf(receive(t, pk)); got != "98" {
		t.Fatalf("got %q, want 98", got)
	}
}
