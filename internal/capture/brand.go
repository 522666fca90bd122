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

// AllBrands lists every known brand, in the order brand detection tries them.
var AllBrands = []Brand{BrandVisa, BrandMastercard, BrandAmex, BrandDiscover, BrandDiners, BrandJCB, BrandUnionPay, BrandMaestro}
