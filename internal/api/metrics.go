package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the API's Prometheus series. Labels are the route pattern and the status
// class only (bounded), never an identifier, an amount or anything a caller typed.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	streams  prometheus.Gauge
	events   prometheus.Counter
	dropped  prometheus.Counter
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hushpay_http_requests_total", Help: "API requests by route and status class.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hushpay_http_request_duration_seconds", Help: "API request duration by route (SSE streams excluded).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hushpay_sse_streams", Help: "Server-sent event streams open on this node.",
		}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hushpay_sse_events_total", Help: "Session events sent on Server-sent event streams.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hushpay_sse_slow_subscribers_total", Help: "Event streams closed because the client read too slowly (it resumes with Last-Event-ID).",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.streams, m.events, m.dropped)
	return m
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status/100)+"xx").Inc()
	if d < time.Minute { // long-lived streams would only skew the histogram
		m.duration.WithLabelValues(route).Observe(d.Seconds())
	}
}

// Register adds more collectors (the webhook dispatcher's, the media layer's) to /metrics.
func (s *Server) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := s.metrics.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}
