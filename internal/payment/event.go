package payment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"strconv"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/logging"
)

// EventType names what happened to a session.
type EventType string

// Event types, in the order a session usually emits them.
const (
	EventSessionCreated      EventType = "session.created"
	EventSessionPaired       EventType = "session.paired"
	EventSecureOn            EventType = "secure.on"
	EventSecureOff           EventType = "secure.off"
	EventCaptureFieldStarted EventType = "capture.field_started"
	EventCaptureDigit        EventType = "capture.digit"
	EventCaptureFieldDone    EventType = "capture.field_complete"
	EventCaptureFieldInvalid EventType = "capture.field_invalid"
	EventCaptureFieldReset   EventType = "capture.field_reset"
	EventCaptureRestarted    EventType = "capture.restarted"
	EventCaptureComplete     EventType = "capture.complete"
	EventPaymentSubmitted    EventType = "payment.submitted"
	EventPaymentApproved     EventType = "payment.approved"
	EventPaymentDeclined     EventType = "payment.declined"
	EventPaymentFailed       EventType = "payment.failed"
	EventPaymentInDoubt      EventType = "payment.in_doubt"
	EventSessionCancelled    EventType = "session.cancelled"
)

// Event records one change of a session. Events are appended with the session change in
// one transaction (Repository.CreateSession, UpdateSession) and streamed to the agent.
type Event struct {
	// Seq numbers the session's events from 1, without gaps. Assigned by the Repository.
	Seq int64 `json:"seq"`
	// GlobalSeq orders every event of every session, increasing (gaps allowed); used to
	// resume per-agent and per-tenant streams. Assigned by the Repository.
	GlobalSeq int64 `json:"global_seq"`
	// SessionID, Tenant and AgentID of the session (copied for per-agent streams).
	SessionID string `json:"session_id"`
	Tenant    string `json:"tenant"`
	AgentID   string `json:"agent_id,omitempty"`
	// Type of event.
	Type EventType `json:"type"`
	// Data carries the details; it holds only masked values.
	Data Data `json:"data"`
	// Time of the change (UTC).
	Time time.Time `json:"time"`
}

// Data is the payload of an Event. By construction it holds only values that may be shown
// to an agent: it is built from Attr values whose constructors accept numbers too short to
// be a card number, strings with card-number-like digit runs removed, and the masked
// capture types. Values read back from JSON pass through the same filter.
type Data struct {
	m map[string]any
}

// Attr is one key and value of Data, made by Str, Int, Bool, FieldAttr, ViewAttr,
// ResultAttr.
type Attr struct {
	key string
	val any
}

// maxStr caps every string in Data; events carry identifiers and codes, not documents.
const maxStr = 512

// Str is a string attribute. Digit runs that could be a card number (12 digits or more)
// are removed; the value is cut at 512 bytes.
func Str(key, v string) Attr {
	if len(v) > maxStr {
		v = v[:maxStr]
	}
	return Attr{key, logging.Redact(v)}
}

// Int is an integer attribute; values of 12 digits or more are replaced by [REDACTED].
func Int(key string, v int64) Attr {
	if s := strconv.FormatInt(v, 10); logging.Redact(s) != s {
		return Attr{key, logging.Redacted}
	}
	return Attr{key, v}
}

// Bool is a boolean attribute.
func Bool(key string, v bool) Attr { return Attr{key, v} }

// ViewAttr is the masked capture view. Its text is filtered like Str's, so that a View
// built by hand cannot carry a card number either.
func ViewAttr(key string, v capture.View) Attr {
	fields := make([]capture.FieldView, len(v.Fields))
	for i, f := range v.Fields {
		fields[i] = cleanField(f)
	}
	v.Fields = fields
	return Attr{key, v}
}

// FieldAttr is the masked view of one field, filtered like ViewAttr.
func FieldAttr(key string, v capture.FieldView) Attr { return Attr{key, cleanField(v)} }

// ResultAttr is a masked payment result; its text is filtered like Str's.
func ResultAttr(key string, r Result) Attr {
	for _, p := range []*string{&r.AuthCode, &r.ChargeID, &r.TokenID, &r.Reason, &r.First6, &r.Last4} {
		*p = logging.Redact(*p)
	}
	return Attr{key, r}
}

func cleanField(f capture.FieldView) capture.FieldView {
	f.Masked, f.Error = logging.Redact(f.Masked), logging.Redact(f.Error)
	return f
}

// NewData builds Data from attributes; a later attribute replaces an earlier one with the
// same key.
func NewData(attrs ...Attr) Data {
	d := Data{m: make(map[string]any, len(attrs))}
	for _, a := range attrs {
		d.m[logging.Redact(a.key)] = a.val
	}
	return d
}

// Len returns the number of attributes.
func (d Data) Len() int { return len(d.m) }

// Get returns the value of key: a string, int64, bool, capture.View, capture.FieldView,
// Result, or (after JSON decoding) a value decoded by encoding/json.
func (d Data) Get(key string) (any, bool) {
	v, ok := d.m[key]
	return v, ok
}

// String returns the value of key when it is a string.
func (d Data) String(key string) string {
	s, _ := d.m[key].(string)
	return s
}

// Map returns a copy of the attributes (for templates and tests).
func (d Data) Map() map[string]any { return maps.Clone(d.m) }

// MarshalJSON writes the attributes as a JSON object ({} when empty).
func (d Data) MarshalJSON() ([]byte, error) {
	if d.m == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(d.m)
}

// UnmarshalJSON reads a JSON object written by MarshalJSON (as a store keeps it). Every
// string and number inside it passes through the same filter as Str and Int.
func (d *Data) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("payment: event data: %w", err)
	}
	for k, v := range m {
		m[k] = filterJSON(v)
	}
	d.m = m
	return nil
}

func filterJSON(v any) any {
	switch x := v.(type) {
	case string:
		return logging.Redact(x)
	case json.Number:
		if s := x.String(); logging.Redact(s) != s {
			return logging.Redacted
		}
		if n, err := x.Int64(); err == nil {
			return n
		}
		if f, err := x.Float64(); err == nil && !math.IsInf(f, 0) {
			return f
		}
		return x.String() // out of range for float64: kept as text
	case map[string]any:
		for k, e := range x {
			x[k] = filterJSON(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = filterJSON(e)
		}
		return x
	}
	return v
}
