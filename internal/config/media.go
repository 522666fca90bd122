package config

import "fmt"

// Media configures the RTP relay and the masking of key tones in secure mode.
type Media struct {
	PortMin int `yaml:"port_min" default:"20000" doc:"Lowest UDP port for RTP and RTCP."`
	PortMax int `yaml:"port_max" default:"30000" doc:"Highest UDP port for RTP and RTCP."`
}

func (m *Media) validate() error {
	if m.PortMin < 1024 || m.PortMax > 65535 || m.PortMin >= m.PortMax {
		return fmt.Errorf("port range %d-%d: want 1024 <= port_min < port_max <= 65535", m.PortMin, m.PortMax)
	}
	return nil
}
