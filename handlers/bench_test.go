package handlers

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// BenchmarkCashierPage measures the signed-in cashier page (session, player and
// wallet from SQLite, templ) through a real listener, next to a bare Fiber handler
// returning a short string in the same run, and reports their ratio (goal: at
// least 0.5). Nothing is asserted: the figures are for reading.
func BenchmarkCashierPage(b *testing.B) {
	ta := newTestApp(b, benchLogs)
	cl, _ := ta.signedIn("anna@example.com")
	session := cl.cookie(sessionCookie)
	cashierURL := serve(b, ta.App) + "/cashier"

	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/", func(c *fiber.Ctx) error { return c.SendString("ok") })
	bareURL := serve(b, bare) + "/"

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	get := func(url string, cookie *http.Cookie) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d", url, resp.StatusCode)
		}
	}
	get(cashierURL, session) // warm up both, and check the page is really served
	get(bareURL, nil)

	var pageTime, bareTime time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		get(cashierURL, session)
		mid := time.Now()
		get(bareURL, nil)
		pageTime, bareTime = pageTime+mid.Sub(start), bareTime+time.Since(mid)
	}
	n := float64(b.N)
	pageRate, bareRate := n/pageTime.Seconds(), n/bareTime.Seconds()
	b.ReportMetric(pageRate, "page-req/s")
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(pageRate/bareRate, "ratio")
}

// benchLogs is the page benchmarks' option: the app logs at Info, production's
// default level, where a page served is not a line of the log (logRequests).
func benchLogs(s *testSetup) { s.LogLevel.Set(slog.LevelInfo) }

// serve runs app on a new 127.0.0.1 listener until the benchmark ends and returns
// its base URL.
func serve(tb testing.TB, app *fiber.App) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	tb.Cleanup(func() { _ = app.Shutdown(); ln.Close() })
	return "http://" + ln.Addr().String()
}

// BenchmarkCashierPageConcurrent measures the signed-in cashier page under load:
// 32 players, each signed in with a session of their own, ask for it over a real
// listener one request after another, all at once, until b.N pages are served.
// It reports the median and the 99th percentile of the pages' latencies (goal:
// p99 under 10 ms) and the pages served per second. Nothing is asserted.
func BenchmarkCashierPageConcurrent(b *testing.B) {
	const players = 32
	ta := newTestApp(b, benchLogs, func(s *testSetup) { s.Web.LoginLimit = 2 * players }) // all sign in from 127.0.0.1
	sessions := make([]*http.Cookie, players)
	for i := range sessions {
		cl, _ := ta.signedIn(fmt.Sprintf("player%d@example.com", i))
		sessions[i] = cl.cookie(sessionCookie)
	}
	url := serve(b, ta.App) + "/cashier"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: players}}
	get := func(session *http.Cookie) error {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.AddCookie(session)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
		}
		return nil
	}
	for _, s := range sessions { // warm up: a connection each, and every page really served
		if err := get(s); err != nil {
			b.Fatal(err)
		}
	}

	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, players)
	b.ResetTimer()
	start := time.Now()
	for _, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				if err := get(s); err != nil {
					errs <- err
					return
				}
				latencies[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	slices.Sort(latencies)
	ms := func(q float64) float64 {
		return float64(latencies[min(int(q*float64(len(latencies))), len(latencies)-1)]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}
