// Package integration runs Hushpay against real peers: sipp (Debian sip-tester) as carrier and
// PBX, baresip as phones. Each test starts Hushpay's SIP server in-process on 127.0.0.1 and
// the peers as child processes with distinct ports; a missing peer skips the test on a
// developer machine and fails it under CI=true (internal/testpeer).
package integration
