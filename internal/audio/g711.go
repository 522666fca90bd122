package audio

// ITU-T G.711 companding. The tables are built once from the ITU-T G.191 (STL) reference
// algorithms, so encoding and decoding are a single table look-up per sample.
//
// μ-law encodes the 14 most significant bits of a linear sample and A-law the 13 most
// significant bits (ITU-T G.711 §2 and §3); negative values use the one's complement as the
// reference encoder does.

var (
	ulawDecode [256]int16
	alawDecode [256]int16
	ulawEncode [1 << 14]byte // indexed by uint16(x) >> 2
	alawEncode [1 << 12]byte // indexed by uint16(x) >> 4
)

func init() {
	for i := range 256 {
		ulawDecode[i] = ulawExpand(byte(i))
		alawDecode[i] = alawExpand(byte(i))
	}
	for i := range ulawEncode {
		ulawEncode[i] = ulawCompress(int16(uint16(i << 2)))
	}
	for i := range alawEncode {
		alawEncode[i] = alawCompress(int16(uint16(i << 4)))
	}
}

// ulawCompress is ITU-T G.191 ulaw_compress for one 16-bit sample.
func ulawCompress(x int16) byte {
	var absno int32
	if x < 0 {
		absno = int32((^x)>>2) + 33
	} else {
		absno = int32(x>>2) + 33
	}
	if absno > 0x1FFF {
		absno = 0x1FFF
	}
	i := absno >> 6
	segno := int32(1)
	for i != 0 {
		segno++
		i >>= 1
	}
	high := 0x0008 - segno
	low := 0x000F - ((absno >> segno) & 0x000F)
	out := (high << 4) | low
	if x >= 0 {
		out |= 0x0080
	}
	return byte(out)
}

// ulawExpand is ITU-T G.191 ulaw_expand for one code word.
func ulawExpand(b byte) int16 {
	sign := int32(1)
	if b < 0x80 {
		sign = -1
	}
	m := int32(^b)
	exponent := (m >> 4) & 0x07
	segment := exponent + 1
	m &= 0x0F
	step := int32(4) << segment
	return int16(sign * ((0x0080 << exponent) + step*m + step/2 - 4*33))
}

// alawCompress is ITU-T G.191 alaw_compress for one 16-bit sample.
func alawCompress(x int16) byte {
	var ix int32
	if x < 0 {
		ix = int32(^x) >> 4
	} else {
		ix = int32(x) >> 4
	}
	if ix > 15 {
		iexp := int32(1)
		for ix > 16+15 {
			ix >>= 1
			iexp++
		}
		ix -= 16
		ix += iexp << 4
	}
	if x >= 0 {
		ix |= 0x0080
	}
	return byte(ix ^ 0x0055)
}

// alawExpand is ITU-T G.191 alaw_expand for one code word.
func alawExpand(b byte) int16 {
	ix := int32(b^0x55) & 0x7F
	iexp := ix >> 4
	mant := ix & 0x0F
	if iexp > 0 {
		mant += 16
	}
	mant = (mant << 4) + 0x0008
	if iexp > 1 {
		mant <<= iexp - 1
	}
	if b > 127 {
		return int16(mant)
	}
	return int16(-mant)
}

// DecodeUlaw expands μ-law code words into linear samples; len(dst) must be at least len(src).
func DecodeUlaw(dst []int16, src []byte) {
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = ulawDecode[b]
	}
}

// EncodeUlaw compresses linear samples into μ-law code words; len(dst) must be at least
// len(src).
func EncodeUlaw(dst []byte, src []int16) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = ulawEncode[uint16(x)>>2]
	}
}

// DecodeAlaw expands A-law code words into linear samples; len(dst) must be at least len(src).
func DecodeAlaw(dst []int16, src []byte) {
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = alawDecode[b]
	}
}

// EncodeAlaw compresses linear samples into A-law code words; len(dst) must be at least
// len(src).
func EncodeAlaw(dst []byte, src []int16) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = alawEncode[uint16(x)>>4]
	}
}

// UlawToLinear expands one μ-law code word.
func UlawToLinear(b byte) int16 { return ulawDecode[b] }

// LinearToUlaw compresses one linear sample to μ-law.
func LinearToUlaw(x int16) byte { return ulawEncode[uint16(x)>>2] }

// AlawToLinear expands one A-law code word.
func AlawToLinear(b byte) int16 { return alawDecode[b] }

// LinearToAlaw compresses one linear sample to A-law.
func LinearToAlaw(x int16) byte { return alawEncode[uint16(x)>>4] }
