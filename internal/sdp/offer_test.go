package sdp

import (
	"net/netip"
	"testing"
)

func TestNewOffer(t *testing.T) {
	o := NewOffer(netip.MustParseAddr("192.0.2.1"), 20000, 20000, true, 7)
	s, err := Parse(o.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Audio()
	if err != nil {
		t.Fatal(err)
	}
	if names(a.Codecs()) != "PCMU, PCMA, telephone-event" || !a.RTCPMux() || a.Port != 20000 {
		t.Fatalf("offer %s", o.Marshal())
	}
}

func TestNewAnswer(t *testing.T) {
	a := NewAnswer(netip.MustParseAddr("192.0.2.1"), 20000, 20001, false, 7, Codec{PT: 8, Name: "PCMA"}, &Codec{PT: 96, Name: "telephone-event"})
	s, err := Parse(a.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.Audio()
	if names(m.Codecs()) != "PCMA, telephone-event" || m.Codecs()[1].PT != 96 {
		t.Fatalf("answer %s", a.Marshal())
	}
}

func TestSetDirection(t *testing.T) {
	a := NewOffer(netip.MustParseAddr("192.0.2.1"), 20000, 20001, false, 1)
	a.SetDirection(Answering(SendOnly))
	s, err := Parse(a.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.Audio()
	if s.Direction(m) != RecvOnly || Answering(Inactive) != Inactive || Answering(SendRecv) != SendRecv {
		t.Fatalf("direction %s", s.Direction(m))
	}
}
