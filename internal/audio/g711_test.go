package audio

import (
	"math"
	"testing"
)

// Reference values from ITU-T G.711 / G.191 (the 16-bit values are the 14- and 13-bit
// decision values scaled to 16 bits).
func TestG711Reference(t *testing.T) {
	ulaw := []struct {
		code byte
		lin  int16
	}{
		{0xFF, 0}, {0x7F, 0}, {0x80, 32124}, {0x00, -32124},
		{0xFE, 8}, {0x7E, -8}, {0xF0, 120}, {0xEF, 132}, {0x8F, 16764},
		{0x1E, -8828}, {0x0B, -20860}, {0x9E, 8828}, {0x8B, 20860},
	}
	for _, c := range ulaw {
		if got := UlawToLinear(c.code); got != c.lin {
			t.Errorf("μ-law %#02x decodes to %d, want %d", c.code, got, c.lin)
		}
	}
	alaw := []struct {
		code byte
		lin  int16
	}{
		{0xD5, 8}, {0x55, -8}, {0xAA, 32256}, {0x2A, -32256},
		{0xD4, 24}, {0xC5, 264}, {0xA5, 16896},
		{0x34, -8960}, {0x21, -20992}, {0xB4, 8960}, {0xA1, 20992},
	}
	for _, c := range alaw {
		if got := AlawToLinear(c.code); got != c.lin {
			t.Errorf("A-law %#02x decodes to %d, want %d", c.code, got, c.lin)
		}
	}
	enc := []struct {
		lin        int16
		ulaw, alaw byte
	}{
		{0, 0xFF, 0xD5}, {-1, 0x7F, 0x55}, {32767, 0x80, 0xAA}, {-32768, 0x00, 0x2A},
		{8828, 0x9E, 0xB4}, {-8828, 0x1E, 0x34},
	}
	for _, c := range enc {
		if got := LinearToUlaw(c.lin); got != c.ulaw {
			t.Errorf("μ-law(%d) = %#02x, want %#02x", c.lin, got, c.ulaw)
		}
		if got := LinearToAlaw(c.lin); got != c.alaw {
			t.Errorf("A-law(%d) = %#02x, want %#02x", c.lin, got, c.alaw)
		}
	}
}

// The digital milliwatt sequences of ITU-T G.711 Tables 5 and 6 are a 1 kHz sine at 0 dBm0.
func TestG711DigitalMilliwatt(t *testing.T) {
	for _, c := range []struct {
		name   string
		seq    []byte
		decode func([]int16, []byte)
	}{
		{"ulaw", []byte{0x1E, 0x0B, 0x0B, 0x1E, 0x9E, 0x8B, 0x8B, 0x9E}, DecodeUlaw},
		{"alaw", []byte{0x34, 0x21, 0x21, 0x34, 0xB4, 0xA1, 0xA1, 0xB4}, DecodeAlaw},
	} {
		lin := make([]int16, len(c.seq))
		c.decode(lin, c.seq)
		if got := LevelDBm0(lin); math.Abs(got) > 0.1 {
			t.Errorf("%s digital milliwatt measures %.3f dBm0, want 0 ± 0.1", c.name, got)
		}
	}
}

func TestG711RoundTrip(t *testing.T) {
	for i := range 256 {
		b := byte(i)
		if got := LinearToUlaw(UlawToLinear(b)); got != b && b != 0x7F {
			t.Errorf("μ-law %#02x round-trips to %#02x", b, got)
		}
		if got := LinearToAlaw(AlawToLinear(b)); got != b {
			t.Errorf("A-law %#02x round-trips to %#02x", b, got)
		}
	}
	// Quantisation error stays within half a step, and expansion is monotonic.
	for x := -32768; x <= 32767; x++ {
		s := int16(x)
		for _, c := range []struct {
			name string
			enc  func(int16) byte
			dec  func(byte) int16
		}{{"μ-law", LinearToUlaw, UlawToLinear}, {"A-law", LinearToAlaw, AlawToLinear}} {
			y := int(c.dec(c.enc(s)))
			step := 8
			if a := abs(x); a >= 256 {
				step = 1 << (bitsLen(a) - 4)
			}
			if d := abs(y - x); d > step+132 && abs(x) < 32124 {
				t.Fatalf("%s(%d) decodes to %d", c.name, x, y)
			}
		}
	}
	var prevU, prevA int16 = -32768, -32768
	for _, b := range ulawOrder() {
		v := UlawToLinear(b)
		if v < prevU {
			t.Fatalf("μ-law expansion not monotonic at %#02x", b)
		}
		prevU = v
	}
	for _, b := range alawOrder() {
		v := AlawToLinear(b)
		if v < prevA {
			t.Fatalf("A-law expansion not monotonic at %#02x", b)
		}
		prevA = v
	}
}

func TestG711Slices(t *testing.T) {
	in := []int16{0, 100, -100, 32767, -32768, 1234}
	u := make([]byte, len(in))
	a := make([]byte, len(in))
	EncodeUlaw(u, in)
	EncodeAlaw(a, in)
	du := make([]int16, len(in)+3)
	da := make([]int16, len(in)+3)
	DecodeUlaw(du, u)
	DecodeAlaw(da, a)
	for i, x := range in {
		if u[i] != LinearToUlaw(x) || a[i] != LinearToAlaw(x) {
			t.Fatalf("slice encode differs at %d", i)
		}
		if du[i] != UlawToLinear(u[i]) || da[i] != AlawToLinear(a[i]) {
			t.Fatalf("slice decode differs at %d", i)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { EncodeUlaw(u, in); DecodeAlaw(da, a) }); allocs != 0 {
		t.Errorf("G.711 allocates %v times", allocs)
	}
}

// ulawOrder lists μ-law code words from the most negative value to the most positive.
func ulawOrder() []byte {
	var o []byte
	for b := 0; b < 0x80; b++ {
		o = append(o, byte(b))
	}
	for b := 0xFF; b >= 0x80; b-- {
		o = append(o, byte(b))
	}
	return o
}

// alawOrder lists A-law code words (sign bit set = positive, even bits inverted) in order.
func alawOrder() []byte {
	var neg, pos []byte
	for m := 0x7F; m >= 0; m-- {
		neg = append(neg, byte(m)^0x55)
	}
	for m := 0; m <= 0x7F; m++ {
		pos = append(pos, byte(0x80|m)^0x55)
	}
	return append(neg, pos...)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func bitsLen(x int) int {
	n := 0
	for x > 0 {
		n++
		x >>= 1
	}
	return n
}

func BenchmarkEncodeUlaw(b *testing.B) {
	in := make([]int16, 160)
	out := make([]byte, 160)
	for i := range in {
		in[i] = int16(i * 200)
	}
	b.SetBytes(160)
	for b.Loop() {
		EncodeUlaw(out, in)
	}
}
