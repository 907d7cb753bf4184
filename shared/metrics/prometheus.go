// Package metrics exposes the Temporal SDK's metrics and the seed's workflow and
// activity metrics through one Prometheus registry.
package metrics

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// Handler implements client.MetricsHandler on a Prometheus registry. Prometheus needs a
// fixed label set per metric name, so the first use of a name fixes its labels: later
// uses fill missing labels with "" and drop labels it does not have.
type Handler struct {
	reg  *registry
	tags map[string]string
}

type registry struct {
	reg      prometheus.Registerer
	mu       sync.Mutex
	counters map[string]*prometheus.CounterVec
	gauges   map[string]*prometheus.GaugeVec
	timers   map[string]*prometheus.HistogramVec
	labels   map[string][]string
}

// timerBuckets cover a 1 ms task poll up to a day-long workflow, in seconds.
var timerBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600}

// NewHandler returns a handler that registers its metrics in reg.
func NewHandler(reg prometheus.Registerer) *Handler {
	return &Handler{reg: &registry{
		reg:      reg,
		counters: map[string]*prometheus.CounterVec{},
		gauges:   map[string]*prometheus.GaugeVec{},
		timers:   map[string]*prometheus.HistogramVec{},
		labels:   map[string][]string{},
	}, tags: map[string]string{}}
}

var _ client.MetricsHandler = (*Handler)(nil)

// WithTags returns a handler whose metrics carry tags on top of the current ones.
func (h *Handler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[sanitize(k)] = v
	}
	return &Handler{reg: h.reg, tags: merged}
}

// Counter returns the counter `name` with this handler's tags.
func (h *Handler) Counter(name string) client.MetricsCounter {
	name = sanitize(name)
	h.reg.mu.Lock()
	defer h.reg.mu.Unlock()
	vec, ok := h.reg.counters[name]
	if !ok {
		vec = register(h.reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help(name)}, h.reg.fix(name, h.tags)))
		h.reg.counters[name] = vec
	}
	c := vec.WithLabelValues(h.reg.values(name, h.tags)...)
	return counterFunc(func(d int64) { c.Add(float64(d)) })
}

// Gauge returns the gauge `name` with this handler's tags.
func (h *Handler) Gauge(name string) client.MetricsGauge {
	name = sanitize(name)
	h.reg.mu.Lock()
	defer h.reg.mu.Unlock()
	vec, ok := h.reg.gauges[name]
	if !ok {
		vec = register(h.reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help(name)}, h.reg.fix(name, h.tags)))
		h.reg.gauges[name] = vec
	}
	g := vec.WithLabelValues(h.reg.values(name, h.tags)...)
	return gaugeFunc(g.Set)
}

// Timer returns a histogram `name` in seconds with this handler's tags.
func (h *Handler) Timer(name string) client.MetricsTimer {
	name = sanitize(name)
	h.reg.mu.Lock()
	defer h.reg.mu.Unlock()
	vec, ok := h.reg.timers[name]
	if !ok {
		vec = register(h.reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help(name) + " (seconds)", Buckets: timerBuckets}, h.reg.fix(name, h.tags)))
		h.reg.timers[name] = vec
	}
	o := vec.WithLabelValues(h.reg.values(name, h.tags)...)
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

// register returns the collector already registered under the same name, so two
// handlers on one registry share their metrics. A clash of label sets between them
// is a programming error.
func register[C prometheus.Collector](r *registry, c C) C {
	if err := r.reg.Register(c); err != nil {
		if are, dup := err.(prometheus.AlreadyRegisteredError); dup {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

func (r *registry) fix(name string, tags map[string]string) []string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	r.labels[name] = keys
	return keys
}

func (r *registry) values(name string, tags map[string]string) []string {
	keys := r.labels[name]
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = tags[k]
	}
	return vals
}

func help(name string) string { return "Temporal metric " + name }

// sanitize maps SDK and seed names ("temporal.workflow.started") to Prometheus names.
func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == ':':
			return r
		}
		return '_'
	}, name)
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
