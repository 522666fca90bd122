package media

import "fmt"

// classifyStage looks up the payload type in the receiving leg's negotiated codecs. In
// secure mode anything the relay cannot vouch for — a payload type not negotiated, a codec
// it cannot decode, broken padding — is dropped and the direction fails closed.
type classifyStage struct{ dir *direction }

// HandleRTP implements stage.
func (s classifyStage) HandleRTP(p *Packet) error {
	t := s.dir.from.codecs.Load()
	p.kind = kindUnknown
	if t != nil {
		p.kind = t.kinds[p.Header.PayloadType&0x7f]
	}
	if !p.secure {
		return nil
	}
	if p.Header.Padding {
		// RFC 3550 §5.1: the last octet of the padding counts the padding octets.
		n := len(p.Payload)
		if n == 0 || int(p.Payload[n-1]) == 0 || int(p.Payload[n-1]) > n {
			p.Drop()
			p.doubt = true
			return fmt.Errorf("%w: bad RTP padding", ErrMalformed)
		}
		p.Payload = p.Payload[:n-int(p.Payload[n-1])]
		p.Header.Padding = false
	}
	switch p.kind {
	case kindPCMU, kindPCMA, kindEvent, kindCN:
		return nil
	}
	p.Drop()
	p.doubt = true
	return fmt.Errorf("%w: payload type %d in secure mode", ErrCodecNotMaskable, p.Header.PayloadType)
}

// lagStage fails closed when customer audio arrives much later than its timestamp says it
// should, relative to the earliest packet seen: the relay (or the network) is falling
// behind and cannot vouch for what it would forward in time.
type lagStage struct {
	dir  *direction
	have bool
	ssrc uint32
	last uint32
	ext  int64 // extended timestamp of the last packet
	base int64 // min over packets of arrival - media time, slowly forgotten
}

// lagDrift lets the base creep up by 200 ppm of elapsed media time, so a sender clock
// slower than ours does not read as growing lag.
const lagDrift = 200e-6

// HandleRTP implements stage.
func (s *lagStage) HandleRTP(p *Packet) error {
	if !p.secure {
		s.have = false
		return nil
	}
	ts := p.Header.Timestamp
	if !s.have || p.Header.SSRC != s.ssrc || p.kind == kindEvent {
		if !s.have || p.Header.SSRC != s.ssrc {
			s.have, s.ssrc, s.last, s.ext = true, p.Header.SSRC, ts, 0
			s.base = p.arrival
		}
		return nil // event timestamps stay at the event start
	}
	d := int32(ts - s.last)
	if d < -16000 || d > 8000*60 {
		s.last, s.ext, s.base = ts, 0, p.arrival // timestamp jump: start over
		return nil
	}
	if d > 0 {
		s.ext += int64(d)
		s.last = ts
		s.base += int64(float64(d) * 125000 * lagDrift)
	}
	off := p.arrival - (s.ext+int64(d)*b2i(d < 0))*125000
	if off < s.base {
		s.base = off
	}
	if off-s.base > int64(s.dir.session.opts.MaxLag) {
		p.doubt = true
		s.dir.stats.lagged.Add(1)
	}
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
