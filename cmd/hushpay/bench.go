package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/hushpay/hushpay/internal/media/loadgen"
)

// runBench dispatches the load generators kept for the scripts under bench/.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: hushpay bench media [flags]    (hushpay bench media -h)")
		return errUsage
	}
	switch args[0] {
	case "media":
		return runBenchMedia(ctx, args[1:], stdout, stderr)
	case "media-relay":
		return runBenchMediaRelay(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "hushpay bench: unknown benchmark %q (want media)\n", args[0])
	return errUsage
}

// runBenchMedia plays N concurrent masked calls through a relay in another process and
// prints its CPU per call-minute, loss and latency; with --target both it does the same
// against rtpengine and prints the CPU ratio.
func runBenchMedia(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench media", stderr)
	calls := fs.Int("calls", 1000, "concurrent calls (each: customer and agent side, 20 ms PCMU both ways)")
	duration := fs.Duration("duration", 60*time.Second, "measured period")
	warmup := fs.Duration("warmup", 3*time.Second, "period before measuring")
	digits := fs.Duration("digits-every", 10*time.Second, "a burst of four customer key tones per call this often")
	target := fs.String("target", "hushpay", "relay under load: hushpay, rtpengine or both")
	sockets := fs.Int("sockets", 4, "generator sockets per side")
	rtpengine := fs.String("rtpengine", "rtpengine", "rtpengine binary")
	delayMS := fs.Int("rtpengine-delay", 20, "rtpengine delay buffer in ms (DTMF-security)")
	nice := fs.Int("nice", 10, "niceness the generator takes after starting the relay, so the relay under test gets the CPU first (0 keeps it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *calls < 1 || *duration <= 0 {
		return fmt.Errorf("%w: --calls and --duration must be positive", errUsage)
	}
	cfg := loadgen.Config{Calls: *calls, Duration: *duration, Warmup: *warmup, DigitsEvery: *digits, Sockets: *sockets, Nice: *nice}
	fmt.Fprintf(stdout, "machine: %d cpus, %s, load %s\n", runtime.NumCPU(), cpuModel(), loadAvg())
	var results []namedResult
	if *target == "hushpay" || *target == "both" {
		r, err := benchHushpay(ctx, cfg, stdout)
		if err != nil {
			return err
		}
		results = append(results, namedResult{"hushpay", r})
	}
	if *target == "rtpengine" || *target == "both" {
		r, err := benchRtpengine(ctx, cfg, *rtpengine, *delayMS, stdout)
		if err != nil {
			return err
		}
		results = append(results, namedResult{"rtpengine", r})
	}
	if len(results) == 0 {
		return fmt.Errorf("%w: --target %q", errUsage, *target)
	}
	fmt.Fprintln(stdout, "\n| relay | calls | CPU-s per call-minute | relay CPU (s) | loss | p50 | p99 | max | digits keyed / heard by the agent (call 0) |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Fprintf(stdout, "| %s | %d | %.4f | %.1f | %.4f %% | %s | %s | %s | %q / %q |\n", r.name, r.Calls, r.CPUPerCallMinute,
			r.RelayCPU, r.Loss*100, r.P50, r.P99, r.Max, r.ProbeKeyed, r.ProbeHeard)
	}
	if len(results) == 2 && results[0].CPUPerCallMinute > 0 {
		fmt.Fprintf(stdout, "\nCPU ratio rtpengine / hushpay: %.2f\n", results[1].CPUPerCallMinute/results[0].CPUPerCallMinute)
	}
	return nil
}

type namedResult struct {
	name string
	loadgen.Result
}

func benchHushpay(ctx context.Context, cfg loadgen.Config, stdout io.Writer) (loadgen.Result, error) {
	exe, err := os.Executable()
	if err != nil {
		return loadgen.Result{}, err
	}
	g, err := loadgen.New(cfg)
	if err != nil {
		return loadgen.Result{}, err
	}
	relay, err := loadgen.StartHushpay(ctx, exe, cfg.Calls, 20000, 20000+4*cfg.Calls+100)
	if err != nil {
		g.Close()
		return loadgen.Result{}, err
	}
	cfg.PID = relay.PID()
	g.SetPID(cfg.PID)
	res, err := g.Run(ctx, relay.Eps)
	st, serr := relay.Stop()
	if err != nil {
		return res, err
	}
	if serr != nil {
		return res, serr
	}
	fmt.Fprintf(stdout, "hushpay:   %s\n           relay: %d customer digits captured, %d packets masked for lag, %d late, %d errors, %d late gate marks; load %s\n",
		res, st.Digits, st.Lagged, st.Late, st.Errors, st.LateMarks, res.LoadAvg)
	return res, nil
}

func benchRtpengine(ctx context.Context, cfg loadgen.Config, bin string, delayMS int, stdout io.Writer) (loadgen.Result, error) {
	if _, err := exec.LookPath(bin); err != nil {
		return loadgen.Result{}, fmt.Errorf("rtpengine not found (Debian package rtpengine-daemon): %w", err)
	}
	g, err := loadgen.New(cfg)
	if err != nil {
		return loadgen.Result{}, err
	}
	re, err := loadgen.StartRtpengine(ctx, bin, g, cfg.Calls, 22223, 40000, 40000+4*cfg.Calls+100, delayMS)
	if err != nil {
		g.Close()
		return loadgen.Result{}, err
	}
	defer re.Stop()
	g.SetPID(re.PID())
	res, err := g.Run(ctx, re.Eps)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(stdout, "rtpengine: %s\n", res)
	return res, nil
}

// runBenchMediaRelay is the relay child of `bench media`: a separate process so its CPU is
// measured alone.
func runBenchMediaRelay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench media-relay", stderr)
	calls := fs.Int("calls", 100, "sessions to open")
	portMin := fs.Int("port-min", 20000, "lowest port")
	portMax := fs.Int("port-max", 30000, "highest port")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if path := os.Getenv("HUSHPAY_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	err := loadgen.ServeRelay(ctx, *calls, *portMin, *portMax, os.Stdin, stdout)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}
