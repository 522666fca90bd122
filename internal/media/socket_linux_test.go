//go:build linux

package media

import (
	"net/netip"
	"testing"
)

// TestSocketHotPathAllocatesNothing: sending and receiving a datagram on the raw sockets
// allocates nothing (the relay does both for every packet).
func TestSocketHotPathAllocatesNothing(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	a, err := listenUDP(lo, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	b, err := listenUDP(lo, 46000)
	if err != nil {
		t.Skip("port 46000 busy")
	}
	defer b.close()
	to := netip.AddrPortFrom(lo, 46000)
	msg := make([]byte, 172)
	buf := make([]byte, maxPacket)
	var from netip.AddrPort
	allocs := testing.AllocsPerRun(100, func() {
		if err := a.sendTo(msg, to); err != nil {
			t.Fatal(err)
		}
		for {
			n, f, err := b.recvFrom(buf)
			if err == errWouldBlock {
				continue
			}
			if err != nil || n != len(msg) {
				t.Fatal(n, err)
			}
			from = f
			break
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per datagram", allocs)
	}
	if !from.Addr().Is4() || from.Addr() != lo {
		t.Fatalf("source %v", from)
	}
}
