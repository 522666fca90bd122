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
	"path/filepath"
	"strings"
	"time"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/capture"
	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/demo"
	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/payment"
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

// demoServe wires the same parts as serve (store, payment service, SIP, media, API,
// dashboard) plus the demo phones.
func demoServe(ctx context.Context, cfg config.Config, card string, inband bool, log *slog.Logger, stdout io.Writer) error {
	st, err := store.Open(ctx, store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(cfg.Data.Dir, "hushpay.db")})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := bootstrap(ctx, st, cfg); err != nil {
		return err
	}
	pw, err := web.Bootstrap(ctx, st, defaultTenant, cfg.Web.BootstrapPassword, web.DefaultArgon2)
	if err != nil {
		return err
	}
	if pw == "" {
		pw = cfg.Web.BootstrapPassword
	}
	for _, u := range []struct{ name, role string }{{"supervisor", web.RoleSupervisor}, {"agent", web.RoleAgent}} {
		h, err := web.HashPassword(pw, web.DefaultArgon2)
		if err != nil {
			return err
		}
		if err := st.CreateUser(ctx, &store.User{TenantID: defaultTenant, Username: u.name, Role: u.role, PasswordHash: h}); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}

	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	addr := ln.Addr().String()
	cfg.Web.Billing.URL = "http://" + addr + "/demo/invoices?account={account}"

	dm, err := demo.New(demo.Options{Hushpay: cfg.SIP.Listen, AgentListen: strings.TrimPrefix(cfg.SIP.Upstream, "sip:"),
		Host: netip.MustParseAddr("127.0.0.1"), Card: card, InbandDTMF: inband, Logger: log})
	if err != nil {
		ln.Close()
		return err
	}
	conn, err := newConnector(cfg.Payment)
	if err != nil {
		ln.Close()
		return err
	}
	rules := capture.DefaultRules()
	rules.Terminator = cfg.Capture.Terminator[0]
	rules.Timeout = cfg.Capture.Timeout
	rules.MaxAttempts = cfg.Capture.MaxAttempts
	rules.MaskStyle = capture.MaskStyle(cfg.Capture.MaskStyle)
	reg := newCallRegistry(cfg, log)
	svc, err := payment.NewService(st, conn, payment.Options{Rules: rules, CallRefDigits: cfg.Payment.CallRefDigits, Logger: log,
		OnSecure: reg.OnSecure,
		OnEvent: func(e *payment.Event) {
			reg.PaymentEvent(e)
			dm.PaymentEvent(e)
		}})
	if err != nil {
		ln.Close()
		return err
	}
	// Hushpay's parts stop only after the phones hung up (see below), not at the signal.
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	stopSIP, err := startSIP(runCtx, cfg, svc, reg, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopSIP()

	calls := callController{reg}
	srv := api.New(api.Options{Store: st, Payments: svc, Calls: calls, Logger: log, MaxBodyBytes: cfg.HTTP.MaxBodyBytes, SSEKeepalive: cfg.HTTP.SSEKeepalive})
	dash := web.New(web.Options{Store: st, Payments: svc, API: srv.Handler(), Calls: calls, Config: cfg.Web, Logger: log})
	mux := http.NewServeMux()
	mux.Handle("/v1/", srv.Handler())
	mux.Handle("/metrics", srv.Handler())
	mux.Handle("/healthz", srv.Handler())
	mux.Handle("POST /demo/card", demoCardHandler(dm))
	mux.HandleFunc("GET /demo/invoices", demoInvoices)
	mux.HandleFunc("GET /demo/heard", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(dm.Heard())
	})
	mux.Handle("/", dash)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}

	// The phones hang up first (their own context), so that stopping SIP finds no call
	// left to end.
	phoneCtx, stopPhones := context.WithCancel(ctx)
	defer stopPhones()
	phonesDone := make(chan error, 1)
	go func() { phonesDone <- dm.Run(phoneCtx) }()
	done := make(chan error, 2)
	go func() { done <- srv.Run(runCtx) }()
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			done <- err
			return
		}
		done <- nil
	}()
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

	var runErr error
	running := 2
	select {
	case <-ctx.Done():
	case runErr = <-done:
		running--
	case runErr = <-phonesDone:
		phonesDone = nil
	}
	stopPhones()
	if phonesDone != nil {
		<-phonesDone
	}
	stop()
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutCtx)
	for ; running > 0; running-- {
		<-done
	}
	return runErr
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
