package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/logging/logtest"
	"github.com/hushpay/hushpay/internal/testpeer"
)

// docsKamailio extracts the worked example's kamailio.cfg and dispatcher.list from
// docs/operations.md, so that the test runs what the page shows.
func docsKamailio(t *testing.T) (cfg, list string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur *strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			if cur != nil {
				blocks = append(blocks, cur.String())
				cur = nil
			} else {
				cur = &strings.Builder{}
			}
			continue
		}
		if cur != nil {
			cur.WriteString(line + "\n")
		}
	}
	for _, blk := range blocks {
		switch {
		case strings.HasPrefix(blk, "#!KAMAILIO"):
			cfg = blk
		case strings.HasPrefix(blk, "# setid destination"):
			list = blk
		}
	}
	if cfg == "" || list == "" {
		t.Fatal("docs/operations.md: kamailio.cfg or dispatcher.list block not found")
	}
	return cfg, list
}

// TestKamailioDispatcher runs the worked example of docs/operations.md: Kamailio's dispatcher
// in front of two Hushpay nodes (OPTIONS pings, Call-ID hashing); calls
// are spread over both; in-dialog requests (ACK, INFO, BYE) follow the Record-Route.
func TestKamailioDispatcher(t *testing.T) {
	bin, err := exec.LookPath("kamailio")
	if err != nil {
		bin = "/usr/sbin/kamailio" // Debian installs it outside a normal user's PATH
		if _, err := os.Stat(bin); err != nil {
			testpeer.Missing(t, "kamailio not found (Debian package kamailio)")
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	uasPort, uas := sippUAS(t, ctx, "uas.xml", 4)
	up := "sip:127.0.0.1:" + itoa(uasPort)
	n1 := startNode(t, nodeOptions{upstream: up})
	n2 := startNode(t, nodeOptions{upstream: up})

	cfg, list := docsKamailio(t)
	dir := t.TempDir()
	kport := ports(10)
	cfg = strings.NewReplacer(
		"listen=udp:10.0.0.2:5060", fmt.Sprintf("listen=udp:127.0.0.1:%d", kport),
		"listen=tcp:10.0.0.2:5060", fmt.Sprintf("listen=tcp:127.0.0.1:%d", kport),
		"children=4", "children=2",
		"/etc/kamailio/dispatcher.list", filepath.Join(dir, "dispatcher.list"),
	).Replace(cfg)
	list = strings.NewReplacer("sip:10.0.0.11:5060", "sip:"+n1.addr, "sip:10.0.0.12:5060", "sip:"+n2.addr).Replace(list)
	if err := os.WriteFile(filepath.Join(dir, "kamailio.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dispatcher.list"), []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "-f", filepath.Join(dir, "kamailio.cfg"), "-DD", "-E", "-w", dir,
		"-P", filepath.Join(dir, "kamailio.pid"), "-m", "64", "-M", "8")
	out := &logtest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * time.Second
	// kamailio forks its workers: run it in its own process group and end the whole group,
	// or the workers outlive the test and keep pinging ports that later tests reuse.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("kamailio:\n%s", tail(out.String(), 4000))
		}
	})
	time.Sleep(time.Second)

	port := ports(10)
	uac := startSipp(t, ctx, "-sf", scenario("uac_routed.xml"), "-i", "127.0.0.1", "-p", itoa(port), "-mp", itoa(port+2),
		"-m", "4", "-r", "2", "-s", "5001", fmt.Sprintf("127.0.0.1:%d", kport))
	uac.finish(t, "uac through kamailio", 45*time.Second)
	uas.finish(t, "uas", 10*time.Second)
	n1.waitIdle(t, 5*time.Second)
	n2.waitIdle(t, 5*time.Second)
	total := 0
	for _, n := range []*node{n1, n2} {
		n.mu.Lock()
		for _, e := range n.events {
			if e.Type == "call.started" {
				total++
			}
		}
		n.mu.Unlock()
	}
	if total != 4 {
		t.Fatalf("%d calls reached the nodes, want 4", total)
	}
}
