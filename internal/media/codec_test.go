package media

import (
	"errors"
	"testing"
)

func TestCodecTable(t *testing.T) {
	a, err := newCodecTable([]Codec{{PT: 0, Name: "PCMU"}, {PT: 101, Name: "telephone-event"}, {PT: 13, Name: "CN"}, {PT: 9, Name: "G722"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.kinds[0] != kindPCMU || a.kinds[101] != kindEvent || a.kinds[13] != kindCN || a.kinds[9] != kindOpaque || a.kinds[8] != kindUnknown {
		t.Fatalf("kinds %v %v %v %v", a.kinds[0], a.kinds[101], a.kinds[13], a.kinds[9])
	}
	if err := a.maskable(); !errors.Is(err, ErrCodecNotMaskable) {
		t.Fatalf("maskable with G.722: %v", err)
	}
	var nilTable *codecTable
	if err := nilTable.maskable(); !errors.Is(err, ErrNoCodecs) {
		t.Fatal(err)
	}
	b, _ := newCodecTable([]Codec{{PT: 0, Name: "PCMU"}, {PT: 96, Name: "telephone-event", ClockRate: 8000}, {PT: 9, Name: "g722"}})
	m := newPTMap(a, b)
	if m[101] != 96 || m[0] != 0 || m[9] != 9 || m[13] != 13 || m[55] != 55 {
		t.Fatalf("map 101→%d 0→%d 9→%d 13→%d", m[101], m[0], m[9], m[13])
	}
	if r := newPTMap(b, a); r[96] != 101 {
		t.Fatalf("reverse 96→%d", r[96])
	}
}

func TestG711RoundTrip(t *testing.T) {
	for _, k := range []kind{kindPCMU, kindPCMA} {
		for b := 0; b < 256; b++ {
			v := decode1(k, byte(b))
			if decode1(k, encode1(k, v)) != v {
				t.Fatalf("kind %d byte %#x does not survive decode/encode", k, b)
			}
		}
	}
}
