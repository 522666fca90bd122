package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// SIP configures signalling: where Hushpay listens, where it sends calls (inline mode), the
// numbers it answers itself (conference legs, IVR entry) and how calls pair with payments.
type SIP struct {
	Listen         string        `yaml:"listen" default:"0.0.0.0:5060" doc:"Address for SIP over UDP and TCP."`
	TLSListen      string        `yaml:"tls_listen" default:"0.0.0.0:5061" doc:"Address for SIP over TLS; used only when tls_cert and tls_key are set."`
	TLSCert        string        `yaml:"tls_cert" doc:"PEM certificate file for SIP over TLS; empty disables TLS."`
	TLSKey         string        `yaml:"tls_key" doc:"PEM private key file for tls_cert."`
	Host           string        `yaml:"host" doc:"Host or IP written in Via and Contact headers; empty uses the listen address (or the first non-loopback IP when it is 0.0.0.0)."`
	MediaAddress   string        `yaml:"media_address" doc:"IP written in the SDP c= lines for the relay; empty uses media.bind (or host when media.bind is 0.0.0.0)."`
	Upstream       string        `yaml:"upstream" doc:"SIP URI calls are forwarded to when no route matches (the PBX), e.g. sip:10.0.0.5:5060 or sip:pbx.example.com;transport=tcp. Empty: inline calls are refused with 404."`
	Routes         []SIPRoute    `yaml:"routes" doc:"Routing rules tried in order; the first whose user_prefix and source both match picks the upstream."`
	Conference     SIPConference `yaml:"conference" doc:"Conference-leg mode: numbers the PBX calls to bring Hushpay into a call as a third party."`
	IVRNumbers     []string      `yaml:"ivr_numbers" doc:"Request-URI users Hushpay answers itself and hands to an IVR flow."`
	MaxCalls       int           `yaml:"max_calls" default:"2000" doc:"Concurrent calls accepted; further INVITEs get 503 Service Unavailable."`
	NoAnswer       time.Duration `yaml:"no_answer_timeout" default:"120s" doc:"An outgoing INVITE not answered within this long is cancelled and the caller gets 408."`
	AckTimeout     time.Duration `yaml:"ack_timeout" default:"32s" doc:"A call whose 200 OK is not acknowledged within this long is ended with BYE (RFC 3261 timer H, 64*T1)."`
	ActivationCode string        `yaml:"activation_code" doc:"Digits the agent keys to start secure mode on a call already paired by call ID or SIP header (the call reference always works too); empty disables it."`
	PairingHeader  string        `yaml:"pairing_header" doc:"SIP header of the incoming INVITE whose value pairs the call with the payment session created with that header value (e.g. X-CRM-Ref); empty disables it."`
	AgentHeader    string        `yaml:"agent_header" doc:"SIP header of the incoming INVITE naming the agent (shown on the call); empty disables it."`
}

// SIPRoute is one routing rule of the inline mode.
type SIPRoute struct {
	UserPrefix string `yaml:"user_prefix" json:"user_prefix"`
	Source     string `yaml:"source" json:"source"`
	Upstream   string `yaml:"upstream" json:"upstream"`
}

// SIPConference configures conference-leg mode.
type SIPConference struct {
	Numbers    []string      `yaml:"numbers" doc:"Request-URI users Hushpay answers as a conference leg."`
	Terminator string        `yaml:"terminator" default:"#" doc:"Key that ends the agent ID the PBX keys on a conference leg: # or *."`
	Timeout    time.Duration `yaml:"timeout" default:"5s" doc:"The agent ID ends when no key arrives for this long."`
	MaxWait    time.Duration `yaml:"max_wait" default:"10m" doc:"A conference leg that never pairs or never captures hangs up after this long."`
	Tenant     string        `yaml:"tenant" default:"default" doc:"Tenant whose agents' payment sessions conference legs pair with (agent IDs are per tenant)."`
}

func (s *SIP) validate() error {
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		return fmt.Errorf("listen %q: %w", s.Listen, err)
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		return fmt.Errorf("tls_cert and tls_key must be set together")
	}
	if s.TLSCert != "" {
		if _, _, err := net.SplitHostPort(s.TLSListen); err != nil {
			return fmt.Errorf("tls_listen %q: %w", s.TLSListen, err)
		}
	}
	if s.MediaAddress != "" {
		if _, err := netip.ParseAddr(s.MediaAddress); err != nil {
			return fmt.Errorf("media_address %q: %w", s.MediaAddress, err)
		}
	}
	if s.Upstream != "" && !validSIPURI(s.Upstream) {
		return fmt.Errorf("upstream %q: want a sip: or sips: URI with a host", s.Upstream)
	}
	for i, r := range s.Routes {
		if !validSIPURI(r.Upstream) {
			return fmt.Errorf("routes[%d].upstream %q: want a sip: or sips: URI with a host", i, r.Upstream)
		}
		if r.Source != "" {
			if _, err := netip.ParsePrefix(r.Source); err != nil {
				if _, err := netip.ParseAddr(r.Source); err != nil {
					return fmt.Errorf("routes[%d].source %q: want an IP address or CIDR prefix", i, r.Source)
				}
			}
		}
	}
	if s.MaxCalls < 1 {
		return fmt.Errorf("max_calls %d: want >= 1", s.MaxCalls)
	}
	if s.NoAnswer < time.Second || s.AckTimeout < time.Second {
		return fmt.Errorf("no_answer_timeout and ack_timeout: want >= 1s")
	}
	if s.Conference.Terminator != "#" && s.Conference.Terminator != "*" {
		return fmt.Errorf("conference.terminator %q: want # or *", s.Conference.Terminator)
	}
	if s.Conference.Tenant == "" {
		return fmt.Errorf("conference.tenant: want a tenant ID")
	}
	if s.Conference.Timeout <= 0 || s.Conference.MaxWait <= 0 {
		return fmt.Errorf("conference.timeout and conference.max_wait: want > 0")
	}
	if strings.Trim(s.ActivationCode, "0123456789*#") != "" || len(s.ActivationCode) > 16 {
		return fmt.Errorf("activation_code: want up to 16 keypad digits (0-9, *, #)")
	}
	return nil
}

func validSIPURI(u string) bool {
	rest, ok := strings.CutPrefix(u, "sip:")
	if !ok {
		rest, ok = strings.CutPrefix(u, "sips:")
	}
	if !ok {
		return false
	}
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	host, _, _ := strings.Cut(rest, ";")
	return host != "" && !strings.ContainsAny(host, " \t<>")
}
