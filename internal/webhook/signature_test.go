package webhook

import (
	"errors"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_790_000_000, 0)
	body := []byte(`{"id":"1","type":"secure.on"}`)
	good := Sign("whsec_0123456789abcdef", now, body)
	tests := []struct {
		name   string
		header string
		body   []byte
		secret string
		at     time.Time
		ok     bool
	}{
		{"good", good, body, "whsec_0123456789abcdef", now, true},
		{"within tolerance", good, body, "whsec_0123456789abcdef", now.Add(4 * time.Minute), true},
		{"too old", good, body, "whsec_0123456789abcdef", now.Add(6 * time.Minute), false},
		{"from the future", good, body, "whsec_0123456789abcdef", now.Add(-6 * time.Minute), false},
		{"wrong secret", good, body, "other", now, false},
		{"tampered body", good, []byte(`{"id":"2","type":"secure.on"}`), "whsec_0123456789abcdef", now, false},
		{"second signature matches", "t=1790000000,v1=00," + good[len("t=1790000000,"):], body, "whsec_0123456789abcdef", now, true},
		{"no timestamp", good[len("t=1790000000,"):], body, "whsec_0123456789abcdef", now, false},
		{"empty", "", body, "whsec_0123456789abcdef", now, false},
		{"garbage", "t=x,v1=zz", body, "whsec_0123456789abcdef", now, false},
	}
	for _, tt := range tests {
		err := Verify(tt.header, tt.body, tt.secret, tt.at, 5*time.Minute)
		if (err == nil) != tt.ok {
			t.Errorf("%s: Verify = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: error %v is not ErrBadSignature", tt.name, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1_790_000_000, 0)
	f.Add(Sign("s", now, []byte("{}")), []byte("{}"))
	f.Add("t=1,v1=", []byte(""))
	f.Add(",,,=,=", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		_ = Verify(header, body, "s", now, time.Minute) // any input: an answer, never a panic
	})
}
