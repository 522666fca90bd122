package sdp

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Relay encodings: the audio codecs the relay can decode (and so mask), and the ones it
// carries alongside them.
var (
	maskable  = []string{"PCMU", "PCMA"}
	companion = []string{"telephone-event", "CN"}
)

// Rewrite describes how a description is rewritten as it crosses the relay: the audio
// stream is pointed at the relay leg that faces the receiver of the description.
type Rewrite struct {
	// Addr and Port are the relay leg's local RTP address (media.Leg.LocalRTP).
	Addr netip.Addr
	Port int
	// RTCPPort is the leg's RTCP port; with RTCPMux it equals Port.
	RTCPPort int
	// RTCPMux says whether the relay leg multiplexes RTCP on the RTP port (RFC 5761).
	RTCPMux bool
	// Offer is true for an offer (telephone-event is added when missing, rtcp-mux is
	// offered when the relay uses it), false for an answer (the answerer only accepts what
	// was offered).
	Offer bool
	// OfferMux, for an answer, says whether the offer this answers carried a=rtcp-mux.
	OfferMux bool
}

// Result is what a rewrite found out about the audio stream.
type Result struct {
	// Codecs are the payload types the sender of the description listed for audio, after
	// the restriction, in order (for media.Leg.SetCodecs).
	Codecs []Codec
	// Remote is where the sender wants audio (its c= address and m= port); zero port for a
	// held or disabled stream.
	Remote netip.AddrPort
	// RemoteRTCP is its RTCP address (a=rtcp, RFC 3605), zero when not given.
	RemoteRTCP netip.AddrPort
	// Direction of the audio stream as the sender wrote it.
	Direction Direction
	// RTCPMux says whether the sender's description carried a=rtcp-mux (RFC 5761).
	RTCPMux bool
	// CannotSecure is non-empty when the audio cannot be decoded by the relay (no PCMU or
	// PCMA offered, SRTP): the call is relayed untouched and secure mode is refused.
	CannotSecure string
}

// TelephoneEventPT is the payload type used when telephone-event has to be added to an offer
// and 101 is free; otherwise the first free dynamic payload type is used.
const TelephoneEventPT = 101

// Apply rewrites the description in place for the relay leg in r and returns what it read
// from the audio stream. The audio stream keeps its codec order but is restricted to PCMU,
// PCMA, telephone-event and CN when it offers PCMU or PCMA; otherwise it is left alone and
// Result.CannotSecure says why. Streams other than the first audio stream are disabled
// (port 0, RFC 3264 §6 and §8.2): the relay anchors one audio stream.
func (s *Session) Apply(r Rewrite) (Result, error) {
	audio, err := s.Audio()
	if err != nil {
		return Result{}, err
	}
	var res Result
	addr := s.Address(audio)
	if !addr.IsValid() {
		return Result{}, fmt.Errorf("%w: audio stream has no connection address", ErrMalformed)
	}
	res.Remote = netip.AddrPortFrom(addr.Unmap(), uint16(audio.Port))
	if addr.IsUnspecified() { // RFC 3264 §8.4 old-style hold (c=0.0.0.0)
		res.Remote = netip.AddrPortFrom(addr, 0)
	}
	if p := audio.RTCPPort(); p > 0 && !audio.RTCPMux() {
		res.RemoteRTCP = netip.AddrPortFrom(addr.Unmap(), uint16(p))
	}
	res.Direction = s.Direction(audio)
	res.RTCPMux = audio.RTCPMux()

	codecs := audio.Codecs()
	switch {
	case strings.Contains(audio.Proto, "SAVP"):
		res.CannotSecure = "the audio is encrypted (" + audio.Proto + "); the relay cannot decode it"
	case !slices.ContainsFunc(codecs, func(c Codec) bool { return isAny(c, maskable) }):
		res.CannotSecure = "no PCMU or PCMA in the audio codecs (" + names(codecs) + "); the relay can only mask G.711"
	default:
		codecs = slices.DeleteFunc(codecs, func(c Codec) bool {
			return !isAny(c, maskable) && !isAny(c, companion)
		})
		keep := make(map[string]bool, len(codecs))
		for _, c := range codecs {
			keep[strconv.Itoa(int(c.PT))] = true
		}
		audio.Formats = slices.DeleteFunc(audio.Formats, func(f string) bool { return !keep[f] })
		audio.Lines = slices.DeleteFunc(audio.Lines, func(l Line) bool {
			pt, ok := attrPT(l)
			return ok && pt != "*" && !keep[pt]
		})
		// telephone-event offered to both sides, so either can send RFC 4733 events.
		if r.Offer && !slices.ContainsFunc(codecs, func(c Codec) bool { return c.Is("telephone-event") }) {
			pt := freePT(audio.Formats)
			if pt >= 0 {
				ps := strconv.Itoa(pt)
				audio.Formats = append(audio.Formats, ps)
				audio.Lines = append(audio.Lines,
					Line{'a', "rtpmap:" + ps + " telephone-event/8000"},
					Line{'a', "fmtp:" + ps + " 0-16"})
			}
		}
	}
	res.Codecs = codecs

	// Connection: ours, at media level; the session-level c= and o= address become ours too
	// so that no address of the other side leaks across.
	cv := connectionValue(r.Addr)
	if addr.IsUnspecified() { // keep old-style hold visible to the other side
		cv = connectionValue(addr)
	}
	for i := range s.Lines {
		switch s.Lines[i].Type {
		case 'c':
			s.Lines[i].Value = cv
		case 'o':
			s.Lines[i].Value = rewriteOrigin(s.Lines[i].Value, r.Addr)
		}
	}
	if l := audio.find('c'); l != nil {
		l.Value = cv
	} else if s.find('c') == nil {
		audio.Lines = append([]Line{{'c', cv}}, audio.Lines...)
	}
	audio.Port = r.Port
	// RTCP: the peer's a=rtcp names its own port, meaningless to the other side.
	audio.Lines = slices.DeleteFunc(audio.Lines, func(l Line) bool {
		return l.Type == 'a' && (strings.HasPrefix(l.Value, "rtcp:") || l.Value == "rtcp-mux" ||
			strings.HasPrefix(l.Value, "candidate:") || strings.HasPrefix(l.Value, "ice-") ||
			l.Value == "end-of-candidates")
	})
	switch {
	case r.RTCPMux && (r.Offer || r.OfferMux):
		audio.Lines = append(audio.Lines, Line{'a', "rtcp-mux"})
	case !r.RTCPMux && r.RTCPPort != 0 && r.RTCPPort != r.Port+1:
		audio.Lines = append(audio.Lines, Line{'a', "rtcp:" + strconv.Itoa(r.RTCPPort)})
	}

	// Other streams: disabled, the relay does not carry them.
	for _, m := range s.Media {
		if m != audio {
			m.Port = 0
		}
	}
	return res, nil
}

func rewriteOrigin(v string, a netip.Addr) string {
	f := strings.Fields(v)
	if len(f) != 6 {
		return v
	}
	f[4], f[5] = "IP4", a.String()
	if a.Is6() {
		f[4] = "IP6"
	}
	return strings.Join(f, " ")
}

func freePT(formats []string) int {
	if !slices.Contains(formats, strconv.Itoa(TelephoneEventPT)) {
		return TelephoneEventPT
	}
	for pt := 96; pt <= 127; pt++ {
		if !slices.Contains(formats, strconv.Itoa(pt)) {
			return pt
		}
	}
	return -1
}

func isAny(c Codec, set []string) bool {
	return slices.ContainsFunc(set, c.Is)
}

func names(cs []Codec) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString(", ")
		}
		if c.Name == "" {
			b.WriteString(strconv.Itoa(int(c.PT)))
		} else {
			b.WriteString(c.Name)
		}
	}
	return b.String()
}

// Clone returns a deep copy of the description.
func (s *Session) Clone() *Session {
	c := &Session{Lines: slices.Clone(s.Lines)}
	for _, m := range s.Media {
		mc := *m
		mc.Formats = slices.Clone(m.Formats)
		mc.Lines = slices.Clone(m.Lines)
		c.Media = append(c.Media, &mc)
	}
	return c
}
