package handlers

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
)

// tcpProxy forwards connections on a loopback port to target until stop, which
// closes the port and every connection, as a PostgreSQL server going away does.
func tcpProxy(t *testing.T, target string) (addr string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ln.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		})
	}
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

// TestReadyWhenPostgresGoesAway: a cashier whose PostgreSQL server stops
// answering (its port closed, the connections cut) is not ready: /readyz answers
// 503 "not ready" within the probe's time, while /healthz stays 200, and the
// reason goes to the log without the DATABASE_URL's password, which pgx's errors
// could carry. The body names no reason at all.
func TestReadyWhenPostgresGoesAway(t *testing.T) {
	const password = "pg-Secret-ready-0123"
	u, err := url.Parse(storetest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	addr, stop := tcpProxy(t, u.Host)
	u.Host, u.User = addr, url.UserPassword(u.User.Username(), password)
	q := u.Query()
	q.Set("connect_timeout", "1")
	u.RawQuery = q.Encode()
	db, err := store.Open(u.String(), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(db)
	ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
	cl := ta.client()
	cl.get("/readyz").wantStatus(http.StatusOK)
	stop()
	// The first probe finds its pooled connection cut, the next ones dial the
	// closed port.
	for range 3 {
		start := time.Now()
		r := cl.get("/readyz").wantStatus(http.StatusServiceUnavailable)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("/readyz took %v with the database gone; a probe wants its answer in a second or two", took)
		}
		if body := strings.TrimSpace(r.Body); body != "not ready" {
			t.Errorf("/readyz body %q; want \"not ready\" and nothing of the reason", body)
		}
	}
	cl.get("/healthz").wantStatus(http.StatusOK)
	logs := ta.Logs.String()
	if !strings.Contains(logs, `msg="not ready"`) {
		t.Errorf("not ready, but not logged why:\n%s", logs)
	}
	if !strings.Contains(logs, "connect") {
		t.Errorf("the log does not say the database could not be reached:\n%s", logs)
	}
	if strings.Contains(logs, password) {
		t.Errorf("the log shows DATABASE_URL's password:\n%s", logs)
	}
}
