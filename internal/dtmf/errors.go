package dtmf

import "errors"

var (
	// ErrShortPayload means an RFC 4733 payload shorter than the 4 bytes of one event.
	ErrShortPayload = errors.New("dtmf: telephone-event payload shorter than 4 bytes")
	// ErrBufferTooSmall means a MarshalTo buffer cannot hold the encoding.
	ErrBufferTooSmall = errors.New("dtmf: buffer too small")
	// ErrBadDigit means a character that is not one of the 16 DTMF keys.
	ErrBadDigit = errors.New("dtmf: not a DTMF digit")
	// ErrBadVolume means an RFC 4733 volume outside 0-63.
	ErrBadVolume = errors.New("dtmf: volume outside 0-63")
	// ErrBadSIPInfo means a SIP INFO body that does not carry a DTMF signal.
	ErrBadSIPInfo = errors.New("dtmf: malformed SIP INFO DTMF body")
	// ErrBadContentType means a SIP INFO content type other than application/dtmf-relay or
	// application/dtmf.
	ErrBadContentType = errors.New("dtmf: unsupported SIP INFO content type")
	// ErrBadMaskConfig means a MaskConfig that cannot produce a masking signal.
	ErrBadMaskConfig = errors.New("dtmf: invalid mask configuration")
	// ErrBadDuration means a key press duration that cannot be encoded (zero or negative).
	ErrBadDuration = errors.New("dtmf: invalid duration")
)
