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

	// ErrBadConfig means the SIP options are not usable.
	ErrBadConfig = errors.New("sip: invalid options")
)

var errUASMode = errors.New("conference-leg and IVR-entry numbers are configured but this build has no media endpoint for them yet")
