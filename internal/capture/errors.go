package capture

import "errors"

// Validation errors: why a field's attempt ended without a valid value. Each carries a
// stable code (ErrorCode) that the API and the agent's screen show. Their text never holds
// a digit of the value.
var (
	// ErrInvalidCardNumber: wrong length for the brand, or the Luhn check failed.
	ErrInvalidCardNumber = errors.New("invalid-card-number")
	// ErrInvalidCardType: the number matches no known brand, or its brand is not allowed.
	ErrInvalidCardType = errors.New("invalid-card-type")
	// ErrInvalidDate: the expiry is not MMYY with a real month, is in the past, or is too
	// far in the future.
	ErrInvalidDate = errors.New("invalid-date")
	// ErrInvalidSecurityCode: the security code has the wrong length for the brand.
	ErrInvalidSecurityCode = errors.New("invalid-security-code")
	// ErrInvalidPostalCode: the postcode / house number digits are empty or too long.
	ErrInvalidPostalCode = errors.New("invalid-postal-code")
	// ErrInvalidDigits: a generic digit field has the wrong length.
	ErrInvalidDigits = errors.New("invalid-digits")
	// ErrInputTimeout: no key arrived within the inactivity timeout.
	ErrInputTimeout = errors.New("input-timeout")
	// ErrTooManyAttempts: the field used all its attempts; start again to collect it.
	ErrTooManyAttempts = errors.New("too-many-attempts")
)

// Usage errors: a request that does not fit the machine's state. They change nothing.
var (
	// ErrUnknownField: the session does not collect this field.
	ErrUnknownField = errors.New("capture: field not collected by this session")
	// ErrNoActiveField: a key arrived while no field is collecting digits.
	ErrNoActiveField = errors.New("capture: no field is collecting digits")
	// ErrInvalidKey: the key is not a digit nor the terminator.
	ErrInvalidKey = errors.New("capture: key is not a digit nor the terminator")
	// ErrCardNumberFirst: the security code was asked for before the card number was
	// complete and valid.
	ErrCardNumberFirst = errors.New("capture: the card number must be complete before the security code")
	// ErrIncomplete: the card was requested before every card field was complete.
	ErrIncomplete = errors.New("capture: card incomplete")
	// ErrBadRules: the rules or field specs are not usable (wrapped with the reason).
	ErrBadRules = errors.New("capture: invalid rules")
)

// ErrorCode returns the stable code of a validation error ("invalid-card-number", ...),
// or "" when err is nil or not a validation error. A failed field's error (which joins
// ErrTooManyAttempts and the last cause) gives "too-many-attempts".
func ErrorCode(err error) string {
	for _, e := range []error{ErrTooManyAttempts, ErrInputTimeout, ErrInvalidCardNumber, ErrInvalidCardType,
		ErrInvalidDate, ErrInvalidSecurityCode, ErrInvalidPostalCode, ErrInvalidDigits} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return ""
}
