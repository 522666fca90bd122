package payment

import (
	"fmt"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/logging"
)

// MaxAmount bounds an amount in minor units (one billion major units of a two-decimal
// currency).
const MaxAmount = 100_000_000_000

// invalid wraps ErrInvalidRequest with a reason that is safe to show.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
}

// checkText rejects text that is too long, not printable, or could hold a card number
// (see looksLikePAN): no field an agent or integration fills in may carry one.
func checkText(name, v string, max int) error {
	if len(v) > max {
		return invalid("%s longer than %d bytes", name, max)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return invalid("%s holds a control character", name)
		}
	}
	if looksLikePAN(v) {
		return invalid("%s holds what could be a card number", name)
	}
	return nil
}

// LooksLikePAN reports whether s could hold a card number (see looksLikePAN); connectors
// use it to refuse gateway answers that do.
func LooksLikePAN(s string) bool { return looksLikePAN(s) }

// looksLikePAN reports whether s holds a run of digits (possibly split by single spaces,
// dashes or dots, as people write card numbers) that could be a card number: 12 to 19
// digits of a known brand passing the Luhn check, or more than 19 digits (which could
// hide one).
func looksLikePAN(s string) bool {
	if logging.Redact(s) == s {
		return false // no run of 12 or more digits at all
	}
	var run []byte
	check := func() bool {
		n := len(run)
		defer func() { run = run[:0] }()
		if n > capture.MaxPANLength {
			return true
		}
		if n >= capture.MinPANLength {
			_, err := capture.ValidatePAN(run, nil)
			return err == nil
		}
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			run = append(run, c)
		case (c == ' ' || c == '-' || c == '.') && len(run) > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
		default:
			if check() {
				return true
			}
		}
	}
	return check()
}

func checkKey(name, v string, max int) error {
	if v == "" || len(v) > max {
		return invalid("%s must be 1 to %d characters", name, max)
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= 0x20 || v[i] >= 0x7f {
			return invalid("%s must be printable ASCII without spaces", name)
		}
	}
	return checkText(name, v, max)
}

func (s *Service) validateCreate(r *CreateRequest) error {
	if err := checkKey("tenant", r.Tenant, 128); err != nil {
		return err
	}
	if err := checkKey("idempotency_key", r.IdempotencyKey, 255); err != nil {
		return err
	}
	if r.AgentID != "" {
		if err := checkKey("agent_id", r.AgentID, 128); err != nil {
			return err
		}
	}
	for _, c := range []struct{ name, v string }{{"call_id", r.CallID}, {"header", r.Header}} {
		if c.v != "" {
			if err := checkKey(c.name, c.v, 255); err != nil {
				return err
			}
		}
	}
	if err := checkText("account_ref", r.AccountRef, 255); err != nil {
		return err
	}
	if err := checkText("description", r.Description, 1000); err != nil {
		return err
	}
	if !r.Type.Valid() {
		return invalid("type %q: want sale, preauth, verify, tokenize or recurring", r.Type)
	}
	if !validCurrency(r.Currency) {
		return invalid("currency %q: want an ISO 4217 code such as GBP", r.Currency)
	}
	switch r.Type {
	case TypeVerify, TypeTokenize:
		if r.Amount != 0 {
			return invalid("amount must be 0 for %s", r.Type)
		}
	default:
		if r.Amount <= 0 || r.Amount > MaxAmount {
			return invalid("amount %d: want 1 to %d minor units", r.Amount, int64(MaxAmount))
		}
	}
	if (r.Type == TypeRecurring) != (r.Schedule != nil) {
		return invalid("a schedule is required for recurring payments and only for them")
	}
	if r.Schedule != nil {
		if err := validateSchedule(r.Schedule); err != nil {
			return err
		}
	}
	seen := map[capture.FieldName]bool{}
	for _, f := range r.RequiredFields {
		if seen[f] {
			return invalid("field %s listed twice", f)
		}
		seen[f] = true
	}
	if !seen[capture.FieldCardNumber] {
		return invalid("required_fields must include card_number")
	}
	for _, b := range r.AllowedBrands {
		if !b.Valid() {
			return invalid("unknown brand %q", b)
		}
	}
	return nil
}

func validateSchedule(sc *Schedule) error {
	if sc.Amount <= 0 || sc.Amount > MaxAmount {
		return invalid("schedule amount %d: want 1 to %d", sc.Amount, int64(MaxAmount))
	}
	switch sc.Frequency {
	case FrequencyWeekly, FrequencyMonthly, FrequencyQuarterly, FrequencyYearly:
	default:
		return invalid("schedule frequency %q: want weekly, monthly, quarterly or yearly", sc.Frequency)
	}
	start, err := time.Parse(time.DateOnly, sc.StartDate)
	if err != nil {
		return invalid("schedule start_date %q: want YYYY-MM-DD", sc.StartDate)
	}
	if sc.Count < 0 || sc.Count > 1000 {
		return invalid("schedule count %d: want 0 to 1000", sc.Count)
	}
	if sc.EndDate != "" {
		end, err := time.Parse(time.DateOnly, sc.EndDate)
		if err != nil || !end.After(start) {
			return invalid("schedule end_date %q: want YYYY-MM-DD after start_date", sc.EndDate)
		}
	}
	if sc.Count == 0 && sc.EndDate == "" {
		return invalid("schedule needs a count or an end_date")
	}
	return nil
}

// validCurrency reports whether c is three upper-case letters from the ISO 4217 list of
// active codes that card gateways commonly settle in.
func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	_, ok := currencies[c]
	return ok
}

// currencies is the ISO 4217 list of active currency codes (2024 edition, funds and
// precious metals left out).
var currencies = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, c := range []string{
		"AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
		"BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
		"CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB",
		"EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG",
		"HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF",
		"KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA",
		"MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO",
		"NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
		"RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN",
		"SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX",
		"USD", "UYU", "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW",
		"ZWG",
	} {
		m[c] = struct{}{}
	}
	return m
}()
