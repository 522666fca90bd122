package webhook

import "errors"

// ErrBadSignature means a webhook signature header is missing, malformed, too old or does
// not match the body.
var ErrBadSignature = errors.New("webhook: bad signature")
