package store

import (
	"fmt"

	"github.com/hushpay/hushpay/internal/capture"
)

// checkNoCard returns ErrCardData when any string argument of a write holds a run of 12 to
// 19 digits (possibly separated by spaces or dashes) that passes the Luhn check: the shape
// of a card number. The schema has no column for card data; this is the second line of
// defence against a free-text field (description, error text, event data) carrying one.
//
// A masked card number ("424242******4242") never matches: its digit runs are at most six.
func checkNoCard(args ...any) error {
	for i, a := range args {
		var s string
		switch v := a.(type) {
		case string:
			s = v
		case []byte:
			s = string(v)
		default:
			continue
		}
		if LooksLikeCard(s) {
			return fmt.Errorf("%w (argument %d)", ErrCardData, i+1)
		}
	}
	return nil
}

// LooksLikeCard reports whether s holds a run of 12 to 19 digits (possibly separated by
// single spaces or dashes) that starts like a card number (2 to 6, ISO/IEC 7812-1 major
// industry identifiers of the card brands) and passes the Luhn check. Whole runs only, so
// that long numbers of another kind are not taken for a card by chance.
// The API uses it to reject input the store would refuse to keep.
func LooksLikeCard(s string) bool {
	var digits [19]byte
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		// Collect the run starting at i.
		n := 0
		j := i
		for j < len(s) {
			c := s[j]
			if isDigit(c) {
				if n < len(digits) {
					digits[n] = c
				}
				n++
				j++
				continue
			}
			if (c == ' ' || c == '-') && j+1 < len(s) && isDigit(s[j+1]) {
				j++
				continue
			}
			break
		}
		if n >= 12 && n <= 19 && digits[0] >= '2' && digits[0] <= '6' && capture.Luhn(digits[:n]) {
			return true
		}
		i = j
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
