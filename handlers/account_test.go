package handlers

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
)

func registration(email string) url.Values {
	return url.Values{"email": {email}, "password": {testPassword}, "first_name": {"Anna"},
		"last_name": {"Andersson"}, "country": {"SE"}}
}

func countPlayers(t *testing.T, ta *testApp) int64 {
	t.Helper()
	var n int64
	if err := ta.DB.Model(&models.Player{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegisterThenSignIn(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()

	form := cl.get("/register").wantStatus(http.StatusOK)
	if got := form.value("country"); got != "SE" {
		t.Errorf("preselected country = %q; want SE", got)
	}
	if got := form.text("currency"); got != "SEK" {
		t.Errorf("currency shown = %q; want SEK", got)
	}

	f := registration("anna@example.com")
	f.Set("country", "FI")
	cl.submit("/register", f).wantRedirect("/login")
	if got := cl.get("/login").wantStatus(http.StatusOK).text("flash"); got != msgRegistered {
		t.Errorf("flash = %q; want %q", got, msgRegistered)
	}
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	cl.signIn("anna@example.com", testPassword)

	page := cl.get("/cashier").wantStatus(http.StatusOK)
	if got := page.text("player-name"); got != "Anna Andersson" {
		t.Errorf("name = %q; want %q", got, "Anna Andersson")
	}
	if got := page.text("balance"); got != "€0.00" {
		t.Errorf("balance = %q; want %q", got, "€0.00")
	}
	cl.get("/").wantRedirect("/cashier")
	cl.get("/register").wantRedirect("/cashier")
}

// TestRegisterDuplicateEmailRevealsNothing: registering the email of an existing
// account answers exactly as a new registration does, changes nothing, and logs a
// line for the owner without the address.
func TestRegisterDuplicateEmailRevealsNothing(t *testing.T) {
	ta := newTestApp(t)
	owner := ta.player("anna@example.com")
	answer := func(email string) (status int, location, flash string) {
		cl := ta.client()
		r := cl.submit("/register", registration(email))
		return r.Status, r.Header.Get("Location"), cl.get("/login").text("flash")
	}
	s1, l1, f1 := answer("new@example.com")
	s2, l2, f2 := answer("Anna@Example.com")
	if s1 != s2 || l1 != l2 || f1 != f2 {
		t.Errorf("existing email: %d %q %q; new email: %d %q %q; want the same answer", s2, l2, f2, s1, l1, f1)
	}
	if n := countPlayers(t, ta); n != 2 {
		t.Errorf("players = %d; want 2", n)
	}
	ta.client().signIn("anna@example.com", testPassword) // the owner's password still works
	logs := ta.Logs.String()
	if !strings.Contains(logs, "registration with the email of an existing account") ||
		!strings.Contains(logs, fmt.Sprintf("player_id=%d", owner.ID)) || strings.Contains(strings.ToLower(logs), "anna@example.com") {
		t.Errorf("log: want a line naming player %d and not the address:\n%s", owner.ID, logs)
	}
}

func TestRegisterInvalidKeepsInput(t *testing.T) {
	for _, tt := range []struct {
		name, field, value, problem string
	}{
		{"email", "email", "anna.example.com", "Enter an email address such as anna@example.com."},
		{"password", "password", "short", "Choose a password of 10 to 128 characters."},
		{"name", "last_name", "  ", "Enter your first and last name as your bank knows them."},
		{"country", "country", "US", `We do not serve "US"; choose a country from the list.`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta := newTestApp(t)
			f := registration("anna@example.com")
			f.Set("first_name", "Änna <b>")
			f.Set("country", "NO")
			f.Set(tt.field, tt.value)
			page := ta.client().submit("/register", f).wantStatus(http.StatusUnprocessableEntity)
			if got := page.text("problem"); got != tt.problem {
				t.Errorf("problem = %q; want %q", got, tt.problem)
			}
			wantEmail, wantCountry := "anna@example.com", "NO"
			if tt.field == "email" {
				wantEmail = tt.value
			}
			if tt.field == "country" {
				wantCountry = "SE" // an unknown country cannot be selected; the default is
			}
			if got := page.value("email"); got != wantEmail {
				t.Errorf("email = %q; want %q", got, wantEmail)
			}
			if got := page.value("first-name"); got != "Änna <b>" {
				t.Errorf("first name = %q; want it as typed", got)
			}
			if got := page.value("country"); got != wantCountry {
				t.Errorf("country = %q; want %q", got, wantCountry)
			}
			if got := page.value("password"); got != "" {
				t.Errorf("password field = %q; want it empty", got)
			}
			if strings.Contains(page.Body, "<b>") {
				t.Error("typed HTML is not escaped")
			}
			if n := countPlayers(t, ta); n != 0 {
				t.Errorf("players = %d; want 0", n)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	ta := newTestApp(t)
	ta.player("anna@example.com")
	cl := ta.client()

	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	for _, f := range []url.Values{
		{"email": {"anna@example.com"}, "password": {"wrong password"}},
		{"email": {"nobody@example.com"}, "password": {testPassword}},
	} {
		page := cl.submit("/login", f).wantStatus(http.StatusUnprocessableEntity)
		if got, want := page.text("problem"), "Email or password is wrong."; got != want {
			t.Errorf("problem = %q; want %q", got, want)
		}
		if got := page.value("email"); got != f.Get("email") {
			t.Errorf("email = %q; want it as typed", got)
		}
		cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	}

	// After signing in the player goes where they were going, but only on this site.
	page := cl.get("/login?next=%2Fcashier%3Ftab%3D1").wantStatus(http.StatusOK)
	if got := page.find(func(n *html.Node) bool { return attr(n, "name") == "next" }); len(got) != 1 || attr(got[0], "value") != "/cashier?tab=1" {
		t.Errorf("login form has no next field /cashier?tab=1")
	}
	cl.submit("/login", url.Values{"email": {" ANNA@example.com "}, "password": {testPassword}, "next": {"/cashier?tab=1"}}).
		wantRedirect("/cashier?tab=1")
	cl.get("/cashier").wantStatus(http.StatusOK)

	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""} {
		cl := ta.client()
		cl.submit("/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword}, "next": {next}}).
			wantRedirect("/cashier")
	}
}

func TestLogout(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()
	cl.signUp("anna@example.com")
	page := cl.get("/cashier").wantStatus(http.StatusOK)
	if got := page.forms()["/logout"]; got == "" || got != cl.csrf() {
		t.Errorf("logout form CSRF token = %q; want the browser's token", got)
	}

	resp := cl.submit("/logout", nil).wantRedirect("/login")
	if got := cl.get("/login").text("flash"); got != "You are signed out." {
		t.Errorf("flash = %q", got)
	}
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	if c := resp.cookie(sessionCookie); c == nil {
		t.Error("logout did not rewrite the session cookie")
	}
	// GET cannot sign anyone out.
	other, _ := ta.signedIn("bert@example.com")
	other.get("/logout").wantStatus(http.StatusNotFound)
	other.get("/cashier").wantStatus(http.StatusOK)
}

func TestFormsCarryCSRFToken(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()
	for _, path := range []string{"/register", "/login"} {
		page := cl.get(path).wantStatus(http.StatusOK)
		forms := page.forms()
		if len(forms) == 0 {
			t.Errorf("%s has no form", path)
		}
		for action, token := range forms {
			if token == "" || token != cl.csrf() {
				t.Errorf("%s: form %s has CSRF token %q; want the browser's %q", path, action, token, cl.csrf())
			}
		}
	}
}

func TestPostWithoutCSRFTokenIsRefused(t *testing.T) {
	ta := newTestApp(t)
	ta.player("anna@example.com")
	cl := ta.client()
	cl.csrf() // the browser has a token cookie, the attacker's form has no field

	cl.post("/register", registration("eve@example.com")).wantStatus(http.StatusForbidden)
	f := registration("eve@example.com")
	f.Set(csrfField, "forged."+strings.Repeat("A", 43))
	cl.post("/register", f).wantStatus(http.StatusForbidden)
	if n := countPlayers(t, ta); n != 1 {
		t.Errorf("players = %d; want 1: nothing written", n)
	}

	// A token from another browser does not match this browser's cookie.
	f.Set(csrfField, ta.client().csrf())
	cl.post("/register", f).wantStatus(http.StatusForbidden)

	// A cross-site login: no session comes of it.
	page := cl.post("/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword}}).
		wantStatus(http.StatusForbidden)
	if got := page.text("error-title"); got != "Not allowed" {
		t.Errorf("error title = %q", got)
	}
	if page.cookie(sessionCookie) != nil {
		t.Error("a refused login set a session cookie")
	}
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")

	// Signed in, a forged logout does nothing.
	cl.signIn("anna@example.com", testPassword)
	cl.post("/logout", nil).wantStatus(http.StatusForbidden)
	cl.get("/cashier").wantStatus(http.StatusOK)
}

// TestCSRFTokenOnlyFromBodyOrHeader: the token counts in the form body (urlencoded
// or multipart) and in the X-CSRF-Token header, never in the query string.
func TestCSRFTokenOnlyFromBodyOrHeader(t *testing.T) {
	ta := newTestApp(t)
	ta.player("anna@example.com")
	cl := ta.client()
	login := url.Values{"email": {"anna@example.com"}, "password": {testPassword}}
	cl.post("/login?"+csrfField+"="+url.QueryEscape(cl.csrf()), login).wantStatus(http.StatusForbidden)
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")

	req := cl.request(http.MethodPost, "/login", strings.NewReader(login.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(csrfHeader, cl.csrf())
	cl.do(req).wantRedirect("/cashier")

	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField(csrfField, cl.csrf())
	w.Close()
	req = cl.request(http.MethodPost, "/logout", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	cl.do(req).wantRedirect("/login")
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
}

func TestCSRFTokens(t *testing.T) {
	const session = "player 0123456789abcdef"
	tokens := newCSRFTokens([]byte("0123456789abcdef0123456789abcdef"))
	tok := tokens.generate(session)
	changed := []byte(tok)
	if changed[0] == 'A' {
		changed[0] = 'B'
	} else {
		changed[0] = 'A'
	}
	for range 3 { // the HMACs are reused from one check to the next (csrfTokens.macs)
		if !tokens.valid(tok, session) {
			t.Fatalf("fresh token %q is not valid", tok)
		}
	}
	other := newCSRFTokens([]byte("fedcba9876543210fedcba9876543210"))
	for _, tt := range []struct {
		name    string
		token   string
		session string
		check   *csrfTokens
	}{
		{"other key", tok, session, other},
		{"other session", tok, "player fedcba9876543210", tokens},
		{"a staff session of the same id", tok, "staff 0123456789abcdef", tokens},
		{"no session", tok, "", tokens},
		{"changed", string(changed), session, tokens},
		{"no signature", strings.Split(tok, ".")[0], session, tokens},
		{"signature cut short", tok[:len(tok)-2], session, tokens},
		{"payload cut short", tok[4:], session, tokens},
		{"signature padded", tok + "=", session, tokens},
		{"empty", "", session, tokens},
		{"uuid", "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed", session, tokens},
	} {
		if tt.check.valid(tt.token, tt.session) {
			t.Errorf("%s: token %q is valid", tt.name, tt.token)
		}
	}
	later := *tokens
	later.now = func() time.Time { return time.Now().Add(csrfTTL + time.Minute) }
	if later.valid(tok, session) {
		t.Error("an expired token is valid")
	}
}

// msgSessionEnded is session.ended in English.
const msgSessionEnded = "Your session has ended. Log in again and you are taken back to what you were doing."

// TestSessionEndedReturns: a form sent with a session that has ended (here signed
// out elsewhere, after the form's page was shown) goes to the sign-in page, which
// says the session ended, and after signing in back to the form's page with the
// amount typed (TestBrowserSessionEndsInAForm: the other forms); a form that is
// on no page of its own goes to sign in plainly. A form sent
// with a cookie that cannot be read (keys changed, tampered) is refused: its
// token was bound to a session nobody can read any more.
func TestSessionEndedReturns(t *testing.T) {
	ta := newTestApp(t)
	anna := ta.player("anna@example.com")
	// An account to withdraw to, so that the withdrawal form shows its amount field.
	now := time.Now()
	if err := ta.DB.Create(&models.BankAccount{PlayerID: anna.ID, AccountID: "2853579240", Verified: true,
		Source: models.AccountFromDeposit, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ form, amount, next string }{
		{"/deposit", "250", "/cashier?amount=250"},
		{"/payout", "99.50", "/payout?amount=99.50"},
		{"/payout", "//evil.example/x", "/payout?amount=%2F%2Fevil.example%2Fx"},
		{"/payouts/1/cancel", "", ""},
	} {
		cl := ta.client()
		cl.signIn("anna@example.com", testPassword)
		cl.get("/cashier").wantStatus(http.StatusOK)
		if err := ta.Svc.EndSessions(context.Background(), anna.ID); err != nil {
			t.Fatal(err)
		}
		want := "/login"
		if tt.next != "" {
			want += "?next=" + url.QueryEscape(tt.next)
		}
		cl.submit(tt.form, url.Values{"amount": {tt.amount}}).wantRedirect(want)
		if tt.next == "" {
			continue
		}
		page := cl.get(want).wantStatus(http.StatusOK)
		if got := page.text("flash"); got != msgSessionEnded {
			t.Errorf("%s: the sign-in page says %q; want %q", tt.form, got, msgSessionEnded)
		}
		cl.submit("/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword}, "next": {tt.next}}).
			wantRedirect(tt.next)
		if got := cl.get(tt.next).wantStatus(http.StatusOK).value("amount"); got != tt.amount {
			t.Errorf("%s: back on %s the amount reads %q; want %q", tt.form, tt.next, got, tt.amount)
		}
	}

	cl := ta.client()
	cl.signIn("anna@example.com", testPassword)
	cl.get("/cashier").wantStatus(http.StatusOK)
	cl.setCookie(sessionCookie, "ended")
	cl.submit("/deposit", url.Values{"amount": {"250"}}).wantStatus(http.StatusForbidden)
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
}

// TestPasswordChange: a player changes their password from the profile page; this
// browser stays signed in, their other browser is signed out, and the new password
// signs in. A wrong current password is shown on the profile page, with nothing
// changed.
func TestPasswordChange(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	other := ta.client()
	other.signIn("anna@example.com", testPassword)
	page := cl.get("/profile").wantStatus(http.StatusOK)
	if !page.has("password-form") || page.forms()["/profile/password"] != cl.csrf() {
		t.Fatal("the profile page has no password form with the browser's CSRF token")
	}
	r := cl.submit("/profile/password", url.Values{"current": {"not my password"}, "password": {"a new password 1"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Your current password is wrong.") {
		t.Errorf("a wrong current password: %d; want 422 with the reason", r.Status)
	}
	other.get("/cashier").wantStatus(http.StatusOK)
	cl.submit("/profile/password", url.Values{"current": {testPassword}, "password": {"a new password 1"}}).wantRedirect("/profile")
	if got := cl.get("/profile").wantStatus(http.StatusOK).text("flash"); !strings.Contains(got, "Your password is changed") {
		t.Errorf("flash %q", got)
	}
	other.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	if r := ta.client().submit("/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("the old password: %d; want 422", r.Status)
	}
	ta.client().signIn("anna@example.com", "a new password 1")
}

// TestSignedOutInAnotherTabReturns: a deposit form left open in one tab while
// the player signs out in another of the same browser leads, when sent, to
// signing in and back to the form with the amount typed, as for any ended
// session, not to "This form has expired or was sent from another site": signing
// out makes a new session ID, and keeps the one the open forms' tokens are bound
// to only to recognise them (EndedID); signing in makes a new one again.
func TestSignedOutInAnotherTabReturns(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.signedIn("anna@example.com")
	form := cl.get("/cashier").wantStatus(http.StatusOK).forms()["/deposit"]
	if form == "" {
		t.Fatal("no deposit form with a CSRF token")
	}
	cl.submit("/logout", nil).wantRedirect("/login")
	cl.get("/login").wantStatus(http.StatusOK) // the other tab shows the sign-in page
	cl.post("/deposit", url.Values{csrfField: {form}, "amount": {"250"}}).
		wantRedirect("/login?next=" + url.QueryEscape("/cashier?amount=250"))
	// Signing in again still makes a new session: the old form's token is refused.
	cl.signIn("anna@example.com", testPassword)
	cl.post("/deposit", url.Values{csrfField: {form}, "amount": {"250"}}).wantStatus(http.StatusForbidden)
}

// TestSessionEndedKeepsQuickPick: a quick pick pressed without JavaScript sends
// the deposit form with its amount as "pick" and the amount field empty; sent
// after the session ended, the cashier page after signing in has that amount, as
// the deposit would have taken it, not an empty field.
func TestSessionEndedKeepsQuickPick(t *testing.T) {
	ta := newTestApp(t)
	cl, anna := ta.signedIn("anna@example.com")
	cl.get("/cashier").wantStatus(http.StatusOK)
	if err := ta.Svc.EndSessions(context.Background(), anna.ID); err != nil {
		t.Fatal(err)
	}
	cl.submit("/deposit", url.Values{"amount": {""}, "pick": {"250.00"}}).
		wantRedirect("/login?next=" + url.QueryEscape("/cashier?amount=250.00"))
}

// TestRegisterFillsSignIn: after registering, the sign-in page has the email just
// typed in its field, once, so the new player types only the password; a
// registration with an email that has an account is answered the same, so the
// field tells nothing but what the registrant typed.
func TestRegisterFillsSignIn(t *testing.T) {
	ta := newTestApp(t)
	ta.player("taken@example.com")
	for _, email := range []string{"new@example.com", "taken@example.com"} {
		cl := ta.client()
		cl.submit("/register", registration(" "+email+" ")).wantRedirect("/login")
		if got := cl.get("/login").wantStatus(http.StatusOK).value("email"); got != email {
			t.Errorf("sign-in after registering %s: email field %q; want it filled", email, got)
		}
		if got := cl.get("/login").wantStatus(http.StatusOK).value("email"); got != "" {
			t.Errorf("sign-in shown again after registering %s: email field %q; want it empty", email, got)
		}
	}
}
