package capture

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
)

// Card holds a captured card: number, expiry, security code and postcode digits. It is the
// only type in Hushpay that holds a card number or a security code.
//
// Every formatting path (String, GoString, fmt verbs, JSON, text marshalling, slog) gives
// the masked form, also when a Card is a field of another value. Wipe zeroes the buffers;
// DropSecurityCode zeroes the security code alone (as soon as the gateway has answered).
// Copies of a Card share its buffers, so wiping one wipes them all. The zero Card is empty.
type Card struct {
	*card
}

type card struct {
	pan      []byte
	cvv      []byte
	postal   []byte
	expMonth int
	expYear  int
	brand    Brand
	style    MaskStyle
}

// NewCard makes a Card from its parts (ASCII digits), copying them, and detects the brand.
// It does not validate; see ValidatePAN, ValidateExpiry, ValidateSecurityCode. The caller
// should zero its own buffers. style chooses the masked form (MaskLast4 when empty).
func NewCard(pan []byte, expMonth, expYear int, cvv, postal []byte, style MaskStyle) Card {
	c := Card{&card{
		pan:      append([]byte(nil), pan...),
		cvv:      append([]byte(nil), cvv...),
		postal:   append([]byte(nil), postal...),
		expMonth: expMonth,
		expYear:  expYear,
		brand:    DetectBrand(pan),
		style:    style,
	}}
	return c
}

// Brand returns the card's brand.
func (c Card) Brand() Brand { return c.d().brand }

// ExpMonth returns the expiry month (1–12).
func (c Card) ExpMonth() int { return c.d().expMonth }

// ExpYear returns the four-digit expiry year.
func (c Card) ExpYear() int { return c.d().expYear }

// Len returns the number of digits of the card number (0 after Wipe).
func (c Card) Len() int { return len(c.d().pan) }

// Last4 returns the last four digits of the card number, "" when shorter.
func (c Card) Last4() string {
	if len(c.d().pan) < MinPANLength {
		return ""
	}
	return string(c.d().pan[len(c.d().pan)-4:])
}

// First6 returns the first six digits (the BIN), "" when shorter. Whether they may be
// shown or stored depends on the mask style; see MaskedFirst6.
func (c Card) First6() string {
	if len(c.d().pan) < MinPANLength {
		return ""
	}
	return string(c.d().pan[:6])
}

// MaskedFirst6 returns First6 when the mask style shows the first six digits, else "".
func (c Card) MaskedFirst6() string {
	if c.d().style != MaskFirst6Last4 {
		return ""
	}
	return c.First6()
}

// HasSecurityCode reports whether the card still holds a security code.
func (c Card) HasSecurityCode() bool { return len(c.d().cvv) > 0 }

// PostalCode returns the postcode / house number digits ("" when not collected). They are
// not card data but are masked in every formatting path all the same.
func (c Card) PostalCode() string { return string(c.d().postal) }

// RevealPAN returns the card number in clear, for a gateway connector building its
// request. The string cannot be zeroed: keep it only for the request's lifetime and never
// log, store or wrap it in an error. Prefer AppendPAN into a buffer you zero.
func (c Card) RevealPAN() string { return string(c.d().pan) }

// RevealSecurityCode returns the security code in clear, for a gateway connector; the same
// rules as RevealPAN apply.
func (c Card) RevealSecurityCode() string { return string(c.d().cvv) }

// AppendPAN appends the card number's digits to dst, for a connector writing its request
// into a buffer that it zeroes after use.
func (c Card) AppendPAN(dst []byte) []byte { return append(dst, c.d().pan...) }

// AppendSecurityCode appends the security code's digits to dst (see AppendPAN).
func (c Card) AppendSecurityCode(dst []byte) []byte { return append(dst, c.d().cvv...) }

// DropSecurityCode zeroes and forgets the security code.
func (c Card) DropSecurityCode() {
	if c.card == nil {
		return
	}
	zero(c.cvv)
	c.cvv = nil
}

// Wipe zeroes the card number, security code and postcode and forgets them; the brand,
// expiry and mask survive for the record. Safe to call more than once and on the zero Card.
func (c Card) Wipe() {
	if c.card == nil {
		return
	}
	zero(c.pan)
	zero(c.cvv)
	zero(c.postal)
	c.pan, c.cvv, c.postal = nil, nil, nil
}

// Wiped reports whether the card no longer holds a card number.
func (c Card) Wiped() bool { return len(c.d().pan) == 0 }

// zero overwrites b. Written as a loop over the slice so that it is not elided: the
// slice escapes through the Card and is read again by Wiped and the formatting paths.
func zero(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// Masked returns the card as the agent may see it, e.g. "visa ************4242 12/30 cvv:***".
func (c Card) Masked() string {
	var b []byte
	if c.d().brand != BrandUnknown {
		b = append(b, c.d().brand...)
		b = append(b, ' ')
	}
	if c.Wiped() {
		b = append(b, "[wiped]"...)
	} else {
		var f6, l4 []byte
		if len(c.d().pan) >= MinPANLength {
			f6, l4 = c.d().pan[:6], c.d().pan[len(c.d().pan)-4:]
		}
		b = MaskPAN(b, len(c.d().pan), f6, l4, c.d().style)
	}
	if c.d().expMonth > 0 {
		b = append(b, ' ')
		if c.d().expMonth < 10 {
			b = append(b, '0')
		}
		b = strconv.AppendInt(b, int64(c.d().expMonth), 10)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(c.d().expYear%100), 10)
	}
	if len(c.d().cvv) > 0 {
		b = append(b, " cvv:"...)
		b = appendStars(b, len(c.d().cvv))
	}
	if len(c.d().postal) > 0 {
		b = append(b, " postal:"...)
		b = appendStars(b, len(c.d().postal))
	}
	return string(b)
}

// String returns the masked form.
func (c Card) String() string { return c.Masked() }

// GoString returns the masked form, for %#v.
func (c Card) GoString() string { return "capture.Card{" + c.Masked() + "}" }

// Format prints the masked form for every fmt verb (%v, %+v, %#v, %s, %q, %x, %d, ...).
func (c Card) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", c.Masked())
	case 'v':
		if f.Flag('#') {
			_, _ = f.Write([]byte(c.GoString()))
			return
		}
		_, _ = f.Write([]byte(c.Masked()))
	default:
		_, _ = f.Write([]byte(c.Masked()))
	}
}

// MarshalJSON encodes the masked form as a JSON object (brand, masked number, expiry).
func (c Card) MarshalJSON() ([]byte, error) {
	type masked struct {
		Brand    Brand  `json:"brand,omitempty"`
		Number   string `json:"number"`
		ExpMonth int    `json:"exp_month,omitempty"`
		ExpYear  int    `json:"exp_year,omitempty"`
	}
	m := masked{Brand: c.d().brand, ExpMonth: c.d().expMonth, ExpYear: c.d().expYear}
	if !c.Wiped() {
		var f6, l4 []byte
		if len(c.d().pan) >= MinPANLength {
			f6, l4 = c.d().pan[:6], c.d().pan[len(c.d().pan)-4:]
		}
		m.Number = string(MaskPAN(nil, len(c.d().pan), f6, l4, c.d().style))
	}
	return json.Marshal(m)
}

// MarshalText encodes the masked form (encoding.TextMarshaler).
func (c Card) MarshalText() ([]byte, error) { return []byte(c.Masked()), nil }

// LogValue logs the masked form (slog.LogValuer).
func (c Card) LogValue() slog.Value { return slog.StringValue(c.Masked()) }

var emptyCard card

// d returns the card's data, or an empty one for the zero Card (read only).
func (c Card) d() *card {
	if c.card == nil {
		return &emptyCard
	}
	return c.card
}
