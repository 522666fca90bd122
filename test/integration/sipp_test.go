package integration

import (
	"context"
	"testing"
	"time"
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
