package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/store"
)

// Sentinel errors of the API layer.
var (
	// ErrNoCallControl means no call registry is wired into this node (SIP not running), so
	// calls cannot be listed or secured here.
	ErrNoCallControl = errors.New("api: no call control on this node")
	// ErrNoCall means the call does not exist (or is not visible to the tenant).
	ErrNoCall = errors.New("api: no such call")
	// ErrCannotSecure means the call exists but its media cannot be secured (unknown codec,
	// no media yet); the message says why.
	ErrCannotSecure = errors.New("api: call cannot be secured")
)

// Error is the body of every error answer: a stable machine code and a human message. The
// message never holds card data (it passes through logging.Redact).
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes.
const (
	CodeUnauthorized        = "unauthorized"
	CodeForbidden           = "forbidden"
	CodeNotFound            = "not_found"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeInvalidRequest      = "invalid_request"
	CodeCardDataRejected    = "card_data_rejected"
	CodeTooLarge            = "payload_too_large"
	CodeUnsupportedMedia    = "unsupported_media_type"
	CodeIdempotencyRequired = "idempotency_key_required"
	CodeIdempotencyMismatch = "idempotency_mismatch"
	CodeConflict            = "conflict"
	CodePairingInUse        = "pairing_in_use"
	CodeWrongState          = "wrong_state"
	CodeNotSecure           = "not_secure"
	CodeInDoubt             = "in_doubt"
	CodeNoCardData          = "no_card_data"
	CodeGateway             = "gateway_error"
	CodeNoCallControl       = "no_call_control"
	CodeNoCall              = "no_call"
	CodeCannotSecure        = "cannot_secure"
	CodeInternal            = "internal"
)

// apiError is an error that knows its HTTP status and code.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errf(status int, code, msg string) *apiError { return &apiError{status, code, msg} }

// classify maps an error from the layers below to an HTTP status, a code and a message
// that is safe to show (never the raw text of an internal error).
func classify(err error) (int, string, string) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.code, ae.msg
	case errors.Is(err, payment.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, CodeNotFound, "no such resource"
	case errors.Is(err, payment.ErrInvalidRequest):
		return http.StatusBadRequest, CodeInvalidRequest, err.Error()
	case errors.Is(err, payment.ErrIdempotencyMismatch):
		return http.StatusConflict, CodeIdempotencyMismatch, "this Idempotency-Key was used with a different request body"
	case errors.Is(err, payment.ErrPairingInUse):
		return http.StatusConflict, CodePairingInUse, "an active session already uses this call reference, call or header"
	case errors.Is(err, payment.ErrDuplicateKey):
		return http.StatusConflict, CodeConflict, "duplicate key"
	case errors.Is(err, payment.ErrConflict), errors.Is(err, store.ErrConflict):
		return http.StatusConflict, CodeConflict, "the session changed at the same time; read it again and retry"
	case errors.Is(err, payment.ErrWrongState):
		return http.StatusConflict, CodeWrongState, err.Error()
	case errors.Is(err, payment.ErrNotSecure):
		return http.StatusConflict, CodeNotSecure, "the call is not in secure mode"
	case errors.Is(err, payment.ErrInDoubt):
		return http.StatusConflict, CodeInDoubt, "a previous payment attempt is in doubt; it must be resolved before paying again"
	case errors.Is(err, payment.ErrNoCardData):
		return http.StatusConflict, CodeNoCardData, "this node holds no captured card for the session; capture it again"
	case errors.Is(err, payment.ErrConnector), errors.Is(err, payment.ErrLookupUnsupported):
		return http.StatusBadGateway, CodeGateway, err.Error()
	case errors.Is(err, store.ErrCardData):
		return http.StatusBadRequest, CodeCardDataRejected, "the request holds a value that looks like a card number; card data is never accepted"
	case errors.Is(err, ErrNoCallControl):
		return http.StatusServiceUnavailable, CodeNoCallControl, "call control is not available on this node (SIP is not running here)"
	case errors.Is(err, ErrNoCall):
		return http.StatusNotFound, CodeNoCall, "no such call"
	case errors.Is(err, ErrCannotSecure):
		return http.StatusConflict, CodeCannotSecure, err.Error()
	}
	return http.StatusInternalServerError, CodeInternal, "internal error"
}

// writeError answers with the error body for err and logs server-side failures.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := classify(err)
	if status >= 500 && status != http.StatusServiceUnavailable {
		s.log.LogAttrs(r.Context(), slog.LevelError, "api: request failed", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	writeJSON(w, status, Error{Code: code, Message: logging.Redact(msg)})
}

// writeJSON writes v as the JSON answer with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
