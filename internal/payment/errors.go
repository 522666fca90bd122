package payment

import "errors"

// Sentinel errors. Callers branch with errors.Is; the text never holds card data.
var (
	// ErrNotFound: no such session, attempt or token (or it belongs to another tenant).
	ErrNotFound = errors.New("payment: not found")
	// ErrConflict: the session changed since it was read (optimistic concurrency); read it
	// again and retry.
	ErrConflict = errors.New("payment: session changed concurrently")
	// ErrDuplicateKey: an idempotency key (session, attempt) or token ID is already used.
	ErrDuplicateKey = errors.New("payment: idempotency key already used")
	// ErrPairingInUse: an active session already has this call reference, call ID or header.
	ErrPairingInUse = errors.New("payment: call pairing already used by an active session")
	// ErrInvalidRequest: a session's fields are not acceptable (wrapped with the reason).
	ErrInvalidRequest = errors.New("payment: invalid request")
	// ErrIdempotencyMismatch: a session was created again with the same idempotency key
	// but different parameters.
	ErrIdempotencyMismatch = errors.New("payment: idempotency key reused with different parameters")
	// ErrWrongState: the action is not possible in the session's status (e.g. pay before
	// capture is complete, capture after approval).
	ErrWrongState = errors.New("payment: not possible in the session's current state")
	// ErrNotSecure: digits or capture were requested while the call is not in secure mode.
	ErrNotSecure = errors.New("payment: call is not in secure mode")
	// ErrNoCardData: this node holds no captured card for the session (it was captured on
	// another node, wiped after an answer, or lost in a restart); capture it again.
	ErrNoCardData = errors.New("payment: no card data held for this session")
	// ErrInDoubt: a previous attempt's answer was lost; it must be resolved before paying
	// again.
	ErrInDoubt = errors.New("payment: previous attempt in doubt")
	// ErrConnector: the connector could not complete the request (wrapped with details).
	ErrConnector = errors.New("payment: gateway connector error")
	// ErrLookupUnsupported: the gateway offers no way to look up a lost answer.
	ErrLookupUnsupported = errors.New("payment: gateway offers no lookup")
	// ErrIgnored reports a digit that was deliberately not captured (not in secure mode, no
	// field collecting, agent side, payment processing). The media layer treats it as
	// normal; it is not a fault.
	ErrIgnored = errors.New("payment: digit not captured")
)
