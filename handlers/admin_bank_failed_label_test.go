package handlers

import (
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
)

// TestStaffLabelBankFailedAgrees: on every combination of a payout's or refund's
// status, transfer state, payoutfailed, return and release
// (storetest.MovesOutStates), staff read that the bank failed it and its money is
// not back yet exactly when the player reads "the money will come back to your
// balance" (cashier.PayoutStateText, cashier.BankFailedNotBack), and the label
// still starts with the status's own: a confirmed or sent payout whose transfer
// state says the bank failed it read plain "Confirmed" or "Sent", and a failed
// one without payoutfailed plain "Failed", while the player read it would come
// back. cashier.TestBankFailedOneRule holds the player's words and the excluded
// player's sign-in to the same rule.
func TestStaffLabelBankFailedAgrees(t *testing.T) {
	notBack := map[string]bool{}
	for _, l := range bankFailedLabels {
		notBack[l] = true
	}
	for _, o := range storetest.MovesOutStates("bf-") {
		label, player := orderStatusLabel(o), cashier.PayoutStateText(o)
		if notBack[label] != (player == cashier.PayoutTextBankFailed) || notBack[label] != cashier.BankFailedNotBack(o) ||
			!strings.HasPrefix(label, statusLabel(o.Status)) {
			t.Errorf("%s %s %q failed %t returned %t released %t: staff read %q, the player %q",
				o.Kind, o.Status, o.TransferState, o.PayoutFailedAt != nil, o.ReturnedAt != nil, o.ReleasedAt != nil, label, player)
		}
	}
	for status, want := range map[models.OrderStatus]string{
		models.OrderFailed:    "Failed — money not back yet",
		models.OrderSent:      "Sent — failed by the bank, money not back yet",
		models.OrderConfirmed: "Confirmed — then failed by the bank, money not back yet",
	} {
		o := models.Order{Kind: models.OrderPayout, Status: status, TransferState: "FAILED"}
		if got := orderStatusLabel(o); got != want {
			t.Errorf("%s payout the bank failed: staff read %q; want %q", status, got, want)
		}
	}
}
