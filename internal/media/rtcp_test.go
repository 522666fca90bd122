package media

import (
	"errors"
	"testing"

	"github.com/pion/rtcp"
)

func compound(t testing.TB, pkts ...rtcp.Packet) []byte {
	t.Helper()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRewriteRTCP(t *testing.T) {
	sr := &rtcp.SenderReport{SSRC: 0xc0ffee, NTPTime: 1, RTPTime: 2, PacketCount: 1000, OctetCount: 160000,
		Reports: []rtcp.ReceptionReport{{SSRC: 0xa9e47, LastSequenceNumber: 0x0001_0005}}}
	rr := &rtcp.ReceiverReport{SSRC: 0xa9e47, Reports: []rtcp.ReceptionReport{
		{SSRC: 0xc0ffee, LastSequenceNumber: 0x0002_0003, TotalLost: 4}, {SSRC: 77, LastSequenceNumber: 9}}}
	sdes := &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: 0xc0ffee, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "x"}}}}}

	b := compound(t, sr, sdes, rr)
	fix := rtcpFix{senderSSRC: 0xc0ffee, dropped: 7, octetDelta: -28, fixSender: true, reportedSSRC: 0xc0ffee, seqDelta: uint16(0xfffd), fixReports: true}
	if err := rewriteRTCP(b, fix); err != nil {
		t.Fatal(err)
	}
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	gotSR := pkts[0].(*rtcp.SenderReport)
	if gotSR.PacketCount != 993 || gotSR.OctetCount != 159972 || gotSR.RTPTime != 2 {
		t.Errorf("sender info = %d packets %d octets", gotSR.PacketCount, gotSR.OctetCount)
	}
	if gotSR.Reports[0].LastSequenceNumber != 0x0001_0005 {
		t.Errorf("report about another SSRC changed: %#x", gotSR.Reports[0].LastSequenceNumber)
	}
	gotRR := pkts[2].(*rtcp.ReceiverReport)
	// The receiver saw numbers offset by -3: the sender's own numbering is 3 higher.
	if gotRR.Reports[0].LastSequenceNumber != 0x0002_0006 || gotRR.Reports[1].LastSequenceNumber != 9 {
		t.Errorf("receiver report = %#x, %d", gotRR.Reports[0].LastSequenceNumber, gotRR.Reports[1].LastSequenceNumber)
	}
}

func TestRewriteRTCPMalformed(t *testing.T) {
	good := compound(t, &rtcp.SenderReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 2}}})
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short", good[:3]},
		{"length past end", good[:len(good)-4]},
		{"bad version", append([]byte{0x00}, good[1:]...)},
		{"count larger than packet", func() []byte { c := append([]byte(nil), good...); c[0] = c[0]&^0x1f | 5; return c }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := rewriteRTCP(tt.b, rtcpFix{fixSender: true, fixReports: true})
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestIsRTCP(t *testing.T) {
	if !isRTCP(compound(t, &rtcp.ReceiverReport{SSRC: 1})) {
		t.Error("receiver report not recognised")
	}
	if isRTCP([]byte{0x80, 0x00, 0, 1}) || isRTCP([]byte{0x80, 0xe5, 0, 1}) || isRTCP([]byte{0x80}) {
		t.Error("RTP taken for RTCP")
	}
}

// FuzzRewriteRTCP: any datagram either fails cleanly or is rewritten without changing its
// size or structure (pion parses it the same way before and after).
func FuzzRewriteRTCP(f *testing.F) {
	f.Add(compound(f, &rtcp.SenderReport{SSRC: 5, PacketCount: 3, Reports: []rtcp.ReceptionReport{{SSRC: 6, LastSequenceNumber: 9}}}))
	f.Add(compound(f, &rtcp.ReceiverReport{SSRC: 6, Reports: []rtcp.ReceptionReport{{SSRC: 5}}}, &rtcp.Goodbye{Sources: []uint32{5}}))
	f.Add([]byte{0x80, 0xc8, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		before, errBefore := rtcp.Unmarshal(append([]byte(nil), b...))
		n := len(b)
		err := rewriteRTCP(b, rtcpFix{senderSSRC: 5, dropped: 2, octetDelta: 4, fixSender: true, reportedSSRC: 5, seqDelta: 3, fixReports: true})
		if len(b) != n {
			t.Fatal("length changed")
		}
		if err != nil {
			return
		}
		after, errAfter := rtcp.Unmarshal(b)
		if (errBefore == nil) != (errAfter == nil) || len(before) != len(after) {
			t.Fatalf("structure changed: %v/%v, %d/%d packets", errBefore, errAfter, len(before), len(after))
		}
	})
}
