package capture

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/hushpay/hushpay/internal/logging"
)

var (
	_ fmt.Stringer           = Card{}
	_ fmt.GoStringer         = Card{}
	_ fmt.Formatter          = Card{}
	_ json.Marshaler         = Card{}
	_ encoding.TextMarshaler = Card{}
	_ slog.LogValuer         = Card{}
)

func testCard(style MaskStyle) Card {
	return NewCard([]byte("4242424242424242"), 12, 2030, []byte("847"), []byte("90210"), style)
}

// leaks reports whether s holds the card number, a run of its middle digits, or the
// security code or postcode as a number of their own (not inside a longer digit run such
// as a timestamp).
func leaks(s string) bool {
	return strings.Contains(s, "4242424242424242") || strings.Contains(s, "42424242") ||
		standalone.MatchString(s)
}

var standalone = regexp.MustCompile(`(^|[^0-9])(847|90210)([^0-9]|$)`)

func TestCardFormattingIsMasked(t *testing.T) {
	for _, style := range []MaskStyle{MaskLast4, MaskFirst6Last4} {
		c := testCard(style)
		type holder struct {
			C    Card
			P    *Card
			priv Card
		}
		h := holder{C: c, P: &c, priv: c}
		outs := map[string]string{
			"String":   c.String(),
			"GoString": c.GoString(),
			"%v":       fmt.Sprintf("%v", c),
			"%+v":      fmt.Sprintf("%+v", c),
			"%#v":      fmt.Sprintf("%#v", c),
			"%s":       fmt.Sprintf("%s", c),
			"%q":       fmt.Sprintf("%q", c),
			"%x":       fmt.Sprintf("%x", c),
			"%d":       fmt.Sprintf("%d", c),
			"ptr %v":   fmt.Sprintf("%v", &c),
			"ptr %+v":  fmt.Sprintf("%+v", &c),
			"ptr %#v":  fmt.Sprintf("%#v", &c),
			"holder":   fmt.Sprintf("%v %+v %#v", h, h, h),
			"holderp":  fmt.Sprintf("%v %+v %#v", &h, &h, &h),
			"slice":    fmt.Sprint([]Card{c}, []*Card{&c}, map[string]Card{"k": c}),
			"err":      fmt.Errorf("pay %v: %w", c, fmt.Errorf("x")).Error(),
		}
		for _, v := range []any{c, &c, h, []Card{c}} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			outs[fmt.Sprintf("json %T", v)] = string(b)
		}
		txt, _ := c.MarshalText()
		outs["text"] = string(txt)
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("card", "c", c, "p", &c, "h", h)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("card", "c", c, "p", &c)
		lg, _ := logging.New(&buf, "text", "debug")
		lg.Info("card", "c", c, "p", &c, "h", h)
		outs["slog"] = buf.String()
		for name, s := range outs {
			if leaks(s) {
				t.Errorf("%s (%s) leaks: %s", name, style, s)
			}
			if name != "%d" && name != "%x" && !strings.Contains(s, "4242") && !strings.HasPrefix(name, "holder") {
				t.Errorf("%s (%s) lost the last four: %s", name, style, s)
			}
		}
		if style == MaskFirst6Last4 && !strings.Contains(outs["String"], "424242******4242") {
			t.Errorf("first6last4 String = %s", outs["String"])
		}
		if style == MaskLast4 && !strings.Contains(outs["String"], "************4242") {
			t.Errorf("last4 String = %s", outs["String"])
		}
	}
}

func TestCardAccessorsAndWipe(t *testing.T) {
	c := testCard(MaskFirst6Last4)
	alias := c
	if c.Brand() != BrandVisa || c.ExpMonth() != 12 || c.ExpYear() != 2030 || c.Len() != 16 {
		t.Fatalf("accessors: %v %d %d %d", c.Brand(), c.ExpMonth(), c.ExpYear(), c.Len())
	}
	if c.Last4() != "4242" || c.First6() != "424242" || c.MaskedFirst6() != "424242" {
		t.Fatal("first6/last4")
	}
	if testCard(MaskLast4).MaskedFirst6() != "" {
		t.Fatal("MaskedFirst6 with last4 style")
	}
	if c.RevealPAN() != "4242424242424242" || c.RevealSecurityCode() != "847" || c.PostalCode() != "90210" {
		t.Fatal("reveal")
	}
	if string(c.AppendPAN(nil)) != "4242424242424242" || string(c.AppendSecurityCode([]byte("x"))) != "x847" {
		t.Fatal("append")
	}
	pan, cvv := c.card.pan, c.card.cvv
	c.DropSecurityCode()
	if c.HasSecurityCode() || c.RevealSecurityCode() != "" || !bytes.Equal(cvv, []byte{0, 0, 0}) {
		t.Fatalf("DropSecurityCode left %q", cvv)
	}
	c.Wipe()
	if !c.Wiped() || !alias.Wiped() || c.RevealPAN() != "" || !bytes.Equal(pan, make([]byte, 16)) {
		t.Fatalf("Wipe left %q", pan)
	}
	if c.Brand() != BrandVisa || c.ExpYear() != 2030 || !strings.Contains(c.String(), "[wiped]") {
		t.Fatalf("after wipe: %s", c)
	}
	c.Wipe() // twice
	var zeroCard Card
	zeroCard.Wipe()
	zeroCard.DropSecurityCode()
	if !zeroCard.Wiped() || zeroCard.String() == "" || zeroCard.Last4() != "" {
		t.Fatal("zero card")
	}
	var nilp *Card
	if s := fmt.Sprintf("%v", nilp); leaks(s) {
		t.Fatal(s)
	}
}

func TestNewCardCopies(t *testing.T) {
	pan := []byte("4242424242424242")
	c := NewCard(pan, 1, 2030, []byte("123"), nil, "")
	pan[0] = '5'
	if c.RevealPAN() != "4242424242424242" {
		t.Fatal("NewCard aliases its input")
	}
}
