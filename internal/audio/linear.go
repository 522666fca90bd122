package audio

import "math"

// FullScaleSineDBm0 is the level of a sine wave whose peak is full scale (ITU-T G.711: the
// maximum sine level is +3.14 dBm0).
const FullScaleSineDBm0 = 3.14

// SineAmplitude returns the peak amplitude, in linear 16-bit units, of a sine wave at the
// given level in dBm0.
func SineAmplitude(dBm0 float64) float64 {
	return 32767 * math.Pow(10, (dBm0-FullScaleSineDBm0)/20)
}

// PowerDBm0 returns the level in dBm0 of a signal whose mean square (in 16-bit units) is ms:
// a sine of peak A has mean square A²/2.
func PowerDBm0(ms float64) float64 {
	if ms <= 0 {
		return math.Inf(-1)
	}
	ref := SineAmplitude(0)
	return 10 * math.Log10(ms/(ref*ref/2))
}

// LevelDBm0 returns the level in dBm0 of samples (their mean square power).
func LevelDBm0(samples []int16) float64 {
	if len(samples) == 0 {
		return math.Inf(-1)
	}
	var sum float64
	for _, s := range samples {
		f := float64(s)
		sum += f * f
	}
	return PowerDBm0(sum / float64(len(samples)))
}

// Saturate rounds f to the nearest int16, clipping at the limits.
func Saturate(f float64) int16 {
	switch {
	case f >= 32767:
		return 32767
	case f <= -32768:
		return -32768
	case f >= 0:
		return int16(f + 0.5)
	default:
		return int16(f - 0.5)
	}
}

// Mix adds src to dst sample by sample with saturation (len(dst) >= len(src)).
func Mix(dst, src []int16) {
	dst = dst[:len(src)]
	for i, s := range src {
		dst[i] = Saturate(float64(dst[i]) + float64(s))
	}
}

// Gain scales samples in place by g dB with saturation.
func Gain(samples []int16, dB float64) {
	g := math.Pow(10, dB/20)
	for i, s := range samples {
		samples[i] = Saturate(float64(s) * g)
	}
}
