package config

import (
	"fmt"
	"net/netip"
	"time"
)

// Media configures the RTP relay and the masking of key tones in secure mode.
type Media struct {
	Bind         string        `yaml:"bind" default:"0.0.0.0" doc:"Local IP address the RTP and RTCP sockets of every call leg bind to."`
	Advertise    string        `yaml:"advertise" default:"" doc:"IP address written into SDP for the relay's ports (the public address behind NAT); empty means the bind address."`
	PortMin      int           `yaml:"port_min" default:"20000" doc:"Lowest UDP port for RTP and RTCP."`
	PortMax      int           `yaml:"port_max" default:"30000" doc:"Highest UDP port for RTP and RTCP."`
	RTCPMux      bool          `yaml:"rtcp_mux" default:"false" doc:"Carry RTCP on the RTP port of each leg (RFC 5761) instead of on the next port; the SIP layer can override it per call."`
	Latching     bool          `yaml:"latching" default:"true" doc:"Symmetric RTP: send to the address packets come from (for NAT) rather than to the address in the SDP."`
	LatchTimeout time.Duration `yaml:"latch_timeout" default:"2s" doc:"How long the latched address must stay silent before packets from another address may take over."`
	AgentDigits  bool          `yaml:"agent_digits" default:"true" doc:"Report key presses on the agent's side outside secure mode (in-band and RFC 4733), so an agent can key a call reference."`
	Mask         Mask          `yaml:"mask" doc:"Masking of customer key tones in secure mode."`
}

// Mask configures what replaces a customer's key tone towards the agent and recorder.
type Mask struct {
	Mode         string        `yaml:"mode" default:"tone" doc:"Masking signal: tone (flat tone), digit (the same DTMF digit every time), silence or noise."`
	ToneHz       float64       `yaml:"tone_hz" default:"440" doc:"Frequency of the masking tone in mode tone."`
	LevelDBm0    float64       `yaml:"level_dbm0" default:"-20" doc:"Level of the masking tone or noise in dBm0 (0 loudest, -60 quietest)."`
	Digit        string        `yaml:"digit" default:"#" doc:"Digit played in mode digit, and sent as the RFC 4733 event that replaces every customer event: #, 0 or 1."`
	Delay        time.Duration `yaml:"delay" default:"20ms" doc:"Delay added to customer audio while secure so no sample of a tone leaks; at least the tone gate's latency, at most 30ms."`
	MaxLag       time.Duration `yaml:"max_lag" default:"120ms" doc:"In secure mode, customer audio arriving later than this behind its timestamp is masked whole (fail closed under overload or heavy jitter)."`
	FailHold     time.Duration `yaml:"fail_hold" default:"500ms" doc:"After any doubt (unknown payload type, undecodable packet, overload) all customer audio stays masked this long."`
	DrainTimeout time.Duration `yaml:"drain_timeout" default:"2s" doc:"On leaving secure mode the delay is removed during a quiet moment; after this long it is removed anyway."`
}

func (m *Media) validate() error {
	if m.PortMin < 1024 || m.PortMax > 65535 || m.PortMin >= m.PortMax {
		return fmt.Errorf("port range %d-%d: want 1024 <= port_min < port_max <= 65535", m.PortMin, m.PortMax)
	}
	if _, err := netip.ParseAddr(m.Bind); err != nil {
		return fmt.Errorf("bind %q: %w", m.Bind, err)
	}
	if m.Advertise != "" {
		if a, err := netip.ParseAddr(m.Advertise); err != nil || a.IsUnspecified() {
			return fmt.Errorf("advertise %q: want a unicast IP address", m.Advertise)
		}
	}
	if m.LatchTimeout <= 0 {
		return fmt.Errorf("latch_timeout %s: want > 0", m.LatchTimeout)
	}
	return m.Mask.validate()
}

func (m *Mask) validate() error {
	switch m.Mode {
	case "tone", "digit", "silence", "noise":
	default:
		return fmt.Errorf("mask.mode %q: want tone, digit, silence or noise", m.Mode)
	}
	if m.ToneHz < 100 || m.ToneHz > 3400 {
		return fmt.Errorf("mask.tone_hz %g: want 100-3400", m.ToneHz)
	}
	if m.LevelDBm0 > 0 || m.LevelDBm0 < -60 {
		return fmt.Errorf("mask.level_dbm0 %g: want -60 to 0", m.LevelDBm0)
	}
	if m.Digit != "#" && m.Digit != "0" && m.Digit != "1" {
		return fmt.Errorf("mask.digit %q: want #, 0 or 1", m.Digit)
	}
	if m.Delay < 0 || m.Delay > 30*time.Millisecond {
		return fmt.Errorf("mask.delay %s: want 0-30ms", m.Delay)
	}
	if m.MaxLag < 20*time.Millisecond {
		return fmt.Errorf("mask.max_lag %s: want >= 20ms", m.MaxLag)
	}
	if m.FailHold < 0 || m.DrainTimeout < 0 {
		return fmt.Errorf("mask.fail_hold and mask.drain_timeout must not be negative")
	}
	return nil
}
