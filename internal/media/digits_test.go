package media

import (
	"testing"
	"time"
)

func TestDeduper(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ev := func(d byte, tr Transport, ts uint32, ms int) DigitEvent {
		return DigitEvent{Digit: d, Transport: tr, RTPTimestamp: ts, Start: t0.Add(time.Duration(ms) * time.Millisecond)}
	}
	tests := []struct {
		name string
		in   []DigitEvent
		want string // accepted digits
	}{
		{"tone then event of one press", []DigitEvent{ev('5', Inband, 8000, 0), ev('5', RFC4733, 8040, 5)}, "5"},
		{"event then tone", []DigitEvent{ev('5', RFC4733, 8000, 0), ev('5', Inband, 7980, 60)}, "5"},
		{"11 keyed fast on two transports", []DigitEvent{
			ev('1', Inband, 8000, 0), ev('1', RFC4733, 8000, 0), ev('1', Inband, 8800, 100), ev('1', RFC4733, 8800, 100)}, "11"},
		{"same transport twice is two presses", []DigitEvent{ev('1', Inband, 8000, 0), ev('1', Inband, 8400, 50)}, "11"},
		{"different digits", []DigitEvent{ev('1', Inband, 8000, 0), ev('2', RFC4733, 8000, 0)}, "12"},
		{"far apart on two transports", []DigitEvent{ev('3', Inband, 8000, 0), ev('3', RFC4733, 16000, 1000)}, "33"},
		{"sip info joins a tone", []DigitEvent{ev('7', Inband, 8000, 0), ev('7', SIPInfo, 0, 150)}, "7"},
		{"three transports one press", []DigitEvent{ev('9', Inband, 8000, 0), ev('9', RFC4733, 8000, 10), ev('9', SIPInfo, 0, 120)}, "9"},
		{"sip info late is a new press", []DigitEvent{ev('7', Inband, 8000, 0), ev('7', SIPInfo, 0, 900)}, "77"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d deduper
			var got []byte
			for _, e := range tt.in {
				if d.accept(e) {
					got = append(got, e.Digit)
				}
			}
			if string(got) != tt.want {
				t.Fatalf("accepted %q, want %q", got, tt.want)
			}
		})
	}
}
