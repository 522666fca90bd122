package media

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hushpay/hushpay/internal/dtmf"
)

// Options configure sessions. One Options value (and its PortPool) is shared by all calls
// of a node; OptionsFromConfig builds it from the configuration file.
type Options struct {
	Ports        *PortPool
	Advertise    netip.Addr    // address for the SDP (LocalRTP/LocalRTCP); zero: the pool's bind address
	RTCPMux      bool          // one port per leg for RTP and RTCP (RFC 5761)
	Latching     bool          // symmetric RTP: answer to where packets come from
	LatchTimeout time.Duration // silence of the latched source before another may take over
	Mask         dtmf.MaskConfig
	Delay        time.Duration // added delay in secure mode (at least the gate latency, at most 30 ms)
	MaxLag       time.Duration // customer audio this far behind its timestamp is masked whole
	FailHold     time.Duration // after a doubt, mask everything this long
	DrainTimeout time.Duration // remove the delay after leaving secure mode within this long
	AgentDigits  bool          // report the agent's digits outside secure mode
	Sink         DigitSink     // receives digits; may be nil
	Tap          Tap           // sees every packet sent; may be nil
	Logger       *slog.Logger  // may be nil
}

// maxDelay is the largest delay secure mode may add (the product's promise).
const maxDelay = 30 * time.Millisecond

func (o *Options) check() error {
	if o.Ports == nil {
		return fmt.Errorf("%w: no port pool", ErrBadConfig)
	}
	if o.Delay < 0 || o.Delay > maxDelay {
		return fmt.Errorf("%w: delay %s outside 0-%s", ErrBadConfig, o.Delay, maxDelay)
	}
	if o.MaxLag <= 0 || o.LatchTimeout <= 0 {
		return fmt.Errorf("%w: max lag and latch timeout must be positive", ErrBadConfig)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Session relays the media of one call between its customer and agent legs.
type Session struct {
	opts   Options
	legs   [2]*Leg
	dirs   [2]*direction // indexed by the receiving leg: dirs[Customer] is customer → agent
	secure atomic.Bool
	dedupe [2]deduper
	once   sync.Once
	closed atomic.Bool
	stop   func() bool
}

// NewSession opens the sockets of both legs and starts relaying. The session ends with
// Close or when ctx is done.
func NewSession(ctx context.Context, opts Options) (*Session, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	s := &Session{opts: opts}
	for i := range s.legs {
		rtpSock, rtcpSock, port, err := opts.Ports.sockets(opts.RTCPMux)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.legs[i] = &Leg{id: LegID(i), s: s, rtpSock: rtpSock, rtcpSock: rtcpSock, port: port, rtcpBuf: make([]byte, maxPacket)}
	}
	delay := int(opts.Delay * 8000 / time.Second)
	m, err := newMasker(delay, opts.Mask, opts.DrainTimeout)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("%w: mask: %w", ErrBadConfig, err)
	}
	if m.delay > int(maxDelay*8000/time.Second) {
		s.Close()
		return nil, fmt.Errorf("%w: tone gate latency %d samples exceeds %s", ErrBadConfig, m.delay, maxDelay)
	}
	for i := range s.dirs {
		d := &direction{session: s, fromID: LegID(i), from: s.legs[i], to: s.legs[1-i]}
		if LegID(i) == Customer {
			d.m = m
			m.onDigit = func(digit byte, ts uint32, start time.Time) {
				s.report(d, Customer, digit, Inband, ts, start.Sub(epoch).Nanoseconds())
			}
		}
		d.buildChain()
		s.dirs[i] = d
	}
	s.updatePTMaps()
	for _, l := range s.legs {
		err := l.rtpSock.start(l.serveRTP)
		if err == nil && l.rtcpSock != nil {
			err = l.rtcpSock.start(l.serveRTCP)
		}
		if err != nil {
			s.Close()
			return nil, err
		}
	}
	s.stop = context.AfterFunc(ctx, func() { s.Close() })
	return s, nil
}

// Leg returns the customer or agent leg.
func (s *Session) Leg(id LegID) *Leg { return s.legs[id&1] }

// SetSecure turns secure mode on or off for the customer-to-agent direction (the
// agent-to-customer direction is never altered). It is safe to call from any goroutine at
// any moment: when it returns, every customer packet processed afterwards is handled in the
// new mode. Turning it on fails with ErrNoCodecs or ErrCodecNotMaskable if the customer leg
// could send audio the relay cannot decode. Turning it off keeps masking until the added
// delay can be removed during a quiet moment (at most DrainTimeout).
func (s *Session) SetSecure(on bool) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if on {
		if err := s.legs[Customer].codecs.Load().maskable(); err != nil {
			return err
		}
	}
	d := s.dirs[Customer]
	d.mu.Lock()
	defer d.mu.Unlock()
	if on {
		if d.state() != maskOn {
			d.events.recv = dtmf.NewEventReceiver()
			d.events.haveCur = false
			d.failUntil = 0
		}
		d.m.enter()
		s.secure.Store(true)
		s.opts.Logger.Debug("media: secure mode on")
		return nil
	}
	s.secure.Store(false)
	d.m.exit(nanotime())
	s.opts.Logger.Debug("media: secure mode off, draining delay")
	return nil
}

// Secure reports whether secure mode is on.
func (s *Session) Secure() bool { return s.secure.Load() }

func (s *Session) secureOn() bool { return s.secure.Load() }

// drained is called (under the direction lock) when the masker has removed its delay.
func (s *Session) drained() { s.opts.Logger.Debug("media: delay drained, transparent again") }

// SIPInfoDigit hands the relay a key press that arrived by SIP INFO on a leg, so that it is
// reported under the same rules as tones and events (customer digits in secure mode,
// agent digits outside it) and counted once across the three transports.
func (s *Session) SIPInfoDigit(leg LegID, digit byte) error {
	if !validDigit(digit) {
		return fmt.Errorf("%w: %q", ErrBadDigit, digit)
	}
	if s.closed.Load() {
		return ErrClosed
	}
	now := nanotime()
	s.report(nil, leg, digit, SIPInfo, 0, now)
	return nil
}

// report applies the reporting rules and the cross-transport dedupe, then tells the sink.
// From a direction's chain (d not nil) the event is queued and delivered once the
// direction's lock is released, so a sink may call back into the session (for example
// SetSecure when the agent keys a call reference).
func (s *Session) report(d *direction, leg LegID, digit byte, t Transport, ts uint32, startNs int64) {
	secure := s.secureOn()
	switch {
	case leg == Customer && t != SIPInfo:
		// Media digits are only reported by the stages while secure (checked there).
	case leg == Customer && !secure:
		return
	case leg == Agent && (secure || !s.opts.AgentDigits):
		return
	}
	ev := DigitEvent{
		Digit: digit, Leg: leg, Transport: t, Secure: secure,
		Start: epoch.Add(time.Duration(startNs)), At: time.Now(), RTPTimestamp: ts,
	}
	if !s.dedupe[leg].accept(ev) || s.opts.Sink == nil {
		return
	}
	if d != nil {
		if d.npending < len(d.pending) {
			d.pending[d.npending] = ev
			d.npending++
		}
		return
	}
	s.opts.Sink.Digit(ev)
}

// Close stops relaying, closes the sockets and waits for the session's goroutines.
func (s *Session) Close() error {
	s.once.Do(func() {
		s.closed.Store(true)
		if s.stop != nil {
			s.stop()
		}
		s.closeLegs()
		for _, l := range s.legs {
			if l != nil {
				s.opts.Ports.release(l.port)
			}
		}
	})
	return nil
}

// closeLegs stops serving every socket (waiting for datagrams being served), and only then
// closes them, so no direction sends on a closed or reused descriptor.
func (s *Session) closeLegs() {
	for _, l := range s.legs {
		if l == nil {
			continue
		}
		l.rtpSock.shutdown()
		if l.rtcpSock != nil {
			l.rtcpSock.shutdown()
		}
	}
	for _, l := range s.legs {
		if l == nil {
			continue
		}
		l.rtpSock.close()
		if l.rtcpSock != nil {
			l.rtcpSock.close()
		}
	}
}

func (s *Session) updatePTMaps() {
	if s.dirs[0] == nil || s.dirs[1] == nil {
		return
	}
	c, a := s.legs[Customer].codecs.Load(), s.legs[Agent].codecs.Load()
	s.dirs[Customer].ptmap.Store(newPTMap(c, a))
	s.dirs[Agent].ptmap.Store(newPTMap(a, c))
}

// epoch anchors the relay's monotonic clock.
var epoch = time.Now()

// nanotime is monotonic nanoseconds since epoch.
func nanotime() int64 { return int64(time.Since(epoch)) }
