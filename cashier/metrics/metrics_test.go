package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/models"
)

// scrape returns the registry's text exposition, as Prometheus reads it.
func scrape(t *testing.T, r *Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return string(b)
}

// TestSeries: the counters other parts of the cashier increment (the janitor's
// runs, retries, payout resumes) appear under their names and labels, and a nil
// Registry measures nothing without failing.
func TestSeries(t *testing.T) {
	r := New()
	r.JanitorRun("abandoned_deposits", time.Millisecond, nil)
	r.JanitorRun("abandoned_deposits", time.Millisecond, errors.New("database gone"))
	r.Retry("payout_resend")
	r.PayoutResume("sent")
	r.Request("GET", "/payouts/:id", 200, time.Millisecond)
	text := scrape(t, r)
	for _, want := range []string{
		`cashier_janitor_runs_total{job="abandoned_deposits",outcome="ok"} 1`,
		`cashier_janitor_runs_total{job="abandoned_deposits",outcome="error"} 1`,
		`cashier_janitor_run_seconds_count{job="abandoned_deposits"} 2`,
		`cashier_retries_total{what="payout_resend"} 1`,
		`cashier_payout_resumes_total{outcome="sent"} 1`,
		`cashier_http_requests_total{method="GET",route="/payouts/:id",status="200"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no %s in\n%s", want, text)
		}
	}
	var none *Registry
	none.Request("GET", "/", 200, 0)
	none.APICall("Deposit", 0, "ok")
	none.Retry("x")
}

// TestOrdersCached: the orders gauge counts once per ttl, however often it is
// scraped, and a failed count leaves it out instead of repeating old numbers.
func TestOrdersCached(t *testing.T) {
	r := New()
	calls, fail := 0, false
	r.WatchOrders(func(context.Context) ([]cashier.OrderCount, error) {
		calls++
		if fail {
			return nil, errors.New("database gone")
		}
		return []cashier.OrderCount{{Kind: models.OrderDeposit, Status: models.OrderCredited, N: 7}}, nil
	}, time.Hour)
	now := time.Now()
	r.orders.now = func() time.Time { return now }
	for range 3 {
		if text := scrape(t, r); !strings.Contains(text, `cashier_orders{kind="deposit",status="credited"} 7`) {
			t.Fatalf("no orders gauge in\n%s", text)
		}
	}
	if calls != 1 {
		t.Errorf("3 scrapes within the ttl counted %d times; want 1", calls)
	}
	now, fail = now.Add(time.Hour), true
	if text := scrape(t, r); strings.Contains(text, "cashier_orders{") || !strings.Contains(text, "go_goroutines") || calls != 2 {
		t.Errorf("after the ttl with a failing count: %d counts; want the gauge left out and the rest served:\n%s", calls, text)
	}
}
