package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

func sineSamples(n, rate int, freq, dBm0 float64) []int16 {
	a := SineAmplitude(dBm0)
	s := make([]int16, n)
	for i := range s {
		s[i] = Saturate(a * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return s
}

func TestWAVRoundTrip(t *testing.T) {
	in := sineSamples(801, 8000, 1000, -10) // odd length exercises the pad byte
	for _, f := range []Format{PCM16, Ulaw, Alaw} {
		for _, rate := range []int{8000, 16000, 22050, 44100, 48000} {
			var buf bytes.Buffer
			if err := WriteWAV(&buf, rate, f, in); err != nil {
				t.Fatal(err)
			}
			s, err := ReadWAV(&buf)
			if err != nil {
				t.Fatalf("%v %d: %v", f, rate, err)
			}
			if s.Rate != rate || s.Format != f || len(s.Samples) != len(in) {
				t.Fatalf("%v %d: read rate %d format %v %d samples", f, rate, s.Rate, s.Format, len(s.Samples))
			}
			for i, x := range in {
				want := x
				switch f {
				case Ulaw:
					want = UlawToLinear(LinearToUlaw(x))
				case Alaw:
					want = AlawToLinear(LinearToAlaw(x))
				}
				if s.Samples[i] != want {
					t.Fatalf("%v %d: sample %d = %d, want %d", f, rate, i, s.Samples[i], want)
				}
			}
		}
	}
}

func wavHeader(tag, channels uint16, rate uint32, bits uint16, dataLen uint32) []byte {
	le := binary.LittleEndian
	b := []byte("RIFF")
	b = le.AppendUint32(b, 36+dataLen)
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, tag)
	b = le.AppendUint16(b, channels)
	b = le.AppendUint32(b, rate)
	b = le.AppendUint32(b, rate*uint32(channels)*uint32(bits)/8)
	b = le.AppendUint16(b, channels*bits/8)
	b = le.AppendUint16(b, bits)
	b = append(b, "data"...)
	return le.AppendUint32(b, dataLen)
}

func TestReadWAVErrors(t *testing.T) {
	good := wavHeader(1, 1, 8000, 16, 4)
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrNotWAV},
		{"text", []byte("hello, this is not audio at all"), ErrNotWAV},
		{"mp3", []byte("ID3\x04\x00\x00\x00\x00\x00\x00"), ErrNotWAV},
		{"riff header cut", []byte("RIFF\x00\x00"), ErrTruncated},
		{"no chunks", []byte("RIFF\x04\x00\x00\x00WAVE"), ErrTruncated},
		{"fmt cut", good[:30], ErrTruncated},
		{"data cut", append(append([]byte{}, good...), 1, 2), ErrTruncated},
		{"stereo", wavHeader(1, 2, 8000, 16, 0), ErrUnsupported},
		{"8-bit pcm", wavHeader(1, 1, 8000, 8, 0), ErrUnsupported},
		{"float", wavHeader(3, 1, 8000, 32, 0), ErrUnsupported},
		{"gsm", wavHeader(0x31, 1, 8000, 0, 0), ErrUnsupported},
		{"odd rate", wavHeader(1, 1, 12345, 16, 0), ErrUnsupported},
		{"big endian", []byte("RIFX\x00\x00\x00\x00WAVE"), ErrUnsupported},
	}
	for _, tc := range tests {
		_, err := ReadWAV(bytes.NewReader(tc.in))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestReadWAVTruncatedKeepsSamples(t *testing.T) {
	b := append(wavHeader(1, 1, 8000, 16, 100), 1, 0, 2, 0, 3)
	s, err := ReadWAV(bytes.NewReader(b))
	if !errors.Is(err, ErrTruncated) || s == nil || len(s.Samples) != 2 || s.Samples[1] != 2 {
		t.Fatalf("got %+v, %v", s, err)
	}
}

func TestReadWAVStreamingSize(t *testing.T) {
	b := append(wavHeader(7, 1, 8000, 8, 0xFFFFFFFF), 0xFF, 0x80, 0x00)
	s, err := ReadWAV(bytes.NewReader(b))
	if err != nil || len(s.Samples) != 3 || s.Samples[1] != 32124 {
		t.Fatalf("got %+v, %v", s, err)
	}
}

func TestReadWAVSkipsChunksAndExtensible(t *testing.T) {
	le := binary.LittleEndian
	b := []byte("RIFF\x00\x00\x00\x00WAVE")
	b = append(b, "LIST"...)
	b = le.AppendUint32(b, 3)
	b = append(b, 'a', 'b', 'c', 0) // odd chunk with pad byte
	b = append(b, "fmt "...)
	b = le.AppendUint32(b, 40)
	b = le.AppendUint16(b, 0xFFFE)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint32(b, 16000)
	b = le.AppendUint32(b, 32000)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 16)
	b = le.AppendUint16(b, 22)
	b = le.AppendUint16(b, 16)
	b = le.AppendUint32(b, 4) // channel mask
	b = append(b, 1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71)
	b = append(b, "data"...)
	b = le.AppendUint32(b, 4)
	b = append(b, 0x10, 0, 0xF0, 0xFF)
	s, err := ReadWAV(bytes.NewReader(b))
	if err != nil || s.Rate != 16000 || len(s.Samples) != 2 || s.Samples[0] != 16 || s.Samples[1] != -16 {
		t.Fatalf("got %+v, %v", s, err)
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range []Format{PCM16, Ulaw, Alaw} {
		g, err := ParseFormat(f.String())
		if err != nil || g != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f.String(), g, err)
		}
	}
	if _, err := ParseFormat("mp3"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("ParseFormat(mp3) err = %v", err)
	}
}

func FuzzReadWAV(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteWAV(&buf, 8000, PCM16, []int16{1, -1, 300})
	f.Add(buf.Bytes())
	buf.Reset()
	_ = WriteWAV(&buf, 16000, Ulaw, []int16{1, -1, 300})
	f.Add(buf.Bytes())
	f.Add(wavHeader(6, 1, 44100, 8, 0xFFFFFFFF))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ReadWAV(bytes.NewReader(b))
		if err == nil && s == nil {
			t.Fatal("nil sound without error")
		}
		if err != nil && !errors.Is(err, ErrNotWAV) && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("unclassified error %v", err)
		}
		if err == nil && len(s.Samples) > len(b) {
			t.Fatalf("%d samples from %d bytes", len(s.Samples), len(b))
		}
	})
}
