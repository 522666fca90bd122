//go:build !linux

package media

import (
	"errors"
	"net/netip"
)

// The relay's sockets are served by epoll (socket_linux.go); elsewhere the package builds
// but sessions cannot be opened.

var errNotLinux = errors.New("media: the RTP relay runs on Linux only")

var errWouldBlock = errors.New("media: would block")

type udpSocket struct{ port int }

func listenUDP(netip.Addr, int) (*udpSocket, error) { return nil, errNotLinux }
func (s *udpSocket) start(func(*udpSocket)) error   { return errNotLinux }
func (s *udpSocket) recvFrom([]byte) (int, netip.AddrPort, error) {
	return 0, netip.AddrPort{}, errNotLinux
}
func (s *udpSocket) sendTo([]byte, netip.AddrPort) error { return errNotLinux }
func (s *udpSocket) shutdown()                           {}
func (s *udpSocket) close()                              {}
