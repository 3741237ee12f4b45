package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
)

// TestPayNPlayWithdrawOnlySession: a pure Pay N Play player (no password: the bank
// is the only way in) with a balance who then excluded themselves in the national
// register logs in with the bank to a withdraw-only session, as a password player
// signs in to one (TestWithdrawOnlySession): the sign-in is logged, the cashier page
// shows the balance, says why deposits are closed in the same words and leads to
// the withdrawal, and has no deposit form. A deposit sent anyway is refused from
// the session with a password player's sentence, the checkout page and "Deposit &
// play" open nothing, and the payout goes to the account deposited from. A
// "Deposit & play" of the same person from another browser is refused by the kyc
// (self-excluded), and nobody is signed in by it.
func TestPayNPlayWithdrawOnlySession(t *testing.T) {
	fake := exclusions.Sandbox()
	setup := withPayNPlay(t, "pure")
	lv := startLive(t, liveOptions{
		Setup: func(s *testSetup) { setup(s); s.Cashier.Exclusions = fake },
		Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-adult"},
	})
	cl := lv.client()
	first := startPayNPlay(cl, "SE", "1000")
	lv.waitStatus(first, models.OrderCredited)
	player := *lv.waitDecision(first).Player
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(first)).wantRedirect("/deposit/success?order=" + url.QueryEscape(first))
	account := lv.waitAccount(player, models.AccountFromDeposit)
	cl.submit("/logout", nil).wantRedirect("/")
	exclude(t, fake, player)

	cl = lv.client()
	login := startPayNPlay(cl, "SE", "")
	if out := lv.waitDecision(login); out.State != cashier.PayNPlayReady || out.Access != (cashier.Access{WithdrawOnly: true, Register: "fake"}) {
		t.Fatalf("excluded player with a balance logs in with the bank: %s %q access %+v; want ready, withdraw-only", out.State, out.Message, out.Access)
	}
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(login)).wantRedirect("/cashier")
	if s := sessionOf(t, lv.testApp, cl); s.PlayerID != player.ID || !s.WithdrawOnly || s.ExcludedBy != "fake" {
		t.Errorf("session %+v; want player %d, withdraw-only, excluded by fake", s, player.ID)
	}
	if want := fmt.Sprintf("player_id=%d register=fake", player.ID); !strings.Contains(lv.Logs.String(), "signed in withdraw-only") ||
		!strings.Contains(lv.Logs.String(), want) {
		t.Errorf("no log line of the withdraw-only sign-in with %q", want)
	}

	page := cl.get("/cashier").wantStatus(http.StatusOK)
	if got, want := page.text("withdraw-only"), "You are registered as excluded from gambling (Spelpaus), so deposits and play are closed to you here. You can still withdraw your balance and follow your payouts."; !strings.Contains(got, want) {
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

	orders := func() int64 { return lv.countRows(&models.Order{}, "kind = ?", models.OrderDeposit) }
	before := orders()
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
	cl.get("/deposit/checkout?order=dep-any").wantRedirect("/cashier")
	cl.submit("/paynplay/deposit", url.Values{"market": {"SE"}, "amount": {"100"}}).wantRedirect("/cashier")
	cl.submit("/paynplay/login", url.Values{"market": {"SE"}}).wantRedirect("/cashier")
	if got := orders(); got != before {
		t.Errorf("%d deposit orders after the refused deposits; want %d", got, before)
	}

	cl.get("/payout").wantStatus(http.StatusOK)
	id := requestPayout(t, cl, "400", 0)
	payout := lv.waitPayout(id, models.OrderConfirmed, nil)
	if payout.BankAccountID != account.ID || payout.AccountID != account.AccountID {
		t.Errorf("payout to account %d %q; want the one deposited from, %d %q", payout.BankAccountID, payout.AccountID, account.ID, account.AccountID)
	}
	if got := lv.wallet(player); got.Minor != 60000 {
		t.Errorf("wallet after the payout: %d; want 60000", got.Minor)
	}
	for _, path := range []string{"/payouts/" + fmt.Sprint(id), "/history", "/bank-accounts", "/profile"} {
		cl.get(path).wantStatus(http.StatusOK)
	}
	cl.submit("/logout", nil).wantRedirect("/")

	other := lv.client()
	refused := startPayNPlay(other, "SE", "100")
	if out := lv.waitDecision(refused); out.State != cashier.PayNPlayRefused || out.Access.WithdrawOnly {
		t.Fatalf("Deposit & play of the excluded player: %s access %+v; want refused", out.State, out.Access)
	}
	lv.waitStatus(refused, models.OrderFailed)
	r := other.get(cashier.PayNPlayFailPath + "?order=" + url.QueryEscape(refused)).wantStatus(http.StatusOK)
	if got, want := r.text("refusal"), "You are registered as excluded from gambling (Spelpaus), so you cannot play here. No money was moved."; got != want {
		t.Errorf("Deposit & play refusal %q; want %q", got, want)
	}
	other.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	if got := lv.wallet(player); got.Minor != 60000 {
		t.Errorf("wallet after the refused Deposit & play: %d; want 60000", got.Minor)
	}
}
