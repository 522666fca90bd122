package config

import (
	"fmt"
	"net"
)

// SIP configures signalling.
type SIP struct {
	Listen string `yaml:"listen" default:"0.0.0.0:5060" doc:"Address for SIP over UDP and TCP."`
}

func (s *SIP) validate() error {
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		return fmt.Errorf("listen %q: %w", s.Listen, err)
	}
	return nil
}
