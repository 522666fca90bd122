package payment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/logging"
)

// Connector sends payments to one gateway. Implementations: internal/payment/testgateway
// (built in, the default), internal/payment/stripe, internal/payment/httpgateway.
//
// A connector must be safe for concurrent use, must pass Request.Key to the gateway as its
// idempotency key (so that the gateway itself never charges the same key twice), must not
// keep the card after Pay returns, and must never put card data in an error.
type Connector interface {
	// Name identifies the gateway in results ("test", "stripe", "http").
	Name() string

	// Pay sends one attempt. It returns a Result whose Outcome is OutcomeApproved or
	// OutcomeDeclined when the gateway gave a definite answer, or a *ConnectorError when it
	// did not (MaybeCharged says whether the request may have been processed).
	Pay(ctx context.Context, req *Request) (*Result, error)

	// Lookup asks the gateway what became of the attempt with req.Key (req.Card is zero).
	// It returns the definite Result, ErrNotFound when the gateway has no record of the
	// key (so it was not charged), ErrLookupUnsupported, or a *ConnectorError.
	Lookup(ctx context.Context, req *Request) (*Result, error)
}

// Request is one attempt sent to a connector.
type Request struct {
	// Key is the idempotency key for the gateway; the same attempt is always sent with the
	// same key.
	Key string
	// Type of payment.
	Type Type
	// Amount in minor units and ISO 4217 Currency.
	Amount   int64
	Currency string
	// SessionID, Tenant, AccountRef and Description describe the payment for the gateway's
	// records (metadata).
	SessionID   string
	Tenant      string
	AccountRef  string
	Description string
	// Card holds the card for a first payment; it is zero when Token is set. The
	// connector reads it and must not keep it.
	Card capture.Card
	// Fields holds the digits of the session's generic fields (an account number...), by
	// field name; nil when there are none. Not card data, but not logged either.
	Fields map[string]string
	// Token charges a stored reusable token instead of a card (recurring payments after the
	// first).
	Token *Token
	// AttemptedAt is when the attempt was first sent (set on lookups), so that a connector
	// can tell when the gateway has forgotten the idempotency key.
	AttemptedAt time.Time
}

// ConnectorError is a gateway fault: the gateway could not be reached, timed out, failed
// (5xx) or answered something unreadable. Its text never holds card data.
type ConnectorError struct {
	// Gateway is the connector's name.
	Gateway string
	// Code classifies the fault (ErrorGatewayUnavailable, ErrorGatewayConfig,
	// ErrorGatewayProtocol, ErrorAnswerLost).
	Code DeclineCode
	// MaybeCharged is true when the request may have reached the gateway and been
	// processed (timeout after sending, broken connection, malformed or 5xx answer): the
	// attempt is in doubt until a Lookup resolves it. False when the request was surely not
	// processed (connection refused, 4xx configuration error).
	MaybeCharged bool
	// Err is the underlying error.
	Err error
}

// Error describes the fault; digit runs that could be a card number are removed.
func (e *ConnectorError) Error() string {
	msg := fmt.Sprintf("payment: %s gateway: %s", e.Gateway, e.Code)
	if e.MaybeCharged {
		msg += " (may have been charged)"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return logging.Redact(msg)
}

// Unwrap lets errors.Is match ErrConnector and the underlying error.
func (e *ConnectorError) Unwrap() []error { return []error{ErrConnector, e.Err} }

// NewConnectorError returns a *ConnectorError.
func NewConnectorError(gateway string, code DeclineCode, maybeCharged bool, err error) *ConnectorError {
	return &ConnectorError{Gateway: gateway, Code: code, MaybeCharged: maybeCharged, Err: err}
}

// AsConnectorError returns the *ConnectorError in err's chain, if any.
func AsConnectorError(err error) (*ConnectorError, bool) {
	var ce *ConnectorError
	ok := errors.As(err, &ce)
	return ce, ok
}
