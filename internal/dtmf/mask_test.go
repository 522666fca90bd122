package dtmf

import (
	"errors"
	"math"
	"testing"

	"github.com/hushpay/hushpay/internal/audio"
)

func TestMaskSignal(t *testing.T) {
	bad := []MaskConfig{
		{Mode: "loud"},
		{Mode: MaskTone, FreqHz: 0, LevelDBm0: -10},
		{Mode: MaskTone, FreqHz: 5000, LevelDBm0: -10},
		{Mode: MaskTone, FreqHz: 1000, LevelDBm0: 10},
		{Mode: MaskDigit, Digit: 'x', LevelDBm0: -10},
		{Mode: MaskDigit, Digit: '#', LevelDBm0: 0},
		{Mode: MaskNoise, LevelDBm0: math.NaN()},
	}
	for _, c := range bad {
		if _, err := NewMaskSignal(c); !errors.Is(err, ErrBadMaskConfig) {
			t.Errorf("%+v: err = %v", c, err)
		}
	}
	// Levels, and phase continuity across Fill calls of odd sizes.
	for _, c := range []struct {
		cfg   MaskConfig
		level float64
	}{
		{MaskConfig{Mode: MaskTone, FreqHz: 1000, LevelDBm0: -15}, -15},
		{MaskConfig{Mode: MaskDigit, Digit: '#', LevelDBm0: -10}, -10 + 3.01},
		{MaskConfig{Mode: MaskNoise, LevelDBm0: -40}, -40},
		{MaskConfig{Mode: MaskSilence}, math.Inf(-1)},
	} {
		m, err := NewMaskSignal(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int16, 80000)
		for i := 0; i < len(out); i += 37 {
			m.Fill(out[i:min(i+37, len(out))])
		}
		got := audio.LevelDBm0(out)
		if math.Abs(got-c.level) > 0.2 && !(math.IsInf(c.level, -1) && math.IsInf(got, -1)) {
			t.Errorf("%s: level %.2f dBm0, want %.2f", c.cfg.Mode, got, c.level)
		}
		if c.cfg.Mode == MaskTone {
			// compare with a freshly computed sine: no phase jumps, no drift
			a := audio.SineAmplitude(-15)
			for i, v := range out {
				want := a * math.Sin(2*math.Pi*1000*float64(i)/8000)
				if math.Abs(float64(v)-want) > 2 {
					t.Fatalf("tone sample %d = %d, want %.1f", i, v, want)
				}
			}
		}
	}
}

func TestMaskDigitIsDetected(t *testing.T) {
	m, err := NewMaskSignal(MaskConfig{Mode: MaskDigit, Digit: '#', LevelDBm0: -10})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, 800)
	m.Fill(out)
	got := decode(out, 160)
	if len(got) != 1 || got[0].Digit != '#' {
		t.Fatalf("masking digit decodes as %+v", got)
	}
	if n := testing.AllocsPerRun(10, func() { m.Fill(out[:160]) }); n != 0 {
		t.Errorf("Fill allocates %v times", n)
	}
}
