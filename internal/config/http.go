package config

import (
	"fmt"
	"net"
)

// HTTP configures the API and dashboard listener.
type HTTP struct {
	Listen string `yaml:"listen" default:"127.0.0.1:8080" doc:"Address of the HTTP API and dashboard."`
}

func (h *HTTP) validate() error {
	if _, _, err := net.SplitHostPort(h.Listen); err != nil {
		return fmt.Errorf("listen %q: %w", h.Listen, err)
	}
	return nil
}
