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
