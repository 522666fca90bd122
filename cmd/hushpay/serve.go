package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/payment/gateways"
	"github.com/hushpay/hushpay/internal/sip"
	"github.com/hushpay/hushpay/internal/store"
	"github.com/hushpay/hushpay/internal/web"
	"github.com/hushpay/hushpay/internal/webhook"
)

// defaultTenant is the tenant created on first start; single-merchant installations never
// need another.
const defaultTenant = "default"

// runServe runs Hushpay until ctx ends (SIGINT or SIGTERM): the store, the payment service
// with its gateway connector, webhook delivery and the HTTP API.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	cfgPath := fs.String("config", "", "configuration `file` (YAML); without it the embedded defaults and HUSHPAY_* variables apply")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hushpay serve: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	cfg, err := config.Load(*cfgPath, os.Environ())
	if err != nil {
		return err
	}
	log, err := logging.New(stderr, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		return err
	}
	slog.SetDefault(log)
	return serve(ctx, cfg, log, stdout)
}

// node is one Hushpay node with its parts wired: the store, the payment service and its
// gateway, the call registry with SIP and the media relay, webhook delivery, the API and the
// dashboard. serve and demo both build it with newNode, so the demo runs the same code paths
// as a real deployment.
type node struct {
	cfg           config.Config
	log           *slog.Logger
	st            *store.Store
	svc           *payment.Service
	conn          payment.Connector
	reg           *sip.Registry
	api           *api.Server
	wh            *webhook.Dispatcher
	mux           *http.ServeMux // /v1, /metrics, /healthz and the dashboard at /
	firstKey      string         // the bootstrap API key, "" unless created now
	firstPassword string         // the first dashboard admin's password, "" unless created now
	stopSIP       func()
}

// nodeHooks lets a caller (the demo) see payment events too.
type nodeHooks struct {
	onEvent func(*payment.Event)
}

// newNode opens the store and builds every part, in dependency order. SIP starts listening
// here; HTTP does not (see run). Close releases what newNode opened.
func newNode(ctx context.Context, cfg config.Config, log *slog.Logger, hooks nodeHooks) (n *node, err error) {
	n = &node{cfg: cfg, log: log, stopSIP: func() {}}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if err := os.MkdirAll(cfg.Data.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	dsn := cfg.Store.DSN
	if cfg.Store.Driver == store.DriverSQLite && dsn == "" {
		dsn = filepath.Join(cfg.Data.Dir, "hushpay.db")
	}
	n.st, err = store.Open(ctx, store.Options{Driver: cfg.Store.Driver, DSN: dsn, MaxConns: cfg.Store.MaxConns,
		BusyTimeout: cfg.Store.BusyTimeout, PollInterval: cfg.Store.PollInterval})
	if err != nil {
		return nil, err
	}
	log.Info("store open", "driver", cfg.Store.Driver)

	if n.firstKey, err = bootstrap(ctx, n.st, cfg); err != nil {
		return nil, err
	}
	// Settings made in the admin console that apply at start (mask style, masking signal,
	// activation code, gateway connector) override the file; bad ones are reported and the
	// file's values kept. They must apply before the parts below are built from cfg.
	set, err := web.LoadSettings(ctx, n.st, defaultTenant)
	if err != nil {
		return nil, err
	}
	if err := web.ApplySettings(&cfg, set); err != nil {
		log.Warn("admin settings not applied", "err", err)
	}
	n.cfg = cfg
	// The first dashboard admin ("admin") is created when no user exists; its password is
	// printed once, unless web.bootstrap_password chose it.
	if n.firstPassword, err = web.Bootstrap(ctx, n.st, defaultTenant, cfg.Web.BootstrapPassword, web.DefaultArgon2); err != nil {
		return nil, err
	}

	if n.conn, err = newConnector(cfg.Payment); err != nil {
		return nil, err
	}
	// The call registry exists before the payment service, which turns secure mode on and
	// off through it (the relay masks the customer's audio) and tells it of pairings.
	n.reg = newCallRegistry(cfg, log)
	opts := gateways.Options(cfg)
	opts.Logger = log
	opts.OnSecure = n.reg.OnSecure
	opts.OnEvent = func(e *payment.Event) {
		n.reg.PaymentEvent(e)
		if hooks.onEvent != nil {
			hooks.onEvent(e)
		}
	}
	if n.svc, err = payment.NewService(n.st, n.conn, opts); err != nil {
		return nil, err
	}
	if n.stopSIP, err = startSIP(ctx, cfg, n.svc, n.reg, log); err != nil {
		n.stopSIP = func() {}
		return nil, err
	}

	calls := callController{n.reg}
	n.api = api.New(api.Options{Store: n.st, Payments: n.svc, Calls: calls, Logger: log,
		MaxBodyBytes: cfg.HTTP.MaxBodyBytes, SSEKeepalive: cfg.HTTP.SSEKeepalive})
	n.wh = webhook.NewDispatcher(webhook.Options{Store: n.st, MaxAttempts: cfg.HTTP.Webhook.MaxAttempts,
		Backoff: cfg.HTTP.Webhook.Backoff, Timeout: cfg.HTTP.Webhook.Timeout, Workers: cfg.HTTP.Webhook.Workers, Logger: log})
	if err := n.api.Register(n.wh.Collectors()...); err != nil {
		return nil, err
	}
	dash := web.New(web.Options{Store: n.st, Payments: n.svc, API: n.api.Handler(), Calls: calls, Config: cfg.Web, Logger: log})
	n.mux = http.NewServeMux()
	n.mux.Handle("/v1/", n.api.Handler())
	n.mux.Handle("/metrics", n.api.Handler())
	n.mux.Handle("/healthz", n.api.Handler())
	n.mux.Handle("/", dash)
	return n, nil
}

// Close ends every call and closes the store, in that order.
func (n *node) Close() {
	n.stopSIP()
	if n.st != nil {
		n.st.Close()
	}
}

// run serves HTTP on ln and runs the background parts (event fan-out, webhook delivery,
// settling payments left in doubt) until ctx ends or one of them fails. Each extra function
// runs beside them and must return when its context ends.
func (n *node) run(ctx context.Context, ln net.Listener, extra ...func(context.Context) error) error {
	log := n.log
	hs := &http.Server{Handler: n.mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		// Attempts a crash left in doubt are settled by asking the gateway, never by
		// charging again; lookups may take a gateway timeout, so start-up does not wait.
		if c, err := n.svc.ResolvePending(runCtx); err != nil {
			log.Warn("payment: resolving attempts left in doubt by the last run", "err", err)
		} else if c > 0 {
			log.Info("payment: resolved attempts left in doubt by the last run", "count", c)
		}
	}()
	parts := append([]func(context.Context) error{
		n.api.Run,
		func(ctx context.Context) error { n.wh.Run(ctx); return nil },
		func(context.Context) error {
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}, extra...)
	done := make(chan error, len(parts))
	for _, p := range parts {
		go func() { done <- p(runCtx) }()
	}
	var runErr error
	running := len(parts)
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-done:
		running--
		if runErr != nil {
			log.Error("stopping after a failure", "err", runErr)
		}
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	stop() // ends event streams so that Shutdown does not wait for them
	if err := hs.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	for ; running > 0; running-- { // the store closes only after every user stopped
		<-done
	}
	return runErr
}

// serve runs one node until ctx ends.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	n, err := newNode(ctx, cfg, log, nodeHooks{})
	if err != nil {
		return err
	}
	defer n.Close()
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	printWelcome(stdout, n.cfg, ln.Addr().String(), n.firstKey, n.firstPassword)
	log.Info("hushpay serving", "http", ln.Addr().String(), "sip", cfg.SIP.Listen, "gateway", n.conn.Name())
	return n.run(ctx, ln)
}

// bootstrap creates the default tenant and its first admin key on first start (when no key
// exists), and applies the configured webhook of the default tenant. It returns the key to
// show, or "" when it was configured or not created now.
func bootstrap(ctx context.Context, st *store.Store, cfg config.Config) (string, error) {
	n, err := st.CountAPIKeys(ctx)
	if err != nil {
		return "", err
	}
	if _, err := st.Tenant(ctx, defaultTenant); errors.Is(err, store.ErrNotFound) {
		if err := st.CreateTenant(ctx, &store.Tenant{ID: defaultTenant, Name: "Default"}); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	if w := cfg.HTTP.Webhook; w.URL != "" {
		if err := st.SetWebhook(ctx, defaultTenant, w.URL, w.Secret); err != nil {
			return "", err
		}
	}
	if n > 0 {
		return "", nil
	}
	k, err := api.CreateKey(ctx, st, defaultTenant, "bootstrap admin", cfg.HTTP.BootstrapAdminKey, []string{api.ScopeAdmin, api.ScopeSystem})
	if err != nil {
		return "", fmt.Errorf("bootstrap admin key: %w", err)
	}
	if cfg.HTTP.BootstrapAdminKey != "" {
		return "", nil // the operator chose it and knows it
	}
	return k.Key, nil
}

// newConnector builds the gateway connector chosen by payment.gateway (test, stripe, http).
func newConnector(p config.Payment) (payment.Connector, error) { return gateways.Connector(p) }

// printWelcome tells the person who started Hushpay where it listens and how to use it.
func printWelcome(w io.Writer, cfg config.Config, addr, firstKey, firstPassword string) {
	fmt.Fprintf(w, "Hushpay is running.\n  Dashboard: http://%s/\n  API:       http://%s/v1  (OpenAPI: http://%s/v1/openapi.json)\n  Health:    http://%s/healthz\n  SIP:       %s (UDP and TCP)\n  Gateway:   %s\n  Database:  %s\n",
		addr, addr, addr, addr, cfg.SIP.Listen, cfg.Payment.Gateway, cfg.Store.Driver)
	if firstPassword != "" {
		fmt.Fprintf(w, "\nFirst start: log in to the dashboard as admin with this password, shown only now:\n\n  %s\n", firstPassword)
	}
	if firstKey != "" {
		fmt.Fprintf(w, "\nFirst start: an admin API key was created for the default tenant. It is shown only now\n(only its hash is stored); keep it safe:\n\n  %s\n\nUse it as: curl -H 'Authorization: Bearer %s' http://%s/v1/sessions\nCreate keys with fewer rights with POST /v1/api-keys (docs/api.md).\n", firstKey, firstKey, addr)
	}
}
