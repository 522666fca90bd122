package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hushpay/hushpay/internal/dtmf"
)

// passedThrough returns the share of the agent's samples in [from, to) that are the
// customer's samples (delayed by the masker's delay): customer audio that got through.
func passedThrough(heard []int16, present []bool, sent []int16, delay, from, to int) float64 {
	same, n := 0, 0
	for i := from; i < to; i++ {
		if !present[i] || i-delay < 0 {
			continue
		}
		n++
		if encode1(kindPCMU, heard[i]) == encode1(kindPCMU, sent[i-delay]) {
			same++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(same) / float64(n)
}

// TestFailClosedOnUnknownPayloadType: a packet the relay cannot vouch for in secure mode
// (a payload type not negotiated, an undecodable or oversized payload) is not forwarded,
// and all customer audio is masked for FailHold after it, digits included.
func TestFailClosedOnDoubt(t *testing.T) {
	tests := []struct {
		name string
		bad  func(p *rtp.Packet)
		raw  func(b []byte) // edits the datagram after marshalling
	}{
		{"unknown payload type", func(p *rtp.Packet) { p.PayloadType = 99 }, nil},
		{"opaque codec", func(p *rtp.Packet) { p.PayloadType = 9 }, nil},
		{"oversized audio", func(p *rtp.Packet) { p.Payload = make([]byte, 1400) }, nil},
		{"broken padding", func(p *rtp.Packet) { p.Padding = true; p.PaddingSize = 1 }, func(b []byte) { b[len(b)-1] = 255 }},
		{"malformed event", func(p *rtp.Packet) { p.PayloadType = 101; p.Payload = p.Payload[:3] }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCall(t, testOptions())
			// Speech-level noise so passing audio is recognisable, a digit inside the hold.
			st := makeStream(t, 1600, 20, -30, []digitSpec{{digit: '3', atMS: 700, durMS: 90, levelDBm: -8}}, 9)
			badIdx := 30 // 600 ms
			for i := 0; i < st.packets(); i++ {
				if i == 10 {
					c.agent.waitFor(t, 10)
					if err := c.s.SetSecure(true); err != nil {
						t.Fatal(err)
					}
					// A re-negotiation in secure mode adds a codec the relay cannot decode.
					c.s.Leg(Customer).SetCodecs(append(defaultCodecs, Codec{PT: 9, Name: "G722"}))
				}
				p := st.packet(i)
				if i == badIdx {
					tt.bad(p)
					b, err := p.Marshal()
					if err != nil {
						t.Fatal(err)
					}
					if tt.raw != nil {
						tt.raw(b)
					}
					c.customer.conn.WriteToUDPAddrPort(b, c.s.Leg(Customer).LocalRTP())
					continue
				}
				c.send(t, Customer, p)
				if i%8 == 0 {
					c.agent.waitFor(t, i-1)
				}
			}
			c.agent.waitFor(t, st.packets()-1)
			time.Sleep(10 * time.Millisecond)
			got := c.agent.packets()
			for _, p := range got {
				if p.Timestamp == st.ts0+uint32(badIdx*st.ptime) {
					t.Fatalf("the doubtful packet was forwarded")
				}
			}
			if c.s.Stats().CustomerToAgent.Errors == 0 {
				t.Error("no error counted")
			}
			heard, present := agentAudioPresent(got, st.ts0, len(st.samples))
			hold := int(testOptions().FailHold * 8000 / time.Second)
			from := (badIdx + 1) * st.ptime
			if share := passedThrough(heard, present, st.samples, 160, from, from+hold-st.ptime); share > 0.02 {
				t.Errorf("%.0f%% of customer audio passed during the fail-closed hold", share*100)
			}
			// Before the doubt, speech passed (delayed), so the check above can fail.
			if share := passedThrough(heard, present, st.samples, 160, 15*st.ptime, 28*st.ptime); share < 0.9 {
				t.Errorf("only %.0f%% of customer audio passed before the doubt", share*100)
			}
			assertNoDigits(t, heard[10*st.ptime:])
			if got := c.sink.string(Customer); got != "3" {
				t.Errorf("sink got %q, want 3 (capture goes on while masking)", got)
			}
		})
	}
}

// TestFailClosedWhenFallingBehind: the relay is stalled (a slow recorder tap) in the middle of
// a call in secure mode; the customer audio that queued up meanwhile, and everything for
// FailHold after, is masked whole, and no digit keyed during the stall leaks.
func TestFailClosedWhenFallingBehind(t *testing.T) {
	opts := testOptions()
	opts.MaxLag = 120 * time.Millisecond
	stallTS := uint32(0)
	opts.Tap = TapFunc(func(from LegID, h *rtp.Header, _ []byte) {
		if from == Customer && h.Timestamp == stallTS {
			time.Sleep(300 * time.Millisecond)
		}
	})
	c := newCall(t, opts)
	st := makeStream(t, 2000, 20, -30, []digitSpec{{digit: '6', atMS: 820, durMS: 100, levelDBm: -8}}, 4)
	stallIdx := 40 // 800 ms
	stallTS = st.ts0 + uint32(stallIdx*st.ptime)
	if err := c.s.SetSecure(true); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < st.packets(); i++ { // real time
		time.Sleep(time.Until(start.Add(time.Duration(i) * 20 * time.Millisecond)))
		c.send(t, Customer, st.packet(i))
	}
	c.agent.waitFor(t, st.packets())
	time.Sleep(20 * time.Millisecond)
	if c.s.Stats().CustomerToAgent.Lagged == 0 {
		t.Fatal("no packet counted as lagging")
	}
	got := c.agent.packets()
	heard, present := agentAudioPresent(got, st.ts0, len(st.samples))
	from := (stallIdx + 2) * st.ptime
	if share := passedThrough(heard, present, st.samples, 160, from, from+8*st.ptime); share > 0.02 {
		t.Errorf("%.0f%% of customer audio passed while the relay was behind", share*100)
	}
	// Control: audio did pass before the stall (a loaded test machine may cause some
	// fail-closed masking of its own, hence the modest bar).
	if share := passedThrough(heard, present, st.samples, 160, 10*st.ptime, 38*st.ptime); share < 0.3 {
		t.Errorf("only %.0f%% of customer audio passed before the stall", share*100)
	}
	assertNoDigits(t, heard)
}

// TestHarnessFindsUnmaskedDigits is the control for the masking tests: the same checks, on
// a call never put in secure mode, must find every digit (so they can fail).
func TestHarnessFindsUnmaskedDigits(t *testing.T) {
	c := newCall(t, testOptions())
	st := makeStream(t, 1500, 20, -55, []digitSpec{
		{digit: '4', atMS: 300, durMS: 70, levelDBm: -20}, {digit: '0', atMS: 600, durMS: 70, levelDBm: -20},
	}, 2)
	for i := 0; i < st.packets(); i++ {
		c.send(t, Customer, st.packet(i))
		if i%8 == 0 {
			c.agent.waitFor(t, i)
		}
	}
	c.agent.waitFor(t, st.packets())
	heard := agentAudio(c.agent.packets(), st.ts0, len(st.samples))
	det := dtmf.NewDetector(dtmf.DefaultDetectorConfig())
	var found []byte
	det.Process(heard, func(e dtmf.Event) {
		if e.Kind == dtmf.DigitStart {
			found = append(found, e.Digit)
		}
	})
	if string(found) != "40" {
		t.Fatalf("our detector found %q in unmasked audio, want 40", found)
	}
	ref := makeStream(t, 1500, 20, -55, nil, 2)
	if maxOf(toneLevels(heard)) < maxOf(toneLevels(ref.samples))+20 {
		t.Fatal("Goertzel check does not see unmasked tones")
	}
	for name, tones := range runPeers(t, heard) {
		if len(tones) != 2 {
			t.Errorf("%s found %d digits in unmasked audio, want 2", name, len(tones))
		}
	}
}
