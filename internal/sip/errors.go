package sip

import "errors"

// Sentinel errors of package sip. Callers branch on them with errors.Is.
var (
	// ErrNoCall means no active call has the given ID.
	ErrNoCall = errors.New("sip: no such call")

	// ErrCannotSecure means the call's media cannot be masked (a codec the relay cannot
	// decode, encrypted media, no media yet); the error wrapping it gives the reason.
	ErrCannotSecure = errors.New("sip: call cannot be secured")

	// ErrNotPaired means secure mode was asked for a call that no payment session is paired
	// with.
	ErrNotPaired = errors.New("sip: call is not paired with a payment session")

	// ErrTimeout is returned by UASLeg.Collect when no key was pressed in time.
	ErrTimeout = errors.New("sip: no key pressed in time")

	// ErrHungUp is returned by the UASLeg primitives once the call has ended.
	ErrHungUp = errors.New("sip: call ended")

	// ErrBadConfig means the SIP options are not usable.
	ErrBadConfig = errors.New("sip: invalid options")
)

var errUASMode = errors.New("no IVR flow is configured on this node")
