package capture

// FieldName names one field a session collects.
type FieldName string

// The fields a session can collect. Generic digit fields (an account number, a reference)
// use any other name; see FieldSpec.
const (
	// FieldCardNumber is the primary account number (PAN), 12 to 19 digits.
	FieldCardNumber FieldName = "card_number"
	// FieldExpiry is the expiry date as four digits MMYY.
	FieldExpiry FieldName = "expiry"
	// FieldSecurityCode is the card security code (CVV/CVC/CID), 3 digits or 4 for Amex.
	FieldSecurityCode FieldName = "security_code"
	// FieldPostalCode is the numeric part of the billing postcode or house number used for
	// address verification (AVS).
	FieldPostalCode FieldName = "postal_code"
)

// IsCard reports whether the field is one of the card fields (card number, expiry,
// security code), which the state machine collects in that order.
func (f FieldName) IsCard() bool {
	return f == FieldCardNumber || f == FieldExpiry || f == FieldSecurityCode
}

// FieldState is where one field is in its life.
type FieldState string

// Field states as the agent sees them.
const (
	// StatePending: not asked for yet.
	StatePending FieldState = "pending"
	// StateActive: digits are being collected.
	StateActive FieldState = "active"
	// StateComplete: the field ended and its value is valid.
	StateComplete FieldState = "complete"
	// StateInvalid: the last attempt ended with an invalid value; the field can be asked
	// again while attempts remain.
	StateInvalid FieldState = "invalid"
	// StateFailed: no attempts remain (too many attempts); the field cannot be completed
	// without starting again.
	StateFailed FieldState = "failed"
)
