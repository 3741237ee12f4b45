package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/models"
)

// TestOtherPlayersIDs walks every player route the app has (not a list kept
// beside routes.go) that names an order, a payout or a bank account, in its path
// or as ?order=, as a second signed-in player holding the first one's ids: a
// deposit, an account selection, a payout waiting for approval and a bank
// account. Every GET and POST (with the second player's own CSRF token) is "page
// not found", shows none of the first player's ids, and changes nothing of
// theirs.
func TestOtherPlayersIDs(t *testing.T) {
	lv := startLive(t, fundingOptions())
	anna, player, acc := funded(t, lv, "anna@example.com", "8000")
	payout := requestPayout(t, anna, "6000", acc.ID) // above the approval limit: it waits, cancellable
	lv.waitPayout(payout, models.OrderAwaitingApproval, nil)
	var deposit, selection models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	r := anna.submit("/bank-accounts/select", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST /bank-accounts/select: %d", r.Status)
	}
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderSelectAccount).Take(&selection).Error; err != nil {
		t.Fatal(err)
	}
	before := func() (models.Order, models.BankAccount) {
		var o models.Order
		var a models.BankAccount
		lv.DB.Where("id = ?", payout).Take(&o)
		lv.DB.Where("id = ?", acc.ID).Take(&a)
		return o, a
	}
	payoutBefore, accountBefore := before()

	bo, _ := lv.signedIn("bo@example.com")
	ids := map[string]string{ // a path's first segment: the id it takes
		"payouts":       strconv.FormatInt(payout, 10),
		"bank-accounts": strconv.FormatInt(acc.ID, 10),
	}
	secrets := []string{deposit.MessageID, selection.MessageID, acc.Descriptor, "6000.00", "6 000"}
	walked := 0
	for _, rt := range lv.App.GetRoutes(true) {
		if rt.Method != fiber.MethodGet && rt.Method != fiber.MethodPost || strings.HasPrefix(rt.Path, "/admin") ||
			rt.Path == notifyPath {
			continue
		}
		var paths []string
		switch {
		case strings.Contains(rt.Path, ":id"):
			id := ids[strings.Split(rt.Path, "/")[1]]
			if id == "" {
				t.Errorf("%s %s: no id of the first player's for it; add one to this test", rt.Method, rt.Path)
				continue
			}
			paths = []string{strings.ReplaceAll(rt.Path, ":id", id)}
		case rt.Method == fiber.MethodGet && ordersByQuery(rt.Path):
			for _, o := range []models.Order{deposit, selection} {
				paths = append(paths, rt.Path+"?order="+url.QueryEscape(o.MessageID))
			}
		default:
			continue
		}
		for _, path := range paths {
			walked++
			var res *testResponse
			if rt.Method == fiber.MethodGet {
				res = bo.get(path)
			} else {
				res = bo.submit(path, url.Values{})
			}
			if res.Status != http.StatusNotFound {
				t.Errorf("%s %s as another player: HTTP %d to %q; want 404", rt.Method, path, res.Status, res.Header.Get("Location"))
			}
			for _, s := range secrets {
				if strings.Contains(res.Body, s) {
					t.Errorf("%s %s as another player shows %q", rt.Method, path, s)
				}
			}
		}
	}
	if walked < 20 {
		t.Errorf("walked %d requests; want every route naming an order, a payout or an account", walked)
	}
	if o, a := before(); o.Status != payoutBefore.Status || o.CancelledAt != nil || o.TransferChecks != payoutBefore.TransferChecks ||
		a.Removed != accountBefore.Removed {
		t.Errorf("after the walk: payout %s (cancelled %v, checks %d), account removed %t; want them as they were",
			o.Status, o.CancelledAt, o.TransferChecks, a.Removed)
	}
}

// ordersByQuery reports whether a GET route reads an order from ?order=: the
// result, status and checkout pages of deposits, account selections and Pay N
// Play.
func ordersByQuery(path string) bool {
	for _, prefix := range []string{"/deposit/", "/accounts/", "/bank-accounts/checkout", "/paynplay/"} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}
