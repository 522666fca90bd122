package media

// ptStage gives each packet the payload type the sending leg negotiated for the same codec
// (dynamic numbers such as telephone-event may differ between the legs).
type ptStage struct{ dir *direction }

// HandleRTP implements stage.
func (s ptStage) HandleRTP(p *Packet) error {
	if m := s.dir.ptmap.Load(); m != nil {
		p.Header.PayloadType = m[p.Header.PayloadType&0x7f]
	}
	return nil
}

// seqStage renumbers packets so drops leave no hole (see seqMap) and publishes the offsets
// the RTCP rewriter needs.
type seqStage struct{ dir *direction }

// HandleRTP implements stage.
func (s seqStage) HandleRTP(p *Packet) error {
	d := s.dir
	if p.Header.SSRC != d.seqSSRC {
		d.seq.reset()
		d.seqSSRC = p.Header.SSRC
		d.rtcp.ssrc.Store(p.Header.SSRC)
		d.rtcp.delta.Store(0)
		d.rtcp.dropped.Store(0)
		d.rtcp.octetDelta.Store(0)
	}
	p.Header.SequenceNumber = d.seq.out(p.Header.SequenceNumber)
	return nil
}

// tapStage shows the recorder each packet as it leaves.
type tapStage struct{ dir *direction }

// HandleRTP implements stage.
func (s tapStage) HandleRTP(p *Packet) error {
	if t := s.dir.session.opts.Tap; t != nil {
		t.Packet(s.dir.fromID, &p.Header, p.Payload)
	}
	return nil
}
