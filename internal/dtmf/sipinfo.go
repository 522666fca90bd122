package dtmf

import (
	"bytes"
	"fmt"
	"mime"
	"strconv"
	"strings"
)

// SIP INFO content types that carry DTMF.
const (
	ContentTypeDTMFRelay = "application/dtmf-relay" // "Signal=5\r\nDuration=160\r\n"
	ContentTypeDTMF      = "application/dtmf"       // "5"
)

// maxSIPInfoBody bounds the bodies ParseSIPInfo looks at; real ones are a few dozen bytes.
const maxSIPInfoBody = 4096

// maxDurationMS bounds the Duration= value accepted (one minute).
const maxDurationMS = 60000

// SIPInfo is a key press carried in a SIP INFO request body.
type SIPInfo struct {
	Digit      byte
	DurationMS int // 0 when the body does not say
}

// ParseSIPInfo parses a SIP INFO body according to its Content-Type header value.
func ParseSIPInfo(contentType string, body []byte) (SIPInfo, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return SIPInfo{}, fmt.Errorf("%w: %q", ErrBadContentType, contentType)
	}
	switch mt {
	case ContentTypeDTMFRelay:
		return ParseDTMFRelay(body)
	case ContentTypeDTMF:
		d, err := ParseDTMFBody(body)
		return SIPInfo{Digit: d}, err
	}
	return SIPInfo{}, fmt.Errorf("%w: %q", ErrBadContentType, mt)
}

// ParseDTMFRelay parses an application/dtmf-relay body: lines "Signal=<key>" (required) and
// "Duration=<ms>" (optional); keys are case-insensitive, spaces around '=' are allowed, lines
// end in CRLF or LF, and unknown lines are ignored. Signal may be the key itself or its
// RFC 4733 event code (10 for '*', 11 for '#', as some devices send).
func ParseDTMFRelay(body []byte) (SIPInfo, error) {
	if len(body) > maxSIPInfoBody {
		return SIPInfo{}, fmt.Errorf("%w: body of %d bytes", ErrBadSIPInfo, len(body))
	}
	var (
		info      SIPInfo
		gotSignal bool
	)
	for line := range bytes.Lines(body) {
		k, v, ok := bytes.Cut(line, []byte("="))
		if !ok {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			return SIPInfo{}, fmt.Errorf("%w: line without '='", ErrBadSIPInfo)
		}
		key := strings.ToLower(string(bytes.TrimSpace(k)))
		val := string(bytes.TrimSpace(v))
		switch key {
		case "signal":
			if gotSignal {
				return SIPInfo{}, fmt.Errorf("%w: two Signal lines", ErrBadSIPInfo)
			}
			d, err := parseSignal(val)
			if err != nil {
				return SIPInfo{}, err
			}
			info.Digit, gotSignal = d, true
		case "duration":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > maxDurationMS {
				return SIPInfo{}, fmt.Errorf("%w: Duration %q (want 0-%d ms)", ErrBadSIPInfo, clip(val), maxDurationMS)
			}
			info.DurationMS = n
		}
	}
	if !gotSignal {
		return SIPInfo{}, fmt.Errorf("%w: no Signal line", ErrBadSIPInfo)
	}
	return info, nil
}

// ParseDTMFBody parses an application/dtmf body: the key itself, or its RFC 4733 event code.
func ParseDTMFBody(body []byte) (byte, error) {
	if len(body) > maxSIPInfoBody {
		return 0, fmt.Errorf("%w: body of %d bytes", ErrBadSIPInfo, len(body))
	}
	return parseSignal(string(bytes.TrimSpace(body)))
}

func parseSignal(v string) (byte, error) {
	if len(v) == 1 && ValidDigit(v[0]) {
		return upper(v[0]), nil
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < 16 {
		d, _ := EventDigit(uint8(n))
		return d, nil
	}
	return 0, fmt.Errorf("%w: signal %q", ErrBadSIPInfo, clip(v))
}

// clip keeps error text short (and free of long digit runs a sender might have put there).
func clip(s string) string {
	if len(s) > 8 {
		s = s[:8] + "…"
	}
	return s
}

// AppendDTMFRelay appends an application/dtmf-relay body for the key press to dst.
func (i SIPInfo) AppendDTMFRelay(dst []byte) ([]byte, error) {
	if !ValidDigit(i.Digit) {
		return dst, fmt.Errorf("%w: %q", ErrBadDigit, i.Digit)
	}
	if i.DurationMS < 0 || i.DurationMS > maxDurationMS {
		return dst, fmt.Errorf("%w: %d ms", ErrBadDuration, i.DurationMS)
	}
	dst = append(dst, "Signal="...)
	dst = append(dst, upper(i.Digit))
	dst = append(dst, "\r\nDuration="...)
	dst = strconv.AppendInt(dst, int64(i.DurationMS), 10)
	return append(dst, "\r\n"...), nil
}

// AppendDTMFBody appends an application/dtmf body (the key itself) to dst.
func (i SIPInfo) AppendDTMFBody(dst []byte) ([]byte, error) {
	if !ValidDigit(i.Digit) {
		return dst, fmt.Errorf("%w: %q", ErrBadDigit, i.Digit)
	}
	return append(dst, upper(i.Digit)), nil
}
