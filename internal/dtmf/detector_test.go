package dtmf

import (
	"math"
	"testing"
)

// decode runs a fresh detector over samples in chunks of the given size and returns the
// digits as (digit, start, end).
type found struct {
	Digit      byte
	Start, End int64
	Confirmed  int64 // sample count when DigitStart was emitted
}

func decode(samples []int16, chunk int) []found {
	d := NewDetector(DefaultDetectorConfig())
	var out []found
	emit := func(e Event) {
		switch e.Kind {
		case DigitStart:
			out = append(out, found{Digit: e.Digit, Start: e.Sample, End: -1, Confirmed: e.At})
		case DigitEnd:
			out[len(out)-1].End = e.Sample
		}
	}
	for i := 0; i < len(samples); i += chunk {
		j := min(i+chunk, len(samples))
		d.Process(samples[i:j], emit)
	}
	d.Flush(emit)
	return out
}

func TestDetectorAllDigits(t *testing.T) {
	s, placed, err := Sequence(Digits, SequenceOptions{ToneMS: 50, GapMS: 50, LeadMS: 13, LevelDBm0: -10})
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1, 7, 160, 4096} {
		got := decode(s, chunk)
		if len(got) != len(placed) {
			t.Fatalf("chunk %d: found %d digits, want %d: %+v", chunk, len(got), len(placed), got)
		}
		for i, p := range placed {
			g := got[i]
			if g.Digit != p.Digit {
				t.Errorf("chunk %d: digit %d = %c, want %c", chunk, i, g.Digit, p.Digit)
			}
			if math.Abs(float64(g.Start-int64(p.Start))) > 4 || math.Abs(float64(g.End-int64(p.End))) > 4 {
				t.Errorf("chunk %d: %c at [%d,%d), want [%d,%d)", chunk, p.Digit, g.Start, g.End, p.Start, p.End)
			}
			if lat := g.Confirmed - int64(p.Start); lat > 240 {
				t.Errorf("chunk %d: %c confirmed %d samples after onset", chunk, p.Digit, lat)
			}
		}
	}
}

func TestDetectorFlushAndReset(t *testing.T) {
	s, _, _ := Sequence("9", SequenceOptions{ToneMS: 60, GapMS: 0, LeadMS: 10, LevelDBm0: -10})
	d := NewDetector(DefaultDetectorConfig())
	var ev []Event
	emit := func(e Event) { ev = append(ev, e) }
	d.Process(s, emit)
	if len(ev) != 1 || ev[0].Kind != DigitStart {
		t.Fatalf("before flush: %+v", ev)
	}
	d.Flush(emit)
	if len(ev) != 2 || ev[1].Kind != DigitEnd || ev[1].Digit != '9' || ev[1].Sample > int64(len(s)) {
		t.Fatalf("after flush: %+v", ev)
	}
	d.Reset()
	ev = nil
	d.Process(s, emit)
	d.Flush(emit)
	if len(ev) != 2 || ev[0].Sample < 78 || ev[0].Sample > 82 {
		t.Fatalf("after reset: %+v", ev)
	}
	if n := testing.AllocsPerRun(10, func() { d.Process(s[:160], func(Event) {}) }); n != 0 {
		t.Errorf("Process allocates %v times", n)
	}
}
