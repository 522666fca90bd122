package sip

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/emiago/sipgo"

	"github.com/hushpay/hushpay/internal/media"
)

// Mode is how Hushpay takes part in a call.
type Mode string

// Modes of a call (DESIGN.md, "Three ways into a call").
const (
	ModeInline     Mode = "inline"
	ModeConference Mode = "conference"
	ModeIVR        Mode = "ivr"
)

// State is where a call's signalling is.
type State string

// Call states.
const (
	StateTrying   State = "trying"   // INVITE received, forwarded, no answer yet
	StateEarly    State = "early"    // a provisional response (180/183) came back
	StateAnswered State = "answered" // 200 OK sent to the caller
	StateEnded    State = "ended"
)

// MediaState is what the relay does with a call's audio.
type MediaState string

// Media states.
const (
	MediaNone   MediaState = "none"   // no media negotiated yet
	MediaActive MediaState = "active" // both sides send to the relay
	MediaHeld   MediaState = "held"   // one side put the call on hold (sendonly/inactive)
	MediaEarly  MediaState = "early"  // early media (183) flowing
)

// Call is a snapshot of one call as the registry shows it.
type Call struct {
	// ID is Hushpay's identifier of the call (also the call ID the payment service pairs).
	ID string `json:"id"`
	// Mode says how Hushpay is in the call.
	Mode Mode `json:"mode"`
	// CustomerCallID is the SIP Call-ID of the incoming leg; AgentCallID that of the leg
	// Hushpay placed towards the upstream (empty for conference and IVR legs).
	CustomerCallID string `json:"customer_call_id"`
	AgentCallID    string `json:"agent_call_id,omitempty"`
	// From and To are the URIs of the incoming INVITE.
	From string `json:"from"`
	To   string `json:"to"`
	// State of the signalling and of the media.
	State State      `json:"state"`
	Media MediaState `json:"media"`
	// Secure is true while the customer's digits are masked and captured.
	Secure bool `json:"secure"`
	// CannotSecure is the reason the call's media cannot be masked, empty when it can.
	CannotSecure string `json:"cannot_secure,omitempty"`
	// Header is the value of the configured pairing header in the INVITE, if any.
	Header string `json:"header,omitempty"`
	// AgentID is the agent on the call when known (agent header, conference agent ID).
	AgentID string `json:"agent_id,omitempty"`
	// Tenant and SessionID of the paired payment session, empty until paired.
	Tenant    string `json:"tenant,omitempty"`
	SessionID string `json:"session_id,omitempty"`
	// StartedAt is when the INVITE arrived; AnsweredAt when it was answered (zero before).
	StartedAt  time.Time `json:"started_at"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
}

// call is the live state of one call. Fields set before the call is registered are read-only
// afterwards; the rest is guarded by mu.
type call struct {
	id     string
	mode   Mode
	inID   string // customer-leg SIP Call-ID
	from   string
	to     string
	header string
	start  time.Time

	ctx    context.Context
	cancel context.CancelFunc
	ms     *media.Session
	digits chan media.DigitEvent

	mu           sync.Mutex
	outID        string
	state        State
	media        MediaState
	secure       bool
	cannot       string
	agentID      string
	tenant       string
	session      string
	answered     time.Time
	dss          *sipgo.DialogServerSession
	dcs          *sipgo.DialogClientSession
	acked        chan struct{}
	ackOnce      sync.Once
	agentKeys    []byte  // agent digits outside secure mode, for the activation code
	offerMux     bool    // the last offer seen on the customer leg carried rtcp-mux
	uas          *UASLeg // set for a leg Hushpay answers itself (IVR, conference)
	capturing    bool    // conference leg: keys go to the payment service, not the flow
	captured     chan struct{}
	capturedOnce sync.Once
	reinviting   sync.Mutex
	endOnce      sync.Once
}

func newCallID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "call-" + hex.EncodeToString(b[:])
}

func (c *call) snapshot() Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Call{
		ID: c.id, Mode: c.mode, CustomerCallID: c.inID, AgentCallID: c.outID, From: c.from, To: c.to,
		State: c.state, Media: c.media, Secure: c.secure, CannotSecure: c.cannot, Header: c.header,
		AgentID: c.agentID, Tenant: c.tenant, SessionID: c.session, StartedAt: c.start, AnsweredAt: c.answered,
	}
}

// markAcked records the caller's ACK of the 200 OK.
func (c *call) markAcked() {
	c.ackOnce.Do(func() { close(c.acked) })
}

// setCannot records why the call cannot be secured (the first reason wins until media is
// renegotiated with maskable codecs).
func (c *call) setCannot(reason string) {
	c.mu.Lock()
	c.cannot = reason
	c.mu.Unlock()
}
