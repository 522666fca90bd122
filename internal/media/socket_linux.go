//go:build linux

package media

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// The relay serves its sockets from a few poller goroutines (one per CPU the Go runtime
// uses) sharing one epoll instance, instead of a goroutine per socket: each packet would
// otherwise cost a goroutine wake-up and an extra EAGAIN read. A poller blocks in
// epoll_wait and serves each readable socket at once with one non-blocking recvfrom. Sockets
// are registered EPOLLONESHOT and re-armed after each datagram, so a socket is served by one
// poller at a time while any idle poller can take any socket (a poller the kernel has
// preempted holds up one socket, not half of them). Sockets are raw file descriptors,
// unknown to the Go poller.

// udpSocket is one bound, non-blocking UDP socket served by a poller.
type udpSocket struct {
	fd     int
	port   int
	family int
	poller *poller
	serve  func(s *udpSocket) // called by the poller when readable

	mu     sync.Mutex // held while serving; shutdown waits on it
	closed bool
}

var errWouldBlock = errors.New("media: would block")

// listenUDP binds a non-blocking UDP socket on ip:port.
func listenUDP(ip netip.Addr, port int) (*udpSocket, error) {
	family := syscall.AF_INET
	if ip.Is6() && !ip.Is4In6() {
		family = syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("media: socket: %w", err)
	}
	var sa syscall.Sockaddr
	if family == syscall.AF_INET {
		sa = &syscall.SockaddrInet4{Port: port, Addr: ip.Unmap().As4()}
	} else {
		sa = &syscall.SockaddrInet6{Port: port, Addr: ip.As16()}
	}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("media: bind %v:%d: %w", ip, port, err)
	}
	return &udpSocket{fd: fd, port: port, family: family}, nil
}

// start registers the socket with a poller; serve runs for each datagram.
func (s *udpSocket) start(serve func(*udpSocket)) error {
	s.serve = serve
	p := thePoller()
	if s.fd >= len(pollers.socks) {
		return fmt.Errorf("media: descriptor %d beyond the open-file limit", s.fd)
	}
	s.poller = p
	pollers.socks[s.fd].Store(s)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLONESHOT, Fd: int32(s.fd)}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, s.fd, &ev); err != nil {
		pollers.socks[s.fd].Store(nil)
		return fmt.Errorf("media: epoll add: %w", err)
	}
	return nil
}

// recvFrom reads one datagram without blocking (errWouldBlock when none is queued).
func (s *udpSocket) recvFrom(b []byte) (int, netip.AddrPort, error) {
	var rsa syscall.RawSockaddrAny
	rlen := uint32(unsafe.Sizeof(rsa))
	n, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
		syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&rlen)))
	if errno != 0 {
		if errno == syscall.EAGAIN || errno == syscall.EINTR {
			return 0, netip.AddrPort{}, errWouldBlock
		}
		return 0, netip.AddrPort{}, errno
	}
	var from netip.AddrPort
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		from = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), ntohs(sa.Port))
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		from = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), ntohs(sa.Port))
	}
	return int(n), from, nil
}

// sendTo sends one datagram without blocking (a full socket buffer drops it, as the network
// would).
func (s *udpSocket) sendTo(b []byte, to netip.AddrPort) error {
	var errno syscall.Errno
	if s.family == syscall.AF_INET {
		if !to.Addr().Unmap().Is4() {
			return fmt.Errorf("media: send to %v from an IPv4 socket", to)
		}
		sa := syscall.RawSockaddrInet4{Family: syscall.AF_INET, Port: htons(to.Port()), Addr: to.Addr().Unmap().As4()}
		_, _, errno = syscall.Syscall6(syscall.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
			syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa))
	} else {
		sa := syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Port: htons(to.Port()), Addr: to.Addr().As16()}
		_, _, errno = syscall.Syscall6(syscall.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
			syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa))
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// shutdown stops serving the socket and waits for a datagram being served to finish.
func (s *udpSocket) shutdown() {
	s.mu.Lock()
	s.closed = true
	if s.poller != nil {
		syscall.EpollCtl(s.poller.epfd, syscall.EPOLL_CTL_DEL, s.fd, nil)
		pollers.socks[s.fd].CompareAndSwap(s, nil)
	}
	s.mu.Unlock()
}

// close releases the descriptor; call shutdown on every socket of a session first.
func (s *udpSocket) close() { syscall.Close(s.fd) }

func htons(v uint16) uint16 { return v<<8 | v>>8 }
func ntohs(v uint16) uint16 { return v<<8 | v>>8 }

// poller is one epoll instance and the goroutine that waits on it.
type poller struct {
	epfd int
}

var pollers struct {
	once  sync.Once
	p     *poller
	socks []atomic.Pointer[udpSocket] // by descriptor, up to the open-file limit
}

// thePoller returns the shared epoll instance, starting its goroutines on first use.
func thePoller() *poller {
	pollers.once.Do(func() {
		var lim syscall.Rlimit
		n := 1 << 16
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur > 0 {
			n = int(min(lim.Cur, 1<<20))
		}
		pollers.socks = make([]atomic.Pointer[udpSocket], n)
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			panic(fmt.Sprintf("media: epoll_create1: %v", err))
		}
		pollers.p = &poller{epfd: fd}
		for range max(1, runtime.GOMAXPROCS(0)) {
			go pollers.p.loop()
		}
	})
	return pollers.p
}

func (p *poller) loop() {
	events := make([]syscall.EpollEvent, 64)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil {
			continue // EINTR
		}
		for i := range n {
			fd := int(events[i].Fd)
			if fd < 0 || fd >= len(pollers.socks) {
				continue
			}
			s := pollers.socks[fd].Load()
			if s == nil {
				continue
			}
			s.mu.Lock()
			if !s.closed {
				s.serve(s)
				// Re-arm (one-shot): the socket may be reported to any poller again.
				ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLONESHOT, Fd: int32(fd)}
				syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, fd, &ev)
			}
			s.mu.Unlock()
		}
	}
}
