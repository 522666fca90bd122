package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/store"
)

// newPaymentData fills the new payment form.
type newPaymentData struct {
	Account     string
	Invoices    []Invoice
	LookupOn    bool
	LookupError string
	Amount      string
	Currency    string
	Ref         string
	Type        string
	Postcode    bool
	Idem        string
	Types       []payment.Type
	Frequencies []payment.Frequency
	Count       string
	Frequency   string
	StartDate   string
}

func (s *Server) handleNewPayment(w http.ResponseWriter, r *http.Request, u store.User) {
	q := r.URL.Query()
	d := newPaymentData{Currency: "GBP", Type: string(payment.TypeSale), Idem: randomToken(), LookupOn: s.opts.Config.Billing.URL != "",
		Types:       []payment.Type{payment.TypeSale, payment.TypePreauth, payment.TypeVerify, payment.TypeTokenize, payment.TypeRecurring},
		Frequencies: []payment.Frequency{payment.FrequencyWeekly, payment.FrequencyMonthly, payment.FrequencyQuarterly, payment.FrequencyYearly},
		Frequency:   string(payment.FrequencyMonthly), StartDate: s.now().UTC().Format("2006-01-02"),
		Amount: q.Get("amount"), Ref: q.Get("ref")}
	if c := q.Get("currency"); c != "" {
		d.Currency = c
	}
	if acc := strings.TrimSpace(q.Get("account")); acc != "" && d.LookupOn {
		d.Account = acc
		if store.LooksLikeCard(acc) {
			d.LookupError = "That looks like a card number. Never type card numbers: the customer keys them on the phone."
		} else if inv, err := s.lookupInvoices(r.Context(), acc); err != nil {
			s.log.Warn("web: billing lookup", "err", err)
			d.LookupError = "The billing system did not answer (" + err.Error() + "). Enter the amount and reference by hand."
		} else {
			d.Invoices = inv
			if len(inv) == 0 {
				d.LookupError = "No unpaid invoices for this account."
			}
		}
	}
	s.render(w, r, http.StatusOK, "new", page{Title: "New payment", User: &u, Data: d})
}

// formError is a problem with the new payment form, shown next to it.
type formError string

func (e formError) Error() string { return string(e) }

// createRequest reads the new payment form.
func (s *Server) createRequest(r *http.Request, u store.User) (payment.CreateRequest, error) {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	for k, vs := range r.PostForm {
		for _, v := range vs {
			if store.LooksLikeCard(v) && k != csrfField {
				return payment.CreateRequest{}, formError("A value looks like a card number and was refused. Never type card numbers: the customer keys them on the phone.")
			}
		}
	}
	req := payment.CreateRequest{Tenant: u.TenantID, AgentID: u.Username, Type: payment.Type(f("type")),
		Currency: strings.ToUpper(f("currency")), AccountRef: f("account_ref"), Description: f("description"),
		IdempotencyKey: "web-" + u.ID + "-" + f("idem")}
	if f("idem") == "" || len(f("idem")) > 64 {
		return req, formError("The form expired; please fill it in again.")
	}
	if !req.Type.Valid() {
		return req, formError("Choose a payment type.")
	}
	if req.Type != payment.TypeVerify && req.Type != payment.TypeTokenize {
		amt, err := parseAmount(f("amount"), req.Currency)
		if err != nil {
			return req, formError(err.Error())
		}
		req.Amount = amt
	}
	if req.Type == payment.TypeRecurring {
		n, err := strconv.Atoi(f("count"))
		if err != nil || n < 1 || n > 1000 {
			return req, formError("Number of payments: enter a whole number from 1 to 1000.")
		}
		req.Schedule = &payment.Schedule{Amount: req.Amount, Count: n, StartDate: f("start_date"), Frequency: payment.Frequency(f("frequency"))}
	}
	req.RequiredFields = []capture.FieldName{capture.FieldCardNumber, capture.FieldExpiry, capture.FieldSecurityCode}
	if r.PostFormValue("postcode") != "" {
		req.RequiredFields = append(req.RequiredFields, capture.FieldPostalCode)
	}
	return req, nil
}

func (s *Server) handleCreatePayment(w http.ResponseWriter, r *http.Request, u store.User) {
	req, err := s.createRequest(r, u)
	if err == nil {
		var sess *payment.Session
		var created bool
		sess, created, err = s.pay.Create(r.Context(), req)
		if err == nil {
			if created {
				s.audit(r.Context(), u, "session.create", sess.ID, "web")
			}
			http.Redirect(w, r, "/payments/"+sess.ID, http.StatusSeeOther)
			return
		}
	}
	msg := "Could not create the payment; please try again."
	var fe formError
	switch {
	case errors.As(err, &fe):
		msg = fe.Error()
	case errors.Is(err, payment.ErrInvalidRequest):
		msg = "Please check the form: " + strings.TrimPrefix(err.Error(), payment.ErrInvalidRequest.Error()+": ")
	case errors.Is(err, payment.ErrIdempotencyMismatch):
		msg = "This form was already sent with other values; please fill in a new one."
	default:
		s.log.Error("web: create payment", "err", err)
	}
	d := newPaymentData{Amount: r.PostFormValue("amount"), Currency: r.PostFormValue("currency"), Ref: r.PostFormValue("account_ref"),
		Type: r.PostFormValue("type"), Postcode: r.PostFormValue("postcode") != "", Idem: randomToken(), LookupOn: s.opts.Config.Billing.URL != "",
		Types:       []payment.Type{payment.TypeSale, payment.TypePreauth, payment.TypeVerify, payment.TypeTokenize, payment.TypeRecurring},
		Frequencies: []payment.Frequency{payment.FrequencyWeekly, payment.FrequencyMonthly, payment.FrequencyQuarterly, payment.FrequencyYearly},
		Count:       r.PostFormValue("count"), Frequency: r.PostFormValue("frequency"), StartDate: r.PostFormValue("start_date")}
	for _, v := range []*string{&d.Ref, &d.Amount, &d.Currency, &d.Count, &d.StartDate, &d.Type, &d.Frequency} {
		if store.LooksLikeCard(*v) { // never echo a card number back into the page
			*v = ""
		}
	}
	s.render(w, r, http.StatusUnprocessableEntity, "new", page{Title: "New payment", User: &u, Error: msg, Data: d})
}

// session returns a session the user may see: agents see their own, supervisors and admins
// every session of their tenant.
func (s *Server) session(r *http.Request, u store.User) (*payment.Session, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > 64 {
		return nil, payment.ErrNotFound
	}
	sess, err := s.pay.Get(r.Context(), u.TenantID, id)
	if err != nil {
		return nil, err
	}
	if u.Role == RoleAgent && sess.AgentID != u.Username {
		return nil, payment.ErrNotFound
	}
	return sess, nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, u store.User, err error) {
	if !errors.Is(err, payment.ErrNotFound) {
		s.log.Error("web: session", "err", err)
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "No such payment."})
		return
	}
	s.render(w, r, http.StatusNotFound, "error", page{Title: "Not found", User: &u, Error: "No such payment."})
}

func (s *Server) handlePaymentPage(w http.ResponseWriter, r *http.Request, u store.User) {
	sess, err := s.session(r, u)
	if err != nil {
		s.notFound(w, r, u, err)
		return
	}
	s.render(w, r, http.StatusOK, "payment", page{Title: "Payment " + sess.Pairing.CallRef, User: &u, Data: s.viewOf(r, sess)})
}

func (s *Server) handlePaymentState(w http.ResponseWriter, r *http.Request, u store.User) {
	sess, err := s.session(r, u)
	if err != nil {
		s.notFound(w, r, u, err)
		return
	}
	writeJSON(w, http.StatusOK, s.viewOf(r, sess))
}

// handlePaymentEvents streams the session's events through the API's Server-sent event
// endpoint, with the user as the principal.
func (s *Server) handlePaymentEvents(w http.ResponseWriter, r *http.Request, u store.User) {
	sess, err := s.session(r, u)
	if err != nil {
		s.notFound(w, r, u, err)
		return
	}
	s.proxyEvents(w, r, u, "/v1/sessions/"+url.PathEscape(sess.ID)+"/events")
}

func (s *Server) proxyEvents(w http.ResponseWriter, r *http.Request, u store.User, path string) {
	if s.opts.API == nil {
		http.Error(w, "live updates unavailable", http.StatusServiceUnavailable)
		return
	}
	ctx := api.WithPrincipal(r.Context(), api.Principal{TenantID: u.TenantID, KeyID: "web-" + u.ID, Scopes: []string{api.ScopeSessionsRead}})
	r2 := r.Clone(ctx)
	r2.URL = &url.URL{Path: path, RawQuery: r.URL.RawQuery}
	r2.RequestURI = r2.URL.RequestURI()
	s.opts.API.ServeHTTP(w, r2)
}

type action int

const (
	actionSecure action = iota
	actionReset
	actionRestart
	actionPay
	actionCancel
)

func (s *Server) handleAction(a action) func(http.ResponseWriter, *http.Request, store.User) {
	return func(w http.ResponseWriter, r *http.Request, u store.User) {
		sess, err := s.session(r, u)
		if err != nil {
			s.notFound(w, r, u, err)
			return
		}
		ctx := r.Context()
		var name, detail string
		switch a {
		case actionSecure:
			on := r.PostFormValue("on") != "false"
			name = "session.secure_off"
			if on {
				name = "session.secure_on"
			}
			sess, err = s.pay.SetSecure(ctx, u.TenantID, sess.ID, on)
		case actionReset:
			f := capture.FieldName(r.PostFormValue("field"))
			name, detail = "session.reset_field", string(f)
			if _, ok := sess.Capture.Field(f); !ok {
				err = fmt.Errorf("%w: no such field", payment.ErrInvalidRequest)
				break
			}
			sess, err = s.pay.ResetField(ctx, u.TenantID, sess.ID, f)
		case actionRestart:
			name = "session.restart"
			sess, err = s.pay.StartAgain(ctx, u.TenantID, sess.ID)
		case actionPay:
			name = "session.pay"
			sess, err = s.pay.Pay(ctx, u.TenantID, sess.ID)
		case actionCancel:
			name = "session.cancel"
			sess, err = s.pay.Cancel(ctx, u.TenantID, sess.ID, "cancelled by "+u.Username)
		}
		msg := ""
		if err != nil {
			msg = actionError(err)
			if sess == nil {
				sess, _ = s.pay.Get(ctx, u.TenantID, r.PathValue("id"))
			}
			if msg == "" {
				s.log.Error("web: action", "action", name, "err", err)
				msg = "Something went wrong; please try again."
			}
		} else {
			s.audit(ctx, u, name, sess.ID, detail)
		}
		if wantsJSON(r) {
			v := s.viewOf(r, sess)
			v.Message = msg
			status := http.StatusOK
			if msg != "" {
				status = http.StatusConflict
			}
			writeJSON(w, status, v)
			return
		}
		if msg != "" {
			v := s.viewOf(r, sess)
			s.render(w, r, http.StatusConflict, "payment", page{Title: "Payment", User: &u, Error: msg, Data: v})
			return
		}
		http.Redirect(w, r, "/payments/"+sess.ID, http.StatusSeeOther)
	}
}

// actionError explains a refused action in plain words ("" for an unexpected error).
func actionError(err error) string {
	switch {
	case errors.Is(err, payment.ErrNotSecure):
		return "The line is not secure yet: key the call reference on your phone, or press Secure once the call is paired."
	case errors.Is(err, payment.ErrWrongState):
		return "That is not possible now (the payment moved on). The panel shows where it is."
	case errors.Is(err, payment.ErrNoCardData):
		return "This node holds no card for the payment: press Start again and ask the customer to key the card."
	case errors.Is(err, payment.ErrInDoubt):
		return "The gateway's answer to the last attempt was lost. Do not take the payment again; ask a supervisor to check it."
	case errors.Is(err, payment.ErrConflict):
		return "The payment changed at the same moment; please try again."
	case errors.Is(err, payment.ErrInvalidRequest):
		return "That request was not valid."
	case errors.Is(err, payment.ErrConnector):
		return "The payment gateway could not be reached; nothing was charged. Try again in a moment."
	}
	return ""
}
