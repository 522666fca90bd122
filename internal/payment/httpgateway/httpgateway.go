// Package httpgateway is the generic HTTP connector: it sends each payment as a signed JSON
// POST to a URL the merchant runs (an adapter to any gateway) and reads a small JSON
// answer. The contract is written in docs/gateway-http.md; this package follows it.
//
// Requests are signed with HMAC-SHA256 over the timestamp and the body. A request that
// fails (connection error, timeout, 5xx, 408, 409, 429, unreadable answer) is retried with
// the same idempotency key, so a gateway that honours the contract never charges twice.
// An answer that may have been lost is settled with a signed GET lookup.
package httpgateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/hushpay/hushpay/internal/payment"
)

// Name is the connector's name in results.
const Name = "http"

// Header names of the contract.
const (
	HeaderTimestamp   = "X-Hushpay-Timestamp"
	HeaderSignature   = "X-Hushpay-Signature"
	HeaderIdempotency = "Idempotency-Key"
)

// maxAnswer bounds an answer's size.
const maxAnswer = 64 << 10

// Config configures the connector.
type Config struct {
	// URL receives the POSTed payments; lookups GET URL/{idempotency key}.
	URL string
	// Secret is the shared HMAC-SHA256 key (at least 16 bytes).
	Secret string
	// Timeout bounds each HTTP exchange (20 s when 0).
	Timeout time.Duration
	// Retries after a failed exchange, each with the same idempotency key (0: none).
	Retries int
	// Backoff before the first retry, doubled each time (250 ms when 0).
	Backoff time.Duration
	// Client replaces the default HTTP client (tests).
	Client *http.Client
	// Now replaces time.Now for signatures (tests).
	Now func() time.Time
}

// Connector pays through a merchant's HTTP endpoint. It is safe for concurrent use.
type Connector struct {
	cfg    Config
	client *http.Client
}

var _ payment.Connector = (*Connector)(nil)

// New returns an HTTP connector.
func New(cfg Config) (*Connector, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("httpgateway: url must be an http or https URL")
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("httpgateway: secret must be at least 16 bytes")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 20 * time.Second
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 250 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := cfg.Client
	if c == nil {
		c = &http.Client{Timeout: cfg.Timeout}
	}
	return &Connector{cfg: cfg, client: c}, nil
}

// Name returns "http".
func (c *Connector) Name() string { return Name }

// Sign returns the signature header value for a timestamp and a signed payload (the body
// of a POST, the idempotency key of a lookup): "v1=" and the hex HMAC-SHA256 of
// "<timestamp>.<payload>".
func Sign(secret string, timestamp int64, payload []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(strconv.AppendInt(nil, timestamp, 10))
	m.Write([]byte{'.'})
	m.Write(payload)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature made by Sign, for gateway-side code and tests.
func Verify(secret string, timestamp int64, payload []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, timestamp, payload)), []byte(signature))
}

// answer is the JSON the gateway replies with.
type answer struct {
	ChargeID     string `json:"charge_id"`
	TokenID      string `json:"token_id"`
	AuthCode     string `json:"auth_code"`
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

// appendBody writes the request's JSON into dst. Card digits are appended as they are
// (they are ASCII digits) so that the one buffer holding them can be zeroed afterwards.
func appendBody(dst []byte, req *payment.Request) []byte {
	str := func(name, v string) {
		dst = append(dst, ',', '"')
		dst = append(dst, name...)
		dst = append(dst, '"', ':')
		b, _ := json.Marshal(v)
		dst = append(dst, b...)
	}
	dst = append(dst, `{"idempotency_key":`...)
	b, _ := json.Marshal(req.Key)
	dst = append(dst, b...)
	str("type", string(req.Type))
	dst = append(dst, `,"amount":`...)
	dst = strconv.AppendInt(dst, req.Amount, 10)
	str("currency", req.Currency)
	str("session_id", req.SessionID)
	str("tenant", req.Tenant)
	if req.AccountRef != "" {
		str("account_ref", req.AccountRef)
	}
	if req.Description != "" {
		str("description", req.Description)
	}
	if len(req.Fields) > 0 {
		b, _ := json.Marshal(req.Fields) // map keys are sorted: the same request, the same body
		dst = append(dst, `,"fields":`...)
		dst = append(dst, b...)
	}
	if req.Token != nil {
		str("token", req.Token.GatewayToken)
	} else if !req.Card.Wiped() {
		dst = append(dst, `,"card":{"number":"`...)
		dst = req.Card.AppendPAN(dst)
		dst = append(dst, `","exp_month":`...)
		dst = strconv.AppendInt(dst, int64(req.Card.ExpMonth()), 10)
		dst = append(dst, `,"exp_year":`...)
		dst = strconv.AppendInt(dst, int64(req.Card.ExpYear()), 10)
		if req.Card.HasSecurityCode() {
			dst = append(dst, `,"security_code":"`...)
			dst = req.Card.AppendSecurityCode(dst)
			dst = append(dst, '"')
		}
		if pc := req.Card.PostalCode(); pc != "" {
			str("postal_code", pc)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// Pay implements payment.Connector.
func (c *Connector) Pay(ctx context.Context, req *payment.Request) (*payment.Result, error) {
	if req.Key == "" {
		return nil, payment.NewConnectorError(Name, payment.ErrorGatewayConfig, false, errors.New("no idempotency key"))
	}
	if req.Token == nil && req.Card.Wiped() {
		return nil, payment.NewConnectorError(Name, payment.ErrorGatewayConfig, false, errors.New("no card in request"))
	}
	body := appendBody(make([]byte, 0, 512), req)
	defer clear(body) // the only copy of the card in this package
	return c.exchange(ctx, http.MethodPost, c.cfg.URL, req.Key, body, body)
}

// Lookup implements payment.Connector: GET URL/{idempotency key}, signed over the key.
// 404 means the gateway never processed the key (payment.ErrNotFound).
func (c *Connector) Lookup(ctx context.Context, req *payment.Request) (*payment.Result, error) {
	u, err := url.JoinPath(c.cfg.URL, url.PathEscape(req.Key))
	if err != nil {
		return nil, payment.NewConnectorError(Name, payment.ErrorGatewayConfig, false, errors.New("bad lookup URL"))
	}
	return c.exchange(ctx, http.MethodGet, u, req.Key, nil, []byte(req.Key))
}

// outcomeKind classifies one exchange.
type exchangeErr struct {
	code     payment.DeclineCode
	maybe    bool // the request may have been processed
	retry    bool
	notFound bool
	err      error
}

// exchange sends one request, retrying with the same key, and reads the answer.
func (c *Connector) exchange(ctx context.Context, method, u, key string, body, signed []byte) (*payment.Result, error) {
	maybe := false
	var last *exchangeErr
	for try := 0; try <= c.cfg.Retries; try++ {
		if try > 0 {
			wait := c.cfg.Backoff << (try - 1)
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, payment.NewConnectorError(Name, codeFor(maybe), maybe, ctx.Err())
			}
		}
		res, xe := c.once(ctx, method, u, key, body, signed)
		if xe == nil {
			return res, nil
		}
		if xe.notFound {
			return nil, payment.ErrNotFound
		}
		maybe = maybe || xe.maybe
		last = xe
		if !xe.retry {
			break
		}
	}
	code := last.code
	if maybe && code == payment.ErrorGatewayUnavailable {
		code = payment.ErrorAnswerLost
	}
	return nil, payment.NewConnectorError(Name, code, maybe, last.err)
}

func codeFor(maybe bool) payment.DeclineCode {
	if maybe {
		return payment.ErrorAnswerLost
	}
	return payment.ErrorGatewayUnavailable
}

func (c *Connector) once(ctx context.Context, method, u, key string, body, signed []byte) (*payment.Result, *exchangeErr) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, &exchangeErr{code: payment.ErrorGatewayConfig, err: errors.New("cannot build request")}
	}
	ts := c.cfg.Now().Unix()
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set(HeaderIdempotency, key)
	hr.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	hr.Header.Set(HeaderSignature, Sign(c.cfg.Secret, ts, signed))
	resp, err := c.client.Do(hr)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, &exchangeErr{code: payment.ErrorGatewayUnavailable, retry: true, err: errors.New("connection refused")}
		}
		var dns *net.DNSError
		if errors.As(err, &dns) {
			return nil, &exchangeErr{code: payment.ErrorGatewayUnavailable, retry: true, err: errors.New("cannot resolve the gateway host")}
		}
		what := "transport error"
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			what = "timeout"
		}
		// Sent, perhaps processed, answer lost.
		return nil, &exchangeErr{code: payment.ErrorAnswerLost, maybe: method == http.MethodPost, retry: true, err: errors.New(what)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, &exchangeErr{code: payment.ErrorAnswerLost, maybe: method == http.MethodPost, retry: true, err: errors.New("answer cut short")}
	}
	st := resp.StatusCode
	switch {
	case st == http.StatusNotFound && method == http.MethodGet:
		return nil, &exchangeErr{notFound: true}
	case st >= 500 || st == http.StatusRequestTimeout || st == http.StatusConflict || st == http.StatusTooEarly || st == http.StatusTooManyRequests:
		return nil, &exchangeErr{code: payment.ErrorGatewayUnavailable, maybe: method == http.MethodPost && st != http.StatusTooManyRequests,
			retry: true, err: fmt.Errorf("HTTP %d", st)}
	case st != http.StatusOK:
		// The gateway refused the request as such (bad signature, bad field): not processed.
		return nil, &exchangeErr{code: payment.ErrorGatewayConfig, err: fmt.Errorf("HTTP %d", st)}
	}
	if len(raw) > maxAnswer {
		return nil, &exchangeErr{code: payment.ErrorGatewayProtocol, maybe: true, retry: true, err: errors.New("answer too large")}
	}
	res, perr := parseAnswer(raw)
	if perr != nil {
		return nil, &exchangeErr{code: payment.ErrorGatewayProtocol, maybe: true, retry: true, err: perr}
	}
	return res, nil
}

// parseAnswer reads the gateway's JSON answer (section 1 of docs/gateway-http.md).
func parseAnswer(raw []byte) (*payment.Result, error) {
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, errors.New("answer is not the contract's JSON")
	}
	return a.result()
}

// result reads an answer: an error_code declines, a charge_id or token_id approves.
func (a *answer) result() (*payment.Result, error) {
	for _, s := range []string{a.ChargeID, a.TokenID, a.AuthCode, a.ErrorCode} {
		if len(s) > 255 || !printable(s) || payment.LooksLikePAN(s) {
			return nil, errors.New("answer field not acceptable")
		}
	}
	if a.ErrorCode != "" {
		return &payment.Result{Outcome: payment.OutcomeDeclined, ChargeID: a.ChargeID, DeclineCode: mapCode(a.ErrorCode)}, nil
	}
	if a.ChargeID == "" && a.TokenID == "" {
		return nil, errors.New("answer has neither charge_id, token_id nor error_code")
	}
	return &payment.Result{Outcome: payment.OutcomeApproved, ChargeID: a.ChargeID, TokenID: a.TokenID, AuthCode: a.AuthCode}, nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// mapCode accepts Hushpay's decline codes as they are; any other code is a generic decline.
func mapCode(code string) payment.DeclineCode {
	switch c := payment.DeclineCode(code); c {
	case payment.DeclineGeneric, payment.DeclineInsufficientFunds, payment.DeclineIncorrectCVC, payment.DeclineExpiredCard,
		payment.DeclineIncorrectNumber, payment.DeclineLostOrStolen, payment.DeclineFraud, payment.DeclineAddressMismatch,
		payment.DeclineProcessingError, payment.DeclineCardNotSupported, payment.DeclineCurrencyNotAllowed:
		return c
	}
	return payment.DeclineGeneric
}
