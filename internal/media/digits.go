package media

import (
	"sync"
	"time"
)

// LegID names one side of a call.
type LegID uint8

const (
	// Customer is the caller's side: in secure mode its key tones are masked and captured.
	Customer LegID = iota
	// Agent is the contact centre's side: outside secure mode its key presses are reported
	// (an agent keys a call reference to start secure mode); its audio is never altered.
	Agent
)

// String names the leg ("customer" or "agent").
func (l LegID) String() string {
	if l == Customer {
		return "customer"
	}
	return "agent"
}

// Transport is how a key press reached the relay.
type Transport uint8

const (
	// Inband is a DTMF tone pair in the audio.
	Inband Transport = iota + 1
	// RFC4733 is a telephone-event RTP packet.
	RFC4733
	// SIPInfo is a SIP INFO request (application/dtmf-relay or application/dtmf), handed
	// over by the SIP layer through Session.SIPInfoDigit.
	SIPInfo
)

// String names the transport as in logs and events: inband, rfc4733 or sip-info.
func (t Transport) String() string {
	switch t {
	case Inband:
		return "inband"
	case RFC4733:
		return "rfc4733"
	case SIPInfo:
		return "sip-info"
	}
	return "unknown"
}

// DigitEvent is one key press, reported once however many transports carried it.
type DigitEvent struct {
	Digit     byte      // '0'-'9', '*', '#', 'A'-'D'
	Leg       LegID     // side that keyed it
	Transport Transport // transport that reported it first
	Secure    bool      // whether secure mode was on when it was reported
	Start     time.Time // estimated start of the key press
	At        time.Time // when the relay confirmed it
	// RTPTimestamp is the media-clock start of the key press on its leg (in-band and RFC
	// 4733; zero for SIP INFO).
	RTPTimestamp uint32
}

// DigitSink receives key presses: the customer's in secure mode (the capture engine) and the
// agent's outside secure mode. Digit is called from a media goroutine and must not block;
// hand the event to a channel or a lock-protected queue. It may call SetSecure, but not
// Close (run that from another goroutine).
type DigitSink interface {
	Digit(DigitEvent)
}

// DigitSinkFunc adapts a function to DigitSink.
type DigitSinkFunc func(DigitEvent)

// Digit calls f.
func (f DigitSinkFunc) Digit(e DigitEvent) { f(e) }

// dedupeWindow is how far apart the same key press may be reported by two transports.
// One report matches at most one report of another transport, so "11" keyed quickly is
// still two presses.
const (
	dedupeMediaWindow = 120 * time.Millisecond // tones vs events: same media clock
	dedupeInfoWindow  = 400 * time.Millisecond // SIP INFO arrives on its own path
	dedupeKeep        = 16
)

type digitReport struct {
	ev      DigitEvent
	matched [SIPInfo + 1]bool
}

// deduper reports each key press of one leg once across in-band tones, RFC 4733 events and
// SIP INFO. It is called from the leg's media goroutine and from the SIP layer.
type deduper struct {
	mu     sync.Mutex
	recent [dedupeKeep]digitReport
	n      int // reports stored, ring-indexed
}

// accept records ev and reports whether it is a new key press (not the same press already
// reported by another transport).
func (d *deduper) accept(ev DigitEvent) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := 0; i < min(d.n, dedupeKeep); i++ {
		r := &d.recent[(d.n-1-i)%dedupeKeep]
		if r.ev.Digit != ev.Digit || r.ev.Transport == ev.Transport || r.matched[ev.Transport] {
			continue
		}
		if sameMoment(r.ev, ev) {
			r.matched[ev.Transport] = true
			return false
		}
	}
	r := &d.recent[d.n%dedupeKeep]
	*r = digitReport{ev: ev}
	d.n++
	return true
}

func (d *deduper) reset() {
	d.mu.Lock()
	d.n = 0
	d.mu.Unlock()
}

func sameMoment(a, b DigitEvent) bool {
	if a.Transport != SIPInfo && b.Transport != SIPInfo {
		dt := int32(a.RTPTimestamp - b.RTPTimestamp) // 8 kHz media clock
		if dt < 0 {
			dt = -dt
		}
		return time.Duration(dt)*time.Second/8000 <= dedupeMediaWindow
	}
	dt := a.Start.Sub(b.Start)
	if dt < 0 {
		dt = -dt
	}
	return dt <= dedupeInfoWindow
}

// validDigit reports whether b is a DTMF key.
func validDigit(b byte) bool {
	return (b >= '0' && b <= '9') || b == '*' || b == '#' || (b >= 'A' && b <= 'D')
}
