package media

import (
	"math"
	"time"

	"github.com/hushpay/hushpay/internal/dtmf"
)

// maskState is where the customer-to-agent direction is in the secure-mode cycle.
type maskState uint8

const (
	maskOff      maskState = iota // transparent: packets pass untouched
	maskOn                        // secure: audio delayed behind the tone gate and masked
	maskDraining                  // secure mode left: still masking until a quiet moment removes the delay
)

const (
	// maxSamples is the largest audio payload the masker handles (160 ms of G.711); a
	// larger one is not audio any phone sends and fails closed.
	maxSamples = 1280
	// concealMax is how much of a loss the masker bridges, for the gate and detector only,
	// by repeating the last audio: a tone split by a short loss stays one tone (one digit,
	// one masked stretch). Longer gaps are bridged by gateFlush zeros.
	concealMax = 480
	// quietMeanSquare is the power below which the delay line is quiet enough to drop the
	// delay without an audible jump (about -45 dBm0).
	quietMeanSquare = 120 * 120
	// detectBack is how far back (in gate samples) the detector is replayed when the gate
	// starts marking, and detectIdle how long it runs on after the last mark.
	detectBack = 1024
	detectIdle = 1600
)

// masker is the customer-to-agent stage that, in secure mode, holds audio in a delay line
// for the tone gate to judge, replaces every sample the gate marks with the masking signal,
// runs the strict detector to report the customer's digits, and synthesises masking audio
// for RFC 4733 events. Outside secure mode it only remembers the last audio sent, to build
// the delay inserted on entry.
type masker struct {
	delay   int // samples held back in secure mode
	gate    *dtmf.ToneGate
	det     *dtmf.Detector
	sig     *dtmf.MaskSignal
	line    delayLine
	state   maskState
	onDigit func(digit byte, ts uint32, start time.Time)

	pos         int64 // next gate/detector sample index
	have        bool  // audio timeline known (ssrc, nextTS)
	ssrc        uint32
	nextTS      uint32
	lastEmitted int64 // newest gate index sent
	lastMarkEnd int64
	maskNext    bool // fail closed over the current packet (loss next to a tone, stream change)
	lateMarked  int64

	// Output timeline for event synthesis.
	haveOut    bool
	lastOutEnd uint32
	audioPT    uint8
	audioKind  kind

	segs  [32]segment // gate index → RTP timestamp, for digit times
	nsegs int

	drainSince   int64
	drainTimeout int64
	now          int64

	// History of audio sent outside secure mode (the last delay+latency samples), and a
	// gate to judge it on entry.
	hist      []byte
	histKind  []kind
	histN     int // total bytes written (ring)
	entryGate *dtmf.ToneGate
	entryMark bool

	ramp     bool // fade the masking signal in and out (not needed for silence)
	runSoFar int  // masked samples sent since the current masked run began

	// The strict detector runs only around gate marks (see detect).
	detOn     bool
	detBase   int64 // gate index of detector sample 0
	firstMark int64 // start of the current run of gate marks
	recent    [detectBack]int16

	lin     [maxPacket]int16
	conceal [maxSamples]int16
	concN   int
	fill    [maxPacket]int16
	flags   [maxPacket]bool
	zeros   [concealMax]int16
}

type segment struct {
	idx int64
	ts  uint32
	n   int
}

func newMasker(delay int, mc dtmf.MaskConfig, drainTimeout time.Duration) (*masker, error) {
	sig, err := dtmf.NewMaskSignal(mc)
	if err != nil {
		return nil, err
	}
	gate := dtmf.NewToneGate(dtmf.DefaultGateConfig())
	if l := gate.Latency(); delay < l {
		delay = l
	}
	m := &masker{
		delay:        delay,
		gate:         gate,
		det:          dtmf.NewDetector(dtmf.DefaultDetectorConfig()),
		sig:          sig,
		line:         newDelayLine(delay + maxPacket),
		drainTimeout: int64(drainTimeout),
		hist:         make([]byte, delay+gate.Latency()),
		histKind:     make([]kind, delay+gate.Latency()),
		entryGate:    dtmf.NewToneGate(dtmf.DefaultGateConfig()),
		ramp:         mc.Mode != dtmf.MaskSilence,
	}
	return m, nil
}

// observe remembers the tail of audio sent outside secure mode.
func (m *masker) observe(p *Packet) {
	if !p.kind.audio() {
		return
	}
	m.audioPT, m.audioKind = p.Header.PayloadType, p.kind
	b := p.Payload
	if len(b) > len(m.hist) {
		b = b[len(b)-len(m.hist):]
	}
	for _, c := range b {
		i := m.histN % len(m.hist)
		m.hist[i], m.histKind[i] = c, p.kind
		m.histN++
	}
}

// enter starts secure mode: the gate and detector start afresh and the delay line is
// primed with `delay` samples made from the audio just sent, so the agent hears no gap.
//
// The inserted samples cross-fade from a time-reversed copy of the last samples sent
// (continuous with what was sent) to a forward repeat of them (continuous with the next
// samples to come), so neither join steps. They carry nothing the agent has not already
// heard. If a tone was on at the end of that audio (judged by a gate run over it now), the
// inserted samples are the masking signal instead.
func (m *masker) enter() {
	if m.state == maskDraining {
		m.state = maskOn // the delay is still in place; keep it
		return
	}
	m.state = maskOn
	m.gate.Reset()
	m.detOn = false
	m.pos, m.nsegs, m.have, m.concN = 0, 0, false, 0
	m.lastEmitted, m.lastMarkEnd, m.firstMark = -1, math.MinInt64/2, math.MaxInt64
	m.maskNext = false
	m.line.reset()

	d, hl := m.delay, len(m.hist)
	h := min(m.histN, hl)
	all := m.fill[:hl]
	clear(all)
	for i := 0; i < h; i++ { // oldest first, right-aligned
		j := (m.histN - h + i) % hl
		all[hl-h+i] = decode1(m.histKind[j], m.hist[j])
	}
	m.entryGate.Reset()
	m.entryMark = false
	m.entryGate.Process(all, m.markEntry)
	// Let the gate decide about the last samples too, by continuing the tail: a tone that
	// began just before entry repeats, silence stays silence.
	tail := m.conceal[:m.entryGate.Latency()]
	for i := range tail {
		tail[i] = all[hl-64+i%64]
	}
	m.entryGate.Process(tail, m.markEntry)
	if m.entryMark {
		for range d {
			m.line.push(lineEntry{idx: fillerIdx, kind: kindUnknown, mask: true})
		}
		return
	}
	x := all[hl-d:]
	for i := 0; i < d; i++ {
		w := 1.0
		if d > 1 {
			w = float64(i) / float64(d-1)
		}
		v := (1-w)*float64(x[d-1-i]) + w*float64(x[i])
		m.line.push(lineEntry{idx: fillerIdx, lin: int16(v), kind: kindUnknown})
	}
}

// markEntry notes a tone in the last `delay` samples sent before entry.
func (m *masker) markEntry(start, end int64) {
	if end > int64(len(m.hist)-m.delay) {
		m.entryMark = true
	}
}

// exit leaves secure mode: masking goes on until the delay can be removed.
func (m *masker) exit(now int64) {
	if m.state == maskOn {
		m.state = maskDraining
		m.drainSince = now
	}
}

// audio processes one audio packet in secure or draining state, rewriting its payload in
// place. whole masks the packet entirely (fail closed).
func (m *masker) audio(p *Packet, whole bool) {
	n := len(p.Payload)
	if n == 0 || n > maxSamples {
		p.Drop()
		p.doubt = true
		return
	}
	ts := p.Header.Timestamp
	switch {
	case !m.have:
		m.have = true
	case p.Header.SSRC != m.ssrc:
		m.streamChange()
	default:
		d := int32(ts - m.nextTS)
		switch {
		case d == 0:
		case d > 0 && d <= 8000*2:
			m.gap(int(d))
		case d < 0 && d > -8000*2:
			p.Drop() // overlaps audio already processed: late or duplicate
			return
		default:
			m.streamChange()
		}
	}
	m.ssrc, m.nextTS = p.Header.SSRC, ts+uint32(n)
	m.audioPT, m.audioKind = p.Header.PayloadType, p.kind

	lin := m.lin[:n]
	decode(p.kind, lin, p.Payload)
	for i, c := range p.Payload {
		m.line.push(lineEntry{idx: m.pos + int64(i), lin: lin[i], enc: c, kind: p.kind})
	}
	m.feed(lin, ts)
	m.concN = copy(m.conceal[:], lin)

	if m.state == maskDraining && m.drain(p, n, whole) {
		return
	}
	m.emit(p.Payload[:n], p.kind, whole)
	m.haveOut, m.lastOutEnd = true, ts+uint32(n)
}

// feed runs the gate and the detector over samples that start at RTP timestamp ts.
func (m *masker) feed(lin []int16, ts uint32) {
	m.segs[m.nsegs%len(m.segs)] = segment{idx: m.pos, ts: ts, n: len(lin)}
	m.nsegs++
	start := m.pos
	m.pos += int64(len(lin))
	m.gate.Process(lin, m.mark)
	for i, v := range lin {
		m.recent[(start+int64(i))%int64(len(m.recent))] = v
	}
	m.detect(lin, start)
}

// detect runs the strict detector where it can find something: it is started when the gate
// marks a stretch (from the start of the mark, replayed from the recent samples; the gate
// marks from at least 10 ms before a tone's onset) and stopped after detectIdle samples
// without marks. The gate is wider than any detector, so no digit the detector would report
// elsewhere is missed, and speech costs no detector time. This affects reporting only;
// masking is the gate's alone.
func (m *masker) detect(lin []int16, start int64) {
	if !m.detOn {
		if m.firstMark >= m.pos || m.lastMarkEnd <= start-int64(len(m.recent)) {
			return // no mark in the samples just fed
		}
		from := max(m.firstMark, m.pos-int64(len(m.recent)), 0)
		m.det.Reset()
		m.detOn, m.detBase = true, from
		for i := from; i < m.pos; {
			j := min(m.pos, i+int64(len(m.recent))-i%int64(len(m.recent)))
			a, b := i%int64(len(m.recent)), i%int64(len(m.recent))+(j-i)
			m.det.Process(m.recent[a:b], m.detected)
			i = j
		}
		return
	}
	m.det.Process(lin, m.detected)
	if m.pos-m.lastMarkEnd > detectIdle {
		m.detOn = false
	}
}

// mark is the gate's callback: flag the held samples in [start, end).
func (m *masker) mark(start, end int64) {
	if !m.detOn && (m.firstMark >= m.pos || start < m.firstMark || m.lastMarkEnd < start) {
		m.firstMark = start // start of the current run of marks, where detection begins
	}
	if end > m.lastMarkEnd {
		m.lastMarkEnd = end
	}
	if start <= m.lastEmitted && end > 0 {
		// The gate marked samples already sent: only its leading margin can do that
		// (the contract guarantees tone samples are marked within Latency), but count it.
		m.lateMarked += min(end, m.lastEmitted+1) - max(start, 0)
	}
	m.line.mark(start, end)
}

// detected is the strict detector's callback.
func (m *masker) detected(ev dtmf.Event) {
	if ev.Kind != dtmf.DigitStart || m.state != maskOn || m.onDigit == nil {
		return
	}
	idx := m.detBase + ev.Sample
	back := time.Duration(m.pos-idx) * time.Second / 8000
	m.onDigit(ev.Digit, m.tsOf(idx), epoch.Add(time.Duration(m.now)-back))
}

// tsOf maps a gate/detector sample index to the RTP timestamp it came with.
func (m *masker) tsOf(idx int64) uint32 {
	var best segment
	for i := 0; i < min(m.nsegs, len(m.segs)); i++ {
		s := m.segs[(m.nsegs-1-i)%len(m.segs)]
		best = s
		if idx >= s.idx {
			break
		}
	}
	return best.ts + uint32(idx-best.idx)
}

// gap bridges g missing samples (loss, or the silence of DTX) for the gate and detector.
// If a tone was on just before it, the held samples and the next packet are masked whole:
// fragments of a tone around a loss are too short to judge.
func (m *masker) gap(g int) {
	if m.lastMarkEnd+int64(m.gate.Latency()) >= m.pos {
		m.line.markAll()
		m.maskNext = true
	}
	c := min(g, concealMax)
	if m.concN > 0 {
		for i := 0; i < c; i++ {
			m.fill[i] = m.conceal[i%m.concN]
		}
	} else {
		clear(m.fill[:c])
	}
	m.feed(m.fill[:c], m.nextTS)
	if g > concealMax {
		// A long gap: let a tone end for the gate and the detector.
		z := min(g-c, concealMax)
		m.feed(m.zeros[:z], m.nextTS+uint32(c))
	}
}

// streamChange handles a new SSRC or a timestamp jump in secure mode: the stream before it
// is flushed through the gate and everything held is masked (fail closed).
func (m *masker) streamChange() {
	m.feed(m.zeros[:concealMax], m.nextTS)
	m.line.markAll()
	m.maskNext = true
	m.concN = 0
}

// emit pops len(out) samples from the delay line into out, encoded for k.
func (m *masker) emit(out []byte, k kind, whole bool) {
	n := len(out)
	flags := m.flags[:n]
	anyMask := false
	for i := range n {
		e := m.line.pop()
		masked := whole || m.maskNext || e.mask
		flags[i] = masked
		if masked {
			anyMask = true
			continue
		}
		if e.idx > m.lastEmitted {
			m.lastEmitted = e.idx
		}
		if e.kind == k {
			out[i] = e.enc
		} else {
			out[i] = encode1(k, e.lin)
		}
	}
	m.maskNext = false
	if anyMask {
		ahead := 0
		for ahead < min(m.line.len(), rampLen) && (whole || m.line.at(ahead).mask) {
			ahead++
		}
		m.maskRuns(out, flags, k, ahead)
	}
	// Length of the masked run at the end of this packet, carried into the next one.
	tail := 0
	for tail < n && flags[n-1-tail] {
		tail++
	}
	if tail == n {
		m.runSoFar += n
	} else {
		m.runSoFar = tail
	}
}

// rampLen is the raised-cosine fade (8 ms) at each end of a masked stretch, so switching
// between the customer's audio and the masking signal does not click (a click spreads
// energy over the DTMF band).
const rampLen = 64

var ramp = func() (r [rampLen]float64) {
	for i := range r {
		r[i] = 0.5 - 0.5*math.Cos(math.Pi*float64(i+1)/(rampLen+1))
	}
	return r
}()

// maskRuns writes the masking signal over every flagged run of out, faded in over the
// first rampLen samples of a run and out over its last ones. A run may span packets:
// m.runSoFar counts its samples already sent, and ahead counts the masked samples waiting
// at the head of the delay line, so the fade-out can start before the packet that ends the
// run. (If the gate later extends the run, the masking signal just dips; the samples stay
// masked.)
func (m *masker) maskRuns(out []byte, flags []bool, k kind, ahead int) {
	n := len(out)
	for i := 0; i < n; {
		if !flags[i] {
			i++
			continue
		}
		j := i
		for j < n && flags[j] {
			j++
		}
		f := m.fill[i:j]
		m.sig.Fill(f)
		if m.ramp {
			before := 0
			if i == 0 {
				before = m.runSoFar
			}
			after := 0
			if j == n {
				after = ahead
			}
			for x := range f {
				up := before + x
				down := after + len(f) - 1 - x
				if d := min(up, down); d < rampLen {
					f[x] = int16(float64(f[x]) * ramp[d])
				}
			}
		}
		encode(k, out[i:j], f)
		i = j
	}
}

// drain removes the delay when the held audio is quiet and tone-free (or the drain timeout
// passed): the packet carries a cross-fade from the held samples into its own samples,
// then its own samples undelayed, so both joins are continuous. It reports whether it
// handled the packet.
func (m *masker) drain(p *Packet, n int, whole bool) bool {
	timedOut := m.now-m.drainSince >= m.drainTimeout
	if whole || m.maskNext {
		if !timedOut {
			return false
		}
	}
	if !timedOut && (m.line.anyMarked() || m.line.meanSquare() > quietMeanSquare) {
		return false
	}
	held := m.line.len() - n // samples from before this packet
	cf := min(n, held)
	out := p.Payload[:n]
	mix := m.fill[:n]
	for i := 0; i < held; i++ {
		e := m.line.at(i)
		if i < cf {
			v := e.lin
			if e.mask || whole || m.maskNext {
				var s [1]int16
				m.sig.Fill(s[:])
				v = s[0]
			}
			mix[i] = v
		}
	}
	for i := 0; i < n; i++ {
		e := m.line.at(held + i)
		if i < cf {
			w := float64(i+1) / float64(cf+1)
			mix[i] = int16((1-w)*float64(mix[i]) + w*float64(e.lin))
			continue
		}
		if e.kind == p.kind {
			out[i] = e.enc
		} else {
			out[i] = encode1(p.kind, e.lin)
		}
	}
	encode(p.kind, out[:cf], mix[:cf])
	m.line.reset()
	m.state = maskOff
	m.haveOut, m.lastOutEnd = true, p.Header.Timestamp+uint32(n)
	return true
}

// synth fills out with n samples of the masking signal encoded for the current audio codec,
// for an RFC 4733 event replaced by masking audio.
//
// Each chunk fades in and out (raised cosine, up to rampLen samples each way): the chunks
// meet customer audio at unknown places, and a hard edge would splash energy over the DTMF
// band.
func (m *masker) synth(out []byte) {
	f := m.fill[:len(out)]
	m.sig.Fill(f)
	if m.ramp {
		r := min(rampLen, len(f)/2)
		for x := 0; x < r; x++ {
			g := ramp[x*rampLen/max(r, 1)]
			f[x] = int16(float64(f[x]) * g)
			f[len(f)-1-x] = int16(float64(f[len(f)-1-x]) * g)
		}
	}
	encode(m.audioKind, out, f)
}
