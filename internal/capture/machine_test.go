package capture

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func cardFields() []FieldSpec {
	return Specs(FieldCardNumber, FieldExpiry, FieldSecurityCode)
}

func newMachine(t *testing.T, r Rules, specs []FieldSpec) *Machine {
	t.Helper()
	m, err := NewMachine(r, specs)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// feed keys the string one key a second and returns the last change.
func feed(t *testing.T, m *Machine, keys string, now *time.Time) Change {
	t.Helper()
	var ch Change
	for i := 0; i < len(keys); i++ {
		*now = now.Add(time.Second)
		c, err := m.Key(keys[i], *now)
		if err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		ch = c
	}
	return ch
}

func fieldView(t *testing.T, m *Machine, name FieldName) FieldView {
	t.Helper()
	fv, ok := m.View().Field(name)
	if !ok {
		t.Fatalf("no field %s", name)
	}
	return fv
}

func TestMachineHappyPaths(t *testing.T) {
	tests := []struct {
		name   string
		style  MaskStyle
		pan    string
		exp    string
		cvv    string
		brand  Brand
		masked string
	}{
		{"visa auto-ends at 16", MaskLast4, "4242424242424242", "1230", "847", BrandVisa, "************4242"},
		{"visa 13 with terminator", MaskLast4, "4222222222222#", "0127", "123", BrandVisa, "*********2222"},
		{"amex auto-ends at 15, cvv 4", MaskFirst6Last4, "378282246310005", "0628", "9361", BrandAmex, "378282*****0005"},
		{"mastercard 2-series", MaskFirst6Last4, "2223003122003222", "1126", "555", BrandMastercard, "222300******3222"},
		{"discover", MaskLast4, "6011111111111117", "1226", "321", BrandDiscover, "************1117"},
		{"diners 14 with terminator", MaskLast4, "36227206271667#", "1229", "111", BrandDiners, "**********1667"},
		{"jcb", MaskLast4, "3566002020360505", "0330", "222", BrandJCB, "************0505"},
		{"unionpay needs terminator", MaskLast4, "6200000000000005#", "0330", "222", BrandUnionPay, "************0005"},
		{"maestro 19 auto-ends", MaskLast4, "6759649826438453000", "0330", "222", BrandMaestro, "***************3000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.brand == BrandMaestro && !Luhn([]byte(tt.pan)) {
				// make the 19-digit Maestro test number valid by fixing its check digit
				p := []byte(tt.pan)
				for d := byte('0'); d <= '9'; d++ {
					p[18] = d
					if Luhn(p) {
						break
					}
				}
				tt.pan = string(p)
				tt.masked = "***************" + string(p[15:])
			}
			r := DefaultRules()
			r.MaskStyle = tt.style
			m := newMachine(t, r, cardFields())
			now := t0
			if _, err := m.Start(FieldCardNumber, now); err != nil {
				t.Fatal(err)
			}
			ch := feed(t, m, tt.pan, &now)
			if ch.Kind != ChangeComplete || ch.Next != FieldExpiry || ch.Err != nil {
				t.Fatalf("after PAN: %+v", ch)
			}
			v := m.View()
			if v.Brand != tt.brand || v.Active != FieldExpiry {
				t.Fatalf("view after PAN: %+v", v)
			}
			if fv, _ := v.Field(FieldCardNumber); fv.Masked != tt.masked || !fv.Valid || fv.State != StateComplete {
				t.Fatalf("PAN view %+v, want %s", fv, tt.masked)
			}
			ch = feed(t, m, tt.exp, &now)
			if ch.Kind != ChangeComplete || ch.Next != FieldSecurityCode {
				t.Fatalf("after expiry: %+v", ch)
			}
			if fv := fieldView(t, m, FieldExpiry); fv.Masked != tt.exp {
				t.Fatalf("expiry shown as %q", fv.Masked)
			}
			if fv := fieldView(t, m, FieldSecurityCode); fv.MaxLength != len(tt.cvv) {
				t.Fatalf("cvv max length %d", fv.MaxLength)
			}
			ch = feed(t, m, tt.cvv[:len(tt.cvv)-1], &now)
			if fv := fieldView(t, m, FieldSecurityCode); fv.Masked != strings.Repeat("*", len(tt.cvv)-1) {
				t.Fatalf("cvv shown as %q", fv.Masked)
			}
			ch = feed(t, m, tt.cvv[len(tt.cvv)-1:], &now)
			if ch.Kind != ChangeComplete || !ch.Complete || ch.Next != "" || !m.Complete() || m.Active() != "" {
				t.Fatalf("after cvv: %+v", ch)
			}
			if fv := fieldView(t, m, FieldSecurityCode); fv.Masked != strings.Repeat("*", len(tt.cvv)) {
				t.Fatalf("cvv shown as %q", fv.Masked)
			}
			c, err := m.Card()
			if err != nil {
				t.Fatal(err)
			}
			defer c.Wipe()
			pan := strings.TrimSuffix(tt.pan, "#")
			if c.RevealPAN() != pan || c.RevealSecurityCode() != tt.cvv || c.Brand() != tt.brand {
				t.Fatalf("card %v", c)
			}
			if c.ExpMonth() == 0 || c.ExpYear() < 2026 {
				t.Fatalf("expiry %d/%d", c.ExpMonth(), c.ExpYear())
			}
		})
	}
}

func TestMachineLiveViewMasksDigits(t *testing.T) {
	m := newMachine(t, Rules{Terminator: '#', MaxAttempts: 3, MaskStyle: MaskFirst6Last4}, cardFields())
	now := t0
	m.Start(FieldCardNumber, now)
	pan := "4242424242424242"
	for i := 0; i < len(pan)-1; i++ {
		feed(t, m, pan[i:i+1], &now)
		fv := fieldView(t, m, FieldCardNumber)
		if fv.Masked != strings.Repeat("*", i+1) || fv.Length != i+1 || fv.Valid {
			t.Fatalf("after %d digits: %+v", i+1, fv)
		}
		if m.View().Brand != BrandVisa {
			t.Fatalf("brand not detected live: %q", m.View().Brand)
		}
	}
}

func TestMachineInvalidAttemptsAndReset(t *testing.T) {
	tests := []struct {
		name    string
		rules   func(*Rules)
		field   FieldName
		prefix  string // keyed before, to reach the field
		keys    string
		wantErr error
	}{
		{"luhn", nil, FieldCardNumber, "", "4242424242424241#", ErrInvalidCardNumber},
		{"too short", nil, FieldCardNumber, "", "42424242#", ErrInvalidCardNumber},
		{"wrong length for brand", nil, FieldCardNumber, "", "424242424242424#", ErrInvalidCardNumber},
		{"unknown brand", nil, FieldCardNumber, "", "9999999999999995#", ErrInvalidCardType},
		{"brand not allowed", func(r *Rules) { r.AllowedBrands = []Brand{BrandVisa} }, FieldCardNumber, "", "5555555555554444", ErrInvalidCardType},
		{"expired", nil, FieldExpiry, "4242424242424242", "1025", ErrInvalidDate},
		{"month 13", nil, FieldExpiry, "4242424242424242", "1330", ErrInvalidDate},
		{"expiry short", nil, FieldExpiry, "4242424242424242", "123#", ErrInvalidDate},
		{"cvv short", nil, FieldSecurityCode, "42424242424242421230", "12#", ErrInvalidSecurityCode},
		{"amex cvv 3", nil, FieldSecurityCode, "3782822463100051230", "123#", ErrInvalidSecurityCode},
		{"star terminator", func(r *Rules) { r.Terminator = '*' }, FieldCardNumber, "", "4242424242424241*", ErrInvalidCardNumber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := DefaultRules()
			if tt.rules != nil {
				tt.rules(&r)
			}
			m := newMachine(t, r, cardFields())
			now := t0
			m.Start(FieldCardNumber, now)
			feed(t, m, tt.prefix, &now)
			if m.Active() != tt.field {
				t.Fatalf("active %s, want %s", m.Active(), tt.field)
			}
			for attempt := 1; attempt <= r.MaxAttempts; attempt++ {
				ch := feed(t, m, tt.keys, &now)
				if !errors.Is(ch.Err, tt.wantErr) {
					t.Fatalf("attempt %d: %+v, want %v", attempt, ch, tt.wantErr)
				}
				fv := fieldView(t, m, tt.field)
				if fv.Attempts != attempt || fv.Length != 0 || fv.Valid || strings.ContainsAny(fv.Masked, "0123456789") {
					t.Fatalf("attempt %d view %+v", attempt, fv)
				}
				if attempt < r.MaxAttempts {
					if ch.Kind != ChangeInvalid || m.Active() != tt.field || fv.State != StateInvalid || fv.Error != ErrorCode(tt.wantErr) {
						t.Fatalf("attempt %d: %+v %+v", attempt, ch, fv)
					}
				} else {
					if ch.Kind != ChangeFailed || !errors.Is(ch.Err, ErrTooManyAttempts) || m.Active() != "" || fv.State != StateFailed || fv.Error != "too-many-attempts" {
						t.Fatalf("last attempt: %+v %+v", ch, fv)
					}
				}
			}
			if _, err := m.Key('1', now); !errors.Is(err, ErrNoActiveField) {
				t.Fatalf("key after failure: %v", err)
			}
			if _, err := m.Start(tt.field, now); !errors.Is(err, ErrTooManyAttempts) {
				t.Fatalf("start after failure: %v", err)
			}
			if ch, err := m.Reset(tt.field, now); err != nil || ch.Kind != ChangeReset || m.Active() != tt.field {
				t.Fatalf("reset: %+v %v", ch, err)
			}
			if fv := fieldView(t, m, tt.field); fv.Attempts != 0 || fv.State != StateActive || fv.Error != "" {
				t.Fatalf("after reset: %+v", fv)
			}
		})
	}
}

func TestMachineTimeout(t *testing.T) {
	r := DefaultRules()
	r.Timeout = 5 * time.Second
	r.MaxAttempts = 2
	m := newMachine(t, r, cardFields())
	if _, ok := m.Deadline(); ok {
		t.Fatal("deadline with no active field")
	}
	if ch := m.Expire(t0.Add(time.Hour)); ch.Kind != ChangeNone {
		t.Fatalf("expire with no active field: %+v", ch)
	}
	now := t0
	m.Start(FieldCardNumber, now)
	feed(t, m, "4242", &now) // now = t0+4s
	d, ok := m.Deadline()
	if !ok || !d.Equal(now.Add(5*time.Second)) {
		t.Fatalf("deadline %v", d)
	}
	if ch := m.Expire(d.Add(-time.Nanosecond)); ch.Kind != ChangeNone {
		t.Fatalf("expired early: %+v", ch)
	}
	ch := m.Expire(d)
	if ch.Kind != ChangeInvalid || !errors.Is(ch.Err, ErrInputTimeout) || m.Active() != FieldCardNumber {
		t.Fatalf("timeout: %+v", ch)
	}
	if fv := fieldView(t, m, FieldCardNumber); fv.Length != 0 || fv.Error != "input-timeout" || fv.Attempts != 1 {
		t.Fatalf("view after timeout %+v", fv)
	}
	d2, _ := m.Deadline()
	if !d2.Equal(d.Add(5 * time.Second)) {
		t.Fatalf("next deadline %v", d2)
	}
	ch = m.Expire(d2)
	if ch.Kind != ChangeFailed || !errors.Is(ch.Err, ErrInputTimeout) || !errors.Is(ch.Err, ErrTooManyAttempts) {
		t.Fatalf("second timeout: %+v", ch)
	}
	// No timeout configured: never expires.
	m2 := newMachine(t, Rules{Terminator: '#', MaxAttempts: 1}, cardFields())
	m2.Start(FieldCardNumber, t0)
	if _, ok := m2.Deadline(); ok {
		t.Fatal("deadline without timeout")
	}
}

func TestMachineOrderAndCommands(t *testing.T) {
	m := newMachine(t, DefaultRules(), cardFields())
	now := t0
	if _, err := m.Start(FieldSecurityCode, now); !errors.Is(err, ErrCardNumberFirst) {
		t.Fatalf("cvv before PAN: %v", err)
	}
	if _, err := m.Start("nope", now); !errors.Is(err, ErrUnknownField) {
		t.Fatal(err)
	}
	if _, err := m.Key('1', now); !errors.Is(err, ErrNoActiveField) {
		t.Fatal(err)
	}
	if _, err := m.Card(); !errors.Is(err, ErrIncomplete) {
		t.Fatal(err)
	}
	m.Start(FieldCardNumber, now)
	for _, k := range []byte{'A', '*', 'x', 0} {
		if _, err := m.Key(k, now); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("key %q: %v", k, err)
		}
	}
	if ch, _ := m.Key('#', now); ch.Kind != ChangeNone {
		t.Fatalf("terminator on empty field: %+v", ch)
	}
	feed(t, m, "42424242424242421230847", &now)
	if !m.Complete() {
		t.Fatal("not complete")
	}
	// Expiry can be collected again on its own: the card stays valid otherwise.
	if _, err := m.Start(FieldExpiry, now); err != nil {
		t.Fatal(err)
	}
	if m.Complete() || fieldView(t, m, FieldSecurityCode).State != StateComplete {
		t.Fatal("restarting expiry")
	}
	ch := feed(t, m, "0131", &now)
	if ch.Kind != ChangeComplete || !ch.Complete {
		t.Fatalf("%+v", ch)
	}
	// Resetting the card number clears the security code too.
	if _, err := m.Reset(FieldCardNumber, now); err != nil {
		t.Fatal(err)
	}
	if fv := fieldView(t, m, FieldSecurityCode); fv.State != StatePending || fv.Length != 0 {
		t.Fatalf("cvv after PAN reset: %+v", fv)
	}
	if fieldView(t, m, FieldExpiry).State != StateComplete || m.Active() != FieldCardNumber {
		t.Fatal("expiry lost on PAN reset")
	}
	feed(t, m, "378282246310005", &now)
	if m.Active() != FieldSecurityCode { // expiry already complete: straight to CVV
		t.Fatalf("active %s", m.Active())
	}
	if fv := fieldView(t, m, FieldSecurityCode); fv.MaxLength != 4 {
		t.Fatalf("amex cvv length %d", fv.MaxLength)
	}
	feed(t, m, "12", &now)
	// Reset of the security code while it is active.
	if _, err := m.Reset(FieldSecurityCode, now); err != nil || m.Active() != FieldSecurityCode || fieldView(t, m, FieldSecurityCode).Length != 0 {
		t.Fatal("cvv reset", err)
	}
	feed(t, m, "1234", &now)
	if !m.Complete() {
		t.Fatal("not complete after amex cvv")
	}
	ch = m.StartAgain(now)
	if ch.Kind != ChangeRestarted || m.Active() != FieldCardNumber || m.Complete() {
		t.Fatalf("start again: %+v", ch)
	}
	for _, fv := range m.View().Fields {
		if fv.Length != 0 || fv.Attempts != 0 || (fv.State != StatePending && fv.State != StateActive) {
			t.Fatalf("after start again: %+v", fv)
		}
	}
	if m.View().Brand != BrandUnknown {
		t.Fatal("brand kept after start again")
	}
	// Security code reset before the card number is complete stays pending.
	if _, err := m.Reset(FieldSecurityCode, now); err != nil || m.Active() != "" {
		t.Fatalf("cvv reset without PAN: %v active %s", err, m.Active())
	}
	if _, err := m.Reset("nope", now); !errors.Is(err, ErrUnknownField) {
		t.Fatal(err)
	}
}

func TestMachineNoAutoAdvance(t *testing.T) {
	r := DefaultRules()
	r.NoAutoAdvance = true
	m := newMachine(t, r, cardFields())
	now := t0
	m.Start(FieldCardNumber, now)
	ch := feed(t, m, "4242424242424242", &now)
	if ch.Next != "" || m.Active() != "" || m.NextField() != FieldExpiry {
		t.Fatalf("%+v active %s", ch, m.Active())
	}
}

func TestMachinePostalAndGenericFields(t *testing.T) {
	specs := []FieldSpec{{Name: FieldCardNumber}, {Name: FieldExpiry}, {Name: FieldPostalCode, MaxLength: 5},
		{Name: "account", MinLength: 6, MaxLength: 8, Clear: true}}
	m := newMachine(t, DefaultRules(), specs)
	now := t0
	m.Start(FieldCardNumber, now)
	feed(t, m, "42424242424242421230", &now)
	if m.Active() != FieldPostalCode {
		t.Fatal(m.Active())
	}
	if ch := feed(t, m, "#", &now); ch.Kind != ChangeNone {
		t.Fatalf("%+v", ch)
	}
	feed(t, m, "902", &now)
	if fv := fieldView(t, m, FieldPostalCode); fv.Masked != "***" {
		t.Fatalf("postal shown %q", fv.Masked)
	}
	ch := feed(t, m, "10", &now) // 5 digits: full length
	if ch.Kind != ChangeComplete || ch.Next != "account" {
		t.Fatalf("%+v", ch)
	}
	ch = feed(t, m, "123#", &now)
	if ch.Kind != ChangeInvalid || !errors.Is(ch.Err, ErrInvalidDigits) {
		t.Fatalf("%+v", ch)
	}
	feed(t, m, "1234567", &now)
	if fv := fieldView(t, m, "account"); fv.Masked != "1234567" {
		t.Fatalf("clear field shown %q", fv.Masked)
	}
	ch = feed(t, m, "#", &now)
	if ch.Kind != ChangeComplete || !ch.Complete {
		t.Fatalf("%+v", ch)
	}
	if m.Digits("account") != "1234567" || m.Digits(FieldCardNumber) != "" || m.Digits("zz") != "" {
		t.Fatal("Digits")
	}
	c, err := m.Card()
	if err != nil || c.PostalCode() != "90210" || c.HasSecurityCode() {
		t.Fatalf("card %v %v", c, err)
	}
	c.Wipe()
	// Postal too long with a terminator is impossible (full length ends it); empty postal
	// with min length 2 is invalid.
	m2 := newMachine(t, DefaultRules(), []FieldSpec{{Name: FieldPostalCode, MinLength: 2}})
	m2.Start(FieldPostalCode, now)
	if ch := feed(t, m2, "1#", &now); !errors.Is(ch.Err, ErrInvalidPostalCode) {
		t.Fatalf("%+v", ch)
	}
}

func TestMachineDropSecurityCodeAndWipe(t *testing.T) {
	m := newMachine(t, DefaultRules(), cardFields())
	now := t0
	m.Start(FieldCardNumber, now)
	feed(t, m, "42424242424242421230847", &now)
	m.DropSecurityCode()
	if _, err := m.Card(); !errors.Is(err, ErrIncomplete) {
		t.Fatal("card without cvv")
	}
	if fv := fieldView(t, m, FieldSecurityCode); fv.State != StatePending || fv.Length != 0 {
		t.Fatalf("%+v", fv)
	}
	if _, err := m.Start(FieldSecurityCode, now); err != nil {
		t.Fatal(err)
	}
	feed(t, m, "847", &now)
	m.Wipe()
	for _, f := range m.fields {
		for _, b := range f.buf {
			if b != 0 {
				t.Fatal("buffer not zeroed")
			}
		}
	}
	if m.Complete() || m.Active() != "" {
		t.Fatal("wipe")
	}
}

func TestGenericFieldDefaults(t *testing.T) {
	m := newMachine(t, DefaultRules(), Specs("account"))
	now := t0
	m.Start("account", now)
	feed(t, m, "12345678901234567890", &now)
	if fv := fieldView(t, m, "account"); fv.MaxLength != MaxFieldLength || fv.Masked != strings.Repeat("*", 20) {
		t.Fatalf("%+v", fv)
	}
	if ch := feed(t, m, "#", &now); ch.Kind != ChangeComplete || m.Digits("account") != "12345678901234567890" {
		t.Fatalf("%+v", ch)
	}
}

func TestNewMachineRejects(t *testing.T) {
	tests := []struct {
		name  string
		rules Rules
		specs []FieldSpec
	}{
		{"terminator", Rules{Terminator: '1', MaxAttempts: 1}, cardFields()},
		{"attempts", Rules{Terminator: '#'}, cardFields()},
		{"timeout", Rules{Terminator: '#', MaxAttempts: 1, Timeout: -1}, cardFields()},
		{"mask", Rules{Terminator: '#', MaxAttempts: 1, MaskStyle: "all"}, cardFields()},
		{"brand", Rules{Terminator: '#', MaxAttempts: 1, AllowedBrands: []Brand{"visa", "amx"}}, cardFields()},
		{"no fields", DefaultRules(), nil},
		{"duplicate", DefaultRules(), Specs(FieldCardNumber, FieldCardNumber)},
		{"cvv first", DefaultRules(), Specs(FieldSecurityCode, FieldCardNumber)},
		{"cvv alone", DefaultRules(), Specs(FieldSecurityCode)},
		{"generic too long", DefaultRules(), []FieldSpec{{Name: "a", MaxLength: 33}}},
		{"bad name", DefaultRules(), []FieldSpec{{Name: "a b", MaxLength: 3}}},
		{"min over max", DefaultRules(), []FieldSpec{{Name: FieldPostalCode, MinLength: 5, MaxLength: 3}}},
	}
	for _, tt := range tests {
		if _, err := NewMachine(tt.rules, tt.specs); !errors.Is(err, ErrBadRules) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestMachineStop(t *testing.T) {
	m := newMachine(t, DefaultRules(), cardFields())
	now := t0
	m.Start(FieldCardNumber, now)
	feed(t, m, "4242424242424242123", &now)
	m.Stop()
	if m.Active() != "" || fieldView(t, m, FieldExpiry).Length != 0 || fieldView(t, m, FieldCardNumber).State != StateComplete {
		t.Fatalf("stop: %+v", m.View())
	}
	if _, err := m.Key('1', now); !errors.Is(err, ErrNoActiveField) {
		t.Fatal(err)
	}
}
