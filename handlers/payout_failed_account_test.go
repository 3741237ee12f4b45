package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
)

// TestPayoutToFailedAccountWording: a withdrawal form sent to a bank account a
// payout failed to (a form loaded before the bank's payoutfailed) is refused, in
// every language, with a sentence that says payouts no longer go to it and names
// what works: another account, or the correct details added under Bank accounts.
// It told the player to "add yours again", but the same details added again are
// the same account, failure and all: the test adds them again and is refused
// alike.
func TestPayoutToFailedAccountWording(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, _ := lv.signedIn("anna@example.com")
	lv.fund(cl, "100")
	details := url.Values{"country": {"SE"}, "bank": {"6112"}, "account": {"6970 6212"}}
	cl.submit("/bank-accounts/new", details).wantRedirect("/bank-accounts")
	var account models.BankAccount
	if err := lv.DB.Where("last_digits = ?", "706212").First(&account).Error; err != nil {
		t.Fatal(err)
	}
	if err := lv.DB.Model(&account).UpdateColumn("payout_failure", "incorrect_account_number").Error; err != nil {
		t.Fatal(err)
	}
	again := map[string]string{"en": "again", "sv": "igen", "fi": "uudelleen", "et": "uuesti", "nl": "opnieuw"}
	send := func(code string) string {
		t.Helper()
		cl.setCookie("cashier_lang", code)
		page := cl.submit("/payout", url.Values{"account": {strconv.FormatInt(account.ID, 10)}, "amount": {"20"}}).
			wantStatus(http.StatusUnprocessableEntity)
		return page.text("problem")
	}
	for _, l := range lang.Languages {
		got := send(l.Code)
		want := lang.For(l.Code, nil).T("problem.account_payout_failed")
		if got != want {
			t.Errorf("%s: refusal %q; want %q", l.Code, got, want)
		}
		if strings.Contains(want, again[l.Code]) {
			t.Errorf("%s: %q tells the player to add the account again, which would not help", l.Code, want)
		}
		if bank := lang.For(l.Code, nil).T("nav.bank_accounts"); !strings.Contains(want, bank) {
			t.Errorf("%s: %q does not name %q, where the correct details are added", l.Code, want, bank)
		}
	}
	cl.setCookie("cashier_lang", "en")
	cl.submit("/bank-accounts/new", details).wantRedirect("/bank-accounts")
	if got, want := send("en"), lang.For("en", nil).T("problem.account_payout_failed"); got != want {
		t.Errorf("after adding the same details again: %q; want %q", got, want)
	}
}
