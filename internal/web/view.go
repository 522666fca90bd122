package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/payment"
)

// PanelView is what the live panel shows of a session: masked values only. The page's
// script renders it, from /payments/{id}/state and from each event's capture view.
type PanelView struct {
	ID         string      `json:"id"`
	Status     string      `json:"status"`
	StatusText string      `json:"status_text"`
	Type       string      `json:"type"`
	Amount     string      `json:"amount"`
	AccountRef string      `json:"account_ref"`
	CallRef    string      `json:"call_ref"`
	Paired     bool        `json:"paired"`
	Secure     bool        `json:"secure"`
	Brand      string      `json:"brand"`
	Fields     []FieldView `json:"fields"`
	CanSecure  bool        `json:"can_secure"`
	CanPay     bool        `json:"can_pay"`
	CanRestart bool        `json:"can_restart"`
	CanCancel  bool        `json:"can_cancel"`
	Result     *ResultView `json:"result,omitempty"`
	Message    string      `json:"message,omitempty"`
	CSRF       string      `json:"-"`
}

// FieldView is one field's row in the panel.
type FieldView struct {
	Name      string `json:"name"`
	Label     string `json:"label"`
	State     string `json:"state"`
	Masked    string `json:"masked"`
	Progress  string `json:"progress"`
	Valid     bool   `json:"valid"`
	Active    bool   `json:"active"`
	Error     string `json:"error,omitempty"`
	CanReset  bool   `json:"can_reset"`
	Attempts  int    `json:"attempts"`
	MaxTries  int    `json:"max_attempts"`
	MaxLength int    `json:"max_length"`
}

// ResultView is the outcome of the last payment attempt.
type ResultView struct {
	Outcome  string `json:"outcome"`
	Headline string `json:"headline"`
	AuthCode string `json:"auth_code,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Next     string `json:"next,omitempty"`
	Card     string `json:"card,omitempty"`
	Receipt  bool   `json:"receipt"`
}

func (s *Server) viewOf(r *http.Request, sess *payment.Session) PanelView {
	v := PanelView{ID: sess.ID, Status: string(sess.Status), StatusText: statusText(sess), Type: string(sess.Type),
		Amount: formatAmount(sess.Amount, sess.Currency), AccountRef: sess.AccountRef, CallRef: sess.Pairing.CallRef,
		Paired: sess.Pairing.CallID != "", Secure: sess.Secure, Brand: brandName(sess.Capture.Brand)}
	if _, l, ok := s.currentUser(r); ok {
		v.CSRF = l.CSRFToken
	}
	active := sess.Status.Active() && sess.Status != payment.StatusProcessing && sess.Status != payment.StatusInDoubt
	v.Fields = fieldViews(sess.Capture, active && sess.Secure)
	v.CanSecure = active && v.Paired && !sess.Secure
	v.CanPay = sess.Status == payment.StatusReady
	v.CanRestart = active && sess.Status != payment.StatusPending
	v.CanCancel = active
	if res := sess.Result; res != nil {
		v.Result = resultView(res)
	}
	return v
}

func fieldViews(c capture.View, canReset bool) []FieldView {
	out := make([]FieldView, 0, len(c.Fields))
	for _, f := range c.Fields {
		fv := FieldView{Name: string(f.Name), Label: fieldLabel(string(f.Name)), State: string(f.State), Masked: f.Masked,
			Valid: f.Valid, Active: c.Active == f.Name, Error: errorText(f.Error), Attempts: f.Attempts, MaxTries: f.MaxAttempts,
			MaxLength: f.MaxLength, CanReset: canReset && (f.Length > 0 || f.State != capture.StatePending)}
		fv.Progress = progress(f)
		out = append(out, fv)
	}
	return out
}

func progress(f capture.FieldView) string {
	switch f.State {
	case capture.StateComplete:
		return "complete"
	case capture.StateActive:
		if f.Length == 0 {
			return "waiting for the customer"
		}
		return fmt.Sprintf("%d digit(s) keyed", f.Length)
	case capture.StateInvalid:
		return "not valid"
	case capture.StateFailed:
		return "failed"
	}
	return "not asked yet"
}

func resultView(r *payment.Result) *ResultView {
	rv := &ResultView{Outcome: string(r.Outcome), AuthCode: r.AuthCode, Reason: r.Reason}
	if r.Last4 != "" {
		rv.Card = strings.TrimSpace(brandName(r.Brand) + " " + r.MaskedPAN(0))
	}
	switch r.Outcome {
	case payment.OutcomeApproved:
		rv.Headline = "Approved"
		rv.Receipt = true
		rv.Next = "Tell the customer the payment went through and offer a receipt."
	case payment.OutcomeDeclined:
		rv.Headline = "Declined"
		if rv.Reason == "" {
			rv.Reason = r.DeclineCode.Reason()
		}
		rv.Next = "Nothing was charged. Ask the customer for another card and press Start again, or offer another way to pay."
	case payment.OutcomeError:
		rv.Headline = "Not processed"
		if rv.Reason == "" {
			rv.Reason = r.DeclineCode.Reason()
		}
		rv.Next = "Nothing was charged. Press Pay again in a moment, or Start again."
	case payment.OutcomeInDoubt:
		rv.Headline = "Answer lost"
		rv.Next = "The gateway's answer was lost: do not take the payment again. A supervisor can check it."
	}
	return rv
}

func statusText(sess *payment.Session) string {
	switch sess.Status {
	case payment.StatusPending:
		if sess.Pairing.CallID == "" {
			return "Waiting for the call: key the call reference on your phone."
		}
		return "Call paired: press Secure when the customer is ready."
	case payment.StatusCapturing:
		if !sess.Secure {
			return "Line not secure: capture paused."
		}
		return "Customer is keying the card."
	case payment.StatusReady:
		return "Card complete and valid: press Pay."
	case payment.StatusProcessing:
		return "Waiting for the gateway…"
	case payment.StatusApproved:
		return "Payment approved."
	case payment.StatusDeclined:
		return "Payment declined."
	case payment.StatusFailed:
		return "Payment not processed (gateway error)."
	case payment.StatusInDoubt:
		return "Gateway answer lost: do not pay again."
	case payment.StatusCancelled:
		return "Payment cancelled."
	}
	return string(sess.Status)
}

func fieldLabel(name string) string {
	switch capture.FieldName(name) {
	case capture.FieldCardNumber:
		return "Card number"
	case capture.FieldExpiry:
		return "Expiry (MMYY)"
	case capture.FieldSecurityCode:
		return "Security code"
	case capture.FieldPostalCode:
		return "Postcode digits"
	}
	return strings.ReplaceAll(name, "_", " ")
}

// errorText turns a capture error code into what the agent says or does next.
func errorText(code string) string {
	switch code {
	case "":
		return ""
	case "invalid-card-number":
		return "Card number not valid: ask the customer to key it again."
	case "invalid-card-type":
		return "This card type is not accepted: ask the customer for another card."
	case "invalid-date":
		return "Expiry not valid: ask the customer to key the month and year as four digits, e.g. 0928."
	case "invalid-security-code":
		return "Security code not valid: ask for the 3 digits on the back (4 on the front for Amex)."
	case "invalid-postal-code":
		return "Postcode digits not valid: ask the customer to key them again."
	case "invalid-digits":
		return "Not valid: ask the customer to key it again."
	case "input-timeout":
		return "No keys for a while: ask the customer to key it again."
	case "too-many-attempts":
		return "Too many attempts: press Reset to let the customer try again, or offer another way to pay."
	}
	return "Not valid (" + code + "): ask the customer to key it again."
}

func brandName(b capture.Brand) string {
	switch b {
	case capture.BrandVisa:
		return "Visa"
	case capture.BrandMastercard:
		return "Mastercard"
	case capture.BrandAmex:
		return "American Express"
	case capture.BrandDiscover:
		return "Discover"
	case capture.BrandDiners:
		return "Diners Club"
	case capture.BrandJCB:
		return "JCB"
	case capture.BrandUnionPay:
		return "UnionPay"
	case capture.BrandMaestro:
		return "Maestro"
	}
	return ""
}

// currencyDigits is the number of minor-unit digits of a currency (ISO 4217); 2 unless listed.
func currencyDigits(cur string) int {
	switch strings.ToUpper(cur) {
	case "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF", "KMF", "GNF", "VUV", "XPF", "DJF", "BIF":
		return 0
	case "BHD", "KWD", "OMR", "JOD", "TND", "LYD", "IQD":
		return 3
	}
	return 2
}

// formatAmount writes minor units as "12.50 GBP".
func formatAmount(minor int64, cur string) string {
	d := currencyDigits(cur)
	if d == 0 {
		return strconv.FormatInt(minor, 10) + " " + cur
	}
	p := int64(math.Pow10(d))
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%0*d %s", sign, minor/p, d, minor%p, cur)
}

// parseAmount reads "12.50" (or "12,50", "12") in major units of cur into minor units.
func parseAmount(s, cur string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	if s == "" {
		return 0, fmt.Errorf("Enter the amount.")
	}
	if len(cur) != 3 {
		return 0, fmt.Errorf("Choose a currency (three letters, e.g. GBP).")
	}
	d := currencyDigits(cur)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if len(frac) > d || strings.Trim(whole+frac, "0123456789") != "" || len(whole) > 12 {
		return 0, fmt.Errorf("Amount %q is not valid for %s: use digits and at most %d decimals.", s, cur, d)
	}
	frac += strings.Repeat("0", d-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n <= 0 || n > payment.MaxAmount {
		return 0, fmt.Errorf("Amount %q is not valid: enter more than zero.", s)
	}
	return n, nil
}
