package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/logging"
	"github.com/hushpay/hushpay/internal/logging/logtest"
)

// serve with the embedded defaults (SQLite in data.dir, the test gateway) prints the
// address and a first admin key, answers the API with that key, keeps the key across a
// restart without printing it again, and stops cleanly when its context ends.
func TestServeDefaults(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Data.Dir = filepath.Join(dir, "data")
	cfg.HTTP.Listen = "127.0.0.1:0"
	port, err := freeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	cfg.SIP.Listen = fmt.Sprintf("127.0.0.1:%d", port)
	var logs logtest.Buffer
	log, err := logging.New(&logs, "text", "info")
	if err != nil {
		t.Fatal(err)
	}
	start := func() (out *logtest.Buffer, stop func() error) {
		out = &logtest.Buffer{}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- serve(ctx, cfg, log, out) }()
		return out, func() error {
			cancel()
			select {
			case err := <-errc:
				return err
			case <-time.After(15 * time.Second):
				t.Fatal("serve did not stop within 15s")
				return nil
			}
		}
	}
	out, stop := start()
	addr, key := waitWelcome(t, out)
	if key == "" {
		t.Fatalf("no admin key printed on first start:\n%s", out.String())
	}
	get := func(path, key string) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz", ""); code != 200 {
		t.Fatalf("health: %d %s", code, body)
	}
	if code, body := get("/v1/sessions", key); code != 200 || !json.Valid([]byte(body)) {
		t.Fatalf("sessions with the printed key: %d %s", code, body)
	}
	if code, body := get("/v1/calls", key); code != 200 || !json.Valid([]byte(body)) {
		t.Fatalf("calls (SIP is wired): %d %s", code, body)
	}
	if !strings.Contains(out.String(), "log in to the dashboard as admin") {
		t.Fatalf("no dashboard password printed on first start:\n%s", out.String())
	}
	if code, body := get("/login", ""); code != 200 || !strings.Contains(body, "<form") {
		t.Fatalf("dashboard login page: %d %.200s", code, body)
	}
	sipOptions(t, cfg.SIP.Listen)
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
	if strings.Contains(logs.String(), key) {
		t.Fatal("the admin key reached the log")
	}
	// Second start on the same data directory: same database, no new key printed.
	out, stop = start()
	addr, key2 := waitWelcome(t, out)
	if key2 != "" {
		t.Fatalf("a new key was printed on the second start")
	}
	if code, _ := get("/v1/sessions", key); code != 200 {
		t.Fatalf("first key after restart: %d", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

var (
	addrRe = regexp.MustCompile(`API:\s+http://([^/]+)/v1`)
	keyRe  = regexp.MustCompile(`\n  (hpk_[A-Za-z0-9_-]+)\n`)
)

func waitWelcome(t *testing.T, out *logtest.Buffer) (addr, key string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		s := out.String()
		if m := addrRe.FindStringSubmatch(s); m != nil {
			time.Sleep(20 * time.Millisecond) // the key lines follow in the same print
			s = out.String()
			if k := keyRe.FindStringSubmatch(s); k != nil {
				key = k[1]
			}
			return m[1], key
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("serve printed no address:\n%s", out.String())
	return "", ""
}

// sipOptions sends a SIP OPTIONS ping over UDP to addr, as a load balancer or an SBC does,
// fails t unless the answer is 200 OK, and returns the answer.
func sipOptions(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().String()
	req := "OPTIONS sip:hushpay@" + addr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-options-probe\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@" + local + ">;tag=1\r\nTo: <sip:hushpay@" + addr + ">\r\n" +
		"Call-ID: options-probe@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no answer to SIP OPTIONS on %s: %v", addr, err)
	}
	got := string(buf[:n])
	if !strings.HasPrefix(got, "SIP/2.0 200 OK") {
		t.Fatalf("SIP OPTIONS answer:\n%s", got)
	}
	return got
}
