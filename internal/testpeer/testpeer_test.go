package testpeer

import (
	"context"
	"math"
	"testing"
)

// tone makes a DTMF digit the plain way, independent of Hushpay's generator.
func tone(lo, hi float64, ms int) []int16 {
	n := ms * 8
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / 8000
		out[i] = int16(6000 * (math.Sin(2*math.Pi*lo*t) + math.Sin(2*math.Pi*hi*t)))
	}
	return out
}

func TestPeersDecodeAPlainDigit(t *testing.T) {
	sig := append(make([]int16, 800), tone(852, 1477, 100)...) // '9'
	sig = append(sig, make([]int16, 800)...)
	ctx := context.Background()
	t.Run("spandsp", func(t *testing.T) {
		got, err := DecodeSpandsp(ctx, Spandsp(t), sig)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Digit != '9' || got[0].StartMS < 100 || got[0].StartMS > 160 {
			t.Fatalf("spandsp found %+v, want one '9' starting 100-160 ms", got)
		}
	})
	t.Run("multimon-ng", func(t *testing.T) {
		got, err := DecodeMultimon(ctx, Multimon(t), sig)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Digit != '9' {
			t.Fatalf("multimon-ng found %+v, want one '9'", got)
		}
	})
}
