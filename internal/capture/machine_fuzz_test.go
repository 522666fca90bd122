package capture

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzMachine feeds arbitrary keys and commands to a machine. It must never panic, and the
// view must never show more than the allowed mask: a card number only as asterisks, or
// once complete its first six (when configured) and last four; a security code and masked
// fields only as asterisks; an expiry of at most four digits.
//
// Input: byte 0 chooses the rules; then each byte is a key ('0'-'9', '#', '*') or a
// command: 'S'/'r' start/reset the field chosen by the next byte, 'a' start again, 't'
// let the timeout pass, 'd' drop the security code, 'w' wipe, 'c' take the card.
func FuzzMachine(f *testing.F) {
	for _, s := range []string{
		"\x00S\x0042424242424242421230847",
		"\x01S\x00378282246310005" + "0628" + "9361",
		"\x02S\x004242424242424241#4242424242424241#4242424242424241#r\x004242424242424242",
		"\x03S\x00424242tttt",
		"\x00S\x025555555555554444",
		"\x01S\x0042424242424242421230847c",
		"\x00S\x004242424242424242a4242424242424242wd",
		"\x02S\x01\x00#*A9",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		r := DefaultRules()
		r.Timeout = 10 * time.Second
		if in[0]&1 != 0 {
			r.MaskStyle = MaskFirst6Last4
		}
		if in[0]&2 != 0 {
			r.Terminator = '*'
		}
		if in[0]&4 != 0 {
			r.AllowedBrands = []Brand{BrandVisa, BrandAmex}
		}
		specs := []FieldSpec{{Name: FieldCardNumber}, {Name: FieldExpiry}, {Name: FieldSecurityCode},
			{Name: FieldPostalCode}, {Name: "acct", MaxLength: 8, Clear: in[0]&8 != 0}}
		m, err := NewMachine(r, specs)
		if err != nil {
			t.Fatal(err)
		}
		now := t0
		for i := 1; i < len(in); i++ {
			now = now.Add(time.Second)
			b := in[i]
			pick := func() FieldName {
				if i+1 < len(in) {
					i++
					return specs[int(in[i])%len(specs)].Name
				}
				return FieldCardNumber
			}
			switch b {
			case 'S':
				_, err = m.Start(pick(), now)
				if err != nil && !errors.Is(err, ErrCardNumberFirst) && !errors.Is(err, ErrTooManyAttempts) {
					t.Fatalf("Start: %v", err)
				}
			case 'r':
				if _, err := m.Reset(pick(), now); err != nil {
					t.Fatalf("Reset: %v", err)
				}
			case 'a':
				m.StartAgain(now)
			case 't':
				now = now.Add(r.Timeout)
				m.Expire(now)
			case 'd':
				m.DropSecurityCode()
			case 'w':
				m.Wipe()
			case 'c':
				if c, err := m.Card(); err == nil {
					if _, err := ValidatePAN([]byte(c.RevealPAN()), r.AllowedBrands); err != nil {
						t.Fatalf("card with invalid number: %v", err)
					}
					checkMasked(t, c.String(), c, r.MaskStyle)
					c.Wipe()
				} else if !errors.Is(err, ErrIncomplete) {
					t.Fatal(err)
				}
			default:
				_, err := m.Key(b, now)
				isKey := b >= '0' && b <= '9' || b == r.Terminator
				if err != nil && !(errors.Is(err, ErrNoActiveField) || (!isKey && errors.Is(err, ErrInvalidKey))) {
					t.Fatalf("Key(%q): %v", b, err)
				}
			}
			checkView(t, m, specs)
		}
	})
}

func checkView(t *testing.T, m *Machine, specs []FieldSpec) {
	t.Helper()
	v := m.View()
	if _, err := json.Marshal(v); err != nil {
		t.Fatal(err)
	}
	for i, fv := range v.Fields {
		f := m.fields[i]
		if fv.Length != f.n || len(fv.Masked) != f.n {
			t.Fatalf("%s: view length %d/%q, held %d", fv.Name, fv.Length, fv.Masked, f.n)
		}
		digits := strings.Count(fv.Masked, "*")
		switch fv.Name {
		case FieldCardNumber:
			if fv.State != StateComplete {
				if digits != f.n {
					t.Fatalf("incomplete card number shows digits: %q", fv.Masked)
				}
				continue
			}
			want := string(MaskPAN(nil, f.n, f.buf[:6], f.buf[f.n-4:f.n], m.rules.MaskStyle))
			if fv.Masked != want {
				t.Fatalf("card number view %q, want %q", fv.Masked, want)
			}
		case FieldExpiry:
			if f.n > 4 || fv.Masked != string(f.buf[:f.n]) {
				t.Fatalf("expiry view %q", fv.Masked)
			}
		default:
			if !specs[i].Clear && digits != f.n {
				t.Fatalf("%s shows digits: %q", fv.Name, fv.Masked)
			}
		}
	}
}

func checkMasked(t *testing.T, s string, c Card, style MaskStyle) {
	t.Helper()
	pan := c.RevealPAN()
	want := string(MaskPAN(nil, len(pan), []byte(pan[:6]), []byte(pan[len(pan)-4:]), style))
	if !strings.Contains(s, want) || strings.Contains(s, pan) {
		t.Fatalf("card formats as %q", s)
	}
}
