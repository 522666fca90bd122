// Package loadgen is the media load generator behind `hushpay bench media`: it plays N
// concurrent calls (customer and agent sides, 20 ms PCMU both ways, periodic bursts of
// customer key tones) at real-time pace through a relay running in another process — a
// Hushpay relay or rtpengine — and measures the relay's CPU, packet loss and the latency it
// adds.
package loadgen

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"

	"github.com/hushpay/hushpay/internal/audio"
	"github.com/hushpay/hushpay/internal/dtmf"
)

// Endpoint is where the generator sends one call's two sides.
type Endpoint struct {
	Customer netip.AddrPort // relay port the customer side sends to
	Agent    netip.AddrPort // relay port the agent side sends to
}

// Config shapes a load run.
type Config struct {
	Calls       int
	Duration    time.Duration // measured period
	Warmup      time.Duration // before measuring (latching, caches)
	DigitsEvery time.Duration // one burst of four customer digits per call this often
	Sockets     int           // generator sockets per side
	PID         int           // process whose CPU is measured (the relay)
	// Nice is the niceness the generator's threads take for the run (the relay, started
	// before, keeps its own), so that on a shared machine the relay under test is served
	// first and the generator, not the relay, falls behind. 0 leaves it alone.
	Nice int
}

// Result is what one run measured.
type Result struct {
	Calls            int
	Seconds          float64 // measured wall time
	RelayCPU         float64 // relay CPU-seconds (user+system) over the measured period
	CPUPerCallMinute float64 // relay CPU-seconds per call-minute
	GeneratorCPU     float64 // this process's CPU-seconds over the period
	Sent, Received   uint64  // packets in the measured period, both directions
	Loss             float64 // 1 - received/sent
	P50, P99, Max    time.Duration
	LoadAvg          string // /proc/loadavg at the end
	// Leak probe: the customer audio of call 0 as sent and as the agent side received it,
	// decoded with our strict detector (every relay is meant to mask it).
	ProbeKeyed, ProbeHeard string
}

// String is the one-line summary the bench prints.
func (r Result) String() string {
	return fmt.Sprintf("calls=%d cpu=%.2fs cpu/call-min=%.4fs loss=%.4f%% p50=%s p99=%s max=%s sent=%d recv=%d gen-cpu=%.2fs",
		r.Calls, r.RelayCPU, r.CPUPerCallMinute, r.Loss*100, r.P50, r.P99, r.Max, r.Sent, r.Received, r.GeneratorCPU)
}

const (
	ptime   = 160 // samples per packet (20 ms)
	loopLen = 500 // packets in the audio loop (10 s)
	ring    = 1024
)

// call is one call's generator state.
type call struct {
	ep     [2]*net.UDPAddr // relay addresses: customer, agent
	sock   [2]int          // generator socket index per side
	seq    [2]uint16
	ts     [2]uint32
	offset int // where in the audio loop this call starts
	buf    [2][12 + ptime]byte
	sentAt [2][ring]atomic.Int64 // send time of measured packets by sequence number
}

// New opens the generator's sockets (cfg.Sockets per side, on 127.0.0.1).
func New(cfg Config) (*Gen, error) {
	if cfg.Sockets <= 0 {
		cfg.Sockets = 4
	}
	cust, agent, err := audioLoops(cfg.DigitsEvery)
	if err != nil {
		return nil, err
	}
	g := &Gen{cfg: cfg, loops: [2][][]byte{cust, agent}, hist: make([]atomic.Uint64, histLen)}
	for side := range 2 {
		for range cfg.Sockets {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				g.Close()
				return nil, err
			}
			c.SetReadBuffer(8 << 20)
			c.SetWriteBuffer(8 << 20)
			g.conns[side] = append(g.conns[side], c)
			g.pcs[side] = append(g.pcs[side], ipv4.NewPacketConn(c))
		}
	}
	return g, nil
}

// Addr is the generator's address for call i's side (0 customer, 1 agent): what a relay
// that needs an SDP address (rtpengine) is told.
func (g *Gen) Addr(i, side int) netip.AddrPort {
	return g.conns[side][i%g.cfg.Sockets].LocalAddr().(*net.UDPAddr).AddrPort()
}

// Close releases the sockets.
func (g *Gen) Close() {
	for side := range 2 {
		for _, c := range g.conns[side] {
			c.Close()
		}
	}
}

// Run drives the endpoints for cfg.Warmup + cfg.Duration and measures, then closes the
// generator.
func (g *Gen) Run(ctx context.Context, eps []Endpoint) (Result, error) {
	defer g.Close()
	for i := range g.byPort {
		g.byPort[i] = -1
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i, ep := range eps {
		// The customer's packets leave the relay from the port the agent sends to, and the
		// other way round.
		g.byPort[ep.Agent.Port()] = int32(2 * i)
		g.byPort[ep.Customer.Port()] = int32(2*i + 1)
		c := &call{offset: r.IntN(loopLen)}
		c.ep[0] = net.UDPAddrFromAddrPort(ep.Customer)
		c.ep[1] = net.UDPAddrFromAddrPort(ep.Agent)
		for side := range 2 {
			c.sock[side] = i % g.cfg.Sockets
			c.seq[side] = uint16(r.Uint32())
			c.ts[side] = r.Uint32()
			b := &c.buf[side]
			b[0] = 0x80
			binary.BigEndian.PutUint32(b[8:], uint32(2*i+side)) // SSRC names call and side
		}
		g.calls = append(g.calls, c)
	}
	return g.run(ctx)
}

// Gen is a load generator.
type Gen struct {
	cfg   Config
	loops [2][][]byte
	calls []*call
	conns [2][]*net.UDPConn
	pcs   [2][]*ipv4.PacketConn

	// byPort maps the relay port a packet comes from to the call and the side that sent it
	// (2*call+side, -1 for none): a relay may rewrite SSRCs (rtpengine does when it
	// transcodes), so packets are told apart by where they come from.
	byPort [65536]int32

	// Leak probe on call 0's customer→agent audio (measured period only).
	probeMu    sync.Mutex
	probeTS0   uint32
	probeSent  []int16
	probeHeard []int16

	measuring atomic.Bool
	sent      atomic.Uint64
	received  atomic.Uint64
	hist      []atomic.Uint64 // latency histogram, histStep buckets
}

const (
	histStep = 10 * time.Microsecond
	histLen  = 20000 // up to 200 ms
)

func (g *Gen) run(ctx context.Context) (Result, error) {
	if g.cfg.Nice > 0 {
		reniceSelf(g.cfg.Nice)
		defer reniceSelf(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for side := range 2 {
		for i := range g.pcs[side] {
			wg.Add(1)
			go func() { defer wg.Done(); g.receive(g.pcs[side][i]) }()
		}
	}
	start := time.Now()
	measureAt := start.Add(g.cfg.Warmup)
	end := measureAt.Add(g.cfg.Duration)
	var cpu0, gen0 float64
	var err error
	sendDone := make(chan error, 1)
	go func() { sendDone <- g.send(ctx, start, measureAt, end, &cpu0, &gen0) }()
	err = <-sendDone
	if err != nil {
		return Result{}, err
	}
	cpu1, err1 := processCPU(g.cfg.PID)
	gen1, _ := processCPU(os.Getpid())
	time.Sleep(300 * time.Millisecond) // let the last packets arrive
	g.Close()
	wg.Wait()
	if err1 != nil {
		return Result{}, err1
	}
	res := Result{
		Calls: len(g.calls), Seconds: g.cfg.Duration.Seconds(), RelayCPU: cpu1 - cpu0, GeneratorCPU: gen1 - gen0,
		Sent: g.sent.Load(), Received: g.received.Load(),
	}
	if res.Sent > 0 {
		res.Loss = 1 - float64(res.Received)/float64(res.Sent)
		if res.Loss < 0 {
			res.Loss = 0
		}
	}
	if res.Calls > 0 {
		res.CPUPerCallMinute = res.RelayCPU / (float64(res.Calls) * res.Seconds / 60)
	}
	res.P50, res.P99, res.Max = g.percentiles()
	res.ProbeKeyed, res.ProbeHeard = digitsIn(g.probeSent), digitsIn(g.probeHeard)
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.LoadAvg = strings.TrimSpace(string(b))
	}
	return res, nil
}

// send paces all calls in real time: the calls are spread over the 20 ms packet interval in
// 1 ms slots (real calls are not synchronised), each slot one batch per socket
// (sendmmsg).
func (g *Gen) send(ctx context.Context, start, measureAt, end time.Time, cpu0, gen0 *float64) error {
	const slots = 20
	msgs := make([][]ipv4.Message, g.cfg.Sockets*2)
	measuring := false
	for tick := 0; ; tick++ {
		for slot := range slots {
			at := start.Add(time.Duration(tick)*20*time.Millisecond + time.Duration(slot)*time.Millisecond)
			if d := time.Until(at); d > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(d):
				}
			}
			now := time.Now()
			if now.After(end) {
				return nil
			}
			if !measuring && !now.Before(measureAt) {
				measuring = true
				if len(g.calls) > 0 {
					g.probeMu.Lock()
					g.probeTS0 = g.calls[0].ts[0]
					n := int(g.cfg.Duration.Seconds()*8000) + 8000
					g.probeSent, g.probeHeard = make([]int16, n), make([]int16, n)
					g.probeMu.Unlock()
				}
				var err error
				if *cpu0, err = processCPU(g.cfg.PID); err != nil {
					return err
				}
				*gen0, _ = processCPU(os.Getpid())
				g.measuring.Store(true)
			}
			for i := range msgs {
				msgs[i] = msgs[i][:0]
			}
			stamp := now.UnixNano()
			for ci := slot; ci < len(g.calls); ci += slots {
				c := g.calls[ci]
				pkt := (tick + c.offset) % loopLen
				for side := range 2 {
					b := &c.buf[side]
					binary.BigEndian.PutUint16(b[2:], c.seq[side])
					binary.BigEndian.PutUint32(b[4:], c.ts[side])
					copy(b[12:], g.loops[side][pkt])
					if ci == 0 && side == 0 && measuring {
						g.probe(&g.probeSent, c.ts[side], b[12:])
					}
					if measuring {
						c.sentAt[side][c.seq[side]%ring].Store(stamp)
						g.sent.Add(1)
					} else {
						c.sentAt[side][c.seq[side]%ring].Store(0)
					}
					c.seq[side]++
					c.ts[side] += ptime
					k := side*g.cfg.Sockets + c.sock[side]
					msgs[k] = append(msgs[k], ipv4.Message{Buffers: [][]byte{b[:]}, Addr: c.ep[side]})
				}
			}
			for k, m := range msgs {
				pc := g.pcs[k/g.cfg.Sockets][k%g.cfg.Sockets]
				for len(m) > 0 {
					n, err := pc.WriteBatch(m, 0)
					if err != nil {
						return fmt.Errorf("loadgen: send: %w", err)
					}
					m = m[n:]
				}
			}
		}
	}
}

// receive reads what the relay forwards (recvmmsg) and records latency per packet.
func (g *Gen) receive(pc *ipv4.PacketConn) {
	msgs := make([]ipv4.Message, 64)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 1500)}
	}
	for {
		n, err := pc.ReadBatch(msgs, 0)
		if err != nil {
			return
		}
		now := time.Now().UnixNano()
		for _, m := range msgs[:n] {
			b := m.Buffers[0][:m.N]
			if len(b) < 12 || b[1]&0x7f >= 72 && b[1]&0x7f <= 76 { // RTCP
				continue
			}
			ua, ok := m.Addr.(*net.UDPAddr)
			if !ok {
				continue
			}
			id := g.byPort[ua.Port]
			if id < 0 {
				continue
			}
			ci, side := int(id/2), int(id%2)
			c := g.calls[ci]
			seq := binary.BigEndian.Uint16(b[2:])
			sent := c.sentAt[side][seq%ring].Load()
			if sent == 0 {
				continue
			}
			if lat := now - sent; lat >= 0 {
				g.received.Add(1)
				if ci == 0 && side == 0 && len(b) > 12 && b[1]&0x7f == 0 {
					g.probe(&g.probeHeard, binary.BigEndian.Uint32(b[4:]), b[12:])
				}
				g.hist[min(int(time.Duration(lat)/histStep), histLen-1)].Add(1) // last bucket: ≥ 200 ms
			}
		}
	}
}

func (g *Gen) percentiles() (p50, p99, mx time.Duration) {
	var total uint64
	for i := range g.hist {
		total += g.hist[i].Load()
	}
	if total == 0 {
		return 0, 0, 0
	}
	var acc uint64
	for i := range g.hist {
		n := g.hist[i].Load()
		if n == 0 {
			continue
		}
		acc += n
		d := time.Duration(i+1) * histStep
		if p50 == 0 && acc*2 >= total {
			p50 = d
		}
		if p99 == 0 && acc*100 >= total*99 {
			p99 = d
		}
		mx = d
	}
	return p50, p99, mx
}

// processCPU returns user+system CPU-seconds of a process from /proc/<pid>/stat.
func processCPU(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("loadgen: cpu of %d: %w", pid, err)
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("loadgen: /proc/%d/stat unreadable", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("loadgen: /proc/%d/stat short", pid)
	}
	ut, _ := strconv.ParseFloat(f[11], 64) // field 14 utime
	st, _ := strconv.ParseFloat(f[12], 64) // field 15 stime
	return (ut + st) / 100, nil            // USER_HZ is 100 on Linux
}

// audioLoops returns 10 s of 20 ms PCMU payloads for each side: speech-level noise, and on
// the customer side a burst of four key tones (70 ms on, 80 ms off, -10 dBm0) every
// digitsEvery.
func audioLoops(digitsEvery time.Duration) (cust, agent [][]byte, err error) {
	r := rand.New(rand.NewPCG(3, 4))
	mk := func(withDigits bool) ([][]byte, error) {
		s := make([]int16, loopLen*ptime)
		rms := audio.SineAmplitude(-35) / math.Sqrt2
		for i := range s {
			s[i] = audio.Saturate(r.NormFloat64() * rms)
		}
		if withDigits && digitsEvery > 0 {
			every := int(digitsEvery.Seconds() * 8000)
			for at := 8000; at+4*1200 < len(s); at += max(every, 4*1200) {
				for k, d := range []byte("4111") {
					tone, err := dtmf.DigitTone(d, -10, 0)
					if err != nil {
						return nil, err
					}
					s = dtmf.AddTone(s, 8000, at+k*1200, 560, tone)
				}
			}
		}
		out := make([][]byte, loopLen)
		for i := range out {
			out[i] = make([]byte, ptime)
			audio.EncodeUlaw(out[i], s[i*ptime:(i+1)*ptime])
		}
		return out, nil
	}
	if cust, err = mk(true); err != nil {
		return nil, nil, err
	}
	agent, err = mk(false)
	return cust, agent, err
}

// SetPID sets the process whose CPU is measured.
func (g *Gen) SetPID(pid int) { g.cfg.PID = pid }

// reniceSelf sets the niceness of every thread of this process (Linux applies
// setpriority(PRIO_PROCESS) to one thread, so each task is set).
func reniceSelf(n int) {
	dir := "/proc/self/task"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			syscall.Setpriority(syscall.PRIO_PROCESS, tid, n)
		}
	}
}

// probe writes PCMU payload at RTP timestamp ts into buf (relative to probeTS0).
func (g *Gen) probe(buf *[]int16, ts uint32, payload []byte) {
	g.probeMu.Lock()
	defer g.probeMu.Unlock()
	off := int(int32(ts - g.probeTS0))
	for i, c := range payload {
		if j := off + i; j >= 0 && j < len(*buf) {
			(*buf)[j] = audio.UlawToLinear(c)
		}
	}
}

// digitsIn returns the digits our strict detector finds in samples.
func digitsIn(samples []int16) string {
	det := dtmf.NewDetector(dtmf.DefaultDetectorConfig())
	var found []byte
	emit := func(e dtmf.Event) {
		if e.Kind == dtmf.DigitStart {
			found = append(found, e.Digit)
		}
	}
	det.Process(samples, emit)
	det.Flush(emit)
	return string(found)
}
