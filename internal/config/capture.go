package config

import (
	"fmt"
	"time"
)

// Capture configures how card fields are collected from the keypad.
type Capture struct {
	Terminator    string        `yaml:"terminator" default:"#" doc:"Key that ends a field before its full length: # or *."`
	Timeout       time.Duration `yaml:"timeout" default:"10s" doc:"An attempt at a field ends with input-timeout when no key arrives for this long."`
	MaxAttempts   int           `yaml:"max_attempts" default:"3" doc:"Attempts each field gets before it fails with too-many-attempts (reset or start again give them back)."`
	AllowedBrands []string      `yaml:"allowed_brands" doc:"Card brands accepted (visa, mastercard, amex, discover, diners, jcb, unionpay, maestro); empty accepts all."`
	MaskStyle     string        `yaml:"mask_style" default:"last4" doc:"What the agent sees of a complete card number: last4 (asterisks and the last four digits) or first6last4."`
}

// knownBrands mirrors capture.AllBrands (config does not import the packages it configures).
var knownBrands = []string{"visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay", "maestro"}

func (c *Capture) validate() error {
	if c.Terminator != "#" && c.Terminator != "*" {
		return fmt.Errorf("terminator %q: want # or *", c.Terminator)
	}
	if c.Timeout < time.Second || c.Timeout > 10*time.Minute {
		return fmt.Errorf("timeout %v: want 1s to 10m", c.Timeout)
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > 10 {
		return fmt.Errorf("max_attempts %d: want 1 to 10", c.MaxAttempts)
	}
	for _, b := range c.AllowedBrands {
		ok := false
		for _, k := range knownBrands {
			ok = ok || b == k
		}
		if !ok {
			return fmt.Errorf("allowed_brands: unknown brand %q", b)
		}
	}
	if c.MaskStyle != "last4" && c.MaskStyle != "first6last4" {
		return fmt.Errorf("mask_style %q: want last4 or first6last4", c.MaskStyle)
	}
	return nil
}
