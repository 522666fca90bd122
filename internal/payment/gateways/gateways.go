// Package gateways builds the payment connector and the capture rules that the
// configuration selects: the one place that maps the capture and payment configuration
// keys onto the payment packages, for cmd/hushpay to call.
package gateways

import (
	"fmt"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/payment/httpgateway"
	"github.com/hushpay/hushpay/internal/payment/stripe"
	"github.com/hushpay/hushpay/internal/payment/testgateway"
)

// Connector returns the connector payment.gateway selects: the built-in test gateway
// (test), Stripe (stripe) or the generic HTTP connector (http).
func Connector(cfg config.Payment) (payment.Connector, error) {
	switch cfg.Gateway {
	case "", "test":
		return testgateway.New(cfg.Test.Latency), nil
	case "stripe":
		return stripe.New(stripe.Config{SecretKey: cfg.Stripe.SecretKey, APIBase: cfg.Stripe.APIBase, Timeout: cfg.Stripe.Timeout})
	case "http":
		return httpgateway.New(httpgateway.Config{URL: cfg.HTTP.URL, Secret: cfg.HTTP.Secret, Timeout: cfg.HTTP.Timeout, Retries: cfg.HTTP.Retries})
	}
	return nil, fmt.Errorf("gateways: unknown gateway %q", cfg.Gateway)
}

// Rules returns the capture rules of the capture section.
func Rules(cfg config.Capture) capture.Rules {
	r := capture.DefaultRules()
	if len(cfg.Terminator) == 1 {
		r.Terminator = cfg.Terminator[0]
	}
	if cfg.Timeout > 0 {
		r.Timeout = cfg.Timeout
	}
	if cfg.MaxAttempts > 0 {
		r.MaxAttempts = cfg.MaxAttempts
	}
	for _, b := range cfg.AllowedBrands {
		r.AllowedBrands = append(r.AllowedBrands, capture.Brand(b))
	}
	if cfg.MaskStyle != "" {
		r.MaskStyle = capture.MaskStyle(cfg.MaskStyle)
	}
	return r
}

// Options returns the Service options the configuration sets (capture rules and call
// reference length); the caller adds the clock, logger and callbacks.
func Options(cfg config.Config) payment.Options {
	return payment.Options{Rules: Rules(cfg.Capture), CallRefDigits: cfg.Payment.CallRefDigits}
}
