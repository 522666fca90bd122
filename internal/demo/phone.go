package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/hushpay/hushpay/internal/audio"
	"github.com/hushpay/hushpay/internal/dtmf"
	"github.com/hushpay/hushpay/internal/sdp"
)

const (
	ptPCMU      = 0
	ptEvent     = sdp.TelephoneEventPT // 101, as in our offer
	frame       = 160                  // samples per 20 ms packet at 8 kHz
	keyDuration = 800                  // 100 ms key press, in timestamp units
	keyGap      = 5                    // packets of audio between two key presses (100 ms)
)

// phone is one RTP endpoint of the simulated call: it plays a looped audio clip as PCMU
// every 20 ms and, when asked, keys digits as RFC 4733 telephone-events (§2.5) in the same
// stream, like a desk or mobile phone does. What it receives is read and dropped.
type phone struct {
	name string
	// inband keys digits as tones in the audio (what an analogue or badly configured
	// phone sends) instead of RFC 4733 events.
	inband bool
	conn   *net.UDPConn
	log    *slog.Logger
	clip   []byte // μ-law, a whole number of frames

	mu       sync.Mutex
	remote   *net.UDPAddr
	keys     []byte // digits waiting to be keyed
	gen      uint64 // bumped to drop queued keys (a new request replaces the old)
	heard    []byte // key presses heard from the far end (drain)
	received int    // RTP packets received
}

func newPhone(name string, host netip.Addr, clip []byte, log *slog.Logger) (*phone, error) {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(host, 0)))
	if err != nil {
		return nil, fmt.Errorf("demo: %s phone: %w", name, err)
	}
	return &phone{name: name, conn: c, log: log, clip: clip}, nil
}

// port is the phone's local RTP port (for its SDP).
func (p *phone) port() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

// offer is the phone's SDP (PCMU, PCMA, telephone-event), used as offer and as answer.
func (p *phone) offer() []byte {
	ip := p.conn.LocalAddr().(*net.UDPAddr).AddrPort().Addr()
	return sdp.NewOffer(ip, p.port(), p.port()+1, false, uint64(time.Now().UnixNano())).Marshal()
}

// setRemote reads the far end's SDP and sends RTP there from now on.
func (p *phone) setRemote(body []byte) error {
	s, err := sdp.Parse(body)
	if err != nil {
		return err
	}
	m, err := s.Audio()
	if err != nil {
		return err
	}
	addr := s.Address(m)
	p.mu.Lock()
	p.remote = net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, uint16(m.Port)))
	p.mu.Unlock()
	return nil
}

// key replaces whatever is queued with digits, keyed after delay (the customer hearing the
// prompt and reaching for the keypad).
func (p *phone) key(digits string, delay time.Duration) {
	p.mu.Lock()
	p.gen++
	gen := p.gen
	p.keys = nil
	p.mu.Unlock()
	time.AfterFunc(delay, func() {
		p.mu.Lock()
		if p.gen == gen {
			p.keys = []byte(digits)
		}
		p.mu.Unlock()
	})
}

// stopKeying drops queued digits.
func (p *phone) stopKeying() {
	p.mu.Lock()
	p.gen++
	p.keys = nil
	p.mu.Unlock()
}

// run sends RTP until ctx ends: audio frames, and key presses in place of audio while a
// key is down. Packets are paced by a ticker (20 ms).
func (p *phone) run(ctx context.Context) {
	go p.drain(ctx)
	var (
		seq  = uint16(time.Now().UnixNano())
		ts   = uint32(time.Now().UnixNano() >> 8)
		ssrc = uint32(time.Now().UnixNano()>>3) | 1
		pos  int
		evs  []dtmf.EventPacket // packets of the key press in progress
		tone []byte             // μ-law of the in-band key press in progress (tone and gap)
		gap  int                // audio packets still to send before the next key
		buf  = make([]byte, 1500)
		pkt  = rtp.Packet{Header: rtp.Header{Version: 2, SSRC: ssrc}}
	)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		p.mu.Lock()
		remote := p.remote
		if len(evs) == 0 && len(tone) == 0 && gap == 0 && len(p.keys) > 0 {
			d := p.keys[0]
			p.keys = p.keys[1:]
			if p.inband {
				tone = inbandKey(d)
			} else {
				var err error
				evs, err = dtmf.AppendKeyPress(evs[:0], d, ts, keyDuration, frame, 10)
				if err != nil {
					evs = evs[:0]
				}
				gap = keyGap
			}
		}
		p.mu.Unlock()
		if remote == nil {
			ts += frame
			continue
		}
		seq++
		pkt.Header.SequenceNumber = seq
		if len(evs) > 0 {
			e := evs[0]
			evs = evs[1:]
			n, _ := e.Event.MarshalTo(buf[:4])
			pkt.Header.PayloadType = ptEvent
			pkt.Header.Timestamp = e.Timestamp
			pkt.Header.Marker = e.Marker
			pkt.Payload = buf[:n]
			if len(evs) == 0 {
				ts = e.Timestamp + uint32(e.Event.Duration)
			}
		} else if len(tone) > 0 {
			pkt.Header.PayloadType = ptPCMU
			pkt.Header.Timestamp = ts
			pkt.Header.Marker = false
			pkt.Payload = tone[:frame]
			tone = tone[frame:]
			ts += frame
		} else {
			if gap > 0 {
				gap--
			}
			pkt.Header.PayloadType = ptPCMU
			pkt.Header.Timestamp = ts
			pkt.Header.Marker = false
			pkt.Payload = p.clip[pos : pos+frame]
			pos = (pos + frame) % len(p.clip)
			ts += frame
		}
		b, err := pkt.Marshal()
		if err != nil {
			continue
		}
		if _, err := p.conn.WriteToUDP(b, remote); err != nil && ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
			p.log.Debug("demo: rtp send", "phone", p.name, "err", err)
		}
	}
}

// drain reads what the phone receives and listens for key presses in it, as a person or a
// recorder on that side could: RFC 4733 events and DTMF tones in the audio (our detector).
// What it hears is kept (Heard), so that the demo can show that the agent never hears the
// customer's digits in secure mode.
func (p *phone) drain(ctx context.Context) {
	buf := make([]byte, 2048)
	lin := make([]int16, 0, 1024)
	det := dtmf.NewDetector(dtmf.DefaultDetectorConfig())
	var (
		pkt     rtp.Packet
		ev      dtmf.TelephoneEvent
		lastTS  uint32
		eventOn bool
	)
	for ctx.Err() == nil {
		_ = p.conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, _, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		p.mu.Lock()
		p.received++
		p.mu.Unlock()
		switch pkt.PayloadType {
		case ptEvent:
			// RFC 4733 §2.5.1.2: the packets of one event share its timestamp.
			if ev.Unmarshal(pkt.Payload) == nil && (!eventOn || pkt.Timestamp != lastTS) {
				eventOn, lastTS = true, pkt.Timestamp
				if d, ok := dtmf.EventDigit(ev.Event); ok {
					p.heardDigit(d)
				}
			}
		case ptPCMU:
			if len(pkt.Payload) > cap(lin) {
				continue
			}
			lin = lin[:len(pkt.Payload)]
			audio.DecodeUlaw(lin, pkt.Payload)
			det.Process(lin, func(e dtmf.Event) {
				if e.Kind == dtmf.DigitStart {
					p.heardDigit(e.Digit)
				}
			})
		}
	}
}

func (p *phone) heardDigit(d byte) {
	p.mu.Lock()
	if len(p.heard) < 4096 {
		p.heard = append(p.heard, d)
	}
	p.mu.Unlock()
}

// Heard returns the key presses the phone has heard so far and how many RTP packets it
// received.
func (p *phone) Heard() (string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return string(p.heard), p.received
}

func (p *phone) close() { p.conn.Close() }

// melody returns a looped μ-law clip: a short tune of single sine notes with a soft
// envelope, standing in for someone talking. Single tones never form a DTMF pair, so the
// clip itself keys nothing.
func melody(notes []float64, noteMS int, dBm0 float64) []byte {
	per := 8 * noteMS
	n := per * len(notes)
	n -= n % frame
	lin := make([]int16, n)
	amp := audio.SineAmplitude(dBm0)
	for i := range lin {
		k := i / per
		if k >= len(notes) || notes[k] == 0 {
			continue
		}
		t := float64(i % per)
		env := math.Min(1, math.Min(t, float64(per)-t)/200)
		lin[i] = audio.Saturate(amp * env * math.Sin(2*math.Pi*notes[k]*float64(i)/8000))
	}
	out := make([]byte, n)
	audio.EncodeUlaw(out, lin)
	return out
}

// inbandKey returns one key press as μ-law audio: a 100 ms tone pair at -8 dBm0 per tone
// and 100 ms of silence, whole frames.
func inbandKey(d byte) []byte {
	lin, _, err := dtmf.Sequence(string(d), dtmf.SequenceOptions{ToneMS: 100, GapMS: 100, LevelDBm0: -8})
	if err != nil {
		return nil
	}
	n := len(lin) - len(lin)%frame
	out := make([]byte, n)
	audio.EncodeUlaw(out, lin[:n])
	return out
}
