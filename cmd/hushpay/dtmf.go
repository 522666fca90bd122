package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hushpay/hushpay/internal/audio"
	"github.com/hushpay/hushpay/internal/dtmf"
)

const dtmfUsage = `Usage:
  hushpay dtmf decode FILE [--json]
      print the key tones in a WAV file: start_ms<TAB>end_ms<TAB>digit, in time order
  hushpay dtmf generate --digits D [--tone-ms 70 --gap-ms 70 --level -10 --twist 0
                        --rate 8000 --format pcm16|ulaw|alaw] OUT.wav
      write the digits as DTMF tones (level per tone in dBm0)
  hushpay dtmf scan DIR|FILE...
      audit recordings for key tones; exit status 1 when a card-like sequence (13-19 digits
      passing Luhn) is found, 2 when a file could not be read`

func runDTMF(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, dtmfUsage)
		return errUsage
	}
	switch args[0] {
	case "decode":
		return dtmfDecode(ctx, args[1:], stdout, stderr)
	case "generate":
		return dtmfGenerate(ctx, args[1:], stdout, stderr)
	case "scan":
		return dtmfScan(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, dtmfUsage)
		return nil
	}
	fmt.Fprintf(stderr, "hushpay dtmf: unknown subcommand %q\n\n%s\n", args[0], dtmfUsage)
	return errUsage
}

// parseInterleaved parses flags that may come before or after the positional arguments
// (`decode FILE --json`) and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// readAudio8k reads a WAV file and returns its audio at 8 kHz. A truncated file returns the
// samples that were read together with the error.
func readAudio8k(path string) (*audio.Sound, []int16, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	snd, rerr := audio.ReadWAV(bytes.NewReader(b))
	if snd == nil {
		return nil, nil, rerr
	}
	x, err := audio.To8k(snd.Samples, snd.Rate)
	if err != nil {
		return nil, nil, err
	}
	return snd, x, rerr
}

type jsonTone struct {
	Digit   string  `json:"digit"`
	StartMS float64 `json:"start_ms"`
	EndMS   float64 `json:"end_ms"`
	// ConfirmedMS is when the detector was sure (its latency is ConfirmedMS - StartMS).
	ConfirmedMS float64 `json:"confirmed_ms"`
}

func toMS(sample int64) float64 { return float64(sample) / 8 }

func dtmfDecode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dtmf decode", stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of tab-separated lines")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "Usage: hushpay dtmf decode FILE [--json]")
		return errUsage
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	snd, x, err := readAudio8k(pos[0])
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	tones := dtmf.DecodeAll(x, dtmf.DefaultDetectorConfig())
	if *asJSON {
		out := struct {
			File       string     `json:"file"`
			Rate       int        `json:"rate"`
			Format     string     `json:"format"`
			DurationMS float64    `json:"duration_ms"`
			Digits     []jsonTone `json:"digits"`
		}{pos[0], snd.Rate, snd.Format.String(), toMS(int64(len(x))), []jsonTone{}}
		for _, t := range tones {
			out.Digits = append(out.Digits, jsonTone{string(t.Digit), toMS(t.Start), toMS(t.End), toMS(t.Confirmed)})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, t := range tones {
		fmt.Fprintf(stdout, "%.1f\t%.1f\t%c\n", toMS(t.Start), toMS(t.End), t.Digit)
	}
	return nil
}

func dtmfGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dtmf generate", stderr)
	digits := fs.String("digits", "", "keys to generate (0-9 * # A-D)")
	toneMS := fs.Float64("tone-ms", 70, "duration of each tone in milliseconds")
	gapMS := fs.Float64("gap-ms", 70, "silence after each tone in milliseconds")
	leadMS := fs.Float64("lead-ms", 0, "silence before the first tone in milliseconds")
	level := fs.Float64("level", -10, "level of each tone in dBm0")
	twist := fs.Float64("twist", 0, "high-group level minus low-group level in dB")
	rate := fs.Int("rate", 8000, "sample rate: 8000, 16000, 22050, 44100 or 48000")
	format := fs.String("format", "pcm16", "encoding: pcm16, ulaw or alaw")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *digits == "" {
		fmt.Fprintln(stderr, "Usage: hushpay dtmf generate --digits D [flags] OUT.wav")
		return errUsage
	}
	f, err := audio.ParseFormat(*format)
	if err != nil {
		return err
	}
	switch *rate {
	case 8000, 16000, 22050, 44100, 48000:
	default:
		return fmt.Errorf("--rate %d: want 8000, 16000, 22050, 44100 or 48000", *rate)
	}
	if loud := *level + max(*twist, -*twist)/2; loud > audio.FullScaleSineDBm0-6.03 {
		return fmt.Errorf("--level %g with --twist %g clips: the louder tone must stay at or below %.2f dBm0", *level, *twist, audio.FullScaleSineDBm0-6.03)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	samples, _, err := dtmf.Sequence(*digits, dtmf.SequenceOptions{
		Rate: *rate, ToneMS: *toneMS, GapMS: *gapMS, LeadMS: *leadMS, LevelDBm0: *level, TwistDB: *twist,
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := audio.WriteWAV(&buf, *rate, f, samples); err != nil {
		return err
	}
	return os.WriteFile(pos[0], buf.Bytes(), 0o644)
}

func dtmfScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	pos, err := parseInterleaved(newFlagSet("dtmf scan", stderr), args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fmt.Fprintln(stderr, "Usage: hushpay dtmf scan DIR|FILE...")
		return errUsage
	}
	var files []string
	unreadable := 0
	for _, p := range pos {
		st, err := os.Stat(p)
		if err != nil {
			fmt.Fprintf(stdout, "%s: error: %v\n", p, err)
			unreadable++
			continue
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				fmt.Fprintf(stdout, "%s: error: %v\n", path, err)
				unreadable++
				return nil
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".wav") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	sort.Strings(files)
	var withTones, withCards int
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, x, err := readAudio8k(path)
		if x == nil {
			fmt.Fprintf(stdout, "%s: error: %v\n", path, err)
			unreadable++
			continue
		}
		if err != nil {
			fmt.Fprintf(stdout, "%s: warning: %v (scanned the part that was read)\n", path, err)
		}
		tones := dtmf.DecodeAll(x, dtmf.DefaultDetectorConfig())
		seqs := dtmf.Sequences(tones, dtmf.SequenceGap)
		cards := 0
		for _, s := range seqs {
			if s.CardLike {
				cards++
			}
		}
		fmt.Fprintf(stdout, "%s: %d key tones in %d sequences, %d card-like\n", path, len(tones), len(seqs), cards)
		for _, s := range seqs {
			flag := ""
			if s.CardLike {
				flag = "  CARD-LIKE"
			}
			fmt.Fprintf(stdout, "  %9.3f s  %2d keys  %s%s\n", float64(s.Tones[0].Start)/8000, len(s.Tones), dtmf.MaskDigits(s.Digits), flag)
		}
		if len(tones) > 0 {
			withTones++
		}
		if cards > 0 {
			withCards++
		}
	}
	fmt.Fprintf(stdout, "scanned %d files: %d with key tones, %d with card-like sequences, %d unreadable\n", len(files), withTones, withCards, unreadable)
	switch {
	case withCards > 0:
		return &exitError{code: 1, err: errors.New("")}
	case unreadable > 0:
		return &exitError{code: 2, err: fmt.Errorf("%d files could not be read", unreadable)}
	}
	return nil
}
