package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hushpay/hushpay/internal/store"
)

// subBuffer is how many events a stream may fall behind before it is closed (the client
// then reconnects with Last-Event-ID and loses nothing).
const subBuffer = 1024

// hub follows the store's event log and fans new events out to the open streams of this
// node. One reader serves every stream: a new event costs one query, not one per stream.
// Events written by other nodes arrive the same way (the store wakes the hub on NOTIFY or
// poll), so a dashboard on any node sees every session.
type hub struct {
	store   *store.Store
	log     *slog.Logger
	metrics *metrics

	mu   sync.Mutex
	subs map[*sub]struct{}
	last int64 // id of the last event dispatched
	up   chan struct{}
}

// sub is one open stream's subscription.
type sub struct {
	filter store.EventFilter
	ch     chan store.Event
	closed bool // set under hub.mu when ch was closed because the reader fell behind
}

func newHub(s *store.Store, log *slog.Logger, m *metrics) *hub {
	return &hub{store: s, log: log, metrics: m, subs: map[*sub]struct{}{}, up: make(chan struct{})}
}

// run dispatches events until ctx ends.
func (h *hub) run(ctx context.Context) error {
	last, err := h.store.LastEventID(ctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.last = last
	close(h.up)
	h.mu.Unlock()
	for {
		changed := h.store.EventsChanged()
		if err := h.dispatchNew(ctx); err != nil && ctx.Err() == nil {
			h.log.Warn("api: event hub", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
		select {
		case <-ctx.Done():
			h.closeAll()
			return nil
		case <-changed:
		}
	}
}

func (h *hub) dispatchNew(ctx context.Context) error {
	for {
		h.mu.Lock()
		after := h.last
		h.mu.Unlock()
		evs, err := h.store.EventsAfter(ctx, store.EventFilter{}, after, 1000)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		h.mu.Lock()
		for i := range evs {
			e := &evs[i]
			for s := range h.subs {
				if s.closed || !s.filter.Match(e) {
					continue
				}
				select {
				case s.ch <- *e:
				default:
					s.closed = true
					close(s.ch)
					delete(h.subs, s)
					h.metrics.dropped.Inc()
				}
			}
			h.last = e.ID
		}
		h.mu.Unlock()
	}
}

// subscribe registers a stream and returns it with the id of the last event already
// dispatched: everything after that id will arrive on the channel. It waits until the hub
// has started.
func (h *hub) subscribe(ctx context.Context, f store.EventFilter) (*sub, int64, error) {
	select {
	case <-h.up:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	s := &sub{filter: f, ch: make(chan store.Event, subBuffer)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	last := h.last
	h.mu.Unlock()
	return s, last, nil
}

func (h *hub) unsubscribe(s *sub) {
	h.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.ch)
		delete(h.subs, s)
	}
	h.mu.Unlock()
}

func (h *hub) closeAll() {
	h.mu.Lock()
	for s := range h.subs {
		s.closed = true
		close(s.ch)
	}
	h.subs = map[*sub]struct{}{}
	h.mu.Unlock()
}
