package loadgen

import (
	"context"
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"testing"
	"time"
)

// TestRunAgainstInProcessRelay runs the whole bench path briefly: a relay serving a few
// secure calls, the generator driving them in real time, and the relay's report. Timing is
// not asserted (benchmarks are not tests); only that packets flowed and digits were
// captured under masking.
func TestRunAgainstInProcessRelay(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	errc := make(chan error, 1)
	go func() { errc <- ServeRelay(ctx, 4, 45000, 45099, inR, outW); outW.Close() }()
	dec := json.NewDecoder(outR)
	var hello relayHello
	if err := dec.Decode(&hello); err != nil {
		t.Fatal(err)
	}
	lo := netip.MustParseAddr("127.0.0.1")
	var eps []Endpoint
	for _, c := range hello.Calls {
		eps = append(eps, Endpoint{Customer: netip.AddrPortFrom(lo, c[0]), Agent: netip.AddrPortFrom(lo, c[1])})
	}
	g, err := New(Config{Calls: len(eps), Duration: time.Second, Warmup: 300 * time.Millisecond, DigitsEvery: 600 * time.Millisecond, Sockets: 2, PID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := g.Run(ctx, eps)
	if err != nil {
		t.Fatal(err)
	}
	inW.Close()
	var st RelayStats
	if err := dec.Decode(&st); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	t.Logf("%s; relay %+v", res, st)
	if res.Sent == 0 || res.Received == 0 || res.Received > res.Sent {
		t.Fatalf("sent %d received %d", res.Sent, res.Received)
	}
	if st.Digits == 0 || st.LateMarks != 0 {
		t.Fatalf("relay stats %+v", st)
	}
}
