package media

import (
	"fmt"
	"strings"

	"github.com/hushpay/hushpay/internal/audio"
)

// Codec is one payload type negotiated for a leg (from its SDP rtpmap).
type Codec struct {
	PT        uint8  // RTP payload type, 0-127
	Name      string // encoding name as in SDP: PCMU, PCMA, telephone-event, CN, or any other
	ClockRate uint32 // clock rate in Hz; 0 means the RFC 3551 default (8000 for PCMU/PCMA/CN)
}

// Well-known payload types (RFC 3551 §6).
const (
	PTPCMU uint8 = 0
	PTPCMA uint8 = 8
	PTCN   uint8 = 13
)

// kind is what the relay knows how to do with a payload type.
type kind uint8

const (
	kindUnknown kind = iota // not negotiated: fails closed in secure mode
	kindPCMU                // G.711 µ-law
	kindPCMA                // G.711 A-law
	kindEvent               // RFC 4733 telephone-event
	kindCN                  // RFC 3389 comfort noise
	kindOpaque              // negotiated but not decodable here (G.722, Opus, ...)
)

func (k kind) audio() bool { return k == kindPCMU || k == kindPCMA }

func kindOf(c Codec) kind {
	rate := c.ClockRate
	switch strings.ToUpper(c.Name) {
	case "PCMU":
		if rate == 0 || rate == 8000 {
			return kindPCMU
		}
	case "PCMA":
		if rate == 0 || rate == 8000 {
			return kindPCMA
		}
	case "TELEPHONE-EVENT":
		if rate == 0 || rate == 8000 {
			return kindEvent
		}
	case "CN":
		if rate == 0 || rate == 8000 {
			return kindCN
		}
	}
	return kindOpaque
}

// codecTable is the immutable payload-type table of one leg.
type codecTable struct {
	set    bool
	kinds  [128]kind
	names  [128]string
	rates  [128]uint32
	codecs []Codec
}

func newCodecTable(codecs []Codec) (*codecTable, error) {
	t := &codecTable{set: true, codecs: append([]Codec(nil), codecs...)}
	for _, c := range codecs {
		if c.PT > 127 {
			return nil, fmt.Errorf("%w: payload type %d", ErrBadCodec, c.PT)
		}
		if t.kinds[c.PT] != kindUnknown {
			return nil, fmt.Errorf("%w: payload type %d listed twice", ErrBadCodec, c.PT)
		}
		t.kinds[c.PT] = kindOf(c)
		t.names[c.PT] = strings.ToUpper(c.Name)
		t.rates[c.PT] = c.ClockRate
		if t.rates[c.PT] == 0 {
			t.rates[c.PT] = 8000
		}
	}
	return t, nil
}

// maskable reports whether every audio codec of the leg can be decoded, so that secure mode
// can guarantee that no tone passes.
func (t *codecTable) maskable() error {
	if t == nil || !t.set {
		return ErrNoCodecs
	}
	audio := false
	for _, c := range t.codecs {
		switch kindOf(c) {
		case kindOpaque:
			return fmt.Errorf("%w: %s/%d (payload type %d); only PCMU and PCMA can be masked", ErrCodecNotMaskable, c.Name, t.rates[c.PT], c.PT)
		case kindPCMU, kindPCMA:
			audio = true
		}
	}
	if !audio {
		return fmt.Errorf("%w: no PCMU or PCMA negotiated", ErrCodecNotMaskable)
	}
	return nil
}

// ptMap maps payload types of one leg to the other leg's numbers for the same codec, so a
// dynamic telephone-event type 101 on one side can be 96 on the other.
type ptMap [128]uint8

func newPTMap(from, to *codecTable) *ptMap {
	var m ptMap
	for i := range m {
		m[i] = uint8(i)
	}
	if from == nil || to == nil || !from.set || !to.set {
		return &m
	}
	for _, c := range from.codecs {
		if to.names[c.PT] == from.names[c.PT] && to.rates[c.PT] == from.rates[c.PT] {
			continue // same number on both sides
		}
		for _, d := range to.codecs {
			if to.names[d.PT] == from.names[c.PT] && to.rates[d.PT] == from.rates[c.PT] {
				m[c.PT] = d.PT
				break
			}
		}
	}
	return &m
}

// decode turns G.711 bytes into linear samples (ITU-T G.711).
func decode(k kind, dst []int16, src []byte) {
	if k == kindPCMA {
		audio.DecodeAlaw(dst, src)
		return
	}
	audio.DecodeUlaw(dst, src)
}

// encode turns linear samples into G.711 bytes.
func encode(k kind, dst []byte, src []int16) {
	if k == kindPCMA {
		audio.EncodeAlaw(dst, src)
		return
	}
	audio.EncodeUlaw(dst, src)
}

func decode1(k kind, b byte) int16 {
	if k == kindPCMA {
		return audio.AlawToLinear(b)
	}
	return audio.UlawToLinear(b)
}

func encode1(k kind, v int16) byte {
	if k == kindPCMA {
		return audio.LinearToAlaw(v)
	}
	return audio.LinearToUlaw(v)
}
