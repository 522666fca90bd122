package dtmf_test

import (
	"fmt"

	"github.com/hushpay/hushpay/internal/dtmf"
)

// A masker delays the customer's audio by the gate's latency and replaces every sample the
// gate marks with the masking signal before it leaves. Each new range starts at the oldest
// sample not yet released, so keeping the latest merged range is enough.
func ExampleToneGate() {
	gate := dtmf.NewToneGate(dtmf.DefaultGateConfig())
	mask, err := dtmf.NewMaskSignal(dtmf.MaskConfig{Mode: dtmf.MaskTone, FreqHz: 1000, LevelDBm0: -20})
	if err != nil {
		panic(err)
	}
	in, _, _ := dtmf.Sequence("4", dtmf.SequenceOptions{ToneMS: 60, GapMS: 100, LeadMS: 100, LevelDBm0: -10})

	var from, until int64 // the marked range [from, until)
	mark := func(s, e int64) {
		if s > until {
			from = s
		}
		until = max(until, e)
	}
	out := make([]int16, 0, len(in))
	one := make([]int16, 1)
	release := func(upTo int) { // send samples [len(out), upTo)
		for i := len(out); i < upTo; i++ {
			s := in[i]
			if int64(i) >= from && int64(i) < until {
				mask.Fill(one)
				s = one[0]
			}
			out = append(out, s)
		}
	}
	for n := 0; n < len(in); n += 160 { // 20 ms packets
		end := min(n+160, len(in))
		gate.Process(in[n:end], mark)
		release(max(0, end-gate.Latency()))
	}
	gate.Process(make([]int16, gate.Latency()), mark) // end of call: flush the delay line
	release(len(in))

	fmt.Println("digits before:", len(dtmf.DecodeAll(in, dtmf.DefaultDetectorConfig())))
	fmt.Println("digits after:", len(dtmf.DecodeAll(out, dtmf.DefaultDetectorConfig())))
	// Output:
	// digits before: 1
	// digits after: 0
}
