package capture

// MaskStyle says how much of a card number the masked view may show.
type MaskStyle string

// Mask styles. In both, digits appear only once the card number is complete and valid;
// while it is being keyed the agent sees one asterisk per digit.
const (
	// MaskLast4 shows asterisks and the last four digits (the default).
	MaskLast4 MaskStyle = "last4"
	// MaskFirst6Last4 shows the first six and the last four digits, asterisks between.
	MaskFirst6Last4 MaskStyle = "first6last4"
)

// View is the masked state of a session's capture, safe to send to the agent, store and
// put in events: it never holds more than the first six and last four digits of a card
// number, never a security code digit, and the expiry in clear.
type View struct {
	// Active is the field currently collecting digits, empty when none is.
	Active FieldName `json:"active,omitempty"`
	// Brand is the card brand detected so far from the card number.
	Brand Brand `json:"brand,omitempty"`
	// Fields lists every field the session collects, in collection order.
	Fields []FieldView `json:"fields"`
	// Complete is true when every field is complete.
	Complete bool `json:"complete"`
}

// FieldView is the masked state of one field.
type FieldView struct {
	// Name of the field.
	Name FieldName `json:"name"`
	// State of the field.
	State FieldState `json:"state"`
	// Masked is the value as the agent may see it: "************4242" or
	// "424242******4242" for a card number, "1230" for an expiry, "***" for a security
	// code, asterisks while digits are being keyed.
	Masked string `json:"masked"`
	// Length is the number of digits keyed so far in the current attempt.
	Length int `json:"length"`
	// MaxLength is the number of digits that ends the field without a terminator.
	MaxLength int `json:"max_length"`
	// Valid is true when the field's value passed every check.
	Valid bool `json:"valid"`
	// Attempts counts attempts used, MaxAttempts the limit.
	Attempts    int `json:"attempts"`
	MaxAttempts int `json:"max_attempts"`
	// Error is the code of the last failure (ErrorCode of a sentinel error), empty when none.
	Error string `json:"error,omitempty"`
}

// Field returns the view of the named field and whether the session collects it.
func (v View) Field(name FieldName) (FieldView, bool) {
	for _, f := range v.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return FieldView{}, false
}
