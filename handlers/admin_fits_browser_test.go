package handlers

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
)

// TestBrowserAdminOrderFits1280: at 1280 px a deposit's order page shows its
// calls to Trustly and its notifications, raw and answered, and the audit page
// its rows' before and after, and the list of calls to Trustly its requests and
// answers (opened), and the home its figures and today's money, each within
// its box: the JSON was one
// unbroken line (a notification 9 000 px wide), so Trustly's answer, the latency
// and our signed answer were thousands of pixels to the right, reached only by
// scrolling sideways.
func TestBrowserAdminOrderFits1280(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	b := newBrowserFor(t, lv, 60*time.Second)
	_, player, _ := funded(t, lv, "anna@example.com", "250")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	op := lv.staff("ops@example.com", staff.RoleOperator)
	// An audit row with before and after: blocking and unblocking the player.
	if _, _, err := lv.Svc.SetPlayerBlocked(context.Background(), op, player.ID, true, "checking a chargeback from the bank"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lv.Svc.SetPlayerBlocked(context.Background(), op, player.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	// The home's figures: a flag waiting for the operator and a call Trustly refused.
	if err := lv.DB.Model(&deposit).Update("flag", "the account holder's name differs from the player's").Error; err != nil {
		t.Fatal(err)
	}
	if err := lv.DB.Create(&models.APICall{Method: "Deposit", Request: "{}", ErrorCode: 616, Error: "ERROR_INVALID_CREDENTIALS",
		At: time.Now().UTC()}).Error; err != nil {
		t.Fatal(err)
	}
	b.do("operator signs in at 1280 px", append([]chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(1280, 900)},
		b.staffSignInSteps("ops@example.com", testPassword, "")...)...)
	for _, page := range []struct{ path, wait string }{
		{"/admin/orders/" + strconv.FormatInt(deposit.ID, 10), "notification-raw"},
		{"/admin/audit", "audit-row"},
		{"/admin/api-calls", "call-row"},
		{"/admin", "home-trustly-errors"}, // the home, with the deposit's flag, the refused call and today's money
	} {
		b.do("open "+page.path, chromedp.Navigate(lv.URL+page.path), chromedp.WaitVisible(id(page.wait)))
		// The calls' requests and answers are measured open.
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelectorAll("details").forEach(d => d.open = true); true`)); err != nil {
			t.Fatal(err)
		}
		b.snap("admin-1280" + strings.ReplaceAll(page.path, "/", "-"))
		if wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflow)); err != nil || len(wide) > 0 {
			t.Errorf("%s at 1280 px runs past its box: %v (%v)", page.path, wide, err)
		}
	}
}
