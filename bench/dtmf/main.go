// Command dtmfbench generates the shared DTMF signal set, runs `hushpay dtmf decode` and
// spandsp's DTMF receiver over the same audio, and prints a side-by-side table: per category
// correct / missed / false detections, talk-off hits and detection latency. It is run by
// bench/dtmf/run, which builds both decoders first.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hushpay/hushpay/internal/audio"
	"github.com/hushpay/hushpay/internal/dtmf"
	"github.com/hushpay/hushpay/internal/dtmf/dtmftest"
	"github.com/hushpay/hushpay/internal/testpeer"
)

// truth is a tone placed in a signal, in samples.
type truth struct {
	digit      byte
	start, end int
}

// signalCase is one file of the set.
type signalCase struct {
	name    string
	samples []int16
	tones   []truth
	path    string // WAV written for hushpay; for corpus items the original file
}

type category struct {
	name   string
	detect bool // must detect the tones (false: must reject them)
	cases  []*signalCase
}

// detection is a digit a decoder reported; at is when it was confirmed (ms).
type detection struct {
	digit byte
	at    float64
}

func main() {
	hushpay := flag.String("hushpay", "", "hushpay binary")
	spandsp := flag.String("spandsp", "", "spandsp decoder binary (internal/testpeer/spandsp/dtmfdecode.c)")
	dir := flag.String("dir", "", "working directory for the signal files")
	flag.Parse()
	if *hushpay == "" || *spandsp == "" || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: dtmfbench -hushpay BIN -spandsp BIN -dir DIR")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if err := bench(ctx, *hushpay, *spandsp, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "dtmfbench:", err)
		os.Exit(1)
	}
}

func bench(ctx context.Context, hushpay, spandsp, dir string) error {
	cats := signalSet()
	talk, err := talkOff(ctx, filepath.Join(dir, "talkoff"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "talk-off corpus skipped:", err)
	}
	cats = append(cats, talk...)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	type side struct{ correct, missed, false_ int }
	var allOurs, allTheirs []float64
	var rows []string
	for _, c := range cats {
		var ours, theirs side
		var latOurs, latTheirs []float64
		tones := 0
		for i, sc := range c.cases {
			if sc.path == "" {
				sc.path = filepath.Join(dir, fmt.Sprintf("%s-%d.wav", slug(c.name), i))
				var buf bytes.Buffer
				if err := audio.WriteWAV(&buf, 8000, audio.PCM16, sc.samples); err != nil {
					return err
				}
				if err := os.WriteFile(sc.path, buf.Bytes(), 0o644); err != nil {
					return err
				}
			}
			o, err := decodeHushpay(ctx, hushpay, sc.path)
			if err != nil {
				return err
			}
			s, err := decodeSpandsp(ctx, spandsp, sc.samples)
			if err != nil {
				return err
			}
			tones += len(sc.tones)
			oc, om, of, ol := score(c.detect, sc.tones, o)
			sc2, sm, sf, sl := score(c.detect, sc.tones, s)
			ours.correct, ours.missed, ours.false_ = ours.correct+oc, ours.missed+om, ours.false_+of
			theirs.correct, theirs.missed, theirs.false_ = theirs.correct+sc2, theirs.missed+sm, theirs.false_+sf
			latOurs = append(latOurs, ol...)
			latTheirs = append(latTheirs, sl...)
		}
		allOurs = append(allOurs, latOurs...)
		allTheirs = append(allTheirs, latTheirs...)
		kind := "detect"
		missedO, missedT := fmt.Sprint(ours.missed), fmt.Sprint(theirs.missed)
		if !c.detect {
			kind = "reject"
			missedO, missedT = "-", "-"
		}
		verdict := "ok"
		if ours.correct < theirs.correct || ours.false_ > theirs.false_ {
			verdict = "**worse**"
		} else if ours.correct > theirs.correct || ours.false_ < theirs.false_ {
			verdict = "better"
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %d | %d / %s / %d | %d / %s / %d | %s | %s | %s |",
			c.name, kind, tones, ours.correct, missedO, ours.false_, theirs.correct, missedT, theirs.false_,
			latency(latOurs), latency(latTheirs), verdict))
	}
	fmt.Println("| category | expect | tones | hushpay correct / missed / false | spandsp correct / missed / false | hushpay latency median / max (ms) | spandsp latency median / max (ms) | hushpay vs spandsp |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---|")
	for _, r := range rows {
		fmt.Println(r)
	}
	fmt.Printf("| **all must-detect tones** | | | | | %s | %s | |\n", latency(allOurs), latency(allTheirs))
	fmt.Println()
	fmt.Println("correct: a tone detected once with the right digit (must-detect rows) or not detected at all")
	fmt.Println("(must-reject rows); false: any other report. Latency: confirmation time minus true onset.")
	return nil
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

func latency(l []float64) string {
	if len(l) == 0 {
		return "-"
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return fmt.Sprintf("%.1f / %.1f", s[len(s)/2], s[len(s)-1])
}

// score matches detections to tones: a detection confirmed between a tone's onset and 60 ms
// after its end, with the tone's digit, detects it (once).
func score(detect bool, tones []truth, det []detection) (correct, missed, false_ int, lat []float64) {
	used := make([]bool, len(det))
	for _, t := range tones {
		hit := -1
		for i, d := range det {
			if !used[i] && d.digit == t.digit && d.at >= float64(t.start)/8 && d.at <= float64(t.end)/8+60 {
				hit = i
				break
			}
		}
		switch {
		case hit >= 0 && detect:
			used[hit] = true
			correct++
			lat = append(lat, det[hit].at-float64(t.start)/8)
		case hit >= 0:
			// a must-reject tone was heard: counted below as false
		case detect:
			missed++
		default:
			correct++
		}
	}
	for i := range det {
		if !used[i] {
			false_++
		}
	}
	return correct, missed, false_, lat
}

func decodeHushpay(ctx context.Context, bin, path string) ([]detection, error) {
	out, err := exec.CommandContext(ctx, bin, "dtmf", "decode", "--json", path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("hushpay dtmf decode %s: %w: %s", path, err, ee.Stderr)
		}
		return nil, err
	}
	var res struct {
		Digits []struct {
			Digit       string  `json:"digit"`
			ConfirmedMS float64 `json:"confirmed_ms"`
		} `json:"digits"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, err
	}
	var d []detection
	for _, x := range res.Digits {
		d = append(d, detection{x.Digit[0], x.ConfirmedMS})
	}
	return d, nil
}

func decodeSpandsp(ctx context.Context, bin string, samples []int16) ([]detection, error) {
	tones, err := testpeer.DecodeSpandsp(ctx, bin, samples)
	if err != nil {
		return nil, err
	}
	var d []detection
	for _, t := range tones { // spandsp reports a digit when it confirms it
		d = append(d, detection{t.Digit, t.StartMS})
	}
	return d, nil
}

// --- the signal set -----------------------------------------------------------------------

type toneOpts struct {
	level, twist    float64 // per-tone mean level (dBm0), high minus low (dB)
	lowDev, highDev float64
}

func (sc *signalCase) add(d byte, at, n int, o toneOpts) {
	lo, hi, _ := dtmf.DigitFreqs(d)
	sc.samples = dtmf.AddTone(sc.samples, 8000, at, n, dtmf.ToneSpec{
		LowHz: lo * (1 + o.lowDev), HighHz: hi * (1 + o.highDev),
		LowDBm0: o.level - o.twist/2, HighDBm0: o.level + o.twist/2,
	})
	sc.tones = append(sc.tones, truth{d, at, at + n})
}

func (sc *signalCase) pad(n int) { sc.samples = append(sc.samples, make([]int16, n)...) }

// digitsCase lays out the digits with the given tone and gap durations; each gap is
// lengthened by 0-33 samples (up to 4.1 ms) so that the tones fall at every position of the
// decoders' block grids.
func digitsCase(name, ds string, toneMS, gapMS float64, o toneOpts) *signalCase {
	sc := &signalCase{name: name}
	at := 800
	for i := 0; i < len(ds); i++ {
		n := int(toneMS * 8)
		sc.add(ds[i], at, n, o)
		at += n + int(gapMS*8) + (i*13)%34
	}
	sc.pad(800)
	return sc
}

func signalSet() []category {
	all := dtmf.Digits
	nom := toneOpts{level: -10}
	var cats []category
	cat := func(name string, detect bool, cs ...*signalCase) {
		cats = append(cats, category{name, detect, cs})
	}
	cat("nominal (-10 dBm0, 50/50 ms, 4 rounds)", true, digitsCase("nominal", all+all+all+all, 50, 50, nom))
	var f15, f35 []*signalCase
	for _, dl := range []float64{-0.015, 0.015} {
		for _, dh := range []float64{-0.015, 0.015} {
			f15 = append(f15, digitsCase("f15", all, 50, 50, toneOpts{level: -10, lowDev: dl, highDev: dh}))
		}
	}
	for _, d := range []float64{-0.035, 0.035} {
		f35 = append(f35,
			digitsCase("f35l", all, 50, 50, toneOpts{level: -10, lowDev: d}),
			digitsCase("f35h", all, 50, 50, toneOpts{level: -10, highDev: d}),
			digitsCase("f35b", all, 50, 50, toneOpts{level: -10, lowDev: d, highDev: d}))
	}
	cat("frequency ±1.5 % (both tones, 4 sign combinations)", true, f15...)
	cat("frequency ±3.5 % (low, high, both)", false, f35...)
	cat("twist 8 dB normal, 4 dB reverse", true,
		digitsCase("tn8", all, 50, 50, toneOpts{level: -10, twist: -8}),
		digitsCase("tr4", all, 50, 50, toneOpts{level: -10, twist: 4}))
	cat("twist 12 dB normal, 8 dB reverse", false,
		digitsCase("tn12", all, 50, 50, toneOpts{level: -10, twist: -12}),
		digitsCase("tr8", all, 50, 50, toneOpts{level: -10, twist: 8}))
	var lv []*signalCase
	for _, l := range []float64{3, 0, -3, -20, -32, -36} {
		lv = append(lv, digitsCase("lv", all, 50, 50, toneOpts{level: l}))
	}
	cat("levels +3 and 0 (clipped), -3, -20, -32, -36 dBm0 per tone", true, lv...)
	cat("levels -50, -55 dBm0 per tone", false,
		digitsCase("lv50", all, 50, 50, toneOpts{level: -50}), digitsCase("lv55", all, 50, 50, toneOpts{level: -55}))
	cat("durations 40, 45 ms", true, digitsCase("d40", all, 40, 60, nom), digitsCase("d45", all, 45, 60, nom))
	cat("durations 10, 15, 19 ms", false,
		digitsCase("d10", all, 10, 60, nom), digitsCase("d15", all, 15, 60, nom), digitsCase("d19", all, 19, 60, nom))
	cat("gaps 40 ms (also repeated digits)", true,
		digitsCase("g40", all, 40, 40, nom), digitsCase("g40r", "111155550000####", 40, 40, nom))
	{
		sc := &signalCase{name: "int"}
		at := 800
		for i := 0; i < len(all); i++ {
			sc.add(all[i], at, 800, nom)
			for k := at + 400; k < at+480; k++ {
				sc.samples[k] = 0
			}
			at += 800 + 480
		}
		sc.pad(800)
		cat("interruption 10 ms inside 100 ms tones", true, sc)
	}
	{
		a := digitsCase("n10", all, 50, 50, toneOpts{level: -10})
		dtmftest.AddNoise(a.samples, -10+3.01-15, rand.New(rand.NewPCG(1, 11)))
		b := digitsCase("n20", all, 50, 50, toneOpts{level: -20})
		dtmftest.AddNoise(b.samples, -20+3.01-15, rand.New(rand.NewPCG(2, 11)))
		cat("white noise, 15 dB SNR (-10 and -20 dBm0)", true, a, b)
	}
	{
		a := digitsCase("dt", all, 50, 50, nom)
		dtmftest.AddTones(a.samples, -26, 350, 440)
		cat("digits over dial tone 350+440 Hz 16 dB below", true, a)
		var alone []*signalCase
		for _, f := range [][]float64{{425}, {350, 440}, {480, 620}, {400, 450}} {
			x := make([]int16, 5*8000)
			dtmftest.AddTones(x, -10, f...)
			alone = append(alone, &signalCase{name: "dial", samples: x})
		}
		cat("dial tones alone (425, 350+440, 480+620, 400+450 Hz)", false, alone...)
	}
	return cats
}

func talkOff(ctx context.Context, dir string) ([]category, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	items, err := dtmftest.Build(ctx, dir)
	if err != nil {
		return nil, err
	}
	var speech, music []*signalCase
	for _, it := range items {
		sc := &signalCase{name: it.Name, samples: it.Samples, path: it.Path}
		if it.Kind == "speech" {
			speech = append(speech, sc)
		} else {
			music = append(music, sc)
		}
	}
	return []category{
		{fmt.Sprintf("talk-off speech (espeak-ng, %.0f s)", dtmftest.Seconds(items, "speech")), false, speech},
		{fmt.Sprintf("talk-off music (sox synth, %.0f s)", dtmftest.Seconds(items, "music")), false, music},
	}, nil
}
