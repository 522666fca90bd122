package store

import "testing"

func TestLooksLikeCard(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"4242424242424242", true},
		{"card 4242 4242 4242 4242 end", true},
		{"5555-5555-5555-4444", true},
		{"378282246310005", true},
		{"4000000000000002", true},
		{"x6011111111111117y", true},
		{"424242******4242", false},
		{"************4242", false},
		{"4242424242424241", false}, // fails Luhn
		{"1234567812345670", false}, // starts with 1
		{"12345", false},
		{"2026-11-21T12:00:00.123456789Z", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := LooksLikeCard(tt.in); got != tt.want {
			t.Errorf("LooksLikeCard(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzLooksLikeCard(f *testing.F) {
	for _, s := range []string{"4242424242424242", "4242 4242", "", "9999999999999999999999", "1-2-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = LooksLikeCard(s) // must not panic on any input
	})
}
