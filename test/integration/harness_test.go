package integration

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/logging/logtest"
	"github.com/hushpay/hushpay/internal/media"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/payment/testgateway"
	"github.com/hushpay/hushpay/internal/sip"
	"github.com/hushpay/hushpay/internal/store/storetest"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// portNext hands out distinct port blocks to the tests of this binary (SIP ports and media
// ranges never collide between tests, even run one after another while sockets linger). The
// blocks lie in 10000-19999 (a whole run takes about 7,000 ports from a random start in
// 10000-13000): below Linux's ephemeral range (32768-60999), where any outgoing connection
// of a test running in parallel may already hold a port, and below the media relay's default
// range (20000-30000) that other packages' tests use.
var (
	portMu   sync.Mutex
	portNext = 10000 + rand.IntN(13)*250
)

func ports(n int) int {
	portMu.Lock()
	defer portMu.Unlock()
	p := portNext
	portNext += n
	return p
}

// node is a Hushpay SIP node under test.
type node struct {
	srv     *sip.Server
	reg     *sip.Registry
	svc     *payment.Service
	addr    string // SIP host:port
	logs    *logtest.Buffer
	mu      sync.Mutex
	events  []sip.Event
	digits  []*payment.Event
	cfg     config.SIP
	onEvent func(*payment.Event)
}

type nodeOptions struct {
	upstream string
	edit     func(*config.SIP)
	ivr      func(ctx context.Context, leg *sip.UASLeg)
}

// startNode starts Hushpay's SIP server with a real payment service (test gateway, SQLite
// in a temporary directory) on 127.0.0.1.
func startNode(t *testing.T, o nodeOptions) *node {
	t.Helper()
	base := ports(200)
	cfg := config.Default()
	cfg.SIP.Listen = fmt.Sprintf("127.0.0.1:%d", base)
	cfg.SIP.Host = "127.0.0.1"
	cfg.SIP.Upstream = o.upstream
	cfg.SIP.NoAnswer = 10 * time.Second
	cfg.SIP.AckTimeout = 5 * time.Second
	cfg.SIP.PairingHeader = "X-CRM-Ref"
	if o.edit != nil {
		o.edit(&cfg.SIP)
	}
	cfg.Media.Bind = "127.0.0.1"
	cfg.Media.PortMin, cfg.Media.PortMax = base+10, base+199
	logs := &logtest.Buffer{}
	log, err := logging.New(logs, "text", "debug")
	if err != nil {
		t.Fatal(err)
	}
	n := &node{addr: cfg.SIP.Listen, logs: logs, cfg: cfg.SIP}
	var reg *sip.Registry
	// The node keeps its sessions in a real SQLite store, as `hushpay serve` does.
	st, _ := storetest.SQLite(t)
	svc, err := payment.NewService(st, testgateway.New(0), payment.Options{Logger: log,
		OnSecure: func(callID string, on bool) { reg.OnSecure(callID, on) },
		OnEvent: func(e *payment.Event) {
			n.mu.Lock()
			n.digits = append(n.digits, e)
			n.mu.Unlock()
			reg.PaymentEvent(e)
		}})
	if err != nil {
		t.Fatal(err)
	}
	reg = sip.NewRegistry(cfg.SIP.MaxCalls, svc, log)
	pool, err := media.NewPortPool(loopback, cfg.Media.PortMin, cfg.Media.PortMax)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sip.New(sip.Options{Config: cfg.SIP, Media: media.OptionsFromConfig(cfg.Media, pool),
		Registry: reg, Payments: svc, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	reg.Subscribe(func(e sip.Event) {
		n.mu.Lock()
		n.events = append(n.events, e)
		n.mu.Unlock()
	})
	srv.IVR = o.ivr
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	n.srv, n.reg, n.svc = srv, reg, svc
	t.Cleanup(func() {
		srv.Stop()
		cancel()
		if t.Failed() || os.Getenv("HUSHPAY_TEST_LOGS") != "" {
			t.Logf("hushpay log:\n%s", logs.String())
		}
	})
	return n
}

// waitIdle waits until the node holds no call, failing the test after d.
func (n *node) waitIdle(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if n.reg.Active() == 0 && len(n.reg.Calls()) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("calls left behind: active %d, %+v", n.reg.Active(), n.reg.Calls())
}

// waitCall waits for an answered call and returns it.
func (n *node) waitCall(t *testing.T, d time.Duration) sip.Call {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		for _, c := range n.reg.Calls() {
			if c.State == sip.StateAnswered {
				return c
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no answered call")
	return sip.Call{}
}

// sipp is one sipp process.
type sipp struct {
	cmd  *exec.Cmd
	out  *logtest.Buffer
	done chan error
}

// startSipp runs sipp with args (scenario paths relative to testdata/sipp) until it exits
// or ctx ends; the process is killed when the test ends.
func startSipp(t *testing.T, ctx context.Context, args ...string) *sipp {
	t.Helper()
	return startSippIn(t, ctx, t.TempDir(), args...)
}

// startSippIn runs sipp in dir (where a scenario finds the files it names relatively).
func startSippIn(t *testing.T, ctx context.Context, dir string, args ...string) *sipp {
	t.Helper()
	bin := testpeerSipp(t)
	full := append([]string{"-nostdin", "-trace_err", "-trace_msg", "-message_file", filepath.Join(dir, "msg.log"), "-error_file", filepath.Join(dir, "err.log"), "-timeout_error"}, args...)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Dir = dir
	out := &logtest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &sipp{cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() || os.Getenv("HUSHPAY_TEST_LOGS") != "" {
			var logs string
			if fs, _ := filepath.Glob(filepath.Join(dir, "*.log")); fs != nil {
				for _, f := range fs {
					b, _ := os.ReadFile(f)
					logs += "== " + filepath.Base(f) + "\n" + tail(string(b), 4000) + "\n"
				}
			}
			t.Logf("sipp %v:\n%s\n%s", args, tail(out.String(), 3000), logs)
		}
	})
	return p
}

// wait waits for sipp to exit and returns its exit code (-1 when it did not exit in time).
func (p *sipp) wait(d time.Duration) int {
	select {
	case err := <-p.done:
		p.done <- err
		if p.cmd.ProcessState != nil {
			return p.cmd.ProcessState.ExitCode()
		}
		return -1
	case <-time.After(d):
		return -1
	}
}

// finish waits up to d for sipp to end and fails t unless it exited 0 (its scenario passed).
func (p *sipp) finish(t *testing.T, who string, d time.Duration) {
	t.Helper()
	if code := p.wait(d); code != 0 {
		t.Fatalf("sipp %s exit %d", who, code)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func scenario(name string) string {
	p, err := filepath.Abs(filepath.Join("testdata", "sipp", name))
	if err != nil {
		panic(err)
	}
	return p
}

func itoa(i int) string { return strconv.Itoa(i) }

// freeUDP reports whether a UDP port is free on 127.0.0.1.
func freeUDP(port int) bool {
	c, err := net.ListenPacket("udp", "127.0.0.1:"+itoa(port))
	if err != nil {
		return false
	}
	c.Close()
	return true
}

var _ = slog.Default
