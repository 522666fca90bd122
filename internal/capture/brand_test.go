package capture

import (
	"errors"
	"testing"
)

func TestDetectBrand(t *testing.T) {
	tests := []struct {
		pan  string
		want Brand
	}{
		{"4242424242424242", BrandVisa},
		{"4000056655665556", BrandVisa},
		{"5555555555554444", BrandMastercard},
		{"5105105105105100", BrandMastercard},
		{"2221000000000009", BrandMastercard},
		{"2223003122003222", BrandMastercard},
		{"2720990000000007", BrandMastercard},
		{"2220990000000000", BrandUnknown}, // below 2221
		{"2721000000000000", BrandUnknown}, // above 2720
		{"378282246310005", BrandAmex},
		{"371449635398431", BrandAmex},
		{"6011111111111117", BrandDiscover},
		{"6011000990139424", BrandDiscover},
		{"6445644564456445", BrandDiscover},
		{"6500000000000002", BrandDiscover},
		{"6221260000000000", BrandDiscover},
		{"6229250000000000", BrandDiscover},
		{"6221250000000000", BrandUnionPay}, // just below the Discover co-brand range
		{"6229260000000000", BrandUnionPay},
		{"6200000000000005", BrandUnionPay},
		{"3056930009020004", BrandDiners},
		{"36227206271667", BrandDiners},
		{"3095000000000000", BrandDiners},
		{"38520000023237", BrandDiners},
		{"3566002020360505", BrandJCB},
		{"3528000000000000", BrandJCB},
		{"3589000000000000", BrandJCB},
		{"3527000000000000", BrandUnknown},
		{"3590000000000000", BrandUnknown},
		{"6759649826438453", BrandMaestro},
		{"6304000000000000", BrandMaestro},
		{"5018000000000000", BrandMaestro},
		{"5600000000000000", BrandMaestro},
		{"1234567890123456", BrandUnknown},
		{"9", BrandUnknown},
		{"4", BrandVisa},
		{"", BrandUnknown},
		{"4x", BrandVisa},
		{"x4", BrandUnknown},
	}
	for _, tt := range tests {
		if got := DetectBrand([]byte(tt.pan)); got != tt.want {
			t.Errorf("DetectBrand(%s) = %q, want %q", tt.pan, got, tt.want)
		}
	}
}

func TestValidatePAN(t *testing.T) {
	tests := []struct {
		pan     string
		allowed []Brand
		want    Brand
		err     error
	}{
		{"4242424242424242", nil, BrandVisa, nil},
		{"4222222222222", nil, BrandVisa, nil}, // 13-digit Visa
		{"4242424242424241", nil, BrandVisa, ErrInvalidCardNumber},
		{"424242424242424", nil, BrandVisa, ErrInvalidCardNumber}, // 15: wrong length for Visa
		{"378282246310005", nil, BrandAmex, nil},
		{"3782822463100050", nil, BrandAmex, ErrInvalidCardNumber},
		{"378282246310005", []Brand{BrandVisa, BrandMastercard}, BrandAmex, ErrInvalidCardType},
		{"5555555555554444", []Brand{BrandMastercard}, BrandMastercard, nil},
		{"1234567890123452", nil, BrandUnknown, ErrInvalidCardType},
		{"42424242424", nil, BrandVisa, ErrInvalidCardNumber}, // 11 digits
		{"42424242424242424242", nil, BrandVisa, ErrInvalidCardNumber},
		{"6200000000000005", nil, BrandUnionPay, nil},
		{"6200000000000001", nil, BrandUnionPay, nil}, // UnionPay: no Luhn
		{"675964982643", nil, BrandMaestro, nil},      // 12-digit Maestro... Luhn below
		{"36227206271667", nil, BrandDiners, nil},
		{"3566002020360505", nil, BrandJCB, nil},
		{"6011111111111117", nil, BrandDiscover, nil},
	}
	for _, tt := range tests {
		if tt.pan == "675964982643" && !Luhn([]byte(tt.pan)) {
			tt.err = ErrInvalidCardNumber
		}
		b, err := ValidatePAN([]byte(tt.pan), tt.allowed)
		if b != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ValidatePAN(%s, %v) = %q, %v; want %q, %v", tt.pan, tt.allowed, b, err, tt.want, tt.err)
		}
		if err != nil && containsDigitsOf(err.Error(), tt.pan) {
			t.Errorf("error text %q holds the number", err)
		}
	}
}

func TestSecurityCodeLength(t *testing.T) {
	for _, b := range AllBrands {
		want := 3
		if b == BrandAmex {
			want = 4
		}
		if got := b.SecurityCodeLength(); got != want {
			t.Errorf("%s: %d", b, got)
		}
	}
	if err := ValidateSecurityCode([]byte("1234"), BrandAmex); err != nil {
		t.Error(err)
	}
	if err := ValidateSecurityCode([]byte("123"), BrandAmex); !errors.Is(err, ErrInvalidSecurityCode) {
		t.Error(err)
	}
	if err := ValidateSecurityCode([]byte("123"), BrandVisa); err != nil {
		t.Error(err)
	}
	if err := ValidateSecurityCode([]byte("12"), BrandVisa); !errors.Is(err, ErrInvalidSecurityCode) {
		t.Error(err)
	}
	if err := ValidateSecurityCode([]byte("1a3"), BrandVisa); !errors.Is(err, ErrInvalidSecurityCode) {
		t.Error(err)
	}
}

func TestAllowed(t *testing.T) {
	if !BrandVisa.Allowed(nil) || BrandUnknown.Allowed(nil) || BrandAmex.Allowed([]Brand{BrandVisa}) {
		t.Error("Allowed")
	}
	if Brand("bogus").Valid() || !BrandJCB.Valid() {
		t.Error("Valid")
	}
}

// containsDigitsOf reports whether s holds the long digit string d.
func containsDigitsOf(s, d string) bool {
	return len(d) >= 6 && len(s) >= len(d) && indexOf(s, d) >= 0
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
