package audio

import (
	"errors"
	"math"
	"testing"
)

// goertzelDBm0 measures the level of one frequency in 8 kHz samples.
func goertzelDBm0(s []int16, freq float64) float64 {
	w := 2 * math.Pi * freq / 8000
	var re, im float64
	for i, x := range s {
		re += float64(x) * math.Cos(w*float64(i))
		im -= float64(x) * math.Sin(w*float64(i))
	}
	a := 2 * math.Hypot(re, im) / float64(len(s))
	return PowerDBm0(a * a / 2)
}

func TestResampleTo8k(t *testing.T) {
	for _, rate := range []int{16000, 22050, 24000, 32000, 44100, 48000, 96000, 11025} {
		// An in-band tone keeps its level; a tone above 4 kHz does not fold back.
		in := sineSamples(rate, rate, 1209, -10)
		out, err := To8k(in, rate)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 8000 {
			t.Fatalf("%d Hz: %d samples out, want 8000", rate, len(out))
		}
		mid := out[1000:7000]
		if got := goertzelDBm0(mid, 1209); math.Abs(got+10) > 0.1 {
			t.Errorf("%d Hz: 1209 Hz tone at %.2f dBm0 after resampling, want -10", rate, got)
		}
		if rate >= 16000 {
			alias := sineSamples(rate, rate, 6791, -10) // folds onto 1209 Hz with naive decimation
			out, _ := To8k(alias, rate)
			if got := goertzelDBm0(out[1000:7000], 1209); got > -75 {
				t.Errorf("%d Hz: 6791 Hz tone leaks into 1209 Hz at %.1f dBm0", rate, got)
			}
		}
	}
}

func TestResampleErrors(t *testing.T) {
	if out, err := To8k([]int16{1, 2}, 8000); err != nil || len(out) != 2 {
		t.Errorf("8 kHz: %v %v", out, err)
	}
	if _, err := To8k([]int16{1, 2}, 4000); !errors.Is(err, ErrBadRate) {
		t.Errorf("4 kHz: err = %v", err)
	}
	if _, err := Resample(make([]int16, 10), 44101, 8000); !errors.Is(err, ErrBadRate) {
		t.Errorf("44101 Hz: err = %v", err)
	}
	if out, err := To8k(nil, 48000); err != nil || len(out) != 0 {
		t.Errorf("empty: %v %v", out, err)
	}
}

func TestLevels(t *testing.T) {
	s := sineSamples(8000, 8000, 1000, -20)
	if got := LevelDBm0(s); math.Abs(got+20) > 0.01 {
		t.Errorf("LevelDBm0 = %.3f, want -20", got)
	}
	if Saturate(40000) != 32767 || Saturate(-40000) != -32768 || Saturate(1.5) != 2 || Saturate(-1.5) != -2 {
		t.Error("Saturate")
	}
	d := []int16{30000, -30000, 5}
	Mix(d, []int16{30000, -30000, 5})
	if d[0] != 32767 || d[1] != -32768 || d[2] != 10 {
		t.Errorf("Mix = %v", d)
	}
	Gain(d[2:], 20*math.Log10(2))
	if d[2] != 20 {
		t.Errorf("Gain = %d", d[2])
	}
}
