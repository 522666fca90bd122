package media

// DirectionStats counts what happened to one direction's packets.
type DirectionStats struct {
	Received  uint64 // RTP packets read
	Sent      uint64 // RTP packets sent
	Dropped   uint64 // consumed by a stage (late in secure mode, replaced event repeats, fail-closed drops)
	Late      uint64 // late or duplicate packets dropped in secure mode
	Lagged    uint64 // packets masked whole because they arrived too late (fail closed)
	Errors    uint64 // stage errors (each one fails closed in secure mode)
	Foreign   uint64 // packets from a source other than the latched one
	Malformed uint64 // datagrams that were not RTP/RTCP
	RTCPIn    uint64 // RTCP datagrams read
	RTCPOut   uint64 // RTCP datagrams sent
}

// Stats is a snapshot of a session's counters.
type Stats struct {
	CustomerToAgent DirectionStats
	AgentToCustomer DirectionStats
	// LateMarkedSamples counts samples the tone gate flagged after they had been sent; the
	// gate's contract makes these margin samples, never tone, and tests assert it stays 0.
	LateMarkedSamples int64
}

// Stats returns the session's counters.
func (s *Session) Stats() Stats {
	st := Stats{
		CustomerToAgent: s.dirs[Customer].snapshot(),
		AgentToCustomer: s.dirs[Agent].snapshot(),
	}
	d := s.dirs[Customer]
	d.mu.Lock()
	st.LateMarkedSamples = d.m.lateMarked
	d.mu.Unlock()
	return st
}

func (d *direction) snapshot() DirectionStats {
	s := &d.stats
	return DirectionStats{
		Received: s.received.Load(), Sent: s.sent.Load(), Dropped: s.dropped.Load(),
		Late: s.late.Load(), Lagged: s.lagged.Load(), Errors: s.errors.Load(),
		Foreign: s.foreign.Load(), Malformed: s.malformed.Load(),
		RTCPIn: s.rtcpIn.Load(), RTCPOut: s.rtcpOut.Load(),
	}
}
