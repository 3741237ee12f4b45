// Package metrics measures the cashier for Prometheus: HTTP requests, Trustly's
// notifications and API calls, orders by kind and status, background jobs and
// retries. A Registry holds its own series (never Prometheus's global registry),
// so tests, and several apps in one process, do not share counters. Its Handler
// serves them on the metrics listen address (CASHIER_METRICS_ADDR), never on the
// cashier's public one.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/trustly-cashier/cashier/cashier"
)

// Registry is the cashier's Prometheus series. It implements cashier.Metrics. A
// nil *Registry measures nothing, so callers need not check.
type Registry struct {
	reg *prometheus.Registry

	httpRequests  *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	notifications *prometheus.HistogramVec
	apiCalls      *prometheus.HistogramVec
	janitorRuns   *prometheus.CounterVec
	janitorTime   *prometheus.HistogramVec
	retries       *prometheus.CounterVec
	payoutResumes *prometheus.CounterVec
	orders        *orderCollector // WatchOrders'
}

var _ cashier.Metrics = (*Registry)(nil)

// Series names, for dashboards and tests.
const (
	HTTPRequests   = "cashier_http_requests_total"
	HTTPDuration   = "cashier_http_request_duration_seconds"
	Notifications  = "cashier_notifications_seconds"
	APICalls       = "cashier_trustly_api_calls_seconds"
	Orders         = "cashier_orders"
	JanitorRuns    = "cashier_janitor_runs_total"
	JanitorSeconds = "cashier_janitor_run_seconds"
	Retries        = "cashier_retries_total"
	PayoutResumes  = "cashier_payout_resumes_total"
)

// New returns a Registry with the Go runtime's and the process's own series too.
func New() *Registry {
	r := &Registry{reg: prometheus.NewRegistry()}
	buckets := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	r.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: HTTPRequests,
		Help: "HTTP requests answered, by method, route pattern and status."}, []string{"method", "route", "status"})
	r.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: HTTPDuration,
		Help: "Time to answer an HTTP request, by method and route pattern.", Buckets: buckets}, []string{"method", "route"})
	r.notifications = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: Notifications,
		Help:    "Trustly notifications handled, with their latency, by method and outcome (applied, redelivered, refused, failed).",
		Buckets: buckets}, []string{"method", "outcome"})
	r.apiCalls = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: APICalls,
		Help:    "Calls to Trustly's API, with their latency, by method and error code (ok, Trustly's code, refused, invalid, unknown).",
		Buckets: buckets}, []string{"method", "error_code"})
	r.janitorRuns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: JanitorRuns,
		Help: "Runs of background jobs, by job and outcome (ok, error)."}, []string{"job", "outcome"})
	r.janitorTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: JanitorSeconds,
		Help: "Duration of background job runs, by job.", Buckets: buckets}, []string{"job"})
	r.retries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: Retries,
		Help: "Retries of work whose earlier attempt failed or had no known outcome, by what was retried."}, []string{"what"})
	r.payoutResumes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: PayoutResumes,
		Help: "Payouts resent under their MessageID after an unknown outcome, by the payout's status afterwards."}, []string{"outcome"})
	r.reg.MustRegister(r.httpRequests, r.httpDuration, r.notifications, r.apiCalls, r.janitorRuns, r.janitorTime,
		r.retries, r.payoutResumes, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves the series in Prometheus's text format. A series that cannot be
// collected (the orders gauge while the database is down) is left out, and the
// others are still served.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg, ErrorHandling: promhttp.ContinueOnError})
}

// Request counts one HTTP request: route is the route pattern ("/payouts/:id"),
// never the path as it came, so the series stay few.
func (r *Registry) Request(method, route string, status int, took time.Duration) {
	if r == nil {
		return
	}
	r.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	r.httpDuration.WithLabelValues(method, route).Observe(took.Seconds())
}

// APICall implements cashier.Metrics.
func (r *Registry) APICall(method string, took time.Duration, outcome string) {
	if r == nil {
		return
	}
	r.apiCalls.WithLabelValues(method, outcome).Observe(took.Seconds())
}

// Notification implements cashier.Metrics.
func (r *Registry) Notification(method, outcome string, took time.Duration) {
	if r == nil {
		return
	}
	r.notifications.WithLabelValues(method, outcome).Observe(took.Seconds())
}

// JanitorRun implements cashier.Metrics.
func (r *Registry) JanitorRun(job string, took time.Duration, err error) {
	if r == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	r.janitorRuns.WithLabelValues(job, outcome).Inc()
	r.janitorTime.WithLabelValues(job).Observe(took.Seconds())
}

// Retry implements cashier.Metrics.
func (r *Registry) Retry(what string) {
	if r != nil {
		r.retries.WithLabelValues(what).Inc()
	}
}

// PayoutResume implements cashier.Metrics.
func (r *Registry) PayoutResume(outcome string) {
	if r != nil {
		r.payoutResumes.WithLabelValues(outcome).Inc()
	}
}

// OrderCounter counts orders by kind and status: cashier.Service.OrderCounts.
type OrderCounter func(ctx context.Context) ([]cashier.OrderCount, error)

// WatchOrders adds the gauge cashier_orders{kind, status}, read with count on a
// scrape and kept for ttl, so frequent scrapes cost one query per ttl. A count
// that fails leaves the gauge out of that scrape (and the error in
// promhttp_metric_handler_errors_total) rather than showing stale numbers as new.
func (r *Registry) WatchOrders(count OrderCounter, ttl time.Duration) {
	r.orders = &orderCollector{count: count, ttl: ttl, now: time.Now,
		desc: prometheus.NewDesc(Orders, "Orders by kind and status, as counted in the database (cached).",
			[]string{"kind", "status"}, nil)}
	r.reg.MustRegister(r.orders)
}

type orderCollector struct {
	count OrderCounter
	ttl   time.Duration
	now   func() time.Time
	desc  *prometheus.Desc

	mu     sync.Mutex
	at     time.Time
	counts []cashier.OrderCount
}

func (c *orderCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *orderCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil || c.now().Sub(c.at) >= c.ttl {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		counts, err := c.count(ctx)
		cancel()
		if err != nil {
			ch <- prometheus.NewInvalidMetric(c.desc, err)
			return
		}
		if counts == nil {
			counts = []cashier.OrderCount{}
		}
		c.counts, c.at = counts, c.now()
	}
	for _, n := range c.counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n.N), string(n.Kind), string(n.Status))
	}
}
