package dtmf

import (
	"errors"
	"testing"
)

func TestTelephoneEventRoundTrip(t *testing.T) {
	tests := []struct {
		in   TelephoneEvent
		wire []byte
	}{
		{TelephoneEvent{Event: 5, Volume: 10, Duration: 160}, []byte{5, 10, 0, 160}},
		{TelephoneEvent{Event: 11, End: true, Volume: 63, Duration: 0xFFFF}, []byte{11, 0xBF, 0xFF, 0xFF}},
		{TelephoneEvent{Event: 16}, []byte{16, 0, 0, 0}},
	}
	for _, tc := range tests {
		buf := make([]byte, 8)
		n, err := tc.in.MarshalTo(buf)
		if err != nil || n != 4 || string(buf[:n]) != string(tc.wire) {
			t.Errorf("%+v marshals to % x, %v", tc.in, buf[:n], err)
		}
		var got TelephoneEvent
		if err := got.Unmarshal(tc.wire); err != nil || got != tc.in {
			t.Errorf("% x unmarshals to %+v, %v", tc.wire, got, err)
		}
	}
	var e TelephoneEvent
	if err := e.Unmarshal([]byte{1, 2, 3}); !errors.Is(err, ErrShortPayload) {
		t.Errorf("short payload: %v", err)
	}
	if err := e.Unmarshal([]byte{1, 0x40 | 7, 0, 8}); err != nil || e.Volume != 7 || e.End {
		t.Errorf("R bit must be ignored: %+v %v", e, err)
	}
	if _, err := (TelephoneEvent{Volume: 64}).MarshalTo(make([]byte, 4)); !errors.Is(err, ErrBadVolume) {
		t.Errorf("volume 64: %v", err)
	}
	if _, err := (TelephoneEvent{}).MarshalTo(make([]byte, 3)); !errors.Is(err, ErrBufferTooSmall) {
		t.Errorf("small buffer: %v", err)
	}
	buf := make([]byte, 4)
	if n := testing.AllocsPerRun(100, func() { _, _ = tests[0].in.MarshalTo(buf); _ = e.Unmarshal(buf) }); n != 0 {
		t.Errorf("codec allocates %v times", n)
	}
}

func TestEventCodes(t *testing.T) {
	for i := range 16 {
		d, ok := EventDigit(uint8(i))
		c, ok2 := EventCode(d)
		if !ok || !ok2 || c != uint8(i) {
			t.Errorf("code %d -> %q -> %d", i, d, c)
		}
	}
	if _, ok := EventDigit(16); ok {
		t.Error("16 is flash, not a digit")
	}
	if _, ok := EventCode('x'); ok {
		t.Error("x is not a digit")
	}
	if c, _ := EventCode('d'); c != 15 {
		t.Error("lower-case d")
	}
}

func FuzzTelephoneEvent(f *testing.F) {
	f.Add([]byte{5, 10, 0, 160})
	f.Add([]byte{11, 0xBF, 0xFF, 0xFF, 0})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var e TelephoneEvent
		if err := e.Unmarshal(b); err != nil {
			if len(b) >= 4 {
				t.Fatalf("error on %d bytes: %v", len(b), err)
			}
			return
		}
		buf := make([]byte, 4)
		if _, err := e.MarshalTo(buf); err != nil {
			t.Fatal(err)
		}
		if buf[0] != b[0] || buf[1] != b[1]&^0x40 || buf[2] != b[2] || buf[3] != b[3] {
			t.Fatalf("% x re-encodes as % x", b[:4], buf)
		}
	})
}
