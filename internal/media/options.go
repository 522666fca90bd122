package media

import (
	"fmt"
	"net/netip"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/dtmf"
)

// NewPortPoolFromConfig returns the node's port pool for the media section.
func NewPortPoolFromConfig(c config.Media) (*PortPool, error) {
	ip, err := netip.ParseAddr(c.Bind)
	if err != nil {
		return nil, fmt.Errorf("%w: bind %q: %w", ErrBadConfig, c.Bind, err)
	}
	return NewPortPool(ip, c.PortMin, c.PortMax)
}

// OptionsFromConfig turns the media section of the configuration into session options
// sharing pool. Sink and Tap are left for the caller to set.
func OptionsFromConfig(c config.Media, pool *PortPool) Options {
	digit := byte('#')
	if len(c.Mask.Digit) == 1 {
		digit = c.Mask.Digit[0]
	}
	var adv netip.Addr
	if c.Advertise != "" {
		adv, _ = netip.ParseAddr(c.Advertise) // validated by the config package
	}
	return Options{
		Ports:        pool,
		Advertise:    adv,
		RTCPMux:      c.RTCPMux,
		Latching:     c.Latching,
		LatchTimeout: c.LatchTimeout,
		Mask:         dtmf.MaskConfig{Mode: dtmf.MaskMode(c.Mask.Mode), Digit: digit, FreqHz: c.Mask.ToneHz, LevelDBm0: c.Mask.LevelDBm0},
		Delay:        c.Mask.Delay,
		MaxLag:       c.Mask.MaxLag,
		FailHold:     c.Mask.FailHold,
		DrainTimeout: c.Mask.DrainTimeout,
		AgentDigits:  c.AgentDigits,
	}
}
