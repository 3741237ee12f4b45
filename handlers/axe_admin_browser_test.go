package handlers

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/models"
)

// TestBrowserAdminAccessibility walks the back office's pages as an owner, with a
// second member on the staff page (its forms per row) and a player with a credited
// deposit and a payout waiting for approval (the lists, the order and player
// pages, the refund form), through axe at desktop and phone widths, as
// TestBrowserAccessibility walks the player's.
func TestBrowserAdminAccessibility(t *testing.T) {
	script := axeScript(t)
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	b := newBrowserFor(t, lv, 8*browserTimeout)
	ctx := context.Background()
	if err := lv.Svc.EnsureOwner(ctx, "owner@example.com", testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := lv.Svc.AddStaff(ctx, "ops@example.com", "staff password 1", "operator"); err != nil {
		t.Fatal(err)
	}
	cl, player, acc := funded(t, lv, "anna@example.com", "9000")
	requestPayout(t, cl, "6000", acc.ID)
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	// The player page's and the flagged list's responsible-gaming tables, filled.
	raise := limits.Change{PlayerID: player.ID, Currency: "SEK", Period: limits.Month, AmountMinor: 2000000, PreviousMinor: 500000,
		RequestedAt: time.Now(), EffectiveAt: time.Now().Add(72 * time.Hour), Flag: "a raise above 10 000 SEK a month"}
	if err := lv.DB.Create(&raise).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := lv.Svc.TakeBreak(ctx, player, "", breaks.TimeOut24h); err != nil {
		t.Fatal(err)
	}
	b.do("owner signs in", b.staffSignInSteps("owner@example.com", testPassword, "")...)
	b.checkAxe(script, "/admin", "/admin/staff", "/admin/password", "/admin/2fa", "/admin/reauth", "/admin/approvals",
		"/admin/transactions", "/admin/players", playerPath(player.ID), orderPath(deposit.ID), refundPath(deposit.ID),
		"/admin/flagged", "/admin/audit", "/admin/api-calls", "/admin/reports", "/admin/reports/reconciliation?currency=SEK",
		"/admin/transactions/totals?player="+strconv.FormatInt(player.ID, 10))
}
