package dtmf

import (
	"math"
	"math/cmplx"

	"github.com/hushpay/hushpay/internal/audio"
)

// How the gate works: it is deliberately wider than any detector. Every 16 samples (2 ms) it
// looks at the last 64 samples (8 ms) through 16 DFT bins, each DTMF frequency × 0.97 and
// × 1.03, which together cover both groups from -5 % to +5 % with at most 2 dB of loss. The
// window "may carry DTMF" when the strongest low-group bin and the strongest high-group bin
// are both above MinLevelDBm0, within MaxTwistDB of each other, and together explain at least
// MinToneRatio of the window's energy. MinRun such windows in a row (a detectable tone lasts
// far longer than the 4 ms that three windows take) trigger the gate, and each triggering
// window marks everything from the oldest sample not yet released (now - Latency) to
// PostMargin samples ahead; once open, the gate stays open while the windows keep a much
// lower share, HoldRatio (a tone keyed while the customer talks). So a tone is covered from well before its onset (the delay
// buffer holds Latency samples; the third window full of tone ends at most 111 samples after
// the onset, leaving 49 samples, 6 ms, of margin for a ramp) to well after its end.
//
// The gate over-masks speech and music: windows of 8 ms cannot tell a strong formant pair
// from two tones. The talk-off test measures how much (about a fifth of the speech corpus).

const (
	gateSub     = 16  // samples per gate sub-block
	gateSubs    = 4   // sub-blocks per window (64 samples)
	gateLatency = 160 // samples (20 ms)
	gateBins    = 16
)

// GateConfig holds the gate's sensitivity. Its zero value is invalid: start from
// DefaultGateConfig.
type GateConfig struct {
	MinLevelDBm0 float64 // weakest tone, per tone, that triggers the gate
	MaxTwistDB   float64 // largest level difference between the two groups
	MinToneRatio float64 // share of the window energy the two strongest bins must explain
	PostMargin   int     // samples marked after each triggering window
	MinRun       int     // consecutive tone-like windows needed to trigger
	HoldRatio    float64 // once triggered, the lower share that keeps the gate open
}

// DefaultGateConfig covers every tone any detector we know can hear (twist up to ±12 dB,
// frequencies off by up to ±5 %, durations from 10 ms), with margins: ±16 dB twist. Its level
// floor is -75 dBm0 per tone, far below the -42 dBm0 of spandsp and of our detector, because
// multimon-ng has no level floor at all (it hears a -70 dBm0 pair in digital silence); the
// price is about one point more over-masking on speech than a -50 dBm0 floor.
func DefaultGateConfig() GateConfig {
	return GateConfig{MinLevelDBm0: -75, MaxTwistDB: 16, MinToneRatio: 0.3, PostMargin: 64, MinRun: 3, HoldRatio: 0.1}
}

type gateTables struct {
	coef [gateBins]float64
	wn   [gateBins]complex128
	tail [gateBins]complex128
	rot  [gateBins]complex128
}

var gtables = newGateTables()

// gateFreq returns bin k's frequency: bins 0-7 are the low group, 8-15 the high group.
func gateFreq(k int) float64 {
	f := toneFreq(k / 2)
	if k%2 == 0 {
		return f * 0.97
	}
	return f * 1.03
}

func newGateTables() *gateTables {
	t := &gateTables{}
	for k := range gateBins {
		w := 2 * math.Pi * gateFreq(k) / fs
		t.coef[k] = 2 * math.Cos(w)
		t.wn[k] = cmplx.Exp(complex(0, -w))
		t.tail[k] = cmplx.Exp(complex(0, -w*(gateSub-1)))
		t.rot[k] = cmplx.Exp(complex(0, -w*gateSub))
	}
	return t
}

// ToneGate is the sensitive, fast, fail-closed tone-energy gate the masker uses: it marks
// every stretch of audio that carries (or may carry) DTMF tone energy, with margins for
// ramps. It is not safe for concurrent use.
type ToneGate struct {
	cfg   GateConfig
	minE  float64 // minimum tone energy estimate in a window, per group
	twist float64 // power ratio
	buf   [gateSub]float64
	nbuf  int
	x     [gateSubs][gateBins]complex128
	e     [gateSubs]float64
	nsub  int64
	pos   int64 // samples consumed
	run   int   // consecutive tone-like windows
	// ph[k] = rot[k]^nsub: sub-block values are stored multiplied by it, so that a window's
	// coherent DFT is the plain sum of its sub-blocks' values (times a common phase).
	ph [gateBins]complex128
}

// NewToneGate returns a gate with the given sensitivity.
func NewToneGate(cfg GateConfig) *ToneGate {
	a := audio.SineAmplitude(cfg.MinLevelDBm0)
	g := &ToneGate{
		cfg:   cfg,
		minE:  a * a / 2 * gateSub * gateSubs,
		twist: math.Pow(10, cfg.MaxTwistDB/10),
	}
	for k := range g.ph {
		g.ph[k] = 1
	}
	return g
}

// Latency is the gate's decision delay in samples, at most 160 (20 ms).
func (g *ToneGate) Latency() int { return gateLatency }

// Reset forgets all state; sample indices start again at 0.
func (g *ToneGate) Reset() { *g = *NewToneGate(g.cfg) }

// Process reports half-open ranges [start, end) of absolute sample indices that must be
// masked. Guarantee: once Process has been given samples up to index N (exclusive), every
// tone-bearing sample with index < N-Latency() lies in a range already reported. Ranges may
// overlap or repeat; callers merge them.
//
// The guarantee holds for every tone within the envelope DefaultGateConfig is built for
// (per-tone levels down to -45 dBm0, twist up to ±12 dB, ±5 % off frequency, 10 ms and
// longer, 5 ms ramps, on silence or noise). A tone keyed while the customer talks louder is
// covered wherever it carries a fair share of the energy; stretches of a few milliseconds
// drowned in speech can escape, never enough for a detector to recover the digit (the
// talk-off tests mask such audio and run ours, spandsp and multimon-ng over it).
func (g *ToneGate) Process(samples []int16, mark func(start, end int64)) {
	for len(samples) > 0 {
		n := copy16(g.buf[g.nbuf:], samples)
		g.nbuf += n
		g.pos += int64(n)
		samples = samples[n:]
		if g.nbuf < gateSub {
			continue
		}
		g.nbuf = 0
		g.analyse()
		if g.nsub >= gateSubs && g.toneLikely() {
			start := g.pos - gateLatency
			if start < 0 {
				start = 0
			}
			mark(start, g.pos+int64(g.cfg.PostMargin))
		}
	}
}

func (g *ToneGate) analyse() {
	slot := g.nsub % gateSubs
	var e float64
	for _, x := range g.buf {
		e += x * x
	}
	g.e[slot] = e
	t := gtables
	for k := 0; k < gateBins; k += 4 {
		c0, c1, c2, c3 := t.coef[k], t.coef[k+1], t.coef[k+2], t.coef[k+3]
		var a1, a2, b1, b2, d1, d2, e1, e2 float64
		for _, x := range g.buf {
			a1, a2 = x+c0*a1-a2, a1
			b1, b2 = x+c1*b1-b2, b1
			d1, d2 = x+c2*d1-d2, d1
			e1, e2 = x+c3*e1-e2, e1
		}
		g.x[slot][k] = goertzelOut(a1, a2, t.wn[k], t.tail[k]) * g.ph[k]
		g.x[slot][k+1] = goertzelOut(b1, b2, t.wn[k+1], t.tail[k+1]) * g.ph[k+1]
		g.x[slot][k+2] = goertzelOut(d1, d2, t.wn[k+2], t.tail[k+2]) * g.ph[k+2]
		g.x[slot][k+3] = goertzelOut(e1, e2, t.wn[k+3], t.tail[k+3]) * g.ph[k+3]
	}
	for k := range g.ph {
		g.ph[k] *= t.rot[k]
	}
	if g.nsub%1024 == 0 { // keep |ph| = 1 despite rounding
		for k := range g.ph {
			g.ph[k] /= complex(cmplx.Abs(g.ph[k]), 0)
		}
	}
	g.nsub++
}

// toneLikely judges the window of the last gateSubs sub-blocks.
func (g *ToneGate) toneLikely() bool {
	var energy float64
	for _, e := range g.e {
		energy += e
	}
	if energy < g.minE/2 { // no bin can reach minE (|X|² <= W·energy)
		g.run = 0
		return false
	}
	var low, high float64
	x := &g.x
	for k := range gateBins {
		z := x[0][k] + x[1][k] + x[2][k] + x[3][k]
		p := (real(z)*real(z) + imag(z)*imag(z)) * (2.0 / (gateSub * gateSubs)) // energy of the tone
		if k < 8 {
			if p > low {
				low = p
			}
		} else if p > high {
			high = p
		}
	}
	ratio := g.cfg.MinToneRatio
	if g.run >= g.cfg.MinRun {
		ratio = g.cfg.HoldRatio // open: a tone under speech keeps it open
	}
	if low < g.minE || high < g.minE || low > high*g.twist || high > low*g.twist ||
		low+high < ratio*energy {
		g.run = 0
		return false
	}
	g.run++
	return g.run >= g.cfg.MinRun
}
