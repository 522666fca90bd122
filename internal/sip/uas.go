package sip

import (
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hushpay/hushpay/internal/media"
	"github.com/hushpay/hushpay/internal/sdp"
)

// runUAS handles a call to a conference-leg or IVR-entry number. Those legs need a media
// endpoint that terminates RTP (detects digits, plays prompts) rather than the two-leg relay;
// it is not built yet, so such calls are refused with 480 and a clear reason rather than
// answered half-working.
func (s *Server) runUAS(c *call, req *sip.Request, dss *sipgo.DialogServerSession, offer []byte) {
	s.failCall(c, dss, sip.StatusTemporarilyUnavailable, "Mode Not Available", errUASMode)
}

// localAnswer is Hushpay's answer on a leg it terminates.
func (s *Server) localAnswer(l *media.Leg, mux bool) []byte {
	return sdp.NewOffer(s.mediaAddr, int(l.LocalRTP().Port()), int(l.LocalRTCP().Port()), mux && l.RTCPMux(), 1).Marshal()
}
