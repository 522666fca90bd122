package media

// seqMap renumbers the packets of one direction when stages drop packets, so the receiver
// sees an unbroken sequence (RFC 3550 §5.1: the sequence number increments by one for each
// packet sent). Only a dropped packet newer than every packet seen shifts later numbers; a
// late packet dropped leaves a hole, because the packets around it were already sent.
// Timestamps are never changed by the relay, so only sequence numbers need mapping.
//
// Without drops the offset stays zero and headers pass unchanged.
type seqMap struct {
	have  bool
	max   uint16 // newest input sequence number seen
	delta uint16 // offset for packets newer than every recorded change
	// changes records where the offset changed: input numbers from `from` on (serially)
	// use delta; older ones use the previous entry's delta. A small ring is enough: a
	// packet older than all of them is far outside any jitter buffer.
	changes [32]seqChange
	n       int
	base    uint16 // offset before the oldest recorded change
	dropped uint64 // packets dropped (newest ones), for RTCP sender reports
}

type seqChange struct{ from, delta uint16 }

// newer reports whether a is after b in serial arithmetic (RFC 1982).
func newer(a, b uint16) bool { return a != b && a-b < 0x8000 }

// reset forgets the stream (a new SSRC starts its own numbering).
func (m *seqMap) reset() { *m = seqMap{} }

// out returns the output sequence number for input seq and notes it as seen.
func (m *seqMap) out(seq uint16) uint16 {
	if !m.have || newer(seq, m.max) {
		m.have = true
		m.max = seq
		return seq + m.delta
	}
	return seq + m.deltaFor(seq)
}

func (m *seqMap) deltaFor(seq uint16) uint16 {
	for i := 0; i < min(m.n, len(m.changes)); i++ {
		c := m.changes[(m.n-1-i)%len(m.changes)]
		if c.from == seq || newer(seq, c.from) {
			return c.delta
		}
	}
	if m.n > len(m.changes) {
		return m.changes[m.n%len(m.changes)].delta - 1 // best guess beyond the ring
	}
	return m.base
}

// drop records that input seq was not sent.
func (m *seqMap) drop(seq uint16) {
	if m.have && !newer(seq, m.max) {
		return // late packet: leave a hole
	}
	m.have = true
	m.max = seq
	m.delta--
	m.dropped++
	m.changes[m.n%len(m.changes)] = seqChange{from: seq + 1, delta: m.delta}
	m.n++
}
