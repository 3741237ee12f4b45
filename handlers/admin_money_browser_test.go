package handlers

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
)

// TestBrowserRefund: an operator opens a credited deposit's refund form, refunds
// half of it after confirming their password, and sees the refund confirmed by
// Trustly's payoutconfirmation; the wallet and the ledger show it once, the
// notification is the refund's, the deposit is not flagged, and one audit row
// records it. The reports page draws the day's deposit as an SVG chart.
func TestBrowserRefund(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	b := newBrowserFor(t, lv, 90*time.Second)
	ctx := context.Background()
	if _, err := lv.Svc.AddStaff(ctx, "ops@example.com", "staff password operator", staff.RoleOperator); err != nil {
		t.Fatal(err)
	}
	cl, player, _ := funded(t, lv, "anna@example.com", "800")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	form := lv.URL + refundPath(deposit.ID)

	b.do("operator signs in and opens the refund form", append(b.staffSignInSteps("ops@example.com", "staff password operator", ""),
		chromedp.Navigate(form), chromedp.WaitVisible(id("refund-form")))...)
	if got := b.text("refundable"); got != "800,00 SEK" {
		t.Errorf("refundable %q; want 800,00 SEK", got)
	}
	b.do("refund half: confirm the password first",
		chromedp.SendKeys(id("refund-amount-input"), "400"),
		chromedp.SendKeys(id("refund-reason"), "asked by the player"),
		chromedp.Click(id("refund-submit")),
		chromedp.WaitVisible(id("reauth-form")),
		chromedp.SendKeys(id("password"), "staff password operator"),
		chromedp.Click(id("reauth-submit")),
		chromedp.WaitVisible(id("refund-form")),
	)
	if amount, reason := b.value("refund-amount-input"), b.value("refund-reason"); amount != "400" || reason != "asked by the player" {
		t.Errorf("the form after the password: amount %q, reason %q; want them as typed", amount, reason)
	}
	if got := b.location(); got != form {
		t.Errorf("the form's address after the password %q; want %q, with nothing of the form in it", got, form)
	}
	b.do("send the form again", chromedp.Click(id("refund-submit")), chromedp.WaitVisible(id("flash")))
	var refund models.Order
	if err := lv.DB.Where("parent_id = ? AND kind = ?", deposit.ID, models.OrderRefund).Take(&refund).Error; err != nil {
		t.Fatal(err)
	}
	b.waitText("flash", "Refund "+strconv.FormatInt(refund.ID, 10)+" of 400,00 SEK sent to Trustly.")
	refund = lv.waitPayout(refund.ID, models.OrderConfirmed, nil)
	b.do("the form shows the refund", chromedp.Navigate(form), chromedp.WaitVisible(id("refunds")))
	if got, state := b.text("refundable"), b.text("refund-row-state"); got != "400,00 SEK" || state != "Confirmed" {
		t.Errorf("after the refund: refundable %q, refund %q; want 400,00 SEK and Confirmed", got, state)
	}

	if got := lv.wallet(player); got.Minor != 40000 {
		t.Errorf("wallet %s; want 400.00", got)
	}
	var refs []string
	lv.DB.Model(&models.Transfer{}).Where("reference LIKE ?", "refund:%").Order("id").Pluck("reference", &refs)
	rid := strconv.FormatInt(refund.ID, 10)
	if strings.Join(refs, " ") != "refund:"+rid+":reserve refund:"+rid+":send" {
		t.Errorf("refund transfers %v; want its reserve and send, once each", refs)
	}
	var methods []string
	lv.DB.Model(&models.Notification{}).Where("order_id = ?", refund.ID).Pluck("method", &methods)
	var dep models.Order
	lv.DB.Take(&dep, deposit.ID)
	if strings.Join(methods, " ") != "payoutconfirmation" || dep.Flag != "" {
		t.Errorf("refund notifications %v, deposit flag %q; want the payoutconfirmation, no flag", methods, dep.Flag)
	}
	var audits []staff.Audit
	lv.DB.Where("order_id = ?", refund.ID).Find(&audits)
	if len(audits) != 1 || audits[0].Event != staff.EventRefund || audits[0].Reason != "asked by the player" {
		t.Errorf("audit rows of the refund %+v; want one refund.requested", audits)
	}

	if h := cl.get("/history"); !strings.Contains(h.Body, "Refund") || !strings.Contains(h.Body, "Paid out") {
		t.Error("the player's history does not show the refund as paid out")
	}

	b.do("the reports page draws today's deposit", chromedp.Navigate(lv.URL+"/admin/reports"), chromedp.WaitVisible(id("chart-svg")))
	if got := b.text("total-deposits"); got != "800,00 SEK" {
		t.Errorf("chart total deposits %q; want 800,00 SEK", got)
	}
}

// TestBrowserRefundBackShowsEmptyForm: after a refund, the browser's Back shows
// the refund form new and empty, not refilled with what was sent beside a new
// token (the page is not stored, and its fields are not restored), so sending
// it again is a refund typed afresh, never a copy of the first made by accident.
func TestBrowserRefundBackShowsEmptyForm(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	b := newBrowserFor(t, lv, 90*time.Second)
	if _, err := lv.Svc.AddStaff(context.Background(), "fin@example.com", "staff password finance", staff.RoleFinance); err != nil {
		t.Fatal(err)
	}
	_, player, _ := funded(t, lv, "anna@example.com", "800")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	form := refundPath(deposit.ID)

	b.do("sign in and confirm the password", append(b.staffSignInSteps("fin@example.com", "staff password finance", ""),
		chromedp.Navigate(lv.URL+"/admin/reauth?next="+url.QueryEscape(form)),
		chromedp.WaitVisible(id("reauth-form")),
		chromedp.SendKeys(id("password"), "staff password finance"),
		chromedp.Click(id("reauth-submit")),
		chromedp.WaitVisible(id("refund-form")))...)
	token := b.value("refund-token")
	b.do("refund 300",
		chromedp.SendKeys(id("refund-amount-input"), "300"),
		chromedp.SendKeys(id("refund-reason"), "asked by the player"),
		chromedp.Click(id("refund-submit")),
		chromedp.WaitVisible(id("flash")))
	b.do("go back", chromedp.NavigateBack(), chromedp.WaitVisible(id("refund-form")))
	if amount, reason, again := b.value("refund-amount-input"), b.value("refund-reason"), b.value("refund-token"); amount != "" || reason != "" || again == token {
		t.Errorf("the form after Back: amount %q, reason %q, token %q (the refund's %q); want a new, empty form",
			amount, reason, again, token)
	}
	if n := lv.countRows(&models.Order{}, "parent_id = ? AND kind = ?", deposit.ID, models.OrderRefund); n != 1 {
		t.Errorf("%d refunds; want 1", n)
	}
}
