package sdp

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var relay = netip.MustParseAddr("198.51.100.7")

func TestApplyGolden(t *testing.T) {
	tests := []struct {
		name string
		in   string
		r    Rewrite
		want string // codecs read
		mux  bool
		cs   bool // cannot secure
	}{
		{"offer", offerPhone, Rewrite{Addr: relay, Port: 30000, RTCPPort: 30001, Offer: true}, "PCMU, PCMA, telephone-event, CN", false, false},
		{"offer_mux", offerPhone, Rewrite{Addr: relay, Port: 30000, RTCPPort: 30000, RTCPMux: true, Offer: true}, "PCMU, PCMA, telephone-event, CN", true, false},
		{"offer_no_te", strings.NewReplacer(" 101 13", " 13", "a=rtpmap:101 telephone-event/8000\r\n", "", "a=fmtp:101 0-16\r\n", "").Replace(offerPhone),
			Rewrite{Addr: relay, Port: 30000, RTCPPort: 30001, Offer: true}, "PCMU, PCMA, CN", false, false},
		{"answer_hold", "v=0\r\no=bob 1 2 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=rtcp-mux\r\na=sendonly\r\n",
			Rewrite{Addr: relay, Port: 30002, RTCPPort: 30003}, "PCMA, telephone-event", false, false},
		{"g729_only", "v=0\r\no=c 1 1 IN IP4 203.0.113.9\r\ns=-\r\nc=IN IP4 203.0.113.9\r\nt=0 0\r\nm=audio 7000 RTP/AVP 18 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
			Rewrite{Addr: relay, Port: 30004, RTCPPort: 30005, Offer: true}, "G729, telephone-event", false, true},
		{"old_hold", "v=0\r\no=c 1 2 IN IP4 203.0.113.9\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n",
			Rewrite{Addr: relay, Port: 30004, RTCPPort: 30005, Offer: true}, "PCMU", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Apply(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(res.Codecs); got != tt.want {
				t.Errorf("codecs %q, want %q", got, tt.want)
			}
			if (res.CannotSecure != "") != tt.cs {
				t.Errorf("cannot secure %q", res.CannotSecure)
			}
			out := s.Marshal()
			again, err := Parse(out)
			if err != nil {
				t.Fatalf("rewritten description does not parse: %v\n%s", err, out)
			}
			a, _ := again.Audio()
			if a.RTCPMux() != tt.mux {
				t.Errorf("rtcp-mux %v", a.RTCPMux())
			}
			if a.Port != tt.r.Port {
				t.Errorf("port %d", a.Port)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if os.Getenv("HUSHPAY_UPDATE_GOLDEN") != "" {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(want) != string(out) {
				t.Errorf("differs from %s:\n%s", golden, out)
			}
		})
	}
}

func TestApplyRemote(t *testing.T) {
	s, _ := Parse([]byte(offerPhone))
	res, err := s.Apply(Rewrite{Addr: relay, Port: 30000, RTCPPort: 30001, Offer: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Remote.String() != "192.0.2.10:49170" || res.RemoteRTCP.String() != "192.0.2.10:49171" {
		t.Fatalf("remote %v rtcp %v", res.Remote, res.RemoteRTCP)
	}
	if strings.Contains(string(s.Marshal()), "192.0.2.10") {
		t.Fatal("the sender's address leaked into the rewritten description")
	}
	if s.Media[1].Port != 0 {
		t.Fatal("video stream not disabled")
	}
}

func TestApplyNoAudio(t *testing.T) {
	s, err := Parse([]byte("v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=image 4000 udptl t38\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(Rewrite{Addr: relay, Port: 1}); err == nil {
		t.Fatal("no error for a description without audio")
	}
}
