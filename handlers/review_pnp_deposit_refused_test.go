package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
)

// TestPayNPlayDepositRefusedReadsRefused: a signed-in player's "Deposit & play"
// whose kyc was answered FINISH (here: on a break), on which no money came and
// after which no cancel came, reads as refused on its result pages: the kyc's
// sentence, the failed phase and "Cancelled — nothing was charged", where it read
// "Waiting for the bank" under the refusal, as though the deposit were still on
// its way; the history says the same. Staff read it "Failed", its order page giving
// the kyc's reasons, where it read "Checkout started".
func TestPayNPlayDepositRefusedReadsRefused(t *testing.T) {
	a := newTestApp(t)
	cl, p := a.signedIn("anna@example.com")
	now := time.Now().UTC()
	o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit, PayNPlay: true,
		PlayerID: p.ID, EndUserID: p.EndUserID, Amount: models.Money{Minor: 10000, Currency: "SEK"},
		TrustlyOrderID: "1000000077", CheckoutURL: "https://checkout.test/x", StartedAt: &now, CreatedAt: now,
		KYCOutcome: models.KYCFinish, KYCAt: &now, KYCReasons: "break: until 2099-01-01",
		KYCMessage: "You are taking a break from gambling. No money was moved."}
	o.Refresh() // as the kyc leaves it
	if err := a.DB.Create(&o).Error; err != nil {
		t.Fatal(err)
	}
	failed := "Cancelled — nothing was charged"
	for _, path := range []string{"/deposit/success", "/deposit/fail"} {
		r := cl.get(path + "?order=" + url.QueryEscape(o.MessageID)).wantStatus(http.StatusOK)
		phase := ""
		if state := r.byTestID("order-state"); len(state) == 1 {
			phase = attr(state[0], "data-phase")
		}
		if phase != "failed" || r.text("order-status") != failed {
			t.Errorf("%s of the refused deposit: phase %q, status %q; want failed, %q", path, phase, r.text("order-status"), failed)
		}
		if got := r.text("kyc-refusal"); !strings.Contains(got, "break") {
			t.Errorf("%s of the refused deposit: refusal %q; want the kyc's sentence", path, got)
		}
		if strings.Contains(r.Body, "Waiting for the bank") || strings.Contains(r.Body, "Processing") {
			t.Errorf("%s of the refused deposit reads as on its way:\n%s", path, r.Body)
		}
	}
	if got := cl.get("/history").wantStatus(http.StatusOK).text("order-status"); got != failed {
		t.Errorf("history: the refused deposit reads %q; want %q", got, failed)
	}

	fin, _ := a.staffSignedIn("fin@example.com", staff.RoleFinance)
	var status string
	for _, n := range fin.get(transactionsPath).wantStatus(http.StatusOK).byTestID("tx-row") {
		if attr(n, "data-order") == strconv.FormatInt(o.ID, 10) {
			status = (&testResponse{t: t, doc: n, what: "row"}).text("tx-status")
		}
	}
	if status != "Failed" {
		t.Errorf("transactions: the refused deposit reads %q; want Failed", status)
	}
	page := fin.get(orderPath(o.ID)).wantStatus(http.StatusOK)
	if got, reason := page.text("order-status"), page.text("order-reason"); got != "Failed" || !strings.Contains(reason, "break") {
		t.Errorf("order page: %q, reason %q; want Failed, the kyc's reasons", got, reason)
	}
}
