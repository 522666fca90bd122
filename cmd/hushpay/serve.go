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
	"github.com/hushpay/hushpay/internal/store"
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

// serve wires the parts together. The order matters only at start and stop: the store
// first and last, the listener last to open and first to close.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.Data.Dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	dsn := cfg.Store.DSN
	if cfg.Store.Driver == store.DriverSQLite && dsn == "" {
		dsn = filepath.Join(cfg.Data.Dir, "hushpay.db")
	}
	st, err := store.Open(ctx, store.Options{Driver: cfg.Store.Driver, DSN: dsn, MaxConns: cfg.Store.MaxConns,
		BusyTimeout: cfg.Store.BusyTimeout, PollInterval: cfg.Store.PollInterval})
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("store open", "driver", cfg.Store.Driver)

	firstKey, err := bootstrap(ctx, st, cfg)
	if err != nil {
		return err
	}

	conn, err := newConnector(cfg.Payment)
	if err != nil {
		return err
	}
	opts := gateways.Options(cfg)
	opts.Logger = log
	// opts.OnSecure is where the media layer plugs in (issue: media path / SIP): it masks the
	// call's customer audio while secure. Nothing is wired here yet, and no call can be
	// secured without SIP, so no digit can arrive unmasked.
	svc, err := payment.NewService(st, conn, opts)
	if err != nil {
		return err
	}
	go func() {
		// Attempts a crash left in doubt are settled by asking the gateway, never by
		// charging again; lookups may take a gateway timeout, so start-up does not wait.
		if n, err := svc.ResolvePending(ctx); err != nil {
			log.Warn("payment: resolving attempts left in doubt by the last run", "err", err)
		} else if n > 0 {
			log.Info("payment: resolved attempts left in doubt by the last run", "count", n)
		}
	}()

	srv := api.New(api.Options{
		Store: st, Payments: svc, Logger: log, MaxBodyBytes: cfg.HTTP.MaxBodyBytes, SSEKeepalive: cfg.HTTP.SSEKeepalive,
		// Calls: the SIP layer's call registry plugs in here (api.CallController) when SIP
		// is wired; until then /v1/calls answers 503 no_call_control.
	})
	wh := webhook.NewDispatcher(webhook.Options{Store: st, MaxAttempts: cfg.HTTP.Webhook.MaxAttempts,
		Backoff: cfg.HTTP.Webhook.Backoff, Timeout: cfg.HTTP.Webhook.Timeout, Workers: cfg.HTTP.Webhook.Workers, Logger: log})
	if err := srv.Register(wh.Collectors()...); err != nil {
		return err
	}

	// SIP signalling (sip.listen) and the RTP media relay (media.*) start here once their
	// issues land; this node then also answers /v1/calls.

	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 3)
	go func() { done <- srv.Run(runCtx) }()
	go func() { wh.Run(runCtx); done <- nil }()
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			done <- err
			return
		}
		done <- nil
	}()
	printWelcome(stdout, cfg, ln.Addr().String(), firstKey)
	log.Info("hushpay serving", "http", ln.Addr().String(), "gateway", conn.Name())

	var runErr error
	running := 3
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-done:
		running--
		if runErr != nil {
			log.Error("stopping after a failure", "err", runErr)
		}
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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
func printWelcome(w io.Writer, cfg config.Config, addr, firstKey string) {
	fmt.Fprintf(w, "Hushpay is running.\n  API:      http://%s/v1  (OpenAPI: http://%s/v1/openapi.json)\n  Health:   http://%s/healthz\n  Gateway:  %s\n  Database: %s\n",
		addr, addr, addr, cfg.Payment.Gateway, cfg.Store.Driver)
	if firstKey != "" {
		fmt.Fprintf(w, "\nFirst start: an admin API key was created for the default tenant. It is shown only now\n(only its hash is stored); keep it safe:\n\n  %s\n\nUse it as: curl -H 'Authorization: Bearer %s' http://%s/v1/sessions\nCreate keys with fewer rights with POST /v1/api-keys (docs/api.md).\n", firstKey, firstKey, addr)
	}
}
