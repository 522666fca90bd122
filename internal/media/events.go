package media

import (
	"fmt"

	"github.com/hushpay/hushpay/internal/dtmf"
)

// maxSynth is the most masking audio one replaced event packet carries (RFC 4733 senders
// update every 50 ms; a longer step is a loss the receiver conceals).
const maxSynth = 1280

// eventStage handles RFC 4733 telephone-events of one direction.
//
// On the customer leg in secure mode every event is consumed: the key press goes to the
// digit reporter (once, however often the packet is repeated — the EventReceiver follows
// RFC 4733 §2.5.2), and the packet is replaced towards the agent. In mask mode "digit" it
// becomes the same event for the configured digit (sequence number, timestamp, duration and
// end bit unchanged, RFC 4733 §2.5.1); in the other modes it becomes an audio packet of the
// masking signal covering the new part of the event's duration, and repeats that add no
// duration are dropped (the sequence rewriter closes the hole).
//
// On the agent leg outside secure mode events pass untouched and are reported.
type eventStage struct {
	leg     LegID
	dir     *direction
	recv    *dtmf.EventReceiver
	fixed   uint8 // event code of the mask digit
	replace bool  // mode digit: rewrite the event code; otherwise synthesise masking audio
	m       *masker

	ssrc    uint32
	haveCur bool
	curTS   uint32
	sentEnd uint32
	p       *Packet // packet being handled, for the emit callback

	reportFn, ignoreFn func(dtmf.KeyPress) // bound once: no allocation per packet
}

// HandleRTP implements stage.
func (s *eventStage) HandleRTP(p *Packet) error {
	if p.kind != kindEvent {
		return nil
	}
	report := (s.leg == Customer && p.secure && s.dir.state() == maskOn) ||
		(s.leg == Agent && !s.dir.session.secureOn() && s.dir.session.opts.AgentDigits)
	if s.leg == Agent && !report {
		return nil
	}
	if s.leg == Customer && !p.secure {
		return nil // outside secure mode: untouched, and customer digits are not captured
	}
	s.p = p
	if p.Header.SSRC != s.ssrc {
		s.ssrc = p.Header.SSRC
		s.recv.Reset() // a new stream numbers its events afresh
		s.haveCur = false
	}
	err := s.recv.Receive(p.Header.SequenceNumber, p.Header.Timestamp, p.Header.Marker, p.Payload, s.emitReport(report))
	if err != nil {
		if s.leg == Customer {
			p.Drop()
			p.doubt = true
		}
		return fmt.Errorf("%w: telephone-event: %w", ErrMalformed, err)
	}
	if s.leg == Agent {
		return nil
	}
	if s.replace {
		// RFC 4733 §2.3: the payload is one or more 4-byte event blocks; the event code is
		// the first byte of each.
		if len(p.Payload)%4 != 0 {
			p.Drop()
			p.doubt = true
			return fmt.Errorf("%w: telephone-event payload of %d bytes", ErrMalformed, len(p.Payload))
		}
		for i := 0; i < len(p.Payload); i += 4 {
			p.Payload[i] = s.fixed
		}
		return nil
	}
	return s.synthesise(p)
}

func (s *eventStage) emitReport(report bool) func(dtmf.KeyPress) {
	if !report {
		return s.ignoreFn
	}
	return s.reportFn
}

func (s *eventStage) ignore(dtmf.KeyPress) {}

func (s *eventStage) keyPress(k dtmf.KeyPress) {
	s.dir.session.report(s.dir, s.leg, k.Digit, RFC4733, k.Timestamp, s.p.arrival)
}

// synthesise turns the event packet into masking audio for the span of the event not yet
// covered (RFC 4733 §2.5.1.3: the duration grows with each update of the same event).
func (s *eventStage) synthesise(p *Packet) error {
	var ev dtmf.TelephoneEvent
	if err := ev.Unmarshal(p.Payload); err != nil {
		p.Drop()
		p.doubt = true
		return fmt.Errorf("%w: telephone-event: %w", ErrMalformed, err)
	}
	ts := p.Header.Timestamp
	if !s.haveCur || ts != s.curTS {
		if s.haveCur && !newer32(ts, s.curTS) {
			p.Drop() // a late packet of an earlier event
			return nil
		}
		s.haveCur, s.curTS, s.sentEnd = true, ts, ts
	}
	end := ts + uint32(ev.Duration)
	start := s.sentEnd
	if s.m.haveOut && newer32(s.m.lastOutEnd, start) {
		start = s.m.lastOutEnd // the sender also sent audio for part of the event
	}
	if !newer32(end, start) {
		p.Drop() // a repeat that adds nothing (for example the retransmitted end packets)
		return nil
	}
	n := end - start
	if n > maxSynth {
		start, n = end-maxSynth, maxSynth
	}
	if !s.m.audioKind.audio() {
		pt, k, ok := s.dir.from.firstAudio()
		if !ok {
			p.Drop()
			p.doubt = true
			return fmt.Errorf("%w: no audio codec to carry masking audio", ErrCodecNotMaskable)
		}
		s.m.audioPT, s.m.audioKind = pt, k
	}
	out := p.scratch[:n]
	s.m.synth(out)
	p.Header.Timestamp = start
	p.Header.PayloadType = s.m.audioPT
	p.Header.Padding = false
	p.Payload = out
	p.kind = s.m.audioKind
	p.synth = true
	s.sentEnd = end
	s.m.haveOut, s.m.lastOutEnd = true, end
	return nil
}

// newer32 reports whether timestamp a is after b (serial arithmetic, RFC 1982).
func newer32(a, b uint32) bool { return a != b && a-b < 0x80000000 }
