package dtmf

import (
	"strings"

	"github.com/hushpay/hushpay/internal/capture"
)

// Tone is one key tone found in audio: the digit and its sample range [Start, End) at 8 kHz.
type Tone struct {
	Digit      byte
	Start, End int64
	Confirmed  int64 // sample at which the detector confirmed the digit
}

// DecodeAll runs a fresh detector with cfg over 8 kHz samples and returns every digit in
// time order.
func DecodeAll(samples []int16, cfg DetectorConfig) []Tone {
	d := NewDetector(cfg)
	var tones []Tone
	emit := func(e Event) {
		switch e.Kind {
		case DigitStart:
			tones = append(tones, Tone{Digit: e.Digit, Start: e.Sample, End: -1, Confirmed: e.At})
		case DigitEnd:
			if n := len(tones); n > 0 && tones[n-1].End < 0 {
				tones[n-1].End = max(e.Sample, tones[n-1].Start)
			}
		}
	}
	const chunk = 4096
	for i := 0; i < len(samples); i += chunk {
		d.Process(samples[i:min(i+chunk, len(samples))], emit)
	}
	d.Flush(emit)
	return tones
}

// KeySequence is a run of key tones keyed close together: what a caller types in one go.
type KeySequence struct {
	Tones  []Tone
	Digits string
	// CardLike is set when the sequence, or its first 13-19 digits (a card number followed
	// by expiry or security code without a terminator), has 13-19 digits and passes Luhn.
	CardLike bool
}

// SequenceGap is the silence, in samples at 8 kHz, that ends a key sequence (3 s).
const SequenceGap = 3 * 8000

// Sequences splits tones into key sequences: a sequence ends at '*' or '#' (terminators,
// which stay in it) or at a silence longer than maxGap samples.
func Sequences(tones []Tone, maxGap int64) []KeySequence {
	var (
		out []KeySequence
		cur []Tone
	)
	flush := func() {
		if len(cur) == 0 {
			return
		}
		var b strings.Builder
		for _, t := range cur {
			b.WriteByte(t.Digit)
		}
		s := KeySequence{Tones: cur, Digits: b.String()}
		s.CardLike = cardLike(s.Digits)
		out = append(out, s)
		cur = nil
	}
	for _, t := range tones {
		if len(cur) > 0 && t.Start-cur[len(cur)-1].End > maxGap {
			flush()
		}
		cur = append(cur, t)
		if t.Digit == '*' || t.Digit == '#' {
			flush()
		}
	}
	flush()
	return out
}

func cardLike(s string) bool {
	s = strings.TrimRight(s, "*#")
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	if len(s) >= 13 && len(s) <= 19 && capture.Luhn([]byte(s)) {
		return true
	}
	for n := 13; n <= 19 && n < len(s); n++ {
		if capture.Luhn([]byte(s[:n])) {
			return true
		}
	}
	return false
}

// MaskDigits hides key sequences that could hold card numbers: a sequence of 12 or more keys
// (trailing '*' and '#' terminators aside) keeps at most its first six and last four (what
// PCI DSS allows to be shown); shorter ones are returned as they are.
func MaskDigits(s string) string {
	body := strings.TrimRight(s, "*#")
	if len(body) < 12 {
		return s
	}
	return body[:6] + strings.Repeat("*", len(body)-10) + body[len(body)-4:] + s[len(body):]
}
