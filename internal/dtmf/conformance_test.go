package dtmf

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hushpay/hushpay/internal/audio"
	"github.com/hushpay/hushpay/internal/dtmf/dtmftest"
)

// The conformance suite generates its own signals for each requirement of ITU-T Q.24 and
// ETSI ES 201 235-3 that the issue lists, on both the must-detect and the must-reject side,
// and checks the detector against them. Every must-detect signal, and a further set of short,
// quiet, twisted and off-frequency tones, must also be covered sample by sample by the gate.

// tone is one dual tone placed in a signal.
type tone struct {
	digit      byte
	start, end int // samples
}

// signal builds test audio from dual tones.
type signal struct {
	samples []int16
	tones   []tone
}

type toneOpts struct {
	levelDBm0, twistDB float64
	lowDev, highDev    float64 // relative frequency deviations
	rampMS             float64 // raised-cosine rise and fall
}

// add places a tone of the digit at sample `at` for n samples.
func (s *signal) add(d byte, at, n int, o toneOpts) {
	lo, hi, ok := DigitFreqs(d)
	if !ok {
		panic("bad digit")
	}
	for len(s.samples) < at+n {
		s.samples = append(s.samples, 0)
	}
	al := audio.SineAmplitude(o.levelDBm0 - o.twistDB/2)
	ah := audio.SineAmplitude(o.levelDBm0 + o.twistDB/2)
	wl := 2 * math.Pi * lo * (1 + o.lowDev) / 8000
	wh := 2 * math.Pi * hi * (1 + o.highDev) / 8000
	ramp := int(o.rampMS * 8)
	for i := range n {
		g := 1.0
		if ramp > 0 {
			if i < ramp {
				g = 0.5 - 0.5*math.Cos(math.Pi*float64(i)/float64(ramp))
			} else if n-1-i < ramp {
				g = 0.5 - 0.5*math.Cos(math.Pi*float64(n-1-i)/float64(ramp))
			}
		}
		v := g * (al*math.Sin(wl*float64(i)) + ah*math.Sin(wh*float64(i)))
		s.samples[at+i] = audio.Saturate(float64(s.samples[at+i]) + v)
	}
	s.tones = append(s.tones, tone{digit: d, start: at, end: at + n})
}

// digits lays out each digit of ds as toneMS of tone and gapMS of silence after a lead-in.
func digitsSignal(ds string, toneMS, gapMS float64, o toneOpts) *signal {
	s := &signal{}
	at := leadIn
	for i := 0; i < len(ds); i++ {
		n := int(toneMS * 8)
		s.add(ds[i], at, n, o)
		at += n + int(gapMS*8)
	}
	s.pad(400)
	return s
}

func (s *signal) pad(n int) { s.samples = append(s.samples, make([]int16, n)...) }

// leadIn is the silence before the first tone; TestConformance varies it so that tones fall
// at every position relative to the detector's 34-sample analysis grid.
var leadIn = 80

type q24Case struct {
	name   string
	detect bool // true: exactly the generated digits; false: no digit at all
	sig    *signal
}

func q24Cases() []q24Case {
	var cs []q24Case
	all := Digits
	nominal := toneOpts{levelDBm0: -10}
	add := func(name string, detect bool, s *signal) { cs = append(cs, q24Case{name, detect, s}) }

	// Frequency tolerance: accept ±1.5 %, reject ±3.5 % and beyond, on either tone.
	for _, dl := range []float64{-0.015, 0.015} {
		for _, dh := range []float64{-0.015, 0.015} {
			add(fmt.Sprintf("freq low %+.1f%% high %+.1f%%", dl*100, dh*100), true,
				digitsSignal(all, 50, 50, toneOpts{levelDBm0: -10, lowDev: dl, highDev: dh}))
		}
	}
	for _, dev := range []float64{-0.05, -0.035, 0.035, 0.05} { // ±7 % reaches the next row or column
		add(fmt.Sprintf("freq low %+.1f%%", dev*100), false, digitsSignal(all, 50, 50, toneOpts{levelDBm0: -10, lowDev: dev}))
		add(fmt.Sprintf("freq high %+.1f%%", dev*100), false, digitsSignal(all, 50, 50, toneOpts{levelDBm0: -10, highDev: dev}))
		add(fmt.Sprintf("freq both %+.1f%%", dev*100), false, digitsSignal(all, 50, 50, toneOpts{levelDBm0: -10, lowDev: dev, highDev: dev}))
	}
	// Twist: accept 8 dB normal (high tone weaker) and 4 dB reverse; reject 12 and 8 dB.
	add("twist normal 8 dB", true, digitsSignal(all, 50, 50, toneOpts{levelDBm0: -10, twistDB: -8}))
	add("twist reverse 4 dB", true, digitsSignal(all, 50, 50, toneOpts{levelDBm0: -10, twistDB: 4}))
	add("twist normal 8 dB at -26 dBm0", true, digitsSignal(all, 50, 50, toneOpts{levelDBm0: -26, twistDB: -8}))
	add("twist normal 12 dB", false, digitsSignal(all, 50, 50, toneOpts{levelDBm0: -10, twistDB: -12}))
	add("twist reverse 8 dB", false, digitsSignal(all, 50, 50, toneOpts{levelDBm0: -10, twistDB: 8}))
	// Levels per tone from +3 dBm0 down to -32 dBm0 and beyond. The loudest pair G.711
	// carries without clipping is -2.9 dBm0 per tone; at 0 and +3 dBm0 the sum is clipped at
	// full scale (as a real codec would), and must still be heard.
	for _, l := range []float64{3, 0, -3, -10, -20, -26, -32, -36, -40} {
		add(fmt.Sprintf("level %g dBm0", l), true, digitsSignal(all, 50, 50, toneOpts{levelDBm0: l}))
	}
	add("level -55 dBm0", false, digitsSignal(all, 50, 50, toneOpts{levelDBm0: -55}))
	add("level -50 dBm0", false, digitsSignal(all, 50, 50, toneOpts{levelDBm0: -50}))
	// Two keys pressed at once (a third tone 3 dB below the pair) is not a digit.
	{
		s := &signal{}
		at := leadIn
		for i := 0; i < len(all); i++ {
			d := all[i]
			s.add(d, at, 400, nominal)
			lo, hi, _ := DigitFreqs(d)
			third := ToneSpec{LowHz: RowFreqs[(rowIndex(lo)+1)%4], LowDBm0: -13}
			if i%2 == 1 {
				third = ToneSpec{HighHz: ColFreqs[(colIndex(hi)+2)%4], HighDBm0: -13}
			}
			s.samples = AddTone(s.samples, 8000, at, 400, third)
			at += 800
		}
		s.pad(400)
		add("two keys at once (third tone 3 dB down)", false, s)
	}
	// Durations: detect 40 ms and longer, never under 20 ms.
	for _, ms := range []float64{40, 45, 60, 200} {
		add(fmt.Sprintf("duration %g ms", ms), true, digitsSignal(all, ms, 60, nominal))
	}
	for _, ms := range []float64{5, 10, 15, 19} {
		add(fmt.Sprintf("duration %g ms", ms), false, digitsSignal(all, ms, 60, nominal))
	}
	// Gaps: 40 ms separates digits, also repeats of the same digit.
	add("gap 40 ms", true, digitsSignal(all, 40, 40, nominal))
	add("gap 40 ms repeated digit", true, digitsSignal("11111555550000099999####", 40, 40, nominal))
	// Interruptions of up to 10 ms inside a tone are bridged.
	for _, ms := range []float64{2, 5, 10} {
		s := &signal{}
		at := 80
		for i := 0; i < len(all); i++ {
			s.add(all[i], at, 800, nominal)
			cut := at + 400
			for k := cut; k < cut+int(ms*8); k++ {
				s.samples[k] = 0
			}
			at += 800 + 480
		}
		s.pad(400)
		add(fmt.Sprintf("interruption %g ms", ms), true, s)
	}
	// Noise: 15 dB signal-to-noise ratio (the pair's power over white noise in the whole
	// 0-4 kHz band), at two levels; noise alone gives nothing.
	for i, l := range []float64{-10, -20} {
		s := digitsSignal(all, 50, 50, toneOpts{levelDBm0: l})
		dtmftest.AddNoise(s.samples, l+3.01-15, rand.New(rand.NewPCG(uint64(i+1), 7)))
		add(fmt.Sprintf("noise SNR 15 dB at %g dBm0", l), true, s)
	}
	{
		s := digitsSignal(all, 50, 50, toneOpts{levelDBm0: -20, twistDB: -6})
		dtmftest.AddNoise(s.samples, -20+3.01-15, rand.New(rand.NewPCG(9, 7)))
		add("noise SNR 15 dB, twist 6 dB", true, s)
	}
	for i, ms := range []float64{15, 19} {
		s := digitsSignal(all, ms, 60, toneOpts{levelDBm0: -10})
		dtmftest.AddNoise(s.samples, -10+3.01-15, rand.New(rand.NewPCG(uint64(20+i), 7)))
		add(fmt.Sprintf("duration %g ms in noise SNR 15 dB", ms), false, s)
	}
	{
		s := digitsSignal(all, 40, 40, toneOpts{levelDBm0: -20, twistDB: 4})
		dtmftest.AddNoise(s.samples, -20+3.01-15, rand.New(rand.NewPCG(31, 7)))
		add("duration 40 ms, gap 40 ms, reverse twist 4 dB, noise SNR 15 dB", true, s)
	}
	{
		x := make([]int16, 8000*10)
		dtmftest.AddNoise(x, -10, rand.New(rand.NewPCG(3, 7)))
		add("white noise alone", false, &signal{samples: x})
	}
	// Dial tone: alone it gives nothing (ITU-T E.180: 425 Hz; North America 350+440 Hz;
	// busy 480+620 Hz; UK 350+450 Hz).
	for _, dt := range [][]float64{{425}, {350, 440}, {480, 620}, {350, 450}, {400, 450}} {
		x := make([]int16, 8000*5)
		dtmftest.AddTones(x, -10, dt...)
		add(fmt.Sprintf("dial tone %v Hz", dt), false, &signal{samples: x})
	}
	{
		s := digitsSignal(all, 50, 50, nominal)
		dtmftest.AddTones(s.samples, -26, 350, 440)
		add("digits over dial tone 16 dB below", true, s)
	}
	return cs
}

func TestConformance(t *testing.T) {
	defer func() { leadIn = 80 }()
	for _, lead := range []int{80, 91, 103, 114} {
		leadIn = lead
		for _, c := range q24Cases() {
			checkConformance(t, fmt.Sprintf("%s (lead %d)", c.name, lead), c)
		}
	}
}

func checkConformance(t *testing.T, name string, c q24Case) {
	{
		t.Run(name, func(t *testing.T) {
			got := decode(c.sig.samples, 160)
			if !c.detect {
				if len(got) != 0 {
					t.Fatalf("must reject, detected %d digits: %+v", len(got), got)
				}
				return
			}
			if len(got) != len(c.sig.tones) {
				t.Fatalf("detected %d digits (%s), want %d (%s)", len(got), foundDigits(got), len(c.sig.tones), toneDigits(c.sig.tones))
			}
			for i, tn := range c.sig.tones {
				g := got[i]
				if g.Digit != tn.digit {
					t.Errorf("digit %d: %c, want %c", i, g.Digit, tn.digit)
				}
				// Times within 2 ms, confirmation within 30 ms of the onset.
				if d := g.Start - int64(tn.start); d < -16 || d > 16 {
					t.Errorf("digit %d (%c): start %d, true start %d", i, tn.digit, g.Start, tn.start)
				}
				if d := g.End - int64(tn.end); d < -16 || d > 16 {
					t.Errorf("digit %d (%c): end %d, true end %d", i, tn.digit, g.End, tn.end)
				}
				if lat := g.Confirmed - int64(tn.start); lat > 240 {
					t.Errorf("digit %d (%c): confirmed %.1f ms after onset", i, tn.digit, float64(lat)/8)
				}
			}
		})
	}
}

func rowIndex(f float64) int {
	for i, r := range RowFreqs {
		if r == f {
			return i
		}
	}
	return -1
}

func colIndex(f float64) int {
	for i, r := range ColFreqs {
		if r == f {
			return i
		}
	}
	return -1
}

func foundDigits(f []found) string {
	var b []byte
	for _, x := range f {
		b = append(b, x.Digit)
	}
	return string(b)
}

func toneDigits(ts []tone) string {
	var b []byte
	for _, x := range ts {
		b = append(b, x.digit)
	}
	return string(b)
}

// gateCases are the tones the gate must cover beyond the must-detect set: everything any
// detector we know might hear, with margins: ±12 dB twist down to -45 dBm0 for the weaker
// tone (spandsp and our detector stop at -42 dBm0), ±6 dB and 20 ms down to -70 dBm0
// (multimon-ng has no level floor, but needs about 20 ms), ±5 %, 10 ms, ramps.
func gateCases() []q24Case {
	var cs []q24Case
	for _, c := range q24Cases() {
		// Every signal of the suite that holds tones the gate's envelope covers: the
		// must-detect ones, and the must-reject ones too (off frequency, strong twist, quiet,
		// short): a detector other than ours might still hear them.
		if len(c.sig.tones) > 0 && c.name != "duration 5 ms" {
			cs = append(cs, c)
		}
	}
	add := func(name string, s *signal) { cs = append(cs, q24Case{name, true, s}) }
	for _, lvl := range []float64{-70, -45, -30, -3} {
		twists, durations := []float64{-12, 0, 12}, []float64{10, 40}
		if lvl < -45 { // multimon-ng territory only: ±6 dB, and it needs 20 ms
			twists, durations = []float64{-6, 0, 6}, []float64{20, 40}
		}
		for _, tw := range twists {
			for _, dev := range []float64{-0.05, 0, 0.05} {
				for _, ms := range durations {
					// lvl is the weaker tone's level (the louder one at -3 dBm0 at most)
					o := toneOpts{levelDBm0: lvl + math.Abs(tw)/2, twistDB: tw, lowDev: dev, highDev: -dev}
					if lvl == -3 {
						o.levelDBm0 = -3 - math.Abs(tw)/2
					}
					add(fmt.Sprintf("gate %g dBm0 twist %g dev %+g%% %g ms", lvl, tw, dev*100, ms), digitsSignal(Digits, ms, 30, o))
				}
			}
		}
	}
	for _, ramp := range []float64{2, 5} {
		add(fmt.Sprintf("gate ramp %g ms", ramp), digitsSignal(Digits, 40, 30, toneOpts{levelDBm0: -20, rampMS: ramp}))
		add(fmt.Sprintf("gate ramp %g ms at -45 dBm0", ramp), digitsSignal(Digits, 40, 30, toneOpts{levelDBm0: -45, rampMS: ramp}))
	}
	return cs
}

func TestGateConformance(t *testing.T) {
	// Tones fall at several positions of the gate's 16-sample grid (a weak tone's estimate,
	// and so the gate's decision, depends on it).
	defer func() { leadIn = 80 }()
	for _, lead := range []int{80, 81, 86, 92, 93} {
		leadIn = lead
		for _, c := range gateCases() {
			t.Run(fmt.Sprintf("%s (lead %d)", c.name, lead), func(t *testing.T) {
				var tones [][2]int
				for _, tn := range c.sig.tones {
					tones = append(tones, [2]int{tn.start, tn.end})
				}
				gateCoverage(t, c.sig.samples, 160, tones)
			})
		}
	}
}
