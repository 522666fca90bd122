package capture

// Brand is a card scheme, detected from the card number's IIN (first digits).
type Brand string

// Brands Hushpay recognises. BrandUnknown means the number matches no known range.
const (
	BrandUnknown    Brand = ""
	BrandVisa       Brand = "visa"
	BrandMastercard Brand = "mastercard"
	BrandAmex       Brand = "amex"
	BrandDiscover   Brand = "discover"
	BrandDiners     Brand = "diners"
	BrandJCB        Brand = "jcb"
	BrandUnionPay   Brand = "unionpay"
	BrandMaestro    Brand = "maestro"
)

// AllBrands lists every known brand.
var AllBrands = []Brand{BrandVisa, BrandMastercard, BrandAmex, BrandDiscover, BrandDiners, BrandJCB, BrandUnionPay, BrandMaestro}

// Valid reports whether b is a known brand (not BrandUnknown).
func (b Brand) Valid() bool {
	_, ok := brandInfo[b]
	return ok && b != BrandUnknown
}

// iinRange is an inclusive range of IIN prefixes of the same number of digits.
type iinRange struct {
	lo, hi int
	digits int
}

type brandSpec struct {
	lengths []int // valid card number lengths
	common  int   // length at which keying ends without a terminator when Luhn passes (0: only at 19)
	cvv     int   // security code length
	luhn    bool  // whether the Luhn check applies
}

// brandRanges is tried in order, longest (most specific) prefixes first within a brand;
// Discover's 622126–622925 is tried before UnionPay's 62, Mastercard before Maestro.
// Sources: the schemes' published IIN tables as summarised by ISO/IEC 7812 registries and
// the gateways' documentation (Stripe, Braintree credit-card-type).
var brandRanges = []struct {
	brand Brand
	r     iinRange
}{
	{BrandAmex, iinRange{34, 34, 2}},
	{BrandAmex, iinRange{37, 37, 2}},
	{BrandDiscover, iinRange{6011, 6011, 4}},
	{BrandDiscover, iinRange{622126, 622925, 6}},
	{BrandDiscover, iinRange{644, 649, 3}},
	{BrandDiscover, iinRange{65, 65, 2}},
	{BrandJCB, iinRange{3528, 3589, 4}},
	{BrandDiners, iinRange{300, 305, 3}},
	{BrandDiners, iinRange{3095, 3095, 4}},
	{BrandDiners, iinRange{36, 36, 2}},
	{BrandDiners, iinRange{38, 39, 2}},
	{BrandMastercard, iinRange{51, 55, 2}},
	{BrandMastercard, iinRange{2221, 2720, 4}},
	{BrandUnionPay, iinRange{62, 62, 2}},
	{BrandMaestro, iinRange{5018, 5018, 4}},
	{BrandMaestro, iinRange{5020, 5020, 4}},
	{BrandMaestro, iinRange{5038, 5038, 4}},
	{BrandMaestro, iinRange{5893, 5893, 4}},
	{BrandMaestro, iinRange{6304, 6304, 4}},
	{BrandMaestro, iinRange{6759, 6759, 4}},
	{BrandMaestro, iinRange{6761, 6763, 4}},
	{BrandMaestro, iinRange{50, 50, 2}},
	{BrandMaestro, iinRange{56, 58, 2}},
	{BrandMaestro, iinRange{67, 67, 2}},
	{BrandVisa, iinRange{4, 4, 1}},
}

var brandInfo = map[Brand]brandSpec{
	BrandVisa:       {lengths: []int{13, 16, 19}, common: 16, cvv: 3, luhn: true},
	BrandMastercard: {lengths: []int{16}, common: 16, cvv: 3, luhn: true},
	BrandAmex:       {lengths: []int{15}, common: 15, cvv: 4, luhn: true},
	BrandDiscover:   {lengths: []int{16, 17, 18, 19}, common: 16, cvv: 3, luhn: true},
	BrandDiners:     {lengths: []int{14, 15, 16, 17, 18, 19}, common: 0, cvv: 3, luhn: true},
	BrandJCB:        {lengths: []int{16, 17, 18, 19}, common: 16, cvv: 3, luhn: true},
	// Some UnionPay cards do not carry a Luhn check digit; the gateway validates them.
	BrandUnionPay: {lengths: []int{16, 17, 18, 19}, common: 0, cvv: 3, luhn: false},
	BrandMaestro:  {lengths: []int{12, 13, 14, 15, 16, 17, 18, 19}, common: 0, cvv: 3, luhn: true},
}

// MinPANLength and MaxPANLength bound every brand's card number length.
const (
	MinPANLength = 12
	MaxPANLength = 19
)

// DetectBrand returns the brand of a card number (ASCII digits) from its leading digits, or
// BrandUnknown when no range matches or too few digits are known to tell.
func DetectBrand(pan []byte) Brand {
	for _, br := range brandRanges {
		if len(pan) < br.r.digits {
			continue
		}
		p, ok := prefixValue(pan, br.r.digits)
		if ok && p >= br.r.lo && p <= br.r.hi {
			return br.brand
		}
	}
	return BrandUnknown
}

func prefixValue(d []byte, n int) (int, bool) {
	v := 0
	for _, c := range d[:n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// Lengths returns the valid card number lengths of the brand (nil for BrandUnknown).
func (b Brand) Lengths() []int { return brandInfo[b].lengths }

// SecurityCodeLength returns the brand's security code length: 4 for Amex, else 3.
func (b Brand) SecurityCodeLength() int {
	if b == BrandAmex {
		return 4
	}
	return 3
}

// validLength reports whether n is a valid card number length for the brand.
func (b Brand) validLength(n int) bool {
	for _, l := range brandInfo[b].lengths {
		if l == n {
			return true
		}
	}
	return false
}

// Allowed reports whether b is in list; an empty list allows every known brand.
func (b Brand) Allowed(list []Brand) bool {
	if !b.Valid() {
		return false
	}
	if len(list) == 0 {
		return true
	}
	for _, x := range list {
		if x == b {
			return true
		}
	}
	return false
}
