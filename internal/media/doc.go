// Package media is Hushpay's RTP relay: one Session per call joins a customer leg and an
// agent leg, forwards RTP and RTCP both ways, and in secure mode masks every key tone the
// customer keys before it reaches the agent or a recorder, while reporting the digits to a
// DigitSink.
//
// Each direction is a chain of small stages (see pipeline.go, where the order is declared):
//
//	customer → agent: receive → classify → order → lag → events → comfort noise → masker
//	                  → payload type → sequence → tap → send
//	agent → customer: receive → classify → events → in-band digits → payload type
//	                  → sequence → tap → send
//
// Outside secure mode every stage passes packets untouched, so payloads arrive
// bit-identical. In secure mode the customer-to-agent direction runs through the masker (a
// delay line behind a fail-closed tone gate) and the RFC 4733 events stage; the
// agent-to-customer direction is never altered. Lock order and goroutines are described in
// locks.txt.
//
// The package imports nothing of SIP, HTTP or SQL; the SIP layer gives it addresses and
// negotiated payload types, the capture engine reads digits from a DigitSink and the
// recorder reads post-mask packets from a Tap.
package media
