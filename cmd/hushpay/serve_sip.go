package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/media"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/sip"
)

// SIP wiring for `hushpay serve`. The call registry is made first, because the payment
// service needs its hooks at construction:
//
//	reg := newCallRegistry(cfg, log)
//	svc, err := payment.NewService(st, conn, payment.Options{...,
//		OnSecure: reg.OnSecure,                                  // masks in the relay
//		OnEvent:  func(e *payment.Event) { ...; reg.PaymentEvent(e) }, // learns pairings
//	})
//	stopSIP, err := startSIP(ctx, cfg, svc, reg, log)
//	defer stopSIP()
//	srv := api.New(api.Options{..., Calls: callController{reg}})

// newCallRegistry returns the node's call registry (sip.max_calls concurrent calls).
func newCallRegistry(cfg config.Config, log *slog.Logger) *sip.Registry {
	return sip.NewRegistry(cfg.SIP.MaxCalls, nil, log)
}

// startSIP builds the media port pool and the SIP server (UDP and TCP on sip.listen, TLS
// when sip.tls_cert is set) and starts it. stop ends every call (BYE both ways), waits for
// them and closes the listeners; call it before the payment service's store closes.
func startSIP(ctx context.Context, cfg config.Config, svc *payment.Service, reg *sip.Registry, log *slog.Logger) (stop func(), err error) {
	pool, err := media.NewPortPoolFromConfig(cfg.Media)
	if err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	opts := sip.Options{Config: cfg.SIP, Media: media.OptionsFromConfig(cfg.Media, pool), Registry: reg, Logger: log}
	if svc != nil { // a nil *payment.Service must not become a non-nil interface
		opts.Payments = svc
	}
	srv, err := sip.New(opts)
	if err != nil {
		return nil, err
	}
	if err := srv.Start(ctx); err != nil {
		return nil, err
	}
	return srv.Stop, nil
}

// callController shows the registry's calls to the API (api.CallController): a tenant sees a
// call once it is paired with one of its payment sessions.
type callController struct{ reg *sip.Registry }

var _ api.CallController = callController{}

// Calls lists the tenant's calls on this node.
func (cc callController) Calls(_ context.Context, tenant string) ([]api.Call, error) {
	var out []api.Call
	for _, c := range cc.reg.Calls() {
		if c.Tenant == tenant {
			out = append(out, apiCall(c))
		}
	}
	return out, nil
}

// SetSecure turns secure mode on or off for a call of the tenant (the agent's button).
func (cc callController) SetSecure(ctx context.Context, tenant, callID string, on bool) (api.Call, error) {
	c, err := cc.reg.Get(callID)
	if err != nil || c.Tenant != tenant {
		return api.Call{}, api.ErrNoCall
	}
	c, err = cc.reg.SetSecure(ctx, callID, on)
	switch {
	case errors.Is(err, sip.ErrNoCall), errors.Is(err, sip.ErrNotPaired):
		return api.Call{}, api.ErrNoCall
	case errors.Is(err, sip.ErrCannotSecure):
		return apiCall(c), fmt.Errorf("%w: %s", api.ErrCannotSecure, c.CannotSecure)
	case err != nil:
		return apiCall(c), err
	}
	return apiCall(c), nil
}

func apiCall(c sip.Call) api.Call {
	started := c.AnsweredAt
	if started.IsZero() {
		started = c.StartedAt
	}
	return api.Call{ID: c.ID, SessionID: c.SessionID, AgentID: c.AgentID, Mode: string(c.Mode), Secure: c.Secure,
		CanSecure: c.CannotSecure == "", Reason: c.CannotSecure, StartedAt: started}
}
