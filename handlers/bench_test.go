package handlers

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// BenchmarkCashierPage measures the signed-in cashier page (session, player and
// wallet from SQLite, templ) through a real listener, next to a bare Fiber handler
// returning a short string in the same run, and reports their ratio (goal: at
// least 0.5). Nothing is asserted: the figures are for reading.
func BenchmarkCashierPage(b *testing.B) {
	ta := newTestApp(b)
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
