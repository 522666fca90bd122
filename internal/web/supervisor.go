package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/store"
)

var activeStatuses = []payment.Status{payment.StatusPending, payment.StatusCapturing, payment.StatusReady,
	payment.StatusProcessing, payment.StatusInDoubt, payment.StatusDeclined, payment.StatusFailed}

var allStatuses = append(append([]payment.Status{}, activeStatuses...), payment.StatusApproved, payment.StatusCancelled)

type supervisorData struct {
	Sessions []*payment.Session
	Calls    []api.Call
	CallsOn  bool
}

// handleSupervisor lists the active payment sessions and calls. With ?fragment=1 it
// answers only the tables (the page's script reloads them on every event).
func (s *Server) handleSupervisor(w http.ResponseWriter, r *http.Request, u store.User) {
	sessions, err := s.pay.List(r.Context(), payment.Filter{Tenant: u.TenantID, Status: activeStatuses, Limit: 200})
	if err != nil {
		s.log.Error("web: supervisor", "err", err)
	}
	d := supervisorData{Sessions: sessions, CallsOn: s.opts.Calls != nil}
	if s.opts.Calls != nil {
		if cs, err := s.opts.Calls.Calls(r.Context(), u.TenantID); err == nil {
			d.Calls = cs
		}
	}
	name := "supervisor"
	if r.URL.Query().Get("fragment") == "1" {
		name = "supervisor_live"
	}
	s.render(w, r, http.StatusOK, name, page{Title: "Supervisor", User: &u, Data: d})
}

// handleSupervisorEvents streams every session event of the tenant (the API's /v1/events).
func (s *Server) handleSupervisorEvents(w http.ResponseWriter, r *http.Request, u store.User) {
	s.proxyEvents(w, r, u, "/v1/events")
}

type historyData struct {
	Agent, From, To, Status, Min, Max string
	Statuses                          []payment.Status
	Sessions                          []*payment.Session
}

// historyFilter reads the history and export filters (dates are UTC days, From and To
// inclusive).
func historyFilter(r *http.Request, tenant string) (payment.Filter, historyData, string) {
	q := r.URL.Query()
	d := historyData{Agent: q.Get("agent"), From: q.Get("from"), To: q.Get("to"), Status: q.Get("status"), Min: q.Get("min"), Max: q.Get("max"), Statuses: allStatuses}
	f := payment.Filter{Tenant: tenant, AgentID: d.Agent}
	if d.Status != "" {
		if !payment.Status(d.Status).Valid() {
			return f, d, "Unknown status."
		}
		f.Status = []payment.Status{payment.Status(d.Status)}
	}
	if d.From != "" {
		t, err := time.Parse("2006-01-02", d.From)
		if err != nil {
			return f, d, "From: use a date such as 2026-11-21."
		}
		f.From = t
	}
	if d.To != "" {
		t, err := time.Parse("2006-01-02", d.To)
		if err != nil {
			return f, d, "To: use a date such as 2026-11-21."
		}
		f.To = t.AddDate(0, 0, 1)
	}
	for _, m := range []struct {
		v   string
		dst **int64
	}{{d.Min, &f.MinAmount}, {d.Max, &f.MaxAmount}} {
		if m.v == "" {
			continue
		}
		n, err := parseAmount(m.v, "GBP")
		if err != nil {
			return f, d, "Amounts: enter a number such as 12.50."
		}
		*m.dst = &n
	}
	return f, d, ""
}

func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request, u store.User) {
	f, d, msg := historyFilter(r, u.TenantID)
	if msg == "" {
		f.Limit = 200
		var err error
		if d.Sessions, err = s.pay.List(r.Context(), f); err != nil {
			s.log.Error("web: history", "err", err)
			msg = "Could not read the history."
		}
	}
	s.render(w, r, http.StatusOK, "history", page{Title: "History", User: &u, Error: msg, Data: d})
}

// handleExport writes the end-of-day reconciliation: every session created on the day
// (?date=YYYY-MM-DD, UTC; today by default) or matching the history filters, as CSV.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request, u store.User) {
	f, _, msg := historyFilter(r, u.TenantID)
	day := r.URL.Query().Get("date")
	if day == "" && f.From.IsZero() && f.To.IsZero() {
		day = s.now().UTC().Format("2006-01-02")
	}
	if day != "" {
		t, err := time.Parse("2006-01-02", day)
		if err != nil {
			msg = "Date: use a date such as 2026-11-21."
		}
		f.From, f.To = t, t.AddDate(0, 0, 1)
	}
	if msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	name := "hushpay-reconciliation-" + day + ".csv"
	if day == "" {
		name = "hushpay-sessions.csv"
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"session_id", "created_at", "agent", "type", "status", "amount", "currency", "account_ref",
		"brand", "card", "auth_code", "decline_code", "gateway", "charge_id", "attempts", "answered_at"})
	const pageSize = 500
	for off := 0; ; off += pageSize {
		f.Limit, f.Offset = pageSize, off
		list, err := s.pay.List(r.Context(), f)
		if err != nil {
			s.log.Error("web: export", "err", err)
			_ = cw.Write([]string{"ERROR: export incomplete"})
			break
		}
		for _, x := range list {
			row := []string{x.ID, x.CreatedAt.UTC().Format(time.RFC3339), x.AgentID, string(x.Type), string(x.Status),
				formatMajor(x.Amount, x.Currency), x.Currency, x.AccountRef, string(x.Capture.Brand), "", "", "", "", "", strconv.Itoa(x.Attempts), ""}
			if res := x.Result; res != nil {
				row[8] = string(res.Brand)
				if res.Last4 != "" {
					row[9] = res.MaskedPAN(0)
				}
				row[10], row[11], row[12], row[13] = res.AuthCode, string(res.DeclineCode), res.Gateway, res.ChargeID
				row[15] = res.At.UTC().Format(time.RFC3339)
			}
			for i := range row {
				row[i] = csvSafe(row[i])
			}
			_ = cw.Write(row)
		}
		if len(list) < pageSize {
			break
		}
	}
	cw.Flush()
	s.audit(r.Context(), u, "web.export", day, "")
}

// formatMajor is the amount in major units without the currency ("12.50").
func formatMajor(minor int64, cur string) string {
	return strings.TrimSuffix(formatAmount(minor, cur), " "+cur)
}

// csvSafe stops a spreadsheet from running a cell as a formula (CSV injection).
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "'" + v
		}
	}
	return v
}
