package handlers

import (
	"net/http"
	"testing"
)

// TestHTTPSBaseURLMakesCookiesSecure: an https base URL is enough for Secure,
// __Host- cookies and HSTS, whatever Deps.Secure says and however the scheme is
// spelled: a deployment that named its https address and forgot the flag (or
// wrote HTTPS://, which cmd/cashier did not read as https) sent its session
// cookie over plain http too.
func TestHTTPSBaseURLMakesCookiesSecure(t *testing.T) {
	for _, base := range []string{"https://cashier.test", "HTTPS://cashier.test", "Https://cashier.test/"} {
		ta := newTestApp(t, func(s *testSetup) { s.Web.BaseURL = base })
		req := ta.client().request(http.MethodGet, "/login", nil)
		req.URL.Scheme = "https"
		res := ta.client().do(req).wantStatus(http.StatusOK)
		if len(res.Cookies) == 0 {
			t.Fatalf("base %s: GET /login set no cookie", base)
		}
		for _, c := range res.Cookies {
			if !c.Secure {
				t.Errorf("base %s: cookie %s is not Secure", base, c.Name)
			}
		}
		if c := res.cookie("__Host-" + playerCSRF.cookie); c == nil {
			t.Errorf("base %s: no __Host-%s cookie (cookies %v)", base, playerCSRF.cookie, res.Cookies)
		}
		if res.Header.Get("Strict-Transport-Security") == "" {
			t.Errorf("base %s: no HSTS", base)
		}
	}
}
