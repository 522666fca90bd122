// Package payment holds payment sessions and sends captured cards to a payment gateway.
//
// A Session is what an agent (or an integration) creates: an amount, a currency, the fields
// to collect, an idempotency key and the way it pairs with a call. The Service drives a
// session: it feeds keypad digits to the capture state machine, keeps the masked view in the
// session, records every change as an Event, and pays through a Connector. Sessions,
// events, payment attempts and reusable tokens are kept through the Repository interface,
// implemented by internal/store.
//
// Card data never leaves this package except towards the gateway: the session, its events,
// its result and every error hold at most the first six and last four digits of the card
// number, its brand and expiry, and the gateway's token.
package payment
