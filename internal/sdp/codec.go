package sdp

import (
	"strconv"
	"strings"
)

// Codec is one payload type of a media description, with its rtpmap.
type Codec struct {
	PT        uint8
	Name      string // encoding name as written (PCMU, telephone-event, ...)
	ClockRate uint32 // 0 when the rtpmap gives none
}

// staticCodecs are the RFC 3551 §6 static payload types a peer may list without rtpmap.
var staticCodecs = map[uint8]Codec{
	0:  {PT: 0, Name: "PCMU", ClockRate: 8000},
	3:  {PT: 3, Name: "GSM", ClockRate: 8000},
	4:  {PT: 4, Name: "G723", ClockRate: 8000},
	8:  {PT: 8, Name: "PCMA", ClockRate: 8000},
	9:  {PT: 9, Name: "G722", ClockRate: 8000},
	13: {PT: 13, Name: "CN", ClockRate: 8000},
	18: {PT: 18, Name: "G729", ClockRate: 8000},
}

// Codecs returns the payload types of an RTP media description in order, named from their
// rtpmap attributes (RFC 4566 §6) or the static table of RFC 3551 §6. A dynamic payload type
// without rtpmap is returned with an empty name.
func (m *Media) Codecs() []Codec {
	if !m.isRTP() {
		return nil
	}
	maps := m.rtpmaps()
	out := make([]Codec, 0, len(m.Formats))
	for _, f := range m.Formats {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 127 {
			continue
		}
		pt := uint8(n)
		if c, ok := maps[pt]; ok {
			out = append(out, c)
		} else if c, ok := staticCodecs[pt]; ok {
			out = append(out, c)
		} else {
			out = append(out, Codec{PT: pt})
		}
	}
	return out
}

// rtpmaps reads the "a=rtpmap:<pt> <name>/<rate>[/<channels>]" attributes.
func (m *Media) rtpmaps() map[uint8]Codec {
	out := map[uint8]Codec{}
	for _, l := range m.Lines {
		if l.Type != 'a' || !strings.HasPrefix(l.Value, "rtpmap:") {
			continue
		}
		pt, c, ok := parseRTPMap(l.Value[len("rtpmap:"):])
		if ok {
			out[pt] = c
		}
	}
	return out
}

func parseRTPMap(v string) (uint8, Codec, bool) {
	ptS, enc, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return 0, Codec{}, false
	}
	n, err := strconv.Atoi(ptS)
	if err != nil || n < 0 || n > 127 {
		return 0, Codec{}, false
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	c := Codec{PT: uint8(n), Name: parts[0]}
	if len(parts) > 1 {
		if r, err := strconv.ParseUint(parts[1], 10, 32); err == nil {
			c.ClockRate = uint32(r)
		}
	}
	return uint8(n), c, true
}

// attrPT returns the payload type an "a=rtpmap:", "a=fmtp:" or "a=rtcp-fb:" attribute
// refers to, and whether the attribute is one of those.
func attrPT(l Line) (string, bool) {
	if l.Type != 'a' {
		return "", false
	}
	for _, p := range []string{"rtpmap:", "fmtp:", "rtcp-fb:"} {
		if strings.HasPrefix(l.Value, p) {
			pt, _, _ := strings.Cut(l.Value[len(p):], " ")
			return pt, true
		}
	}
	return "", false
}

// Is reports whether the codec has the given encoding name (case-insensitive, RFC 4566 §6).
func (c Codec) Is(name string) bool { return strings.EqualFold(c.Name, name) }
