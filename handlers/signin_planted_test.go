package handlers

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// plantVisitor gives victim a copy of a visitor's session and token cookies that
// attacker holds (session fixation: a sibling subdomain over plain http, a shared
// computer), and returns the planted session's ID.
func plantVisitor(t *testing.T, ta *testApp, attacker, victim *testClient, page string) string {
	t.Helper()
	attacker.get(page).wantStatus(http.StatusOK)
	id := sessionOf(t, ta, attacker).ID
	if id == "" {
		t.Fatalf("%s gave a visitor no session ID", page)
	}
	victim.setCookie(sessionCookie, attacker.cookie(sessionCookie).Value)
	victim.setCookie(playerCSRF.cookie, attacker.csrf())
	return id
}

// TestSignInReplacesPlantedSession: a sign-in never keeps the session the
// browser had (no session fixation): a visitor's session planted in a browser,
// with its token, is replaced by one of a new ID when the browser signs in with
// a password, with the bank by a Pay N Play deposit, or as a staff member with a
// second factor (and again over a live staff session); the planted cookie, still
// held by whoever planted it, opens nothing, and its token is refused in the new
// session. On both databases.
func TestSignInReplacesPlantedSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{
			Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-adult"},
			Setup: func(s *testSetup) { withPayNPlay(t, "SE=pure,FI=hybrid")(s); s.Cashier.DB = db },
		})
		ta := lv.testApp
		refusedHere := func(what string, cl *testClient, token string) {
			t.Helper()
			if r := cl.post("/language", url.Values{csrfField: {token}, "lang": {"sv"}}); r.Status != http.StatusForbidden {
				t.Errorf("%s: the planted token after signing in: HTTP %d; want 403", what, r.Status)
			}
		}

		// A password.
		ta.player("anna@example.com")
		attacker, victim := ta.client(), ta.client()
		planted := plantVisitor(t, ta, attacker, victim, "/login")
		token := attacker.csrf()
		victim.post("/login", url.Values{csrfField: {token}, "email": {"anna@example.com"}, "password": {testPassword}}).
			wantRedirect("/cashier")
		if v := sessionOf(t, ta, victim); v.PlayerID == 0 || v.ID == planted {
			t.Errorf("password sign-in: session %+v; want signed in with an ID other than the planted %q", v, planted)
		}
		attacker.get("/cashier").wantRedirect("/login?next=%2Fcashier")
		refusedHere("password sign-in", victim, token)

		// The bank, by a Pay N Play deposit.
		attacker, victim = ta.client(), ta.client()
		planted = plantVisitor(t, ta, attacker, victim, "/?market=SE")
		token = attacker.csrf()
		id := startPayNPlay(victim, "SE", "100")
		if out := ta.waitDecision(id); out.Player == nil {
			t.Fatalf("the Pay N Play deposit signed no one in: %+v", out)
		}
		victim.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusSeeOther)
		if v := sessionOf(t, ta, victim); v.PlayerID == 0 || v.ID == planted {
			t.Errorf("Pay N Play sign-in: session %+v; want signed in with an ID other than the planted %q", v, planted)
		}
		attacker.get("/cashier").wantRedirect("/login?next=%2Fcashier")
		refusedHere("Pay N Play sign-in", victim, token)

		// A staff member with a second factor.
		m := ta.staff("owner@example.com", staff.RoleOwner)
		ctx := context.Background()
		enrol, err := ta.Svc.StartTOTP(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ta.Svc.ConfirmTOTP(ctx, m, totpCode(t, enrol.Secret, time.Now().Add(-30*time.Second))); err != nil {
			t.Fatal(err)
		}
		attacker, victim = ta.client(), ta.client()
		attacker.get("/admin/login").wantStatus(http.StatusOK)
		victim.setCookie(sessionCookie, attacker.cookie(sessionCookie).Value)
		staffToken := attacker.csrfFor("/admin/login")
		victim.Jar.SetCookies(victim.base.ResolveReference(&url.URL{Path: "/admin/"}),
			[]*http.Cookie{{Name: staffCSRF.cookie, Value: staffToken, Path: "/admin"}})
		victim.post("/admin/login", url.Values{csrfField: {staffToken}, "email": {m.Email}, "password": {testPassword},
			"code": {totpCode(t, enrol.Secret, time.Now())}}).wantRedirect("/admin")
		first := ta.staffValues(victim)
		if first.StaffID != m.ID || first.ID == "" {
			t.Fatalf("staff sign-in with a code: staff session %+v; want member %d with an ID", first, m.ID)
		}
		attacker.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")
		if r := victim.post("/admin/logout", url.Values{csrfField: {staffToken}}); r.Status != http.StatusForbidden {
			t.Errorf("staff sign-in: the planted token after signing in: HTTP %d; want 403", r.Status)
		}
		// Signing in again over a live staff session makes a new ID too.
		victim.staffSignIn(m.Email, testPassword, totpCode(t, enrol.Secret, time.Now().Add(30*time.Second)))
		if again := ta.staffValues(victim); again.ID == "" || again.ID == first.ID {
			t.Errorf("staff sign-in over a live session: ID %q; want a new one (was %q)", again.ID, first.ID)
		}
	})
}
