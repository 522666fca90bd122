package sdp

import (
	"net/netip"
	"strconv"
)

// NewOffer returns Hushpay's own offer for a relay leg: PCMU, PCMA and telephone-event
// (RFC 4733 §7.1.1, events 0-16), 20 ms packets, sendrecv. It is used towards the upstream
// when the caller's INVITE carried no offer (RFC 3261 §13.2.1, offer in the 2xx), and
// towards the caller in that case. id is the o= session ID and version (RFC 4566 §5.2).
func NewOffer(addr netip.Addr, port, rtcpPort int, mux bool, id uint64) *Session {
	ids := strconv.FormatUint(id, 10)
	c := connectionValue(addr)
	s := &Session{Lines: []Line{
		{'v', "0"},
		{'o', "hushpay " + ids + " " + ids + " " + c},
		{'s', "hushpay"},
		{'c', c},
		{'t', "0 0"},
	}}
	m := &Media{Kind: "audio", Port: port, Proto: "RTP/AVP", Formats: []string{"0", "8", "101"}, Lines: []Line{
		{'a', "rtpmap:0 PCMU/8000"},
		{'a', "rtpmap:8 PCMA/8000"},
		{'a', "rtpmap:101 telephone-event/8000"},
		{'a', "fmtp:101 0-16"},
		{'a', "ptime:20"},
		{'a', "sendrecv"},
	}}
	switch {
	case mux:
		m.Lines = append(m.Lines, Line{'a', "rtcp-mux"})
	case rtcpPort != 0 && rtcpPort != port+1:
		m.Lines = append(m.Lines, Line{'a', "rtcp:" + strconv.Itoa(rtcpPort)})
	}
	s.Media = []*Media{m}
	return s
}

// NewAnswer returns Hushpay's answer on a leg it terminates (IVR, conference): the one audio
// codec it chose from the offer and, when offered, telephone-event, with the offer's payload
// type numbers (RFC 3264 §6.1), 20 ms packets, sendrecv.
func NewAnswer(addr netip.Addr, port, rtcpPort int, mux bool, id uint64, audio Codec, te *Codec) *Session {
	s := NewOffer(addr, port, rtcpPort, mux, id)
	m := s.Media[0]
	pt := strconv.Itoa(int(audio.PT))
	m.Formats = []string{pt}
	lines := []Line{{'a', "rtpmap:" + pt + " " + audio.Name + "/8000"}}
	if te != nil {
		tp := strconv.Itoa(int(te.PT))
		m.Formats = append(m.Formats, tp)
		lines = append(lines, Line{'a', "rtpmap:" + tp + " telephone-event/8000"}, Line{'a', "fmtp:" + tp + " 0-16"})
	}
	for _, l := range m.Lines {
		if _, isPT := attrPT(l); !isPT {
			lines = append(lines, l)
		}
	}
	m.Lines = lines
	return s
}

// Answering returns the direction an answerer uses for an offered one (RFC 3264 §6.1):
// sendonly is answered recvonly, recvonly sendonly, inactive inactive, sendrecv sendrecv.
func Answering(offered Direction) Direction {
	switch offered {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	}
	return SendRecv
}

// SetDirection sets the direction attribute of every media description (replacing any).
func (s *Session) SetDirection(d Direction) {
	for _, m := range s.Media {
		out := m.Lines[:0]
		for _, l := range m.Lines {
			if l.Type == 'a' && (l.Value == string(SendRecv) || l.Value == string(SendOnly) ||
				l.Value == string(RecvOnly) || l.Value == string(Inactive)) {
				continue
			}
			out = append(out, l)
		}
		m.Lines = append(out, Line{'a', string(d)})
	}
}
