package dtmf

// ITU-T Q.23: the four low-group (row) and four high-group (column) frequencies.
var (
	RowFreqs = [4]float64{697, 770, 852, 941}
	ColFreqs = [4]float64{1209, 1336, 1477, 1633}
)

// keypad lays the 16 keys out by row and column (ITU-T Q.23 Figure 1).
var keypad = [4][4]byte{
	{'1', '2', '3', 'A'},
	{'4', '5', '6', 'B'},
	{'7', '8', '9', 'C'},
	{'*', '0', '#', 'D'},
}

// Digits lists the 16 keys in RFC 4733 event-code order (0-9, *, #, A-D).
const Digits = "0123456789*#ABCD"

// ValidDigit reports whether d is one of the 16 DTMF keys.
func ValidDigit(d byte) bool {
	_, _, ok := digitPos(d)
	return ok
}

func digitPos(d byte) (row, col int, ok bool) {
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	for r := range 4 {
		for c := range 4 {
			if keypad[r][c] == d {
				return r, c, true
			}
		}
	}
	return 0, 0, false
}

// DigitFreqs returns the low- and high-group frequencies of a key.
func DigitFreqs(d byte) (low, high float64, ok bool) {
	r, c, ok := digitPos(d)
	if !ok {
		return 0, 0, false
	}
	return RowFreqs[r], ColFreqs[c], true
}

// EventCode maps a digit to its RFC 4733 §3.2 event code (0-9, * = 10, # = 11, A-D = 12-15).
func EventCode(digit byte) (uint8, bool) {
	switch {
	case digit >= '0' && digit <= '9':
		return digit - '0', true
	case digit == '*':
		return 10, true
	case digit == '#':
		return 11, true
	case digit >= 'A' && digit <= 'D':
		return 12 + digit - 'A', true
	case digit >= 'a' && digit <= 'd':
		return 12 + digit - 'a', true
	}
	return 0, false
}

// EventDigit maps an RFC 4733 §3.2 event code 0-15 to its digit.
func EventDigit(code uint8) (byte, bool) {
	if code < 16 {
		return Digits[code], true
	}
	return 0, false
}
