package logging

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// Known test card numbers, written as people and programs write them.
var testPANs = []string{"4242424242424242", "4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "6011111111111117", "3056930009020004"}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no digits here", "no digits here"},
		{"call 12345", "call 12345"},
		{"amount 1999 GBP ref 00012345678", "amount 1999 GBP ref 00012345678"},
		{"pan 4242424242424242 end", "pan [REDACTED] end"},
		{"pan 4111 1111 1111 1111.", "pan [REDACTED]."},
		{"x5555-5555-5555-4444x", "x[REDACTED]x"},
		{"two 378282246310005,6011111111111117", "two [REDACTED],[REDACTED]"},
		{"12 digits 123456789012", "12 digits [REDACTED]"},
		{"date 2026-11-21 time 12:00", "date 2026-11-21 time 12:00"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

type cardish struct{ Number string }

func TestHandlerNeverPrintsPAN(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		log, err := New(&buf, format, "debug")
		if err != nil {
			t.Fatal(err)
		}
		for _, pan := range testPANs {
			log.Info("captured "+pan, "value", pan, "err", fmt.Errorf("gateway said: card %s declined", pan),
				"struct", cardish{pan}, "bytes", []byte(pan), "pan", "1234", slog.Group("g", "inner", pan))
			log.With("w", pan).WithGroup("grp").Debug("x", "y", pan)
		}
		log.Info("sensitive key", "cvv", "123", "security_code", "1234")
		out := buf.String()
		for _, pan := range testPANs {
			digits := strings.NewReplacer(" ", "", "-", "").Replace(pan)
			if strings.Contains(out, pan) || strings.Contains(out, digits) {
				t.Fatalf("%s output contains %s:\n%s", format, pan, out)
			}
		}
		if strings.Contains(out, "123\"") || strings.Contains(out, "=123 ") || strings.Contains(out, "1234") {
			t.Fatalf("%s output contains a security code:\n%s", format, out)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, "xml", "info"); err == nil {
		t.Error("format xml accepted")
	}
	if _, err := New(&bytes.Buffer{}, "text", "loud"); err == nil {
		t.Error("level loud accepted")
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range append(testPANs, "", "1", "a-1-2", "4242 4242 4242 424") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Redact(s)
		n := 0
		for i := 0; i < len(out); i++ {
			if isDigit(out[i]) {
				n++
				if n >= minCardDigits {
					t.Fatalf("Redact(%q) = %q keeps a long digit run", s, out)
				}
			} else if !(isSep(out[i]) && n > 0 && i+1 < len(out) && isDigit(out[i+1])) {
				n = 0
			}
		}
	})
}
