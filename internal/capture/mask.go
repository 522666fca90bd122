package capture

// MaskPAN appends to dst the masked form of a card number of n digits for the style:
// asterisks with the last four digits, or the first six and the last four. Numbers shorter
// than MinPANLength (incomplete) are all asterisks. first6 and last4 may be nil when style
// or length do not show them.
func MaskPAN(dst []byte, n int, first6, last4 []byte, style MaskStyle) []byte {
	if n < MinPANLength || len(last4) != 4 {
		return appendStars(dst, n)
	}
	if style == MaskFirst6Last4 && len(first6) == 6 {
		dst = append(dst, first6...)
		dst = appendStars(dst, n-10)
	} else {
		dst = appendStars(dst, n-4)
	}
	return append(dst, last4...)
}

func appendStars(dst []byte, n int) []byte {
	for range n {
		dst = append(dst, '*')
	}
	return dst
}
