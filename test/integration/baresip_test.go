package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/audio"
	"github.com/hushpay/hushpay/internal/logging/logtest"
	"github.com/hushpay/hushpay/internal/testpeer"
)

// phone is one baresip process driven over ctrl_tcp (netstring-framed JSON).
type phone struct {
	name   string
	dir    string
	rec    string
	cmd    *exec.Cmd
	out    *logtest.Buffer
	conn   net.Conn
	mu     sync.Mutex
	events []map[string]any
	notify chan struct{}
}

type phoneOptions struct {
	name       string
	source     string // WAV file for aufile, or "" for ausine
	autoAnswer bool
}

// startPhone runs baresip on 127.0.0.1 with its own SIP, RTP and control ports, g711 only,
// aufile (or a sine) as microphone, the ALSA null device as speaker, and sndfile recording
// what the phone sends and hears into its directory.
func startPhone(t *testing.T, ctx context.Context, o phoneOptions) (*phone, string) {
	t.Helper()
	bin := testpeer.LookPath(t, "baresip", "baresip-core")
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	if err := os.MkdirAll(rec, 0o755); err != nil {
		t.Fatal(err)
	}
	base := ports(120)
	src := "ausine,440"
	mods := "module ausine.so\n"
	if o.source != "" {
		src = "aufile," + o.source
		mods = "module aufile.so\n"
	}
	cfg := fmt.Sprintf(`poll_method epoll
sip_listen 127.0.0.1:%d
audio_player alsa,null
audio_source %s
audio_alert alsa,null
rtp_ports %d-%d
module_path /usr/lib/baresip/modules
module g711.so
module alsa.so
%smodule sndfile.so
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:%d
snd_path %s
`, base, src, base+10, base+109, mods, base+5, rec)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	acct := fmt.Sprintf("<sip:%s@127.0.0.1>;regint=0;audio_codecs=PCMU", o.name)
	if o.autoAnswer {
		acct += ";answermode=auto"
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(acct+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "-f", dir)
	out := &logtest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &phone{name: o.name, dir: dir, rec: rec, cmd: cmd, out: out, notify: make(chan struct{}, 1)}
	t.Cleanup(func() {
		if p.conn != nil {
			p.conn.Close()
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() || os.Getenv("HUSHPAY_TEST_LOGS") != "" {
			t.Logf("baresip %s:\n%s", o.name, tail(out.String(), 6000))
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", base+5))
		if err == nil {
			p.conn = c
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip %s: control port: %v", o.name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	go p.read()
	return p, fmt.Sprintf("127.0.0.1:%d", base)
}

func (p *phone) read() {
	r := bufio.NewReader(p.conn)
	for {
		lenStr, err := r.ReadString(':')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(lenStr, ":")))
		if err != nil || n < 0 || n > 1<<20 {
			return
		}
		buf := make([]byte, n+1)
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(buf[:n], &m) != nil {
			continue
		}
		p.mu.Lock()
		p.events = append(p.events, m)
		p.mu.Unlock()
		select {
		case p.notify <- struct{}{}:
		default:
		}
	}
}

// command sends one ctrl_tcp command.
func (p *phone) command(t *testing.T, cmd, params string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": cmd})
	if _, err := fmt.Fprintf(p.conn, "%d:%s,", len(b), b); err != nil {
		t.Fatalf("baresip %s: %s: %v", p.name, cmd, err)
	}
}

// waitEvent waits for an event of the given type (CALL_ESTABLISHED, CALL_CLOSED, ...).
func (p *phone) waitEvent(t *testing.T, typ string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		p.mu.Lock()
		for _, e := range p.events {
			if e["type"] == typ {
				p.mu.Unlock()
				return
			}
		}
		p.mu.Unlock()
		select {
		case <-p.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("baresip %s: no %s within %s", p.name, typ, d)
		}
	}
}

// keys sends digits one at a time as RFC 2833 events (baresip's sndcode).
func (p *phone) keys(t *testing.T, digits string, gap time.Duration) {
	t.Helper()
	for _, d := range digits {
		p.command(t, "sndcode", string(d))
		time.Sleep(gap)
	}
}

// audioFlowing matches baresip's call status line once RTP flows both ways.
var audioFlowing = regexp.MustCompile(`audio=[1-9][0-9]*/[1-9][0-9]*`)

// waitAudio waits until the phone reports audio flowing both ways. baresip sends RFC 2833
// events from its audio transmit loop, which can start seconds after CALL_ESTABLISHED on a
// busy machine: digits keyed before that are silently never sent.
func (p *phone) waitAudio(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !audioFlowing.MatchString(p.out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("baresip %s: audio not flowing within %s", p.name, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// recording returns what the phone heard (sndfile's decoded dump), as 8 kHz samples.
func (p *phone) recording(t *testing.T) []int16 {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(p.rec, "*-dec.wav"))
	if len(files) == 0 {
		all, _ := filepath.Glob(filepath.Join(p.rec, "*"))
		t.Fatalf("baresip %s: no recording of what it heard (files: %v)", p.name, all)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := audio.ReadWAV(f)
	if err != nil {
		t.Fatalf("baresip %s: recording %s: %v", p.name, files[0], err)
	}
	if s.Rate != 8000 {
		x, err := audio.To8k(s.Samples, s.Rate)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	return s.Samples
}
