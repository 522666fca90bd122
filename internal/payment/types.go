package payment

import (
	"time"

	"github.com/hushpay/hushpay/internal/capture"
)

// Type is the kind of payment a session takes.
type Type string

// Payment types.
const (
	// TypeSale charges the amount now.
	TypeSale Type = "sale"
	// TypePreauth authorises the amount without capturing it (pre-authorisation).
	TypePreauth Type = "preauth"
	// TypeVerify checks the card with the gateway without charging it (amount 0).
	TypeVerify Type = "verify"
	// TypeTokenize only stores the card at the gateway and returns a reusable token.
	TypeTokenize Type = "tokenize"
	// TypeRecurring charges the first payment of a Schedule now (when it starts today) and
	// keeps a reusable token for the following ones (continuous payment authority).
	TypeRecurring Type = "recurring"
)

// Valid reports whether t is a known payment type.
func (t Type) Valid() bool {
	switch t {
	case TypeSale, TypePreauth, TypeVerify, TypeTokenize, TypeRecurring:
		return true
	}
	return false
}

// Frequency is how often a recurring payment repeats.
type Frequency string

// Frequencies of a recurring schedule.
const (
	FrequencyWeekly    Frequency = "weekly"
	FrequencyMonthly   Frequency = "monthly"
	FrequencyQuarterly Frequency = "quarterly"
	FrequencyYearly    Frequency = "yearly"
)

// Schedule describes a recurring payment (continuous payment authority).
type Schedule struct {
	// Amount of each payment in minor units; the session's amount is the first one.
	Amount int64 `json:"amount"`
	// Count is the number of payments; 0 means until EndDate.
	Count int `json:"count,omitempty"`
	// StartDate is the date of the first payment, YYYY-MM-DD.
	StartDate string `json:"start_date"`
	// Frequency is how often it repeats.
	Frequency Frequency `json:"frequency"`
	// EndDate, YYYY-MM-DD, ends the authority (the term) when Count is 0.
	EndDate string `json:"end_date,omitempty"`
}

// Status is where a session is in its life.
type Status string

// Session statuses. A session is active (it can pair with a call and collect digits) until
// it is approved or cancelled.
const (
	// StatusPending: created, no field collected yet.
	StatusPending Status = "pending"
	// StatusCapturing: fields are being collected.
	StatusCapturing Status = "capturing"
	// StatusReady: every required field is complete; the session can be paid.
	StatusReady Status = "ready"
	// StatusProcessing: an attempt has been sent to the gateway and has not answered yet.
	StatusProcessing Status = "processing"
	// StatusInDoubt: the gateway's answer was lost (timeout, broken connection); the
	// payment may or may not have been taken. Resolved by a lookup, never by charging again.
	StatusInDoubt Status = "in_doubt"
	// StatusDeclined: the gateway declined; the agent can start again or cancel.
	StatusDeclined Status = "declined"
	// StatusFailed: the attempt ended with a connector error (gateway fault, bad
	// configuration) and was not charged; the agent can start again or cancel.
	StatusFailed Status = "failed"
	// StatusApproved: paid (or authorised, verified, tokenised). Final.
	StatusApproved Status = "approved"
	// StatusCancelled: cancelled by the agent or an integration. Final.
	StatusCancelled Status = "cancelled"
)

// Active reports whether a session in this status still takes part in a call: it is not
// approved nor cancelled. Call references are unique among active sessions.
func (s Status) Active() bool { return s != StatusApproved && s != StatusCancelled }

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusCapturing, StatusReady, StatusProcessing, StatusInDoubt,
		StatusDeclined, StatusFailed, StatusApproved, StatusCancelled:
		return true
	}
	return false
}

// Session is one payment to take over a call. It holds no card data: Capture is the masked
// view, Result the masked outcome.
type Session struct {
	// ID identifies the session (unique, opaque, URL-safe).
	ID string `json:"id"`
	// Tenant owns the session; every lookup by an API caller is scoped to it.
	Tenant string `json:"tenant"`
	// AgentID is the agent taking the payment (for per-agent event streams), may be empty.
	AgentID string `json:"agent_id,omitempty"`

	// Type of payment.
	Type Type `json:"type"`
	// Amount in minor units of Currency (pence, cents); 0 for verify and tokenize.
	Amount int64 `json:"amount"`
	// Currency is the ISO 4217 alphabetic code in upper case, e.g. "GBP".
	Currency string `json:"currency"`
	// AccountRef is the merchant's reference for the customer or invoice.
	AccountRef string `json:"account_ref,omitempty"`
	// Description is free text shown on the gateway's record.
	Description string `json:"description,omitempty"`
	// Schedule is set for TypeRecurring only.
	Schedule *Schedule `json:"schedule,omitempty"`

	// RequiredFields lists the fields to collect, in order. The card fields (card number,
	// expiry, security code) are always collected in that order.
	RequiredFields []capture.FieldName `json:"required_fields"`
	// AllowedBrands restricts the brands accepted; empty means every brand.
	AllowedBrands []capture.Brand `json:"allowed_brands,omitempty"`

	// IdempotencyKey is chosen by the creator; unique per tenant. Creating a session again
	// with the same key returns the first one. Payment attempts derive their gateway
	// idempotency keys from it.
	IdempotencyKey string `json:"idempotency_key"`

	// Pairing says how the session is tied to a call.
	Pairing Pairing `json:"pairing"`
	// Secure is true while the call is in secure mode (customer digits masked).
	Secure bool `json:"secure"`

	// Capture is the masked view of the fields collected so far.
	Capture capture.View `json:"capture"`
	// Status of the session.
	Status Status `json:"status"`
	// Attempts counts payment attempts made so far.
	Attempts int `json:"attempts"`
	// Result of the last payment attempt, nil before the first one.
	Result *Result `json:"result,omitempty"`

	// CreatedAt and UpdatedAt are set by the Service (UTC).
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Version is incremented by every successful Repository.UpdateSession; an update whose
	// Version differs from the stored one fails with ErrConflict.
	Version int64 `json:"version"`
}

// Pairing ties a session to a call. CallRef is always set; CallID and Header are set when
// known.
type Pairing struct {
	// CallRef is the digits (6 by default) the agent keys on the phone to pair the call
	// with this session. Unique among active sessions.
	CallRef string `json:"call_ref"`
	// CallID is the SIP Call-ID (or the media layer's call identifier) of the paired call,
	// empty until paired. Unique among active sessions when set.
	CallID string `json:"call_id,omitempty"`
	// Header is a value the PBX or CRM puts in a configured SIP header of the call
	// (pairing without keying the call reference). Unique among active sessions when set.
	Header string `json:"header,omitempty"`
}

// PairingKind names which Pairing value a lookup uses.
type PairingKind string

// Pairing kinds for Repository.FindActive.
const (
	PairByCallRef PairingKind = "call_ref"
	PairByCallID  PairingKind = "call_id"
	PairByHeader  PairingKind = "header"
)

// Outcome is the gateway's verdict on one attempt.
type Outcome string

// Outcomes of a payment attempt.
const (
	// OutcomeApproved: charged, authorised, verified or tokenised.
	OutcomeApproved Outcome = "approved"
	// OutcomeDeclined: refused by the issuer or the gateway; not charged.
	OutcomeDeclined Outcome = "declined"
	// OutcomeError: a connector error (fault, bad configuration); known not charged.
	OutcomeError Outcome = "error"
	// OutcomeInDoubt: no usable answer; may have been charged. Resolved by a lookup.
	OutcomeInDoubt Outcome = "in_doubt"
)

// DeclineCode is Hushpay's gateway-independent reason for a decline or an error. Each
// connector maps its gateway's codes to these.
type DeclineCode string

// Decline and error codes.
const (
	DeclineGeneric            DeclineCode = "card_declined"
	DeclineInsufficientFunds  DeclineCode = "insufficient_funds"
	DeclineIncorrectCVC       DeclineCode = "incorrect_cvc"
	DeclineExpiredCard        DeclineCode = "expired_card"
	DeclineIncorrectNumber    DeclineCode = "incorrect_number"
	DeclineLostOrStolen       DeclineCode = "lost_or_stolen"
	DeclineFraud              DeclineCode = "fraudulent"
	DeclineAddressMismatch    DeclineCode = "incorrect_postal_code"
	DeclineProcessingError    DeclineCode = "processing_error"
	DeclineCardNotSupported   DeclineCode = "card_not_supported"
	DeclineCurrencyNotAllowed DeclineCode = "currency_not_supported"
	// ErrorGatewayUnavailable: the gateway could not be reached or answered 5xx; not charged.
	ErrorGatewayUnavailable DeclineCode = "gateway_unavailable"
	// ErrorGatewayConfig: the connector is misconfigured (bad key, bad URL).
	ErrorGatewayConfig DeclineCode = "gateway_configuration"
	// ErrorGatewayProtocol: the gateway answered something we cannot read.
	ErrorGatewayProtocol DeclineCode = "gateway_protocol"
	// ErrorAnswerLost: the request may have reached the gateway but the answer was lost.
	ErrorAnswerLost DeclineCode = "answer_lost"
)

// Reason returns a plain-language explanation of the code, suitable for the agent.
func (c DeclineCode) Reason() string {
	switch c {
	case DeclineGeneric:
		return "The card was declined. Ask the customer for another card or another means of payment."
	case DeclineInsufficientFunds:
		return "The card has insufficient funds."
	case DeclineIncorrectCVC:
		return "The security code is incorrect."
	case DeclineExpiredCard:
		return "The card has expired."
	case DeclineIncorrectNumber:
		return "The card number is incorrect."
	case DeclineLostOrStolen:
		return "The card was declined (reported lost or stolen). Ask for another means of payment."
	case DeclineFraud:
		return "The card was declined as suspected fraud. Ask for another means of payment."
	case DeclineAddressMismatch:
		return "The postcode or house number does not match the card's billing address."
	case DeclineProcessingError:
		return "The gateway had a processing error. The card was not charged; try again."
	case DeclineCardNotSupported:
		return "This card does not support this kind of payment."
	case DeclineCurrencyNotAllowed:
		return "The card does not support this currency."
	case ErrorGatewayUnavailable:
		return "The payment gateway is unavailable. The card was not charged; try again later."
	case ErrorGatewayConfig:
		return "The payment gateway is misconfigured. The card was not charged; contact support."
	case ErrorGatewayProtocol:
		return "The payment gateway gave an answer Hushpay cannot read. The card was not charged."
	case ErrorAnswerLost:
		return "The payment gateway did not answer in time. The payment may have been taken; it is being checked. Do not take the payment again."
	case "":
		return ""
	}
	return "The payment was not completed (" + string(c) + ")."
}

// Result is the masked outcome of a payment attempt.
type Result struct {
	// Outcome of the attempt.
	Outcome Outcome `json:"outcome"`
	// AuthCode is the issuer's authorisation code, when the gateway returns one.
	AuthCode string `json:"auth_code,omitempty"`
	// ChargeID is the gateway's identifier of the charge / payment intent.
	ChargeID string `json:"charge_id,omitempty"`
	// TokenID is the gateway's reusable token (tokenize, recurring, verify when offered).
	TokenID string `json:"token_id,omitempty"`
	// DeclineCode says why the attempt was declined or failed; empty when approved.
	DeclineCode DeclineCode `json:"decline_code,omitempty"`
	// Reason is the plain-language explanation for the agent.
	Reason string `json:"reason,omitempty"`
	// First6 is the card's first six digits when the mask style allows them, else empty.
	First6 string `json:"first6,omitempty"`
	// Last4 is the card's last four digits.
	Last4 string `json:"last4,omitempty"`
	// Brand of the card.
	Brand capture.Brand `json:"brand,omitempty"`
	// ExpMonth (1-12) and ExpYear (four digits) of the card.
	ExpMonth int `json:"exp_month,omitempty"`
	ExpYear  int `json:"exp_year,omitempty"`
	// Gateway is the connector's name (test, stripe, http).
	Gateway string `json:"gateway"`
	// At is when the gateway answered (UTC).
	At time.Time `json:"at"`
}

// MaskedPAN returns the card number as asterisks around First6 (when set) and Last4,
// e.g. "************4242" or "424242******4242", for a card of length n (16 when n is 0).
func (r *Result) MaskedPAN(n int) string {
	if n <= 0 {
		n = 16
	}
	if r == nil || len(r.Last4) != 4 {
		return ""
	}
	b := make([]byte, 0, n)
	if len(r.First6) == 6 && n > 10 {
		b = append(b, r.First6...)
	}
	for len(b) < n-4 {
		b = append(b, '*')
	}
	return string(append(b, r.Last4...))
}

// AttemptStatus is where a payment attempt is.
type AttemptStatus string

// Attempt statuses.
const (
	// AttemptPending: recorded before the request is sent; if the process dies now, the
	// attempt is in doubt on restart.
	AttemptPending AttemptStatus = "pending"
	// AttemptDone: the gateway answered (approved, declined or a known-not-charged error).
	AttemptDone AttemptStatus = "done"
	// AttemptInDoubt: the answer may have been lost.
	AttemptInDoubt AttemptStatus = "in_doubt"
)

// Attempt is one request to the gateway, keyed by its idempotency key so that a retry of
// the same attempt (by us or by the gateway's own retries) can never charge twice.
type Attempt struct {
	// Key is the idempotency key sent to the gateway: the session's idempotency key, "/",
	// and the attempt number. Unique.
	Key string `json:"key"`
	// SessionID and Tenant of the session paid.
	SessionID string `json:"session_id"`
	Tenant    string `json:"tenant"`
	// Number is 1 for the first attempt of the session, 2 for the next, and so on; 0 for
	// a charge of a stored token (ChargeToken).
	Number int `json:"number"`
	// TokenID is the stored token charged, for a token charge (Number 0).
	TokenID string `json:"token_id,omitempty"`
	// Gateway is the connector's name.
	Gateway string `json:"gateway"`
	// Amount and Currency sent.
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	// Status of the attempt.
	Status AttemptStatus `json:"status"`
	// Result once the gateway answered (or the attempt was found in doubt).
	Result *Result `json:"result,omitempty"`
	// CreatedAt and UpdatedAt (UTC).
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Token is a reusable gateway token kept for recurring payments. It holds no card data
// beyond the masked details.
type Token struct {
	// ID identifies the token in Hushpay.
	ID string `json:"id"`
	// Tenant owns it; SessionID is the session that created it.
	Tenant    string `json:"tenant"`
	SessionID string `json:"session_id"`
	// Gateway is the connector's name; GatewayToken the gateway's own reference
	// (Stripe: a PaymentMethod ID, with Customer when one was created).
	Gateway      string `json:"gateway"`
	GatewayToken string `json:"gateway_token"`
	Customer     string `json:"customer,omitempty"`
	// Masked card details.
	First6   string        `json:"first6,omitempty"`
	Last4    string        `json:"last4"`
	Brand    capture.Brand `json:"brand"`
	ExpMonth int           `json:"exp_month"`
	ExpYear  int           `json:"exp_year"`
	// Schedule, when the token backs a recurring payment.
	Schedule *Schedule `json:"schedule,omitempty"`
	// CreatedAt (UTC).
	CreatedAt time.Time `json:"created_at"`
}
