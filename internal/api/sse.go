package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hushpay/hushpay/internal/store"
)

// StreamEvent is the data of one Server-sent event: a session change with masked data only.
// Its SSE id is GlobalSeq.
type StreamEvent struct {
	Seq       int64           `json:"seq"`
	GlobalSeq int64           `json:"global_seq"`
	SessionID string          `json:"session_id"`
	AgentID   string          `json:"agent_id,omitempty"`
	Type      string          `json:"type"`
	Data      json.RawMessage `json:"data"`
	Time      time.Time       `json:"time"`
}

// handleSessionEvents streams one session's events: from the start of the session, or
// after Last-Event-ID.
func (s *Server) handleSessionEvents(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	id := r.PathValue("id")
	if _, err := s.store.GetSession(r.Context(), p.TenantID, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.stream(w, r, store.EventFilter{TenantID: p.TenantID, SessionID: id}, true)
}

// handleAgentEvents streams the events of one agent's sessions, from now or after
// Last-Event-ID.
func (s *Server) handleAgentEvents(w http.ResponseWriter, r *http.Request) {
	agent := r.PathValue("agent")
	if err := validID("agent", agent); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.stream(w, r, store.EventFilter{TenantID: principal(r).TenantID, AgentID: agent}, false)
}

// handleTenantEvents streams every session event of the caller's tenant, from now or after
// Last-Event-ID.
func (s *Server) handleTenantEvents(w http.ResponseWriter, r *http.Request) {
	s.stream(w, r, store.EventFilter{TenantID: principal(r).TenantID}, false)
}

// lastEventID reads the resume point: the Last-Event-ID header (RFC: HTML Living Standard
// §9.2 server-sent events) or, for clients that cannot set headers, ?last_event_id=.
func lastEventID(r *http.Request) (int64, bool, error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("last_event_id")
	}
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, false, errf(http.StatusBadRequest, CodeInvalidRequest, "Last-Event-ID must be an event id (a non-negative integer)")
	}
	return n, true, nil
}

// stream serves a Server-sent event stream for filter: history after the resume point,
// then live events, with keep-alive comments while idle.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, f store.EventFilter, fromStart bool) {
	ctx := r.Context()
	after, resume, err := lastEventID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	sub, live, err := s.hub.subscribe(ctx, f)
	if err != nil {
		return
	}
	defer s.hub.unsubscribe(sub)
	if !resume && !fromStart {
		after = live
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	var buf bytes.Buffer
	// Tell the browser how long to wait before reconnecting.
	buf.WriteString("retry: 2000\n\n")
	// History: everything after the resume point that is already stored.
	for {
		evs, err := s.store.EventsAfter(ctx, f, after, 500)
		if err != nil {
			return
		}
		for i := range evs {
			writeEvent(&buf, &evs[i])
			after = evs[i].ID
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return
		}
		buf.Reset()
		s.metrics.events.Add(float64(len(evs)))
		if len(evs) < 500 {
			break
		}
	}
	if err := rc.Flush(); err != nil {
		return
	}
	n := 0 // events in the next write, for the metric
	keep := time.NewTicker(s.opts.SSEKeepalive)
	defer keep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.ch:
			if !ok {
				return // fell behind or shutting down: the client resumes with Last-Event-ID
			}
			if e.ID <= after {
				continue
			}
			writeEvent(&buf, &e)
			after = e.ID
			n++
			// Send whatever else is already queued in the same write.
			for drained := false; !drained; {
				select {
				case e2, ok := <-sub.ch:
					if !ok {
						drained = true
						break
					}
					if e2.ID > after {
						writeEvent(&buf, &e2)
						after = e2.ID
						n++
					}
				default:
					drained = true
				}
			}
		case <-keep.C:
			buf.WriteString(": keepalive\n\n")
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return
		}
		buf.Reset()
		if err := rc.Flush(); err != nil {
			return
		}
		s.metrics.events.Add(float64(n))
		n = 0
	}
}

// writeEvent appends one event in text/event-stream framing. The JSON has no newline, so
// it fits one data line.
func writeEvent(buf *bytes.Buffer, e *store.Event) {
	b, err := json.Marshal(StreamEvent{Seq: e.Seq, GlobalSeq: e.ID, SessionID: e.SessionID, AgentID: e.AgentID,
		Type: e.Type, Data: e.Data, Time: e.CreatedAt})
	if err != nil {
		return
	}
	buf.WriteString("id: ")
	buf.WriteString(strconv.FormatInt(e.ID, 10))
	buf.WriteString("\nevent: ")
	buf.WriteString(e.Type)
	buf.WriteString("\ndata: ")
	buf.Write(b)
	buf.WriteString("\n\n")
}
