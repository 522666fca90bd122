// Package dtmf hears, masks and carries telephone key presses (DTMF) in all three of their
// transports: tones in the audio, RFC 4733 telephone-events, and SIP INFO bodies.
//
//   - Detector is the strict, standards-conforming in-band receiver (ITU-T Q.24, ETSI ES 201
//     235-3): it confirms a digit within 30 ms of the tone's onset and reports sample-accurate
//     start and end estimates.
//   - ToneGate is the sensitive, fail-closed tone-energy gate the masker uses: it marks every
//     stretch of audio that carries or may carry DTMF energy, with a fixed decision delay of at
//     most 20 ms, so that a tone can be replaced before any of it leaves.
//   - MaskSignal makes the signals that replace key tones (flat tone, fixed digit, silence,
//     comfort noise); the generator functions make DTMF for tests, benches and the CLI.
//   - TelephoneEvent, EventReceiver and EventSender implement RFC 4733; SIPInfo parses and
//     builds application/dtmf-relay and application/dtmf bodies.
//
// Digits are the bytes '0'-'9', '*', '#' and 'A'-'D'. Audio is 8 kHz linear int16.
package dtmf
