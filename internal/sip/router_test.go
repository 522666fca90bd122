package sip

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/hushpay/hushpay/internal/config"
)

func TestRouter(t *testing.T) {
	r, err := NewRouter("sip:10.0.0.1:5060", []config.SIPRoute{
		{UserPrefix: "44", Source: "192.0.2.0/24", Upstream: "sip:10.0.0.2"},
		{UserPrefix: "44", Upstream: "sip:10.0.0.3;transport=tcp"},
		{Source: "198.51.100.9", Upstream: "sip:10.0.0.4:5080"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user, src, want string
	}{
		{"441234", "192.0.2.7", "10.0.0.2"},
		{"441234", "203.0.113.1", "10.0.0.3"},
		{"331234", "198.51.100.9", "10.0.0.4"},
		{"331234", "198.51.100.10", "10.0.0.1"},
		{"", "::ffff:192.0.2.7", "10.0.0.1"},
	}
	for _, tt := range tests {
		u, ok := r.Pick(tt.user, netip.MustParseAddr(tt.src))
		if !ok || u.Host != tt.want {
			t.Errorf("Pick(%q, %s) = %v %v, want %s", tt.user, tt.src, u.Host, ok, tt.want)
		}
	}
	if u, _ := r.Pick("44", netip.MustParseAddr("1.1.1.1")); u.UriParams == nil || !u.UriParams.Has("transport") {
		t.Error("transport parameter lost")
	}
	none, err := NewRouter("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := none.Pick("1", netip.MustParseAddr("1.1.1.1")); ok {
		t.Error("route without upstream")
	}
	if _, err := NewRouter("not a uri", nil); !errors.Is(err, ErrBadConfig) {
		t.Errorf("bad upstream: %v", err)
	}
}
