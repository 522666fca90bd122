package media

import (
	"net/netip"
	"sync"
	"sync/atomic"
)

// Leg is one side of a call as the relay sees it: the local RTP and RTCP sockets the peer
// sends to, and where the relay sends that peer's media.
type Leg struct {
	id       LegID
	s        *Session
	rtpSock  *udpSocket
	rtcpSock *udpSocket // nil with rtcp-mux
	rtcpBuf  []byte     // datagram buffer of the RTCP socket
	port     int

	codecs     atomic.Pointer[codecTable]
	remoteRTP  atomic.Pointer[netip.AddrPort]
	remoteRTCP atomic.Pointer[netip.AddrPort]

	// What the peer last declared (its SDP), guarded by sdpMu: SetRemote callers only.
	sdpMu           sync.Mutex
	sdpRTP, sdpRTCP netip.AddrPort

	// Latching state, owned by the socket goroutines.
	latchedRTP, latchedRTCP bool
	lastRTP, lastRTCP       int64
}

// ID says which side of the call this leg is.
func (l *Leg) ID() LegID { return l.id }

// LocalRTP is the address the peer sends RTP to (for the SDP the SIP layer writes): the
// advertised address if one is configured, else the bound one.
func (l *Leg) LocalRTP() netip.AddrPort {
	return netip.AddrPortFrom(l.s.localIP(), uint16(l.port))
}

// LocalRTCP is the address the peer sends RTCP to: the next port, or the RTP port itself
// with rtcp-mux (RFC 5761).
func (l *Leg) LocalRTCP() netip.AddrPort {
	if l.rtcpSock == nil {
		return l.LocalRTP()
	}
	return netip.AddrPortFrom(l.s.localIP(), uint16(l.port+1))
}

// RTCPMux reports whether RTCP shares the RTP port.
func (l *Leg) RTCPMux() bool { return l.rtcpSock == nil }

// SetRemote sets where the peer wants media (from its SDP). With latching on, the relay
// switches to the address packets really come from once they arrive. A zero rtcp address
// means the RTP port plus one (or the RTP address with rtcp-mux). Declaring the same
// addresses again (every re-INVITE for hold and resume repeats them) changes nothing, so
// the latch on where packets really come from (symmetric RTP behind NAT) survives it.
func (l *Leg) SetRemote(rtp, rtcpAddr netip.AddrPort) {
	rtp = unmap(rtp)
	if !rtcpAddr.IsValid() {
		rtcpAddr = rtp
		if l.rtcpSock != nil {
			rtcpAddr = netip.AddrPortFrom(rtp.Addr(), rtp.Port()+1)
		}
	}
	rtcpAddr = unmap(rtcpAddr)
	l.sdpMu.Lock()
	defer l.sdpMu.Unlock()
	if rtp == l.sdpRTP && rtcpAddr == l.sdpRTCP {
		return
	}
	l.sdpRTP, l.sdpRTCP = rtp, rtcpAddr
	l.remoteRTP.Store(&rtp)
	l.remoteRTCP.Store(&rtcpAddr)
}

// Remote is where the relay currently sends this leg's RTP (zero before it is known).
func (l *Leg) Remote() netip.AddrPort {
	if a := l.remoteRTP.Load(); a != nil {
		return *a
	}
	return netip.AddrPort{}
}

// SetCodecs sets the payload types negotiated on this leg. It may be called again after a
// re-negotiation; a codec that cannot be decoded then makes secure mode fail closed on its
// packets.
func (l *Leg) SetCodecs(codecs []Codec) error {
	t, err := newCodecTable(codecs)
	if err != nil {
		return err
	}
	l.codecs.Store(t)
	l.s.updatePTMaps()
	return nil
}

// firstAudio returns the first PCMU or PCMA payload type negotiated.
func (l *Leg) firstAudio() (uint8, kind, bool) {
	t := l.codecs.Load()
	if t == nil {
		return 0, kindUnknown, false
	}
	for _, c := range t.codecs {
		if k := kindOf(c); k.audio() {
			return c.PT, k, true
		}
	}
	return 0, kindUnknown, false
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// latch applies symmetric RTP (RFC 4961 style): the first source becomes the remote, and
// another source takes over only after the current one was silent for LatchTimeout.
func (l *Leg) latch(src netip.AddrPort, now int64, rtcpSock bool) bool {
	if !l.s.opts.Latching {
		return true
	}
	latched, last, remote := &l.latchedRTP, &l.lastRTP, &l.remoteRTP
	if rtcpSock {
		latched, last, remote = &l.latchedRTCP, &l.lastRTCP, &l.remoteRTCP
	}
	if *latched {
		if cur := remote.Load(); cur != nil && *cur == src {
			*last = now
			return true
		}
		if now-*last < int64(l.s.opts.LatchTimeout) {
			return false
		}
	}
	a := src
	remote.Store(&a)
	*latched, *last = true, now
	return true
}

// serveRTP handles one datagram on the RTP socket (RTP, or RTCP too with rtcp-mux).
func (l *Leg) serveRTP(sock *udpSocket) {
	d := l.s.dirs[l.id]
	n, src, err := sock.recvFrom(d.p.buf[:])
	if err != nil {
		return
	}
	now := nanotime()
	src = unmap(src)
	b := d.p.buf[:n]
	if l.rtcpSock == nil && isRTCP(b) {
		if l.latch(src, now, true) {
			d.handleRTCP(b)
		} else {
			d.stats.foreign.Add(1)
		}
		return
	}
	if !l.latch(src, now, false) {
		d.stats.foreign.Add(1)
		return
	}
	if l.rtcpSock == nil && l.s.opts.Latching {
		// rtcp-mux: RTCP follows RTP.
		if cur := l.remoteRTCP.Load(); cur == nil || *cur != src {
			a := src
			l.remoteRTCP.Store(&a)
		}
	}
	d.handle(n, now)
}

// serveRTCP handles one datagram on the RTCP socket.
func (l *Leg) serveRTCP(sock *udpSocket) {
	n, src, err := sock.recvFrom(l.rtcpBuf)
	if err != nil {
		return
	}
	d := l.s.dirs[l.id]
	if l.latch(unmap(src), nanotime(), true) {
		d.handleRTCP(l.rtcpBuf[:n])
	} else {
		d.stats.foreign.Add(1)
	}
}

func (s *Session) localIP() netip.Addr {
	if s.opts.Advertise.IsValid() {
		return s.opts.Advertise
	}
	return s.opts.Ports.IP()
}
