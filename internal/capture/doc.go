// Package capture collects a card from keypad digits: it runs one field state machine per
// payment session (card number, expiry, security code, postcode, generic digit fields),
// validates each field as its digits arrive (brand, length, Luhn, expiry, security code
// length) and keeps a masked view that can be shown to the agent live.
//
// Card data is held only in a Card, which zeroes itself when wiped and whose every
// formatting path prints the masked form. The package imports nothing of HTTP, SQL or SIP.
package capture
