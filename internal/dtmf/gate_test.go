package dtmf

import (
	"fmt"
	"testing"
)

// gateCoverage runs a gate over samples in chunks and checks the contract: after each chunk
// ending at N, every sample of [toneStart, toneEnd) below N-Latency is marked. It returns the
// marked flags.
func gateCoverage(t *testing.T, samples []int16, chunk int, tones [][2]int) []bool {
	t.Helper()
	marked, gap := coverage(DefaultGateConfig(), samples, chunk, tones)
	if gap != "" {
		t.Fatal(gap)
	}
	return marked
}

// coverage is gateCoverage for any configuration; gap describes the first uncovered sample.
func coverage(cfg GateConfig, samples []int16, chunk int, tones [][2]int) (marked []bool, gap string) {
	g := NewToneGate(cfg)
	marked = make([]bool, len(samples)+1024)
	for i := 0; i < len(samples); i += chunk {
		j := min(i+chunk, len(samples))
		g.Process(samples[i:j], func(s, e int64) {
			if s < 0 || e < s {
				panic(fmt.Sprintf("bad range [%d,%d)", s, e))
			}
			for k := s; k < e && k < int64(len(marked)); k++ {
				marked[k] = true
			}
		})
		limit := j - g.Latency()
		for _, tn := range tones {
			for k := tn[0]; k < tn[1] && k < limit; k++ {
				if !marked[k] && gap == "" {
					gap = fmt.Sprintf("tone [%d,%d): sample %d not marked once %d samples were processed", tn[0], tn[1], k, j)
				}
			}
		}
	}
	return marked, gap
}

func TestGateCoversTones(t *testing.T) {
	if l := NewToneGate(DefaultGateConfig()).Latency(); l > 160 {
		t.Fatalf("latency %d > 160", l)
	}
	for _, c := range []struct {
		name          string
		level, twist  float64
		toneMS, gapMS float64
	}{
		{"nominal", -10, 0, 70, 70},
		{"loud", -3, 0, 40, 40},
		{"quiet", -45, 0, 40, 40},
		{"short", -20, 0, 10, 30},
		{"normal twist", -30, -12, 40, 40},
		{"reverse twist", -30, 12, 40, 40},
	} {
		s, placed, err := Sequence(Digits, SequenceOptions{ToneMS: c.toneMS, GapMS: c.gapMS, LeadMS: 5, LevelDBm0: c.level, TwistDB: c.twist})
		if err != nil {
			t.Fatal(err)
		}
		s = append(s, make([]int16, 400)...)
		var tones [][2]int
		for _, p := range placed {
			tones = append(tones, [2]int{p.Start, p.End})
		}
		for _, chunk := range []int{1, 160, 333} {
			t.Run(c.name, func(t *testing.T) { gateCoverage(t, s, chunk, tones) })
		}
	}
}

func TestGateQuietOnSilenceAndTone(t *testing.T) {
	// Silence, and tones outside the DTMF bands, never trigger the gate.
	s := make([]int16, 8000)
	AddTone(s, 8000, 0, 8000, ToneSpec{LowHz: 400, LowDBm0: -10, HighHz: 2200, HighDBm0: -10})
	g := NewToneGate(DefaultGateConfig())
	g.Process(s, func(a, b int64) { t.Fatalf("marked [%d,%d) on 400 + 2200 Hz", a, b) })
	g.Reset()
	g.Process(make([]int16, 8000), func(a, b int64) { t.Fatalf("marked [%d,%d) on silence", a, b) })
}

func TestGateAllocs(t *testing.T) {
	g := NewToneGate(DefaultGateConfig())
	s, _, _ := Sequence("5", SequenceOptions{ToneMS: 100, GapMS: 0, LevelDBm0: -10})
	mark := func(a, b int64) {}
	if n := testing.AllocsPerRun(10, func() { g.Process(s[:160], mark) }); n != 0 {
		t.Errorf("Process allocates %v times", n)
	}
}
