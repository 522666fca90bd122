package media

import (
	"encoding/binary"
	"fmt"

	"github.com/pion/rtcp"
)

// rtcpFix says how to adjust RTCP travelling through a direction so it stays consistent
// with the RTP the relay actually sent.
type rtcpFix struct {
	// Sender reports of senderSSRC (the stream this direction renumbered): the packet
	// count loses the dropped packets and the octet count gains octetDelta (RFC 3550 §6.4.1).
	senderSSRC uint32
	dropped    uint32
	octetDelta int64
	fixSender  bool
	// Report blocks about reportedSSRC (the stream the other direction renumbered), whose
	// extended highest sequence number the receiver counted in the relay's numbering:
	// subtract that direction's offset to give the sender its own numbering (§6.4.1).
	reportedSSRC uint32
	seqDelta     uint16
	fixReports   bool
}

// isRTCP tells RTCP from RTP on a multiplexed port (RFC 5761 §4: RTCP packet types 192-223
// occupy the second octet where RTP has the marker bit and payload types 64-95).
func isRTCP(b []byte) bool {
	return len(b) >= 2 && b[1] >= 192 && b[1] <= 223
}

// rewriteRTCP walks a compound RTCP packet (RFC 3550 §6.1) and applies fix in place. It
// allocates nothing. It returns ErrMalformed if the packet structure is broken; then the
// caller must not forward a packet that needed fixing.
func rewriteRTCP(b []byte, fix rtcpFix) error {
	var h rtcp.Header
	if len(b) < 4 {
		return fmt.Errorf("%w: RTCP of %d bytes", ErrMalformed, len(b))
	}
	for off := 0; off < len(b); {
		if err := h.Unmarshal(b[off:]); err != nil {
			return fmt.Errorf("%w: RTCP header: %w", ErrMalformed, err)
		}
		size := (int(h.Length) + 1) * 4
		if off+size > len(b) {
			return fmt.Errorf("%w: RTCP length %d past end", ErrMalformed, size)
		}
		pkt := b[off : off+size]
		blocks := 0
		switch h.Type {
		case rtcp.TypeSenderReport:
			// §6.4.1: header, SSRC, NTP (8), RTP timestamp, packet count, octet count.
			if size < 28+24*int(h.Count) {
				return fmt.Errorf("%w: short sender report", ErrMalformed)
			}
			if fix.fixSender && binary.BigEndian.Uint32(pkt[4:]) == fix.senderSSRC {
				pc := binary.BigEndian.Uint32(pkt[20:])
				binary.BigEndian.PutUint32(pkt[20:], pc-fix.dropped)
				oc := binary.BigEndian.Uint32(pkt[24:])
				binary.BigEndian.PutUint32(pkt[24:], uint32(int64(oc)+fix.octetDelta))
			}
			blocks = 28
		case rtcp.TypeReceiverReport:
			// §6.4.2: header, SSRC, report blocks.
			if size < 8+24*int(h.Count) {
				return fmt.Errorf("%w: short receiver report", ErrMalformed)
			}
			blocks = 8
		}
		if blocks > 0 && fix.fixReports {
			for i := 0; i < int(h.Count); i++ {
				rb := pkt[blocks+24*i:]
				if binary.BigEndian.Uint32(rb) != fix.reportedSSRC {
					continue
				}
				// Extended highest sequence number: cycles in the high 16 bits.
				ext := binary.BigEndian.Uint32(rb[8:])
				binary.BigEndian.PutUint32(rb[8:], ext-uint32(int32(int16(fix.seqDelta))))
			}
		}
		off += size
	}
	return nil
}

// handleRTCP forwards one RTCP datagram received on d.from to d.to, fixed for the changes
// both directions made. It runs on the receiving socket's goroutine and uses only atomics.
func (d *direction) handleRTCP(b []byte) {
	d.stats.rtcpIn.Add(1)
	other := d.session.dirs[1-d.fromID]
	fix := rtcpFix{
		senderSSRC:   d.rtcp.ssrc.Load(),
		dropped:      uint32(d.rtcp.dropped.Load()),
		octetDelta:   d.rtcp.octetDelta.Load(),
		reportedSSRC: other.rtcp.ssrc.Load(),
		seqDelta:     uint16(other.rtcp.delta.Load()),
	}
	fix.fixSender = fix.dropped != 0 || fix.octetDelta != 0
	fix.fixReports = fix.seqDelta != 0
	if fix.fixSender || fix.fixReports {
		if err := rewriteRTCP(b, fix); err != nil {
			d.stats.malformed.Add(1)
			return
		}
	}
	dst := d.to.remoteRTCP.Load()
	if dst == nil {
		return
	}
	sock := d.to.rtcpSock
	if sock == nil {
		sock = d.to.rtpSock // rtcp-mux
	}
	if err := sock.sendTo(b, *dst); err != nil {
		d.stats.sendErrors.Add(1)
		return
	}
	d.stats.rtcpOut.Add(1)
}
