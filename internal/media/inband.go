package media

import (
	"time"

	"github.com/hushpay/hushpay/internal/dtmf"
)

// inbandStage reports the agent's key tones outside secure mode (so an agent can key a
// call reference). It reads the audio and never changes it.
type inbandStage struct {
	dir  *direction
	det  *dtmf.Detector
	pos  int64 // detector sample index after the last packet
	n    int   // samples in the last packet
	ts   uint32
	on   bool
	now  int64
	lin  [maxPacket]int16
	emit func(dtmf.Event)
}

func newInbandStage(d *direction) *inbandStage {
	s := &inbandStage{dir: d, det: dtmf.NewDetector(dtmf.DefaultDetectorConfig())}
	s.emit = s.detected
	return s
}

// HandleRTP implements stage.
func (s *inbandStage) HandleRTP(p *Packet) error {
	if !p.kind.audio() {
		return nil
	}
	if s.dir.session.secureOn() || !s.dir.session.opts.AgentDigits {
		if s.on {
			s.det.Reset()
			s.on, s.pos = false, 0
		}
		return nil
	}
	s.on = true
	payload := p.Payload
	if p.Header.Padding && len(payload) > 0 && int(payload[len(payload)-1]) <= len(payload) {
		payload = payload[:len(payload)-int(payload[len(payload)-1])]
	}
	n := min(len(payload), len(s.lin))
	decode(p.kind, s.lin[:n], payload[:n])
	s.ts, s.now = p.Header.Timestamp, p.arrival
	s.pos += int64(n)
	s.n = n
	s.det.Process(s.lin[:n], s.emit)
	return nil
}

func (s *inbandStage) detected(ev dtmf.Event) {
	if ev.Kind != dtmf.DigitStart {
		return
	}
	back := s.pos - ev.Sample
	ts := s.ts + uint32(ev.Sample-(s.pos-int64(s.n))) // media time of the tone's start
	s.dir.session.report(s.dir, Agent, ev.Digit, Inband, ts, s.now-int64(time.Duration(back)*time.Second/8000))
}
