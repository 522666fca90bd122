package dtmf

import (
	"fmt"
	"math"

	"github.com/hushpay/hushpay/internal/audio"
)

// MaskMode chooses the signal that replaces key tones towards the agent.
type MaskMode string

// Masking signals.
const (
	MaskTone    MaskMode = "tone"    // a flat tone, FreqHz at LevelDBm0
	MaskDigit   MaskMode = "digit"   // the same DTMF digit every time ('#', '0' or '1')
	MaskSilence MaskMode = "silence" // digital silence
	MaskNoise   MaskMode = "noise"   // comfort noise at LevelDBm0
)

// MaskConfig configures a MaskSignal. Digit is used by MaskDigit, FreqHz by MaskTone, and
// LevelDBm0 (per tone for MaskDigit, the noise power for MaskNoise) by all but MaskSilence.
type MaskConfig struct {
	Mode      MaskMode
	Digit     byte
	FreqHz    float64
	LevelDBm0 float64
}

// MaskSignal produces a masking signal with continuous phase across calls to Fill. It is not
// safe for concurrent use.
type MaskSignal struct {
	mode MaskMode
	// two quadrature oscillators (cos, sin) advanced by rotation
	c1, s1, dc1, ds1 float64
	c2, s2, dc2, ds2 float64
	amp1, amp2       float64
	rng              uint64
	noiseAmp         float64
}

// NewMaskSignal validates cfg and returns its signal generator.
func NewMaskSignal(cfg MaskConfig) (*MaskSignal, error) {
	m := &MaskSignal{mode: cfg.Mode, c1: 1, c2: 1, rng: 0x9E3779B97F4A7C15}
	level := cfg.LevelDBm0
	if cfg.Mode != MaskSilence && (math.IsNaN(level) || level > audio.FullScaleSineDBm0 || level < -90) {
		return nil, fmt.Errorf("%w: level %g dBm0 (want -90 to %g)", ErrBadMaskConfig, level, audio.FullScaleSineDBm0)
	}
	switch cfg.Mode {
	case MaskSilence:
	case MaskTone:
		if !(cfg.FreqHz > 0 && cfg.FreqHz < fs/2) {
			return nil, fmt.Errorf("%w: tone frequency %g Hz (want 0-4000)", ErrBadMaskConfig, cfg.FreqHz)
		}
		m.setOsc(1, cfg.FreqHz)
		m.amp1 = audio.SineAmplitude(level)
	case MaskDigit:
		lo, hi, ok := DigitFreqs(cfg.Digit)
		if !ok {
			return nil, fmt.Errorf("%w: digit %q", ErrBadMaskConfig, cfg.Digit)
		}
		if level > audio.FullScaleSineDBm0-6.03 {
			return nil, fmt.Errorf("%w: level %g dBm0 per tone clips (max %.2f)", ErrBadMaskConfig, level, audio.FullScaleSineDBm0-6.03)
		}
		m.setOsc(1, lo)
		m.setOsc(2, hi)
		m.amp1 = audio.SineAmplitude(level)
		m.amp2 = m.amp1
	case MaskNoise:
		// Sum of four uniforms in [-1,1): variance 4/3; scale to the requested mean power.
		rms := audio.SineAmplitude(level) / math.Sqrt2
		m.noiseAmp = rms / math.Sqrt(4.0/3.0)
	default:
		return nil, fmt.Errorf("%w: mode %q (want tone, digit, silence or noise)", ErrBadMaskConfig, cfg.Mode)
	}
	return m, nil
}

func (m *MaskSignal) setOsc(i int, f float64) {
	w := 2 * math.Pi * f / fs
	if i == 1 {
		m.dc1, m.ds1 = math.Cos(w), math.Sin(w)
	} else {
		m.dc2, m.ds2 = math.Cos(w), math.Sin(w)
	}
}

// Fill writes the next len(out) samples of the signal.
func (m *MaskSignal) Fill(out []int16) {
	switch m.mode {
	case MaskSilence:
		clear(out)
	case MaskTone, MaskDigit:
		c1, s1, c2, s2 := m.c1, m.s1, m.c2, m.s2
		for i := range out {
			out[i] = audio.Saturate(m.amp1*s1 + m.amp2*s2)
			c1, s1 = c1*m.dc1-s1*m.ds1, s1*m.dc1+c1*m.ds1
			c2, s2 = c2*m.dc2-s2*m.ds2, s2*m.dc2+c2*m.ds2
		}
		// Renormalise so rounding never lets the amplitude drift.
		n1 := 1 / math.Hypot(c1, s1)
		m.c1, m.s1 = c1*n1, s1*n1
		if m.mode == MaskDigit {
			n2 := 1 / math.Hypot(c2, s2)
			m.c2, m.s2 = c2*n2, s2*n2
		}
	case MaskNoise:
		x := m.rng
		for i := range out {
			var sum float64
			for range 4 {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				sum += float64(int64(x>>11))/(1<<52) - 1
			}
			out[i] = audio.Saturate(sum * m.noiseAmp)
		}
		m.rng = x
	}
}
