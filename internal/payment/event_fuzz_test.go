package payment

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hushpay/hushpay/internal/logging"
)

// FuzzDataUnmarshal feeds arbitrary JSON to event data as a store would read it back: it
// must never panic, and what it accepts re-encodes without a run of 12 or more digits.
func FuzzDataUnmarshal(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":"4242424242424242"}`, `{"n":4242424242424242}`,
		`{"x":{"y":["4242 4242 4242 4242",1.5e300]}}`, `{"k":true,"v":null}`, `[`, `{"a":"\u0034242424242424242"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var d Data
		if err := json.Unmarshal(raw, &d); err != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		// Every decoded string and number is filtered (JSON escapes cannot smuggle digits
		// past the filter, since it runs on decoded values).
		var back any
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatal(err)
		}
		walk(t, back)
	})
}

func walk(t *testing.T, v any) {
	switch x := v.(type) {
	case string:
		if logging.Redact(x) != x {
			t.Fatalf("data keeps a long digit run: %q", x)
		}
	case float64:
		if s := json.Number(fmt.Sprint(int64(x))).String(); x == float64(int64(x)) && logging.Redact(s) != s {
			t.Fatalf("data keeps a long number: %v", x)
		}
	case map[string]any:
		for k, e := range x {
			walk(t, k)
			walk(t, e)
		}
	case []any:
		for _, e := range x {
			walk(t, e)
		}
	}
}
