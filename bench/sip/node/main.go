// Command node runs Hushpay's SIP server alone (no payment service, no API) for bench/sip/run:
// the B2BUA with every call's media anchored through the relay (ports allocated, SDP
// rewritten), as `hushpay serve` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/media"
	"github.com/hushpay/hushpay/internal/sip"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:5070", "SIP listen address (UDP and TCP)")
	upstream := flag.String("upstream", "sip:127.0.0.1:5090", "upstream SIP URI")
	portMin := flag.Int("port-min", 10000, "lowest RTP port")
	portMax := flag.Int("port-max", 60000, "highest RTP port")
	maxCalls := flag.Int("max-calls", 20000, "concurrent call limit")
	level := flag.String("log", "warn", "log level")
	flag.Parse()

	cfg := config.Default()
	cfg.SIP.Listen, cfg.SIP.Host, cfg.SIP.Upstream, cfg.SIP.MaxCalls = *listen, "127.0.0.1", *upstream, *maxCalls
	cfg.SIP.NoAnswer = 30 * time.Second
	cfg.Media.Bind = "127.0.0.1"
	cfg.Media.PortMin, cfg.Media.PortMax = *portMin, *portMax
	log, err := logging.New(os.Stderr, "text", *level)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	slog.SetDefault(log)
	pool, err := media.NewPortPoolFromConfig(cfg.Media)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv, err := sip.New(sip.Options{Config: cfg.SIP, Media: media.OptionsFromConfig(cfg.Media, pool), Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	<-ctx.Done()
	srv.Stop()
}
