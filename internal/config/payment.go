package config

import (
	"fmt"
	"net/url"
	"time"
)

// Payment selects and configures the gateway connector.
type Payment struct {
	Gateway       string        `yaml:"gateway" default:"test" doc:"Gateway connector: test (built in), stripe or http."`
	CallRefDigits int           `yaml:"call_ref_digits" default:"6" doc:"Number of digits of the call reference an agent keys to pair a call with a payment session."`
	Test          TestGateway   `yaml:"test" doc:"Built-in test gateway."`
	Stripe        StripeGateway `yaml:"stripe" doc:"Stripe connector."`
	HTTP          HTTPGateway   `yaml:"http" doc:"Generic HTTP connector (docs/gateway-http.md)."`
}

// TestGateway configures the built-in test gateway.
type TestGateway struct {
	Latency time.Duration `yaml:"latency" default:"0s" doc:"Time the test gateway takes to answer, to rehearse the agent's wait."`
}

// StripeGateway configures the Stripe connector.
type StripeGateway struct {
	SecretKey string        `yaml:"secret_key" doc:"Stripe secret API key (sk_live_... or sk_test_...); prefer the environment variable to the file."`
	APIBase   string        `yaml:"api_base" default:"https://api.stripe.com" doc:"Stripe API base URL (set to a stripe-mock address in tests)."`
	Timeout   time.Duration `yaml:"timeout" default:"30s" doc:"How long to wait for Stripe's answer before the payment is in doubt and looked up."`
}

// HTTPGateway configures the generic HTTP connector.
type HTTPGateway struct {
	URL     string        `yaml:"url" doc:"URL the connector POSTs payment requests to (https, or http on loopback)."`
	Secret  string        `yaml:"secret" doc:"Shared secret for the HMAC-SHA256 signature of requests and the lookup; prefer the environment variable."`
	Timeout time.Duration `yaml:"timeout" default:"20s" doc:"How long to wait for one HTTP answer."`
	Retries int           `yaml:"retries" default:"2" doc:"Retries after a failed request (connection error, timeout, 5xx), each with the same idempotency key."`
}

func (p *Payment) validate() error {
	if p.CallRefDigits < 4 || p.CallRefDigits > 12 {
		return fmt.Errorf("call_ref_digits %d: want 4 to 12", p.CallRefDigits)
	}
	if p.Test.Latency < 0 || p.Test.Latency > time.Minute {
		return fmt.Errorf("test.latency %v: want 0 to 1m", p.Test.Latency)
	}
	if err := checkURL("stripe.api_base", p.Stripe.APIBase); err != nil {
		return err
	}
	if p.Stripe.Timeout <= 0 || p.HTTP.Timeout <= 0 {
		return fmt.Errorf("stripe.timeout and http.timeout must be positive")
	}
	if p.HTTP.Retries < 0 || p.HTTP.Retries > 10 {
		return fmt.Errorf("http.retries %d: want 0 to 10", p.HTTP.Retries)
	}
	if p.HTTP.URL != "" {
		if err := checkURL("http.url", p.HTTP.URL); err != nil {
			return err
		}
	}
	switch p.Gateway {
	case "test":
	case "stripe":
		if p.Stripe.SecretKey == "" {
			return fmt.Errorf("gateway stripe needs stripe.secret_key (HUSHPAY_PAYMENT_STRIPE_SECRET_KEY)")
		}
	case "http":
		if p.HTTP.URL == "" || p.HTTP.Secret == "" {
			return fmt.Errorf("gateway http needs http.url and http.secret")
		}
		if len(p.HTTP.Secret) < 16 {
			return fmt.Errorf("http.secret: want at least 16 characters")
		}
	default:
		return fmt.Errorf("gateway %q: want test, stripe or http", p.Gateway)
	}
	return nil
}

func checkURL(key, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want an http or https URL", key, s)
	}
	return nil
}
