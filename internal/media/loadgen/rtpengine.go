package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// Rtpengine is an rtpengine daemon (Debian's rtpengine-daemon) in userspace mode, driven
// over its ng control protocol (bencoded dictionaries over UDP).
type Rtpengine struct {
	cmd *exec.Cmd
	ng  *net.UDPConn
	Eps []Endpoint
}

// PID is the daemon's process.
func (r *Rtpengine) PID() int { return r.cmd.Process.Pid }

// StartRtpengine starts rtpengine on 127.0.0.1 with no kernel forwarding (--table=-1) and
// sets up one call per generator pair, customer as offerer, configured for DTMF blocking on
// the customer as far as rtpengine offers it: `inject DTMF` and `detect DTMF` on both sides
// (this engages its transcoder, PCMU decoded and re-encoded in both directions, which
// in-band masking needs), `DTMF-security=silence` with a delay buffer, and `block DTMF` on
// the customer's tag.
//
// Measured with rtpengine 10.5.3.5 (Debian 12): the transcoder runs (its debug log shows
// every packet decoded and encoded), RFC 4733 events are blocked, but in-band tones still
// reached the agent side whole (our detector decoded all four digits of a test burst). So
// the CPU it uses is that of the work in-band masking requires, without the masking.
func StartRtpengine(ctx context.Context, bin string, g *Gen, calls, ngPort, portMin, portMax int, delayMS int) (*Rtpengine, error) {
	cmd := exec.CommandContext(ctx, bin, "--foreground", "--table=-1", "--interface=127.0.0.1",
		"--listen-ng=127.0.0.1:"+strconv.Itoa(ngPort), "--listen-cli=127.0.0.1:"+strconv.Itoa(ngPort+1), "--port-min="+strconv.Itoa(portMin), "--port-max="+strconv.Itoa(portMax),
		"--log-stderr", "--log-level=3", "--num-threads=2", "--delete-delay=0")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("loadgen: start rtpengine: %w", err)
	}
	r := &Rtpengine{cmd: cmd}
	ng, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: ngPort})
	if err != nil {
		r.Stop()
		return nil, err
	}
	r.ng = ng
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := r.req(map[string]any{"command": "ping"}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			r.Stop()
			return nil, errors.New("loadgen: rtpengine does not answer ping")
		}
		time.Sleep(100 * time.Millisecond)
	}
	portRE := regexp.MustCompile(`m=audio (\d+) `)
	lo := netip.MustParseAddr("127.0.0.1")
	for i := range calls {
		callID := fmt.Sprintf("bench-%d-%s", i, nonce())
		sdp := func(a netip.AddrPort) string {
			return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=bench\r\nt=0 0\r\nm=audio " + strconv.Itoa(int(a.Port())) +
				" RTP/AVP 0 101\r\nc=IN IP4 127.0.0.1\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\na=sendrecv\r\n"
		}
		offer, err := r.req(map[string]any{
			"command": "offer", "call-id": callID, "from-tag": "customer", "sdp": sdp(g.Addr(i, 0)),
			"flags": []string{"inject DTMF", "detect DTMF"}, "replace": []string{"origin"},
			"DTMF-security": "silence", "delay-buffer": delayMS,
		})
		if err != nil {
			r.Stop()
			return nil, fmt.Errorf("loadgen: rtpengine offer: %w", err)
		}
		answer, err := r.req(map[string]any{
			"command": "answer", "call-id": callID, "from-tag": "customer", "to-tag": "agent", "sdp": sdp(g.Addr(i, 1)),
			"flags": []string{"inject DTMF", "detect DTMF"}, "replace": []string{"origin"},
		})
		if err != nil {
			r.Stop()
			return nil, fmt.Errorf("loadgen: rtpengine answer: %w", err)
		}
		if _, err := r.req(map[string]any{"command": "block DTMF", "call-id": callID, "from-tag": "customer", "DTMF-security": "silence", "delay-buffer": delayMS}); err != nil {
			r.Stop()
			return nil, fmt.Errorf("loadgen: rtpengine block DTMF: %w", err)
		}
		// The offer's SDP goes to the agent (where the agent sends); the answer's to the
		// customer.
		po := portRE.FindStringSubmatch(offer["sdp"].(string))
		pa := portRE.FindStringSubmatch(answer["sdp"].(string))
		if po == nil || pa == nil {
			r.Stop()
			return nil, errors.New("loadgen: no media port in rtpengine's SDP")
		}
		ap, _ := strconv.Atoi(po[1])
		cp, _ := strconv.Atoi(pa[1])
		r.Eps = append(r.Eps, Endpoint{Customer: netip.AddrPortFrom(lo, uint16(cp)), Agent: netip.AddrPortFrom(lo, uint16(ap))})
	}
	return r, nil
}

// req sends one ng command ("<cookie> <bencoded dict>") and returns the reply dictionary.
func (r *Rtpengine) req(msg map[string]any) (map[string]any, error) {
	cookie := nonce()
	var buf bytes.Buffer
	buf.WriteString(cookie + " ")
	if err := bencode(&buf, msg); err != nil {
		return nil, err
	}
	if _, err := r.ng.Write(buf.Bytes()); err != nil {
		return nil, err
	}
	reply := make([]byte, 65536)
	r.ng.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		n, err := r.ng.Read(reply)
		if err != nil {
			return nil, err
		}
		b := reply[:n]
		if !bytes.HasPrefix(b, []byte(cookie+" ")) {
			continue // a late reply to an earlier request
		}
		v, _, err := bdecode(b[len(cookie)+1:])
		if err != nil {
			return nil, err
		}
		d, ok := v.(map[string]any)
		if !ok {
			return nil, errBencode
		}
		if d["result"] != "ok" && d["result"] != "pong" {
			return nil, fmt.Errorf("rtpengine: %v: %v", d["result"], d["error-reason"])
		}
		return d, nil
	}
}

// Stop ends the daemon.
func (r *Rtpengine) Stop() {
	if r.ng != nil {
		r.ng.Close()
	}
	r.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		r.cmd.Process.Kill()
		<-done
	}
}

func nonce() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
