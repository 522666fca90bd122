package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/hushpay/hushpay/internal/store"
)

// Invoice is one unpaid invoice of a customer as the billing lookup returns it
// (docs/billing-lookup.md).
type Invoice struct {
	// ID is the invoice's reference; it becomes the session's account reference.
	ID string `json:"id"`
	// Description for the agent.
	Description string `json:"description"`
	// Amount due in minor units of Currency.
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	// DueDate, YYYY-MM-DD, optional.
	DueDate string `json:"due_date"`
}

// Display is the amount as the agent reads it ("12.50 GBP").
func (i Invoice) Display() string { return formatAmount(i.Amount, i.Currency) }

// Major is the amount in major units for the form ("12.50").
func (i Invoice) Major() string {
	s := formatAmount(i.Amount, i.Currency)
	return strings.TrimSuffix(s, " "+i.Currency)
}

// billingAnswer is the JSON the lookup answers: {"invoices": [...]}.
type billingAnswer struct {
	Invoices []Invoice `json:"invoices"`
}

// lookupInvoices asks the configured billing system for an account's unpaid invoices.
func (s *Server) lookupInvoices(ctx context.Context, account string) ([]Invoice, error) {
	u := strings.ReplaceAll(s.opts.Config.Billing.URL, "{account}", url.QueryEscape(account))
	ctx, cancel := context.WithTimeout(ctx, s.opts.Config.Billing.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBilling, err)
	}
	req.Header.Set("Accept", "application/json")
	if t := s.opts.Config.Billing.Token; t != "" {
		req.Header.Set("Authorization", "Bearer "+t)
	}
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrBilling, "no answer")
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: status %d", ErrBilling, resp.StatusCode)
	}
	var a billingAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&a); err != nil {
		return nil, fmt.Errorf("%w: unreadable answer", ErrBilling)
	}
	out := a.Invoices[:0]
	for _, inv := range a.Invoices {
		// Never show (or pass on) anything shaped like a card number, nor nonsense amounts.
		if inv.ID == "" || len(inv.ID) > 100 || store.LooksLikeCard(inv.ID+" "+inv.Description) || inv.Amount <= 0 ||
			len(inv.Currency) != 3 || len(inv.Description) > 200 {
			continue
		}
		inv.Currency = strings.ToUpper(inv.Currency)
		out = append(out, inv)
		if len(out) == 50 {
			break
		}
	}
	return out, nil
}
