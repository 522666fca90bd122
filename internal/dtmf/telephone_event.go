package dtmf

import (
	"encoding/binary"
	"fmt"
)

// TelephoneEventSize is the size of one RFC 4733 §2.3 event payload.
const TelephoneEventSize = 4

// TelephoneEvent is the RFC 4733 §2.3 telephone-event payload:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     event     |E|R| volume    |          duration             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type TelephoneEvent struct {
	Event    uint8  // 0-9, 10 '*', 11 '#', 12-15 'A'-'D'
	End      bool   // E bit: the last packets of the event
	Volume   uint8  // 0-63, -dBm0
	Duration uint16 // timestamp units
}

// Unmarshal parses the first 4 bytes of an RFC 4733 payload; the R bit is ignored (§2.3.3).
func (e *TelephoneEvent) Unmarshal(payload []byte) error {
	if len(payload) < TelephoneEventSize {
		return fmt.Errorf("%w: %d bytes", ErrShortPayload, len(payload))
	}
	e.Event = payload[0]
	e.End = payload[1]&0x80 != 0
	e.Volume = payload[1] & 0x3F
	e.Duration = binary.BigEndian.Uint16(payload[2:])
	return nil
}

// MarshalTo writes the 4-byte payload into buf and returns its length; the R bit is zero.
func (e TelephoneEvent) MarshalTo(buf []byte) (int, error) {
	if len(buf) < TelephoneEventSize {
		return 0, ErrBufferTooSmall
	}
	if e.Volume > 63 {
		return 0, fmt.Errorf("%w: %d", ErrBadVolume, e.Volume)
	}
	buf[0] = e.Event
	buf[1] = e.Volume
	if e.End {
		buf[1] |= 0x80
	}
	binary.BigEndian.PutUint16(buf[2:], e.Duration)
	return TelephoneEventSize, nil
}
