package sip

import (
	"fmt"

	"github.com/hushpay/hushpay/internal/media"
	"github.com/hushpay/hushpay/internal/sdp"
)

func other(l media.LegID) media.LegID {
	if l == media.Customer {
		return media.Agent
	}
	return media.Customer
}

// rewrite reads an SDP body sent by the peer on leg from, points that leg of the relay at
// it, and returns the body rewritten for the other peer (addresses of the relay leg facing
// it). offer says whether the body is an offer or an answer (RFC 3264).
func (s *Server) rewrite(c *call, from media.LegID, body []byte, offer bool) ([]byte, error) {
	d, err := sdp.Parse(body)
	if err != nil {
		return nil, err
	}
	to := c.ms.Leg(other(from))
	c.mu.Lock()
	offerMux := c.offerMux
	c.mu.Unlock()
	res, err := d.Apply(sdp.Rewrite{
		Addr: s.mediaAddr, Port: int(to.LocalRTP().Port()), RTCPPort: int(to.LocalRTCP().Port()),
		RTCPMux: to.RTCPMux(), Offer: offer, OfferMux: offerMux,
	})
	if err != nil {
		return nil, err
	}
	if offer {
		c.mu.Lock()
		c.offerMux = res.RTCPMux
		c.mu.Unlock()
	}
	if err := s.applyLeg(c, from, res); err != nil {
		return nil, err
	}
	s.log.Debug("sip: SDP anchored", "call", c.id, "from", from.String(), "offer", offer,
		"remote", res.Remote.String(), "direction", string(res.Direction), "codecs", len(res.Codecs))
	return d.Marshal(), nil
}

// readSDP reads a body meant for Hushpay itself (an answer to its own offer, a UAS leg's
// offer) and points the leg at its sender.
func (s *Server) readSDP(c *call, from media.LegID, body []byte) (sdp.Result, error) {
	d, err := sdp.Parse(body)
	if err != nil {
		return sdp.Result{}, err
	}
	l := c.ms.Leg(from)
	res, err := d.Apply(sdp.Rewrite{Addr: s.mediaAddr, Port: int(l.LocalRTP().Port()), RTCPPort: int(l.LocalRTCP().Port()), RTCPMux: l.RTCPMux()})
	if err != nil {
		return sdp.Result{}, err
	}
	return res, s.applyLeg(c, from, res)
}

// applyLeg sets where the relay sends a leg's media and which payload types it carries, and
// records hold and "cannot secure" for the call.
func (s *Server) applyLeg(c *call, from media.LegID, res sdp.Result) error {
	l := c.ms.Leg(from)
	if res.Remote.Port() != 0 && !res.Remote.Addr().IsUnspecified() {
		l.SetRemote(res.Remote, res.RemoteRTCP) // the same address again keeps the relay's latch
	}
	codecs := make([]media.Codec, 0, len(res.Codecs))
	for _, k := range res.Codecs {
		codecs = append(codecs, media.Codec{PT: k.PT, Name: k.Name, ClockRate: k.ClockRate})
	}
	if err := l.SetCodecs(codecs); err != nil {
		return fmt.Errorf("codecs: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if from == media.Customer || c.mode != ModeInline {
		c.cannot = res.CannotSecure
	} else if res.CannotSecure != "" && c.cannot == "" {
		c.cannot = res.CannotSecure
	}
	switch {
	case res.Direction != sdp.SendRecv || res.Remote.Port() == 0 || res.Remote.Addr().IsUnspecified():
		c.media = MediaHeld
	case c.state == StateAnswered || c.media == MediaHeld:
		c.media = MediaActive
	}
	return nil
}
