package dtmf

import (
	"encoding/binary"
	"testing"
)

// FuzzDetectorAndGate feeds arbitrary audio, in arbitrary chunks, to the detector and the
// gate: no panic, events in order and well formed, gate ranges sane.
func FuzzDetectorAndGate(f *testing.F) {
	s, _, _ := Sequence("1#", SequenceOptions{ToneMS: 50, GapMS: 20, LevelDBm0: -3})
	b := make([]byte, 2*len(s))
	for i, x := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(x))
	}
	f.Add(b, uint8(7))
	f.Add([]byte{0xff, 0x7f, 0x00, 0x80}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		x := make([]int16, len(b)/2)
		for i := range x {
			x[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
		n := int(chunk)%200 + 1
		d := NewDetector(DefaultDetectorConfig())
		g := NewToneGate(DefaultGateConfig())
		var open byte
		var last int64
		emit := func(e Event) {
			switch e.Kind {
			case DigitStart:
				if open != 0 || !ValidDigit(e.Digit) || e.Sample < last-1 || e.Sample > e.At {
					t.Fatalf("bad start %+v (open %q, last %d)", e, open, last)
				}
				open, last = e.Digit, e.Sample
			case DigitEnd:
				if open != e.Digit || e.Sample < last {
					t.Fatalf("bad end %+v (open %q, start %d)", e, open, last)
				}
				open, last = 0, e.Sample
			default:
				t.Fatalf("bad kind %+v", e)
			}
		}
		for i := 0; i < len(x); i += n {
			j := min(i+n, len(x))
			d.Process(x[i:j], emit)
			g.Process(x[i:j], func(s, e int64) {
				if s < 0 || e <= s || e > int64(j)+int64(DefaultGateConfig().PostMargin) {
					t.Fatalf("bad range [%d,%d) after %d samples", s, e, j)
				}
			})
		}
		d.Flush(emit)
		if open != 0 {
			t.Fatal("digit left open after Flush")
		}
	})
}
