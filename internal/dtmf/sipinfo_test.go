package dtmf

import (
	"errors"
	"testing"
)

func TestParseSIPInfo(t *testing.T) {
	tests := []struct {
		ct, body string
		want     SIPInfo
		err      error
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", SIPInfo{'5', 160}, nil},
		{"Application/DTMF-Relay; charset=utf-8", "signal = *\nduration= 250", SIPInfo{'*', 250}, nil},
		{"application/dtmf-relay", "Signal=11\r\nDuration=100\r\n", SIPInfo{'#', 100}, nil},
		{"application/dtmf-relay", "Signal=d\r\n", SIPInfo{'D', 0}, nil},
		{"application/dtmf-relay", "Foo=bar\r\nSignal=0\r\n\r\n", SIPInfo{'0', 0}, nil},
		{"application/dtmf", "7", SIPInfo{'7', 0}, nil},
		{"application/dtmf", " 10\r\n", SIPInfo{'*', 0}, nil},
		{"application/dtmf-relay", "Duration=160\r\n", SIPInfo{}, ErrBadSIPInfo},
		{"application/dtmf-relay", "Signal=16\r\n", SIPInfo{}, ErrBadSIPInfo},
		{"application/dtmf-relay", "Signal=x\r\n", SIPInfo{}, ErrBadSIPInfo},
		{"application/dtmf-relay", "Signal=1\r\nSignal=2\r\n", SIPInfo{}, ErrBadSIPInfo},
		{"application/dtmf-relay", "Signal=1\r\nDuration=-5\r\n", SIPInfo{}, ErrBadSIPInfo},
		{"application/dtmf-relay", "Signal=1\r\nDuration=99999999999999\r\n", SIPInfo{}, ErrBadSIPInfo},
		{"application/dtmf-relay", "garbage", SIPInfo{}, ErrBadSIPInfo},
		{"application/dtmf", "", SIPInfo{}, ErrBadSIPInfo},
		{"application/dtmf", "12", SIPInfo{'A', 0}, nil},
		{"text/plain", "Signal=1", SIPInfo{}, ErrBadContentType},
		{"", "Signal=1", SIPInfo{}, ErrBadContentType},
	}
	for _, tc := range tests {
		got, err := ParseSIPInfo(tc.ct, []byte(tc.body))
		if !errors.Is(err, tc.err) || (err == nil && got != tc.want) {
			t.Errorf("%q %q: got %+v, %v; want %+v, %v", tc.ct, tc.body, got, err, tc.want, tc.err)
		}
	}
}

func TestBuildSIPInfo(t *testing.T) {
	b, err := SIPInfo{Digit: '#', DurationMS: 160}.AppendDTMFRelay(nil)
	if err != nil || string(b) != "Signal=#\r\nDuration=160\r\n" {
		t.Fatalf("%q %v", b, err)
	}
	if got, err := ParseDTMFRelay(b); err != nil || got != (SIPInfo{'#', 160}) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	b, err = SIPInfo{Digit: 'a'}.AppendDTMFBody(nil)
	if err != nil || string(b) != "A" {
		t.Fatalf("%q %v", b, err)
	}
	if _, err := (SIPInfo{Digit: 'x'}).AppendDTMFRelay(nil); !errors.Is(err, ErrBadDigit) {
		t.Error(err)
	}
	if _, err := (SIPInfo{Digit: '1', DurationMS: -1}).AppendDTMFRelay(nil); !errors.Is(err, ErrBadDuration) {
		t.Error(err)
	}
}

func FuzzParseSIPInfo(f *testing.F) {
	f.Add("application/dtmf-relay", []byte("Signal=5\r\nDuration=160\r\n"))
	f.Add("application/dtmf", []byte("#"))
	f.Add("application/dtmf-relay;x=\"", []byte("Signal==\n"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		info, err := ParseSIPInfo(ct, body)
		if err != nil {
			if !errors.Is(err, ErrBadSIPInfo) && !errors.Is(err, ErrBadContentType) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if !ValidDigit(info.Digit) || info.DurationMS < 0 {
			t.Fatalf("accepted %+v", info)
		}
		b, err := info.AppendDTMFRelay(nil)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := ParseDTMFRelay(b); err != nil || again != info {
			t.Fatalf("round trip %+v -> %q -> %+v %v", info, b, again, err)
		}
	})
}
