package media

import "fmt"

// maskStage puts the masker in the customer-to-agent chain: in secure mode every audio
// packet goes through the delay line and the tone gate; outside it the masker only
// remembers the audio sent.
type maskStage struct {
	dir *direction
	m   *masker
}

// HandleRTP implements stage.
func (s maskStage) HandleRTP(p *Packet) error {
	if p.synth {
		return nil
	}
	if !p.secure {
		s.m.observe(p)
		return nil
	}
	if !p.kind.audio() {
		return nil
	}
	if n := len(p.Payload); n == 0 || n > maxSamples {
		p.Drop()
		p.doubt = true
		return fmt.Errorf("%w: %d-byte audio payload", ErrMalformed, n)
	}
	s.m.audio(p, p.doubt || p.arrival < s.dir.failUntil)
	if s.m.state == maskOff {
		s.dir.session.drained()
	}
	return nil
}
