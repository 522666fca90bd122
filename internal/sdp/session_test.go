package sdp

import (
	"errors"
	"strings"
	"testing"
)

const offerPhone = "v=0\r\n" +
	"o=alice 2890844526 2890844527 IN IP4 192.0.2.10\r\n" +
	"s=-\r\n" +
	"c=IN IP4 192.0.2.10\r\n" +
	"t=0 0\r\n" +
	"m=audio 49170 RTP/AVP 9 0 8 18 101 13\r\n" +
	"a=rtpmap:9 G722/8000\r\n" +
	"a=rtpmap:0 PCMU/8000\r\n" +
	"a=rtpmap:8 PCMA/8000\r\n" +
	"a=rtpmap:18 G729/8000\r\n" +
	"a=fmtp:18 annexb=no\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\n" +
	"a=fmtp:101 0-16\r\n" +
	"a=rtcp:49171\r\n" +
	"a=ptime:20\r\n" +
	"a=sendrecv\r\n" +
	"m=video 49180 RTP/AVP 96\r\n" +
	"a=rtpmap:96 H264/90000\r\n"

func TestParse(t *testing.T) {
	s, err := Parse([]byte(offerPhone))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Audio()
	if err != nil {
		t.Fatal(err)
	}
	if a.Port != 49170 || len(s.Media) != 2 || a.RTCPPort() != 49171 {
		t.Fatalf("audio %+v", a)
	}
	got := names(a.Codecs())
	if got != "G722, PCMU, PCMA, G729, telephone-event, CN" {
		t.Fatalf("codecs %q", got)
	}
	if s.Address(a).String() != "192.0.2.10" || s.Direction(a) != SendRecv {
		t.Fatal("address or direction")
	}
	if string(s.Marshal()) != offerPhone {
		t.Fatalf("round trip differs:\n%s", s.Marshal())
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"empty", "", ErrMalformed},
		{"not sdp", "hello world\r\n", ErrMalformed},
		{"no v first", "o=a 1 1 IN IP4 1.2.3.4\r\nv=0\r\n", ErrMalformed},
		{"v=1", "v=1\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\n", ErrMalformed},
		{"no o", "v=0\r\ns=-\r\nc=IN IP4 1.2.3.4\r\n", ErrMalformed},
		{"no s", "v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n", ErrMalformed},
		{"bad c", "v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 nowhere\r\n", ErrMalformed},
		{"c family", "v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP6 1.2.3.4\r\n", ErrMalformed},
		{"no c", "v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\n", ErrMalformed},
		{"bad port", "v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n", ErrMalformed},
		{"bad pt", "v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 200\r\n", ErrMalformed},
		{"no pt", "v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP\r\n", ErrMalformed},
		{"uppercase type", "v=0\r\nO=a\r\n", ErrMalformed},
		{"huge", "v=0\r\n" + strings.Repeat("a=x\r\n", MaxLines+1), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseLF(t *testing.T) {
	s, err := Parse([]byte(strings.ReplaceAll(offerPhone, "\r\n", "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Marshal()) != offerPhone {
		t.Fatal("LF description not normalised to CRLF")
	}
}

func TestDirection(t *testing.T) {
	for _, d := range []Direction{SendOnly, RecvOnly, Inactive, SendRecv} {
		in := strings.Replace(offerPhone, "a=sendrecv", "a="+string(d), 1)
		s, err := Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		a, _ := s.Audio()
		if got := s.Direction(a); got != d {
			t.Errorf("direction %s, want %s", got, d)
		}
	}
}
