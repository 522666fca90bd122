package dtmf

import (
	"context"
	"testing"

	"github.com/hushpay/hushpay/internal/testpeer"
)

// TestTalkOff runs the detector over the talk-off corpus: it must report no more digits than
// spandsp does on the same audio, and the gate must cover every digit spandsp hears in it.
func TestTalkOff(t *testing.T) {
	items := talkOffCorpus(t)
	bin := testpeer.Spandsp(t)
	var ours, theirs map[string]int = map[string]int{}, map[string]int{}
	var masked, total map[string]int = map[string]int{}, map[string]int{}
	for _, it := range items {
		got := decode(it.Samples, 160)
		ours[it.Kind] += len(got)
		for _, g := range got {
			t.Logf("ours: %s: %c at %.3f s", it.Name, g.Digit, float64(g.Start)/8000)
		}
		sp, err := testpeer.DecodeSpandsp(context.Background(), bin, it.Samples)
		if err != nil {
			t.Fatal(err)
		}
		theirs[it.Kind] += len(sp)
		var tones [][2]int
		for _, s := range sp {
			t.Logf("spandsp: %s: %c at %.3f s", it.Name, s.Digit, s.StartMS/1000)
			// spandsp reports from confirmation; the tone began up to 40 ms earlier
			tones = append(tones, [2]int{max(0, int(s.StartMS*8)-320), int(s.EndMS * 8)})
		}
		marked := gateCoverage(t, it.Samples, 160, tones)
		for _, m := range marked[:len(it.Samples)] {
			if m {
				masked[it.Kind]++
			}
		}
		total[it.Kind] += len(it.Samples)
	}
	for _, k := range []string{"speech", "music"} {
		t.Logf("%s: %.0f s, ours %d digits, spandsp %d digits; gate marks %.2f %% of the audio",
			k, float64(total[k])/8000, ours[k], theirs[k], 100*float64(masked[k])/float64(total[k]))
		if ours[k] > theirs[k] {
			t.Errorf("%s talk-off: ours %d digits > spandsp %d", k, ours[k], theirs[k])
		}
	}
}

// TestGateMasksTonesOverSpeech keys digits over speech at several tone-to-speech ratios,
// masks what the gate marks (flat tone), and runs all three detectors (ours, spandsp,
// multimon-ng) over the result: none may hear a keyed digit. It also counts the tone samples
// the gate left unmarked: where speech is far louder than the tone, short stretches of it can
// escape the gate, but never enough for any detector to recover the digit.
func TestGateMasksTonesOverSpeech(t *testing.T) {
	for _, m := range mixtures() {
		t.Run(m.name, func(t *testing.T) { checkMasking(t, DefaultGateConfig(), m) })
	}
}

// mixture is a way of keying digits over the talk-off corpus.
type mixture struct {
	name   string
	kind   string // corpus kind
	every  int    // use every n-th item of the kind
	levels []float64
	toneMS float64
	opts   []toneOpts // per level: twist and deviations (levelDBm0 is set from levels)
	mask   MaskMode   // masking signal (default: a 1000 Hz tone at -20 dBm0)
}

// mixtures are the mixture cases: nominal digits over speech; quiet digits under louder
// speech; digits off frequency by ±5 % (beyond any detector's tolerance, but the gate's
// envelope) over music; and fragments of 10-20 ms over speech.
func mixtures() []mixture {
	nominal := []toneOpts{{}}
	off := []toneOpts{{lowDev: 0.05, highDev: -0.05}, {lowDev: -0.05, highDev: 0.05}, {lowDev: 0.03, highDev: 0.03, twistDB: -8}}
	return []mixture{
		{"speech", "speech", 4, []float64{-6, -14, -22}, 60, nominal, ""},
		{"quiet under speech", "speech", 5, []float64{-26, -30}, 80, []toneOpts{{}, {twistDB: 6}}, ""},
		{"off frequency over music", "music", 3, []float64{-10, -20}, 60, off, ""},
		{"fragments over speech", "speech", 6, []float64{-6, -14}, 0, nominal, ""},
	}
}

func checkMasking(t *testing.T, cfg GateConfig, mx mixture) (recovered int, leakedPct float64) {
	items := talkOffCorpus(t)
	sp := testpeer.Spandsp(t)
	mm := testpeer.Multimon(t)
	ctx := context.Background()
	var heardBefore, spBefore, mmBefore, total, toneSamples, leaked int
	n := 0
	for _, it := range items {
		if it.Kind != mx.kind {
			continue
		}
		n++
		if (n-1)%mx.every != 0 {
			continue
		}
		for li, level := range mx.levels {
			s := &signal{samples: append([]int16(nil), it.Samples...)}
			at := 4000
			o := mx.opts[(n/mx.every+li)%len(mx.opts)]
			o.levelDBm0 = level
			for k := 0; at+800 < len(s.samples); k++ {
				ms := mx.toneMS
				if ms == 0 { // fragments: 10, 12.5, 15, 17.5, 20 ms
					ms = 10 + 2.5*float64(k%5)
				}
				s.add(Digits[k%16], at, int(ms*8), o)
				at += int(ms*8) + 8000
			}
			total += len(s.tones)
			heardBefore += len(decode(s.samples, 160))
			if b, err := testpeer.DecodeSpandsp(ctx, sp, s.samples); err == nil {
				spBefore += len(b)
			}
			if b, err := testpeer.DecodeMultimon(ctx, mm, s.samples); err == nil {
				mmBefore += len(b)
			}
			marked, _ := coverage(cfg, s.samples, 160, nil)
			mode := mx.mask
			if mode == "" {
				mode = MaskTone
			}
			mask, err := NewMaskSignal(MaskConfig{Mode: mode, FreqHz: 1000, Digit: '#', LevelDBm0: -20})
			if err != nil {
				t.Fatal(err)
			}
			out := append([]int16(nil), s.samples...)
			one := make([]int16, 1)
			for k := range out {
				if marked[k] {
					mask.Fill(one)
					out[k] = one[0]
				}
			}
			for _, tn := range s.tones {
				for k := tn.start; k < tn.end; k++ {
					toneSamples++
					if !marked[k] {
						leaked++
					}
				}
			}
			keyed := func(d byte, start, end int) bool {
				for _, tn := range s.tones {
					if tn.digit == d && (end < 0 || (start < tn.end+400 && end > tn.start-400)) {
						return true
					}
				}
				return false
			}
			for _, f := range decode(out, 160) {
				if keyed(f.Digit, int(f.Start), int(f.End)) {
					recovered++
					t.Errorf("%s, digits at %g dBm0: ours hears %c at %d after masking", it.Name, level, f.Digit, f.Start)
				}
			}
			spt, err := testpeer.DecodeSpandsp(ctx, sp, out)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range spt {
				if keyed(f.Digit, int(f.StartMS*8)-320, int(f.EndMS*8)) {
					recovered++
					t.Errorf("%s, digits at %g dBm0: spandsp hears %c at %.0f ms after masking", it.Name, level, f.Digit, f.StartMS)
				}
			}
			mmt, err := testpeer.DecodeMultimon(ctx, mm, out)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range mmt {
				if keyed(f.Digit, 0, -1) {
					recovered++
					t.Errorf("%s, digits at %g dBm0: multimon-ng hears %c after masking", it.Name, level, f.Digit)
				}
			}
		}
	}
	t.Logf("%s: %d digits keyed (unmasked, ours hears %d, spandsp %d, multimon-ng %d); after masking the detectors hear %d; %.3f %% of tone samples escaped the gate",
		mx.name, total, heardBefore, spBefore, mmBefore, recovered, 100*float64(leaked)/float64(toneSamples))
	return recovered, 100 * float64(leaked) / float64(toneSamples)
}

func markOverlap(detected []bool, tones []tone, d byte, start, end int) {
	for k, tn := range tones {
		if tn.digit == d && start < tn.end && end > tn.start {
			detected[k] = true
		}
	}
}
