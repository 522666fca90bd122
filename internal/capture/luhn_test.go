package capture

import "testing"

func TestLuhn(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"4242424242424242", true},
		{"4242424242424241", false},
		{"378282246310005", true},
		{"79927398713", true},
		{"79927398710", false},
		{"0", false},
		{"", false},
		{"00", true},
		{"42a2", false},
	}
	for _, tt := range tests {
		if got := Luhn([]byte(tt.in)); got != tt.want {
			t.Errorf("Luhn(%s) = %v", tt.in, got)
		}
	}
}
