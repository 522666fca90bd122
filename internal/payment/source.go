package payment

// Side says which party of a call pressed a key.
type Side string

// Sides of a call.
const (
	// SideCustomer: the caller; in secure mode their digits are captured (and masked
	// towards the agent by the media layer).
	SideCustomer Side = "customer"
	// SideAgent: the contact centre's side; its digits are never captured as card data.
	// Outside secure mode they can key the call reference that pairs the call.
	SideAgent Side = "agent"
)

// Transport says how a key press arrived.
type Transport string

// DTMF transports.
const (
	TransportInband  Transport = "inband"   // tones in the audio
	TransportRFC4733 Transport = "rfc4733"  // RTP telephone-events (RFC 4733)
	TransportSIPInfo Transport = "sip_info" // SIP INFO (application/dtmf-relay)
)

// Source describes where a digit came from.
type Source struct {
	// Side of the call that pressed the key.
	Side Side
	// Transport the key arrived by (for the record; it does not change what is done).
	Transport Transport
}
