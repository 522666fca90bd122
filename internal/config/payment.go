package config

import "fmt"

// Payment selects and configures the gateway connector.
type Payment struct {
	Gateway string `yaml:"gateway" default:"test" doc:"Gateway connector: test (built in), stripe or http."`
}

func (p *Payment) validate() error {
	switch p.Gateway {
	case "test", "stripe", "http":
		return nil
	}
	return fmt.Errorf("gateway %q: want test, stripe or http", p.Gateway)
}
