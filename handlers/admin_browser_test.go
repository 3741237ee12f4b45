package handlers

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
)

// staffSignInSteps signs in on the staff sign-in page; code may be empty.
func (b *browser) staffSignInSteps(email, password, code string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(b.lv.URL + "/admin"),
		chromedp.WaitVisible(id("admin-login-form")),
		chromedp.SendKeys(id("email"), email),
		chromedp.SendKeys(id("password"), password),
		chromedp.SendKeys(id("code"), code),
		chromedp.Click(id("admin-login-submit")),
		chromedp.WaitVisible(id("admin-title")),
	}
}

// staffFirstSignInSteps sign in a member an owner added with the temporary
// password the owner typed, and choose the member's own on the page they are
// sent to first.
func (b *browser) staffFirstSignInSteps(email, temporary, own string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(b.lv.URL + "/admin"),
		chromedp.WaitVisible(id("admin-login-form")),
		chromedp.SendKeys(id("email"), email),
		chromedp.SendKeys(id("password"), temporary),
		chromedp.Click(id("admin-login-submit")),
		chromedp.WaitVisible(id("password-temporary")),
		chromedp.SendKeys(id("current"), temporary),
		chromedp.SendKeys(id("new-password"), own),
		chromedp.Click(id("password-submit")),
		chromedp.WaitVisible(id("admin-title")),
	}
}

// staffSignOut signs out with the header's button.
func (b *browser) staffSignOut() {
	b.t.Helper()
	b.do("sign out", chromedp.Click(id("admin-logout")), chromedp.WaitVisible(id("admin-login-form")))
}

// inRow is the selector of testid inside the approvals queue's row for order.
func inRow(order int64, testid string) chromedp.CSS {
	return chromedp.CSS(`[data-order="` + strconv.FormatInt(order, 10) + `"] [data-testid="` + testid + `"]`)
}

// TestBrowserBackOffice: the owner signs in with a TOTP code (computed here with
// the library) and, after confirming their password and a code again, creates an
// operator and a finance member; the operator approves one payout and denies
// another, and gives the first approval of a payout above the second threshold
// after confirming their password; the payout is sent only when the finance member
// approves it too.
func TestBrowserBackOffice(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
		s.Cashier.Config.Limits = map[string]cashier.Limits{"SEK": twoPersonLimits()}
	}})
	b := newBrowserFor(t, lv, 90*time.Second)
	ctx := context.Background()
	if err := lv.Svc.EnsureOwner(ctx, "owner@example.com", testPassword); err != nil {
		t.Fatal(err)
	}
	// The owner set up their app earlier: the code they confirmed it with is one
	// step old, so the sign-in below takes the current one.
	owner := lv.staffByEmail("owner@example.com")
	enrol, err := lv.Svc.StartTOTP(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lv.Svc.ConfirmTOTP(ctx, owner, totpCode(t, enrol.Secret, time.Now().Add(-30*time.Second))); err != nil {
		t.Fatal(err)
	}
	cl, player, acc := funded(t, lv, "anna@example.com", "30000")
	single := requestPayout(t, cl, "5500", acc.ID)
	denied := requestPayout(t, cl, "6000", acc.ID)
	double := requestPayout(t, cl, "12000", acc.ID)

	b.do("owner signs in with a code", b.staffSignInSteps("owner@example.com", testPassword, totpCode(t, enrol.Secret, time.Now()))...)
	b.do("adding staff: confirm the password and code first",
		chromedp.Navigate(lv.URL+"/admin/staff"),
		chromedp.WaitVisible(id("staff-form")),
		chromedp.SendKeys(id("new-email"), "ops@example.com"),
		chromedp.SendKeys(id("new-password"), "staff password operator"),
		chromedp.Click(id("staff-submit")),
		chromedp.WaitVisible(id("reauth-form")),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.SendKeys(id("code"), totpCode(t, enrol.Secret, time.Now().Add(30*time.Second))),
		chromedp.Click(id("reauth-submit")),
		chromedp.WaitVisible(id("staff-form")),
	)
	for _, m := range []struct{ email, role string }{{"ops@example.com", "operator"}, {"fin@example.com", "finance"}} {
		b.do("owner adds "+m.email,
			chromedp.Navigate(lv.URL+"/admin/staff"),
			chromedp.WaitVisible(id("staff-form")),
			chromedp.SendKeys(id("new-email"), m.email),
			chromedp.SendKeys(id("new-password"), "staff password "+m.role),
			chromedp.SetValue(id("new-role"), m.role),
			chromedp.Click(id("staff-submit")),
			chromedp.WaitVisible(id("flash")),
		)
		b.waitText("flash", m.email+" can now sign in as "+m.role+".")
	}
	b.staffSignOut()

	b.do("operator signs in and chooses their own password", b.staffFirstSignInSteps("ops@example.com", "staff password operator", "the operator's own 1")...)
	b.do("operator opens the queue", chromedp.Navigate(lv.URL+"/admin/approvals"), chromedp.WaitVisible(id("approvals-title")))
	if got := b.text("approval-amount"); got != "5 500,00 SEK" {
		t.Errorf("oldest payout first: %q; want 5 500,00 SEK", got)
	}
	if !b.has("approval-history") {
		t.Error("the queue does not show the player's history")
	}
	b.do("approve one", chromedp.SendKeys(inRow(single, "approve-reason"), "regular player"), chromedp.Click(inRow(single, "approve")))
	b.waitText("flash", "Payout "+strconv.FormatInt(single, 10)+" approved and sent.")
	b.do("deny another", chromedp.SendKeys(inRow(denied, "deny-reason"), "source of funds unclear"), chromedp.Click(inRow(denied, "deny")))
	b.waitText("flash", "Payout "+strconv.FormatInt(denied, 10)+" denied; the money is back in the player's balance.")

	b.do("approve the large one: confirm the password first",
		chromedp.Click(inRow(double, "approve")),
		chromedp.WaitVisible(id("reauth-form")),
		chromedp.SendKeys(id("password"), "the operator's own 1"),
		chromedp.Click(id("reauth-submit")),
		chromedp.WaitVisible(inRow(double, "approve")),
		chromedp.Click(inRow(double, "approve")),
	)
	b.waitText("flash", "Your approval of payout "+strconv.FormatInt(double, 10)+" is recorded; a second staff member must approve it.")
	if o := lv.waitPayout(double, models.OrderAwaitingApproval, nil); o.ApprovedAt != nil {
		t.Fatal("one member's approval sent a two-person payout")
	}
	b.staffSignOut()

	b.do("finance signs in and gives the second approval",
		append(b.staffFirstSignInSteps("fin@example.com", "staff password finance", "the finance member's own 1"),
			chromedp.Navigate(lv.URL+"/admin/approvals"),
			chromedp.WaitVisible(inRow(double, "approval-two-person")),
			chromedp.Click(inRow(double, "approve")),
			chromedp.WaitVisible(id("reauth-form")),
			chromedp.SendKeys(id("password"), "the finance member's own 1"),
			chromedp.Click(id("reauth-submit")),
			chromedp.WaitVisible(inRow(double, "approve")),
			chromedp.Click(inRow(double, "approve")),
		)...)
	b.waitText("flash", "Payout "+strconv.FormatInt(double, 10)+" approved and sent.")

	lv.waitPayout(single, models.OrderConfirmed, nil)
	lv.waitPayout(double, models.OrderConfirmed, nil)
	if o := lv.waitPayout(denied, models.OrderCancelled, nil); o.Reason != "source of funds unclear" {
		t.Errorf("denied payout reason %q", o.Reason)
	}
	if got := lv.wallet(player); got.Minor != (30000-5500-12000)*100 {
		t.Errorf("wallet %s; want 12 500.00", got)
	}
	var events []staff.Event
	lv.DB.Model(&staff.Audit{}).Where("order_id IN ?", []int64{single, denied, double}).Order("id").Pluck("event", &events)
	want := []staff.Event{staff.EventPayoutApproved, staff.EventPayoutDenied, staff.EventPayoutFirstVote, staff.EventPayoutApproved}
	if len(events) != len(want) {
		t.Fatalf("audit of the payouts %v; want %v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("audit of the payouts %v; want %v", events, want)
			break
		}
	}
	b.do("the audit page lists them", chromedp.Navigate(lv.URL+"/admin/audit?order="+strconv.FormatInt(double, 10)),
		chromedp.WaitVisible(id("audit-rows")))
	if got := b.text("audit-event"); got != eventLabel(staff.EventPayoutApproved) {
		t.Errorf("newest audit row for the large payout %q", got)
	}
}

// TestBrowserTransactions: an operator filters the transactions by kind and the
// player's email, opens the deposit, and reads its timeline, the Deposit call we
// made (without the API password) and Trustly's raw notifications, verified, with
// our signed answers.
func TestBrowserTransactions(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	b := newBrowserFor(t, lv, 60*time.Second)
	_, player, _ := funded(t, lv, "anna@example.com", "250")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	lv.staff("ops@example.com", staff.RoleOperator)

	b.do("operator signs in and filters", append(b.staffSignInSteps("ops@example.com", testPassword, ""),
		chromedp.Navigate(lv.URL+"/admin/transactions"),
		chromedp.WaitVisible(id("tx-filter")),
		chromedp.SetValue(id("filter-kind"), "deposit"),
		chromedp.SendKeys(id("filter-q"), "anna@example.com"),
		chromedp.Click(id("filter-submit")),
		// The unfiltered page shows the row too: wait for the filtered one, whose
		// totals link carries the filter.
		chromedp.WaitVisible(`[data-testid="tx-totals-link"][href*="kind=deposit"]`),
		chromedp.WaitVisible(`[data-testid="tx-row"][data-order="`+strconv.FormatInt(deposit.ID, 10)+`"]`),
	)...)
	if got := b.text("tx-status"); got != "Credited" {
		t.Errorf("filtered row state %q; want Credited", got)
	}
	b.do("open the order", chromedp.Click(id("tx-order")), chromedp.WaitVisible(id("order-title")))
	b.waitText("order-status", "Credited")
	for testid, want := range map[string]string{"api-call-method": "Deposit", "notification-verified": "verified"} {
		if got := b.text(testid); got != want {
			t.Errorf("%s %q; want %q", testid, got, want)
		}
	}
	if req := b.text("api-call-request"); !strings.Contains(req, deposit.MessageID) || strings.Contains(req, testNotifyToken) {
		t.Errorf("the Deposit request shown %q; want our messageid and no notification token", req)
	}
	raws, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-testid="notification-raw"]')).map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, r := range raws {
		for _, m := range []string{"pending", "credit", "account"} {
			if strings.Contains(r, `"method":"`+m+`"`) {
				methods = append(methods, m)
			}
		}
	}
	if !slices.Contains(methods, "credit") || !slices.Contains(methods, "account") {
		t.Errorf("raw notifications show methods %v; want the credit and the account", methods)
	}
	if !b.has("notification-answer") || !b.has("transfer-reference") {
		t.Error("the order page does not show our answers or the ledger transfer")
	}
}
