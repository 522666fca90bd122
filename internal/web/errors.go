package web

import "errors"

// Sentinel errors of the package; handlers map them to pages and statuses.
var (
	// ErrBadPassword: the stored hash does not match the password (or is not an argon2id
	// hash this package made).
	ErrBadPassword = errors.New("web: wrong password")
	// ErrBadHash: a stored password hash cannot be parsed.
	ErrBadHash = errors.New("web: malformed password hash")
	// ErrBilling: the billing lookup failed (wrapped with the reason).
	ErrBilling = errors.New("web: billing lookup failed")
	// ErrReceipt: the receipt could not be sent (wrapped with the reason).
	ErrReceipt = errors.New("web: receipt not sent")
)
