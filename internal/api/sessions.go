package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/payment"
)

// CreateSessionRequest is the body of POST /v1/sessions. The Idempotency-Key header is
// required: the same key with the same body returns the same session, with another body
// it is refused (409 idempotency_mismatch).
type CreateSessionRequest struct {
	AgentID        string            `json:"agent_id"`
	Type           payment.Type      `json:"type"`
	Amount         int64             `json:"amount"`
	Currency       string            `json:"currency"`
	AccountRef     string            `json:"account_ref"`
	Description    string            `json:"description"`
	Schedule       *payment.Schedule `json:"schedule"`
	RequiredFields []string          `json:"required_fields"`
	AllowedBrands  []string          `json:"allowed_brands"`
	CallID         string            `json:"call_id"`
	Header         string            `json:"header"`
}

// FieldRequest is the body of the capture and reset endpoints.
type FieldRequest struct {
	Field string `json:"field"`
}

// Session is a payment session as the API shows it: the payment package's masked session.
type Session = payment.Session

// maxAmount bounds amounts in minor units (10^11: a billion in a two-decimal currency).
const maxAmount = 100_000_000_000

func (req *CreateSessionRequest) validate() error {
	bad := func(format string, a ...any) error {
		return errf(http.StatusBadRequest, CodeInvalidRequest, fmt.Sprintf(format, a...))
	}
	if req.AgentID != "" {
		if err := validID("agent_id", req.AgentID); err != nil {
			return err
		}
	}
	if req.Type != "" && !req.Type.Valid() {
		return bad("type %q: want sale, preauth, verify, tokenize or recurring", req.Type)
	}
	if req.Amount < 0 || req.Amount > maxAmount {
		return bad("amount must be 0 to %d minor units", maxAmount)
	}
	if len(req.Currency) != 3 || strings.ToUpper(req.Currency) != req.Currency || strings.Trim(req.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return bad("currency must be an ISO 4217 code in capitals, e.g. GBP")
	}
	if err := validText("account_ref", req.AccountRef, 128); err != nil {
		return err
	}
	if err := validText("description", req.Description, 500); err != nil {
		return err
	}
	if len(req.RequiredFields) > 10 || len(req.AllowedBrands) > 10 {
		return bad("too many required_fields or allowed_brands")
	}
	for _, f := range req.RequiredFields {
		if err := validID("required_fields", f); err != nil {
			return err
		}
	}
	for _, b := range req.AllowedBrands {
		if !slices.Contains(capture.AllBrands, capture.Brand(b)) {
			return bad("allowed_brands: unknown brand %q", b)
		}
	}
	if req.CallID != "" {
		if err := validID("call_id", req.CallID); err != nil {
			return err
		}
	}
	if err := validText("header", req.Header, 255); err != nil {
		return err
	}
	if s := req.Schedule; s != nil {
		if s.Amount < 0 || s.Amount > maxAmount || s.Count < 0 || s.Count > 1000 {
			return bad("schedule: amount or count out of range")
		}
		if err := validText("schedule", s.StartDate+s.EndDate+string(s.Frequency), 64); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) payments() (Payments, error) {
	if s.opts.Payments == nil {
		return nil, errf(http.StatusServiceUnavailable, CodeInternal, "the payment service is not running on this node")
	}
	return s.opts.Payments, nil
}

func (s *Server) handleCreateSession(w http.ResponseWriter, r *http.Request) {
	svc, err := s.payments()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		s.writeError(w, r, errf(http.StatusBadRequest, CodeIdempotencyRequired, "the Idempotency-Key header is required"))
		return
	}
	if len(key) > 255 || strings.IndexFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0 {
		s.writeError(w, r, errf(http.StatusBadRequest, CodeInvalidRequest, "Idempotency-Key must be 1 to 255 printable ASCII characters"))
		return
	}
	if err := checkNoCardData(key); err != nil {
		s.writeError(w, r, err)
		return
	}
	var req CreateSessionRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := req.validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principal(r)
	cr := payment.CreateRequest{
		Tenant: p.TenantID, AgentID: req.AgentID, Type: req.Type, Amount: req.Amount, Currency: req.Currency,
		AccountRef: req.AccountRef, Description: req.Description, Schedule: req.Schedule,
		IdempotencyKey: key, CallID: req.CallID, Header: req.Header,
	}
	for _, f := range req.RequiredFields {
		cr.RequiredFields = append(cr.RequiredFields, capture.FieldName(f))
	}
	for _, b := range req.AllowedBrands {
		cr.AllowedBrands = append(cr.AllowedBrands, capture.Brand(b))
	}
	sess, created, err := svc.Create(r.Context(), cr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !created {
		// The service compares the payment's terms; the API promises the whole body.
		if sess.Description != req.Description || fmt.Sprint(sess.Schedule) != fmt.Sprint(req.Schedule) ||
			fmt.Sprint(sess.AllowedBrands) != fmt.Sprint(cr.AllowedBrands) {
			s.writeError(w, r, payment.ErrIdempotencyMismatch)
			return
		}
		writeJSON(w, http.StatusOK, sess)
		return
	}
	s.audit(r, "session.create", sess.ID, fmt.Sprintf("%s %d %s", sess.Type, sess.Amount, sess.Currency))
	w.Header().Set("Location", "/v1/sessions/"+sess.ID)
	writeJSON(w, http.StatusCreated, sess)
}

func (s *Server) handleGetSession(w http.ResponseWriter, r *http.Request) {
	svc, id, ok := s.sessionTarget(w, r)
	if !ok {
		return
	}
	sess, err := svc.Get(r.Context(), principal(r).TenantID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sess)
}

// sessionFilter reads the list filters from the query string.
func sessionFilter(r *http.Request, tenant string) (payment.Filter, error) {
	q := r.URL.Query()
	f := payment.Filter{Tenant: tenant}
	bad := func(msg string) error { return errf(http.StatusBadRequest, CodeInvalidRequest, msg) }
	for k := range q {
		switch k {
		case "status", "agent_id", "from", "to", "min_amount", "max_amount", "account_ref", "limit", "offset":
		default:
			return f, bad("unknown query parameter " + strconv.Quote(k))
		}
	}
	for _, v := range q["status"] {
		for st := range strings.SplitSeq(v, ",") {
			if !payment.Status(st).Valid() {
				return f, bad("status " + strconv.Quote(st) + " is not a session status")
			}
			f.Status = append(f.Status, payment.Status(st))
		}
	}
	if v := q.Get("agent_id"); v != "" {
		if err := validID("agent_id", v); err != nil {
			return f, err
		}
		f.AgentID = v
	}
	for _, tt := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(tt.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, bad(tt.name + " must be an RFC 3339 time, e.g. 2026-11-21T00:00:00Z")
			}
			*tt.dst = t
		}
	}
	for _, tt := range []struct {
		name string
		dst  **int64
	}{{"min_amount", &f.MinAmount}, {"max_amount", &f.MaxAmount}} {
		if v := q.Get(tt.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || n > maxAmount {
				return f, bad(tt.name + " must be an amount in minor units")
			}
			*tt.dst = &n
		}
	}
	if v := q.Get("account_ref"); v != "" {
		if err := validText("account_ref", v, 128); err != nil {
			return f, err
		}
		if err := checkNoCardData(v); err != nil {
			return f, err
		}
		f.AccountRef = v
	}
	f.Limit = 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, bad("limit must be 1 to 1000")
		}
		f.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return f, bad("offset must be 0 to 1000000")
		}
		f.Offset = n
	}
	return f, nil
}

func (s *Server) handleListSessions(w http.ResponseWriter, r *http.Request) {
	svc, err := s.payments()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := sessionFilter(r, principal(r).TenantID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	l, err := svc.List(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if l == nil {
		l = []*payment.Session{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": l})
}

// CancelRequest is the optional body of the cancel endpoint.
type CancelRequest struct {
	Reason string `json:"reason"`
}

// sessionTarget returns the payment service and the session ID of the request's path, or
// answers with the error and returns false.
func (s *Server) sessionTarget(w http.ResponseWriter, r *http.Request) (Payments, string, bool) {
	svc, err := s.payments()
	if err != nil {
		s.writeError(w, r, err)
		return nil, "", false
	}
	id := r.PathValue("id")
	if err := validID("id", id); err != nil {
		s.writeError(w, r, err)
		return nil, "", false
	}
	return svc, id, true
}

// sessionAction runs one action on a session and answers with the session. body, when not
// nil, receives the request body; check validates it.
func (s *Server) sessionAction(w http.ResponseWriter, r *http.Request, audit string, body any, check func() (string, error),
	do func(ctx context.Context, svc Payments, tenant, id string) (*payment.Session, error)) {
	svc, id, ok := s.sessionTarget(w, r)
	if !ok {
		return
	}
	if body == nil {
		body = &struct{}{}
	}
	if err := s.decodeJSON(w, r, body); err != nil {
		s.writeError(w, r, err)
		return
	}
	detail := ""
	if check != nil {
		var err error
		if detail, err = check(); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	// The action runs to its end even if the client goes away: a payment must never be
	// left half-done because a browser tab closed.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
	defer cancel()
	sess, err := do(ctx, svc, principal(r).TenantID, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if audit != "" {
		s.audit(r, audit, id, detail)
	}
	writeJSON(w, http.StatusOK, sess)
}

func fieldCheck(req *FieldRequest) func() (string, error) {
	return func() (string, error) { return req.Field, validID("field", req.Field) }
}

func (s *Server) handleCapture(w http.ResponseWriter, r *http.Request) {
	var req FieldRequest
	s.sessionAction(w, r, "session.capture", &req, fieldCheck(&req), func(ctx context.Context, svc Payments, t, id string) (*payment.Session, error) {
		return svc.StartCapture(ctx, t, id, capture.FieldName(req.Field))
	})
}

func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	var req FieldRequest
	s.sessionAction(w, r, "session.reset_field", &req, fieldCheck(&req), func(ctx context.Context, svc Payments, t, id string) (*payment.Session, error) {
		return svc.ResetField(ctx, t, id, capture.FieldName(req.Field))
	})
}

func (s *Server) handleRestart(w http.ResponseWriter, r *http.Request) {
	s.sessionAction(w, r, "session.start_again", nil, nil, func(ctx context.Context, svc Payments, t, id string) (*payment.Session, error) {
		return svc.StartAgain(ctx, t, id)
	})
}

func (s *Server) handlePay(w http.ResponseWriter, r *http.Request) {
	s.sessionAction(w, r, "session.pay", nil, nil, func(ctx context.Context, svc Payments, t, id string) (*payment.Session, error) {
		return svc.Pay(ctx, t, id)
	})
}

func (s *Server) handleResolve(w http.ResponseWriter, r *http.Request) {
	s.sessionAction(w, r, "session.resolve", nil, nil, func(ctx context.Context, svc Payments, t, id string) (*payment.Session, error) {
		return svc.Resolve(ctx, t, id)
	})
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) {
	var req CancelRequest
	check := func() (string, error) { return req.Reason, validText("reason", req.Reason, 200) }
	s.sessionAction(w, r, "session.cancel", &req, check, func(ctx context.Context, svc Payments, t, id string) (*payment.Session, error) {
		return svc.Cancel(ctx, t, id, req.Reason)
	})
}
