package audio

import (
	"fmt"
	"math"
)

// Resampling to 8 kHz for analysis: a polyphase windowed-sinc low-pass (Kaiser window,
// β = 8, about 80 dB stop-band attenuation) with its cut-off at 3.7 kHz, so that nothing above
// the 4 kHz Nyquist frequency of the output folds back into the telephone band.

const (
	resampleZeros = 16    // half-length of the filter in output sample periods
	resampleCut   = 3700. // Hz at an 8 kHz output, -6 dB point; scaled for other outputs
	kaiserBeta    = 8.0
)

// To8k returns samples at rate converted to 8 kHz (the input itself when rate is 8000).
// Rates below 8 kHz and rates not in SupportedRates return ErrBadRate.
func To8k(samples []int16, rate int) ([]int16, error) {
	return Resample(samples, rate, 8000)
}

// Resample converts samples from rate `from` down to rate `to` (to <= from) with a low-pass
// filter that removes everything above to/2. Equal rates return samples unchanged.
func Resample(samples []int16, from, to int) ([]int16, error) {
	if from == to {
		return samples, nil
	}
	if to <= 0 || from < to || from > 1<<20 {
		return nil, fmt.Errorf("%w: %d Hz to %d Hz (only down-sampling)", ErrBadRate, from, to)
	}
	g := gcd(from, to)
	phases := to / g // distinct fractional positions
	step := from / g // input advance per `phases` outputs, in units of 1/phases samples
	if phases > 4096 {
		return nil, fmt.Errorf("%w: %d Hz to %d Hz needs %d filter phases", ErrBadRate, from, to, phases)
	}
	ratio := float64(from) / float64(to)
	half := int(math.Ceil(resampleZeros * ratio)) // taps each side, in input samples
	taps := 2 * half
	cut := resampleCut / 8000 * float64(to) / float64(from) // cycles per input sample
	// bank[p][j] is the weight of input sample k0-half+1+j for output phase p.
	bank := make([]float64, phases*taps)
	i0 := besselI0(kaiserBeta)
	for p := range phases {
		frac := float64(p) / float64(phases)
		var sum float64
		for j := range taps {
			t := frac + float64(half-1-j) // distance from the output point to the input sample
			x := t / float64(half)
			var w float64
			if x > -1 && x < 1 {
				w = besselI0(kaiserBeta*math.Sqrt(1-x*x)) / i0
			}
			h := 2 * cut * sinc(2*cut*t) * w
			bank[p*taps+j] = h
			sum += h
		}
		for j := range taps { // unity gain at DC for every phase
			bank[p*taps+j] /= sum
		}
	}
	n := int((int64(len(samples)) * int64(to)) / int64(from))
	out := make([]int16, n)
	for i := range out {
		pos := int64(i) * int64(step) // in units of 1/phases input samples
		k0 := int(pos / int64(phases))
		p := int(pos % int64(phases))
		w := bank[p*taps : (p+1)*taps]
		base := k0 - half + 1
		var acc float64
		if base >= 0 && base+taps <= len(samples) {
			for j, h := range w {
				acc += h * float64(samples[base+j])
			}
		} else {
			for j, h := range w {
				if k := base + j; k >= 0 && k < len(samples) {
					acc += h * float64(samples[k])
				}
			}
		}
		out[i] = Saturate(acc)
	}
	return out, nil
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the modified Bessel function of the first kind, order 0 (power series).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < 1e-12*sum {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
