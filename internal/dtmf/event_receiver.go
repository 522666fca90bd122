package dtmf

// KeyPress is one key press received as RFC 4733 telephone-events.
type KeyPress struct {
	Digit     byte
	Timestamp uint32 // RTP timestamp of the event (its start)
	Duration  uint16 // as far as known when emitted
}

const recvEvents = 16 // events remembered for de-duplication

type recvEvent struct {
	ts    uint32
	code  uint8
	ended bool
	dur   uint16
	used  bool
}

// EventReceiver turns a stream of telephone-event packets into key presses, each exactly
// once despite duplicated, lost or reordered packets (RFC 4733 §2.5.2). It is not safe for
// concurrent use.
//
// An event is known by its RTP timestamp (§2.5.1.1: every packet of an event carries the
// timestamp of its start), so the first packet that arrives of any event reports the key
// press, whichever packet it is and whether or not the marker bit survived, and later
// packets with that timestamp are absorbed. A long event is segmented at a duration of 0xFFFF
// (§2.5.1.3): a packet with the same event code, no marker, and a timestamp 0xFFFF (or up to
// 200 ms less) after an unfinished event continues that key press rather than starting a new
// one. Events with codes
// above 15 (flash and the other non-DTMF events of RFC 4734) are absorbed without a key press.
type EventReceiver struct {
	ev      [recvEvents]recvEvent
	next    int
	newest  uint32
	started bool
	maxSeq  uint16
}

// NewEventReceiver returns a receiver with no history.
func NewEventReceiver() *EventReceiver { return &EventReceiver{} }

// Reset forgets all events (for example after an SSRC change).
func (r *EventReceiver) Reset() { *r = EventReceiver{} }

// segmentSlack is how much shorter than 0xFFFF a segment of a long event may be: senders
// that only report at whole packet intervals end a segment up to one interval early; 1600
// timestamp units (200 ms at 8 kHz) covers any packet interval in use.
const segmentSlack = 1600

// seqStale is how far behind the highest sequence number a packet may be and still count.
const seqStale = 1000

// Receive takes one packet's RTP sequence number, timestamp, marker bit and payload.
func (r *EventReceiver) Receive(seq uint16, ts uint32, marker bool, payload []byte, emit func(KeyPress)) error {
	var e TelephoneEvent
	if err := e.Unmarshal(payload); err != nil {
		return err
	}
	if !r.started {
		r.started, r.maxSeq, r.newest = true, seq, ts
	} else {
		if d := int16(seq - r.maxSeq); d > 0 {
			r.maxSeq = seq
		} else if -int(d) > seqStale {
			return nil // a very late duplicate of something long gone
		}
	}
	if i := r.find(ts); i >= 0 {
		ev := &r.ev[i]
		if e.Duration > ev.dur {
			ev.dur = e.Duration
		}
		ev.ended = ev.ended || e.End
		return nil
	}
	// Older than everything remembered: its event may have been forgotten; drop it rather
	// than risk reporting a key press twice.
	if r.full() && int32(ts-r.oldest()) < 0 {
		return nil
	}
	continuation := false
	if !marker {
		for i := range r.ev {
			ev := &r.ev[i]
			if ev.used && !ev.ended && ev.code == e.Event {
				if d := ts - ev.ts; d >= 0xFFFF-segmentSlack && d <= 0xFFFF {
					continuation = true
					ev.ended = true // the earlier segment is over
					break
				}
			}
		}
	}
	r.ev[r.next] = recvEvent{ts: ts, code: e.Event, ended: e.End, dur: e.Duration, used: true}
	r.next = (r.next + 1) % recvEvents
	if int32(ts-r.newest) > 0 {
		r.newest = ts
	}
	if continuation {
		return nil
	}
	if d, ok := EventDigit(e.Event); ok {
		emit(KeyPress{Digit: d, Timestamp: ts, Duration: e.Duration})
	}
	return nil
}

func (r *EventReceiver) find(ts uint32) int {
	for i := range r.ev {
		if r.ev[i].used && r.ev[i].ts == ts {
			return i
		}
	}
	return -1
}

func (r *EventReceiver) full() bool {
	for i := range r.ev {
		if !r.ev[i].used {
			return false
		}
	}
	return true
}

func (r *EventReceiver) oldest() uint32 {
	o := r.newest
	for i := range r.ev {
		if r.ev[i].used && int32(r.ev[i].ts-o) < 0 {
			o = r.ev[i].ts
		}
	}
	return o
}
