package dtmf

import (
	"math/rand/v2"
	"testing"

	"github.com/hushpay/hushpay/internal/dtmf/dtmftest"
)

// benchAudio is 10 s of digits over noise, the load a detector sees on a busy call.
func benchAudio(b *testing.B) []int16 {
	b.Helper()
	s, _, err := Sequence("4111111111111111#1228#123#", SequenceOptions{ToneMS: 70, GapMS: 300, LeadMS: 500, LevelDBm0: -12})
	if err != nil {
		b.Fatal(err)
	}
	for len(s) < 80000 {
		s = append(s, 0)
	}
	s = s[:80000]
	dtmftest.AddNoise(s, -40, rand.New(rand.NewPCG(1, 7)))
	return s
}

// reportChannels turns the time per op (seconds of audio per op) into real-time channels
// per core.
func reportChannels(b *testing.B, audioSeconds float64) {
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(audioSeconds/perOp, "channels/core")
}

// BenchmarkDetector measures real-time channels one core can decode (20 ms packets).
func BenchmarkDetector(b *testing.B) {
	s := benchAudio(b)
	d := NewDetector(DefaultDetectorConfig())
	emit := func(Event) {}
	b.SetBytes(int64(2 * len(s)))
	b.ResetTimer()
	for b.Loop() {
		for i := 0; i < len(s); i += 160 {
			d.Process(s[i:i+160], emit)
		}
	}
	reportChannels(b, float64(len(s))/8000)
}

// BenchmarkToneGate measures real-time channels one core can gate (20 ms packets).
func BenchmarkToneGate(b *testing.B) {
	s := benchAudio(b)
	g := NewToneGate(DefaultGateConfig())
	mark := func(int64, int64) {}
	b.SetBytes(int64(2 * len(s)))
	b.ResetTimer()
	for b.Loop() {
		for i := 0; i < len(s); i += 160 {
			g.Process(s[i:i+160], mark)
		}
	}
	reportChannels(b, float64(len(s))/8000)
}
