package dtmf

import "fmt"

// EventPacket is one RTP packet of a telephone-event stream: the header fields that matter
// and the payload.
type EventPacket struct {
	Timestamp uint32
	Marker    bool
	Event     TelephoneEvent
}

// EventSender produces the RFC 4733 packet sequence of key presses in real time: call Start
// when the key goes down, Next every packet interval while it is held, and End when it is
// released. It is not safe for concurrent use.
type EventSender struct {
	// Interval is the timestamp advance between packets (160 = 20 ms at 8 kHz).
	Interval uint16
	// Volume is the power level reported in every packet, 0-63 (-dBm0).
	Volume uint8

	code    uint8
	ts      uint32 // timestamp of the current segment
	dur     uint32 // duration of the current segment
	active  bool
	started bool // the first packet (with the marker) has been sent
}

// Start begins a key press at RTP timestamp ts and returns its first packet (marker set,
// duration 0, RFC 4733 §2.5.1.2).
func (s *EventSender) Start(digit byte, ts uint32) (EventPacket, error) {
	code, ok := EventCode(digit)
	if !ok {
		return EventPacket{}, fmt.Errorf("%w: %q", ErrBadDigit, digit)
	}
	if s.Volume > 63 {
		return EventPacket{}, fmt.Errorf("%w: %d", ErrBadVolume, s.Volume)
	}
	if s.Interval == 0 {
		s.Interval = 160
	}
	s.code, s.ts, s.dur, s.active, s.started = code, ts, 0, true, true
	return EventPacket{Timestamp: ts, Marker: true, Event: TelephoneEvent{Event: code, Volume: s.Volume}}, nil
}

// Next appends the packet one interval later, with the grown duration, to dst. When the
// duration would pass 0xFFFF the event is segmented (RFC 4733 §2.5.1.3): Next appends the
// current segment's last report, with duration 0xFFFF, and then the first packet of a new
// segment that starts at timestamp ts+0xFFFF, without the marker bit.
func (s *EventSender) Next(dst []EventPacket) []EventPacket {
	if !s.active {
		return dst
	}
	d := s.dur + uint32(s.Interval)
	if d > 0xFFFF {
		dst = append(dst, EventPacket{Timestamp: s.ts, Event: TelephoneEvent{Event: s.code, Volume: s.Volume, Duration: 0xFFFF}})
		s.ts += 0xFFFF
		d -= 0xFFFF
	}
	s.dur = d
	return append(dst, EventPacket{Timestamp: s.ts, Event: TelephoneEvent{Event: s.code, Volume: s.Volume, Duration: uint16(d)}})
}

// End appends the three redundant end packets (E bit set, final duration, RFC 4733
// §2.5.1.4) of the current key press to dst.
func (s *EventSender) End(dst []EventPacket) []EventPacket {
	if !s.active {
		return dst
	}
	s.active = false
	p := EventPacket{Timestamp: s.ts, Event: TelephoneEvent{Event: s.code, End: true, Volume: s.Volume, Duration: uint16(s.dur)}}
	return append(dst, p, p, p)
}

// AppendKeyPress appends the whole packet sequence of a key press to dst: the first packet at
// ts, one every interval until duration timestamp units have passed (the last one reports the
// exact duration), then three end packets. Durations past 0xFFFF are segmented.
func AppendKeyPress(dst []EventPacket, digit byte, ts, duration uint32, interval uint16, volume uint8) ([]EventPacket, error) {
	if duration == 0 {
		return dst, fmt.Errorf("%w: zero", ErrBadDuration)
	}
	s := EventSender{Interval: interval, Volume: volume}
	p, err := s.Start(digit, ts)
	if err != nil {
		return dst, err
	}
	dst = append(dst, p)
	step := uint32(s.Interval)
	for done := uint32(0); done < duration; done += uint32(s.Interval) {
		if duration-done < step {
			s.Interval = uint16(duration - done)
		}
		dst = s.Next(dst)
	}
	return s.End(dst), nil
}
