package audio

import "errors"

var (
	// ErrNotWAV means the input is not a RIFF/WAVE file.
	ErrNotWAV = errors.New("audio: not a WAV file")
	// ErrTruncated means the file ends before the end its headers announce.
	ErrTruncated = errors.New("audio: truncated WAV file")
	// ErrUnsupported means a well-formed WAV file in a format this package does not read
	// (encoding, channel count, sample size or sample rate).
	ErrUnsupported = errors.New("audio: unsupported WAV format")
	// ErrBadRate means a sample rate that cannot be resampled to the requested rate.
	ErrBadRate = errors.New("audio: unsupported sample rate")
)
