package media

import "github.com/pion/rtp"

// Tap sees every packet a session sends, after masking and rewriting, in both directions:
// what the agent and the customer really receive. It is the recorder's input. In secure mode
// it never sees an unmasked customer tone, because it sits after the masker in the chain.
//
// Packet is called from a media goroutine with buffers that are reused as soon as it
// returns: copy what you keep, and do not block (a slow tap delays the call and, in secure
// mode, makes the relay fail closed). It must not call Session.Close.
type Tap interface {
	Packet(from LegID, h *rtp.Header, payload []byte)
}

// TapFunc adapts a function to Tap.
type TapFunc func(from LegID, h *rtp.Header, payload []byte)

// Packet calls f.
func (f TapFunc) Packet(from LegID, h *rtp.Header, payload []byte) { f(from, h, payload) }
