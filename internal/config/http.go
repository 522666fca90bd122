package config

import (
	"fmt"
	"net"
	"net/url"
	"time"
)

// HTTP configures the API and dashboard listener.
type HTTP struct {
	Listen            string        `yaml:"listen" default:"127.0.0.1:8080" doc:"Address of the HTTP API and dashboard."`
	MaxBodyBytes      int64         `yaml:"max_body_bytes" default:"65536" doc:"Largest request body the API accepts, in bytes."`
	SSEKeepalive      time.Duration `yaml:"sse_keepalive" default:"15s" doc:"Interval of keep-alive comments on idle Server-sent event streams."`
	BootstrapAdminKey string        `yaml:"bootstrap_admin_key" doc:"API key (hpk_ followed by at least 32 characters) given the admin scope on first start instead of a random one; only its hash is stored."`
	Webhook           Webhook       `yaml:"webhook" doc:"Webhook delivery."`
}

// Webhook configures the delivery of session events to each tenant's webhook URL.
type Webhook struct {
	URL         string        `yaml:"url" doc:"Webhook URL of the default tenant, set at start (the API can change it); empty leaves it as stored."`
	Secret      string        `yaml:"secret" doc:"Signing secret of the default tenant's webhook (HMAC-SHA256), at least 16 characters; set with url."`
	MaxAttempts int           `yaml:"max_attempts" default:"8" doc:"Attempts per event before a delivery is marked failed."`
	Backoff     time.Duration `yaml:"backoff" default:"5s" doc:"Wait before the second attempt; each later wait doubles, up to one hour."`
	Timeout     time.Duration `yaml:"timeout" default:"10s" doc:"Time limit of one delivery attempt."`
	Workers     int           `yaml:"workers" default:"4" doc:"Deliveries sent at the same time by this node."`
}

func (h *HTTP) validate() error {
	if _, _, err := net.SplitHostPort(h.Listen); err != nil {
		return fmt.Errorf("listen %q: %w", h.Listen, err)
	}
	if h.MaxBodyBytes < 1024 || h.MaxBodyBytes > 16<<20 {
		return fmt.Errorf("max_body_bytes %d: want 1024 to 16777216", h.MaxBodyBytes)
	}
	if h.SSEKeepalive < time.Second {
		return fmt.Errorf("sse_keepalive %s: want at least 1s", h.SSEKeepalive)
	}
	if k := h.BootstrapAdminKey; k != "" && (len(k) < 36 || k[:4] != "hpk_") {
		return fmt.Errorf("bootstrap_admin_key: want hpk_ followed by at least 32 characters")
	}
	return h.Webhook.validate()
}

func (w *Webhook) validate() error {
	if w.URL != "" {
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("webhook.url %q: want an http or https URL", w.URL)
		}
		if len(w.Secret) < 16 {
			return fmt.Errorf("webhook.secret: want at least 16 characters with webhook.url")
		}
	}
	if w.MaxAttempts < 1 || w.MaxAttempts > 100 {
		return fmt.Errorf("webhook.max_attempts %d: want 1 to 100", w.MaxAttempts)
	}
	if w.Backoff < 100*time.Millisecond {
		return fmt.Errorf("webhook.backoff %s: want at least 100ms", w.Backoff)
	}
	if w.Timeout < 100*time.Millisecond {
		return fmt.Errorf("webhook.timeout %s: want at least 100ms", w.Timeout)
	}
	if w.Workers < 1 || w.Workers > 64 {
		return fmt.Errorf("webhook.workers %d: want 1 to 64", w.Workers)
	}
	return nil
}
