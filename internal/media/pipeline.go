package media

import (
	"github.com/hushpay/hushpay/internal/dtmf"
)

// buildChain declares, in one place, the stages a packet goes through in each direction.
//
// Customer → agent (maskable):
//
//	classify → order → lag → events → comfort noise → masker → payload type → sequence → tap
//
// Agent → customer (never altered; only read for the agent's digits):
//
//	classify → events → in-band digits → payload type → sequence → tap
//
// The receive step (socket, latching, RTCP demultiplexing) is in leg.go and the send step in
// direction.go.
func (d *direction) buildChain() {
	d.events = &eventStage{leg: d.fromID, dir: d, recv: dtmf.NewEventReceiver(), m: d.m}
	d.events.reportFn = d.events.keyPress
	d.events.ignoreFn = d.events.ignore
	if d.fromID == Customer {
		mc := d.session.opts.Mask
		if mc.Mode == dtmf.MaskDigit {
			d.events.replace = true
			d.events.fixed, _ = dtmf.EventCode(mc.Digit)
		}
		d.stages = []stage{
			classifyStage{d},
			&orderStage{dir: d},
			&lagStage{dir: d},
			d.events,
			cnStage{},
			maskStage{d, d.m},
			ptStage{d},
			seqStage{d},
			tapStage{d},
		}
		return
	}
	d.stages = []stage{
		classifyStage{d},
		d.events,
		newInbandStage(d),
		ptStage{d},
		seqStage{d},
		tapStage{d},
	}
}
