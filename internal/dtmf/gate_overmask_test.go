package dtmf

import (
	"math"
	"testing"

	"github.com/hushpay/hushpay/internal/audio"
)

// maskStats is how much of a kind of audio the gate marks.
type maskStats struct {
	seconds, activeSeconds float64
	markedPct, activePct   float64 // of all audio, of active audio
	runsPerSec             float64 // masked runs per second of active audio
	meanRunMS              float64
}

// activeFlags flags the 20 ms frames of s whose power is above -50 dBm0 (a sine's
// convention): talk or music, not pauses.
func activeFlags(s []int16) []bool {
	a := audio.SineAmplitude(-50)
	thr := a * a / 2 * 160
	act := make([]bool, len(s))
	for i := 0; i < len(s); i += 160 {
		j := min(i+160, len(s))
		var e float64
		for _, x := range s[i:j] {
			e += float64(x) * float64(x)
		}
		if e*160 >= thr*float64(j-i) {
			for k := i; k < j; k++ {
				act[k] = true
			}
		}
	}
	return act
}

func measureMasking(cfg GateConfig, items []corpusItem, kind string) maskStats {
	var total, active, marked, markedActive, runs, runLen int
	for _, it := range items {
		if it.Kind != kind {
			continue
		}
		m, _ := coverage(cfg, it.Samples, 160, nil)
		m = m[:len(it.Samples)]
		act := activeFlags(it.Samples)
		for i, x := range m {
			total++
			if act[i] {
				active++
			}
			if x {
				marked++
				runLen++
				if act[i] {
					markedActive++
				}
				if i == 0 || !m[i-1] {
					runs++
				}
			}
		}
	}
	st := maskStats{seconds: float64(total) / 8000, activeSeconds: float64(active) / 8000}
	st.markedPct = 100 * float64(marked) / float64(max(total, 1))
	st.activePct = 100 * float64(markedActive) / float64(max(active, 1))
	st.runsPerSec = float64(runs) / math.Max(st.activeSeconds, 1e-9)
	if runs > 0 {
		st.meanRunMS = float64(runLen) / float64(runs) / 8
	}
	return st
}

// TestGateOverMasking measures how much speech and music the gate marks (over-masking: the
// corpus holds no digit but two music sweeps) and fails when it grows back towards the
// 26 % of active speech and 32 % of music the first gate marked.
func TestGateOverMasking(t *testing.T) {
	items := talkOffCorpus(t)
	for _, c := range []struct {
		kind  string
		limit float64 // % of active audio
	}{{"speech", 8}, {"music", 20}} {
		st := measureMasking(DefaultGateConfig(), items, c.kind)
		t.Logf("%s: %.0f s (%.0f s active): gate marks %.2f %% of all, %.2f %% of active audio; %.2f runs per active second, mean %.0f ms",
			c.kind, st.seconds, st.activeSeconds, st.markedPct, st.activePct, st.runsPerSec, st.meanRunMS)
		if st.activePct > c.limit {
			t.Errorf("%s: gate marks %.2f %% of active audio, want <= %g %%", c.kind, st.activePct, c.limit)
		}
	}
}
