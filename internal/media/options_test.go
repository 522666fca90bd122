package media

import (
	"context"
	"testing"

	"github.com/hushpay/hushpay/internal/config"
)

func TestOptionsFromConfigDefaults(t *testing.T) {
	c := config.Default().Media
	c.Bind = "127.0.0.1"
	c.PortMin, c.PortMax = 44000, 44099
	pool, err := NewPortPoolFromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(context.Background(), OptionsFromConfig(c, pool))
	if err != nil {
		t.Fatalf("default configuration does not make a session: %v", err)
	}
	defer s.Close()
	if p := s.Leg(Customer).LocalRTP().Port(); p < 44000 || p > 44099 {
		t.Fatalf("port %d outside the range", p)
	}
	c.Bind = "nowhere"
	if _, err := NewPortPoolFromConfig(c); err == nil {
		t.Fatal("bad bind accepted")
	}
}
