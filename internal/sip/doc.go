// Package sip is Hushpay's signalling: a back-to-back user agent (B2BUA) on
// github.com/emiago/sipgo that puts Hushpay in a call's path in front of a PBX.
//
// An INVITE from the carrier or SBC (the customer leg) is answered as a user agent server and
// a new INVITE is sent to the upstream chosen by the routing rules (the agent leg). Media is
// anchored through a media.Session: each SDP offer and answer is rewritten so that both sides
// send RTP to the relay (see package sdp). Dialog events (provisional responses, CANCEL, BYE,
// re-INVITE and UPDATE, INFO, errors, authentication challenges) are carried across from one
// leg to the other.
//
// The Registry keeps every active call and is how the rest of Hushpay sees calls: it lists
// them, reports changes, finds a call by ID, SIP Call-ID or pairing header, and turns secure
// mode on or off. Digits the relay reports (the agent's outside secure mode, the customer's in
// secure mode) go to the payment service; SIP INFO digits go through the relay first so that a
// key press is counted once whatever transports carried it.
//
// Lock order and goroutines are written down in locks.txt.
package sip
