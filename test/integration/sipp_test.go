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

// TestSippCallHoldInfo: a call through Hushpay with the answer pointing at the relay (PCMU
// and telephone-event only, G722 removed), hold and resume by re-INVITE, an INFO DTMF relayed
// outside secure mode, BYE from the caller; nothing left behind.
func TestSippCallHoldInfo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	uasPort, uas := sippUAS(t, ctx, "uas.xml", 3)
	n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort)})
	uac := sippUAC(t, ctx, n, "uac.xml", 3, "-r", "1")
	if code := uac.wait(40 * time.Second); code != 0 {
		t.Fatalf("sipp uac exit %d", code)
	}
	if code := uas.wait(10 * time.Second); code != 0 {
		t.Fatalf("sipp uas exit %d", code)
	}
	n.waitIdle(t, 5*time.Second)
}

// TestSippReject: the upstream's 486 and its Retry-After reach the caller; nothing is left.
func TestSippReject(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uasPort, uas := sippUAS(t, ctx, "uas_reject.xml", 2)
	n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort)})
	uac := sippUAC(t, ctx, n, "uac_reject.xml", 2)
	if code := uac.wait(20 * time.Second); code != 0 {
		t.Fatalf("sipp uac exit %d", code)
	}
	if code := uas.wait(10 * time.Second); code != 0 {
		t.Fatalf("sipp uas exit %d", code)
	}
	n.waitIdle(t, 5*time.Second)
}

// TestSippCancel: early media (183 with SDP rewritten to the relay) reaches the caller, whose
// CANCEL reaches the upstream; both sides end with 487 and the call's ports are freed.
func TestSippCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uasPort, uas := sippUAS(t, ctx, "uas_ring.xml", 2)
	n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort)})
	uac := sippUAC(t, ctx, n, "uac_cancel.xml", 2)
	if code := uac.wait(20 * time.Second); code != 0 {
		t.Fatalf("sipp uac exit %d", code)
	}
	if code := uas.wait(10 * time.Second); code != 0 {
		t.Fatalf("sipp uas exit %d", code)
	}
	n.waitIdle(t, 5*time.Second)
}

// TestSippAgentHangsUp: BYE from the agent side reaches the caller.
func TestSippAgentHangsUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uasPort, uas := sippUAS(t, ctx, "uas_bye.xml", 2)
	n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort)})
	uac := sippUAC(t, ctx, n, "uac_agent_bye.xml", 2)
	if code := uac.wait(20 * time.Second); code != 0 {
		t.Fatalf("sipp uac exit %d", code)
	}
	if code := uas.wait(10 * time.Second); code != 0 {
		t.Fatalf("sipp uas exit %d", code)
	}
	n.waitIdle(t, 5*time.Second)
}

// TestSippNoAck: a caller that never acknowledges the 200 OK is hung up on both sides after
// sip.ack_timeout.
func TestSippNoAck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	uasPort, uas := sippUAS(t, ctx, "uas.xml", 1)
	n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort), edit: func(c *config.SIP) {
		c.AckTimeout = time.Second
	}})
	uac := sippUAC(t, ctx, n, "uac_noack.xml", 1)
	if code := uac.wait(30 * time.Second); code != 0 {
		t.Fatalf("sipp uac exit %d", code)
	}
	if code := uas.wait(10 * time.Second); code != 0 {
		t.Fatalf("sipp uas exit %d", code)
	}
	n.waitIdle(t, 5*time.Second)
}

// TestSippNoAnswer: an upstream that rings forever is cancelled after sip.no_answer_timeout
// and the caller gets 408.
func TestSippNoAnswer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uasPort, uas := sippUAS(t, ctx, "uas_ring.xml", 1)
	n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort), edit: func(c *config.SIP) {
		c.NoAnswer = time.Second
	}})
	uac := sippUAC(t, ctx, n, "uac_noanswer.xml", 1)
	if code := uac.wait(20 * time.Second); code != 0 {
		t.Fatalf("sipp uac exit %d", code)
	}
	if code := uas.wait(10 * time.Second); code != 0 {
		t.Fatalf("sipp uas exit %d", code)
	}
	n.waitIdle(t, 5*time.Second)
}

// TestSippDigestAuth: the upstream's 407 challenge reaches the caller, whose retried INVITE
// with Proxy-Authorization is forwarded and answered.
func TestSippDigestAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uasPort, uas := sippUAS(t, ctx, "uas_auth.xml", 1)
	n := startNode(t, nodeOptions{upstream: "sip:127.0.0.1:" + itoa(uasPort)})
	uac := sippUAC(t, ctx, n, "uac_auth.xml", 1, "-au", "alice", "-ap", "secret")
	if code := uac.wait(20 * time.Second); code != 0 {
		t.Fatalf("sipp uac exit %d", code)
	}
	if code := uas.wait(10 * time.Second); code != 0 {
		t.Fatalf("sipp uas exit %d", code)
	}
	n.waitIdle(t, 5*time.Second)
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
	if code := busy.wait(10 * time.Second); code != 0 {
		t.Fatalf("sipp uac (503) exit %d", code)
	}
	if code := long.wait(20 * time.Second); code != 0 {
		t.Fatalf("sipp uac (long) exit %d", code)
	}
	if code := uas.wait(10 * time.Second); code != 0 {
		t.Fatalf("sipp uas exit %d", code)
	}
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
	if code := uac.wait(20 * time.Second); code != 0 {
		t.Fatalf("sipp uac exit %d", code)
	}
	if code := uas.wait(10 * time.Second); code != 0 {
		t.Fatalf("sipp uas exit %d", code)
	}
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
	if code := uac.wait(20 * time.Second); code != 0 {
		t.Fatalf("sipp uac exit %d", code)
	}
	if code := uas.wait(10 * time.Second); code != 0 {
		t.Fatalf("sipp uas exit %d", code)
	}
	n.waitIdle(t, 5*time.Second)
	if !strings.Contains(n.logs.String(), `msg="sip: call ended"`) || !answered.Load() {
		t.Fatal("late-offer call not answered")
	}
}
