package sip

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/media"
)

// fuzzNode is one server per test binary, fed by the fuzz targets over UDP. Its upstream is
// a socket that never answers, so an INVITE that gets through becomes a call that must be
// cleaned up by the no-answer timeout.
// The fuzz node's RTP range: below Linux's ephemeral ports and above the relay's default
// range, so that no other socket on the machine takes one of them.
const fuzzPortMin, fuzzPortMax = 31000, 31199

var (
	fuzzPool *media.PortPool
	fuzzOnce sync.Once
	fuzzSrv  *Server
	fuzzAddr string
	fuzzErr  error
)

func startFuzzNode() {
	hole, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		fuzzErr = err
		return
	}
	sipPort := freePort()
	cfg := config.Default()
	cfg.SIP.Listen = fmt.Sprintf("127.0.0.1:%d", sipPort)
	cfg.SIP.Host = "127.0.0.1"
	cfg.SIP.Upstream = "sip:" + hole.LocalAddr().String()
	cfg.SIP.NoAnswer = time.Second
	cfg.SIP.AckTimeout = time.Second
	cfg.SIP.MaxCalls = 50
	pool, err := media.NewPortPool(netip.MustParseAddr("127.0.0.1"), fuzzPortMin, fuzzPortMax)
	if err != nil {
		fuzzErr = err
		return
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mc := config.Default().Media
	srv, err := New(Options{Config: cfg.SIP, Media: media.OptionsFromConfig(mc, pool), Logger: log})
	if err != nil {
		fuzzErr = err
		return
	}
	if err := srv.Start(context.Background()); err != nil {
		fuzzErr = err
		return
	}
	fuzzSrv, fuzzAddr, fuzzPool = srv, cfg.SIP.Listen, pool
}

func freePort() int {
	for {
		l, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			continue
		}
		p := l.LocalAddr().(*net.UDPAddr).Port
		l.Close()
		t, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		t.Close()
		return p
	}
}

const fuzzInvite = "INVITE sip:100@HOST SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP LOCAL;branch=z9hG4bK-BRANCH\r\n" +
	"From: <sip:c@LOCAL>;tag=f1\r\nTo: <sip:100@HOST>\r\nCall-ID: CALLID\r\nCSeq: 1 INVITE\r\n" +
	"Contact: <sip:c@LOCAL>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: LEN\r\n\r\nBODY"

const fuzzSDP = "v=0\r\no=c 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"

// ping sends OPTIONS from conn and reports whether the server answered within d.
func ping(conn net.Conn, d time.Duration) bool {
	la := conn.LocalAddr().String()
	req := "OPTIONS sip:hushpay@" + fuzzAddr + " SIP/2.0\r\nVia: SIP/2.0/UDP " + la + ";branch=z9hG4bK-ping" +
		fmt.Sprint(time.Now().UnixNano()) + "\r\nFrom: <sip:p@" + la + ">;tag=p\r\nTo: <sip:h@" + fuzzAddr + ">\r\n" +
		"Call-ID: ping-" + fmt.Sprint(time.Now().UnixNano()) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		return false
	}
	deadline := time.Now().Add(d)
	buf := make([]byte, 8192)
	for time.Now().Before(deadline) {
		_ = conn.SetReadDeadline(deadline)
		n, err := conn.Read(buf)
		if err != nil {
			return false
		}
		if strings.Contains(string(buf[:n]), "CSeq: 1 OPTIONS") {
			return true
		}
	}
	return false
}

// FuzzSIPMessage sends arbitrary datagrams (seeded with INVITEs carrying good and broken SDP,
// stray in-dialog requests, garbage) to a running server. It must keep answering, and after
// the no-answer timeout no call may be left.
func FuzzSIPMessage(f *testing.F) {
	fuzzOnce.Do(startFuzzNode)
	if fuzzErr != nil {
		f.Fatal(fuzzErr)
	}
	for _, m := range fuzzSeeds() {
		f.Add([]byte(m))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		conn, err := net.Dial("udp", fuzzAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		m := strings.ReplaceAll(string(msg), "LOCAL", conn.LocalAddr().String())
		if _, err := conn.Write([]byte(m)); err != nil {
			return
		}
		if !ping(conn, 5*time.Second) {
			t.Fatalf("server stopped answering OPTIONS after %q", clipMsg(m))
		}
	})
}

// fuzzSeeds are the seed messages: INVITEs carrying good and broken SDP, a G.729-only offer,
// no Contact, no SDP, stray in-dialog requests, garbage. LOCAL stands for the sender's address.
func fuzzSeeds() []string {
	mk := func(body, callID string) string {
		r := strings.NewReplacer("HOST", fuzzAddr, "CALLID", callID, "LEN", fmt.Sprint(len(body)), "BODY", body)
		return r.Replace(fuzzInvite)
	}
	return []string{
		mk(fuzzSDP, "seed-ok"),
		mk(strings.Replace(fuzzSDP, "c=IN IP4 127.0.0.1", "c=IN IP4 nowhere", 1), "seed-badc"),
		mk("v=0\r\n", "seed-short"),
		mk(strings.Replace(fuzzSDP, "RTP/AVP 0 101", "RTP/AVP 18", 1), "seed-g729"),
		strings.Replace(mk(fuzzSDP, "seed-nocontact"), "Contact: <sip:c@LOCAL>\r\n", "", 1),
		strings.Replace(mk("", "seed-late"), "Content-Type: application/sdp\r\n", "", 1),
		"BYE sip:h@" + fuzzAddr + " SIP/2.0\r\nVia: SIP/2.0/UDP LOCAL;branch=z9hG4bK-b\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: none\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
		"INFO sip:h@" + fuzzAddr + " SIP/2.0\r\nVia: SIP/2.0/UDP LOCAL;branch=z9hG4bK-i\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: none\r\nCSeq: 2 INFO\r\nContent-Type: application/dtmf-relay\r\nContent-Length: 9\r\n\r\nSignal=ZZ",
		"\x00\x01garbage",
	}
}

func clipMsg(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}

// TestFuzzNodeLeavesNothing sends the seed messages and checks that once the no-answer timeout
// passed every call they started has ended, released its slot, and given its ports back.
func TestFuzzNodeLeavesNothing(t *testing.T) {
	fuzzOnce.Do(startFuzzNode)
	if fuzzErr != nil {
		t.Fatal(fuzzErr)
	}
	conn, err := net.Dial("udp", fuzzAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, m := range fuzzSeeds() {
		if _, err := conn.Write([]byte(strings.ReplaceAll(m, "LOCAL", conn.LocalAddr().String()))); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // let the INVITEs become calls before waiting for them to end
	deadline := time.Now().Add(10 * time.Second)
	for fuzzSrv.Registry().Active() != 0 || len(fuzzSrv.Registry().Calls()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("calls left: %d %+v", fuzzSrv.Registry().Active(), fuzzSrv.Registry().Calls())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Every port is back in the pool: it hands out as many sessions as the range holds
	// (two legs, each an even RTP port and the odd RTCP port after it).
	want := (fuzzPortMax - fuzzPortMin + 1) / 4
	var sessions []*media.Session
	defer func() {
		for _, s := range sessions {
			s.Close()
		}
	}()
	for {
		ms, err := media.NewSession(context.Background(), media.OptionsFromConfig(config.Default().Media, fuzzPool))
		if err != nil {
			break
		}
		sessions = append(sessions, ms)
	}
	if len(sessions) != want {
		t.Fatalf("the port pool gave %d sessions, want %d: ports were left behind", len(sessions), want)
	}
}
