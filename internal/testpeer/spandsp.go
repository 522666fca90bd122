package testpeer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Tone is one digit found by a peer decoder, with times in milliseconds.
type Tone struct {
	StartMS, EndMS float64
	Digit          byte
}

var (
	spandspOnce sync.Once
	spandspPath string
	spandspErr  error
)

// SpandspSource returns the path of the spandsp decoder's C source.
func SpandspSource() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "spandsp", "dtmfdecode.c")
}

// BuildSpandsp compiles the spandsp decoder (needs gcc and Debian's libspandsp-dev) into dir
// and returns the binary's path.
func BuildSpandsp(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "spandsp-dtmfdecode")
	cmd := exec.CommandContext(ctx, "gcc", "-O2", "-o", out, SpandspSource(), "-lspandsp", "-lm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build spandsp decoder: %w: %s", err, b)
	}
	return out, nil
}

// Spandsp returns the path of the spandsp decoder, built once per test binary, or
// skips/fails t when gcc or libspandsp-dev is missing.
func Spandsp(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		Missing(t, "gcc not on PATH (Debian package gcc), needed to build the spandsp decoder")
	}
	if _, err := os.Stat("/usr/include/spandsp/dtmf.h"); err != nil {
		Missing(t, "spandsp headers missing (Debian package libspandsp-dev)")
	}
	spandspOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hushpay-spandsp-")
		if err != nil {
			spandspErr = err
			return
		}
		spandspPath, spandspErr = BuildSpandsp(context.Background(), dir)
	})
	if spandspErr != nil {
		t.Fatal(spandspErr)
	}
	return spandspPath
}

// DecodeSpandsp runs the spandsp decoder over 8 kHz linear samples.
func DecodeSpandsp(ctx context.Context, bin string, samples []int16) ([]Tone, error) {
	cmd := exec.CommandContext(ctx, bin, "-")
	cmd.Stdin = bytes.NewReader(pcmBytes(samples))
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("spandsp decoder: %w", err)
	}
	return parseTones(out)
}

// Multimon returns the path of multimon-ng, or skips/fails t when it is missing.
func Multimon(t testing.TB) string {
	t.Helper()
	return LookPath(t, "multimon-ng", "multimon-ng")
}

// DecodeMultimon runs multimon-ng's DTMF decoder over 8 kHz linear samples. multimon-ng
// reports digits without times, so only Digit is set.
func DecodeMultimon(ctx context.Context, bin string, samples []int16) ([]Tone, error) {
	// multimon-ng reads raw 22.05 kHz s16le; resample by linear interpolation.
	const outRate = 22050
	n := len(samples) * outRate / 8000
	up := make([]int16, n)
	for i := range up {
		x := float64(i) * 8000 / outRate
		j := int(x)
		f := x - float64(j)
		a := float64(samples[j])
		b := a
		if j+1 < len(samples) {
			b = float64(samples[j+1])
		}
		up[i] = int16(a + (b-a)*f)
	}
	cmd := exec.CommandContext(ctx, bin, "-q", "-c", "-a", "DTMF", "-t", "raw", "-")
	cmd.Stdin = bytes.NewReader(pcmBytes(up))
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("multimon-ng: %w", err)
	}
	var tones []Tone
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if d, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "DTMF: "); ok && len(d) == 1 {
			tones = append(tones, Tone{Digit: d[0]})
		}
	}
	return tones, nil
}

func pcmBytes(samples []int16) []byte {
	b := make([]byte, 2*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}

func parseTones(out []byte) ([]Tone, error) {
	var tones []Tone
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 || len(f[2]) != 1 {
			return nil, fmt.Errorf("unexpected decoder line %q", sc.Text())
		}
		s, err1 := strconv.ParseFloat(f[0], 64)
		e, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("unexpected decoder line %q", sc.Text())
		}
		tones = append(tones, Tone{StartMS: s, EndMS: e, Digit: f[2][0]})
	}
	return tones, sc.Err()
}
