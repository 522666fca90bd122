package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the binary's command dispatch in-process.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// golden compares got with testdata/name, or rewrites it when HUSHPAY_UPDATE_GOLDEN=1.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("HUSHPAY_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with HUSHPAY_UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestDTMFGenerateDecode(t *testing.T) {
	dir := t.TempDir()
	wav := filepath.Join(dir, "keys.wav")
	if code, _, errs := runCLI("dtmf", "generate", "--digits", "159#ABCD*0", "--lead-ms", "20", wav); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errs)
	}
	code, out, errs := runCLI("dtmf", "decode", wav)
	if code != 0 {
		t.Fatalf("decode: exit %d: %s", code, errs)
	}
	golden(t, "dtmf_decode.golden", out)
	code, out, _ = runCLI("dtmf", "decode", "--json", wav)
	if code != 0 {
		t.Fatal("decode --json failed")
	}
	golden(t, "dtmf_decode_json.golden", strings.ReplaceAll(out, dir, "DIR"))

	// Every encoding and rate decodes to the same digits.
	for _, f := range []string{"pcm16", "ulaw", "alaw"} {
		for _, r := range []string{"8000", "16000", "22050", "44100", "48000"} {
			p := filepath.Join(dir, f+r+".wav")
			if code, _, errs := runCLI("dtmf", "generate", "--digits", "4711#", "--format", f, "--rate", r, "--tone-ms", "50", "--gap-ms", "50", "--level", "-25", p); code != 0 {
				t.Fatalf("%s %s: exit %d: %s", f, r, code, errs)
			}
			_, out, _ := runCLI("dtmf", "decode", p)
			var digits []string
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				if f := strings.Split(l, "\t"); len(f) == 3 {
					digits = append(digits, f[2])
				}
			}
			if got := strings.Join(digits, ""); got != "4711#" {
				t.Errorf("%s at %s Hz decodes as %q:\n%s", f, r, got, out)
			}
		}
	}
}

func TestDTMFScan(t *testing.T) {
	dir := t.TempDir()
	gen := func(name, digits string, extra ...string) {
		args := append([]string{"dtmf", "generate", "--digits", digits}, extra...)
		if code, _, errs := runCLI(append(args, filepath.Join(dir, name))...); code != 0 {
			t.Fatalf("generate %s: %s", name, errs)
		}
	}
	gen("ivr.wav", "1", "--lead-ms", "500")
	if code, out, _ := runCLI("dtmf", "scan", dir); code != 0 || !strings.Contains(out, "0 with card-like") {
		t.Fatalf("clean directory: exit %d\n%s", code, out)
	}
	gen("call1.wav", "4111111111111111#", "--format", "ulaw")
	gen("call2.wav", "5555555555554444122812", "--rate", "16000", "--gap-ms", "100")
	gen("call3.wav", "4111111111111112#") // fails Luhn
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not audio"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI("dtmf", "scan", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1 (card-like found)", code)
	}
	if strings.Contains(out, "4111111111111111") || strings.Contains(out, "5555555555554444") {
		t.Errorf("scan report shows a whole card number:\n%s", out)
	}
	golden(t, "dtmf_scan.golden", strings.ReplaceAll(out, dir, "DIR"))

	// A recording cut short is scanned as far as it goes, with a warning.
	b, err := os.ReadFile(filepath.Join(dir, "call1.wav"))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.wav")
	if err := os.WriteFile(cut, b[:len(b)-1000], 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCLI("dtmf", "scan", cut); code != 1 || !strings.Contains(out, "warning") || !strings.Contains(out, "CARD-LIKE") {
		t.Errorf("truncated file: exit %d\n%s", code, out)
	}

	// An unreadable file, and nothing card-like: exit 2.
	bad := filepath.Join(dir, "broken.wav")
	if err := os.WriteFile(bad, []byte("RIFF\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCLI("dtmf", "scan", bad, filepath.Join(dir, "ivr.wav")); code != 2 || !strings.Contains(out, "truncated") {
		t.Errorf("broken file: exit %d\n%s", code, out)
	}
}

func TestDTMFUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"dtmf"}, 2, "Usage"},
		{[]string{"dtmf", "nope"}, 2, "unknown subcommand"},
		{[]string{"dtmf", "decode"}, 2, "Usage"},
		{[]string{"dtmf", "decode", "/nonexistent.wav"}, 1, "no such file"},
		{[]string{"dtmf", "generate", "out.wav"}, 2, "Usage"},
		{[]string{"dtmf", "generate", "--digits", "12x", filepath.Join(t.TempDir(), "o.wav")}, 1, "not a DTMF digit"},
		{[]string{"dtmf", "generate", "--digits", "1", "--format", "mp3", "o.wav"}, 1, "unsupported"},
		{[]string{"dtmf", "generate", "--digits", "1", "--rate", "12345", "o.wav"}, 1, "--rate"},
		{[]string{"dtmf", "generate", "--digits", "1", "--level", "0", "o.wav"}, 1, "clips"},
		{[]string{"dtmf", "scan"}, 2, "Usage"},
	}
	for _, tc := range tests {
		code, _, errs := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.msg)
		}
	}
}
