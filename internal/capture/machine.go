package capture

import (
	"errors"
	"fmt"
	"time"
)

// ChangeKind says what a key, a timeout or a command did to a field.
type ChangeKind string

// Kinds of Change.
const (
	// ChangeNone: nothing changed (a terminator with no digits, an expiry not yet due).
	ChangeNone ChangeKind = "none"
	// ChangeStarted: the field started collecting digits.
	ChangeStarted ChangeKind = "started"
	// ChangeDigit: a digit was added to the field.
	ChangeDigit ChangeKind = "digit"
	// ChangeComplete: the field ended with a valid value.
	ChangeComplete ChangeKind = "complete"
	// ChangeInvalid: the attempt ended with an invalid value or a timeout (Err says which);
	// the field stays active for another attempt.
	ChangeInvalid ChangeKind = "invalid"
	// ChangeFailed: the attempt ended invalid and no attempts remain (Err wraps
	// ErrTooManyAttempts and the last cause).
	ChangeFailed ChangeKind = "failed"
	// ChangeReset: the field was cleared and collects again.
	ChangeReset ChangeKind = "reset"
	// ChangeRestarted: every field was cleared; the first collects again.
	ChangeRestarted ChangeKind = "restarted"
)

// Change reports what one call to a Machine did.
type Change struct {
	// Kind of change.
	Kind ChangeKind
	// Field that changed.
	Field FieldName
	// Err is the validation error of an invalid or failed attempt.
	Err error
	// Next is the field started automatically after this one completed, if any.
	Next FieldName
	// Complete is true when every field is now complete.
	Complete bool
}

type field struct {
	spec     FieldSpec
	buf      [MaxFieldLength]byte
	n        int
	state    FieldState
	attempts int
	err      error
}

func (f *field) clear() {
	zero(f.buf[:])
	f.n = 0
}

// Machine collects one session's fields from keypad digits. It is not safe for concurrent
// use: the owner serialises calls. It never sleeps: the caller passes the time of each
// event and calls Expire when Deadline passes.
type Machine struct {
	rules  Rules
	fields []*field
	active int // index of the active field, -1 when none
	last   time.Time

	brand    Brand
	expMonth int
	expYear  int
}

// NewMachine returns a machine collecting fields in the order given. The security code, if
// asked for, needs the card number before it. No field is active until Start.
func NewMachine(rules Rules, specs []FieldSpec) (*Machine, error) {
	if rules.MaskStyle == "" {
		rules.MaskStyle = MaskLast4
	}
	if err := rules.check(); err != nil {
		return nil, err
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("%w: no fields", ErrBadRules)
	}
	m := &Machine{rules: rules, active: -1}
	seen := map[FieldName]int{}
	for i, s := range specs {
		if err := s.normalise(); err != nil {
			return nil, err
		}
		if _, dup := seen[s.Name]; dup {
			return nil, fmt.Errorf("%w: field %s twice", ErrBadRules, s.Name)
		}
		seen[s.Name] = i
		m.fields = append(m.fields, &field{spec: s, state: StatePending})
	}
	if cvv, ok := seen[FieldSecurityCode]; ok {
		if pan, ok := seen[FieldCardNumber]; !ok || pan > cvv {
			return nil, fmt.Errorf("%w: the security code needs the card number before it", ErrBadRules)
		}
	}
	return m, nil
}

// Rules returns the machine's rules.
func (m *Machine) Rules() Rules { return m.rules }

func (m *Machine) find(name FieldName) (int, error) {
	for i, f := range m.fields {
		if f.spec.Name == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%w: %s", ErrUnknownField, name)
}

// Active returns the field collecting digits, "" when none.
func (m *Machine) Active() FieldName {
	if m.active < 0 {
		return ""
	}
	return m.fields[m.active].spec.Name
}

// Complete reports whether every field is complete.
func (m *Machine) Complete() bool {
	for _, f := range m.fields {
		if f.state != StateComplete {
			return false
		}
	}
	return true
}

// NextField returns the first field that is not complete, "" when all are.
func (m *Machine) NextField() FieldName {
	for _, f := range m.fields {
		if f.state != StateComplete {
			return f.spec.Name
		}
	}
	return ""
}

// Start makes the named field collect digits from now, discarding the digits of a field
// that was active and of the named field (a complete field is collected again). The
// security code cannot start before the card number is complete (ErrCardNumberFirst), nor
// a field that used all its attempts (ErrTooManyAttempts; Reset it or StartAgain).
func (m *Machine) Start(name FieldName, now time.Time) (Change, error) {
	i, err := m.find(name)
	if err != nil {
		return Change{}, err
	}
	f := m.fields[i]
	if f.state == StateFailed {
		return Change{}, fmt.Errorf("%w: %s", ErrTooManyAttempts, name)
	}
	if name == FieldSecurityCode {
		if p, _ := m.find(FieldCardNumber); m.fields[p].state != StateComplete {
			return Change{}, ErrCardNumberFirst
		}
	}
	m.deactivate()
	if f.state == StateComplete {
		m.invalidate(i)
	}
	f.clear()
	f.state = StateActive
	m.active, m.last = i, now
	return Change{Kind: ChangeStarted, Field: name}, nil
}

// deactivate stops the active field; its partial digits are discarded.
func (m *Machine) deactivate() {
	if m.active < 0 {
		return
	}
	f := m.fields[m.active]
	f.clear()
	if f.state == StateActive {
		f.state = StatePending
		if f.err != nil {
			f.state = StateInvalid
		}
	}
	m.active = -1
}

// invalidate marks field i as no longer complete, and with the card number the security
// code that was checked against its brand.
func (m *Machine) invalidate(i int) {
	f := m.fields[i]
	f.clear()
	f.state, f.err = StatePending, nil
	switch f.spec.Name {
	case FieldCardNumber:
		m.brand = BrandUnknown
		if j, err := m.find(FieldSecurityCode); err == nil {
			c := m.fields[j]
			c.clear()
			if c.state == StateComplete || c.state == StateActive {
				c.state = StatePending
			}
			if m.active == j {
				m.active = -1
			}
		}
	case FieldExpiry:
		m.expMonth, m.expYear = 0, 0
	}
}

// Key feeds one key ('0'–'9' or the terminator) to the active field. Validation failures
// are reported in the Change (ChangeInvalid, ChangeFailed with Err); the error is for keys
// that cannot be taken (ErrNoActiveField, ErrInvalidKey), which change nothing.
func (m *Machine) Key(k byte, now time.Time) (Change, error) {
	if m.active < 0 {
		return Change{}, ErrNoActiveField
	}
	f := m.fields[m.active]
	switch {
	case k == m.rules.Terminator:
		m.last = now
		if f.n == 0 {
			return Change{Kind: ChangeNone, Field: f.spec.Name}, nil
		}
		return m.end(now), nil
	case k >= '0' && k <= '9':
		m.last = now
		f.buf[f.n] = k
		f.n++
		f.state = StateActive
		if m.full(f) {
			return m.end(now), nil
		}
		return Change{Kind: ChangeDigit, Field: f.spec.Name}, nil
	}
	return Change{}, ErrInvalidKey
}

// full reports whether the active field ends without a terminator now.
func (m *Machine) full(f *field) bool {
	switch f.spec.Name {
	case FieldCardNumber:
		if f.n >= MaxPANLength {
			return true
		}
		b := DetectBrand(f.buf[:f.n])
		spec := brandInfo[b]
		return b.Valid() && spec.common == f.n && (!spec.luhn || Luhn(f.buf[:f.n]))
	case FieldSecurityCode:
		return f.n >= m.brand.SecurityCodeLength()
	}
	return f.n >= f.spec.MaxLength
}

// end validates the active field's value and moves on.
func (m *Machine) end(now time.Time) Change {
	f := m.fields[m.active]
	err := m.validate(f, now)
	if err != nil {
		return m.fail(f, err)
	}
	f.state, f.err = StateComplete, nil
	ch := Change{Kind: ChangeComplete, Field: f.spec.Name}
	m.active = -1
	if !m.rules.NoAutoAdvance {
		if next := m.NextField(); next != "" {
			if _, err := m.Start(next, now); err == nil {
				ch.Next = next
			}
		}
	}
	ch.Complete = m.Complete()
	return ch
}

// fail ends the active field's attempt with err.
func (m *Machine) fail(f *field, err error) Change {
	f.clear()
	f.attempts++
	f.err = err
	if f.attempts >= m.rules.MaxAttempts {
		f.state = StateFailed
		f.err = errors.Join(ErrTooManyAttempts, err)
		m.active = -1
		return Change{Kind: ChangeFailed, Field: f.spec.Name, Err: f.err}
	}
	f.state = StateInvalid
	return Change{Kind: ChangeInvalid, Field: f.spec.Name, Err: err}
}

func (m *Machine) validate(f *field, now time.Time) error {
	v := f.buf[:f.n]
	switch f.spec.Name {
	case FieldCardNumber:
		b, err := ValidatePAN(v, m.rules.AllowedBrands)
		if err != nil {
			return err
		}
		m.brand = b
	case FieldExpiry:
		mo, y, err := ValidateExpiry(v, now)
		if err != nil {
			return err
		}
		m.expMonth, m.expYear = mo, y
	case FieldSecurityCode:
		return ValidateSecurityCode(v, m.brand)
	case FieldPostalCode:
		if f.n < f.spec.MinLength || f.n > f.spec.MaxLength {
			return ErrInvalidPostalCode
		}
	default:
		if f.n < f.spec.MinLength || f.n > f.spec.MaxLength {
			return ErrInvalidDigits
		}
	}
	return nil
}

// Deadline returns when the active field's attempt times out; ok is false when no field
// is active or the rules have no timeout.
func (m *Machine) Deadline() (t time.Time, ok bool) {
	if m.active < 0 || m.rules.Timeout <= 0 {
		return time.Time{}, false
	}
	return m.last.Add(m.rules.Timeout), true
}

// Expire ends the active field's attempt with ErrInputTimeout when its deadline has
// passed at now; otherwise it returns ChangeNone. The next attempt's deadline counts from
// now.
func (m *Machine) Expire(now time.Time) Change {
	d, ok := m.Deadline()
	if !ok || now.Before(d) {
		return Change{Kind: ChangeNone}
	}
	m.last = now
	return m.fail(m.fields[m.active], ErrInputTimeout)
}

// Stop ends collection: the active field's partial digits are discarded and no field is
// active (for example when secure mode is turned off). Complete fields are kept.
func (m *Machine) Stop() { m.deactivate() }

// Reset clears the named field, gives it all its attempts back and makes it collect
// digits. Resetting the card number also clears the security code.
func (m *Machine) Reset(name FieldName, now time.Time) (Change, error) {
	i, err := m.find(name)
	if err != nil {
		return Change{}, err
	}
	m.deactivate()
	m.invalidate(i)
	m.fields[i].attempts = 0
	if name == FieldCardNumber {
		if j, err := m.find(FieldSecurityCode); err == nil {
			m.fields[j].attempts, m.fields[j].err = 0, nil
			m.fields[j].state = StatePending
		}
	}
	if _, err := m.Start(name, now); err != nil {
		// The security code cannot start before the card number: it stays pending.
		return Change{Kind: ChangeReset, Field: name}, nil
	}
	return Change{Kind: ChangeReset, Field: name}, nil
}

// StartAgain clears every field, gives them all their attempts back and starts the first.
func (m *Machine) StartAgain(now time.Time) Change {
	m.active = -1
	for _, f := range m.fields {
		f.clear()
		f.state, f.err, f.attempts = StatePending, nil, 0
	}
	m.brand, m.expMonth, m.expYear = BrandUnknown, 0, 0
	first := m.fields[0].spec.Name
	_, _ = m.Start(first, now)
	return Change{Kind: ChangeRestarted, Field: first}
}

// Card returns the collected card once the card number and every other card field the
// machine collects are complete (ErrIncomplete before). The Card has its own copy of the
// digits: Wipe it after use, and Wipe the machine when the session ends.
func (m *Machine) Card() (Card, error) {
	var pan, cvv, postal []byte
	havePAN := false
	for _, f := range m.fields {
		switch f.spec.Name {
		case FieldCardNumber, FieldExpiry, FieldSecurityCode, FieldPostalCode:
			if f.state != StateComplete {
				return Card{}, fmt.Errorf("%w: %s", ErrIncomplete, f.spec.Name)
			}
		}
		switch f.spec.Name {
		case FieldCardNumber:
			pan, havePAN = f.buf[:f.n], true
		case FieldSecurityCode:
			cvv = f.buf[:f.n]
		case FieldPostalCode:
			postal = f.buf[:f.n]
		}
	}
	if !havePAN {
		return Card{}, fmt.Errorf("%w: no card number", ErrIncomplete)
	}
	return NewCard(pan, m.expMonth, m.expYear, cvv, postal, m.rules.MaskStyle), nil
}

// Digits returns a copy of a complete generic field's digits (not a card field, ""
// otherwise), e.g. an account number for the gateway request.
func (m *Machine) Digits(name FieldName) string {
	i, err := m.find(name)
	if err != nil || name.IsCard() {
		return ""
	}
	f := m.fields[i]
	if f.state != StateComplete {
		return ""
	}
	return string(f.buf[:f.n])
}

// DropSecurityCode zeroes the collected security code; the field goes back to pending so
// that a new payment attempt collects it again.
func (m *Machine) DropSecurityCode() {
	i, err := m.find(FieldSecurityCode)
	if err != nil {
		return
	}
	f := m.fields[i]
	f.clear()
	if f.state == StateComplete {
		f.state = StatePending
	}
	if m.active == i {
		m.active = -1
	}
}

// Wipe zeroes every digit held; every field goes back to pending.
func (m *Machine) Wipe() {
	m.active = -1
	for _, f := range m.fields {
		f.clear()
		f.state, f.err, f.attempts = StatePending, nil, 0
	}
	m.brand, m.expMonth, m.expYear = BrandUnknown, 0, 0
}

// View returns the masked state for the agent.
func (m *Machine) View() View {
	v := View{Active: m.Active(), Fields: make([]FieldView, len(m.fields)), Complete: m.Complete()}
	for i, f := range m.fields {
		fv := FieldView{
			Name:        f.spec.Name,
			State:       f.state,
			Length:      f.n,
			MaxLength:   f.spec.MaxLength,
			Valid:       f.state == StateComplete,
			Attempts:    f.attempts,
			MaxAttempts: m.rules.MaxAttempts,
			Error:       ErrorCode(f.err),
		}
		d := f.buf[:f.n]
		switch f.spec.Name {
		case FieldCardNumber:
			if f.state == StateComplete {
				fv.Masked = string(MaskPAN(nil, f.n, d[:6], d[f.n-4:], m.rules.MaskStyle))
			} else {
				fv.Masked = string(appendStars(nil, f.n))
			}
		case FieldSecurityCode:
			fv.MaxLength = m.brand.SecurityCodeLength()
			fv.Masked = string(appendStars(nil, f.n))
		default:
			if f.spec.Clear {
				fv.Masked = string(d)
			} else {
				fv.Masked = string(appendStars(nil, f.n))
			}
		}
		if f.spec.Name == FieldCardNumber {
			if f.state == StateComplete {
				v.Brand = m.brand
			} else if f.n > 0 {
				v.Brand = DetectBrand(d)
			}
		}
		v.Fields[i] = fv
	}
	return v
}
