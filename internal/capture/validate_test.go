package capture

import (
	"errors"
	"testing"
	"time"
)

func TestValidateExpiry(t *testing.T) {
	now := time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		m, y    int
		wantErr bool
	}{
		{"1126", 11, 2026, false}, // this month is still valid
		{"1026", 0, 0, true},      // last month
		{"1226", 12, 2026, false},
		{"0130", 1, 2030, false},
		{"0046", 0, 0, true},      // month 0
		{"1330", 0, 0, true},      // month 13
		{"9999", 0, 0, true},      // not a month
		{"1146", 11, 2046, false}, // exactly 20 years ahead
		{"1246", 0, 0, true},
		{"0147", 0, 0, true},  // more than 20 years ahead
		{"1299", 0, 0, true},  // 2099
		{"0100", 0, 0, true},  // 2000
		{"123", 0, 0, true},   // too short
		{"12345", 0, 0, true}, // too long
		{"1a30", 0, 0, true},
	}
	for _, tt := range tests {
		m, y, err := ValidateExpiry([]byte(tt.in), now)
		if (err != nil) != tt.wantErr || m != tt.m || y != tt.y {
			t.Errorf("ValidateExpiry(%s) = %d, %d, %v", tt.in, m, y, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidDate) {
			t.Errorf("ValidateExpiry(%s): %v is not ErrInvalidDate", tt.in, err)
		}
	}
	// The clock is injected: the same card is expired a month later.
	if _, _, err := ValidateExpiry([]byte("1126"), now.AddDate(0, 1, 0)); err == nil {
		t.Error("1126 valid in December 2026")
	}
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{ErrInvalidCardNumber, "invalid-card-number"},
		{ErrInvalidCardType, "invalid-card-type"},
		{ErrInvalidDate, "invalid-date"},
		{ErrInvalidSecurityCode, "invalid-security-code"},
		{ErrInvalidPostalCode, "invalid-postal-code"},
		{ErrInputTimeout, "input-timeout"},
		{ErrTooManyAttempts, "too-many-attempts"},
		{errors.Join(ErrTooManyAttempts, ErrInvalidDate), "too-many-attempts"},
		{nil, ""},
		{ErrNoActiveField, ""},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
