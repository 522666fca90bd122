package api

import (
	"context"
	"net/http"
	"time"
)

// Call is a call as the API shows it.
type Call struct {
	// ID is the call's identifier (the SIP Call-ID of the customer leg, or the media
	// layer's identifier).
	ID string `json:"id"`
	// SessionID is the payment session paired with the call, empty when none is.
	SessionID string `json:"session_id,omitempty"`
	// AgentID is the agent on the call when known.
	AgentID string `json:"agent_id,omitempty"`
	// Mode is how Hushpay is in the call: inline, conference or ivr.
	Mode string `json:"mode"`
	// Secure is true while the customer's digits are masked and captured.
	Secure bool `json:"secure"`
	// CanSecure is false when the call's media cannot be masked (Reason says why); secure
	// mode is then refused.
	CanSecure bool   `json:"can_secure"`
	Reason    string `json:"reason,omitempty"`
	// StartedAt is when the call was answered.
	StartedAt time.Time `json:"started_at"`
}

// CallController is what the API needs of the call registry that the SIP and media layers
// keep. It is wired by `hushpay serve` once SIP runs on the node; until then the call
// endpoints answer 503 no_call_control. Implementations scope every call to a tenant:
// a call is visible to a tenant once it is paired with one of the tenant's sessions.
type CallController interface {
	// Calls lists the tenant's calls on this node.
	Calls(ctx context.Context, tenant string) ([]Call, error)
	// SetSecure turns secure mode on or off for a call of the tenant. It fails with
	// ErrNoCall for an unknown call and ErrCannotSecure (wrapped with the reason) when the
	// media cannot be masked.
	SetSecure(ctx context.Context, tenant, callID string, on bool) (Call, error)
}

func (s *Server) calls() (CallController, error) {
	if s.opts.Calls == nil {
		return nil, ErrNoCallControl
	}
	return s.opts.Calls, nil
}

func (s *Server) handleListCalls(w http.ResponseWriter, r *http.Request) {
	cc, err := s.calls()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cs, err := cc.Calls(r.Context(), principal(r).TenantID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if cs == nil {
		cs = []Call{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": cs})
}

func (s *Server) handleSecure(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := validID("call id", id); err != nil {
			s.writeError(w, r, err)
			return
		}
		cc, err := s.calls()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		c, err := cc.SetSecure(r.Context(), principal(r).TenantID, id, on)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		action := "call.secure_off"
		if on {
			action = "call.secure_on"
		}
		s.audit(r, action, id, c.SessionID)
		writeJSON(w, http.StatusOK, c)
	}
}
