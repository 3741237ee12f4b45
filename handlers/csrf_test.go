package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/lang"
)

// plantCSRF puts token into cl's CSRF cookie of scope, as an attacker who can set
// cookies for the site (a sibling subdomain) would.
func plantCSRF(cl *testClient, scope csrfScope, token string) {
	u := cl.base.ResolveReference(&url.URL{Path: scope.path})
	cl.Jar.SetCookies(u, []*http.Cookie{{Name: scope.cookie, Value: token, Path: scope.path}})
}

// postWithHeader posts form with token in the X-CSRF-Token header, as a script does.
func postWithHeader(cl *testClient, path, token string, form url.Values) *testResponse {
	cl.t.Helper()
	req := cl.request(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(csrfHeader, token)
	return cl.do(req)
}

// TestCSRFTokenBoundToSession: a token and its cookie taken from one browser's
// session are refused with any other session, even when an attacker can set both
// cookies in the victim's browser: no forged sign-out of a signed-in player, no
// sign-in as the attacker (login CSRF). In its own session the token works, as a
// form field and in the X-CSRF-Token header.
func TestCSRFTokenBoundToSession(t *testing.T) {
	ta := newTestApp(t)
	ta.player("anna@example.com")
	ta.player("eve@example.com")
	eve := ta.client()
	eve.signIn("eve@example.com", testPassword)
	for name, attacker := range map[string]*testClient{"signed in": eve, "anonymous": ta.client()} {
		token := attacker.csrf()

		victim := ta.client()
		victim.signIn("anna@example.com", testPassword)
		plantCSRF(victim, playerCSRF, token)
		victim.post("/logout", url.Values{csrfField: {token}}).wantStatus(http.StatusForbidden)
		postWithHeader(victim, "/logout", token, nil).wantStatus(http.StatusForbidden)
		victim.get("/cashier").wantStatus(http.StatusOK)

		visitor := ta.client()
		visitor.get("/login").wantStatus(http.StatusOK)
		plantCSRF(visitor, playerCSRF, token)
		visitor.post("/login", url.Values{"email": {"eve@example.com"}, "password": {testPassword}, csrfField: {token}}).
			wantStatus(http.StatusForbidden)
		if s := sessionOf(t, ta, visitor); s.PlayerID != 0 {
			t.Errorf("%s attacker: the visitor is signed in as player %d with the attacker's token", name, s.PlayerID)
		}

		// The attacker's own browser still takes it.
		if name == "signed in" {
			postWithHeader(attacker, "/logout", token, nil).wantRedirect("/login")
		} else {
			attacker.post("/login", url.Values{"email": {"eve@example.com"}, "password": {testPassword}, csrfField: {token}}).
				wantRedirect("/cashier")
		}
	}
}

// TestCSRFTokenRenewedAtSignIn: signing in starts a new session, so the token of
// the sign-in page no longer works for a signed-in form; the sign-in's answer
// carries a new token, and the page after it shows that token in its forms.
func TestCSRFTokenRenewedAtSignIn(t *testing.T) {
	ta := newTestApp(t)
	ta.player("anna@example.com")
	cl := ta.client()
	before := cl.get("/login").wantStatus(http.StatusOK).forms()["/login"]
	r := cl.post("/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword}, csrfField: {before}}).
		wantRedirect("/cashier")
	renewed := r.cookie(playerCSRF.cookie)
	if renewed == nil || renewed.Value == "" || renewed.Value == before {
		t.Fatalf("the sign-in's CSRF cookie %v; want a new token", renewed)
	}
	if got := cl.get("/cashier").wantStatus(http.StatusOK).forms()["/logout"]; got != renewed.Value {
		t.Errorf("the cashier page's logout token %q; want the sign-in's %q", got, renewed.Value)
	}

	plantCSRF(cl, playerCSRF, before)
	cl.post("/logout", url.Values{csrfField: {before}}).wantStatus(http.StatusForbidden)
	cl.get("/cashier").wantStatus(http.StatusOK)
	page := cl.get("/cashier").wantStatus(http.StatusOK) // the token the error page gave
	cl.post("/logout", url.Values{csrfField: {page.forms()["/logout"]}}).wantRedirect("/login")
}

// TestCSRFTokenAfterPayNPlaySignIn: a browser signed in by its Pay N Play order
// on the return page gets a token of its new session: the landing page's token is
// refused, the cashier page's form works.
func TestCSRFTokenAfterPayNPlaySignIn(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "")
	before := cl.csrf()
	lv.waitDecision(id)
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantRedirect("/cashier")
	token := cl.get("/cashier").wantStatus(http.StatusOK).forms()["/logout"]
	if token == "" || token == before {
		t.Fatalf("the cashier page's logout token %q; want a new one (before: %q)", token, before)
	}
	plantCSRF(cl, playerCSRF, before)
	cl.post("/logout", url.Values{csrfField: {before}}).wantStatus(http.StatusForbidden)
	plantCSRF(cl, playerCSRF, token)
	cl.post("/logout", url.Values{csrfField: {token}}).wantRedirect("/")
}

// TestStaffCSRFTokenBoundToSession: the back office's tokens are bound to the
// staff session: another member's token and cookie are refused, and so is the
// sign-in page's token once signed in; a player's token is no back-office token.
// The sign-in's answer and the pages after it carry a token that works.
func TestStaffCSRFTokenBoundToSession(t *testing.T) {
	ta := newTestApp(t)
	owner, _ := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
	op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)

	token := op.csrfFor("/admin/logout")
	plantCSRF(owner, staffCSRF, token)
	owner.post("/admin/logout", url.Values{csrfField: {token}}).wantStatus(http.StatusForbidden)
	postWithHeader(owner, "/admin/logout", token, nil).wantStatus(http.StatusForbidden)
	owner.get("/admin").wantStatus(http.StatusOK)
	owner.post("/admin/logout", url.Values{csrfField: {owner.csrf()}}).wantStatus(http.StatusForbidden)
	owner.get("/admin").wantStatus(http.StatusOK)

	ta.staff("fin@example.com", staff.RoleFinance)
	cl := ta.client()
	before := cl.get("/admin/login").wantStatus(http.StatusOK).forms()["/admin/login"]
	r := cl.post("/admin/login", url.Values{"email": {"fin@example.com"}, "password": {testPassword}, csrfField: {before}}).
		wantRedirect("/admin")
	renewed := r.cookie(staffCSRF.cookie)
	if renewed == nil || renewed.Value == "" || renewed.Value == before {
		t.Fatalf("the staff sign-in's CSRF cookie %v; want a new token", renewed)
	}
	page := cl.get("/admin").wantStatus(http.StatusOK)
	if got := page.forms()["/admin/logout"]; got != renewed.Value {
		t.Errorf("the back office's logout token %q; want the sign-in's %q", got, renewed.Value)
	}
	plantCSRF(cl, staffCSRF, before)
	cl.post("/admin/logout", url.Values{csrfField: {before}}).wantStatus(http.StatusForbidden)
	cl.get("/admin").wantStatus(http.StatusOK)
	plantCSRF(cl, staffCSRF, renewed.Value)
	postWithHeader(cl, "/admin/logout", renewed.Value, nil).wantRedirect("/admin/login")
}

// TestFormFromBeforeSigningInAgain: a form loaded before the player signed in
// again (in another tab, after signing out there or over the session the form's
// tab had) is refused with 403 and a sentence that says so, in the player's
// language. Every other refused token keeps the generic sentence, in the same
// browser too: a forged one, another browser's, one from before the last
// sign-in but one, none at all.
func TestFormFromBeforeSigningInAgain(t *testing.T) {
	ta := newTestApp(t)
	ta.player("anna@example.com")
	cl := ta.client()
	const again = "You signed in again since this page was loaded (perhaps in another tab). Reload the page and try again."
	refused := func(token string) string {
		t.Helper()
		form := url.Values{"amount": {"250"}}
		if token != "" {
			form.Set(csrfField, token)
		}
		return cl.post("/deposit", form).wantStatus(http.StatusForbidden).text("error-message")
	}

	cl.signIn("anna@example.com", testPassword)
	first := cl.get("/cashier").wantStatus(http.StatusOK).forms()["/deposit"]
	cl.submit("/logout", nil).wantRedirect("/login")
	cl.signIn("anna@example.com", testPassword)
	if got := refused(first); got != again {
		t.Errorf("form loaded before signing out and in: %q; want %q", got, again)
	}
	second := cl.get("/cashier").wantStatus(http.StatusOK).forms()["/deposit"]
	cl.signIn("anna@example.com", testPassword)

	other := ta.client()
	other.signIn("anna@example.com", testPassword)
	forged := newCSRFTokens([]byte("not our key")).generate(playerBinding(sessionOf(t, ta, cl).PrevID))
	for _, tt := range []struct {
		name, token string
		want        string
	}{
		{"loaded before signing in again", second, again},
		{"loaded two sign-ins ago", first, errFormExpired.Message},
		{"forged", forged, errFormExpired.Message},
		{"of another browser", other.csrf(), errFormExpired.Message},
		{"none", "", errFormExpired.Message},
	} {
		if got := refused(tt.token); got != tt.want {
			t.Errorf("token %s: %q; want %q", tt.name, got, tt.want)
		}
	}
	cl.get("/cashier").wantStatus(http.StatusOK)

	cl.submit("/language", url.Values{"lang": {"sv"}, "back": {"/cashier"}}).wantRedirect("/cashier")
	if got, want := refused(second), lang.For("sv", nil).T("error.signed_in_again"); got != want || got == again {
		t.Errorf("in Swedish: %q; want %q", got, want)
	}
}

// TestCookieTossingLoginCSRF: over https the session and CSRF cookies are
// __Host- cookies (Secure, Path=/, no Domain), which browsers take only from this
// very host. A sibling subdomain or the parent domain (evil.example.com beside
// cashier.example.com) can set cookies for the cashier's host only under other
// names; planting the attacker's own visitor session and its CSRF token there as
// cashier_session and cashier_csrf, and sending the sign-in form with the
// attacker's password and that token, must not sign the victim's browser in as
// the attacker (login CSRF: the victim would then deposit into the attacker's
// wallet). The cookies of the page itself still work.
func TestCookieTossingLoginCSRF(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.Secure = true })
	ta.player("eve@example.com")

	attacker := ta.client()
	set := map[string]*http.Cookie{}
	for _, c := range attacker.get("/login").wantStatus(http.StatusOK).Cookies {
		set[strings.TrimPrefix(c.Name, "__Host-")] = c
	}
	for _, name := range []string{sessionCookie, playerCSRF.cookie} {
		c := set[name]
		if c == nil || c.Name != "__Host-"+name || !c.Secure || c.Path != "/" || c.Domain != "" {
			t.Errorf("cookie %s set as %+v; want __Host-%s: Secure, Path=/, no Domain", name, c, name)
		}
	}
	token, visitor := attacker.csrf(), attacker.cookie(sessionCookie)
	if visitor == nil {
		t.Fatal("the sign-in page gave the attacker no session cookie")
	}

	// What a sibling subdomain can set for the cashier's host: cookies of any name
	// but a __Host- one, here the names without the prefix.
	victim := ta.client()
	form := url.Values{"email": {"eve@example.com"}, "password": {testPassword}, csrfField: {token}}
	req := victim.request(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", "https://cashier.test/login")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: visitor.Value})
	req.AddCookie(&http.Cookie{Name: playerCSRF.cookie, Value: token})
	if r := victim.do(req); r.Status != http.StatusForbidden {
		t.Errorf("sign-in with the attacker's tossed cookies: status %d; want 403", r.Status)
	}
	if s := sessionOf(t, ta, victim); s.PlayerID != 0 {
		t.Errorf("the victim's browser is signed in as player %d", s.PlayerID)
	}

	// The attacker's own browser, with the cookies as the site set them, signs in.
	req = attacker.request(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", "https://cashier.test/login")
	attacker.do(req).wantRedirect("/cashier")
}
