// Command api-bench measures Hushpay's control plane on SQLite and PostgreSQL:
//
//   - session creation per second through the REST API (POST /v1/sessions over HTTP with
//     keep-alive, several clients at once), and
//   - digit-to-screen latency: N concurrent sessions, each paired with a call and in secure
//     mode, each watched by an HTTP client on its Server-sent event stream; digits are
//     injected through payment.Service.Digit exactly as the media layer does, and the time
//     from the injection to the arrival on the stream of the last event that digit caused is
//     recorded (p50, p99, max).
//
// Run it through bench/api/run.sh, which also prints the machine and its load.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hushpay/hushpay/internal/api"
	"github.com/hushpay/hushpay/internal/payment"
	"github.com/hushpay/hushpay/internal/payment/testgateway"
	"github.com/hushpay/hushpay/internal/store"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the throw-away schema
)

func main() {
	driver := flag.String("driver", "sqlite", "sqlite or postgres")
	dsn := flag.String("dsn", "", "postgres DSN (a throw-away database or schema: the benchmark writes to it); sqlite: file path (default: a temporary file)")
	creates := flag.Int("creates", 5000, "sessions to create for the creation rate")
	clients := flag.Int("clients", 16, "concurrent HTTP clients creating sessions")
	streams := flag.Int("sessions", 200, "concurrent sessions for the digit-to-SSE latency")
	interval := flag.Duration("interval", 200*time.Millisecond, "pause between two digits of one session (a person keys 3 to 6 digits a second)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this `file`")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*driver, *dsn, *creates, *clients, *streams, *interval); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "api-bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	store *store.Store
	svc   *payment.Service
	base  string
	key   string
	http  *http.Client
}

func run(driver, dsn string, creates, clients, sessions int, interval time.Duration) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if driver == store.DriverSQLite && dsn == "" {
		dir, err := os.MkdirTemp("", "hushpay-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = filepath.Join(dir, "bench.db")
	}
	if driver == store.DriverPostgres {
		scoped, drop, err := pgSchema(ctx, dsn)
		if err != nil {
			return err
		}
		defer drop()
		dsn = scoped
	}
	st, err := store.Open(ctx, store.Options{Driver: driver, DSN: dsn, MaxConns: 16, PollInterval: time.Second})
	if err != nil {
		return err
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := payment.NewService(st, testgateway.New(0), payment.Options{Logger: log})
	if err != nil {
		return err
	}
	srv := api.New(api.Options{Store: st, Payments: svc, Logger: log})
	go func() { _ = srv.Run(ctx) }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	tenant := &store.Tenant{Name: "bench"}
	if err := st.CreateTenant(ctx, tenant); err != nil {
		return err
	}
	k, err := api.CreateKey(ctx, st, tenant.ID, "bench", "", []string{api.ScopeAdmin})
	if err != nil {
		return err
	}
	b := &bench{store: st, svc: svc, base: "http://" + ln.Addr().String(), key: k.Key,
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0}}}

	fmt.Printf("driver %s\n", driver)
	rate, err := b.createRate(creates, clients)
	if err != nil {
		return err
	}
	fmt.Printf("session creation: %d sessions, %d clients: %.0f sessions/s\n", creates, clients, rate)
	lat, err := b.digitLatency(ctx, tenant.ID, sessions, interval)
	if err != nil {
		return err
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("digit to SSE: %d sessions, %d digits, one digit per session every %s: p50 %s p99 %s max %s\n",
		sessions, len(lat), interval, pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
	return nil
}

func (b *bench) post(path string, body any, hdr ...string) (int, []byte, error) {
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", b.base+path, bytes.NewReader(j))
	req.Header.Set("Authorization", "Bearer "+b.key)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// createRate creates n sessions with c concurrent clients and returns sessions per second.
func (b *bench) createRate(n, c int) (float64, error) {
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				code, body, err := b.post("/v1/sessions", map[string]any{"amount": 1000 + i%1000, "currency": "GBP", "account_ref": "INV-" + strconv.FormatInt(i, 10)},
					"Idempotency-Key", "create-"+strconv.FormatInt(i, 10))
				if err == nil && code != http.StatusCreated {
					err = fmt.Errorf("create: HTTP %d %s", code, body)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// stream follows one session's event stream and records when each seq arrived.
type stream struct {
	mu      sync.Mutex
	arrived map[int64]time.Time
	wake    chan struct{}
}

func (s *stream) wait(ctx context.Context, seq int64) (time.Time, error) {
	for {
		s.mu.Lock()
		t, ok := s.arrived[seq]
		s.mu.Unlock()
		if ok {
			return t, nil
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(10 * time.Second):
			return time.Time{}, fmt.Errorf("event %d did not arrive within 10s", seq)
		}
	}
}

func (b *bench) follow(ctx context.Context, id string) (*stream, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", b.base+"/v1/sessions/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+b.key)
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		return nil, fmt.Errorf("stream: HTTP %d", resp.StatusCode)
	}
	s := &stream{arrived: map[int64]time.Time{}, wake: make(chan struct{}, 1)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			if !bytes.HasPrefix(line, []byte("data: ")) {
				continue
			}
			now := time.Now()
			var ev struct {
				Seq int64 `json:"seq"`
			}
			if json.Unmarshal(line[6:], &ev) != nil {
				continue
			}
			s.mu.Lock()
			s.arrived[ev.Seq] = now
			s.mu.Unlock()
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}()
	return s, nil
}

// digitLatency keys a card on n sessions at once and returns one latency per digit.
func (b *bench) digitLatency(ctx context.Context, tenant string, n int, interval time.Duration) ([]time.Duration, error) {
	exp := time.Now().AddDate(2, 0, 0)
	keys := "4242424242424242#" + fmt.Sprintf("%02d%02d", int(exp.Month()), exp.Year()%100) + "737"
	type sess struct {
		id, call string
		st       *stream
	}
	all := make([]sess, n)
	for i := range all {
		call := fmt.Sprintf("bench-call-%d", i)
		code, body, err := b.post("/v1/sessions", map[string]any{"amount": 500, "currency": "GBP", "agent_id": "agent-" + strconv.Itoa(i%20)},
			"Idempotency-Key", "lat-"+call)
		if err != nil || code != http.StatusCreated {
			return nil, fmt.Errorf("create: %v HTTP %d %s", err, code, body)
		}
		var s payment.Session
		if err := json.Unmarshal(body, &s); err != nil {
			return nil, err
		}
		// Pair as the SIP layer does when a call carries the reference (not with call_id at
		// creation: a random call reference colliding among thousands of active sessions is
		// retried by the service only when no call_id is given).
		if _, err := b.svc.PairCall(ctx, payment.PairByCallRef, s.Pairing.CallRef, call); err != nil {
			return nil, err
		}
		if _, err := b.svc.SetSecure(ctx, tenant, s.ID, true); err != nil {
			return nil, err
		}
		st, err := b.follow(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		all[i] = sess{s.ID, call, st}
	}
	time.Sleep(500 * time.Millisecond) // streams have sent their history
	var mu sync.Mutex
	var lat, commit []time.Duration
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for i, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * interval / time.Duration(n)) // spread the sessions over one interval
			last, gid, err := b.lastSeq(ctx, tenant, s.id, 0)
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			for k := 0; k < len(keys); k++ {
				t0 := time.Now()
				err := b.svc.Digit(ctx, s.call, keys[k], payment.Source{Side: payment.SideCustomer, Transport: payment.TransportRFC4733})
				t1 := time.Now()
				if errors.Is(err, payment.ErrIgnored) {
					continue // '#' after a full-length card number
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				seq, g, err := b.lastSeq(ctx, tenant, s.id, gid)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				if seq > last {
					gid = g
					at, err := s.st.wait(ctx, seq)
					if err != nil {
						firstErr.CompareAndSwap(nil, fmt.Errorf("session %s: %w", s.id, err))
						return
					}
					mu.Lock()
					lat = append(lat, at.Sub(t0))
					commit = append(commit, t1.Sub(t0))
					mu.Unlock()
					last = seq
				}
				time.Sleep(interval)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, err
	}
	if len(lat) == 0 {
		return nil, errors.New("no latency measured")
	}
	slices.Sort(commit)
	fmt.Printf("  of which payment.Service.Digit (capture + store commit): p50 %s p99 %s\n",
		commit[len(commit)/2].Round(10*time.Microsecond), commit[len(commit)*99/100].Round(10*time.Microsecond))
	return lat, nil
}

// lastSeq returns the newest event seq of a session and its global id; afterID is a lower
// bound on the global id. It reads the raw rows (no decoding) to keep the measuring cheap.
func (b *bench) lastSeq(ctx context.Context, tenant, id string, afterID int64) (seq, gid int64, err error) {
	evs, err := b.store.EventsAfter(ctx, store.EventFilter{TenantID: tenant, SessionID: id}, afterID, 0)
	if err != nil || len(evs) == 0 {
		return 0, afterID, err
	}
	last := evs[len(evs)-1]
	return last.Seq, last.ID, nil
}

// pgSchema creates a throw-away schema in the database at dsn and returns a DSN that uses
// it, with a function that drops it.
func pgSchema(ctx context.Context, dsn string) (string, func(), error) {
	if dsn == "" {
		return "", nil, errors.New("postgres needs -dsn")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	schema := fmt.Sprintf("hushpay_bench_%d", time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		return "", nil, err
	}
	u, err := url.Parse(dsn)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		_, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		db.Close()
	}, nil
}
