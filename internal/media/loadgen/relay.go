package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"sync/atomic"
	"time"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/media"
)

// RelayStats is what the relay child reports when it stops.
type RelayStats struct {
	Digits    uint64 `json:"digits"`    // customer digits captured (the detector works under load)
	Lagged    uint64 `json:"lagged"`    // packets masked whole because the relay fell behind
	Late      uint64 `json:"late"`      // late or duplicate packets dropped in secure mode
	Dropped   uint64 `json:"dropped"`   // packets dropped by stages
	Errors    uint64 `json:"errors"`    // stage errors
	LateMarks int64  `json:"lateMarks"` // gate marks after send (must be 0)
}

type relayHello struct {
	Calls [][2]uint16 `json:"calls"` // customer, agent RTP ports
}

// ServeRelay is the relay child (`hushpay bench media-relay`): it opens calls sessions on
// 127.0.0.1 with the default media configuration, all in secure mode, prints their ports as
// one JSON line, relays until in is closed (or ctx ends), then prints its RelayStats.
func ServeRelay(ctx context.Context, calls, portMin, portMax int, in io.Reader, out io.Writer) error {
	c := config.Default().Media
	c.Bind = "127.0.0.1"
	c.PortMin, c.PortMax = portMin, portMax
	pool, err := media.NewPortPoolFromConfig(c)
	if err != nil {
		return err
	}
	opts := media.OptionsFromConfig(c, pool)
	var digits atomic.Uint64
	opts.Sink = media.DigitSinkFunc(func(e media.DigitEvent) {
		if e.Leg == media.Customer {
			digits.Add(1)
		}
	})
	codecs := []media.Codec{{PT: 0, Name: "PCMU"}, {PT: 101, Name: "telephone-event"}}
	sessions := make([]*media.Session, 0, calls)
	defer func() {
		for _, s := range sessions {
			s.Close()
		}
	}()
	var hello relayHello
	for range calls {
		s, err := media.NewSession(ctx, opts)
		if err != nil {
			return err
		}
		sessions = append(sessions, s)
		for _, l := range []media.LegID{media.Customer, media.Agent} {
			if err := s.Leg(l).SetCodecs(codecs); err != nil {
				return err
			}
		}
		if err := s.SetSecure(true); err != nil {
			return err
		}
		hello.Calls = append(hello.Calls, [2]uint16{s.Leg(media.Customer).LocalRTP().Port(), s.Leg(media.Agent).LocalRTP().Port()})
	}
	if err := json.NewEncoder(out).Encode(hello); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, in); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	var st RelayStats
	st.Digits = digits.Load()
	for _, s := range sessions {
		x := s.Stats()
		st.Lagged += x.CustomerToAgent.Lagged
		st.Late += x.CustomerToAgent.Late
		st.Dropped += x.CustomerToAgent.Dropped
		st.Errors += x.CustomerToAgent.Errors
		st.LateMarks += x.LateMarkedSamples
	}
	return json.NewEncoder(out).Encode(st)
}

// Relay is a relay process under load.
type Relay struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	Eps   []Endpoint
}

// PID is the relay process.
func (r *Relay) PID() int { return r.cmd.Process.Pid }

// StartHushpay starts `exe bench media-relay` and reads its call ports.
func StartHushpay(ctx context.Context, exe string, calls, portMin, portMax int) (*Relay, error) {
	cmd := exec.CommandContext(ctx, exe, "bench", "media-relay",
		"--calls", fmt.Sprint(calls), "--port-min", fmt.Sprint(portMin), "--port-max", fmt.Sprint(portMax))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &Relay{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	line, err := r.out.ReadBytes('\n')
	if err != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		return nil, fmt.Errorf("loadgen: relay did not start: %w", err)
	}
	var hello relayHello
	if err := json.Unmarshal(line, &hello); err != nil {
		return nil, fmt.Errorf("loadgen: relay said %q: %w", line, err)
	}
	lo := netip.MustParseAddr("127.0.0.1")
	for _, c := range hello.Calls {
		r.Eps = append(r.Eps, Endpoint{Customer: netip.AddrPortFrom(lo, c[0]), Agent: netip.AddrPortFrom(lo, c[1])})
	}
	return r, nil
}

// Stop ends the relay and returns its statistics.
func (r *Relay) Stop() (RelayStats, error) {
	r.stdin.Close()
	var st RelayStats
	line, err := r.out.ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &st)
	}
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case werr := <-done:
		if err == nil && werr != nil {
			err = werr
		}
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-done
		err = errors.Join(err, errors.New("loadgen: relay did not stop"))
	}
	return st, err
}
