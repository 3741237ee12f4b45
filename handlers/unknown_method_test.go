package handlers

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestUnknownMethodFramed: a request with a method Fiber does not know (WebDAV's
// PROPFIND, a made-up BREW) is refused with 400 as before, but as every other
// refusal: the site's error page, with the Content-Security-Policy, X-Frame-Options
// and the other security headers, and no cache. Fiber answered it before any
// middleware ran, with a bare "Invalid http method" and none of them.
func TestUnknownMethodFramed(t *testing.T) {
	ta := newTestApp(t)
	addr := strings.TrimPrefix(serve(t, ta.App), "http://")
	for _, method := range []string{"PROPFIND", "BREW", "get"} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(conn, method+" /login HTTP/1.1\r\nHost: cashier.test\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		body, _ := io.ReadAll(resp.Body)
		conn.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<html") {
			t.Errorf("%s /login: status %d, HTML %t; want 400, the site's error page", method, resp.StatusCode, strings.Contains(string(body), "<html"))
		}
		for name, want := range map[string]string{
			"X-Frame-Options":        "SAMEORIGIN",
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "strict-origin-when-cross-origin",
			"Cache-Control":          "no-store",
		} {
			if got := resp.Header.Get(name); got != want {
				t.Errorf("%s /login: %s = %q; want %q", method, name, got, want)
			}
		}
		if got := resp.Header.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'self'") {
			t.Errorf("%s /login: Content-Security-Policy = %q; want the site's policy", method, got)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s /login: no X-Request-ID", method)
		}
	}
}
