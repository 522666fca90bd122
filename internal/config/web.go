package config

import (
	"fmt"
	"strings"
	"time"
)

// Web configures the agent dashboard and the supervisor and admin console served with the
// API.
type Web struct {
	SessionTTL        time.Duration `yaml:"session_ttl" default:"8h" doc:"A dashboard login ends after this long without a request."`
	MaxFailedLogins   int           `yaml:"max_failed_logins" default:"5" doc:"Wrong passwords in a row that lock a user out."`
	LockoutDuration   time.Duration `yaml:"lockout_duration" default:"15m" doc:"How long a user stays locked out after too many wrong passwords."`
	CookieSecure      string        `yaml:"cookie_secure" default:"auto" doc:"Secure flag of the login cookie: always, never, or auto (set unless the dashboard is reached over plain HTTP on a non-loopback address)."`
	BootstrapPassword string        `yaml:"bootstrap_password" doc:"Password of the first admin user (admin) created on first start instead of a random one printed once; at least 12 characters."`
	Billing           Billing       `yaml:"billing" doc:"Lookup of a customer's unpaid invoices in a billing or CRM system (docs/billing-lookup.md)."`
}

// Billing configures the unpaid-invoice lookup.
type Billing struct {
	URL     string        `yaml:"url" doc:"URL of the lookup; {account} is replaced by the URL-escaped account reference (e.g. https://crm.example/invoices?account={account}); empty turns the lookup off."`
	Token   string        `yaml:"token" doc:"Bearer token sent with each lookup; prefer the environment variable."`
	Timeout time.Duration `yaml:"timeout" default:"5s" doc:"How long to wait for the billing system's answer."`
}

func (w *Web) validate() error {
	if w.SessionTTL < time.Minute || w.SessionTTL > 30*24*time.Hour {
		return fmt.Errorf("session_ttl %v: want 1m to 720h", w.SessionTTL)
	}
	if w.MaxFailedLogins < 1 || w.MaxFailedLogins > 100 {
		return fmt.Errorf("max_failed_logins %d: want 1 to 100", w.MaxFailedLogins)
	}
	if w.LockoutDuration < time.Second || w.LockoutDuration > 24*time.Hour {
		return fmt.Errorf("lockout_duration %v: want 1s to 24h", w.LockoutDuration)
	}
	switch w.CookieSecure {
	case "auto", "always", "never":
	default:
		return fmt.Errorf("cookie_secure %q: want auto, always or never", w.CookieSecure)
	}
	if p := w.BootstrapPassword; p != "" && len(p) < 12 {
		return fmt.Errorf("bootstrap_password: want at least 12 characters")
	}
	if u := w.Billing.URL; u != "" {
		if err := checkURL("billing.url", strings.ReplaceAll(u, "{account}", "x")); err != nil {
			return err
		}
	}
	if w.Billing.Timeout <= 0 || w.Billing.Timeout > time.Minute {
		return fmt.Errorf("billing.timeout %v: want up to 1m", w.Billing.Timeout)
	}
	return nil
}
