package dtmf

import (
	"math"
	"math/cmplx"

	"github.com/hushpay/hushpay/internal/audio"
)

// How the gate works: it is deliberately wider than any detector, but it asks what a detector
// asks (the pair explains most of the energy, each tone stands out in its group) rather than
// only "is there energy near two DTMF frequencies", which speech formants answer yes to.
//
// Audio is cut into sub-blocks of 16 samples (2 ms). For each sub-block the gate keeps its
// energy and its DFT at the eight nominal DTMF frequencies (Goertzel), with the phase
// referred to absolute time, so the DFT of any run of sub-blocks is the plain sum of their
// values. From the same eight values it derives, by re-rotating them (exact to within
// 0.15 dB over 16 samples), 16 offset bins: each frequency × 0.97 and × 1.03. Every sub-block
// it judges three windows ending there:
//
//   - short (64 samples, 8 ms; the offset bins, which cover -5 % to +5 %): the strongest tone
//     of each group, its energy corrected for the window's scalloping from how it splits
//     between its two bins, both above MinLevelDBm0 and within MaxTwistDB. MinRun such
//     windows in a row whose pair explains MinToneRatio of the energy trigger the gate if one
//     of them is a clean pair: PeakRatio of the energy, and in each group no tone two or more
//     steps away above FarPeak of the pair's tone (a tone is narrow; a voice's harmonics or a
//     chord spread over the group), or, for two keys pressed at once, a third such tone with
//     which the three explain ThreeRatio. A tone on silence or noise does this within
//     8-14 ms of its onset whatever its frequency (±5 %), twist (±12 dB) and level, and so
//     does a fragment of 10 ms; speech rarely does.
//   - mid (96 samples, 12 ms, the block length of spandsp and of our detector) and long
//     (320 samples, 40 ms, multimon-ng's window), nominal bins: the strongest row and column
//     explain MidRatio / LongRatio of the energy and the runner-up of each group is at most
//     MidPeak / LongPeak of the best. These are the detectors' own tests with margins
//     (spandsp and ours: 0.8 and 8 dB over 12.75 ms; multimon-ng: 0.4 and 10 dB over 40 ms,
//     no level floor, no twist limit), so a tone a detector could pick out of speech triggers
//     the gate before the detector could hear it.
//
// Each triggering window marks everything from the oldest sample not yet released (now -
// Latency) to PostMargin samples ahead; once triggered, the gate stays open while the short
// windows keep a lower share, HoldRatio (a tone keyed while the customer talks). So a tone on
// silence is covered from before its onset (the delay buffer holds Latency samples; over the
// gate cases at all 16 positions of the grid the triggering window ends 48-95 samples after
// the onset of a pair, at most 119 for two keys at once, leaving at least 5 ms of margin for
// a ramp) to well after its end.
//
// The gate still over-masks some speech and more music (chords are genuinely tonal); the
// talk-off tests measure how much, and the mixture tests check that what it leaves unmarked
// of a tone keyed under speech or music is never enough for any detector.

const (
	gateSub     = 16  // samples per gate sub-block
	gateSubs    = 4   // sub-blocks per short window (64 samples)
	gateMid     = 6   // sub-blocks per mid window (96 samples)
	gateLong    = 20  // sub-blocks per long window (320 samples)
	gateLatency = 160 // samples (20 ms)
	gateBins    = 16  // offset bins of the short window
)

// GateConfig holds the gate's sensitivity. Its zero value is invalid: start from
// DefaultGateConfig.
type GateConfig struct {
	MinLevelDBm0 float64 // weakest tone, per tone, that triggers the gate
	MaxTwistDB   float64 // largest level difference between the two groups (short windows)
	MinToneRatio float64 // share of a short window's energy the strongest pair must explain
	PeakRatio    float64 // share one window of a triggering run must reach...
	FarPeak      float64 // ...with no tone two or more steps away in either group above this share of the best...
	ThreeRatio   float64 // ...or with such a third tone, the three explaining this share
	ThreePair    float64 // and the pair at least this share
	MinRun       int     // consecutive short windows needed to trigger
	PostMargin   int     // samples marked after each triggering window
	HoldRatio    float64 // once triggered, the lower share that keeps the gate open
	MidRatio     float64 // share of a 12 ms window the strongest nominal row and column must explain
	MidPeak      float64 // largest runner-up/best power ratio in each group (12 ms)
	LongRatio    float64 // share of a 40 ms window the strongest nominal row and column must explain
	LongPeak     float64 // largest runner-up/best power ratio in each group (40 ms)
}

// DefaultGateConfig covers every tone any detector we know can hear (twist up to ±12 dB,
// frequencies off by up to ±5 %, durations from 10 ms), with margins: ±20 dB twist. Its level
// floor is -81 dBm0 per tone, far below the -42 dBm0 of spandsp and of our detector, because
// multimon-ng has no level floor at all (it hears a -70 dBm0 pair in digital silence), and a
// weak tone's estimate in an 8 ms window swings by several dB with the strong tone's leakage.
// The mid window keeps 0.9 dB of margin on the energy share spandsp and our detector require
// (0.8) and 2 dB on their relative peak (8 dB); the long window 1.2 dB on multimon-ng's share
// (0.4) and 3 dB on its relative peak (10 dB); the hold and the mixture tests cover the rest.
func DefaultGateConfig() GateConfig {
	return GateConfig{
		MinLevelDBm0: -81, MaxTwistDB: 20,
		MinToneRatio: 0.55, PeakRatio: 0.8, FarPeak: 0.1, ThreeRatio: 0.95, ThreePair: 0.7,
		MinRun: 3, PostMargin: 64, HoldRatio: 0.4,
		MidRatio: 0.65, MidPeak: 0.25,
		LongRatio: 0.3, LongPeak: 0.2,
	}
}

// gateTables are shared, read-only constants.
type gateTables struct {
	coef [8]float64    // Goertzel 2cos(ω) at the nominal frequencies
	wn   [8]complex128 // e^{-iω}
	tail [8]complex128 // e^{-iω(S-1)}
	rot  [8]complex128 // e^{-iωS}: advance of one sub-block
	// Offset bin k (frequency ω' = gateFreq(k)) from its nominal bin's sub-block value:
	// × e^{-i(ω'-ω)(S-1)/2} (the phase slope across the sub-block, taken at its middle), and
	// its own advance e^{-iω'S}.
	orot [gateBins]complex128
	ocen [gateBins]complex128
	// gain[j][b] corrects the summed power of tone j's two offset bins for the scalloping of
	// a short window: b is the share of the upper bin in the sum (quantised to gainSteps),
	// and the entry is the largest 1/(G_lo²+G_hi²) over the frequencies within ±gainSpan of
	// nominal that give that share.
	gain [8][gainSteps + 1]float64
	// leak[k][j] is the largest share of the energy of a tone j (within ±gainSpan) that
	// offset bin k of the other group picks up in a short window.
	leak [gateBins][8]float64
}

const (
	gainSteps = 128
	gainSpan  = 0.065
)

var gtables = newGateTables()

// gateFreq returns offset bin k's frequency: bins 0-7 are the low group, 8-15 the high group.
func gateFreq(k int) float64 {
	f := toneFreq(k / 2)
	if k%2 == 0 {
		return f * 0.97
	}
	return f * 1.03
}

func newGateTables() *gateTables {
	t := &gateTables{}
	for j := range 8 {
		w := 2 * math.Pi * toneFreq(j) / fs
		t.coef[j] = 2 * math.Cos(w)
		t.wn[j] = cmplx.Exp(complex(0, -w))
		t.tail[j] = cmplx.Exp(complex(0, -w*(gateSub-1)))
		t.rot[j] = cmplx.Exp(complex(0, -w*gateSub))
	}
	for k := range gateBins {
		w := 2 * math.Pi * gateFreq(k) / fs
		d := w - 2*math.Pi*toneFreq(k/2)/fs
		t.orot[k] = cmplx.Exp(complex(0, -w*gateSub))
		t.ocen[k] = cmplx.Exp(complex(0, -d*(gateSub-1)/2))
	}
	const n = gateSub * gateSubs
	resp := func(w, wk float64) float64 { // |D_N(w-wk)|²/N²
		d := (w - wk) / 2
		if math.Abs(d) < 1e-12 {
			return 1
		}
		v := math.Sin(n*d) / (n * math.Sin(d))
		return v * v
	}
	for k := range gateBins {
		wk := 2 * math.Pi * gateFreq(k) / fs
		for j := range 8 {
			if j/4 == k/8 {
				continue
			}
			for i := -650; i <= 650; i++ {
				w := 2 * math.Pi * toneFreq(j) * (1 + gainSpan*float64(i)/650) / fs
				t.leak[k][j] = math.Max(t.leak[k][j], resp(w, wk)+resp(-w, wk))
			}
		}
	}
	for j := range 8 {
		wa := 2 * math.Pi * gateFreq(2*j) / fs
		wb := 2 * math.Pi * gateFreq(2*j+1) / fs
		for i := -650; i <= 650; i++ {
			w := 2 * math.Pi * toneFreq(j) * (1 + gainSpan*float64(i)/650) / fs
			ga, gb := resp(w, wa), resp(w, wb)
			b := int(math.Round(gb / (ga + gb) * gainSteps))
			t.gain[j][b] = math.Max(t.gain[j][b], 1/(ga+gb))
		}
		// Shares no frequency in range gives (beyond the extremes, or between samples):
		// the largest correction of the nearest shares on either side.
		for b := range t.gain[j] {
			if t.gain[j][b] != 0 {
				continue
			}
			var lo, hi float64
			for x := b - 1; x >= 0 && lo == 0; x-- {
				lo = t.gain[j][x]
			}
			for x := b + 1; x <= gainSteps && hi == 0; x++ {
				hi = t.gain[j][x]
			}
			t.gain[j][b] = math.Max(lo, hi)
		}
	}
	return t
}

// ToneGate is the sensitive, fast, fail-closed tone-energy gate the masker uses: it marks
// every stretch of audio that carries (or may carry) DTMF tone energy, with margins for
// ramps. It is not safe for concurrent use.
type ToneGate struct {
	cfg   GateConfig
	minE  float64 // minimum tone energy estimate in a short window
	twist float64 // power ratio
	buf   [gateSub]float64
	nbuf  int
	nsub  int64 // sub-blocks analysed
	pos   int64 // samples consumed

	// ph[j] = rot[j]^nsub and oph[k] = ocen[k]·orot[k]^nsub: sub-block values are stored
	// multiplied by them, so that a window's coherent DFT is the plain sum of its
	// sub-blocks' values (times a common phase).
	ph  [8]complex128
	oph [gateBins]complex128

	sx [gateSubs][gateBins]complex128 // offset bins of the last gateSubs sub-blocks
	se [gateSubs]float64              // their energies
	hx [gateLong][8]complex128        // nominal bins of the last gateLong sub-blocks
	he [gateLong]float64              // their energies
	mx [8]complex128                  // running sums over the mid window
	me float64
	lx [8]complex128 // running sums over the long window
	le float64

	run  int     // consecutive short windows at MinToneRatio
	peak float64 // largest share in that run
	open bool    // the last window triggered
}

// NewToneGate returns a gate with the given sensitivity.
func NewToneGate(cfg GateConfig) *ToneGate {
	a := audio.SineAmplitude(cfg.MinLevelDBm0)
	g := &ToneGate{
		cfg:   cfg,
		minE:  a * a / 2 * gateSub * gateSubs,
		twist: math.Pow(10, cfg.MaxTwistDB/10),
	}
	for j := range g.ph {
		g.ph[j] = 1
	}
	g.oph = gtables.ocen
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
// covered wherever it stands out as a detector would need it to; stretches drowned in speech
// can escape, never enough for a detector to recover the digit (the mixture tests mask such
// audio and run ours, spandsp and multimon-ng over it).
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
		if g.nsub >= gateSubs && g.judge() {
			start := g.pos - gateLatency
			if start < 0 {
				start = 0
			}
			mark(start, g.pos+int64(g.cfg.PostMargin))
		}
	}
}

// analyse computes the energy and the DFT values of the sub-block in buf and updates the
// windows' running sums.
func (g *ToneGate) analyse() {
	var e float64
	for _, x := range &g.buf {
		e += x * x
	}
	t := gtables
	var xs [8]complex128
	// Goertzel, four recurrences at a time, two samples per step so that the two states swap
	// roles instead of moving; (x - s[n-2]) + c·s[n-1] keeps the dependent chain to one
	// multiply and one add.
	b := &g.buf
	for k := 0; k < 8; k += 4 {
		c0, c1, c2, c3 := t.coef[k], t.coef[k+1], t.coef[k+2], t.coef[k+3]
		var p0, q0, p1, q1, p2, q2, p3, q3 float64 // p: s[n-2], q: s[n-1]
		for i := 0; i < gateSub; i += 2 {
			x, y := b[i], b[i+1]
			p0 = (x - p0) + c0*q0
			p1 = (x - p1) + c1*q1
			p2 = (x - p2) + c2*q2
			p3 = (x - p3) + c3*q3
			q0 = (y - q0) + c0*p0
			q1 = (y - q1) + c1*p1
			q2 = (y - q2) + c2*p2
			q3 = (y - q3) + c3*p3
		}
		xs[k] = goertzelOut(q0, p0, t.wn[k], t.tail[k])
		xs[k+1] = goertzelOut(q1, p1, t.wn[k+1], t.tail[k+1])
		xs[k+2] = goertzelOut(q2, p2, t.wn[k+2], t.tail[k+2])
		xs[k+3] = goertzelOut(q3, p3, t.wn[k+3], t.tail[k+3])
	}
	slot := g.nsub % gateSubs
	ls := g.nsub % gateLong
	old := (g.nsub - gateMid) % gateLong // the sub-block leaving the mid window
	h := &g.hx[ls]
	for j := range 8 {
		v := xs[j]
		g.sx[slot][2*j] = v * g.oph[2*j]
		g.sx[slot][2*j+1] = v * g.oph[2*j+1]
		v *= g.ph[j]
		g.lx[j] += v - h[j]
		if g.nsub >= gateMid {
			g.mx[j] += v - g.hx[old][j]
		} else {
			g.mx[j] += v
		}
		h[j] = v
	}
	g.se[slot] = e
	g.le += e - g.he[ls]
	if g.nsub >= gateMid {
		g.me += e - g.he[old]
	} else {
		g.me += e
	}
	g.he[ls] = e
	for j := range g.ph {
		g.ph[j] *= t.rot[j]
	}
	for k := range g.oph {
		g.oph[k] *= t.orot[k]
	}
	g.nsub++
	if g.nsub%1024 == 0 { // keep |ph| = 1 and the running sums exact despite rounding
		for j := range g.ph {
			g.ph[j] /= complex(cmplx.Abs(g.ph[j]), 0)
		}
		for k := range g.oph {
			g.oph[k] /= complex(cmplx.Abs(g.oph[k]), 0)
		}
		g.mx, g.me, g.lx, g.le = [8]complex128{}, 0, [8]complex128{}, 0
		for i := range int64(gateLong) {
			s := (g.nsub - 1 - i) % gateLong
			for j := range 8 {
				g.lx[j] += g.hx[s][j]
				if i < gateMid {
					g.mx[j] += g.hx[s][j]
				}
			}
			g.le += g.he[s]
			if i < gateMid {
				g.me += g.he[s]
			}
		}
	}
}

// judge decides on the windows ending with the last sub-block.
func (g *ToneGate) judge() bool {
	energy := g.se[0] + g.se[1] + g.se[2] + g.se[3]
	var sw shortWindow
	if energy >= g.minE/2 { // else no bin can reach minE (|X|² <= W·energy)
		g.short(energy, &sw)
	}
	trig := g.open && sw.ok && sw.share >= g.cfg.HoldRatio // a tone under speech keeps it open
	if sw.ok && sw.share >= g.cfg.MinToneRatio {
		g.run++
		if g.peak < g.cfg.PeakRatio {
			g.peak = g.isolated(&sw, energy)
		}
	} else {
		g.run, g.peak = 0, 0
	}
	trig = trig || (g.run >= g.cfg.MinRun && g.peak >= g.cfg.PeakRatio) ||
		g.window(&g.mx, g.me, gateMid, g.cfg.MidRatio, g.cfg.MidPeak) ||
		g.window(&g.lx, g.le, gateLong, g.cfg.LongRatio, g.cfg.LongPeak)
	g.open = trig
	return trig
}

// shortWindow is what short finds in the short window.
type shortWindow struct {
	pw        [gateBins]float64 // energy seen by each offset bin
	low, high float64           // estimated energy of each group's strongest tone
	kl, kh    int               // their strongest bins
	ok        bool              // both above the level floor, within the twist
	share     float64           // (low+high)/energy
}

// short judges the short window: whether both groups' strongest tones are above the level
// floor and within the twist, and the share of the energy they explain.
func (g *ToneGate) short(energy float64, sw *shortWindow) {
	x := &g.sx
	const scale = 2.0 / (gateSub * gateSubs)
	kl, kh := 0, 8
	for k := range gateBins {
		z := x[0][k] + x[1][k] + x[2][k] + x[3][k]
		p := (real(z)*real(z) + imag(z)*imag(z)) * scale // energy of the tone
		sw.pw[k] = p
		if k < 8 {
			if p > sw.pw[kl] {
				kl = k
			}
		} else if p > sw.pw[kh] {
			kh = k
		}
	}
	sw.kl, sw.kh = kl, kh
	sw.low = toneEnergy(&sw.pw, kl)
	sw.high = toneEnergy(&sw.pw, kh)
	low, high := sw.low, sw.high
	if low < g.minE || high < g.minE || low > high*g.twist || high > low*g.twist {
		return
	}
	sw.ok, sw.share = true, (low+high)/energy
}

// isolated returns the share of the energy the short window's tones explain if they are
// isolated in their groups, the share of three tones if (two keys pressed at once) one group
// holds a third tone and the three make up ThreeRatio of the energy, else 0.
func (g *ToneGate) isolated(sw *shortWindow, energy float64) float64 {
	isoL, farL := g.far(&sw.pw, sw.kl, 0, sw.kh/2, sw.high)
	isoH, farH := g.far(&sw.pw, sw.kh, 8, sw.kl/2, sw.low)
	pair := sw.low + sw.high
	switch {
	case isoL && isoH && sw.share >= g.cfg.PeakRatio:
		return sw.share
	case sw.share < g.cfg.ThreePair:
	case isoL && pair+farH >= g.cfg.ThreeRatio*energy:
		return (pair + farH) / energy
	case isoH && pair+farL >= g.cfg.ThreeRatio*energy:
		return (pair + farL) / energy
	}
	return 0
}

// far reports whether no tone of the group [from, from+8) two or more steps away from
// the one of bin k has a bin above FarPeak of bin k (a tone is narrow; the harmonics of a
// voice or a chord spread over the group), once the leakage of the other group's tone (tone
// jo, energy eo) is allowed for. It also returns the energy of the strongest far tone.
func (g *ToneGate) far(pw *[gateBins]float64, k, from, jo int, eo float64) (bool, float64) {
	j := (k - from) / 2
	lim := math.Sqrt(g.cfg.FarPeak * pw[k])
	iso, far := true, 0.0
	for i := range 4 {
		if i-j >= 2 || j-i >= 2 {
			b := from + 2*i
			// The far tone's own level and the other tone's leakage add as amplitudes.
			la := lim + math.Sqrt(2*gtables.leak[b][jo]*eo)
			lb := lim + math.Sqrt(2*gtables.leak[b+1][jo]*eo)
			if pw[b] > la*la || pw[b+1] > lb*lb {
				iso = false
			}
			if sum := pw[b] + pw[b+1]; sum > 0 {
				far = math.Max(far, sum*gtables.gain[b/2][int(pw[b+1]/sum*gainSteps+0.5)])
			}
		}
	}
	return iso, far
}

// toneEnergy estimates the window energy of the tone whose offset bin k is the strongest of
// its group: the tone's two bins, corrected for scalloping by the share of the upper one.
func toneEnergy(pw *[gateBins]float64, k int) float64 {
	a, b := pw[k&^1], pw[k|1]
	sum := a + b
	if sum <= 0 {
		return 0
	}
	return sum * gtables.gain[k/2][int(b/sum*gainSteps+0.5)]
}

// window judges a window of subs sub-blocks (coherent nominal-bin sums x, energy) the way
// the detectors do, with margins: the strongest row and column above the level floor,
// explaining ratio of the energy, each group's runner-up at most peak of its best.
func (g *ToneGate) window(x *[8]complex128, energy float64, subs int, ratio, peak float64) bool {
	minE := g.minE * float64(subs) / gateSubs
	if ratio <= 0 || g.nsub < int64(subs) || energy < minE/2 {
		return false
	}
	var pw [8]float64
	r, c := 0, 4
	for j := range 8 {
		z := x[j]
		pw[j] = real(z)*real(z) + imag(z)*imag(z)
		if j < 4 {
			if pw[j] > pw[r] {
				r = j
			}
		} else if pw[j] > pw[c] {
			c = j
		}
	}
	lo, hi := pw[r], pw[c]
	scale := 2.0 / float64(gateSub*subs)
	if lo*scale < minE || hi*scale < minE || (lo+hi)*scale < ratio*energy {
		return false
	}
	for j := range 4 {
		if j != r && pw[j] > peak*lo {
			return false
		}
	}
	for j := 4; j < 8; j++ {
		if j != c && pw[j] > peak*hi {
			return false
		}
	}
	return true
}
