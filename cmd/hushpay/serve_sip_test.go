package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/config"
)

// TestStartSIP starts the SIP side as serve wires it and pings it with OPTIONS over UDP, as
// a load balancer does.
func TestStartSIP(t *testing.T) {
	cfg := config.Default()
	cfg.SIP.Listen = "127.0.0.1:0"
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	cfg.SIP.Listen = fmt.Sprintf("127.0.0.1:%d", port)
	cfg.SIP.Host = "127.0.0.1"
	cfg.Media.Bind = "127.0.0.1"
	cfg.Media.PortMin, cfg.Media.PortMax = 41000, 41100
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := newCallRegistry(cfg, log)
	stop, err := startSIP(context.Background(), cfg, nil, reg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	if got := sipOptions(t, cfg.SIP.Listen); !strings.Contains(got, "Allow:") {
		t.Fatalf("OPTIONS answer without Allow:\n%s", got)
	}

	cc := callController{reg}
	if calls, err := cc.Calls(context.Background(), "t1"); err != nil || len(calls) != 0 {
		t.Fatalf("calls %v %v", calls, err)
	}
	if _, err := cc.SetSecure(context.Background(), "t1", "call-x", true); !errors.Is(err, api.ErrNoCall) {
		t.Fatalf("SetSecure unknown call: %v", err)
	}
}
