package capture

import (
	"fmt"
	"time"
)

// ValidatePAN checks a complete card number: known brand, allowed by list (empty: all),
// length for the brand, and Luhn where the brand uses it. It returns the brand, or
// ErrInvalidCardType / ErrInvalidCardNumber.
func ValidatePAN(pan []byte, allowed []Brand) (Brand, error) {
	for _, c := range pan {
		if c < '0' || c > '9' {
			return BrandUnknown, ErrInvalidCardNumber
		}
	}
	if len(pan) < MinPANLength || len(pan) > MaxPANLength {
		return DetectBrand(pan), ErrInvalidCardNumber
	}
	b := DetectBrand(pan)
	if !b.Valid() {
		return b, ErrInvalidCardType
	}
	if !b.Allowed(allowed) {
		return b, fmt.Errorf("%w: %s not accepted", ErrInvalidCardType, b)
	}
	if !b.validLength(len(pan)) {
		return b, fmt.Errorf("%w: wrong length for %s", ErrInvalidCardNumber, b)
	}
	if brandInfo[b].luhn && !Luhn(pan) {
		return b, fmt.Errorf("%w: check digit", ErrInvalidCardNumber)
	}
	return b, nil
}

// MaxExpiryYears is how far in the future an expiry may be.
const MaxExpiryYears = 20

// ValidateExpiry checks four digits MMYY: a real month, not before now's month (a card is
// valid to the end of its expiry month) and at most MaxExpiryYears ahead. It returns the
// month (1–12) and the four-digit year, or ErrInvalidDate.
func ValidateExpiry(mmyy []byte, now time.Time) (month, year int, err error) {
	if len(mmyy) != 4 {
		return 0, 0, fmt.Errorf("%w: want MMYY", ErrInvalidDate)
	}
	m, ok1 := prefixValue(mmyy[:2], 2)
	y, ok2 := prefixValue(mmyy[2:], 2)
	if !ok1 || !ok2 || m < 1 || m > 12 {
		return 0, 0, fmt.Errorf("%w: not a month", ErrInvalidDate)
	}
	now = now.UTC()
	century := now.Year() / 100 * 100
	year = century + y
	if year < now.Year()-50 { // two-digit years wrap at the century
		year += 100
	}
	cur := now.Year()*12 + int(now.Month()) - 1
	exp := year*12 + m - 1
	if exp < cur {
		return 0, 0, fmt.Errorf("%w: expired", ErrInvalidDate)
	}
	if exp > cur+MaxExpiryYears*12 {
		return 0, 0, fmt.Errorf("%w: too far ahead", ErrInvalidDate)
	}
	return m, year, nil
}

// ValidateSecurityCode checks the security code's length for the brand (4 for Amex, else 3).
func ValidateSecurityCode(cvv []byte, b Brand) error {
	if len(cvv) != b.SecurityCodeLength() || !allDigits(cvv) {
		return fmt.Errorf("%w: want %d digits", ErrInvalidSecurityCode, b.SecurityCodeLength())
	}
	return nil
}

func allDigits(d []byte) bool {
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
