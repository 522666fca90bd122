package web

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/store"
)

// Settings are what the admin changes in the console, kept per tenant in the store.
// Secrets are write-only: the console shows whether they are set, never their value.
type Settings struct {
	// MaskStyle: last4 or first6last4 (capture.mask_style); applied at the next start.
	MaskStyle string
	// MaskMode: the masking signal tone, digit, silence or noise (media.mask.mode); applied
	// at the next start.
	MaskMode string
	// ActivationCode: digits that secure a paired call (sip.activation_code); applied at
	// the next start.
	ActivationCode string
	// Receipt branding.
	ReceiptName   string
	ReceiptLogo   string // https URL of a logo image
	ReceiptColour string // #rrggbb
	// SMTP server for receipts.
	SMTPHost     string
	SMTPPort     int
	SMTPFrom     string
	SMTPUsername string
	SMTPPassword string // write-only
	// Gateway connector (payment.*); applied at the next start.
	Gateway           string // test, stripe or http
	StripeSecretKey   string // write-only
	HTTPGatewayURL    string
	HTTPGatewaySecret string // write-only
}

// Setting names in the store.
const (
	setMaskStyle      = "mask_style"
	setMaskMode       = "mask_mode"
	setActivation     = "activation_code"
	setReceiptName    = "receipt_name"
	setReceiptLogo    = "receipt_logo"
	setReceiptColour  = "receipt_colour"
	setSMTPHost       = "smtp_host"
	setSMTPPort       = "smtp_port"
	setSMTPFrom       = "smtp_from"
	setSMTPUser       = "smtp_username"
	setSMTPPassword   = "smtp_password"
	setGateway        = "gateway"
	setStripeKey      = "stripe_secret_key"
	setHTTPGatewayURL = "http_gateway_url"
	setHTTPGatewaySec = "http_gateway_secret"
)

// LoadSettings reads a tenant's settings. `hushpay serve` applies MaskStyle, MaskMode,
// ActivationCode and the gateway over the configuration file at start.
func LoadSettings(ctx context.Context, st *store.Store, tenant string) (Settings, error) {
	m, err := st.Settings(ctx, tenant)
	if err != nil {
		return Settings{}, err
	}
	port, _ := strconv.Atoi(m[setSMTPPort])
	return Settings{MaskStyle: m[setMaskStyle], MaskMode: m[setMaskMode], ActivationCode: m[setActivation],
		ReceiptName: m[setReceiptName], ReceiptLogo: m[setReceiptLogo], ReceiptColour: m[setReceiptColour],
		SMTPHost: m[setSMTPHost], SMTPPort: port, SMTPFrom: m[setSMTPFrom], SMTPUsername: m[setSMTPUser], SMTPPassword: m[setSMTPPassword],
		Gateway: m[setGateway], StripeSecretKey: m[setStripeKey], HTTPGatewayURL: m[setHTTPGatewayURL], HTTPGatewaySecret: m[setHTTPGatewaySec]}, nil
}

// ApplySettings lays the admin's start-time settings (card number display, masking signal,
// activation code, gateway connector and its secrets) over cfg, for `hushpay serve` at
// start. When the result does not validate, cfg is left as it was and the error says why.
func ApplySettings(cfg *config.Config, set Settings) error {
	c := *cfg
	if set.MaskStyle != "" {
		c.Capture.MaskStyle = set.MaskStyle
	}
	if set.MaskMode != "" {
		c.Media.Mask.Mode = set.MaskMode
	}
	if set.ActivationCode != "" {
		c.SIP.ActivationCode = set.ActivationCode
	}
	if set.Gateway != "" {
		c.Payment.Gateway = set.Gateway
	}
	if set.StripeSecretKey != "" {
		c.Payment.Stripe.SecretKey = set.StripeSecretKey
	}
	if set.HTTPGatewayURL != "" {
		c.Payment.HTTP.URL = set.HTTPGatewayURL
	}
	if set.HTTPGatewaySecret != "" {
		c.Payment.HTTP.Secret = set.HTTPGatewaySecret
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("web: admin settings not applied: %w", err)
	}
	*cfg = c
	return nil
}
