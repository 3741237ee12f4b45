package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/models"
)

// TestPureDepositAccountNotRemovable: in a pure market payouts go only to the
// account the player deposited from, and no account can be added there, so the
// bank accounts page offers no Remove and the form sent anyway is "page not
// found": the account stays, and the withdrawal still goes to it. Before, a
// removed deposit account left the payout form with "Make a deposit first",
// which a player who cannot deposit (self-excluded, on a break, at a limit) could
// never do: their balance was stuck.
func TestPureDepositAccountNotRemovable(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	cl := lv.client()
	order := startPayNPlay(cl, "SE", "500")
	lv.waitStatus(order, models.OrderCredited)
	player := *lv.waitDecision(order).Player
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(order)).wantRedirect("/deposit/success?order=" + url.QueryEscape(order))
	account := lv.waitAccount(player, models.AccountFromDeposit)

	page := cl.get("/bank-accounts").wantStatus(http.StatusOK)
	if !page.has("bank-account") || page.has("remove-form") || page.has("remove") {
		t.Errorf("bank accounts page in a pure market: want the account without Remove\n%s", page.Body)
	}
	cl.submit(fmt.Sprintf("/bank-accounts/%d/remove", account.ID), nil).wantStatus(http.StatusNotFound)
	if n := lv.countRows(&models.BankAccount{}, "id = ? AND removed = ?", account.ID, false); n != 1 {
		t.Fatalf("deposit account %d removed in a pure market", account.ID)
	}
	id := requestPayout(t, cl, "200", 0)
	payout := lv.waitPayout(id, models.OrderConfirmed, nil)
	if payout.BankAccountID != account.ID {
		t.Errorf("payout to account %d; want the one deposited from, %d", payout.BankAccountID, account.ID)
	}
	if got := lv.wallet(player); got.Minor != 30000 {
		t.Errorf("wallet after the payout: %d; want 30000", got.Minor)
	}
}
