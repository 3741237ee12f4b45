package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

const msgTooManySignIns = "You have tried too many times. Wait 15 minutes and try again."

// TestSignInLimitPerAccount: a guesser with many addresses (a botnet, an IPv6
// range) gets CASHIER_LOGIN_LIMIT tries per address, but only 10 failed
// sign-ins per account in 15 minutes over all of them: the 11th guess is refused
// with 429, the "too many attempts" page and the wait in words and in
// Retry-After, and so is the right password, which signs nobody in. An email of
// nobody's gets the very same answers at the same count, another player at the
// same addresses signs in, and after the 15 minutes the right password does.
func TestSignInLimitPerAccount(t *testing.T) {
	clock := &testClock{now: time.Now()}
	ta := newTestApp(t, func(s *testSetup) {
		s.Web.TrustedProxies = []string{"0.0.0.0/8"}
		s.Cashier.Now = clock.Now
	})
	ta.player("anna@example.com")
	ta.player("bert@example.com")
	addr := 0
	signIn := func(email, password string) *testResponse {
		addr++ // every attempt from an address of its own
		cl := ta.client()
		cl.get("/login")
		return cl.submitFrom(fmt.Sprintf("198.51.%d.%d", addr/250, addr%250+1), "/login", url.Values{"email": {email}, "password": {password}})
	}
	type answer struct {
		status            int
		message, retry    string
		session, badLogin bool
	}
	answerOf := func(r *testResponse) answer {
		a := answer{status: r.Status, retry: r.Header.Get("Retry-After"), session: r.cookie(sessionCookie) != nil}
		if r.Status == http.StatusTooManyRequests {
			a.message = r.text("error-message")
		}
		a.badLogin = r.Status == http.StatusUnprocessableEntity && strings.Contains(r.Body, "Email or password is wrong.")
		return a
	}
	guessed := answer{status: http.StatusUnprocessableEntity, badLogin: true}
	limited := answer{status: http.StatusTooManyRequests, message: msgTooManySignIns, retry: "900"}
	for _, email := range []string{"Anna@Example.com ", "nobody@example.com"} {
		for i := range 10 {
			if got := answerOf(signIn(email, fmt.Sprintf("guess %d", i))); got != guessed {
				t.Fatalf("%s, wrong password %d from a new address: %+v; want %+v", email, i+1, got, guessed)
			}
		}
		if got := answerOf(signIn(email, "guess 10")); got != limited {
			t.Errorf("%s, the 11th wrong password: %+v; want %+v", email, got, limited)
		}
		if got := answerOf(signIn(email, testPassword)); got != limited {
			t.Errorf("%s, the right password after 10 failures: %+v; want %+v (no session)", email, got, limited)
		}
	}
	if r := signIn("bert@example.com", testPassword); r.Status != http.StatusSeeOther {
		t.Errorf("another player from the guesser's addresses: status %d; want 303", r.Status)
	}
	// In the player's language.
	sv := ta.client()
	sv.submit("/language", url.Values{"lang": {"sv"}, "back": {"/login"}}).wantRedirect("/login")
	if got := sv.submitFrom("192.0.2.1", "/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword}}).text("error-message"); got != "Du har försökt för många gånger. Vänta 15 minuter och försök igen." {
		t.Errorf("in Swedish: %q", got)
	}
	clock.Advance(14 * time.Minute)
	if got := answerOf(signIn("anna@example.com", testPassword)); got.status != http.StatusTooManyRequests ||
		got.message != "You have tried too many times. Wait 1 minute and try again." || got.retry != "60" {
		t.Errorf("14 minutes on: %+v; want 429, a minute to wait", got)
	}
	clock.Advance(time.Minute)
	if r := signIn("anna@example.com", testPassword); r.Status != http.StatusSeeOther {
		t.Errorf("after the 15 minutes, the right password: status %d; want 303", r.Status)
	}
}

// TestStaffSignInLimitPerAccount: the same for the back office, whose staff have a
// password only by default (CASHIER_ADMIN_2FA=optional): 10 failed sign-ins per
// member in 15 minutes over every address, then 429 for the right password too; the
// failure that used the budget up is in the audit trail once, naming the member,
// and another member signs in.
func TestStaffSignInLimitPerAccount(t *testing.T) {
	clock := &testClock{now: time.Now()}
	ta := newTestApp(t, func(s *testSetup) { s.Web.TrustedProxies, s.Cashier.Now = []string{"0.0.0.0/8"}, clock.Now })
	m := ta.staff("ops@example.com", staff.RoleOperator)
	ta.staff("fin@example.com", staff.RoleFinance)
	cl := ta.client()
	cl.get("/admin/login")
	signIn := func(i int, email, password string) *testResponse {
		return cl.submitFrom(fmt.Sprintf("203.0.113.%d", i+1), "/admin/login", url.Values{"email": {email}, "password": {password}})
	}
	for i := range 10 {
		if r := signIn(i, "ops@example.com", fmt.Sprintf("guess %d", i)); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password %d: status %d; want 422", i+1, r.Status)
		}
	}
	for i, password := range []string{"guess 10", testPassword} {
		r := signIn(20+i, "ops@example.com", password)
		if r.Status != http.StatusTooManyRequests || r.text("error-message") != msgTooManySignIns || r.Header.Get("Retry-After") != "900" ||
			r.cookie(staffCookie) != nil {
			t.Errorf("attempt %d after 10 failures: status %d, Retry-After %q; want 429 with %q and no session", i+11, r.Status,
				r.Header.Get("Retry-After"), msgTooManySignIns)
		}
	}
	var rows []staff.Audit
	ta.DB.Where("event = ?", staff.EventSignInsLimited).Find(&rows)
	if len(rows) != 1 || rows[0].SubjectID != m.ID || rows[0].StaffID != 0 {
		t.Errorf("audit rows %+v; want one by the system naming member %d", rows, m.ID)
	}
	if r := signIn(30, "fin@example.com", testPassword); r.Status != http.StatusSeeOther {
		t.Errorf("another member: status %d; want 303", r.Status)
	}
}

// TestScaleOutSignInLimitAcrossInstances: with two instances on one PostgreSQL
// database, an account's failed sign-ins are counted once for both: a balancer
// alternating a guesser's requests does not give them twice the tries.
func TestScaleOutSignInLimitAcrossInstances(t *testing.T) {
	db := storetest.Postgres(t)
	shared := func(s *testSetup) { s.Cashier.DB = db; s.Web.TrustedProxies = []string{"0.0.0.0/8"} }
	a, b := newTestApp(t, shared), newTestApp(t, shared)
	a.staff("ops@example.com", staff.RoleOperator)
	cl := a.client()
	var statuses []int
	for i := range cashier.DefaultSignInFailures + 2 {
		cl.app = []*fiber.App{a.App, b.App}[i%2] // the balancer alternates
		r := cl.submitFrom(fmt.Sprintf("203.0.113.%d", i+1), "/admin/login", url.Values{"email": {"ops@example.com"}, "password": {fmt.Sprintf("guess %d", i)}})
		statuses = append(statuses, r.Status)
	}
	for i, s := range statuses {
		want := http.StatusUnprocessableEntity
		if i >= cashier.DefaultSignInFailures {
			want = http.StatusTooManyRequests
		}
		if s != want {
			t.Errorf("wrong passwords over two instances, each from an address of its own: statuses %v; want 10 checked, then 429", statuses)
			break
		}
	}
}

const msgLoggedOutTooManyAttempts = "You have tried too many times, so you have been logged out on every device. Wait 15 minutes and log in again."

// TestPasswordChangeLimitPerAccount: someone holding a player's session (a stolen
// cookie) guesses the current password on the profile page. CASHIER_LOGIN_LIMIT
// (here 100) a minute per account was the only brake there, for as long as the
// session lived; now the guesses count in the account's budget of failed sign-ins,
// with the wrong passwords at /login from other addresses, and are refused by a
// budget of the session's own, of the same size: after 4 wrong at /login, 9 are
// answered "wrong", and the 10th, the session's 10th, is answered 429 with the wait
// in words and in Retry-After and ends every session of the player's: the page
// shows nobody signed in, and this browser, a copy of its cookie kept by the thief
// and the player's other browser lead to the login page. The right password at
// /login (whose budget the 4 and the 10 used up) is refused until the 15 minutes
// are over, and then signs in: the password was not changed. The sentence is in
// the player's language. On both databases. (The session's budget is new: the
// profile's guesses were refused by the account's, 6 after 4 at /login.)
func TestPasswordChangeLimitPerAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		clock := &testClock{now: time.Now()}
		ta := newTestApp(t, func(s *testSetup) {
			s.Cashier.DB = db
			s.Web.LoginLimit = 100
			s.Web.TrustedProxies = []string{"0.0.0.0/8"}
			s.Cashier.Now = clock.Now
		})
		thief, _ := ta.signedIn("anna@example.com")
		own := ta.client()
		own.signIn("anna@example.com", testPassword)
		addr := 0
		signIn := func(email, password string) *testResponse {
			addr++ // every attempt from an address of its own
			cl := ta.client()
			cl.get("/login")
			return cl.submitFrom(fmt.Sprintf("198.51.100.%d", addr), "/login", url.Values{"email": {email}, "password": {password}})
		}
		for i := range 4 {
			if r := signIn("anna@example.com", fmt.Sprintf("guess %d", i)); r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("wrong password %d at /login: status %d; want 422", i+1, r.Status)
			}
		}
		guess := func(cl *testClient, i int) *testResponse {
			return cl.submit("/profile/password", url.Values{"current": {fmt.Sprintf("profile guess %d", i)}, "password": {"a new password 1"}})
		}
		for i := range 9 {
			if r := guess(thief, i); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Your current password is wrong.") {
				t.Fatalf("wrong current password %d on the profile page: status %d; want 422, the current password wrong", i+1, r.Status)
			}
		}
		stolen := thief.cookie(sessionCookie).Value
		r := guess(thief, 9)
		if r.Status != http.StatusTooManyRequests || r.text("error-message") != msgLoggedOutTooManyAttempts || r.Header.Get("Retry-After") != "900" {
			t.Errorf("the session's 10th failure, on the profile page: status %d, %q, Retry-After %q; want 429, %q, 900", r.Status,
				r.text("error-message"), r.Header.Get("Retry-After"), msgLoggedOutTooManyAttempts)
		}
		if r.has("logout") {
			t.Errorf("the page of the budget's 10th failure shows the player signed in")
		}
		kept := ta.client()
		kept.setCookie(sessionCookie, stolen)
		for name, cl := range map[string]*testClient{"the guesser's browser": thief, "a copy of the guesser's cookie": kept, "the player's other browser": own} {
			if r := cl.get("/profile"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
				t.Errorf("%s after the budget was used up: status %d to %q; want 303 to the login page", name, r.Status, r.Header.Get("Location"))
			}
		}
		if r := signIn("anna@example.com", testPassword); r.Status != http.StatusTooManyRequests || r.text("error-message") != msgTooManySignIns {
			t.Errorf("the right password at /login after the budget was used up: status %d; want 429, %q", r.Status, msgTooManySignIns)
		}
		clock.Advance(15 * time.Minute)
		if r := signIn("anna@example.com", testPassword); r.Status != http.StatusSeeOther {
			t.Errorf("the password after the 15 minutes: status %d; want 303 (it was not changed)", r.Status)
		}

		// In the player's language.
		sv, _ := ta.signedIn("bert@example.com")
		sv.submit("/language", url.Values{"lang": {"sv"}, "back": {"/profile"}}).wantRedirect("/profile")
		for i := range 9 {
			guess(sv, i).wantStatus(http.StatusUnprocessableEntity)
		}
		if got := guess(sv, 9).wantStatus(http.StatusTooManyRequests).text("error-message"); got != "Du har försökt för många gånger, så du har loggats ut på alla enheter. Vänta 15 minuter och logga in igen." {
			t.Errorf("in Swedish: %q", got)
		}
	})
}

// TestStaffReauthLimitPerAccount: someone holding a staff member's session
// guesses their password at re-authentication and on the password form, where
// CASHIER_LOGIN_LIMIT (here 100) a minute was the only brake: the guesses count in
// the member's budget of failed sign-ins with those at /admin/login, and are
// refused by a budget of the session's own, of the same size. After 3 wrong at
// /admin/login, 9 wrong ones over the two forms are answered "wrong", and the
// 10th, a re-authentication, is answered 429 with the wait and ends every session
// of the member's: the right password at re-authentication and on the password
// form leads to /admin/login, and is refused there with 429 from a browser that
// never signed in (the 3 and the 10 count there). The failure that used the
// shared budget up (the 7th, a password change) and the one that used the
// session's up are audited once each by the system, naming the member and the
// form, the latter with the session and its ending, and read in words on the audit
// page, which the member reads
// after signing in again from their own browser (a known device). On PostgreSQL
// the guesses alternate between two instances. (Before the session's budget, 7
// wrong ones used up the member's budget, and the session went on, refused.)
func TestStaffReauthLimitPerAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		clock := &testClock{now: time.Now()}
		setup := func(s *testSetup) {
			s.Cashier.DB = db
			s.Web.LoginLimit = 100
			s.Web.TrustedProxies = []string{"0.0.0.0/8"}
			s.Cashier.Now, s.Web.Staff.Now = clock.Now, clock.Now
		}
		ta := newTestApp(t, setup)
		apps := []*fiber.App{ta.App}
		if db.Dialector.Name() == "postgres" {
			apps = append(apps, newTestApp(t, setup).App)
		}
		cl, m := ta.staffSignedIn("ops@example.com", staff.RoleOperator)
		guesser := ta.client()
		guesser.get("/admin/login")
		for i := range 3 {
			if r := guesser.submitFrom(fmt.Sprintf("203.0.113.%d", i+1), "/admin/login", url.Values{"email": {m.Email}, "password": {fmt.Sprintf("guess %d", i)}}); r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("wrong password %d at /admin/login: status %d; want 422", i+1, r.Status)
			}
		}
		reauth := func(password string) *testResponse {
			return cl.submit("/admin/reauth", url.Values{"password": {password}, "next": {"/admin"}})
		}
		change := func(current string) *testResponse {
			return cl.submit("/admin/password", url.Values{"current": {current}, "password": {"a new password 1"}})
		}
		for i := range 9 {
			cl.app = apps[i%len(apps)] // a balancer alternating
			form := change
			if i%2 == 1 {
				form = reauth
			}
			if r := form(fmt.Sprintf("guess %d", i+3)); r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("wrong password %d at re-authentication or the password form: status %d; want 422", i+1, r.Status)
			}
		}
		cl.app = apps[len(apps)-1]
		if r := reauth("guess 12"); r.Status != http.StatusTooManyRequests || r.text("error-message") != msgLoggedOutTooManyAttempts || r.Header.Get("Retry-After") != "900" {
			t.Errorf("the session's 10th failure: status %d, %q, Retry-After %q; want 429, %q, 900", r.Status, r.text("error-message"),
				r.Header.Get("Retry-After"), msgLoggedOutTooManyAttempts)
		}
		for name, r := range map[string]*testResponse{"re-authentication": reauth(testPassword), "the password form": change(testPassword)} {
			if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/admin/login") {
				t.Errorf("the right password at %s after the session's budget was used up: status %d to %q; want 303 to /admin/login", name,
					r.Status, r.Header.Get("Location"))
			}
		}
		if r := guesser.submitFrom("203.0.113.50", "/admin/login", url.Values{"email": {m.Email}, "password": {testPassword}}); r.Status != http.StatusTooManyRequests ||
			r.text("error-message") != msgTooManySignIns || r.Header.Get("Retry-After") != "900" {
			t.Errorf("the right password at sign-in after the budget was used up: status %d, Retry-After %q; want 429, %q, 900",
				r.Status, r.Header.Get("Retry-After"), msgTooManySignIns)
		}
		var rows []staff.Audit
		ta.DB.Where("event = ?", staff.EventSignInsLimited).Order("id").Find(&rows)
		if len(rows) != 2 || rows[0].SubjectID != m.ID || rows[0].StaffID != 0 || rows[1].SubjectID != m.ID || rows[1].StaffID != 0 ||
			!strings.Contains(rows[0].After, `"attempt":"password change"`) || strings.Contains(rows[0].After, "session") ||
			!strings.Contains(rows[1].After, `"attempt":"re-authentication"`) || !strings.Contains(rows[1].After, `"session":true,"sessions_ended":true`) {
			t.Errorf("audit rows %+v; want two by the system naming member %d: the password change that used up the shared budget, and the re-authentication that used up the session's, which ended the sessions", rows, m.ID)
		}
		cl.app = ta.App
		cl.staffSignIn(m.Email, testPassword, "")
		if got := cl.get("/admin/audit?event=" + string(staff.EventSignInsLimited)).text("audit-event"); got != "Sign-ins refused after wrong passwords or codes" {
			t.Errorf("the audit row's action: %q", got)
		}
	})
}
