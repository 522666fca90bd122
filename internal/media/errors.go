package media

import "errors"

// Sentinel errors of the media relay. Callers branch on them with errors.Is.
var (
	// ErrClosed is returned by operations on a session that was closed.
	ErrClosed = errors.New("media: session closed")

	// ErrNoPorts means the configured port range has no free pair of ports left.
	ErrNoPorts = errors.New("media: no free ports in the configured range")

	// ErrNoCodecs means secure mode was asked for before the customer leg's codecs were set:
	// without them the relay cannot know whether it can decode the audio.
	ErrNoCodecs = errors.New("media: customer leg codecs not set")

	// ErrCodecNotMaskable means the customer leg may send audio the relay cannot decode
	// (only PCMU and PCMA can be masked), so secure mode is refused rather than letting tones
	// pass silently.
	ErrCodecNotMaskable = errors.New("media: customer leg codec cannot be masked")

	// ErrBadCodec means a codec description is invalid (payload type out of range, or one
	// payload type listed twice).
	ErrBadCodec = errors.New("media: invalid codec")

	// ErrBadDigit means a digit handed to the relay is not 0-9, *, #, A-D.
	ErrBadDigit = errors.New("media: invalid digit")

	// ErrBadConfig means the relay options are out of range.
	ErrBadConfig = errors.New("media: invalid options")

	// ErrMalformed means a packet from the network could not be parsed.
	ErrMalformed = errors.New("media: malformed packet")
)
