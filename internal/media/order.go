package media

// arrival is how a packet's sequence number relates to the ones before it.
type arrival uint8

const (
	inOrder   arrival = iota // the next packet, or newer after a loss
	late                     // older than the newest, not seen before (reordered)
	duplicate                // seen before
	restart                  // first packet, new SSRC, or a sequence jump no receiver would bridge
)

// maxSeqJump is the largest sequence step treated as loss rather than as a new stream
// (RFC 3550 Appendix A.1 uses MAX_DROPOUT 3000).
const maxSeqJump = 3000

// orderTracker classifies packets of one direction by SSRC and sequence number with a
// 64-packet window for duplicates (RFC 3550 Appendix A.1).
type orderTracker struct {
	have bool
	ssrc uint32
	max  uint16
	seen uint64 // bit i: max-i was received
	gap  uint16 // packets missing just before the last in-order packet (0 = contiguous)
}

func (o *orderTracker) classify(ssrc uint32, seq uint16) arrival {
	if !o.have || ssrc != o.ssrc {
		o.have, o.ssrc, o.max, o.seen, o.gap = true, ssrc, seq, 1, 0
		return restart
	}
	d := seq - o.max
	switch {
	case d == 0:
		return duplicate
	case d < 0x8000: // newer
		if d > maxSeqJump {
			o.max, o.seen, o.gap = seq, 1, 0
			return restart
		}
		if d >= 64 {
			o.seen = 1
		} else {
			o.seen = o.seen<<d | 1
		}
		o.gap = d - 1
		o.max = seq
		return inOrder
	default: // older
		back := o.max - seq
		if back > maxSeqJump {
			o.max, o.seen, o.gap = seq, 1, 0
			return restart
		}
		if back >= 64 {
			return late
		}
		if o.seen&(1<<back) != 0 {
			return duplicate
		}
		o.seen |= 1 << back
		return late
	}
}

// orderStage drops duplicates and late packets in secure mode, where the masker needs the
// audio in order; outside secure mode they pass, as the relay is transparent.
type orderStage struct {
	dir *direction
	t   orderTracker
}

// HandleRTP implements stage.
func (s *orderStage) HandleRTP(p *Packet) error {
	a := s.t.classify(p.Header.SSRC, p.Header.SequenceNumber)
	if p.secure && (a == late || a == duplicate) {
		p.Drop()
		s.dir.stats.late.Add(1)
	}
	return nil
}
