package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/demo"
	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/store"
	"github.com/hushpay/hushpay/internal/web"
)

// runDemo runs Hushpay with the embedded defaults on loopback (a throw-away SQLite store,
// the test gateway, SIP and the media relay, the API and the dashboard) together with a
// simulated carrier call (internal/demo): a customer phone that calls in and keys a test
// card when the line is secured, and an agent phone that answers and keys the call
// reference of each new payment.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	httpAddr := fs.String("http", "127.0.0.1:8080", "`address` of the dashboard and API")
	password := fs.String("password", "", "password of the demo users admin, supervisor and agent (random when empty, printed once)")
	card := fs.String("card", "approved", "test card the customer keys: "+strings.Join(demo.CardNames(), ", "))
	dataDir := fs.String("data", "", "data `directory` to keep (a temporary one, removed at exit, when empty)")
	inband := fs.Bool("inband", false, "the phones key tones in the audio instead of RFC 4733 events")
	verbose := fs.Bool("v", false, "log at info level (warnings only by default)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hushpay demo: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	level := "warn"
	if *verbose {
		level = "info"
	}
	log, err := logging.New(stderr, "text", level)
	if err != nil {
		return err
	}
	slog.SetDefault(log)

	cfg := config.Default()
	dir := *dataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "hushpay-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	sipPort, err := freeUDPPort()
	if err != nil {
		return err
	}
	agentPort, err := freeUDPPort()
	if err != nil {
		return err
	}
	cfg.Data.Dir = dir
	cfg.HTTP.Listen = *httpAddr
	cfg.SIP.Listen = fmt.Sprintf("127.0.0.1:%d", sipPort)
	cfg.SIP.Host = "127.0.0.1"
	cfg.SIP.Upstream = fmt.Sprintf("sip:127.0.0.1:%d", agentPort)
	cfg.Media.Bind = "127.0.0.1"
	cfg.Web.BootstrapPassword = *password
	if *password != "" && len(*password) < 12 {
		return fmt.Errorf("-password: at least 12 characters")
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	return demoServe(ctx, cfg, *card, *inband, log, stdout)
}

// demoServe builds the same node as serve (newNode: store, payment service, SIP and the
// media relay, API, dashboard), with the demo phones following its payment events, plus the
// demo's own endpoints under /demo/.
func demoServe(ctx context.Context, cfg config.Config, card string, inband bool, log *slog.Logger, stdout io.Writer) error {
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	cfg.Web.Billing.URL = "http://" + addr + "/demo/invoices?account={account}"

	dm, err := demo.New(demo.Options{Hushpay: cfg.SIP.Listen, AgentListen: strings.TrimPrefix(cfg.SIP.Upstream, "sip:"),
		Host: netip.MustParseAddr("127.0.0.1"), Card: card, InbandDTMF: inband, Logger: log})
	if err != nil {
		return err
	}
	// SIP runs until Close, not until the signal: the phones hang up first (run ends them
	// with its context), so that stopping SIP finds no call left to end.
	n, err := newNode(context.WithoutCancel(ctx), cfg, log, nodeHooks{onEvent: dm.PaymentEvent})
	if err != nil {
		return err
	}
	defer n.Close()
	pw := n.firstPassword
	if pw == "" {
		pw = cfg.Web.BootstrapPassword
	}
	for _, u := range []struct{ name, role string }{{"supervisor", web.RoleSupervisor}, {"agent", web.RoleAgent}} {
		h, err := web.HashPassword(pw, web.DefaultArgon2)
		if err != nil {
			return err
		}
		if err := n.st.CreateUser(ctx, &store.User{TenantID: defaultTenant, Username: u.name, Role: u.role, PasswordHash: h}); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	n.mux.Handle("POST /demo/card", demoCardHandler(dm))
	n.mux.HandleFunc("GET /demo/invoices", demoInvoices)
	n.mux.HandleFunc("GET /demo/heard", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(dm.Heard())
	})

	fmt.Fprintf(stdout, `Hushpay demo is running.

  Open http://%s/ and log in as agent, supervisor or admin with the password:

    %s

  (shown only now). A customer is calling in through Hushpay's SIP server (%s) and the
  agent's phone has answered. Create a payment: the agent phone keys its call reference,
  the line turns secure, and the customer keys the test card %q (%s).
  Other cards: curl -X POST -d card=declined http://%s/demo/card  (%s)
  Account lookup: try account ACME-1001 on the new payment page.
  API: http://%s/v1 (OpenAPI: /v1/openapi.json). Ctrl-C stops the demo.
`, addr, pw, cfg.SIP.Listen, card, demo.Cards[card].Outcome, addr, strings.Join(demo.CardNames(), ", "), addr)
	return n.run(ctx, ln, dm.Run)
}

// demoCardHandler chooses the test card the customer phone keys (by name only: it takes
// no card data).
func demoCardHandler(dm *demo.Demo) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err != nil || !net.ParseIP(host).IsLoopback() {
			http.Error(w, "loopback only", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1024)
		if err := dm.SetCard(r.PostFormValue("card")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"card": dm.CardName()})
	})
}

// demoInvoices is the demo's billing system (docs/billing-lookup.md): unpaid invoices for
// account ACME-1001.
func demoInvoices(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Query().Get("account") != "ACME-1001" {
		_, _ = io.WriteString(w, `{"invoices":[]}`)
		return
	}
	_, _ = io.WriteString(w, `{"invoices":[{"id":"INV-2041","description":"Electricity, October","amount":8450,"currency":"GBP","due_date":"2026-11-30"},`+
		`{"id":"INV-2077","description":"Gas, October","amount":3120,"currency":"GBP","due_date":"2026-12-05"}]}`)
}

// freeUDPPort finds a UDP port free on loopback now.
func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}
