package sdp

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Limits applied before parsing, so that a hostile body cannot make Hushpay allocate much.
const (
	// MaxSize is the largest description accepted, in bytes.
	MaxSize = 64 << 10
	// MaxLines is the largest number of lines accepted.
	MaxLines = 1024
	// maxFormats bounds the payload types of one media line.
	maxFormats = 64
)

// Line is one "type=value" line of a description, kept as it came unless rewritten.
type Line struct {
	Type  byte   // the letter before '=': 'v', 'o', 's', 'c', 'a', ...
	Value string // everything after '='
}

// Session is a parsed description: the session-level lines and the media descriptions.
type Session struct {
	// Lines holds the session-level lines in order (v=, o=, s=, c=, t=, a=, ...).
	Lines []Line
	// Media holds one entry per m= line, in order.
	Media []*Media
}

// Media is one media description: its m= line and the lines that follow it.
type Media struct {
	Kind     string   // "audio", "video", "image", ...
	Port     int      // transport port; 0 disables the stream (RFC 3264 §5.1, §6)
	NumPorts int      // the "/n" after the port, 0 when absent
	Proto    string   // "RTP/AVP", "RTP/SAVP", "udptl", ...
	Formats  []string // payload types (for RTP) in order of preference
	Lines    []Line   // the lines after m= up to the next m=, in order
}

// Parse reads a description. It accepts CRLF or LF line ends and refuses anything that is
// not SDP with an error wrapping ErrMalformed that names the offending line.
// RFC 4566 §5: v= first, then o= and s=; every line is "<type>=<value>" with a lowercase
// letter type; c= is needed at session level or in every media description.
func Parse(b []byte) (*Session, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes (at most %d)", ErrTooLarge, len(b), MaxSize)
	}
	if bytes.Count(b, []byte{'\n'}) > MaxLines {
		return nil, fmt.Errorf("%w: more than %d lines", ErrTooLarge, MaxLines)
	}
	s := &Session{}
	var cur *Media
	n := 0
	for rest := b; len(rest) > 0; {
		var raw []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			raw, rest = rest[:i], rest[i+1:]
		} else {
			raw, rest = rest, nil
		}
		raw = bytes.TrimSuffix(raw, []byte{'\r'})
		if len(raw) == 0 {
			continue // tolerate blank lines (a trailing CRLF, sloppy peers)
		}
		n++
		if len(raw) < 2 || raw[1] != '=' || raw[0] < 'a' || raw[0] > 'z' {
			return nil, fmt.Errorf("%w: line %d is not type=value: %q", ErrMalformed, n, clip(raw))
		}
		l := Line{Type: raw[0], Value: string(raw[2:])}
		switch {
		case n == 1 && l.Type != 'v':
			return nil, fmt.Errorf("%w: first line must be v=, got %q", ErrMalformed, clip(raw))
		case l.Type == 'v' && (n != 1 || strings.TrimSpace(l.Value) != "0"):
			return nil, fmt.Errorf("%w: line %d: only v=0 as the first line is allowed", ErrMalformed, n)
		}
		if l.Type == 'c' {
			if _, err := parseConnection(l.Value); err != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrMalformed, n, err)
			}
		}
		if l.Type == 'm' {
			m, err := parseMediaLine(l.Value)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrMalformed, n, err)
			}
			s.Media = append(s.Media, m)
			cur = m
			continue
		}
		if cur != nil {
			cur.Lines = append(cur.Lines, l)
		} else {
			s.Lines = append(s.Lines, l)
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: empty description", ErrMalformed)
	}
	if s.find('o') == nil {
		return nil, fmt.Errorf("%w: no o= line", ErrMalformed)
	}
	if s.find('s') == nil {
		return nil, fmt.Errorf("%w: no s= line", ErrMalformed)
	}
	if s.find('c') == nil {
		for i, m := range s.Media {
			if m.Port != 0 && m.find('c') == nil {
				return nil, fmt.Errorf("%w: media %d (%s) has no c= line and there is none at session level", ErrMalformed, i, m.Kind)
			}
		}
	}
	return s, nil
}

// parseMediaLine reads "m=<media> <port>[/<n>] <proto> <fmt> ..." (RFC 4566 §5.14).
func parseMediaLine(v string) (*Media, error) {
	f := strings.Fields(v)
	if len(f) < 3 {
		return nil, fmt.Errorf("m= line needs media, port and proto: %q", clipS(v))
	}
	m := &Media{Kind: f[0], Proto: f[2]}
	port := f[1]
	if i := strings.IndexByte(port, '/'); i >= 0 {
		np, err := strconv.Atoi(port[i+1:])
		if err != nil || np < 1 || np > 65535 {
			return nil, fmt.Errorf("bad port count in %q", clipS(port))
		}
		m.NumPorts, port = np, port[:i]
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return nil, fmt.Errorf("bad port %q", clipS(port))
	}
	m.Port = p
	if len(f)-3 > maxFormats {
		return nil, fmt.Errorf("more than %d formats", maxFormats)
	}
	m.Formats = append([]string(nil), f[3:]...)
	if m.isRTP() {
		if len(m.Formats) == 0 {
			return nil, fmt.Errorf("RTP media line without payload types")
		}
		for i, pt := range m.Formats {
			n, err := strconv.Atoi(pt)
			if err != nil || n < 0 || n > 127 {
				return nil, fmt.Errorf("bad payload type %q", clipS(pt))
			}
			m.Formats[i] = strconv.Itoa(n) // canonical: "00" is payload type 0
		}
	}
	return m, nil
}

// Connection is a parsed c= line (RFC 4566 §5.7), for IN IP4 / IN IP6 only.
type Connection struct {
	Addr netip.Addr
}

// parseConnection reads "IN IP4 <addr>[/ttl[/n]]". Other address types are refused: the
// relay cannot send to them.
func parseConnection(v string) (Connection, error) {
	f := strings.Fields(v)
	if len(f) != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6") {
		return Connection{}, fmt.Errorf("c= must be \"IN IP4|IP6 address\": %q", clipS(v))
	}
	a := f[2]
	if i := strings.IndexByte(a, '/'); i >= 0 {
		a = a[:i]
	}
	addr, err := netip.ParseAddr(a)
	if err != nil {
		return Connection{}, fmt.Errorf("c= address %q is not an IP address", clipS(a))
	}
	if (f[1] == "IP4") != addr.Is4() {
		return Connection{}, fmt.Errorf("c= address %q does not match %s", clipS(a), f[1])
	}
	return Connection{Addr: addr}, nil
}

func connectionValue(a netip.Addr) string {
	if a.Is4() {
		return "IN IP4 " + a.String()
	}
	return "IN IP6 " + a.String()
}

// Marshal writes the description with CRLF line ends (RFC 4566 §5).
func (s *Session) Marshal() []byte {
	var b bytes.Buffer
	for _, l := range s.Lines {
		writeLine(&b, l)
	}
	for _, m := range s.Media {
		writeLine(&b, Line{Type: 'm', Value: m.mediaLine()})
		for _, l := range m.Lines {
			writeLine(&b, l)
		}
	}
	return b.Bytes()
}

func writeLine(b *bytes.Buffer, l Line) {
	b.WriteByte(l.Type)
	b.WriteByte('=')
	b.WriteString(l.Value)
	b.WriteString("\r\n")
}

func (m *Media) mediaLine() string {
	var b strings.Builder
	b.WriteString(m.Kind)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(m.Port))
	if m.NumPorts > 0 {
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(m.NumPorts))
	}
	b.WriteByte(' ')
	b.WriteString(m.Proto)
	for _, f := range m.Formats {
		b.WriteByte(' ')
		b.WriteString(f)
	}
	return b.String()
}

func (s *Session) find(t byte) *Line {
	for i := range s.Lines {
		if s.Lines[i].Type == t {
			return &s.Lines[i]
		}
	}
	return nil
}

func (m *Media) find(t byte) *Line {
	for i := range m.Lines {
		if m.Lines[i].Type == t {
			return &m.Lines[i]
		}
	}
	return nil
}

func (m *Media) isRTP() bool { return strings.HasPrefix(m.Proto, "RTP/") }

// Address returns the connection address of a media description: its own c= line, or the
// session-level one (RFC 4566 §5.7).
func (s *Session) Address(m *Media) netip.Addr {
	l := m.find('c')
	if l == nil {
		l = s.find('c')
	}
	if l == nil {
		return netip.Addr{}
	}
	c, err := parseConnection(l.Value)
	if err != nil {
		return netip.Addr{}
	}
	return c.Addr
}

// Audio returns the first audio media description with a non-zero port, or ErrNoAudio.
func (s *Session) Audio() (*Media, error) {
	for _, m := range s.Media {
		if m.Kind == "audio" && m.Port != 0 && m.isRTP() {
			return m, nil
		}
	}
	return nil, ErrNoAudio
}

// Attr returns the value of the first "a=name" or "a=name:value" attribute of the media
// description and whether it is present.
func (m *Media) Attr(name string) (string, bool) {
	return attr(m.Lines, name)
}

func attr(lines []Line, name string) (string, bool) {
	for _, l := range lines {
		if l.Type != 'a' {
			continue
		}
		k, v, _ := strings.Cut(l.Value, ":")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// Direction is a media direction attribute (RFC 3264 §5.1, §8.4 for hold).
type Direction string

// Media directions.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Direction returns the media description's direction: its own attribute, else the
// session-level one, else sendrecv (RFC 4566 §6).
func (s *Session) Direction(m *Media) Direction {
	for _, d := range []Direction{SendOnly, RecvOnly, Inactive, SendRecv} {
		if _, ok := m.Attr(string(d)); ok {
			return d
		}
	}
	for _, d := range []Direction{SendOnly, RecvOnly, Inactive, SendRecv} {
		if _, ok := attr(s.Lines, string(d)); ok {
			return d
		}
	}
	return SendRecv
}

// RTCPMux reports whether the media description offers or accepts rtcp-mux (RFC 5761 §5.1.1).
func (m *Media) RTCPMux() bool {
	_, ok := m.Attr("rtcp-mux")
	return ok
}

// RTCPPort returns the port of an "a=rtcp:" attribute (RFC 3605), or 0.
func (m *Media) RTCPPort() int {
	v, ok := m.Attr("rtcp")
	if !ok {
		return 0
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0
	}
	p, err := strconv.Atoi(f[0])
	if err != nil || p <= 0 || p > 65535 {
		return 0
	}
	return p
}

func clip(b []byte) string { return clipS(string(b)) }

func clipS(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
