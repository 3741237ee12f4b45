package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// A Pay N Play player of a hybrid market, created by "Deposit & play", has no
// password: without one the only way back in is another deposit. On the profile
// page they can choose an email and a password (POST /profile/sign-in), and then
// sign in at /login as a password player does.

// bankOnlyPlayer is a live Swedish cashier in mode on db whose checkouts log in as
// the sandbox's se-adult, with fake as the national register, and a player made
// by "Deposit & play" of 1000 SEK through cl, signed in there, with the bank
// account the deposit came from.
func bankOnlyPlayer(t *testing.T, db *gorm.DB, mode string, fake *exclusions.Fake, more ...func(s *testSetup)) (*liveApp, *testClient, models.Player, models.BankAccount) {
	t.Helper()
	setup := withPayNPlay(t, mode)
	lv := startLive(t, liveOptions{
		Setup: func(s *testSetup) {
			setup(s)
			s.Cashier.Exclusions, s.Cashier.DB = fake, db
			for _, f := range more {
				f(s)
			}
		},
		Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-adult"},
	})
	cl := lv.client()
	id := startPayNPlay(cl, "SE", "1000")
	lv.waitStatus(id, models.OrderCredited)
	player := *lv.waitDecision(id).Player
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantRedirect("/deposit/success?order=" + url.QueryEscape(id))
	if player.PasswordHash != "" || player.Email != "" {
		t.Fatalf("the Pay N Play player has email %q and a password %t; want neither", player.Email, player.PasswordHash != "")
	}
	return lv, cl, player, lv.waitAccount(player, models.AccountFromDeposit)
}

// signInForm is what the profile page's form for an email and password sends.
func signInForm(email, password, again string) url.Values {
	return url.Values{"email": {email}, "password": {password}, "password_again": {again}}
}

// TestPayNPlaySetPassword: a bank-only player of a hybrid market sets an email and
// a password on the profile page (with the CSRF token; the form refuses a bad
// email, a short password and two passwords that differ, keeping the email
// typed). This browser stays signed in, a copy of its cookie is signed out, and
// the change is logged with the player's id. Signed out, they sign in at /login
// with no deposit, see their balance and request a payout. The form is gone
// afterwards: the password is changed with the current one, as any player's.
func TestPayNPlaySetPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv, cl, player, account := bankOnlyPlayer(t, db, "hybrid", exclusions.Sandbox())
		copied := lv.client()
		copied.setCookie(sessionCookie, cl.cookie(sessionCookie).Value)
		copied.get("/cashier").wantStatus(http.StatusOK)

		page := cl.get("/profile").wantStatus(http.StatusOK)
		if !page.has("sign-in-form") || page.forms()["/profile/sign-in"] != cl.csrf() {
			t.Fatal("the profile page of a bank-only player in a hybrid market has no form for an email and password with the browser's CSRF token")
		}
		if page.has("password-form") {
			t.Error("the profile page of a player without a password offers to change it")
		}

		for _, tt := range []struct {
			form    url.Values
			problem string
		}{
			{signInForm("not an email", "a new password 1", "a new password 1"), "Enter an email address such as anna@example.com."},
			{signInForm("sven@example.com", "short", "short"), "Choose a password of 10 to 128 characters."},
			{signInForm("sven@example.com", "a new password 1", "a new password 2"), "The two passwords differ. Type the same password twice."},
		} {
			r := cl.submit("/profile/sign-in", tt.form).wantStatus(http.StatusUnprocessableEntity)
			if got := r.text("problem"); got != tt.problem {
				t.Errorf("%v: problem %q; want %q", tt.form, got, tt.problem)
			}
			if got := r.value("sign-in-email"); got != tt.form.Get("email") {
				t.Errorf("%v: the form shows email %q; want it as typed", tt.form, got)
			}
		}
		if got := lv.playerNow(player); got.PasswordHash != "" || got.Email != "" {
			t.Fatalf("after refused forms: email %q, password %t; want neither", got.Email, got.PasswordHash != "")
		}

		cl.submit("/profile/sign-in", signInForm(" Sven.Bank@Example.com ", "a new password 1", "a new password 1")).wantRedirect("/profile")
		page = cl.get("/profile").wantStatus(http.StatusOK)
		if got := page.text("flash"); !strings.Contains(got, "Your email and password are saved") {
			t.Errorf("flash %q", got)
		}
		if page.has("sign-in-form") || !page.has("password-form") || page.text("profile-email") != "sven.bank@example.com" {
			t.Errorf("after setting them the profile page shows email %q, the form to set them %t, to change the password %t; want the email, and only the change",
				page.text("profile-email"), page.has("sign-in-form"), page.has("password-form"))
		}
		if want := fmt.Sprintf("email and password set player_id=%d", player.ID); !strings.Contains(lv.Logs.String(), "email and password set") ||
			!strings.Contains(lv.Logs.String(), fmt.Sprintf("player_id=%d", player.ID)) || strings.Contains(lv.Logs.String(), "sven.bank@example.com") {
			t.Errorf("want a log line %q without the address", want)
		}
		copied.get("/cashier").wantRedirect("/login?next=%2Fcashier")
		cl.get("/cashier").wantStatus(http.StatusOK)
		cl.submit("/profile/sign-in", signInForm("other@example.com", "a new password 2", "a new password 2")).wantStatus(http.StatusUnprocessableEntity)
		if got := lv.playerNow(player); got.Email != "sven.bank@example.com" || bcrypt.CompareHashAndPassword([]byte(got.PasswordHash), []byte("a new password 1")) != nil {
			t.Errorf("the form sent again by a player with a password: email %q; want it unchanged", got.Email)
		}

		cl.submit("/logout", nil).wantRedirect("/login")
		back := lv.client()
		back.signIn("sven.bank@example.com", "a new password 1")
		cashierPage := back.get("/cashier").wantStatus(http.StatusOK)
		if got := cashierPage.text("balance"); got != "SEK 1,000.00" {
			t.Errorf("balance %q; want SEK 1,000.00", got)
		}
		if s := sessionOf(t, lv.testApp, back); s.PlayerID != player.ID || s.WithdrawOnly {
			t.Errorf("session %+v; want player %d, full", s, player.ID)
		}
		id := requestPayout(t, back, "400", account.ID)
		lv.waitPayout(id, models.OrderConfirmed, nil)
		if got := lv.wallet(player); got.Minor != 60000 {
			t.Errorf("wallet after the payout: %d; want 60000", got.Minor)
		}
		back.submit("/profile/password", url.Values{"current": {"a new password 1"}, "password": {"a new password 3"}}).wantRedirect("/profile")
		lv.client().signIn("sven.bank@example.com", "a new password 3")
	})
}

// TestPayNPlaySetPasswordEmailTaken: an email another account has is refused with
// a sentence that does not say whose, or that it is taken ("This email cannot be
// used here. Choose another."), nothing changes, and the log names the owner's id
// (to be told, as for a registration with their email). It is the answer
// registration gives, seen one step sooner: a registration with a taken email
// opens nothing, and its password then does not sign in.
func TestPayNPlaySetPasswordEmailTaken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv, cl, player, _ := bankOnlyPlayer(t, db, "hybrid", exclusions.Sandbox())
		owner, err := lv.Svc.Register(t.Context(), models.Registration{Email: "taken@example.com", Password: testPassword,
			FirstName: "Tora", LastName: "Ägare", Country: "SE", PersonID: nextSEPersonID()})
		if err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{"taken@example.com", "TAKEN@example.com "} {
			r := cl.submit("/profile/sign-in", signInForm(email, "a new password 1", "a new password 1")).wantStatus(http.StatusUnprocessableEntity)
			if got, want := r.text("problem"), "This email cannot be used here. Choose another."; got != want {
				t.Errorf("%q: problem %q; want %q", email, got, want)
			}
			if strings.Contains(r.Body, "Tora") || strings.Contains(r.Body, "Ägare") {
				t.Errorf("%q: the page names the account that has the email", email)
			}
		}
		if got := lv.playerNow(player); got.PasswordHash != "" || got.Email != "" {
			t.Errorf("after a taken email: email %q, password %t; want neither", got.Email, got.PasswordHash != "")
		}
		if got := lv.playerNow(owner); got.PasswordHash != owner.PasswordHash || got.SessionVersion != owner.SessionVersion {
			t.Error("the owner's account changed")
		}
		if want := fmt.Sprintf("player_id=%d", owner.ID); !strings.Contains(lv.Logs.String(), "email of an existing account") ||
			!strings.Contains(lv.Logs.String(), want) {
			t.Errorf("no log line telling the owner (%s)", want)
		}
		// As many forms a minute as sign-in allows (10 here): a player cannot try
		// email after email.
		for i := 2; i < 10; i++ {
			cl.submit("/profile/sign-in", signInForm(fmt.Sprintf("TAKEN@example.com%s", strings.Repeat(" ", i)), "a new password 1", "a new password 1")).
				wantStatus(http.StatusUnprocessableEntity)
		}
		cl.submit("/profile/sign-in", signInForm("free@example.com", "a new password 1", "a new password 1")).wantStatus(http.StatusTooManyRequests)
		if got := lv.playerNow(player); got.PasswordHash != "" || got.Email != "" {
			t.Errorf("after the limit: email %q, password %t; want neither", got.Email, got.PasswordHash != "")
		}
		cl.get("/cashier").wantStatus(http.StatusOK)
		lv.client().signIn("taken@example.com", testPassword)
	})
}

// TestPayNPlaySetPasswordExcluded: a bank-only player of a hybrid market who set
// an email and a password and then excluded themselves signs in at /login to a
// withdraw-only session, with the register asked with the identity the bank gave,
// and withdraws; blocked by staff they cannot sign in.
func TestPayNPlaySetPasswordExcluded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := exclusions.Sandbox()
		lv, cl, player, account := bankOnlyPlayer(t, db, "hybrid", fake)
		cl.submit("/profile/sign-in", signInForm("sven.bank@example.com", "a new password 1", "a new password 1")).wantRedirect("/profile")
		cl.submit("/logout", nil).wantRedirect("/login")
		exclude(t, fake, player)

		back := lv.client()
		back.get("/login")
		back.submit("/login", url.Values{"email": {"sven.bank@example.com"}, "password": {"a new password 1"}}).wantRedirect("/cashier")
		if s := sessionOf(t, lv.testApp, back); s.PlayerID != player.ID || !s.WithdrawOnly || s.ExcludedBy != "fake" {
			t.Errorf("session %+v; want player %d, withdraw-only, excluded by fake", s, player.ID)
		}
		page := back.get("/cashier").wantStatus(http.StatusOK)
		if !page.has("withdraw-only") || page.has("deposit-form") || page.text("balance") != "SEK 1,000.00" {
			t.Errorf("withdraw-only cashier page: notice %t, deposit form %t, balance %q", page.has("withdraw-only"), page.has("deposit-form"), page.text("balance"))
		}
		id := requestPayout(t, back, "1000", account.ID)
		lv.waitPayout(id, models.OrderConfirmed, nil)

		if err := lv.DB.Model(&models.Player{}).Where("id = ?", player.ID).Update("blocked", true).Error; err != nil {
			t.Fatal(err)
		}
		r := lv.client().submit("/login", url.Values{"email": {"sven.bank@example.com"}, "password": {"a new password 1"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("a blocked player signs in: %d; want 422", r.Status)
		}
	})
}

// TestPayNPlaySetPasswordSignInLimits: the email and password a bank-only player
// chose are held by the sign-in limits as any player's: CASHIER_LOGIN_LIMIT
// sign-ins a minute per address (3 here), then the right password too is
// refused; and 10 failed sign-ins to the account over many addresses, then the
// right password from a new address is refused with the wait.
func TestPayNPlaySetPasswordSignInLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv, cl, _, _ := bankOnlyPlayer(t, db, "hybrid", exclusions.Sandbox(), func(s *testSetup) {
			s.Web.LoginLimit = 3
			s.Web.TrustedProxies = []string{"0.0.0.0/8"}
		})
		cl.submit("/profile/sign-in", signInForm("sven.bank@example.com", "a new password 1", "a new password 1")).wantRedirect("/profile")
		signIn := func(addr, password string) *testResponse {
			b := lv.client()
			b.get("/login")
			return b.submitFrom(addr, "/login", url.Values{"email": {"sven.bank@example.com"}, "password": {password}})
		}
		for i := range 3 {
			signIn("192.0.2.1", fmt.Sprintf("guess %d", i)).wantStatus(http.StatusUnprocessableEntity)
		}
		signIn("192.0.2.1", "a new password 1").wantStatus(http.StatusTooManyRequests)
		for i := 3; i < 10; i++ {
			signIn(fmt.Sprintf("198.51.100.%d", i), fmt.Sprintf("guess %d", i)).wantStatus(http.StatusUnprocessableEntity)
		}
		r := signIn("203.0.113.1", "a new password 1").wantStatus(http.StatusTooManyRequests)
		if got := r.text("error-message"); got != msgTooManySignIns || r.cookie(sessionCookie) != nil {
			t.Errorf("the right password after 10 failures: %q, session %t; want %q and none", got, r.cookie(sessionCookie) != nil, msgTooManySignIns)
		}
	})
}

// TestPayNPlaySetPasswordPure: in a pure market Trustly is the only way in: the
// profile page has no form for an email and password, and the form sent anyway
// is not found and changes nothing.
func TestPayNPlaySetPasswordPure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv, cl, player, _ := bankOnlyPlayer(t, db, "pure", exclusions.Sandbox())
		if page := cl.get("/profile").wantStatus(http.StatusOK); page.has("sign-in-form") || page.has("password-form") {
			t.Error("the profile page of a pure market offers a password")
		}
		cl.submit("/profile/sign-in", signInForm("sven.bank@example.com", "a new password 1", "a new password 1")).wantStatus(http.StatusNotFound)
		if got := lv.playerNow(player); got.PasswordHash != "" || got.Email != "" {
			t.Errorf("email %q, password %t; want neither", got.Email, got.PasswordHash != "")
		}
	})
}

// TestPayNPlaySetPasswordNeedsCSRF: the form without the browser's CSRF token is
// refused and changes nothing.
func TestPayNPlaySetPasswordNeedsCSRF(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv, cl, player, _ := bankOnlyPlayer(t, db, "hybrid", exclusions.Sandbox())
		cl.post("/profile/sign-in", signInForm("sven.bank@example.com", "a new password 1", "a new password 1")).wantStatus(http.StatusForbidden)
		form := signInForm("sven.bank@example.com", "a new password 1", "a new password 1")
		form.Set(csrfField, "forged")
		cl.post("/profile/sign-in", form).wantStatus(http.StatusForbidden)
		if got := lv.playerNow(player); got.PasswordHash != "" || got.Email != "" {
			t.Errorf("email %q, password %t; want neither", got.Email, got.PasswordHash != "")
		}
	})
}

// playerNow is p as the database has it now.
func (a *testApp) playerNow(p models.Player) models.Player {
	a.t.Helper()
	got, err := a.Svc.Player(context.Background(), p.ID)
	if err != nil {
		a.t.Fatal(err)
	}
	return got
}

// TestPayNPlaySetPasswordNeedsRecentBankLogin: a player without a password has no
// current password to type before choosing one; their bank login stands in for it.
// The form is offered, and taken, only within cashier.BankSignInWindow (15
// minutes, counted by the service's clock) of the Pay N Play sign-in that made this
// session. After it the profile page says so instead of showing the form, and the
// form sent anyway is refused with that sentence, nothing written and a log line;
// a copy of the cookie replayed later (a stolen session) is refused the same way.
// Logging in with the bank again ("Deposit & play") opens the window again, to
// its last second.
func TestPayNPlaySetPasswordNeedsRecentBankLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		clock := &testClock{now: time.Now().Truncate(time.Second)}
		lv, cl, player, _ := bankOnlyPlayer(t, db, "hybrid", exclusions.Sandbox(), func(s *testSetup) { s.Cashier.Now = clock.Now })
		stolen := lv.client()
		stolen.setCookie(sessionCookie, cl.cookie(sessionCookie).Value)
		form := signInForm("sven.bank@example.com", "a new password 1", "a new password 1")
		const sentence = "You can choose an email and a password within 15 minutes of logging in with your bank. " +
			"To do so, log out, log in again with \"Deposit & play\" and come back to this page."
		unchanged := func(when string) {
			t.Helper()
			if got := lv.playerNow(player); got.PasswordHash != "" || got.Email != "" || got.SessionVersion != player.SessionVersion {
				t.Fatalf("%s: email %q, password %t, session version %d; want none, none, %d", when, got.Email, got.PasswordHash != "",
					got.SessionVersion, player.SessionVersion)
			}
		}

		clock.Advance(14 * time.Minute)
		if page := cl.get("/profile").wantStatus(http.StatusOK); !page.has("sign-in-form") || page.has("sign-in-window") {
			t.Fatalf("14 minutes after the bank login: the form %t, the sentence %t; want the form only", page.has("sign-in-form"), page.has("sign-in-window"))
		}
		clock.Advance(time.Minute + time.Second)
		for name, b := range map[string]*testClient{"the player's browser": cl, "a copy of its cookie": stolen} {
			page := b.get("/profile").wantStatus(http.StatusOK)
			if page.has("sign-in-form") || page.text("sign-in-window") != sentence {
				t.Errorf("%s, 15 minutes and a second after the bank login: the form %t, sentence %q; want no form and %q",
					name, page.has("sign-in-form"), page.text("sign-in-window"), sentence)
			}
			r := b.submit("/profile/sign-in", form).wantStatus(http.StatusForbidden)
			if got := r.text("problem"); got != sentence {
				t.Errorf("%s: the form sent after the window: problem %q; want %q", name, got, sentence)
			}
			if r.has("sign-in-form") {
				t.Errorf("%s: the refusal shows the form again", name)
			}
			unchanged(name + ", after the window")
		}
		if logs := lv.Logs.String(); !strings.Contains(logs, "email and password refused: the bank login is not recent") ||
			!strings.Contains(logs, fmt.Sprintf("player_id=%d", player.ID)) || strings.Contains(logs, "sven.bank@example.com") {
			t.Error("no log line of the refusal with the player's id (and without the address)")
		}
		// Hours later, with the copy kept alive all along, still nothing.
		clock.Advance(3 * time.Hour)
		stolen.submit("/profile/sign-in", form).wantStatus(http.StatusForbidden)
		unchanged("a copy of the cookie, hours later")

		cl.submit("/logout", nil).wantStatus(http.StatusSeeOther)
		player = lv.playerNow(player) // "Log out" ended every session
		id := startPayNPlay(cl, "SE", "100")
		lv.waitStatus(id, models.OrderCredited)
		if out := lv.waitDecision(id); out.State != cashier.PayNPlayReady || out.Player.ID != player.ID {
			t.Fatalf("the second bank login: %s; want ready for player %d", out.State, player.ID)
		}
		cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantRedirect("/deposit/success?order=" + url.QueryEscape(id))
		stolen.submit("/profile/sign-in", form)
		unchanged("a copy of the old cookie after a new bank login")
		clock.Advance(15 * time.Minute) // the window's last second
		if page := cl.get("/profile").wantStatus(http.StatusOK); !page.has("sign-in-form") || page.has("sign-in-window") {
			t.Fatalf("15 minutes after a new bank login: the form %t, the sentence %t; want the form only", page.has("sign-in-form"), page.has("sign-in-window"))
		}
		cl.submit("/profile/sign-in", form).wantRedirect("/profile")
		if got := lv.playerNow(player); got.Email != "sven.bank@example.com" || bcrypt.CompareHashAndPassword([]byte(got.PasswordHash), []byte("a new password 1")) != nil {
			t.Errorf("within the window of the new bank login: email %q; want the email and password set", got.Email)
		}
		lv.client().signIn("sven.bank@example.com", "a new password 1")
	})
}
