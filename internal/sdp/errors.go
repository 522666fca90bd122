package sdp

import "errors"

// Sentinel errors of package sdp. Parse wraps ErrMalformed with the line and the reason.
var (
	// ErrMalformed means the description is not valid SDP (a missing or misplaced mandatory
	// line, a bad m= or c= line, a line that is not "x=value").
	ErrMalformed = errors.New("sdp: malformed description")

	// ErrTooLarge means the description is longer than MaxSize or has more lines than
	// MaxLines; it is refused before parsing.
	ErrTooLarge = errors.New("sdp: description too large")

	// ErrNoAudio means the description has no usable audio media line.
	ErrNoAudio = errors.New("sdp: no audio stream")
)
