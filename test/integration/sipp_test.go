package integration

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/sip"
)

// sippUAS starts the upstream (agent side) on its own port and returns that port.
func sippUAS(t *testing.T, ctx context.Context, scen string, calls int, extra ...string) (int, *sipp) {
	port := ports(10)
	args := append([]string{"-sf", scenario(scen), "-i", "127.0.0.1", "-p", itoa(port),
		"-mp", itoa(port + 2), "-m", itoa(calls)}, extra...)
	return port, startSipp(t, ctx, args...)
}

func sippUAC(t *testing.T, ctx context.Context, n *node, scen string, calls int, extra ...string) *sipp {
	port := ports(10)
	args := []string{"-i", "127.0.0.1", "-p", itoa(port), "-mp", itoa(port + 2), "-m", itoa(calls), "-s", "5001"}
	if scen[0] == '@' {
		args = append(args, "-sn", scen[1:])
	} else {
		args = append(args, "-sf", scenario(scen))
	}
	args = append(args, extra...)
	args = append(args, n.addr)
	return startSipp(t, ctx, args...)
}

// TestSippScenarios runs calls from a sipp caller through a Hushpay node to a sipp PBX.
// Each scenario file asserts what its side must see; every call must leave nothing behind.
func TestSippScenarios(t *testing.T) {
	tests := []struct {
		name     string
		uas, uac string // scenario files of the PBX and of the caller
		calls    int
		uacArgs  []string
		edit     func(*config.SIP)
		uacWait  time.Duration
	}{
		// The answer points at the relay (PCMU and telephone-event only, G722 removed), hold
		// and resume by re-INVITE, an INFO DTMF relayed outside secure mode, BYE from the caller.
		{name: "call hold info", uas: "uas.xml", uac: "uac.xml", calls: 3, uacArgs: []string{"-r", "1"}, uacWait: 40 * time.Second},
		// The upstream's 486 and its Retry-After reach the caller.
		{name: "reject", uas: "uas_reject.xml", uac: "uac_reject.xml", calls: 2, uacWait: 20 * time.Second},
		// Early media (183 with SDP rewritten to the relay) reaches the caller, whose CANCEL
		// reaches the upstream; both sides end with 487.
		{name: "cancel", uas: "uas_ring.xml", uac: "uac_cancel.xml", calls: 2, uacWait: 20 * time.Second},
		// BYE from the agent side reaches the caller.
		{name: "agent hangs up", uas: "uas_bye.xml", uac: "uac_agent_bye.xml", calls: 2, uacWait: 20 * time.Second},
		// A caller that never acknowledges the 200 OK is hung up on both sides after
		// sip.ack_timeout.
		{name: "no ack", uas: "uas.xml", uac: "uac_noack.xml", calls: 1, uacWait: 30 * time.Second,
			edit: func(c *config.SIP) { c.AckTimeout = time.Second }},
		// An upstream that rings forever is cancelled after sip.no_answer_timeout and the
		// caller gets 408.
		{name: "no answer", uas: "uas_ring.xml", uac: "uac_noanswer.xml", calls: 1, uacWait: 20 * time.Second,
			edit: func(c *config.SIP) { c.NoAnswer = time.Second }},
		// The upstream's 407 challenge reaches the caller, whose retried INVITE with
		// Proxy-Authorization is forwarded and answered.
		{name: "digest auth", uas: "uas_auth.xml", uac: "uac_auth.xml", calls: 1,
			uacArgs: []string{"-au", "alice", "-ap", "secret"}, uacWait: 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.uacWait+20*time.Second)
			defer cancel()
			uasPort, uas := sippUAS(t, ctx, tt.uas, tt.calls)
			n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort), edit: tt.edit})
			uac := sippUAC(t, ctx, n, tt.uac, tt.calls, tt.uacArgs...)
			uac.finish(t, "uac", tt.uacWait)
			uas.finish(t, "uas", 10*time.Second)
			n.waitIdle(t, 5*time.Second)
		})
	}
}

// TestSippCallLimit: with sip.max_calls 1, a second call while one is up gets 503, and OPTIONS
// says so too; the first call is unaffected.
func TestSippCallLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uasPort, uas := sippUAS(t, ctx, "uas.xml", 1)
	n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort), edit: func(c *config.SIP) {
		c.MaxCalls = 1
	}})
	long := sippUAC(t, ctx, n, "uac_long.xml", 1)
	n.waitCall(t, 10*time.Second)
	busy := sippUAC(t, ctx, n, "uac_503.xml", 1)
	busy.finish(t, "uac (503)", 10*time.Second)
	long.finish(t, "uac (long)", 20*time.Second)
	uas.finish(t, "uas", 10*time.Second)
	n.waitIdle(t, 5*time.Second)
}

// TestSippUpdate: an UPDATE with a hold offer (sendonly) is relayed with its SDP rewritten
// both ways (the agent's recvonly answer comes back pointing at the relay), and the call is
// shown held.
func TestSippUpdate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uasPort, uas := sippUAS(t, ctx, "uas.xml", 1)
	n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort)})
	held := make(chan struct{}, 1)
	n.reg.Subscribe(func(e sip.Event) {
		if e.Call.Media == sip.MediaHeld {
			select {
			case held <- struct{}{}:
			default:
			}
		}
	})
	uac := sippUAC(t, ctx, n, "uac_update.xml", 1)
	uac.finish(t, "uac", 20*time.Second)
	uas.finish(t, "uas", 10*time.Second)
	select {
	case <-held:
	default:
		t.Fatal("the call was never shown held")
	}
	n.waitIdle(t, 5*time.Second)
}

// TestSippLateOffer: an INVITE without SDP gets Hushpay's own offer towards the PBX and in the
// 200 OK; the caller's answer in the ACK points the relay at it.
func TestSippLateOffer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uasPort, uas := sippUAS(t, ctx, "uas.xml", 1)
	n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort)})
	var answered atomic.Bool
	n.reg.Subscribe(func(e sip.Event) {
		if e.Call.State == sip.StateAnswered && e.Call.Media == sip.MediaActive {
			answered.Store(true)
		}
	})
	uac := sippUAC(t, ctx, n, "uac_late.xml", 1)
	uac.finish(t, "uac", 20*time.Second)
	uas.finish(t, "uas", 10*time.Second)
	n.waitIdle(t, 5*time.Second)
	if !strings.Contains(n.logs.String(), `msg="sip: call ended"`) || !answered.Load() {
		t.Fatal("late-offer call not answered")
	}
}
