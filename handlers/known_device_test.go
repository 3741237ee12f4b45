package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// signInKind is the player's or the back office's sign-in, for tests that do the
// same to both.
type signInKind struct {
	name            string
	login, logout   string // the sign-in and sign-out forms
	session, device string // the session and known-device cookies
	account         func(ta *testApp, email string)
	signIn          func(cl *testClient, email string)
}

var signInKinds = []signInKind{
	{name: "player", login: "/login", logout: "/logout", session: sessionCookie, device: deviceCookie,
		account: func(ta *testApp, email string) { ta.player(email) },
		signIn:  func(cl *testClient, email string) { cl.signIn(email, testPassword) }},
	{name: "staff", login: "/admin/login", logout: "/admin/logout", session: staffCookie, device: staffDeviceCookie,
		account: func(ta *testApp, email string) { ta.staff(email, staff.RoleOperator) },
		signIn:  func(cl *testClient, email string) { cl.staffSignIn(email, testPassword, "") }},
}

// deviceCookieOf is the browser's known-device cookie called name, sent only to
// the sign-in form at path.
func (cl *testClient) deviceCookieOf(path, name string) *http.Cookie {
	for _, c := range cl.Jar.Cookies(cl.base.ResolveReference(&url.URL{Path: path})) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// setDeviceCookie puts a known-device cookie of the test's choosing in the browser.
func (cl *testClient) setDeviceCookie(path, name, value string) {
	cl.Jar.SetCookies(cl.base.ResolveReference(&url.URL{Path: path}), []*http.Cookie{{Name: name, Value: value, Path: path}})
}

// TestKnownDeviceSignsInPastAccountLimit: a guesser with fresh addresses uses up
// an account's budget of failed sign-ins (CASHIER_LOGIN_LIMIT_PER_ACCOUNT), which
// used to keep its owner out for 15 minutes too: now the browser the owner signed
// in with before (signed out since) carries a known-device cookie for the account
// and signs in at once with the right password, while the guesser is refused with
// 429 without a cookie, with a forged one, with the cookie their own account's
// sign-in gave them, with a player's cookie at the staff form and the other way
// round, and with an expired one. For players and staff, on both databases.
func TestKnownDeviceSignsInPastAccountLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for i, k := range signInKinds {
			t.Run(k.name, func(t *testing.T) {
				clock := &testClock{now: time.Now()}
				ta := newTestApp(t, func(s *testSetup) {
					s.Cashier.DB, s.Cashier.Now = db, clock.Now
					s.Web.TrustedProxies = []string{"0.0.0.0/8"}
				})
				victim, other := k.name+"-anna@example.com", k.name+"-mallory@example.com"
				k.account(ta, victim)
				k.account(ta, other)
				own := ta.client()
				k.signIn(own, victim)
				if own.deviceCookieOf(k.login, k.device) == nil {
					t.Fatalf("no %s cookie after signing in", k.device)
				}
				own.submit(k.logout, url.Values{}).wantStatus(http.StatusSeeOther)

				addr := 0
				try := func(cl *testClient, password string) *testResponse {
					addr++
					cl.get(k.login)
					return cl.submitFrom(fmt.Sprintf("198.51.%d.%d", addr/250, addr%250+1), k.login, url.Values{"email": {victim}, "password": {password}})
				}
				for i := range 12 {
					want := http.StatusUnprocessableEntity
					if i >= 10 {
						want = http.StatusTooManyRequests
					}
					if r := try(ta.client(), fmt.Sprintf("guess %d", i)); r.Status != want {
						t.Fatalf("guess %d from a fresh address: status %d; want %d", i+1, r.Status, want)
					}
				}

				// The guesser's own account gives their browser a cookie of its own.
				guesser := ta.client()
				k.signIn(guesser, other)
				// The victim's email has an account of the other kind too, whose
				// sign-in gave its browser a cookie for it.
				o := signInKinds[1-i]
				o.account(ta, victim)
				otherKind := ta.client()
				o.signIn(otherKind, victim)
				codecs := jsonCodecs(ta.Deps.SessionKeys, deviceMaxAge)
				encode := func(name string, v deviceValues) string {
					s, err := securecookie.EncodeMulti(name, v, codecs...)
					if err != nil {
						t.Fatal(err)
					}
					return s
				}
				ownValue := own.deviceCookieOf(k.login, k.device).Value
				for name, value := range map[string]string{
					"forged":                             "not-a-cookie",
					"the guesser's own account's cookie": guesser.deviceCookieOf(k.login, k.device).Value,
					"the cookie of the other kind's sign-in to the email": otherKind.deviceCookieOf(o.login, o.device).Value,
					"expired": encode(k.device, deviceValues{Account: victim, ID: newSessionID(),
						Issued: time.Now().Add(-deviceMaxAge*time.Second - time.Hour).Unix()}),
				} {
					cl := ta.client()
					cl.setDeviceCookie(k.login, k.device, value)
					for _, password := range []string{"guess again", testPassword} {
						if r := try(cl, password); r.Status != http.StatusTooManyRequests || r.text("error-message") != msgTooManySignIns ||
							r.Header.Get("Retry-After") != "900" || r.cookie(k.session) != nil {
							t.Errorf("%s, %q: status %d, Retry-After %q; want 429 with %q and no session", name, password, r.Status,
								r.Header.Get("Retry-After"), msgTooManySignIns)
						}
					}
				}

				r := try(own, testPassword)
				if r.Status != http.StatusSeeOther || r.cookie(k.session) == nil || r.cookie(k.session).Value == "" {
					t.Fatalf("the owner's known browser, the right password past the budget: status %d; want 303 and a session\n%s", r.Status, r.Body)
				}
				if c := r.cookie(k.device); c == nil || c.Value == ownValue {
					t.Errorf("the known browser's sign-in gave no new %s cookie", k.device)
				}
				if k.name == "staff" {
					var rows []staff.Audit
					ta.DB.Where("event = ?", staff.EventSignInsLimited).Find(&rows)
					if len(rows) != 1 {
						t.Errorf("audit rows %+v; want one, of the shared budget", rows)
					}
				}
			})
		}
	})
}

// TestKnownDeviceOwnBudget: a known browser's sign-ins count in a budget of their
// own, of the same size: 10 wrong passwords there, and the 11th attempt, the right
// password too, is refused with 429 and the wait, in that browser only. Another
// browser signs in with the right password, and the known browser's failures left
// the account's shared budget whole: a guesser without the cookie gets their 10
// wrong passwords answered before 429. After the 15 minutes the known browser
// signs in. A staff member's device using its budget up is audited, saying so. On
// PostgreSQL the known browser's guesses alternate between two instances, which
// count them once.
func TestKnownDeviceOwnBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, k := range signInKinds {
			t.Run(k.name, func(t *testing.T) {
				clock := &testClock{now: time.Now()}
				setup := func(s *testSetup) {
					s.Cashier.DB = db
					s.Web.TrustedProxies = []string{"0.0.0.0/8"}
					s.Cashier.Now, s.Web.Staff.Now = clock.Now, clock.Now
				}
				ta := newTestApp(t, setup)
				apps := []*fiber.App{ta.App}
				if db.Dialector.Name() == "postgres" {
					apps = append(apps, newTestApp(t, setup).App)
				}
				email := k.name + "-anna@example.com"
				k.account(ta, email)
				own := ta.client()
				k.signIn(own, email)
				own.submit(k.logout, url.Values{}).wantStatus(http.StatusSeeOther)
				addr := 0
				try := func(cl *testClient, password string) *testResponse {
					addr++
					cl.get(k.login)
					return cl.submitFrom(fmt.Sprintf("203.0.%d.%d", addr/250, addr%250+1), k.login, url.Values{"email": {email}, "password": {password}})
				}
				for i := range 10 {
					own.app = apps[i%len(apps)]
					if r := try(own, fmt.Sprintf("typo %d", i)); r.Status != http.StatusUnprocessableEntity {
						t.Fatalf("the known browser's wrong password %d: status %d; want 422", i+1, r.Status)
					}
				}
				for _, password := range []string{"typo 10", testPassword} {
					if r := try(own, password); r.Status != http.StatusTooManyRequests || r.text("error-message") != msgTooManySignIns ||
						r.Header.Get("Retry-After") != "900" || r.cookie(k.session) != nil {
						t.Errorf("the known browser after its 10 failures, %q: status %d, Retry-After %q; want 429 with %q and no session",
							password, r.Status, r.Header.Get("Retry-After"), msgTooManySignIns)
					}
				}
				if r := try(ta.client(), testPassword); r.Status != http.StatusSeeOther {
					t.Errorf("another browser, the right password: status %d; want 303", r.Status)
				}
				for i := range 11 {
					want := http.StatusUnprocessableEntity
					if i == 10 {
						want = http.StatusTooManyRequests
					}
					if r := try(ta.client(), fmt.Sprintf("guess %d", i)); r.Status != want {
						t.Fatalf("a guesser without the cookie, wrong password %d: status %d; want %d", i+1, r.Status, want)
					}
				}
				if k.name == "staff" {
					var rows []staff.Audit
					ta.DB.Where("event = ?", staff.EventSignInsLimited).Order("id").Find(&rows)
					if len(rows) != 2 || !strings.Contains(rows[0].After, `"device":true`) || strings.Contains(rows[1].After, `"device"`) {
						t.Errorf("audit rows %+v; want the device's, saying so, then the shared budget's", rows)
					}
				}
				clock.Advance(15 * time.Minute)
				if r := try(own, testPassword); r.Status != http.StatusSeeOther {
					t.Errorf("the known browser after the 15 minutes: status %d; want 303", r.Status)
				}
			})
		}
	})
}

// TestKnownDeviceCookie: a sign-in gives the browser a known-device cookie for a
// year, HttpOnly, SameSite=Strict, sent only to its sign-in form, Secure where the
// session cookie is; a failed sign-in gives none, and signing out keeps it.
func TestKnownDeviceCookie(t *testing.T) {
	for _, secure := range []bool{true, false} {
		ta := newTestApp(t, func(s *testSetup) { s.Web.Secure = secure })
		for _, k := range signInKinds {
			email := fmt.Sprintf("%s-%t@example.com", k.name, secure)
			k.account(ta, email)
			cl := ta.client()
			cl.get(k.login)
			if r := cl.submit(k.login, url.Values{"email": {email}, "password": {"wrong"}}); r.cookie(k.device) != nil {
				t.Errorf("%s, secure %t: a failed sign-in set %s", k.name, secure, k.device)
			}
			r := cl.submit(k.login, url.Values{"email": {email}, "password": {testPassword}}).wantStatus(http.StatusSeeOther)
			c := r.cookie(k.device)
			if c == nil {
				t.Fatalf("%s, secure %t: no %s cookie after signing in", k.name, secure, k.device)
			}
			if !c.HttpOnly || c.Secure != secure || c.SameSite != http.SameSiteStrictMode || c.Path != k.login ||
				c.MaxAge != 365*24*60*60 || c.Domain != "" {
				t.Errorf("%s, secure %t: cookie %+v; want HttpOnly, Secure %t, SameSite=Strict, Path=%s, Max-Age a year", k.name, secure, c, secure, k.login)
			}
			var v deviceValues
			if err := securecookie.DecodeMulti(k.device, c.Value, &v, jsonCodecs(ta.Deps.SessionKeys, deviceMaxAge)...); err != nil ||
				v.Account != email || len(v.ID) != 32 {
				t.Errorf("%s, secure %t: the cookie holds %+v, %v; want the account %s and a random id", k.name, secure, v, err, email)
			}
			out := cl.submit(k.logout, url.Values{})
			if c := out.cookie(k.device); c != nil {
				t.Errorf("%s, secure %t: signing out touched %s: %+v", k.name, secure, k.device, c)
			}
		}
	}
}
