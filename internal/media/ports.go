package media

import (
	"fmt"
	"net/netip"
	"sync"
)

// PortPool hands out UDP ports from the configured range to call legs. RTP takes an even
// port and RTCP the odd port after it (RFC 3550 §11); with rtcp-mux only the even port is
// used. A pool is shared by all sessions of a node and is safe for concurrent use.
type PortPool struct {
	ip       netip.Addr
	min, max int // even min, inclusive max

	mu   sync.Mutex
	next int
	used map[int]bool
}

// NewPortPool returns a pool binding to ip on ports min..max.
func NewPortPool(ip netip.Addr, min, max int) (*PortPool, error) {
	if min%2 == 1 {
		min++
	}
	if !ip.IsValid() || min < 1 || max > 65535 || max < min+1 {
		return nil, fmt.Errorf("%w: port range %d-%d on %v", ErrBadConfig, min, max, ip)
	}
	return &PortPool{ip: ip, min: min, max: max, next: min, used: make(map[int]bool)}, nil
}

// IP is the local address the pool binds to.
func (p *PortPool) IP() netip.Addr { return p.ip }

// sockets binds the RTP socket (and the RTCP one unless mux) on the next free pair.
func (p *PortPool) sockets(mux bool) (rtpSock, rtcpSock *udpSocket, port int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	span := (p.max - p.min + 1) / 2
	for range span {
		port = p.next
		p.next += 2
		if p.next+1 > p.max {
			p.next = p.min
		}
		if p.used[port] {
			continue
		}
		rtpSock, err = listenUDP(p.ip, port)
		if err != nil {
			continue // taken by another process
		}
		if !mux {
			rtcpSock, err = listenUDP(p.ip, port+1)
			if err != nil {
				rtpSock.close()
				continue
			}
		}
		p.used[port] = true
		return rtpSock, rtcpSock, port, nil
	}
	return nil, nil, 0, fmt.Errorf("%w: %d-%d", ErrNoPorts, p.min, p.max)
}

func (p *PortPool) release(port int) {
	p.mu.Lock()
	delete(p.used, port)
	p.mu.Unlock()
}
