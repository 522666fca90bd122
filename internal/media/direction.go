package media

import (
	"sync"
	"sync/atomic"
)

// direction is one way through a session: packets received on leg `from` are sent from
// leg `to`. One goroutine (from's RTP reader) drives it; mu is held while a packet goes
// through the chain and while secure mode changes, so that once SetSecure returns no packet
// is processed under the old mode.
type direction struct {
	session *Session
	fromID  LegID
	from    *Leg
	to      *Leg

	mu        sync.Mutex
	stages    []stage
	events    *eventStage
	m         *masker // customer → agent only
	p         Packet
	seq       seqMap
	seqSSRC   uint32
	failUntil int64 // fail closed (mask everything) until this monotonic time
	ptmap     atomic.Pointer[ptMap]

	rtcp  rtcpState
	stats dirStats

	// Digits found while the lock is held, delivered after it is released. A packet
	// carries at most a few key presses; more than fit would be a flood of garbage.
	pending  [8]DigitEvent
	npending int
}

// dirStats counts what happened to a direction's packets.
type dirStats struct {
	received, sent, dropped, late, lagged, errors, foreign, malformed, sendErrors atomic.Uint64
	rtcpIn, rtcpOut                                                               atomic.Uint64
}

// rtcpState is what the RTCP rewriter of both directions needs to know about this
// direction's changes, published by its packet goroutine.
type rtcpState struct {
	ssrc       atomic.Uint32 // the SSRC whose packets were renumbered
	delta      atomic.Uint32 // current sequence offset (uint16)
	dropped    atomic.Uint64 // packets not sent
	octetDelta atomic.Int64  // payload octets sent minus received
}

func (d *direction) state() maskState {
	if d.m == nil {
		return maskOff
	}
	return d.m.state
}

// handle runs one received datagram (n bytes in d.p.buf) through the chain and sends it.
func (d *direction) handle(n int, now int64) {
	p := &d.p
	hl, err := p.Header.Unmarshal(p.buf[:n])
	if err != nil || p.Header.Version != 2 {
		d.stats.malformed.Add(1)
		return
	}
	d.stats.received.Add(1)
	p.Payload = p.buf[hl:n]
	p.arrival, p.drop, p.doubt, p.synth = now, false, false, false
	inLen := len(p.Payload)

	d.mu.Lock()
	d.run(p, now, inLen)
	np := d.npending
	d.npending = 0
	d.mu.Unlock()
	for i := range np {
		d.session.opts.Sink.Digit(d.pending[i])
	}
}

// run takes the packet through the chain and sends it; d.mu is held.
func (d *direction) run(p *Packet, now int64, inLen int) {
	if d.m != nil {
		d.m.now = now
	}
	p.secure = d.state() != maskOff
	seq := p.Header.SequenceNumber
	for _, s := range d.stages {
		if err := s.HandleRTP(p); err != nil {
			d.stats.errors.Add(1)
			if p.secure {
				p.doubt = true
				p.Drop()
			}
		}
		if p.doubt && p.secure {
			d.failUntil = now + int64(d.session.opts.FailHold)
		}
		if p.drop {
			d.seq.drop(seq)
			d.stats.dropped.Add(1)
			d.publish(-int64(inLen))
			return
		}
	}
	d.send(p)
	d.publish(int64(len(p.Payload) - inLen))
}

func (d *direction) publish(octets int64) {
	if d.seq.delta == 0 && d.seq.dropped == 0 && octets == 0 && d.rtcp.octetDelta.Load() == 0 {
		return
	}
	d.rtcp.delta.Store(uint32(d.seq.delta))
	d.rtcp.dropped.Store(d.seq.dropped)
	if octets != 0 {
		d.rtcp.octetDelta.Add(octets)
	}
}

func (d *direction) send(p *Packet) {
	dst := d.to.remoteRTP.Load()
	if dst == nil {
		d.stats.dropped.Add(1)
		return
	}
	n, err := p.Header.MarshalTo(p.out[:])
	if err != nil {
		d.stats.sendErrors.Add(1)
		return
	}
	n += copy(p.out[n:], p.Payload)
	if err := d.to.rtpSock.sendTo(p.out[:n], *dst); err != nil {
		d.stats.sendErrors.Add(1)
		return
	}
	d.stats.sent.Add(1)
}
