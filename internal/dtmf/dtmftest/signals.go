package dtmftest

import (
	"math"
	"math/rand/v2"

	"github.com/hushpay/hushpay/internal/audio"
)

// AddNoise adds white Gaussian noise at dBm0 (the level of a sine of the same power) to x,
// drawn from r so that each caller's signals are reproducible.
func AddNoise(x []int16, dBm0 float64, r *rand.Rand) {
	sigma := audio.SineAmplitude(dBm0) / math.Sqrt2
	for i := range x {
		x[i] = audio.Saturate(float64(x[i]) + r.NormFloat64()*sigma)
	}
}

// AddTones adds steady sines (a dial tone, a chord) at dBm0 per tone to 8 kHz audio x.
func AddTones(x []int16, dBm0 float64, freqs ...float64) {
	a := audio.SineAmplitude(dBm0)
	for i := range x {
		var v float64
		for _, f := range freqs {
			v += a * math.Sin(2*math.Pi*f*float64(i)/8000)
		}
		x[i] = audio.Saturate(float64(x[i]) + v)
	}
}
