package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// useUpSharedBudget has a guesser use up the shared budget of failed sign-ins of
// email at the sign-in form login, every guess from an address of its own and a
// browser of its own (no known-device cookie): 10 answered 422, the 11th 429.
func useUpSharedBudget(t *testing.T, ta *testApp, login, email string) {
	t.Helper()
	guessAt(t, ta, login, email, cashier.DefaultSignInFailures+1)
}

// guessAt has a guesser send n wrong passwords for email at the sign-in form
// login, as useUpSharedBudget does.
func guessAt(t *testing.T, ta *testApp, login, email string, n int) {
	t.Helper()
	for i := range n {
		cl := ta.client()
		cl.get(login)
		want := http.StatusUnprocessableEntity
		if i == cashier.DefaultSignInFailures {
			want = http.StatusTooManyRequests
		}
		if r := cl.submitFrom(fmt.Sprintf("198.18.%d.%d", i/250, i%250+1), login, url.Values{"email": {email}, "password": {fmt.Sprintf("guess %d", i)}}); r.Status != want {
			t.Fatalf("guess %d at %s from a fresh address: status %d; want %d", i+1, login, r.Status, want)
		}
	}
}

// auditCount is the number of audit rows of event.
func auditCount(t *testing.T, db *gorm.DB, event staff.Event) int64 {
	t.Helper()
	var n int64
	if err := db.Model(&staff.Audit{}).Where("event = ?", event).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStaffReauthPastSharedBudget: anyone who knows a staff member's email could,
// with 10 wrong passwords at /admin/login every 15 minutes from fresh addresses,
// keep the member from re-authenticating, and so from approving payouts above the
// two-person threshold and from refunding: the re-authentication was refused by
// the account's shared budget. Now a signed-in session's password checks are
// refused only by the session's own budget: right after the guesser used up the
// shared one, the member re-authenticates at once, approves a payout of 12 000
// (the first of two approvals) and refunds a deposit, while the guesser is still
// refused at /admin/login. On both databases.
func TestStaffReauthPastSharedBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
			s.Cashier.DB = db
			s.Web.TrustedProxies, s.Web.LoginLimit = []string{"0.0.0.0/8", "127.0.0.0/8"}, 100
			s.Cashier.Config.Limits = map[string]cashier.Limits{"SEK": twoPersonLimits()}
		}})
		cl, player, acc := funded(t, lv, "anna@example.com", "20000")
		double := requestPayout(t, cl, "12000", acc.ID)
		lv.waitPayout(double, models.OrderAwaitingApproval, nil)
		var deposit models.Order
		if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
			t.Fatal(err)
		}
		owner, m := lv.staffSignedIn("owner@example.com", staff.RoleOwner)

		useUpSharedBudget(t, lv.testApp, "/admin/login", m.Email)
		owner.submit(approvePath(double), nil).wantRedirect("/admin/reauth?next=%2Fadmin%2Fapprovals")
		if r := owner.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {approvalsPath}}); r.Status != http.StatusSeeOther ||
			r.Header.Get("Location") != approvalsPath {
			t.Fatalf("the member's re-authentication after a guesser used up the shared budget: status %d to %q; want 303 to %s",
				r.Status, r.Header.Get("Location"), approvalsPath)
		}
		owner.submit(approvePath(double), nil).wantRedirect(approvalsPath)
		if n := auditCount(t, lv.DB, staff.EventPayoutFirstVote); n != 1 {
			t.Errorf("%d first approvals; want 1", n)
		}
		owner.submit(refundPath(deposit.ID), url.Values{"amount": {"100"}, "reason": {"goodwill"}}).wantRedirect(refundPath(deposit.ID))
		if n := auditCount(t, lv.DB, staff.EventRefund); n != 1 {
			t.Errorf("%d refunds; want 1", n)
		}
		// A wrong password of the member's own is answered as one, not refused.
		owner.submit("/admin/reauth", url.Values{"password": {"a typo"}, "next": {approvalsPath}}).wantStatus(http.StatusUnprocessableEntity)
		// The guesser is still refused, the right password included.
		guesser := lv.client()
		guesser.get("/admin/login")
		if r := guesser.submitFrom("198.18.9.9", "/admin/login", url.Values{"email": {m.Email}, "password": {testPassword}}); r.Status != http.StatusTooManyRequests {
			t.Errorf("the right password at /admin/login from a fresh browser: status %d; want 429 (the shared budget is used up)", r.Status)
		}
	})
}

// TestStaffPasswordChangePastSharedBudget: the same for a staff member's own
// password change, on both databases.
func TestStaffPasswordChangePastSharedBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) {
			s.Cashier.DB = db
			s.Web.TrustedProxies, s.Web.LoginLimit = []string{"0.0.0.0/8", "127.0.0.0/8"}, 100
		})
		cl, m := ta.staffSignedIn("ops@example.com", staff.RoleOperator)
		useUpSharedBudget(t, ta, "/admin/login", m.Email)
		cl.submit("/admin/password", url.Values{"current": {"a typo"}, "password": {"a new password 1"}}).wantStatus(http.StatusUnprocessableEntity)
		cl.submit("/admin/password", url.Values{"current": {testPassword}, "password": {"a new password 1"}}).wantRedirect("/admin")
		if got := ta.staffByEmail(m.Email); bcrypt.CompareHashAndPassword([]byte(got.PasswordHash), []byte("a new password 1")) != nil {
			t.Errorf("the member's password after the change is not the new one")
		}

		// A right re-authentication, then 9 wrong at /admin/login and a typo at
		// re-authentication use up the shared budget: that failure is audited once, without session (the session goes
		// on), and sign-ins from browsers that never signed in are refused.
		fin, f := ta.staffSignedIn("fin@example.com", staff.RoleFinance)
		fin.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {"/admin"}}).wantRedirect("/admin") // free
		guessAt(t, ta, "/admin/login", f.Email, cashier.DefaultSignInFailures-1)
		fin.submit("/admin/reauth", url.Values{"password": {"a typo"}, "next": {"/admin"}}).wantStatus(http.StatusUnprocessableEntity)
		var rows []staff.Audit
		ta.DB.Where("event = ? AND subject_id = ?", staff.EventSignInsLimited, f.ID).Find(&rows)
		if len(rows) != 1 || !strings.Contains(rows[0].After, `"attempt":"re-authentication"`) || strings.Contains(rows[0].After, "session") {
			t.Errorf("audit rows %+v; want one naming the re-authentication, without session", rows)
		}
		fresh := ta.client()
		fresh.get("/admin/login")
		if r := fresh.submitFrom("198.18.10.3", "/admin/login", url.Values{"email": {f.Email}, "password": {testPassword}}); r.Status != http.StatusTooManyRequests {
			t.Errorf("the right password at /admin/login after the typo used up the shared budget: status %d; want 429", r.Status)
		}
		fin.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {"/admin"}}).wantRedirect("/admin")
	})
}

// TestPasswordChangePastSharedBudget: a guesser used up a player's shared budget
// at /login; the player, signed in, changes their password at once on the profile
// page (a typo before it is answered "wrong", not refused), on both databases.
func TestPasswordChangePastSharedBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) {
			s.Cashier.DB = db
			s.Web.TrustedProxies, s.Web.LoginLimit = []string{"0.0.0.0/8", "127.0.0.0/8"}, 100
		})
		cl, p := ta.signedIn("anna@example.com")
		useUpSharedBudget(t, ta, "/login", p.Email)
		if r := cl.submit("/profile/password", url.Values{"current": {"a typo"}, "password": {"a new password 1"}}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, "Your current password is wrong.") {
			t.Fatalf("the player's typo after the guesser: status %d; want 422, the current password wrong", r.Status)
		}
		cl.submit("/profile/password", url.Values{"current": {testPassword}, "password": {"a new password 1"}}).wantRedirect("/profile")
		var got models.Player
		if err := ta.DB.First(&got, p.ID).Error; err != nil || bcrypt.CompareHashAndPassword([]byte(got.PasswordHash), []byte("a new password 1")) != nil {
			t.Errorf("the player's password after the change is not the new one (%v)", err)
		}

		// 9 wrong at /login and a typo on the profile page use up the shared budget:
		// logged so, from the profile's address, and the session goes on.
		bert, b := ta.signedIn("bert@example.com")
		guessAt(t, ta, "/login", b.Email, cashier.DefaultSignInFailures-1)
		bert.submitFrom("198.18.10.4", "/profile/password", url.Values{"current": {"a typo"}, "password": {"a new password 1"}}).
			wantStatus(http.StatusUnprocessableEntity)
		want := `msg="sign-ins limited after failed sign-ins" account=player device=false session=false attempt="password change" failures=10 window=15m0s ip=198.18.10.4 `
		if logs := ta.Logs.String(); strings.Count(logs, want) != 1 || !strings.Contains(logs, fmt.Sprintf("player_id=%d\n", b.ID)) {
			t.Errorf("want one line %q for player %d in the log:\n%s", want, b.ID, logs)
		}
		bert.get("/profile").wantStatus(http.StatusOK)
	})
}

// TestStolenSessionBudget: someone holding a stolen session gets no more guesses
// at the password than a guesser at the sign-in page: the session's own budget is
// of the same size (10 in 15 minutes), whatever is left of the shared one, and
// every guess still counts in the shared one. For a player: 9 wrong current
// passwords are answered "wrong" (and a typo in the player's own session too: its
// budget is another), the 10th 429 and ends every session of the
// player's (the thief's, a copy of it, the player's other browser), and the
// right password at /login from a fresh browser is then refused (the thief's
// guesses used up the shared budget). For staff: 9 wrong re-authentications and
// password changes, then the 10th ends the member's sessions (this one and the
// member's other browser), says so with 429, and is audited once as
// staff.sign_ins_limited naming the member, the re-authentication and the
// session; the right password at /admin/login from a fresh browser is then
// refused too. On both databases.
func TestStolenSessionBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		clock := &testClock{now: time.Now()}
		ta := newTestApp(t, func(s *testSetup) {
			s.Cashier.DB = db
			s.Web.TrustedProxies, s.Web.LoginLimit = []string{"0.0.0.0/8", "127.0.0.0/8"}, 100
			s.Cashier.Now, s.Web.Staff.Now = clock.Now, clock.Now
		})
		thief, p := ta.signedIn("anna@example.com")
		own := ta.client()
		own.signIn(p.Email, testPassword)
		stolen := thief.cookie(sessionCookie).Value
		for i := range cashier.DefaultSignInFailures - 1 {
			thief.submit("/profile/password", url.Values{"current": {fmt.Sprintf("guess %d", i)}, "password": {"a new password 1"}}).
				wantStatus(http.StatusUnprocessableEntity)
		}
		// The player's own session has a budget of its own: a typo there is one.
		own.submit("/profile/password", url.Values{"current": {"a typo"}, "password": {"a new password 1"}}).wantStatus(http.StatusUnprocessableEntity)
		r := thief.submit("/profile/password", url.Values{"current": {"guess 9"}, "password": {"a new password 1"}})
		if r.Status != http.StatusTooManyRequests || r.text("error-message") != msgLoggedOutTooManyAttempts {
			t.Errorf("the session's 10th wrong current password: status %d, %q; want 429, %q", r.Status, r.text("error-message"), msgLoggedOutTooManyAttempts)
		}
		kept := ta.client()
		kept.setCookie(sessionCookie, stolen)
		for name, cl := range map[string]*testClient{"the thief's browser": thief, "a copy of the stolen cookie": kept, "the player's other browser": own} {
			if r := cl.get("/profile"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
				t.Errorf("%s after the session's budget was used up: status %d to %q; want 303 to the login page", name, r.Status, r.Header.Get("Location"))
			}
		}
		fresh := ta.client()
		fresh.get("/login")
		if r := fresh.submitFrom("198.18.10.1", "/login", url.Values{"email": {p.Email}, "password": {testPassword}}); r.Status != http.StatusTooManyRequests {
			t.Errorf("the right password at /login after the thief's 10 guesses: status %d; want 429 (they count in the shared budget)", r.Status)
		}

		// Staff.
		cl, m := ta.staffSignedIn("ops@example.com", staff.RoleOperator)
		other := ta.client()
		other.staffSignIn(m.Email, testPassword, "")
		stolen = cl.cookie(staffCookie).Value
		for i := range cashier.DefaultSignInFailures - 1 {
			if i%2 == 0 {
				cl.submit("/admin/reauth", url.Values{"password": {fmt.Sprintf("guess %d", i)}, "next": {"/admin"}}).wantStatus(http.StatusUnprocessableEntity)
			} else {
				cl.submit("/admin/password", url.Values{"current": {fmt.Sprintf("guess %d", i)}, "password": {"a new password 1"}}).wantStatus(http.StatusUnprocessableEntity)
			}
		}
		r = cl.submit("/admin/reauth", url.Values{"password": {"guess 9"}, "next": {"/admin"}})
		if r.Status != http.StatusTooManyRequests || r.text("error-message") != msgLoggedOutTooManyAttempts {
			t.Errorf("the staff session's 10th wrong password: status %d, %q; want 429, %q", r.Status, r.text("error-message"), msgLoggedOutTooManyAttempts)
		}
		if r.has("admin-logout") || r.cookie(staffCookie) != nil && r.cookie(staffCookie).Value != "" {
			t.Errorf("the page of the staff session's 10th failure shows the member signed in, or keeps the cookie")
		}
		kept = ta.client()
		kept.setCookie(staffCookie, stolen)
		for name, cl := range map[string]*testClient{"the thief's browser": cl, "a copy of the stolen cookie": kept, "the member's other browser": other} {
			if r := cl.get("/admin"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/admin/login") {
				t.Errorf("%s after the staff session's budget was used up: status %d to %q; want 303 to /admin/login", name, r.Status, r.Header.Get("Location"))
			}
		}
		var rows []staff.Audit
		ta.DB.Where("event = ?", staff.EventSignInsLimited).Find(&rows)
		if len(rows) != 1 || rows[0].SubjectID != m.ID || rows[0].StaffID != 0 || !strings.Contains(rows[0].After, `"attempt":"re-authentication"`) ||
			!strings.Contains(rows[0].After, `"session":true`) {
			t.Errorf("audit rows %+v; want one by the system naming member %d, the re-authentication and the session", rows, m.ID)
		}
		fresh = ta.client()
		fresh.get("/admin/login")
		if r := fresh.submitFrom("198.18.10.2", "/admin/login", url.Values{"email": {m.Email}, "password": {testPassword}}); r.Status != http.StatusTooManyRequests {
			t.Errorf("the right password at /admin/login after the thief's 10 guesses: status %d; want 429 (they count in the shared budget)", r.Status)
		}
	})
}

// TestPlayerSignInsLimitedLogsAddress: the log line of a player's account whose
// budget was used up at /login names the address of the failure that used it up,
// as the back office's does; it said ip="".
func TestPlayerSignInsLimitedLogsAddress(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.TrustedProxies, s.Web.LoginLimit = []string{"0.0.0.0/8", "127.0.0.0/8"}, 100 })
	p := ta.player("anna@example.com")
	useUpSharedBudget(t, ta, "/login", p.Email)
	var line string
	for l := range strings.SplitSeq(ta.Logs.String(), "\n") {
		if strings.Contains(l, "sign-ins limited after failed sign-ins") {
			line = l
		}
	}
	if want := fmt.Sprintf("ip=198.18.0.%d ", cashier.DefaultSignInFailures); !strings.Contains(line, want) || !strings.Contains(line, "account=player") {
		t.Errorf("the log line %q; want account=player and %s", line, want)
	}
}
