package capture

import (
	"fmt"
	"time"
)

// Rules configure a Machine: how fields end, time out and are retried, which brands are
// accepted and how the card number is masked.
type Rules struct {
	// Terminator is the key that ends a field before its full length: '#' or '*'.
	Terminator byte
	// Timeout ends an attempt when no key arrives for this long (0: never).
	Timeout time.Duration
	// MaxAttempts is how many attempts each field gets (at least 1).
	MaxAttempts int
	// AllowedBrands restricts the brands accepted (empty: every known brand).
	AllowedBrands []Brand
	// MaskStyle chooses the masked form of a complete card number.
	MaskStyle MaskStyle
	// NoAutoAdvance stops the machine from starting the next field when one completes;
	// the caller then starts each field with Start.
	NoAutoAdvance bool
}

// DefaultRules returns the defaults: '#' terminator, 10 s timeout, 3 attempts, every
// brand, last four digits shown, automatic advance.
func DefaultRules() Rules {
	return Rules{Terminator: '#', Timeout: 10 * time.Second, MaxAttempts: 3, MaskStyle: MaskLast4}
}

func (r Rules) check() error {
	if r.Terminator != '#' && r.Terminator != '*' {
		return fmt.Errorf("%w: terminator %q: want # or *", ErrBadRules, r.Terminator)
	}
	if r.Timeout < 0 {
		return fmt.Errorf("%w: negative timeout", ErrBadRules)
	}
	if r.MaxAttempts < 1 {
		return fmt.Errorf("%w: max attempts %d: want at least 1", ErrBadRules, r.MaxAttempts)
	}
	switch r.MaskStyle {
	case MaskLast4, MaskFirst6Last4, "":
	default:
		return fmt.Errorf("%w: mask style %q: want last4 or first6last4", ErrBadRules, r.MaskStyle)
	}
	for _, b := range r.AllowedBrands {
		if !b.Valid() {
			return fmt.Errorf("%w: unknown brand %q", ErrBadRules, b)
		}
	}
	return nil
}

// MaxFieldLength is the longest generic digit field.
const MaxFieldLength = 32

// FieldSpec describes one field to collect.
type FieldSpec struct {
	// Name of the field: one of the Field constants, or any other name (letters, digits,
	// '_') for a generic digit field.
	Name FieldName
	// MinLength and MaxLength bound the number of digits of a postal code (defaults 1 and
	// 10) or a generic field (defaults 1 and MaxFieldLength: it ends with the terminator).
	// The card fields ignore them. The field ends by itself at MaxLength.
	MinLength, MaxLength int
	// Clear shows a postal code or generic field's digits to the agent; by default they
	// are shown as asterisks. The card fields ignore it.
	Clear bool
}

// Specs returns plain FieldSpecs (default lengths, masked) for the named fields.
func Specs(names ...FieldName) []FieldSpec {
	out := make([]FieldSpec, len(names))
	for i, n := range names {
		out[i] = FieldSpec{Name: n}
	}
	return out
}

func (s *FieldSpec) normalise() error {
	if s.Name == "" || len(s.Name) > 64 {
		return fmt.Errorf("%w: field name %q", ErrBadRules, s.Name)
	}
	for _, c := range []byte(s.Name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("%w: field name %q", ErrBadRules, s.Name)
		}
	}
	switch s.Name {
	case FieldCardNumber:
		s.MinLength, s.MaxLength, s.Clear = MinPANLength, MaxPANLength, false
	case FieldExpiry:
		s.MinLength, s.MaxLength, s.Clear = 4, 4, true
	case FieldSecurityCode:
		s.MinLength, s.MaxLength, s.Clear = 3, 4, false
	case FieldPostalCode:
		if s.MaxLength == 0 {
			s.MaxLength = 10
		}
		if s.MinLength == 0 {
			s.MinLength = 1
		}
	default:
		if s.MinLength == 0 {
			s.MinLength = 1
		}
		if s.MaxLength == 0 {
			s.MaxLength = MaxFieldLength
		}
	}
	if s.MaxLength < 1 || s.MaxLength > MaxFieldLength || s.MinLength < 1 || s.MinLength > s.MaxLength {
		return fmt.Errorf("%w: field %s: lengths %d..%d", ErrBadRules, s.Name, s.MinLength, s.MaxLength)
	}
	return nil
}
