// Package stripe is the Stripe connector: it sends a captured card to Stripe as a
// PaymentMethod and pays with a PaymentIntent flagged MOTO (mail order / telephone order,
// outside SCA), through the official stripe-go client.
//
// Every request carries an idempotency key derived from the attempt's key, so that
// stripe-go's own retries and ours never charge twice. A payment is made in three steps,
// so that only the last one can move money and a lost answer can be settled without the
// card:
//
//  1. create the PaymentMethod from the card (key ":pm"); the card leaves Hushpay here;
//  2. create the PaymentIntent, unconfirmed (key ":pi"): amount, currency, metadata;
//  3. confirm it with the PaymentMethod, MOTO (key ":confirm").
//
// Lookup replays step 2 with the same key and parameters: Stripe answers a replayed
// idempotent request with the object first created, so the PaymentIntent is found without
// a search index; its status says whether step 3 charged. (Stripe keeps idempotency keys
// for 24 hours: resolve in-doubt payments within a day.)
//
// Verification and tokenisation use a SetupIntent (key ":si") with a Customer (key
// ":cus"); recurring payments attach the card to a Customer for later off-session
// charges. The token is "cus_…/pm_…".
package stripe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	sg "github.com/stripe/stripe-go/v85"

	"github.com/hushpay/hushpay/internal/payment"
)

// Name is the connector's name in results.
const Name = "stripe"

// KeyLifetime is how long after an attempt Lookup trusts Stripe to remember its
// idempotency key (Stripe keeps keys for at least 24 hours).
const KeyLifetime = 23 * time.Hour

// Config configures the connector.
type Config struct {
	// SecretKey is the Stripe secret API key.
	SecretKey string
	// APIBase is the API base URL ("https://api.stripe.com" when empty; a stripe-mock
	// address in tests).
	APIBase string
	// Timeout bounds each HTTP request (30 s when 0).
	Timeout time.Duration
	// MaxNetworkRetries is stripe-go's retry count for network failures and 5xx (always
	// with the same idempotency key); 2 when 0, none when negative.
	MaxNetworkRetries int
	// HTTPClient replaces the default client (tests).
	HTTPClient *http.Client
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// Connector pays through Stripe. It is safe for concurrent use.
type Connector struct {
	c   *sg.Client
	now func() time.Time
}

var _ payment.Connector = (*Connector)(nil)

// New returns a Stripe connector.
func New(cfg Config) (*Connector, error) {
	if cfg.SecretKey == "" {
		return nil, errors.New("stripe: secret key required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	retries := int64(cfg.MaxNetworkRetries)
	if cfg.MaxNetworkRetries == 0 {
		retries = 2
	} else if retries < 0 {
		retries = 0
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	bc := &sg.BackendConfig{
		HTTPClient:        hc,
		MaxNetworkRetries: sg.Int64(retries),
		// stripe-go's logger would print request errors; Hushpay logs its own, redacted.
		LeveledLogger: &sg.LeveledLogger{Level: sg.LevelNull},
	}
	if cfg.APIBase != "" {
		bc.URL = sg.String(strings.TrimRight(cfg.APIBase, "/"))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Connector{c: sg.NewClient(cfg.SecretKey, sg.WithBackends(sg.NewBackendsWithConfig(bc))), now: cfg.Now}, nil
}

// Name returns "stripe".
func (c *Connector) Name() string { return Name }

func params(ctx context.Context, key string) sg.Params {
	return sg.Params{Context: ctx, IdempotencyKey: sg.String(key)}
}

func metadata(req *payment.Request) map[string]string {
	m := map[string]string{"hushpay_key": req.Key, "hushpay_session": req.SessionID, "hushpay_tenant": req.Tenant}
	if req.AccountRef != "" {
		m["account_ref"] = req.AccountRef
	}
	return m
}

// Pay implements payment.Connector.
func (c *Connector) Pay(ctx context.Context, req *payment.Request) (*payment.Result, error) {
	if req.Key == "" {
		return nil, payment.NewConnectorError(Name, payment.ErrorGatewayConfig, false, errors.New("no idempotency key"))
	}
	customer, pm := "", ""
	if req.Token != nil {
		var ok bool
		customer, pm, ok = strings.Cut(req.Token.GatewayToken, "/")
		if !ok {
			return nil, payment.NewConnectorError(Name, payment.ErrorGatewayConfig, false, errors.New("malformed token"))
		}
	} else {
		if req.Card.Wiped() {
			return nil, payment.NewConnectorError(Name, payment.ErrorGatewayConfig, false, errors.New("no card in request"))
		}
		if req.Type == payment.TypeTokenize || req.Type == payment.TypeRecurring || req.Type == payment.TypeVerify {
			cus, err := c.c.V1Customers.Create(ctx, &sg.CustomerCreateParams{Params: params(ctx, req.Key+":cus"),
				Description: sg.String(req.AccountRef), Metadata: metadata(req)})
			if err != nil {
				return fault(err, false)
			}
			customer = cus.ID
		}
		id, res, err := c.createPaymentMethod(ctx, req)
		if res != nil || err != nil {
			return res, err
		}
		pm = id
	}
	switch req.Type {
	case payment.TypeVerify, payment.TypeTokenize:
		return c.setup(ctx, req, customer, pm)
	}
	pi, err := c.c.V1PaymentIntents.Create(ctx, c.intentParams(ctx, req, customer))
	if err != nil {
		return fault(err, false) // an unconfirmed PaymentIntent moves no money
	}
	cp := &sg.PaymentIntentConfirmParams{
		Params:        params(ctx, req.Key+":confirm"),
		PaymentMethod: sg.String(pm),
		Expand:        []*string{sg.String("latest_charge")},
	}
	if req.Token != nil {
		cp.OffSession = sg.Bool(true)
	} else {
		cp.PaymentMethodOptions = &sg.PaymentIntentPaymentMethodOptionsParams{
			Card: &sg.PaymentIntentPaymentMethodOptionsCardParams{MOTO: sg.Bool(true)}}
	}
	confirmed, err := c.c.V1PaymentIntents.Confirm(ctx, pi.ID, cp)
	if err != nil {
		return fault(err, true)
	}
	res, err := intentResult(confirmed)
	if err == nil && res.Outcome == payment.OutcomeApproved && req.Type == payment.TypeRecurring && req.Token == nil {
		res.TokenID = customer + "/" + pm
	}
	return res, err
}

// createPaymentMethod sends the card to Stripe. A card error (say, an incorrect number)
// is a decline; nothing is charged at this step.
func (c *Connector) createPaymentMethod(ctx context.Context, req *payment.Request) (string, *payment.Result, error) {
	card := &sg.PaymentMethodCreateCardParams{
		Number:   sg.String(req.Card.RevealPAN()),
		ExpMonth: sg.Int64(int64(req.Card.ExpMonth())),
		ExpYear:  sg.Int64(int64(req.Card.ExpYear())),
	}
	if req.Card.HasSecurityCode() {
		card.CVC = sg.String(req.Card.RevealSecurityCode())
	}
	p := &sg.PaymentMethodCreateParams{Params: params(ctx, req.Key+":pm"), Type: sg.String("card"), Card: card}
	if pc := req.Card.PostalCode(); pc != "" {
		p.BillingDetails = &sg.PaymentMethodCreateBillingDetailsParams{Address: &sg.AddressParams{PostalCode: sg.String(pc)}}
	}
	pm, err := c.c.V1PaymentMethods.Create(ctx, p)
	// Drop our references to the card strings at once (they cannot be zeroed).
	card.Number, card.CVC = nil, nil
	if err != nil {
		res, ferr := fault(err, false)
		return "", res, ferr
	}
	return pm.ID, nil, nil
}

// intentParams are the PaymentIntent's creation parameters; Lookup sends the same ones.
func (c *Connector) intentParams(ctx context.Context, req *payment.Request, customer string) *sg.PaymentIntentCreateParams {
	p := &sg.PaymentIntentCreateParams{
		Params:             params(ctx, req.Key+":pi"),
		Amount:             sg.Int64(req.Amount),
		Currency:           sg.String(strings.ToLower(req.Currency)),
		Metadata:           metadata(req),
		PaymentMethodTypes: []*string{sg.String("card")},
	}
	if req.Description != "" {
		p.Description = sg.String(req.Description)
	}
	if customer != "" {
		p.Customer = sg.String(customer)
	}
	switch req.Type {
	case payment.TypePreauth:
		p.CaptureMethod = sg.String("manual")
	case payment.TypeRecurring:
		if req.Token == nil {
			p.SetupFutureUsage = sg.String("off_session")
		}
	}
	return p
}

// setup verifies or tokenises a card with a SetupIntent.
func (c *Connector) setup(ctx context.Context, req *payment.Request, customer, pm string) (*payment.Result, error) {
	p := &sg.SetupIntentCreateParams{
		Params:             params(ctx, req.Key+":si"),
		Confirm:            sg.Bool(true),
		PaymentMethod:      sg.String(pm),
		PaymentMethodTypes: []*string{sg.String("card")},
		Usage:              sg.String("off_session"),
		Metadata:           metadata(req),
		PaymentMethodOptions: &sg.SetupIntentCreatePaymentMethodOptionsParams{
			Card: &sg.SetupIntentCreatePaymentMethodOptionsCardParams{MOTO: sg.Bool(true)}},
	}
	if customer != "" {
		p.Customer = sg.String(customer)
	}
	si, err := c.c.V1SetupIntents.Create(ctx, p)
	if err != nil {
		return fault(err, false) // a SetupIntent moves no money
	}
	switch si.Status {
	case sg.SetupIntentStatusSucceeded:
		return &payment.Result{Outcome: payment.OutcomeApproved, ChargeID: si.ID, TokenID: customer + "/" + pm}, nil
	case sg.SetupIntentStatusRequiresPaymentMethod:
		code := payment.DeclineGeneric
		if si.LastSetupError != nil {
			code = declineCode(si.LastSetupError)
		}
		return &payment.Result{Outcome: payment.OutcomeDeclined, ChargeID: si.ID, DeclineCode: code}, nil
	}
	return &payment.Result{Outcome: payment.OutcomeDeclined, ChargeID: si.ID, DeclineCode: payment.DeclineGeneric}, nil
}

// intentResult reads a confirmed PaymentIntent.
func intentResult(pi *sg.PaymentIntent) (*payment.Result, error) {
	res := &payment.Result{ChargeID: pi.ID}
	if pi.LatestCharge != nil {
		res.AuthCode = pi.LatestCharge.AuthorizationCode
	}
	switch pi.Status {
	case sg.PaymentIntentStatusSucceeded, sg.PaymentIntentStatusRequiresCapture:
		res.Outcome = payment.OutcomeApproved
	case sg.PaymentIntentStatusRequiresPaymentMethod, sg.PaymentIntentStatusCanceled, sg.PaymentIntentStatusRequiresAction:
		res.Outcome, res.DeclineCode = payment.OutcomeDeclined, payment.DeclineGeneric
		if pi.LastPaymentError != nil {
			res.DeclineCode = declineCode(pi.LastPaymentError)
		}
	case sg.PaymentIntentStatusProcessing:
		return nil, payment.NewConnectorError(Name, payment.ErrorAnswerLost, true, errors.New("payment still processing"))
	default:
		return nil, payment.NewConnectorError(Name, payment.ErrorGatewayProtocol, true, fmt.Errorf("payment intent status %q", pi.Status))
	}
	return res, nil
}

// Lookup implements payment.Connector: it replays the PaymentIntent's creation with the
// same idempotency key and parameters, which returns the PaymentIntent first created (or,
// if the key never reached Stripe, a new unconfirmed one, which moves no money), and
// reads its status. Verification and tokenisation move no money: they are reported as
// not found.
func (c *Connector) Lookup(ctx context.Context, req *payment.Request) (*payment.Result, error) {
	switch req.Type {
	case payment.TypeVerify, payment.TypeTokenize:
		return nil, payment.ErrNotFound
	}
	if !req.AttemptedAt.IsZero() && c.now().Sub(req.AttemptedAt) > KeyLifetime {
		// Stripe has forgotten the key: a replay would create a new, unconfirmed payment
		// and prove nothing. Reconcile by hand in the Dashboard (metadata hushpay_key).
		return nil, payment.ErrLookupUnsupported
	}
	if req.Token != nil {
		customer, _, _ := strings.Cut(req.Token.GatewayToken, "/")
		return c.lookup(ctx, req, customer)
	}
	if req.Type == payment.TypeRecurring {
		// The customer was created with its own key: replaying it returns the same one.
		cus, err := c.c.V1Customers.Create(ctx, &sg.CustomerCreateParams{Params: params(ctx, req.Key+":cus"),
			Description: sg.String(req.AccountRef), Metadata: metadata(req)})
		if err != nil {
			_, ferr := fault(err, true)
			return nil, ferr
		}
		return c.lookup(ctx, req, cus.ID)
	}
	return c.lookup(ctx, req, "")
}

func (c *Connector) lookup(ctx context.Context, req *payment.Request, customer string) (*payment.Result, error) {
	pi, err := c.c.V1PaymentIntents.Create(ctx, c.intentParams(ctx, req, customer))
	if err != nil {
		_, ferr := fault(err, true)
		return nil, ferr
	}
	if pi.Metadata["hushpay_key"] != "" && pi.Metadata["hushpay_key"] != req.Key {
		return nil, payment.NewConnectorError(Name, payment.ErrorGatewayProtocol, true, errors.New("lookup returned another payment"))
	}
	switch pi.Status {
	case sg.PaymentIntentStatusRequiresPaymentMethod, sg.PaymentIntentStatusRequiresConfirmation:
		if pi.LastPaymentError != nil {
			return intentResult(pi) // confirmed and declined
		}
		return nil, payment.ErrNotFound // never confirmed: not charged
	}
	return intentResult(pi)
}

// fault maps a stripe-go error. A card error is a decline (a Result, no error);
// everything else is a *payment.ConnectorError. mayCharge says whether the request could
// have moved money (only a confirm can).
func fault(err error, mayCharge bool) (*payment.Result, error) {
	var se *sg.Error
	if errors.As(err, &se) {
		switch se.Type {
		case sg.ErrorTypeCard:
			return &payment.Result{Outcome: payment.OutcomeDeclined, DeclineCode: declineCode(se)}, nil
		case sg.ErrorTypeInvalidRequest, sg.ErrorTypeIdempotency:
			if se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden {
				return nil, payment.NewConnectorError(Name, payment.ErrorGatewayConfig, false, describe(se))
			}
			// An idempotency error means the key was used before: the first use may have charged.
			return nil, payment.NewConnectorError(Name, payment.ErrorGatewayConfig, mayCharge && se.Type == sg.ErrorTypeIdempotency, describe(se))
		case sg.ErrorTypeAPI:
			return nil, payment.NewConnectorError(Name, payment.ErrorGatewayUnavailable, mayCharge, describe(se))
		}
		if se.HTTPStatusCode == http.StatusTooManyRequests || se.HTTPStatusCode == http.StatusUnauthorized {
			return nil, payment.NewConnectorError(Name, payment.ErrorGatewayUnavailable, false, describe(se))
		}
		return nil, payment.NewConnectorError(Name, payment.ErrorGatewayUnavailable, mayCharge, describe(se))
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil, payment.NewConnectorError(Name, payment.ErrorGatewayUnavailable, false, errors.New("connection refused"))
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return nil, payment.NewConnectorError(Name, payment.ErrorGatewayConfig, false, errors.New("cannot resolve the API host"))
	}
	code := payment.ErrorAnswerLost
	if !mayCharge {
		code = payment.ErrorGatewayUnavailable
	}
	// Timeouts, resets, unreadable answers: the request may have been processed.
	return nil, payment.NewConnectorError(Name, code, mayCharge, errors.New(classify(err)))
}

// describe keeps the safe parts of a Stripe error: type, code, HTTP status, request ID.
// Stripe's messages are not kept (they could echo a parameter).
func describe(se *sg.Error) error {
	return fmt.Errorf("stripe %s %s (HTTP %d, request %s)", se.Type, se.Code, se.HTTPStatusCode, se.RequestID)
}

// classify names a transport error without its text (which could quote a URL or body).
func classify(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	}
	return "transport error or unreadable answer"
}

// declineCode maps Stripe's card error codes to Hushpay's.
func declineCode(se *sg.Error) payment.DeclineCode {
	switch string(se.DeclineCode) {
	case "insufficient_funds":
		return payment.DeclineInsufficientFunds
	case "lost_card", "stolen_card", "pickup_card":
		return payment.DeclineLostOrStolen
	case "fraudulent", "merchant_blacklist", "security_violation":
		return payment.DeclineFraud
	case "incorrect_cvc", "invalid_cvc":
		return payment.DeclineIncorrectCVC
	case "expired_card":
		return payment.DeclineExpiredCard
	case "processing_error", "issuer_not_available", "try_again_later", "reenter_transaction":
		return payment.DeclineProcessingError
	case "incorrect_zip":
		return payment.DeclineAddressMismatch
	case "card_not_supported", "transaction_not_allowed":
		return payment.DeclineCardNotSupported
	case "currency_not_supported":
		return payment.DeclineCurrencyNotAllowed
	case "incorrect_number", "invalid_number", "invalid_account":
		return payment.DeclineIncorrectNumber
	}
	switch string(se.Code) {
	case "incorrect_cvc", "invalid_cvc":
		return payment.DeclineIncorrectCVC
	case "expired_card", "invalid_expiry_month", "invalid_expiry_year":
		return payment.DeclineExpiredCard
	case "processing_error":
		return payment.DeclineProcessingError
	case "incorrect_number", "invalid_number":
		return payment.DeclineIncorrectNumber
	case "incorrect_zip":
		return payment.DeclineAddressMismatch
	case "card_decline_rate_limit_exceeded", "card_declined":
		return payment.DeclineGeneric
	}
	return payment.DeclineGeneric
}
