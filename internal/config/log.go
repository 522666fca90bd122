package config

import (
	"fmt"
	"slices"
)

// Log configures logging. Every handler redacts card data whatever the level.
type Log struct {
	Level  string `yaml:"level" default:"info" doc:"Minimum level: debug, info, warn or error."`
	Format string `yaml:"format" default:"text" doc:"Line format: text or json."`
}

func (l *Log) validate() error {
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, l.Level) {
		return fmt.Errorf("level %q: want debug, info, warn or error", l.Level)
	}
	if l.Format != "text" && l.Format != "json" {
		return fmt.Errorf("format %q: want text or json", l.Format)
	}
	return nil
}
