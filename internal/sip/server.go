package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/media"
)

// operationTimeout bounds one in-dialog transaction or hang-up (RFC 3261 timer F, 64*T1).
const operationTimeout = 32 * time.Second

// Options configure a Server.
type Options struct {
	// Config is the sip section of the configuration.
	Config config.SIP
	// Media are the relay options shared by all calls (with their PortPool); the server sets
	// Sink per call.
	Media media.Options
	// MediaAddr is the IP written in SDP c= lines; when invalid, Config.MediaAddress, the
	// port pool's IP (unless unspecified) or the SIP host is used.
	MediaAddr netip.Addr
	// Registry keeps the calls; NewRegistry(Config.MaxCalls, Payments, Logger) when nil.
	Registry *Registry
	// Payments receives digits and pairs calls; may be nil (calls are relayed only).
	Payments Payments
	// Logger receives operational logs (slog.Default() when nil).
	Logger *slog.Logger
}

// Server is the SIP side of a Hushpay node: it listens, answers OPTIONS, and runs every call
// as a back-to-back user agent (inline) or as a user agent server (conference and IVR legs).
type Server struct {
	opts      Options
	cfg       config.SIP
	log       *slog.Logger
	reg       *Registry
	router    *Router
	host      string
	port      int
	mediaAddr netip.Addr
	confNums  map[string]bool
	ivrNums   map[string]bool

	ua  *sipgo.UserAgent
	srv *sipgo.Server
	cli *sipgo.Client
	dua *sipgo.DialogUA

	challenged challenges

	// IVR runs the IVR flow on a call to one of sip.ivr_numbers once it is answered; the
	// call is hung up when it returns. Nil refuses such calls with 480. The flow engine (a
	// later issue) plugs in here; set it before Start.
	IVR func(ctx context.Context, leg *UASLeg)

	ctx     context.Context // server lifetime, set by Start
	stop    context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	addrs   []net.Addr
	closers []func() error
}

// New returns a Server; Start makes it listen.
func New(opts Options) (*Server, error) {
	cfg := opts.Config
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Media.Ports == nil {
		return nil, fmt.Errorf("%w: no media port pool", ErrBadConfig)
	}
	router, err := NewRouter(cfg.Upstream, cfg.Routes)
	if err != nil {
		return nil, err
	}
	lh, lp, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("%w: listen %q: %w", ErrBadConfig, cfg.Listen, err)
	}
	port, err := strconv.Atoi(lp)
	if err != nil {
		return nil, fmt.Errorf("%w: listen port %q", ErrBadConfig, lp)
	}
	host := cfg.Host
	if host == "" {
		host = lh
		if a, err := netip.ParseAddr(lh); err != nil || a.IsUnspecified() {
			host = outboundIP().String()
		}
	}
	if opts.Registry == nil {
		opts.Registry = NewRegistry(max(cfg.MaxCalls, 1), opts.Payments, opts.Logger)
	} else if opts.Payments != nil && opts.Registry.pay() == nil {
		opts.Registry.SetPayments(opts.Payments)
	}
	s := &Server{opts: opts, cfg: cfg, log: opts.Logger, reg: opts.Registry, router: router, host: host, port: port,
		confNums: set(cfg.Conference.Numbers), ivrNums: set(cfg.IVRNumbers)}
	s.mediaAddr = opts.MediaAddr
	if !s.mediaAddr.IsValid() && cfg.MediaAddress != "" {
		s.mediaAddr, _ = netip.ParseAddr(cfg.MediaAddress)
	}
	if !s.mediaAddr.IsValid() {
		if ip := opts.Media.Ports.IP(); !ip.IsUnspecified() {
			s.mediaAddr = ip
		} else if a, err := netip.ParseAddr(host); err == nil {
			s.mediaAddr = a
		} else {
			s.mediaAddr = outboundIP()
		}
	}
	return s, nil
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// outboundIP is the first non-loopback IPv4 address of the machine, or 127.0.0.1.
func outboundIP() netip.Addr {
	ifs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range ifs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() && !p.Addr().IsLoopback() {
				return p.Addr()
			}
		}
	}
	return netip.MustParseAddr("127.0.0.1")
}

// Registry returns the server's call registry.
func (s *Server) Registry() *Registry { return s.reg }

// Addrs returns the addresses the server listens on (after Start).
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]net.Addr(nil), s.addrs...)
}

// Start opens the listeners (UDP and TCP on Config.Listen, TLS on Config.TLSListen when a
// certificate is configured) and serves until ctx ends or Stop is called.
func (s *Server) Start(ctx context.Context) error {
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("Hushpay"), sipgo.WithUserAgentHostname(s.host))
	if err != nil {
		return fmt.Errorf("sip: user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(s.log))
	if err != nil {
		ua.Close()
		return fmt.Errorf("sip: server: %w", err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname(s.host), sipgo.WithClientLogger(s.log))
	if err != nil {
		ua.Close()
		return fmt.Errorf("sip: client: %w", err)
	}
	s.ua, s.srv, s.cli = ua, srv, cli
	s.dua = &sipgo.DialogUA{Client: cli, ContactHDR: sip.ContactHeader{
		Address: sip.Uri{Scheme: "sip", User: "hushpay", Host: s.host, Port: s.port},
	}}
	s.ctx, s.stop = context.WithCancel(ctx)
	s.routes()

	udp, err := net.ListenPacket("udp", s.cfg.Listen)
	if err != nil {
		s.closeAll()
		return fmt.Errorf("sip: listen udp %s: %w", s.cfg.Listen, err)
	}
	s.serve(udp.LocalAddr(), udp.Close, func() error { return srv.ServeUDP(udp) })
	tcp, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		s.closeAll()
		return fmt.Errorf("sip: listen tcp %s: %w", s.cfg.Listen, err)
	}
	s.serve(tcp.Addr(), tcp.Close, func() error { return srv.ServeTCP(tcp) })
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			s.closeAll()
			return fmt.Errorf("sip: tls certificate: %w", err)
		}
		tl, err := tls.Listen("tcp", s.cfg.TLSListen, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		if err != nil {
			s.closeAll()
			return fmt.Errorf("sip: listen tls %s: %w", s.cfg.TLSListen, err)
		}
		s.serve(tl.Addr(), tl.Close, func() error { return srv.ServeTLS(tl) })
	}
	go func() {
		<-s.ctx.Done()
		s.closeAll()
	}()
	s.log.Info("sip listening", "listen", s.cfg.Listen, "host", s.host, "media_address", s.mediaAddr, "tls", s.cfg.TLSCert != "")
	return nil
}

func (s *Server) serve(a net.Addr, closer func() error, fn func() error) {
	s.mu.Lock()
	s.addrs = append(s.addrs, a)
	s.closers = append(s.closers, closer)
	s.mu.Unlock()
	go func() {
		if err := fn(); err != nil && s.ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("sip: listener stopped", "addr", a.String(), "err", err)
		}
	}()
}

func (s *Server) closeAll() {
	s.mu.Lock()
	cs := s.closers
	s.closers = nil
	s.mu.Unlock()
	for _, c := range cs {
		_ = c()
	}
}

// Stop ends every call (BYE to both sides, CANCEL for calls being set up), waits for them
// and closes the listeners.
func (s *Server) Stop() {
	if s.stop == nil {
		return
	}
	for _, c := range s.reg.Calls() {
		if lc := s.reg.get(c.ID); lc != nil {
			s.hangup(lc, true, true, "shutdown")
		}
	}
	s.stop()
	s.wg.Wait()
	s.closeAll()
	if s.ua != nil {
		_ = s.ua.Close()
	}
}

// routes registers the request handlers.
func (s *Server) routes() {
	s.srv.OnInvite(s.onInvite)
	s.srv.OnAck(s.onAck)
	s.srv.OnBye(s.onBye)
	s.srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		// A CANCEL matching an INVITE is handled by the transaction layer; this one matched
		// nothing (RFC 3261 §9.2).
		s.respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
	})
	s.srv.OnOptions(s.onOptions)
	for _, m := range []sip.RequestMethod{sip.INFO, sip.UPDATE, sip.REFER, sip.NOTIFY, sip.MESSAGE, sip.PRACK} {
		s.srv.OnRequest(m, s.onInDialog)
	}
	s.srv.OnRegister(func(req *sip.Request, tx sip.ServerTransaction) {
		s.respond(tx, req, sip.StatusMethodNotAllowed, "Method Not Allowed", sip.NewHeader("Allow", allow))
	})
}

// allow lists the methods Hushpay handles (RFC 3261 §20.5).
const allow = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, MESSAGE"

func (s *Server) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("sip: respond", "code", code, "err", err)
	}
}

// onOptions answers keep-alive pings of load balancers and SBCs (RFC 3261 §11.2), in or out
// of a dialog, with 503 when the node is at its call limit so that a dispatcher moves on.
func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	code, reason := sip.StatusOK, "OK"
	if s.reg.Active() >= int(s.reg.max) {
		code, reason = sip.StatusServiceUnavailable, "Call Limit Reached"
	}
	s.respond(tx, req, code, reason,
		sip.NewHeader("Allow", allow),
		sip.NewHeader("Accept", "application/sdp, application/dtmf-relay, application/dtmf"),
		sip.NewHeader("Supported", "replaces"))
}
