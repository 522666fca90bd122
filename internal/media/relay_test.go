package media

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hushpay/hushpay/internal/audio"
	"github.com/hushpay/hushpay/internal/dtmf"
	"github.com/hushpay/hushpay/internal/testpeer"
)

// scenario is one customer stream through a session, with secure mode switched on and off
// at given moments.
type scenario struct {
	name        string
	ptimeMS     int
	lossPct     float64 // single-packet losses
	reorderPct  float64 // a packet swapped with the next (jitter)
	noiseDBm0   float64
	digits      []digitSpec
	onMS, offMS float64 // secure mode on and off (snapped to packet boundaries)
	events      bool    // each digit also sent as RFC 4733 events (dual transport)
	eventsOnly  bool    // digits only as RFC 4733 events, no audio meanwhile
	wantSecure  string  // customer digits the sink must report, in order, exactly once
	maybe       string  // digits straddling a switch: reported at most once
	totalMS     float64
	jumpMS      float64 // from here on: new SSRC, sequence and timestamp jump (stream change)
}

func TestRelayMasksInSecureMode(t *testing.T) {
	seq := func(s string, startMS, stepMS, durMS, level, twist float64) []digitSpec {
		var d []digitSpec
		for i := 0; i < len(s); i++ {
			d = append(d, digitSpec{digit: s[i], atMS: startMS + float64(i)*stepMS, durMS: durMS, levelDBm: level, twistDB: twist})
		}
		return d
	}
	tests := []scenario{
		{name: "20ms clean", ptimeMS: 20, noiseDBm0: -60, digits: seq("4111", 1200, 150, 70, -10, 0),
			onMS: 1000, offMS: 2200, wantSecure: "4111", totalMS: 3000},
		{name: "10ms weak normal twist 2% loss jitter", ptimeMS: 10, lossPct: 2, reorderPct: 3, noiseDBm0: -55,
			digits: seq("1234567890", 700, 160, 80, -24, -6), onMS: 500, offMS: 2600, wantSecure: "1234567890", totalMS: 3000},
		{name: "30ms loud reverse twist 5% loss", ptimeMS: 30, lossPct: 5, noiseDBm0: -50,
			digits: seq("*#0", 600, 240, 120, -4, 4), onMS: 300, offMS: 1500, wantSecure: "*#0", totalMS: 2100},
		{name: "40ms 1% loss short tones", ptimeMS: 40, lossPct: 1, noiseDBm0: -55,
			digits: seq("9876", 800, 200, 50, -15, -3), onMS: 400, offMS: 1900, wantSecure: "9876", totalMS: 2400},
		{name: "tones and events count once", ptimeMS: 20, lossPct: 1, noiseDBm0: -55, events: true,
			digits: seq("5555", 600, 200, 80, -12, 0), onMS: 400, offMS: 1600, wantSecure: "5555", totalMS: 2000},
		{name: "events only", ptimeMS: 20, noiseDBm0: -55, eventsOnly: true,
			digits: seq("372", 600, 200, 80, -12, 0), onMS: 400, offMS: 1400, wantSecure: "372", totalMS: 1800},
		{name: "switch mid digit", ptimeMS: 20, lossPct: 2, noiseDBm0: -55,
			digits: append(seq("8", 480, 0, 120, -10, 0), append(seq("642", 800, 180, 70, -10, 0), seq("1", 1520, 0, 120, -10, 0)...)...),
			onMS:   520, offMS: 1560, wantSecure: "642", maybe: "81", totalMS: 2000},
	}
	for _, sc := range tests {
		t.Run(sc.name, func(t *testing.T) { runScenario(t, sc, testOptions()) })
	}
}

// runScenario streams sc through a session and checks masking, capture and transparency.
func runScenario(t *testing.T, sc scenario, opts Options) {
	t.Helper()
	c := newCall(t, opts)
	st := makeStream(t, sc.totalMS, sc.ptimeMS, sc.noiseDBm0, nil, 11)
	tones := makeStream(t, sc.totalMS, sc.ptimeMS, sc.noiseDBm0, sc.digits, 11)
	if !sc.eventsOnly {
		st = tones
	}
	r := rand.New(rand.NewPCG(uint64(len(sc.name)), 3))
	ptime := st.ptime
	onIdx, offIdx := int(sc.onMS*8)/ptime, int(sc.offMS*8)/ptime

	type evState struct {
		snd  dtmf.EventSender
		end  int // packet index where the key is released
		seqs []dtmf.EventPacket
	}
	// Event packets to send at each packet index.
	evAt := map[int][]dtmf.EventPacket{}
	eventIdx := map[int]bool{} // packet indices whose audio is replaced by events
	if sc.events || sc.eventsOnly {
		for _, d := range sc.digits {
			startIdx := int(d.atMS*8) / ptime
			endIdx := int((d.atMS+d.durMS)*8) / ptime
			s := dtmf.EventSender{Interval: uint16(ptime), Volume: 10}
			first, err := s.Start(d.digit, st.ts0+uint32(startIdx*ptime))
			if err != nil {
				t.Fatal(err)
			}
			evAt[startIdx] = append(evAt[startIdx], first)
			for i := startIdx + 1; i <= endIdx; i++ {
				evAt[i] = s.Next(evAt[i])
				if sc.eventsOnly {
					eventIdx[i] = true
				}
			}
			evAt[endIdx+1] = s.End(evAt[endIdx+1])
			if sc.eventsOnly {
				eventIdx[startIdx] = true
				eventIdx[endIdx+1] = true
			}
		}
	}

	var sent int
	sentAudio := map[uint16][]byte{} // seq → payload, for transparency
	var sentSeqs []uint16
	seq := st.seq0
	sync := func() {
		deadline := time.Now().Add(3 * time.Second)
		for c.s.Stats().CustomerToAgent.Received < uint64(sent) && time.Now().Before(deadline) {
			time.Sleep(200 * time.Microsecond)
		}
	}
	var held *rtp.Packet
	flush := func() {
		if held != nil {
			c.send(t, Customer, held)
			sent++
			held = nil
		}
	}
	const tsJump, seqJump = 77777, 5000
	jumpIdx := -1
	if sc.jumpMS > 0 {
		jumpIdx = int(sc.jumpMS*8) / ptime
	}
	var onTS, offTS uint32
	for i := 0; i < st.packets(); i++ {
		if i == onIdx || i == offIdx {
			flush()
			sync()
			if err := c.s.SetSecure(i == onIdx); err != nil {
				t.Fatal(err)
			}
			if i == onIdx {
				onTS = st.ts0 + uint32(i*ptime)
			} else {
				offTS = st.ts0 + uint32(i*ptime)
			}
		}
		var out []*rtp.Packet
		if !eventIdx[i] {
			p := st.packet(i)
			p.SequenceNumber = seq
			seq++
			out = append(out, p)
		}
		for _, e := range evAt[i] {
			pl := make([]byte, 4)
			if _, err := e.Event.MarshalTo(pl); err != nil {
				t.Fatal(err)
			}
			out = append(out, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: e.Timestamp, SSRC: st.ssrc, Marker: e.Marker}, Payload: pl})
			seq++
		}
		for _, p := range out {
			if jumpIdx >= 0 && i >= jumpIdx {
				p.SSRC++
				p.Timestamp += tsJump
				p.SequenceNumber += seqJump
			}
			if i > 2 && r.Float64()*100 < sc.lossPct && held == nil {
				continue // lost
			}
			if i < onIdx && p.PayloadType == 0 {
				sentAudio[p.SequenceNumber] = p.Payload
			}
			sentSeqs = append(sentSeqs, p.SequenceNumber)
			if held == nil && r.Float64()*100 < sc.reorderPct && i+1 != onIdx && i+1 != offIdx {
				held = p
				continue
			}
			c.send(t, Customer, p)
			sent++
			flush()
		}
		if i%16 == 0 {
			sync()
		}
	}
	flush()
	sync()
	c.agent.waitFor(t, int(c.s.Stats().CustomerToAgent.Sent))
	time.Sleep(20 * time.Millisecond)
	got := c.agent.packets()
	for i := range got { // undo the stream change for the analysis
		if got[i].SSRC == st.ssrc+1 {
			got[i].Timestamp -= tsJump
			got[i].SequenceNumber -= seqJump
		}
	}

	// (c) Before secure mode: bit-identical.
	matched := 0
	for _, p := range got {
		if want, ok := sentAudio[p.SequenceNumber]; ok {
			if !bytes.Equal(p.Payload, want) || p.SSRC != st.ssrc || p.PayloadType != 0 {
				t.Fatalf("packet %d altered outside secure mode", p.SequenceNumber)
			}
			matched++
		}
	}
	if matched != len(sentAudio) {
		t.Errorf("outside secure mode %d of %d packets arrived", matched, len(sentAudio))
	}

	// (a) While secure: nothing a detector can find, no tone energy above the noise floor.
	n := len(st.samples)
	heard, present := agentAudioPresent(got, st.ts0, n)
	from, to := int(onTS-st.ts0), int(offTS-st.ts0)
	window := heard[from:to]
	if sc.eventsOnly || sc.events {
		for _, p := range got {
			if p.PayloadType == 101 && int32(p.Timestamp-onTS) >= 0 && int32(p.Timestamp-offTS) < 0 {
				t.Errorf("telephone-event packet (ts %d) reached the agent in secure mode", p.Timestamp)
			}
		}
	}
	switch opts.Mask.Mode {
	case dtmf.MaskDigit:
		assertOnlyDigit(t, window, opts.Mask.Digit)
	default:
		assertNoDigits(t, window)
	}
	ref := makeStream(t, sc.totalMS, sc.ptimeMS, sc.noiseDBm0, nil, 11)
	floor := maxOf(toneLevels(ref.samples[from:to]))
	if opts.Mask.Mode == dtmf.MaskNoise || opts.Mask.Mode == dtmf.MaskDigit {
		floor = 0 // the masking signal itself has energy in the band; the detectors decide
	}
	if lvs := toneLevels(window, present[from:to]); maxOf(lvs) > floor+6 {
		for i, lv := range lvs {
			if lv > floor+6 {
				t.Errorf("tone energy at a DTMF frequency in secure mode at %.0f ms: %.1f dBm0, noise floor %.1f dBm0", sc.onMS+float64(i)*10, lv, floor)
			}
		}
	}

	// (b) The sink got each secure digit exactly once.
	gotDigits := c.sink.string(Customer)
	stripped := gotDigits
	for _, m := range sc.maybe {
		if strings.Count(stripped, string(m)) > 1 {
			t.Errorf("straddling digit %q reported more than once: %q", m, gotDigits)
		}
		stripped = strings.Replace(stripped, string(m), "", 1)
	}
	if stripped != sc.wantSecure {
		t.Errorf("sink got customer digits %q, want %q (plus at most once %q)", gotDigits, sc.wantSecure, sc.maybe)
	}
	if a := c.sink.string(Agent); a != "" {
		t.Errorf("sink got agent digits %q", a)
	}
	if st := c.s.Stats(); st.LateMarkedSamples != 0 {
		t.Errorf("tone gate marked %d samples after they were sent", st.LateMarkedSamples)
	}

	// After secure mode the relay is transparent again: the tail of the stream decodes to
	// the input (delay drained).
	if tail := heard[n-ptime*5:]; !bytes.Equal(pcmu(tail), pcmu(st.samples[n-ptime*5:])) {
		a, b := pcmu(tail), pcmu(st.samples[n-ptime*5:])
		for i := range a { // G.711 has two zeros: compare decoded values
			if decode1(kindPCMU, a[i]) == decode1(kindPCMU, b[i]) {
				a[i] = b[i]
			}
		}
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		if i < len(a) {
			t.Errorf("relay not transparent again after secure mode: first difference at sample %d of the last %d", i, len(a))
		}
	}
	_ = sentSeqs
}

func pcmu(s []int16) []byte {
	b := make([]byte, len(s))
	for i, v := range s {
		b[i] = encode1(kindPCMU, v)
	}
	return b
}

// assertNoDigits runs our detector, multimon-ng and spandsp over agent-side audio.
func assertNoDigits(t *testing.T, s []int16) {
	t.Helper()
	det := dtmf.NewDetector(dtmf.DefaultDetectorConfig())
	var found []byte
	emit := func(e dtmf.Event) {
		if e.Kind == dtmf.DigitStart {
			found = append(found, e.Digit)
		}
	}
	det.Process(s, emit)
	det.Flush(emit)
	if len(found) > 0 {
		t.Errorf("our detector found %q in agent-side audio while secure", found)
	}
	for name, tones := range runPeers(t, s) {
		if len(tones) > 0 {
			t.Errorf("%s found %s in agent-side audio while secure", name, toneString(tones))
		}
	}
}

// assertOnlyDigit: in mask mode digit, the detectors find nothing but the mask digit.
func assertOnlyDigit(t *testing.T, s []int16, mask byte) {
	t.Helper()
	det := dtmf.NewDetector(dtmf.DefaultDetectorConfig())
	det.Process(s, func(e dtmf.Event) {
		if e.Kind == dtmf.DigitStart && e.Digit != mask {
			t.Errorf("our detector found %q in agent-side audio while secure (mask %q)", e.Digit, mask)
		}
	})
	for name, tones := range runPeers(t, s) {
		for _, x := range tones {
			if x.Digit != mask {
				t.Errorf("%s found %q in agent-side audio while secure (mask %q)", name, x.Digit, mask)
			}
		}
	}
}

// TestMaskModes runs a call with digits through every masking signal.
func TestMaskModes(t *testing.T) {
	sc := scenario{name: "modes", ptimeMS: 20, lossPct: 1, noiseDBm0: -55,
		digits: []digitSpec{{digit: '2', atMS: 500, durMS: 80, levelDBm: -10}, {digit: '9', atMS: 700, durMS: 80, levelDBm: -10}, {digit: '2', atMS: 900, durMS: 80, levelDBm: -10}},
		onMS:   300, offMS: 1300, wantSecure: "292", totalMS: 1700}
	for _, mode := range []dtmf.MaskMode{dtmf.MaskTone, dtmf.MaskDigit, dtmf.MaskSilence, dtmf.MaskNoise} {
		t.Run(string(mode), func(t *testing.T) {
			opts := testOptions()
			opts.Mask = dtmf.MaskConfig{Mode: mode, Digit: '#', FreqHz: 440, LevelDBm0: -20}
			runScenario(t, sc, opts)
		})
	}
}

// runPeers decodes audio with multimon-ng and spandsp.
func runPeers(t *testing.T, s []int16) map[string][]testpeer.Tone {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[string][]testpeer.Tone{}
	mm, err := testpeer.DecodeMultimon(ctx, testpeer.Multimon(t), s)
	if err != nil {
		t.Fatal(err)
	}
	out["multimon-ng"] = mm
	sp, err := testpeer.DecodeSpandsp(ctx, testpeer.Spandsp(t), s)
	if err != nil {
		t.Fatal(err)
	}
	out["spandsp"] = sp
	return out
}

func toneString(tones []testpeer.Tone) string {
	var b strings.Builder
	for _, x := range tones {
		fmt.Fprintf(&b, "%c@%.0fms ", x.Digit, x.StartMS)
	}
	return b.String()
}

// TestCodecSwitchWhileSecure: the customer switches between PCMU and PCMA mid-call (both
// negotiated) while secure; held samples are re-encoded for the new codec and nothing leaks.
func TestCodecSwitchWhileSecure(t *testing.T) {
	c := newCall(t, testOptions())
	st := makeStream(t, 2000, 20, -55, []digitSpec{
		{digit: '1', atMS: 390, durMS: 80, levelDBm: -10}, {digit: '5', atMS: 800, durMS: 80, levelDBm: -10},
		{digit: '9', atMS: 1190, durMS: 90, levelDBm: -10},
	}, 3)
	if err := c.s.SetSecure(true); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < st.packets(); i++ {
		p := st.packet(i)
		if (i/10)%2 == 1 { // every other 200 ms in PCMA
			p.PayloadType = PTPCMA
			audio.EncodeAlaw(p.Payload, st.samples[i*st.ptime:(i+1)*st.ptime])
		}
		c.send(t, Customer, p)
		if i%8 == 0 {
			c.agent.waitFor(t, i)
		}
	}
	c.agent.waitFor(t, st.packets())
	heard := agentAudio(c.agent.packets(), st.ts0, len(st.samples))
	assertNoDigits(t, heard)
	if got := c.sink.string(Customer); got != "159" {
		t.Fatalf("sink got %q, want 159", got)
	}
}

// TestEntryAndExitAreSmooth: the delay inserted on entry and removed on exit leaves no step
// in a continuous tone (no click): the largest sample-to-sample change in what the agent
// hears stays that of the tone itself.
func TestEntryAndExitAreSmooth(t *testing.T) {
	c := newCall(t, testOptions())
	st := &stream{ptime: 160, ssrc: 5, ts0: 1000, seq0: 1}
	amp := audio.SineAmplitude(-10)
	st.samples = make([]int16, 8000*2)
	for i := range st.samples {
		// 372.7 Hz: at entry (500 ms) and exit (1 s) the joins fall mid-cycle, and dropping the
		// 161 samples of delay there jumps half a cycle: any step would show.
		st.samples[i] = int16(amp * math.Sin(2*math.Pi*372.7*float64(i)/8000))
	}
	for i := 0; i < st.packets(); i++ {
		switch i {
		case 25:
			c.agent.waitFor(t, i)
			if err := c.s.SetSecure(true); err != nil {
				t.Fatal(err)
			}
		case 50:
			c.agent.waitFor(t, i)
			if err := c.s.SetSecure(false); err != nil {
				t.Fatal(err)
			}
			time.Sleep(350 * time.Millisecond) // past the drain timeout: the delay goes at once
		}
		c.send(t, Customer, st.packet(i))
		if i%8 == 0 {
			c.agent.waitFor(t, i)
		}
	}
	c.agent.waitFor(t, st.packets())
	heard := agentAudio(c.agent.packets(), st.ts0, len(st.samples))
	limit := amp * 2 * math.Pi * 372.7 / 8000 * 1.3 // the tone's own steepest step, with room for G.711

	for i := 1; i < len(heard); i++ {
		if d := math.Abs(float64(heard[i]) - float64(heard[i-1])); d > limit {
			t.Fatalf("step of %.0f at %.1f ms (tone's own steepest %.0f)", d, float64(i)/8, limit/1.3)
		}
	}
	d := c.s.dirs[Customer]
	d.mu.Lock()
	state := d.state()
	d.mu.Unlock()
	if state != maskOff {
		t.Fatal("delay not drained")
	}
}
