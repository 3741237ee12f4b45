package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
	"gorm.io/gorm"
)

// refreshIn is when the page reloads itself for the reality check, in seconds;
// "" when it does not.
func refreshIn(r *testResponse) string {
	for _, n := range r.find(func(n *html.Node) bool { return n.Data == "meta" && attr(n, "name") == "reality-check-in" }) {
		return attr(n, "content")
	}
	return ""
}

// TestRealityCheck: with a 30-minute interval the notice appears on the first page
// view once 30 minutes have passed since sign-in, not a second before (until then
// the page reloads itself when it is due), with the time and the session's net
// result; acknowledging it (a POST with the CSRF token) starts the next interval.
// In a market where it is off, nothing is shown.
func TestRealityCheck(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)}
	ta := newTestApp(t, func(s *testSetup) {
		s.Cashier.Now = clock.Now
		s.Cashier.Config.RealityCheck = map[string]time.Duration{"SE": 30 * time.Minute, "DE": 0}
	})
	cl, player := ta.signedIn("anna@example.com")
	page := cl.get("/cashier").wantStatus(200)
	if page.has("reality-check") || refreshIn(page) != "1800" {
		t.Fatalf("at sign-in: notice %t, refresh %q; want none, 1800", page.has("reality-check"), refreshIn(page))
	}
	// Money of the session: a credited deposit of 500 and a payout of 150 requested.
	for _, o := range []models.Order{
		{MessageID: "dep-rc-1", Kind: models.OrderDeposit, Status: models.OrderCredited, Amount: models.Money{Minor: 50000, Currency: "SEK"}},
		{MessageID: "dep-rc-2", Kind: models.OrderDeposit, Status: models.OrderFailed, Amount: models.Money{Minor: 90000, Currency: "SEK"}},
		{MessageID: "pay-rc-1", Kind: models.OrderPayout, Status: models.OrderSent, Amount: models.Money{Minor: 15000, Currency: "SEK"}},
	} {
		o.PlayerID, o.CreatedAt = player.ID, clock.Now().Add(time.Minute)
		if o.Status == models.OrderCredited {
			o.CreditedAt = &o.CreatedAt // its credit booked, as Refresh reads a credited deposit
		}
		if err := ta.DB.Create(&o).Error; err != nil {
			t.Fatal(err)
		}
	}

	clock.Advance(30*time.Minute - time.Second)
	page = cl.get("/history").wantStatus(200)
	if page.has("reality-check") || refreshIn(page) != "1" {
		t.Fatalf("a second before: notice %t, refresh %q; want none, 1", page.has("reality-check"), refreshIn(page))
	}
	clock.Advance(time.Second)
	page = cl.get("/history").wantStatus(200)
	if !page.has("reality-check") {
		t.Fatal("after 30 minutes: no reality check notice")
	}
	if got := page.text("reality-check-time"); got != "30 minutes" {
		t.Errorf("time %q; want 30 minutes", got)
	}
	if got := page.text("reality-check-net"); got != "SEK 350.00" {
		t.Errorf("net %q; want SEK 350.00 (500 deposited, 150 withdrawn)", got)
	}
	if refreshIn(page) != "" {
		t.Errorf("refresh %q while the notice shows; want none", refreshIn(page))
	}

	cl.post("/reality-check", url.Values{"next": {"/history"}}).wantStatus(403)
	cl.submit("/reality-check", url.Values{"next": {"/history"}}).wantRedirect("/history")
	page = cl.get("/history").wantStatus(200)
	if page.has("reality-check") || refreshIn(page) != "1800" {
		t.Fatalf("after acknowledging: notice %t, refresh %q; want none, 1800", page.has("reality-check"), refreshIn(page))
	}
	clock.Advance(31 * time.Minute)
	if page = cl.get("/cashier"); page.text("reality-check-time") != "1 hour 1 minute" {
		t.Errorf("next check: time %q; want 1 hour 1 minute since sign-in", page.text("reality-check-time"))
	}

	// Germany: off.
	de, err := ta.Svc.Register(t.Context(), models.Registration{Email: "dora@example.com", Password: testPassword,
		FirstName: "Dora", LastName: "Deutsch", Country: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	dcl := ta.client()
	dcl.signIn(de.Email, testPassword)
	clock.Advance(5 * time.Hour)
	if page = dcl.get("/cashier").wantStatus(200); page.has("reality-check") || refreshIn(page) != "" {
		t.Errorf("DE after 5 hours: notice %t, refresh %q; want neither", page.has("reality-check"), refreshIn(page))
	}
}

// TestBreakPages: choosing a break shows a confirmation and changes nothing; only
// the confirmation takes it; without the CSRF token nothing happens; the cashier
// then says until when and refuses a deposit; there is no page to end a break.
func TestBreakPages(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)}
	ta := newTestApp(t, func(s *testSetup) { s.Cashier.Now = clock.Now })
	cl, player := ta.signedIn("anna@example.com")
	confirm := cl.submit("/breaks", url.Values{"kind": {"time-out-30d"}}).wantStatus(200)
	if got := confirm.text("break-confirm-text"); !strings.Contains(got, "a 30-day time-out") || !strings.Contains(got, "until 3 Jun 2026, 12:00 CEST") {
		t.Errorf("confirmation %q; want the kind and its end", got)
	}
	if _, ok, _ := ta.Svc.CurrentBreak(t.Context(), player); ok {
		t.Fatal("a break in force before the confirmation")
	}
	cl.post("/breaks/confirm", url.Values{"kind": {"time-out-30d"}}).wantStatus(403)
	cl.submit("/breaks", url.Values{"kind": {"time-out-1h"}}).wantStatus(422)
	cl.submit("/breaks/confirm", url.Values{"kind": {"time-out-30d"}}).wantRedirect("/breaks")
	if _, ok, _ := ta.Svc.CurrentBreak(t.Context(), player); !ok {
		t.Fatal("no break in force after the confirmation")
	}
	const sentence = "You chose a 30-day time-out, so deposits and play are paused until 3 Jun 2026, 12:00 CEST."
	if got := cl.get("/cashier").text("on-break"); !strings.HasPrefix(got, sentence) {
		t.Errorf("cashier notice %q; want %q", got, sentence)
	}
	if got := cl.submit("/deposit", url.Values{"amount": {"100"}}).wantStatus(422).text("problem"); !strings.HasPrefix(got, sentence) {
		t.Errorf("deposit refused with %q; want %q", got, sentence)
	}
	for _, path := range []string{"/breaks/end", "/breaks/cancel", "/breaks/1/end"} {
		cl.submit(path, nil).wantStatus(404)
	}
	if got := cl.submit("/breaks/confirm", url.Values{"kind": {"time-out-24h"}}).wantStatus(422).text("problem"); !strings.HasPrefix(got, "You already have a break until 3 Jun 2026, 12:00 CEST.") {
		t.Errorf("shorter break: %q; want refused", got)
	}
}

// TestBreakClosesStartedDeposit: a deposit the player started before taking a
// break is not offered again during it: its checkout page sends them to the
// cashier, which shows the break, instead of Trustly's checkout.
func TestBreakClosesStartedDeposit(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, player := lv.signedIn("anna@example.com")
	id := lv.startDeposit(cl, "100")
	checkout := "/deposit/checkout?order=" + url.QueryEscape(id)
	if r := cl.get(checkout); r.Status != http.StatusOK || !r.has("checkout-frame") {
		t.Fatalf("before the break: GET %s %d; want Trustly's checkout", checkout, r.Status)
	}
	cl.submit("/breaks/confirm", url.Values{"kind": {"time-out-30d"}}).wantRedirect("/breaks")
	if _, ok, _ := lv.Svc.CurrentBreak(t.Context(), player); !ok {
		t.Fatal("no break in force")
	}
	cl.get(checkout).wantRedirect("/cashier")
}

// TestTwinBreakClosesStartedDeposit: a deposit started before another account
// with the player's names and date of birth (one from before the personnummer was
// asked) took a break is not offered during that break either: its checkout page
// sends the player to the cashier, which says so in the deposit form's words,
// instead of Trustly's checkout.
func TestTwinBreakClosesStartedDeposit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Setup: func(s *testSetup) { s.Cashier.DB = db }})
		cl, player := lv.signedIn("anna@example.com")
		id := lv.startDeposit(cl, "100")
		checkout := "/deposit/checkout?order=" + url.QueryEscape(id)
		if r := cl.get(checkout); r.Status != http.StatusOK || !r.has("checkout-frame") {
			t.Fatalf("before the break: GET %s %d; want Trustly's checkout", checkout, r.Status)
		}
		// Her date of birth, as a register market's registration stores it.
		if err := lv.DB.Model(&models.Player{}).Where("id = ?", player.ID).Update("date_of_birth", "1980-01-01").Error; err != nil {
			t.Fatal(err)
		}
		twin := models.Player{EndUserID: models.NewEndUserID(), Email: "anna.old@example.com",
			PasswordHash: "$2a$10$abcdefghijklmnopqrstuv", FirstName: player.FirstName, LastName: player.LastName,
			Country: player.Country, Currency: player.Currency, DateOfBirth: "1980-01-01", Role: models.RolePlayer}
		if err := lv.DB.Create(&twin).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := lv.Svc.TakeBreak(t.Context(), twin, "", breaks.TimeOut30d); err != nil {
			t.Fatal(err)
		}
		cl.get(checkout).wantRedirect("/cashier")
		want := cl.submit("/deposit", url.Values{"amount": {"100"}}).wantStatus(http.StatusUnprocessableEntity).text("problem")
		cl.get(checkout).wantRedirect("/cashier")
		if got := cl.get("/cashier").wantStatus(http.StatusOK).text("flash"); got != want {
			t.Errorf("cashier after the closed checkout says %q; want the deposit form's %q", got, want)
		}
	})
}

// TestRealityCheckAckBeforeDue: an acknowledgement sent while no check is due
// (the form replayed by a script) does not put the next check off: it comes an
// interval after sign-in all the same.
func TestRealityCheckAckBeforeDue(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)}
	ta := newTestApp(t, func(s *testSetup) {
		s.Cashier.Now = clock.Now
		s.Cashier.Config.RealityCheck = map[string]time.Duration{"SE": 30 * time.Minute}
	})
	cl, _ := ta.signedIn("anna@example.com")
	cl.get("/cashier").wantStatus(http.StatusOK)
	clock.Advance(29 * time.Minute)
	cl.submit("/reality-check", url.Values{"next": {"/cashier"}}).wantRedirect("/cashier")
	clock.Advance(time.Minute)
	if page := cl.get("/cashier").wantStatus(http.StatusOK); !page.has("reality-check") {
		t.Fatalf("30 minutes after sign-in, after an acknowledgement of no notice: none shown (refresh in %q)", refreshIn(page))
	}
}

// downable is a register that fails while down is set and otherwise asks next.
type downable struct {
	down atomic.Bool
	next exclusions.Exclusions
}

func (d *downable) Check(ctx context.Context, p exclusions.Person) (exclusions.Result, error) {
	if d.down.Load() {
		return exclusions.Result{}, exclusions.ErrUnavailable
	}
	return d.next.Check(ctx, p)
}

// TestDepositRefusedByRegister: a signed-in Swedish player who excluded themselves
// in the national register since signing in sends the deposit form and gets the
// cashier page back with the sentence saying why, in the page's language; a
// register that does not answer gets its own sentence. No order is created, and
// the player is still signed in (to withdraw).
func TestDepositRefusedByRegister(t *testing.T) {
	fake := exclusions.Sandbox()
	register := &downable{next: fake}
	ta := newTestApp(t, func(s *testSetup) { s.Cashier.Exclusions = register })
	cl, player := ta.signedIn("anna@example.com")
	id, err := paynplay.ParsePersonID("", player.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	fake.Entries = append(fake.Entries, exclusions.FakeEntry{Country: "SE", PersonID: id.Number})

	for _, tt := range []struct{ lang, want string }{
		{"en", "You are registered as excluded from gambling (Spelpaus), so you cannot deposit or play here. No money was moved; you can still withdraw your balance."},
		{"sv", "Du är registrerad som avstängd från spel (Spelpaus), så du kan inte sätta in pengar eller spela här. Inga pengar flyttades; du kan fortfarande ta ut ditt saldo."},
	} {
		cl.submit("/language", url.Values{"lang": {tt.lang}, "back": {"/cashier"}}).wantRedirect("/cashier")
		page := cl.submit("/deposit", url.Values{"amount": {"100"}}).wantStatus(http.StatusUnprocessableEntity)
		if got := page.text("problem"); got != tt.want {
			t.Errorf("%s: problem %q; want %q", tt.lang, got, tt.want)
		}
		if got := page.value("amount"); got != "100" {
			t.Errorf("%s: amount %q; want what was typed, 100", tt.lang, got)
		}
	}

	register.down.Store(true)
	page := cl.submit("/deposit", url.Values{"amount": {"100"}}).wantStatus(http.StatusUnprocessableEntity)
	if got, want := page.text("problem"), lang.For("sv", nil).T("problem.register_unavailable"); got != want {
		t.Errorf("register down: problem %q; want %q", got, want)
	}
	var orders int64
	if ta.DB.Model(&models.Order{}).Where("player_id = ?", player.ID).Count(&orders); orders != 0 {
		t.Errorf("%d orders; want none", orders)
	}
	cl.get("/cashier").wantStatus(http.StatusOK)
}

// exclude lists player in the fake register.
func exclude(t *testing.T, fake *exclusions.Fake, player models.Player) {
	t.Helper()
	id, err := paynplay.ParsePersonID("", player.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	fake.Entries = append(fake.Entries, exclusions.FakeEntry{Country: "SE", PersonID: id.Number})
}

// TestWithdrawOnlySession: a Swedish password player with a balance who excluded
// themselves in the national register signs in to a withdraw-only session. The
// sign-in is logged with their id, and the cashier page says why deposits are
// closed and has no deposit form or quick picks. A deposit sent anyway is refused
// from the session alone (the register is down meanwhile, and its own refusal
// would read otherwise), with no order; the checkout page is closed too. A payout
// to the saved account goes through, history, bank accounts and profile open, a
// new password does not open a full session, and sign-out works. An excluded
// player with nothing here is refused as before, a register that does not answer
// refuses the sign-in (fail closed), and a player the register does not list is
// not affected.
func TestWithdrawOnlySession(t *testing.T) {
	fake := exclusions.Sandbox()
	register := &downable{next: fake}
	o := fundingOptions()
	o.Setup = func(s *testSetup) { s.Cashier.Exclusions = register }
	lv := startLive(t, o)
	cl, anna, account := funded(t, lv, "anna@example.com", "1000")
	cl.submit("/logout", nil).wantRedirect("/login")
	cl.get("/login").wantStatus(http.StatusOK) // where the sign-out leads: its form's token
	bo := lv.player("bo@example.com")
	exclude(t, fake, anna)
	exclude(t, fake, bo)

	cl.submit("/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword}, "next": {"/history"}}).
		wantRedirect("/cashier")
	if want := fmt.Sprintf("player_id=%d register=fake", anna.ID); !strings.Contains(lv.Logs.String(), "signed in withdraw-only") ||
		!strings.Contains(lv.Logs.String(), want) {
		t.Errorf("no log line of the withdraw-only sign-in with %q", want)
	}
	page := cl.get("/cashier").wantStatus(http.StatusOK)
	if got, want := page.text("withdraw-only"), "You are registered as excluded from gambling (Spelpaus), so deposits and play are closed to you here."; !strings.Contains(got, want) {
		t.Errorf("withdraw-only notice %q; want it to say %q", got, want)
	}
	if l := page.byTestID("withdraw-link"); len(l) == 0 || attr(l[0], "href") != "/payout" {
		t.Error("no link to withdraw on the withdraw-only cashier page")
	}
	if page.has("deposit-form") || page.has("amount") || len(page.find(func(n *html.Node) bool {
		return strings.HasPrefix(attr(n, "data-testid"), "pick-")
	})) > 0 {
		t.Error("the withdraw-only cashier page offers a deposit")
	}
	if got := page.text("balance"); got != "SEK 1,000.00" {
		t.Errorf("balance %q; want SEK 1,000.00", got)
	}

	register.down.Store(true)
	deposits := func() (n int64) {
		lv.DB.Model(&models.Order{}).Where("player_id = ? AND kind = ?", anna.ID, models.OrderDeposit).Count(&n)
		return n
	}
	before := deposits()
	for _, form := range []url.Values{{"amount": {"100"}}, {"pick": {"100.00"}}} {
		r := cl.submit("/deposit", form).wantStatus(http.StatusUnprocessableEntity)
		want := "You are registered as excluded from gambling (Spelpaus), so you cannot deposit or play here. No money was moved; you can still withdraw your balance."
		if got := r.text("problem"); got != want {
			t.Errorf("deposit %v in a withdraw-only session: problem %q; want %q", form, got, want)
		}
		if r.has("deposit-form") || !r.has("withdraw-only") {
			t.Errorf("deposit %v refused: the page offers a deposit or lacks the notice", form)
		}
	}
	if got := deposits(); got != before {
		t.Errorf("%d deposit orders after the refused deposits; want %d", got, before)
	}
	cl.get("/deposit/checkout?order=dep-any").wantRedirect("/cashier")
	register.down.Store(false)

	id := requestPayout(t, cl, "400", account.ID)
	lv.waitPayout(id, models.OrderConfirmed, nil)
	if got := lv.wallet(anna); got.Minor != 60000 {
		t.Errorf("wallet after the payout: %d; want 60000", got.Minor)
	}
	for _, path := range []string{"/payout", "/payouts/" + strconv.FormatInt(id, 10), "/history", "/bank-accounts", "/profile"} {
		cl.get(path).wantStatus(http.StatusOK)
	}
	cl.submit("/profile/password", url.Values{"current": {testPassword}, "password": {"a new password 1"}}).wantRedirect("/profile")
	if page := cl.get("/cashier").wantStatus(http.StatusOK); !page.has("withdraw-only") || page.has("deposit-form") {
		t.Error("after a new password the session is no longer withdraw-only")
	}
	cl.submit("/logout", nil).wantRedirect("/login")
	cl.get("/cashier").wantRedirect("/login?next=%2Fcashier")

	r := lv.client().submit("/login", url.Values{"email": {"bo@example.com"}, "password": {testPassword}}).wantStatus(http.StatusForbidden)
	if got := r.text("refused-title"); got != "You cannot play here" {
		t.Errorf("excluded player with nothing here: %q; want the refusal page", got)
	}
	register.down.Store(true)
	other := lv.client()
	other.submit("/login", url.Values{"email": {"anna@example.com"}, "password": {"a new password 1"}}).wantStatus(http.StatusServiceUnavailable)
	other.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	register.down.Store(false)

	cara, _ := lv.signedIn("cara@example.com")
	if page := cara.get("/cashier").wantStatus(http.StatusOK); page.has("withdraw-only") || !page.has("deposit-form") {
		t.Error("a player the register does not list: no deposit form, or the withdraw-only notice")
	}
}

// TestBreakFormSentTwice: the confirmation of a break sent twice, as a double
// click or a browser sending it again after a reload does, takes one break: the
// second sending a second later answers as the first did (the break started, the
// same sentence) and writes nothing, and two sendings of one form at once take
// one break too. A new form for a longer break is still a break of its own, on
// both databases.
func TestBreakFormSentTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		clock := &testClock{now: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)}
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB, s.Cashier.Now = db, clock.Now })
		cl, player := ta.signedIn("anna@example.com")
		count := func() int {
			t.Helper()
			bs, err := ta.Svc.Breaks(t.Context(), player)
			if err != nil {
				t.Fatal(err)
			}
			return len(bs)
		}
		form := func(kind string) url.Values {
			t.Helper()
			page := cl.submit("/breaks", url.Values{"kind": {kind}}).wantStatus(200)
			if n := page.byTestID("break-confirm-form"); len(n) != 1 || attr(n[0], "autocomplete") != "off" {
				t.Error("the confirmation form's autocomplete is not off")
			}
			return page.hiddenFields("break-confirm-form")
		}

		day := form("time-out-24h")
		if day.Get("token") == "" {
			t.Fatalf("the confirmation form has no token: %v", day)
		}
		cl.submit("/breaks/confirm", day).wantRedirect("/breaks")
		first := cl.get("/breaks").wantStatus(200).text("flash")
		clock.Advance(time.Second)
		cl.submit("/breaks/confirm", day).wantRedirect("/breaks")
		if again := cl.get("/breaks").wantStatus(200).text("flash"); again != first || !strings.HasPrefix(first, "Your break has started.") {
			t.Errorf("the form sent again says %q; want what the first said, %q", again, first)
		}
		if n := count(); n != 1 {
			t.Fatalf("one form sent twice: %d breaks; want 1", n)
		}

		clock.Advance(time.Second)
		week := form("time-out-7d")
		var wg sync.WaitGroup
		got := make([]*testResponse, 2)
		for i := range got {
			wg.Go(func() { got[i] = cl.submit("/breaks/confirm", week) })
		}
		wg.Wait()
		for _, r := range got {
			if r.Status != 303 || r.Header.Get("Location") != "/breaks" {
				t.Errorf("one of two sendings at once: %d to %q; want 303 to /breaks\n%s", r.Status, r.Header.Get("Location"), r.Body)
			}
		}
		if n := count(); n != 2 {
			t.Fatalf("a new form for a longer break sent twice at once: %d breaks in all; want 2", n)
		}
		if rows := cl.get("/breaks").wantStatus(200).find(func(n *html.Node) bool { return n.Data == "tr" }); len(rows) != 3 {
			t.Errorf("%d rows in Your breaks (with the header); want 3", len(rows))
		}

		// A made-up token, another player's form's, or this player's used one with
		// another kind is refused, and takes nothing.
		bob, _ := ta.signedIn("bob@example.com")
		bobs := bob.submit("/breaks", url.Values{"kind": {"time-out-24h"}}).wantStatus(200).hiddenFields("break-confirm-form")
		bob.submit("/breaks/confirm", bobs).wantRedirect("/breaks")
		clock.Advance(time.Second)
		for _, tt := range []struct{ name, token string }{
			{"a made-up token", "brk-not-a-token"}, {"another player's token", bobs.Get("token")},
			{"the 7-day form's token", week.Get("token")},
		} {
			f := form("time-out-30d")
			f.Set("token", tt.token)
			if got := cl.submit("/breaks/confirm", f).wantStatus(422).text("problem"); got != "This break form is out of date; open the breaks page again." {
				t.Errorf("%s: %q; want the form out of date", tt.name, got)
			}
		}
		if n := count(); n != 2 {
			t.Errorf("after forms with tokens not theirs: %d breaks; want 2", n)
		}
		cl.submit("/breaks/confirm", form("time-out-30d")).wantRedirect("/breaks")
		if n := count(); n != 3 {
			t.Errorf("a third form, for a longer break: %d breaks; want 3", n)
		}
	})
}
