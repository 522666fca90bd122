package media

import (
	"github.com/pion/rtp"
)

// maxPacket is the largest UDP payload the relay reads (an Ethernet MTU's worth).
const maxPacket = 1500

// Packet is one RTP packet travelling through a direction's chain. Each direction reuses
// one Packet, so nothing is allocated per packet: Header is unmarshalled in place and
// Payload points into buf or scratch.
type Packet struct {
	Header  rtp.Header
	Payload []byte

	kind    kind  // what the payload is, from the receiving leg's codec table
	arrival int64 // monotonic nanoseconds when read from the socket
	secure  bool  // the direction was secure (or draining) when the packet started
	drop    bool  // a stage consumed the packet: nothing is sent
	doubt   bool  // a stage could not vouch for the packet: mask it whole
	synth   bool  // the payload is masking audio made by the relay

	buf     [maxPacket]byte // received datagram
	scratch [maxPacket]byte // replacement payloads
	out     [maxPacket]byte // marshalled packet to send
}

// Drop marks the packet as consumed by the current stage; later stages are skipped and the
// sequence rewriter closes the gap it leaves.
func (p *Packet) Drop() { p.drop = true }
