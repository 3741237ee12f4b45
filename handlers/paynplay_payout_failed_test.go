package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
)

// TestPayNPlayPayoutToFailedAccount: in a pure market payouts go only to the
// account the player last deposited from. After the bank refused a payout to it
// (an incorrect account number), the withdrawal page said "… we do not know it
// yet. Make a deposit first." to a player who had deposited from it. It says that
// a payout to that account failed, and why, and that a deposit from the right
// account lets them withdraw.
func TestPayNPlayPayoutToFailedAccount(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "fi-adult", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "FI", "50")
	if out := lv.waitDecision(id); out.State != cashier.PayNPlayReady {
		t.Fatalf("decision %s %q; want ready", out.State, out.Message)
	}
	deadline := time.Now().Add(10 * time.Second)
	for lv.countRows(&models.BankAccount{}, "verified = ?", true) == 0 ||
		lv.countRows(&models.Order{}, "message_id = ? AND status = ?", id, models.OrderCredited) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("order %s not credited with its account after 10 s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusSeeOther)
	if err := lv.Sandbox.Sandbox.SetPayoutScenario(sandbox.ScenarioPayoutFailed); err != nil {
		t.Fatal(err)
	}
	form := cl.get("/payout").wantStatus(http.StatusOK)
	account := form.text("deposit-account")
	if account == "" {
		t.Fatal("no account named on the withdrawal form")
	}
	r := cl.submit("/payout", url.Values{"amount": {"20"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("POST /payout: %d; want 303\n%s", r.Status, r.Body)
	}
	deadline = time.Now().Add(10 * time.Second)
	for lv.countRows(&models.BankAccount{}, "payout_failure <> ?", "") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the payout's failure not recorded on its account after 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	page := cl.get("/payout").wantStatus(http.StatusOK)
	if page.has("payout-form") {
		t.Error("a withdrawal form to the account a payout to failed")
	}
	want := "A payout to " + account + ", the account you last deposited from, failed: The receiving bank says the account number is incorrect. " +
		"Withdrawals go back to the account you deposit from: make a deposit from your correct account first."
	if got := page.text("no-deposit-account"); got != want {
		t.Errorf("withdrawal page says %q; want %q", got, want)
	}
}

// TestPayNPlayPayoutRemovedAccount: in a pure market the withdrawal page of a
// player whose deposit account was removed says so and to deposit from it
// again, not that the account is not known yet (which a player who never
// deposited reads); a withdrawal form loaded before the removal and sent after
// it is refused with the same sentence.
func TestPayNPlayPayoutRemovedAccount(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "fi-adult", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "FI", "50")
	if out := lv.waitDecision(id); out.State != cashier.PayNPlayReady {
		t.Fatalf("decision %s %q; want ready", out.State, out.Message)
	}
	deadline := time.Now().Add(10 * time.Second)
	for lv.countRows(&models.BankAccount{}, "verified = ?", true) == 0 ||
		lv.countRows(&models.Order{}, "message_id = ? AND status = ?", id, models.OrderCredited) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("order %s not credited with its account after 10 s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusSeeOther)
	if form := cl.get("/payout").wantStatus(http.StatusOK); !form.has("payout-form") {
		t.Fatal("no withdrawal form after the deposit")
	}
	var account models.BankAccount
	if err := lv.DB.Where("verified = ?", true).Take(&account).Error; err != nil {
		t.Fatal(err)
	}
	// A pure market offers no removal of the account deposited from (TestPureDepositAccountNotRemovable);
	// an account is removed there when the player removed it while the market was hybrid, or under an
	// older version: the page and the form must still say what to do.
	cl.submit("/bank-accounts/"+strconv.FormatInt(account.ID, 10)+"/remove", nil).wantStatus(http.StatusNotFound)
	if err := lv.DB.Model(&account).Update("removed", true).Error; err != nil {
		t.Fatal(err)
	}

	const want = "Withdrawals go back to the bank account you last deposited from, and it has been removed from your bank accounts. " +
		"Make a deposit from your account again first."
	page := cl.get("/payout").wantStatus(http.StatusOK)
	if page.has("payout-form") {
		t.Error("a withdrawal form to a removed account")
	}
	if got := page.text("no-deposit-account"); got != want {
		t.Errorf("withdrawal page says %q; want %q", got, want)
	}
	r := cl.submit("/payout", url.Values{"amount": {"20"}})
	if !strings.Contains(r.Body, want) {
		t.Errorf("the form sent after the removal: %d, without %q\n%s", r.Status, want, r.Body)
	}
	if n := lv.countRows(&models.Order{}, "kind = ?", models.OrderPayout); n != 0 {
		t.Errorf("%d payouts; want none", n)
	}
}

// TestPayNPlayPayoutToUnverifiedAccount: in a pure market payouts go only to the
// account the player deposited from. When the deposit's account notification
// says verified "0" (the bank has not verified the account), the money is booked
// but the account is not offered for payouts, and the withdrawal page said "… we
// do not know it yet. Make a deposit first." to a player who had just deposited
// from it. It names the account, says that it waits for the bank's verification
// and that support can help if that takes long; the form sent anyway is refused
// with the same, and no payout is made.
func TestPayNPlayPayoutToUnverifiedAccount(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: withPayNPlay(t, "pure"), Extra: map[string]string{"SandboxAutoComplete": "1",
		"SandboxPerson": "fi-adult", "SandboxScenario": string(sandbox.ScenarioDepositAccountUnverified)}})
	cl := lv.client()
	id := startPayNPlay(cl, "FI", "50")
	if out := lv.waitDecision(id); out.State != cashier.PayNPlayReady {
		t.Fatalf("decision %s %q; want ready", out.State, out.Message)
	}
	deadline := time.Now().Add(10 * time.Second)
	for lv.countRows(&models.BankAccount{}, "1 = 1") == 0 ||
		lv.countRows(&models.Order{}, "message_id = ? AND status = ?", id, models.OrderCredited) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("order %s not credited with its account after 10 s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := lv.countRows(&models.BankAccount{}, "verified = ?", true); n != 0 {
		t.Fatalf("%d verified accounts; want the deposit's account unverified", n)
	}
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusSeeOther)

	accounts := cl.get("/bank-accounts").wantStatus(http.StatusOK)
	if !accounts.has("account-waiting") {
		t.Errorf("the bank accounts page does not say the account waits for the bank:\n%s", accounts.Body)
	}
	page := cl.get("/payout").wantStatus(http.StatusOK)
	if page.has("payout-form") {
		t.Error("a withdrawal form to an unverified account")
	}
	var account models.BankAccount
	if err := lv.DB.Take(&account).Error; err != nil {
		t.Fatal(err)
	}
	want := "Withdrawals go back to the bank account you last deposited from, " + account.Label() +
		", and your bank has not verified it yet. You can withdraw once it is verified; if that takes long, please contact support."
	if got := page.text("no-deposit-account"); got != want {
		t.Errorf("withdrawal page says %q; want %q", got, want)
	}
	const refused = "Withdrawals go back to the bank account you last deposited from, and your bank has not verified it yet. " +
		"You can withdraw once it is verified; if that takes long, please contact support."
	r := cl.submit("/payout", url.Values{"amount": {"20"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, refused) {
		t.Errorf("the form sent anyway: %d, without %q\n%s", r.Status, refused, r.Body)
	}
	if n := lv.countRows(&models.Order{}, "kind = ?", models.OrderPayout); n != 0 {
		t.Errorf("%d payouts; want none", n)
	}
}
