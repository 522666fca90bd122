package integration

import (
	"testing"

	"github.com/hushpay/hushpay/internal/testpeer"
)

func testpeerSipp(t *testing.T) string { return testpeer.LookPath(t, "sipp", "sip-tester") }
