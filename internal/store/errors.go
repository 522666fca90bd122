package store

import "errors"

// Sentinel errors returned by the store. Callers branch on them with errors.Is.
var (
	// ErrNotFound means the row asked for does not exist (or belongs to another tenant).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a write lost a race: a version changed underneath it, or a unique
	// key (idempotency key, API key hash) is already taken.
	ErrConflict = errors.New("store: conflict")
	// ErrCardData means a value about to be written looks like a card number; nothing was
	// written. It is a programming error upstream and must never be silenced.
	ErrCardData = errors.New("store: refusing to write card data")
	// ErrDriver means the configured driver is not sqlite or postgres.
	ErrDriver = errors.New("store: unknown driver")
	// ErrClosed means the store was closed.
	ErrClosed = errors.New("store: closed")
)
