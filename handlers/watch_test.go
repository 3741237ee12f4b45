package handlers

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/trustly-cashier/cashier/cashier/metrics"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// TestHealthAndReady: /healthz and /readyz answer without a session cookie;
// /readyz turns 503 when the database is gone, /healthz stays 200.
func TestHealthAndReady(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()
	for _, path := range []string{"/healthz", "/readyz"} {
		r := cl.get(path).wantStatus(http.StatusOK)
		if c := r.Header.Values("Set-Cookie"); len(c) != 0 {
			t.Errorf("%s sets cookies %q; a probe needs no session or CSRF token", path, c)
		}
	}
	if err := store.Close(ta.DB); err != nil {
		t.Fatal(err)
	}
	cl.get("/readyz").wantStatus(http.StatusServiceUnavailable)
	cl.get("/healthz").wantStatus(http.StatusOK)
	if !strings.Contains(ta.Logs.String(), `msg="not ready"`) {
		t.Errorf("a failed readiness check is not logged:\n%s", ta.Logs.String())
	}
}

// TestReadyNeedsWrites: /readyz answers ready only when the cashier can write, not
// merely read. On SQLite a database whose write lock another process holds (a
// backup tool, a stuck migration, a second cashier on the same file) reads fine
// but takes no deposit, so it is 503 within the probe's time, and ready again once
// the lock is gone; the check leaves nothing behind and holds no lock afterwards.
// On PostgreSQL a database that takes no writes (a standby after a failover,
// default_transaction_read_only) is 503.
func TestReadyNeedsWrites(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		ta := newTestApp(t)
		cl := ta.client()
		cl.get("/readyz").wantStatus(http.StatusOK)
		var path string
		if err := ta.DB.Raw("SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&path).Error; err != nil || path == "" {
			t.Fatalf("database file: %q, %v", path, err)
		}
		var before int64
		ta.DB.Raw("PRAGMA data_version").Scan(&before)
		// Another process: a connection of its own, holding the write lock.
		other, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		ctx := context.Background()
		conn, err := other.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		cl.get("/readyz").wantStatus(http.StatusServiceUnavailable)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("/readyz took %v against a locked database; a probe wants its answer in a second or two", took)
		}
		if !strings.Contains(ta.Logs.String(), `msg="not ready"`) {
			t.Errorf("not ready, but not logged why:\n%s", ta.Logs.String())
		}
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		cl.get("/readyz").wantStatus(http.StatusOK)
		// Nothing was written by the checks, and they left no lock: the other
		// process can take the write lock at once.
		var after int64
		ta.DB.Raw("PRAGMA data_version").Scan(&after)
		if after != before {
			t.Errorf("the readiness checks changed the database (data_version %d → %d)", before, after)
		}
		if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Errorf("after /readyz the write lock is still taken: %v", err)
		} else {
			conn.ExecContext(ctx, "ROLLBACK")
		}
		// The pool's connections keep their busy timeout for the money paths.
		var busy int
		if err := ta.DB.Raw("PRAGMA busy_timeout").Scan(&busy).Error; err != nil || busy != 10000 {
			t.Errorf("busy_timeout after /readyz: %d, %v; want the pool's 10000", busy, err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.PostgresDSN(t)
		db, err := store.Open(dsn, slog.Default())
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close(db)
		// The same schema, on connections that take no writes.
		ro, err := gorm.Open(postgres.Open(dsn+"&default_transaction_read_only=on"), &gorm.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close(ro)
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		ta.client().get("/readyz").wantStatus(http.StatusOK)
		ta = newTestApp(t, func(s *testSetup) { s.Cashier.DB = ro })
		ta.client().get("/readyz").wantStatus(http.StatusServiceUnavailable)
		if !strings.Contains(ta.Logs.String(), "read-only") {
			t.Errorf("not ready, but the log does not say the database is read-only:\n%s", ta.Logs.String())
		}
	})
}

// logLine is one line of the text log: its level, message and attributes.
var logLine = regexp.MustCompile(`level=(\w+) msg=("[^"]*"|\S+)(.*)`)

// logsAt returns the log lines at level whose message is msg ("" for any).
func logsAt(logs, level, msg string) []string {
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		m := logLine.FindStringSubmatch(line)
		if m != nil && m[1] == level && (msg == "" || strings.Trim(m[2], `"`) == msg) {
			out = append(out, line)
		}
	}
	return out
}

// TestRequestLogLevel: a request's line is at debug, so the default info level
// shows none; a 500 is still an error.
func TestRequestLogLevel(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	cl.get("/cashier").wantStatus(http.StatusOK)
	if got := logsAt(ta.Logs.String(), "DEBUG", "request"); len(got) < 3 { // login page, sign-in, cashier
		t.Errorf("request lines at debug: %d; want one per request:\n%s", len(got), ta.Logs.String())
	}
	if got := logsAt(ta.Logs.String(), "INFO", "request"); len(got) != 0 {
		t.Errorf("request lines at info: %q; want none", got)
	}
	if err := store.Close(ta.DB); err != nil {
		t.Fatal(err)
	}
	cl.get("/cashier").wantStatus(http.StatusInternalServerError)
	if got := logsAt(ta.Logs.String(), "ERROR", "request"); len(got) != 1 || !strings.Contains(got[0], "status=500") {
		t.Errorf("request lines at error: %q; want the one 500", got)
	}
}

// TestMetricsAfterDeposit deposits through the sandbox and scrapes the metrics
// over HTTP: requests by route pattern (never the notification token), the
// notifications by method and outcome, the Deposit API call, and the orders gauge.
// The deposit's log has exactly one info line per notification, naming the order
// and the notification, and no request at info.
func TestMetricsAfterDeposit(t *testing.T) {
	reg := metrics.New()
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxScenario": "deposit-ok"},
		Setup: func(s *testSetup) { s.Cashier.Metrics, s.Web.Metrics = reg, reg }})
	reg.WatchOrders(lv.Svc.OrderCounts, 30*time.Second)
	scrapes := httptest.NewServer(reg.Handler())
	t.Cleanup(scrapes.Close)

	cl, _ := lv.signedIn("anna@example.com")
	id := lv.startDeposit(cl, "100")
	order := lv.waitStatus(id, models.OrderCredited)
	lv.Sandbox.WaitIdle(t)

	resp, err := http.Get(scrapes.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	for _, tt := range []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{metrics.HTTPRequests, map[string]string{"method": "POST", "route": "/deposit", "status": "303"}, 1},
		{metrics.HTTPRequests, map[string]string{"method": "POST", "route": notifyPath, "status": "200"}, 3},
		{metrics.HTTPDuration, map[string]string{"method": "GET", "route": "/login"}, 1},
		{metrics.Notifications, map[string]string{"method": "credit", "outcome": "applied"}, 1},
		{metrics.Notifications, map[string]string{"method": "pending", "outcome": "applied"}, 1},
		{metrics.APICalls, map[string]string{"method": "Deposit", "error_code": "ok"}, 1},
		{metrics.Orders, map[string]string{"kind": "deposit", "status": "credited"}, 1},
	} {
		if got := sample(families[tt.name], tt.labels); got < tt.min {
			t.Errorf("%s%v = %v; want at least %v", tt.name, tt.labels, got, tt.min)
		}
	}
	for _, m := range families[metrics.HTTPRequests].GetMetric() {
		for _, l := range m.GetLabel() {
			if strings.Contains(l.GetValue(), testNotifyToken) || strings.Contains(l.GetValue(), lv.Svc.Config().NotifyToken) {
				t.Errorf("a metric label holds the notification token: %s", l.GetValue())
			}
		}
	}

	// One info line per notification, with the order and the notification.
	logs := lv.Logs.String()
	var notifications []models.Notification
	if err := lv.DB.Where("order_id = ?", order.ID).Find(&notifications).Error; err != nil || len(notifications) < 2 {
		t.Fatalf("notifications of the order: %d, %v", len(notifications), err)
	}
	for _, n := range notifications {
		var lines []string
		for _, line := range logsAt(logs, "INFO", "") {
			if strings.Contains(line, "notification_id="+n.NotificationID) {
				lines = append(lines, line)
			}
		}
		if len(lines) != 1 || !strings.Contains(lines[0], "order_id="+strconv.FormatInt(order.ID, 10)) {
			t.Errorf("%s notification %s: info lines %q; want one naming order %d", n.Method, n.NotificationID, lines, order.ID)
		}
	}
	if got := logsAt(logs, "INFO", "request"); len(got) != 0 {
		t.Errorf("request lines at info: %d; want none", len(got))
	}
}

// sample is the value of the series in family with exactly labels: a counter's or
// gauge's value, a histogram's count.
func sample(family *dto.MetricFamily, labels map[string]string) float64 {
	for _, m := range family.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return 0
}

// TestRefusedFormLogLevel: a form refused for its CSRF token is a request, and at
// info the log has none (README, "Watching it": one line per money event and none
// per request). Its "csrf check failed" line, with the reason, was at info, so
// every expired form and every scanner's POST wrote a line there; it is at debug
// now, beside the request's own line (403).
func TestRefusedFormLogLevel(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	cl.post("/logout", url.Values{csrfField: {"not-a-token"}}).wantStatus(http.StatusForbidden)
	if got := logsAt(ta.Logs.String(), "INFO", "csrf check failed"); len(got) != 0 {
		t.Errorf("csrf refusals at info: %q; want none", got)
	}
	if got := logsAt(ta.Logs.String(), "DEBUG", "csrf check failed"); len(got) != 1 || !strings.Contains(got[0], "reason=") {
		t.Errorf("csrf refusals at debug: %q; want the one, with its reason", got)
	}
}

// TestRouteOfRequestRefusedBeforeRouting: a request the middleware refuses before
// any route is reached (a form without its CSRF token, to an unknown page or a
// known one) has only the middleware's route, "/", in Fiber: its metrics series
// read route="/" as if the landing page had been posted to, and its log line named
// "/" instead of the path. The metric says "unmatched", as for an unknown page,
// and the log line the path as it came.
func TestRouteOfRequestRefusedBeforeRouting(t *testing.T) {
	reg := metrics.New()
	ta := newTestApp(t, func(s *testSetup) { s.Web.Metrics = reg })
	cl := ta.client()
	cl.get("/").wantStatus(http.StatusOK)
	for _, path := range []string{"/no-such-page", "/deposit"} {
		cl.post(path, url.Values{"amount": {"100"}}).wantStatus(http.StatusForbidden)
	}
	scrapes := httptest.NewServer(reg.Handler())
	t.Cleanup(scrapes.Close)
	resp, err := http.Get(scrapes.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := sample(families[metrics.HTTPRequests], map[string]string{"method": "POST", "route": "/", "status": "403"}); got != 0 {
		t.Errorf(`POST route="/" status 403: %v; want none (no POST to / was made)`, got)
	}
	if got := sample(families[metrics.HTTPRequests], map[string]string{"method": "POST", "route": "unmatched", "status": "403"}); got != 2 {
		t.Errorf(`POST route="unmatched" status 403: %v; want the 2 refused before routing`, got)
	}
	if got := sample(families[metrics.HTTPRequests], map[string]string{"method": "GET", "route": "/", "status": "200"}); got != 1 {
		t.Errorf(`GET route="/" status 200: %v; want the landing page's 1`, got)
	}
	logs := ta.Logs.String()
	for _, path := range []string{"/no-such-page", "/deposit"} {
		if !strings.Contains(logs, "route="+path+" ") {
			t.Errorf("no log line names the route %s:\n%s", path, logs)
		}
	}
}
