// Package logging builds Hushpay's log/slog handlers. Every handler it makes redacts card
// data: runs of digits long enough to be a card number, and the values of attributes whose
// key names a card field, are replaced before anything is written. Card types already log
// only their masked form; this handler is the second line of defence for everything else.
package logging

import (
	"strings"
)

// Redacted replaces anything the handler removes.
const Redacted = "[REDACTED]"

// minCardDigits is the shortest digit run treated as a possible card number. Card numbers
// are 12 to 19 digits; any run of 12 or more is removed, whether or not it passes Luhn, so
// that a mistyped card number is redacted as well.
const minCardDigits = 12

// sensitiveKeys are attribute keys whose values are never printed, whatever they hold.
var sensitiveKeys = []string{"pan", "cvv", "cvc", "cvv2", "card", "card_number", "cardnumber",
	"security_code", "securitycode", "track", "track1", "track2", "digits"}

// SensitiveKey reports whether an attribute key names card data.
func SensitiveKey(key string) bool {
	k := strings.ToLower(key)
	if i := strings.LastIndexByte(k, '.'); i >= 0 {
		k = k[i+1:]
	}
	k = strings.ReplaceAll(k, "-", "_")
	for _, s := range sensitiveKeys {
		if k == s {
			return true
		}
	}
	return false
}

// Redact returns s with every run of 12 or more digits, possibly separated by single spaces,
// dashes or dots (as people write card numbers), replaced by [REDACTED]. It returns s itself
// when there is nothing to remove, so the common case does not allocate.
func Redact(s string) string {
	if !hasLongDigitRun(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for i < len(s) {
		if isDigit(s[i]) {
			end, n := scanRun(s, i)
			if n >= minCardDigits {
				b.WriteString(Redacted)
			} else {
				b.WriteString(s[i:end])
			}
			i = end
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// scanRun reads a digit run starting at i, allowing single separators between digits, and
// returns where it ends and how many digits it holds.
func scanRun(s string, i int) (end, digits int) {
	end = i
	for j := i; j < len(s); {
		if isDigit(s[j]) {
			digits++
			j++
			end = j
			continue
		}
		if isSep(s[j]) && j+1 < len(s) && isDigit(s[j+1]) {
			j++
			continue
		}
		break
	}
	return end, digits
}

func hasLongDigitRun(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		switch {
		case isDigit(s[i]):
			n++
			if n >= minCardDigits {
				return true
			}
		case isSep(s[i]) && n > 0 && i+1 < len(s) && isDigit(s[i+1]):
		default:
			n = 0
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isSep(c byte) bool   { return c == ' ' || c == '-' || c == '.' }
