package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Format is the sample encoding of a WAV file.
type Format uint8

// The encodings ReadWAV and WriteWAV handle (all mono).
const (
	PCM16 Format = iota + 1 // linear 16-bit little-endian (WAVE_FORMAT_PCM)
	Ulaw                    // G.711 μ-law, 8 bits (WAVE_FORMAT_MULAW)
	Alaw                    // G.711 A-law, 8 bits (WAVE_FORMAT_ALAW)
)

// String returns the name used on the command line: pcm16, ulaw or alaw.
func (f Format) String() string {
	switch f {
	case PCM16:
		return "pcm16"
	case Ulaw:
		return "ulaw"
	case Alaw:
		return "alaw"
	}
	return fmt.Sprintf("format(%d)", uint8(f))
}

// ParseFormat maps pcm16, ulaw and alaw to a Format.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "pcm16", "pcm", "s16":
		return PCM16, nil
	case "ulaw", "mulaw", "pcmu":
		return Ulaw, nil
	case "alaw", "pcma":
		return Alaw, nil
	}
	return 0, fmt.Errorf("%w: encoding %q (want pcm16, ulaw or alaw)", ErrUnsupported, s)
}

// SupportedRates are the sample rates ReadWAV accepts and Resample converts to 8 kHz.
var SupportedRates = []int{8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000}

func rateSupported(r int) bool {
	for _, s := range SupportedRates {
		if s == r {
			return true
		}
	}
	return false
}

// Sound is decoded mono audio: linear 16-bit samples at Rate, and the encoding it was read
// from.
type Sound struct {
	Rate    int
	Format  Format
	Samples []int16
}

// WAVE format tags (RFC 2361).
const (
	tagPCM        = 0x0001
	tagAlaw       = 0x0006
	tagUlaw       = 0x0007
	tagExtensible = 0xFFFE
)

// maxChunk bounds the chunks other than data that ReadWAV reads into memory.
const maxChunk = 1 << 20

// ReadWAV reads a mono WAV file (PCM16, μ-law or A-law at one of SupportedRates) and returns
// its samples in linear form. Errors wrap ErrNotWAV, ErrTruncated or ErrUnsupported. When the
// data chunk is cut short, ReadWAV returns the whole samples it did read together with an
// error wrapping ErrTruncated. A data chunk size of 0 or 0xFFFFFFFF (written by streaming
// recorders that never patched the header) means "up to the end of the file".
func ReadWAV(r io.Reader) (*Sound, error) {
	var hdr [12]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if n >= 4 && string(hdr[:4]) != "RIFF" && string(hdr[:4]) != "RIFX" {
			return nil, ErrNotWAV
		}
		if n < 4 {
			return nil, fmt.Errorf("%w: %d bytes", ErrNotWAV, n)
		}
		return nil, fmt.Errorf("%w: RIFF header", ErrTruncated)
	}
	if string(hdr[:4]) == "RIFX" && string(hdr[8:12]) == "WAVE" {
		return nil, fmt.Errorf("%w: big-endian RIFX", ErrUnsupported)
	}
	if string(hdr[:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, ErrNotWAV
	}
	var (
		s      Sound
		haveFm bool
		chunk  [8]byte
	)
	for {
		if _, err := io.ReadFull(r, chunk[:]); err != nil {
			if errors.Is(err, io.EOF) {
				if !haveFm {
					return nil, fmt.Errorf("%w: no fmt chunk", ErrTruncated)
				}
				return nil, fmt.Errorf("%w: no data chunk", ErrTruncated)
			}
			return nil, fmt.Errorf("%w: chunk header", ErrTruncated)
		}
		id := string(chunk[:4])
		size := binary.LittleEndian.Uint32(chunk[4:])
		switch id {
		case "fmt ":
			if size < 16 || size > maxChunk {
				return nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrNotWAV, size)
			}
			b := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, b); err != nil {
				if size%2 == 1 && len(b) > 0 && errors.Is(err, io.ErrUnexpectedEOF) {
					return nil, fmt.Errorf("%w: fmt chunk", ErrTruncated)
				}
				return nil, fmt.Errorf("%w: fmt chunk", ErrTruncated)
			}
			if err := s.parseFmt(b[:size]); err != nil {
				return nil, err
			}
			haveFm = true
		case "data":
			if !haveFm {
				return nil, fmt.Errorf("%w: data chunk before fmt chunk", ErrNotWAV)
			}
			return s.readData(r, size)
		default:
			if _, err := io.CopyN(io.Discard, r, int64(size)+int64(size%2)); err != nil {
				return nil, fmt.Errorf("%w: %q chunk", ErrTruncated, id)
			}
		}
	}
}

func (s *Sound) parseFmt(b []byte) error {
	tag := binary.LittleEndian.Uint16(b[0:])
	channels := binary.LittleEndian.Uint16(b[2:])
	rate := binary.LittleEndian.Uint32(b[4:])
	bits := binary.LittleEndian.Uint16(b[14:])
	if tag == tagExtensible {
		if len(b) < 40 {
			return fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes", ErrNotWAV, len(b))
		}
		tag = binary.LittleEndian.Uint16(b[24:]) // first field of the sub-format GUID
	}
	switch {
	case tag == tagPCM && bits == 16:
		s.Format = PCM16
	case tag == tagUlaw && bits == 8:
		s.Format = Ulaw
	case tag == tagAlaw && bits == 8:
		s.Format = Alaw
	case tag == tagPCM || tag == tagUlaw || tag == tagAlaw:
		return fmt.Errorf("%w: %d-bit samples for format tag %#x", ErrUnsupported, bits, tag)
	default:
		return fmt.Errorf("%w: format tag %#x (want PCM16, μ-law or A-law)", ErrUnsupported, tag)
	}
	if channels != 1 {
		return fmt.Errorf("%w: %d channels (only mono)", ErrUnsupported, channels)
	}
	if rate > 1<<20 || !rateSupported(int(rate)) {
		return fmt.Errorf("%w: %d Hz", ErrUnsupported, rate)
	}
	s.Rate = int(rate)
	return nil
}

func (s *Sound) readData(r io.Reader, size uint32) (*Sound, error) {
	var buf bytes.Buffer
	var err error
	toEOF := size == 0 || size == 0xFFFFFFFF
	if toEOF {
		_, err = buf.ReadFrom(r)
	} else {
		var n int64
		n, err = io.CopyN(&buf, r, int64(size))
		if err == nil && n < int64(size) {
			err = io.ErrUnexpectedEOF
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("read data: %w", err)
	}
	b := buf.Bytes()
	if s.Format == PCM16 {
		odd := len(b) % 2
		b = b[:len(b)-odd]
		s.Samples = make([]int16, len(b)/2)
		for i := range s.Samples {
			s.Samples[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
		if odd == 1 && err == nil {
			err = io.ErrUnexpectedEOF
		}
	} else {
		s.Samples = make([]int16, len(b))
		if s.Format == Ulaw {
			DecodeUlaw(s.Samples, b)
		} else {
			DecodeAlaw(s.Samples, b)
		}
	}
	if err != nil {
		return s, fmt.Errorf("%w: data chunk announces %d bytes, file holds %d", ErrTruncated, size, buf.Len())
	}
	return s, nil
}

// WriteWAV writes mono samples as a WAV file at rate in the given encoding.
func WriteWAV(w io.Writer, rate int, f Format, samples []int16) error {
	if rate <= 0 || rate > 1<<20 {
		return fmt.Errorf("%w: %d Hz", ErrBadRate, rate)
	}
	var (
		tag   uint16
		bytes int
	)
	switch f {
	case PCM16:
		tag, bytes = tagPCM, 2
	case Ulaw:
		tag, bytes = tagUlaw, 1
	case Alaw:
		tag, bytes = tagAlaw, 1
	default:
		return fmt.Errorf("%w: %v", ErrUnsupported, f)
	}
	dataLen := len(samples) * bytes
	fmtLen := 16
	if f != PCM16 {
		fmtLen = 18 // non-PCM formats carry cbSize
	}
	total := 4 + 8 + fmtLen + 8 + dataLen + dataLen%2
	if f != PCM16 {
		total += 12 // fact chunk, required for non-PCM formats
	}
	out := make([]byte, 0, 8+total)
	le := binary.LittleEndian
	out = append(out, "RIFF"...)
	out = le.AppendUint32(out, uint32(total))
	out = append(out, "WAVE"...)
	out = append(out, "fmt "...)
	out = le.AppendUint32(out, uint32(fmtLen))
	out = le.AppendUint16(out, tag)
	out = le.AppendUint16(out, 1)
	out = le.AppendUint32(out, uint32(rate))
	out = le.AppendUint32(out, uint32(rate*bytes))
	out = le.AppendUint16(out, uint16(bytes))
	out = le.AppendUint16(out, uint16(8*bytes))
	if f != PCM16 {
		out = le.AppendUint16(out, 0)
		out = append(out, "fact"...)
		out = le.AppendUint32(out, 4)
		out = le.AppendUint32(out, uint32(len(samples)))
	}
	out = append(out, "data"...)
	out = le.AppendUint32(out, uint32(dataLen))
	switch f {
	case PCM16:
		for _, s := range samples {
			out = le.AppendUint16(out, uint16(s))
		}
	case Ulaw:
		n := len(out)
		out = out[:n+len(samples)]
		EncodeUlaw(out[n:], samples)
	case Alaw:
		n := len(out)
		out = out[:n+len(samples)]
		EncodeAlaw(out[n:], samples)
	}
	if dataLen%2 == 1 {
		out = append(out, 0)
	}
	_, err := w.Write(out)
	return err
}
