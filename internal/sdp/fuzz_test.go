package sdp

import (
	"net/netip"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse and, when they parse, to Apply and Marshal: none
// may panic, and a rewritten description must parse again.
func FuzzParse(f *testing.F) {
	f.Add([]byte(offerPhone))
	f.Add([]byte("v=0\r\no=a 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n"))
	f.Add([]byte("v=0\no=- 0 0 IN IP6 ::1\ns=-\nc=IN IP6 ::1\nm=audio 5/2 RTP/SAVP 0 8\na=rtpmap:8\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		c := s.Clone()
		for _, offer := range []bool{true, false} {
			s := c.Clone()
			if _, err := s.Apply(Rewrite{Addr: netip.MustParseAddr("10.0.0.1"), Port: 20000, RTCPPort: 20001, Offer: offer}); err != nil {
				continue
			}
			if _, err := Parse(s.Marshal()); err != nil {
				t.Fatalf("rewritten description does not parse: %v\n%q", err, s.Marshal())
			}
		}
	})
}
