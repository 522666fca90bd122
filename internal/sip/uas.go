package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/hushpay/hushpay/internal/audio"
	"github.com/hushpay/hushpay/internal/media"
	"github.com/hushpay/hushpay/internal/sdp"
)

// UASLeg is a call Hushpay answers itself (an IVR entry number): the primitives an IVR flow
// is built from. The caller's audio and key presses go through a media.Session in secure mode
// (so in-band tones, RFC 4733 events and SIP INFO are all detected, once each, and nothing the
// caller keys is ever relayed); prompts are played into the session's other leg, which is a
// local socket of the leg itself.
type UASLeg struct {
	s      *Server
	c      *call
	sock   *net.UDPConn
	relay  netip.AddrPort // the relay's agent-side RTP address we play into
	pt     uint8
	encode func(dst []byte, src []int16)
	ssrc   uint32
	seq    uint16
	ts     uint32
	keys   chan byte
}

// ID returns the call's ID (as the registry knows it).
func (l *UASLeg) ID() string { return l.c.id }

// Call returns the call as the registry shows it.
func (l *UASLeg) Call() Call { return l.c.snapshot() }

// Play sends a WAV prompt (any rate, PCM16, μ-law or A-law, mono) to the caller as RTP in
// real time (20 ms packets), and returns when it has been sent, the call ended or ctx ended.
func (l *UASLeg) Play(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("sip: prompt: %w", err)
	}
	snd, err := audio.ReadWAV(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("sip: prompt %s: %w", path, err)
	}
	samples, err := audio.To8k(snd.Samples, snd.Rate)
	if err != nil {
		return fmt.Errorf("sip: prompt %s: %w", path, err)
	}
	const frame = 160 // 20 ms at 8 kHz
	var pkt [12 + frame]byte
	var pcm [frame]int16
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < len(samples); i += frame {
		n := copy(pcm[:], samples[i:])
		clear(pcm[n:])
		h := rtp.Header{Version: 2, PayloadType: l.pt, SequenceNumber: l.seq, Timestamp: l.ts, SSRC: l.ssrc, Marker: i == 0}
		if _, err := h.MarshalTo(pkt[:12]); err != nil {
			return err
		}
		l.encode(pkt[12:], pcm[:])
		if _, err := l.sock.WriteToUDPAddrPort(pkt[:], l.relay); err != nil {
			return fmt.Errorf("sip: prompt: %w", err)
		}
		l.seq++
		l.ts += frame
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.c.ctx.Done():
			return ErrHungUp
		case <-tick.C:
		}
	}
	return nil
}

// Collect returns the keys the caller presses: up to max keys, ending early at any key in
// terminators (not included). timeout bounds the wait for each key; when it passes with keys
// already pressed, they are returned, else ErrTimeout.
func (l *UASLeg) Collect(ctx context.Context, max int, terminators string, timeout time.Duration) (string, error) {
	var got []byte
	t := time.NewTimer(timeout)
	defer t.Stop()
	for len(got) < max {
		select {
		case k := <-l.keys:
			if strings.IndexByte(terminators, k) >= 0 {
				return string(got), nil
			}
			got = append(got, k)
			t.Reset(timeout)
		case <-t.C:
			if len(got) > 0 {
				return string(got), nil
			}
			return "", ErrTimeout
		case <-ctx.Done():
			return string(got), ctx.Err()
		case <-l.c.ctx.Done():
			return string(got), ErrHungUp
		}
	}
	return string(got), nil
}

// Hangup ends the call with BYE.
func (l *UASLeg) Hangup(context.Context) error {
	l.s.hangup(l.c, true, false, "ivr hung up")
	return nil
}

// Transfer sends the caller elsewhere with a blind transfer: REFER with Refer-To target
// (RFC 3515); once the caller accepts it (2xx), Hushpay's leg hangs up.
func (l *UASLeg) Transfer(ctx context.Context, target string) error {
	var to sip.Uri
	if err := sip.ParseUri(target, &to); err != nil {
		return fmt.Errorf("sip: transfer target %q: %w", target, err)
	}
	l.c.mu.Lock()
	dss := l.c.dss
	l.c.mu.Unlock()
	refer := sip.NewRequest(sip.REFER, remoteTarget(dss.InviteRequest.Contact(), dss.InviteRequest.Recipient))
	refer.AppendHeader(sip.NewHeader("Refer-To", "<"+to.String()+">"))
	refer.AppendHeader(sip.NewHeader("Referred-By", "<"+l.s.dua.ContactHDR.Address.String()+">"))
	ctx, cancel := context.WithTimeout(ctx, operationTimeout)
	defer cancel()
	res, err := dss.Do(ctx, refer)
	if err != nil {
		return fmt.Errorf("sip: REFER: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("sip: REFER refused: %d %s", res.StatusCode, res.Reason)
	}
	l.s.hangup(l.c, true, false, "transferred")
	return nil
}

// runUAS answers a call to an IVR entry number or a conference-leg number and runs its flow
// (Server.IVR, or the built-in conference flow).
func (s *Server) runUAS(c *call, tx sip.ServerTransaction, dss *sipgo.DialogServerSession, offer []byte) {
	flow := s.IVR
	if c.mode == ModeConference {
		flow = s.runConference
	}
	if flow == nil {
		s.failCall(c, dss, sip.StatusTemporarilyUnavailable, "Mode Not Available", errUASMode)
		return
	}
	if offer == nil {
		s.failCall(c, dss, sip.StatusNotAcceptableHere, "Offer Required", errors.New("an IVR call needs an SDP offer in the INVITE"))
		return
	}
	leg, body, err := s.newUASLeg(c, offer)
	if err != nil {
		s.failCall(c, dss, sip.StatusNotAcceptableHere, "Not Acceptable Here", err)
		return
	}
	c.mu.Lock()
	c.answered = time.Now()
	c.media = MediaActive
	c.mu.Unlock()
	if !s.confirm(c, tx, dss, body) {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer leg.sock.Close()
		flow(c.ctx, leg)
		if c.snapshot().State != StateEnded {
			s.hangup(c, true, false, "ivr flow ended")
		}
	}()
}

// newUASLeg points the relay at the caller and at a local prompt socket, turns masking and
// capture on (so every key the caller presses is reported, never relayed), and returns the
// leg and Hushpay's SDP answer.
func (s *Server) newUASLeg(c *call, offer []byte) (*UASLeg, []byte, error) {
	res, err := s.readSDP(c, media.Customer, offer)
	if err != nil {
		return nil, nil, err
	}
	if res.CannotSecure != "" {
		return nil, nil, errors.New(res.CannotSecure)
	}
	chosen, te := chooseCodecs(res)
	if chosen == nil {
		return nil, nil, errors.New("no PCMU or PCMA offered")
	}
	codecs := []media.Codec{{PT: chosen.PT, Name: chosen.Name, ClockRate: 8000}}
	if te != nil {
		codecs = append(codecs, media.Codec{PT: te.PT, Name: "telephone-event", ClockRate: 8000})
	}
	cust, agent := c.ms.Leg(media.Customer), c.ms.Leg(media.Agent)
	if err := cust.SetCodecs(codecs); err != nil {
		return nil, nil, err
	}
	if err := agent.SetCodecs(codecs); err != nil {
		return nil, nil, err
	}
	sock, err := net.ListenUDP("udp", &net.UDPAddr{IP: agent.LocalRTP().Addr().AsSlice()})
	if err != nil {
		return nil, nil, fmt.Errorf("prompt socket: %w", err)
	}
	local := sock.LocalAddr().(*net.UDPAddr).AddrPort()
	agent.SetRemote(local, netip.AddrPort{})
	relay := agent.LocalRTP()
	if relay.Addr().IsUnspecified() {
		relay = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), relay.Port())
	}
	leg := &UASLeg{s: s, c: c, sock: sock, relay: relay, pt: chosen.PT, encode: audio.EncodeUlaw,
		ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), ts: rand.Uint32(), keys: make(chan byte, 32)}
	if chosen.Is("PCMA") {
		leg.encode = audio.EncodeAlaw
	}
	if err := c.ms.SetSecure(true); err != nil {
		sock.Close()
		return nil, nil, err
	}
	c.mu.Lock()
	c.uas = leg
	c.mu.Unlock()
	go func() { // the relay forwards the caller's (masked) audio here: drain it
		buf := make([]byte, 1500)
		for {
			if _, _, err := sock.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	}()
	return leg, s.localAnswer(c.ms.Leg(media.Customer), res), nil
}

// chooseCodecs picks, from an offer as read, the first PCMU or PCMA codec and the
// telephone-event payload type (nil when not offered).
func chooseCodecs(res sdp.Result) (chosen, te *sdp.Codec) {
	for i := range res.Codecs {
		k := res.Codecs[i]
		switch {
		case chosen == nil && (k.Is("PCMU") || k.Is("PCMA")):
			chosen = &k
		case te == nil && k.Is("telephone-event"):
			te = &k
		}
	}
	return chosen, te
}

// localAnswer is Hushpay's answer to an offer on a leg it terminates: the offer's first
// G.711 codec and its telephone-event, on the leg's relay address (RFC 3264 §6.1).
func (s *Server) localAnswer(l *media.Leg, res sdp.Result) []byte {
	chosen, te := chooseCodecs(res)
	if chosen == nil {
		chosen = &sdp.Codec{PT: 0, Name: "PCMU"}
	}
	a := sdp.NewAnswer(s.mediaAddr, int(l.LocalRTP().Port()), int(l.LocalRTCP().Port()), l.RTCPMux() && res.RTCPMux,
		uint64(time.Now().UnixNano()), *chosen, te)
	a.SetDirection(sdp.Answering(res.Direction))
	return a.Marshal()
}
