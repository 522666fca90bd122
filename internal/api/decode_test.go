package api

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hushpay/hushpay/internal/store"
)

// FuzzDecodeJSON feeds arbitrary bodies to the strict decoder of the session endpoint: it
// never panics, and whatever it accepts holds no card-number-shaped value anywhere.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"amount": 100, "currency": "GBP"}`,
		`{"amount": 100, "currency": "GBP", "card_number": "4242424242424242"}`,
		`{"description": "4242 4242 4242 4242"}`,
		`{"schedule": {"amount": 1, "start_date": "2026-12-01", "frequency": "monthly"}}`,
		`{"amount": 4242424242424242}`,
		`[]`, `{`, ``, `{"a":1}{"b":2}`, `{"required_fields": ["card_number", "expiry"]}`,
	} {
		f.Add(s)
	}
	s := New(Options{})
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/v1/sessions", strings.NewReader(body))
		w := httptest.NewRecorder()
		var req CreateSessionRequest
		if err := s.decodeJSON(w, r, &req); err != nil {
			if status, code, _ := classify(err); status < 400 || status > 499 || code == CodeInternal {
				t.Fatalf("decode error answered %d %s", status, code)
			}
			return
		}
		_ = req.validate()
		out, _ := json.Marshal(req)
		var v any
		dec := json.NewDecoder(strings.NewReader(string(out)))
		dec.UseNumber()
		_ = dec.Decode(&v)
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for _, e := range x {
					walk(e)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			case string:
				if store.LooksLikeCard(x) {
					t.Fatalf("accepted a card number in %q", body)
				}
			case json.Number:
				if store.LooksLikeCard(x.String()) {
					t.Fatalf("accepted a card number in %q", body)
				}
			}
		}
		walk(v)
	})
}

func TestLastEventID(t *testing.T) {
	tests := []struct {
		header, query string
		want          int64
		ok, bad       bool
	}{
		{"", "", 0, false, false},
		{"42", "", 42, true, false},
		{" 7 ", "", 7, true, false},
		{"", "9", 9, true, false},
		{"x", "", 0, false, true},
		{"-1", "", 0, false, true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/v1/events?last_event_id="+tt.query, nil)
		if tt.query == "" {
			r = httptest.NewRequest("GET", "/v1/events", nil)
		}
		if tt.header != "" {
			r.Header.Set("Last-Event-ID", tt.header)
		}
		got, ok, err := lastEventID(r)
		if (err != nil) != tt.bad || got != tt.want || ok != tt.ok {
			t.Errorf("header %q query %q: %d %v %v", tt.header, tt.query, got, ok, err)
		}
	}
}
