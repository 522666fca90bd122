package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/store"
	"github.com/hushpay/hushpay/internal/store/storetest"
)

// Two nodes share one PostgreSQL database: a session created and keyed on node A (where its
// call's media is) streams live on node B, for its session stream and its agent's stream,
// and resumes there with Last-Event-ID.
func TestStreamsAcrossNodes(t *testing.T) {
	_, dsn := storetest.Postgres(t)
	var nodes []*env
	for range 2 {
		st, err := store.Open(context.Background(), store.Options{Driver: store.DriverPostgres, DSN: dsn, PollInterval: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		nodes = append(nodes, newEnv(t, storetest.Backend{Name: store.DriverPostgres, Store: st, Where: dsn}))
	}
	a, b := nodes[0], nodes[1]
	b.keys = a.keys // one database: node A's tenant and keys work on node B
	sess := a.createSession(a.keys["write"], "nodes-1", "call-nodes-1", 700)
	onB := b.openStream("/v1/sessions/"+sess.ID+"/events", b.keys["read"], "")
	agentOnB := b.openStream("/v1/agents/agent-7/events", b.keys["read"], "")
	onB.until(t, "session.created")
	start := time.Now()
	a.keyCard(sess, "call-nodes-1", "5555555555554444", "123")
	got := onB.until(t, "capture.complete")
	agentOnB.until(t, "capture.complete")
	// LISTEN/NOTIFY, not the 5 s poll, brought them.
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("events reached the other node after %s: the poll, not NOTIFY", d)
	}
	mid := got[len(got)/2]
	resumed := b.openStream("/v1/sessions/"+sess.ID+"/events", b.keys["read"], mid.id)
	if ev := resumed.until(t, "capture.complete"); ev[0].data.Seq != mid.data.Seq+1 {
		t.Fatalf("resumed on node B at seq %d, want %d", ev[0].data.Seq, mid.data.Seq+1)
	}
}
