package sandbox_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
)

// TestServerDropsSlowBodies: the server the commands run (Sandbox.Server) gives
// a request Config.ReadTimeout for its body too, not only for its headers. The
// API and the checkout are open to anyone, also beyond loopback with
// SANDBOX_PUBLIC=1, and a body sent a byte a second held its connection and
// goroutine for as long as the sender liked.
func TestServerDropsSlowBodies(t *testing.T) {
	env := sandboxtest.Start(t, func(c *sandbox.Config) { c.ReadTimeout = 300 * time.Millisecond })
	srv := env.Sandbox.Server()
	if srv.ReadHeaderTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("server: ReadHeaderTimeout %v, IdleTimeout %v; want both set", srv.ReadHeaderTimeout, srv.IdleTimeout)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/1 HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", ln.Addr())
	start := time.Now()
	done := make(chan struct{})
	go func() { // a byte every 50ms: the body would take 50s
		defer close(done)
		for time.Since(start) < 5*time.Second {
			if _, err := conn.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	took := time.Since(start)
	if err == nil {
		resp.Body.Close()
	}
	if took > 2*time.Second || (err != nil && strings.Contains(err.Error(), "timeout")) {
		t.Errorf("a slow body held the connection for %v (%v); want it dropped after about 300ms", took.Round(time.Millisecond), err)
	}
	<-done
}
