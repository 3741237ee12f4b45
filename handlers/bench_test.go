package handlers

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/valyala/fasthttp"
)

// BenchmarkCashierPage measures the signed-in cashier page (session, player and
// wallet from SQLite, templ) through a real listener, next to a bare Fiber handler
// returning a short string in the same run, and reports their ratio (goal: at
// least 0.5). Nothing is asserted: the figures are for reading.
func BenchmarkCashierPage(b *testing.B) {
	ta := newTestApp(b, benchLogs)
	cl, _ := ta.signedIn("anna@example.com")
	pageRate, bareRate := againstBare(b, ta.App, cl.cookie(sessionCookie))
	b.ReportMetric(pageRate, "page-req/s")
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(pageRate/bareRate, "ratio")
}

// BenchmarkCashierPageCeiling is BenchmarkCashierPage's ceiling: the same signed-in
// request through the same middleware (request id, log, recovery, security
// headers, canonical host, session, CSRF token) and the same player check
// (requirePlayer reads the player on every request), to a handler that writes a
// short string instead of the page, divided by the same bare Fiber handler. The
// cashier page's ratio cannot be above it: what is left for the page's own work
// (its read transaction and templ) is the difference.
func BenchmarkCashierPageCeiling(b *testing.B) {
	ta := newTestApp(b, benchLogs)
	cl, _ := ta.signedIn("anna@example.com")
	ceiling := newApp(ta.Deps, func(app *fiber.App, svc *cashier.Service, mw *middleware) {
		app.Use(mw.session, mw.csrf) // as routes does for every browser route
		app.Get("/cashier", requirePlayer(svc), func(c *fiber.Ctx) error { return c.SendString("ok") })
	})
	ceilingRate, bareRate := againstBare(b, ceiling, cl.cookie(sessionCookie))
	b.ReportMetric(ceilingRate, "ceiling-req/s")
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(ceilingRate/bareRate, "ratio")
}

// againstBare serves app on a real listener and asks for its /cashier with the
// session cookie, one request at a time, alternating with a bare Fiber handler
// that returns a short string, b.N times each, and returns both rates
// (requests/s). Both must answer 200, checked before the timer starts.
func againstBare(b *testing.B, app *fiber.App, session *http.Cookie) (appRate, bareRate float64) {
	base := serve(b, app)
	appURL := base + "/cashier"
	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/", func(c *fiber.Ctx) error { return c.SendString("ok") })
	bareURL := serve(b, bare) + "/"

	client := cookieBrowser(b, base, session, &http.Transport{MaxIdleConnsPerHost: 4})
	get := func(url string) {
		if err := fetch(client, url); err != nil {
			b.Fatal(err)
		}
	}
	get(appURL) // warm up both, and check the page is really served
	get(bareURL)

	var appTime, bareTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		get(appURL)
		mid := time.Now()
		get(bareURL)
		appTime, bareTime = appTime+mid.Sub(start), bareTime+time.Since(mid)
	}
	n := float64(b.N)
	return n / appTime.Seconds(), n / bareTime.Seconds()
}

// cookieBrowser is an HTTP client for the app at base that keeps cookies as a browser
// does, starting with session: the cookies a page sets (the CSRF token, the
// session's reality-check times) go back with the next request, instead of being
// set anew on each.
func cookieBrowser(tb testing.TB, base string, session *http.Cookie, transport http.RoundTripper) *http.Client {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	jar.SetCookies(u, []*http.Cookie{{Name: session.Name, Value: session.Value, Path: "/"}})
	return &http.Client{Jar: jar, Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// fetch GETs url with client and reads the whole page, which must be a 200.
func fetch(client *http.Client, url string) error {
	resp, err := client.Get(url)
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

// fastBrowser is one player's browser on a fasthttp client: it sends its cookies
// with every request and keeps those a page sets or removes.
type fastBrowser struct {
	host    *fasthttp.HostClient
	url     string
	cookies map[string]string
}

// get asks for the page, reads it whole and keeps its cookies; it must be a 200.
func (f *fastBrowser) get() error {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(f.url)
	for name, value := range f.cookies {
		req.Header.SetCookie(name, value)
	}
	if err := f.host.Do(req, resp); err != nil {
		return err
	}
	if resp.StatusCode() != http.StatusOK {
		return fmt.Errorf("GET %s: %d", f.url, resp.StatusCode())
	}
	var failed error
	resp.Header.VisitAllCookie(func(_, raw []byte) {
		c := fasthttp.AcquireCookie()
		defer fasthttp.ReleaseCookie(c)
		if err := c.ParseBytes(raw); err != nil {
			failed = err
			return
		}
		if c.MaxAge() < 0 || len(c.Value()) == 0 || !c.Expire().IsZero() && c.Expire().Before(time.Now()) {
			delete(f.cookies, string(c.Key()))
			return
		}
		f.cookies[string(c.Key())] = string(c.Value())
	})
	return failed
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
	base := serve(b, ta.App)
	// The load comes from fasthttp's client, which takes less of the machine's
	// CPU than net/http's: the players' browsers are not on the server's cores.
	host := &fasthttp.HostClient{Addr: strings.TrimPrefix(base, "http://"), MaxConns: 2 * players}
	clients := make([]*fastBrowser, players)
	for i, s := range sessions { // warm up: a connection each, and every page really served
		clients[i] = &fastBrowser{host: host, url: base + "/cashier", cookies: map[string]string{s.Name: s.Value}}
		if err := clients[i].get(); err != nil {
			b.Fatal(err)
		}
	}

	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, players)
	b.ResetTimer()
	start := time.Now()
	for _, client := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				if err := client.get(); err != nil {
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
