package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"golang.org/x/net/html"
	"gorm.io/gorm"
)

// TestBelowZeroPagesSayWhy: the pages say what took a player's balance below
// zero. The player's payout page and the refusals of a deposit and a payout
// name a deposit the bank returned, or a withdrawal paid after its cancel (its
// money taken back), in the player's language; the approvals queue and the
// payout's order page say it to staff with the order's number in place of the
// approve button, and they and the player's page link that order. A balance
// below zero by a booking that is neither says only that, and links nothing.
// (cashier.TestBelowZeroSaysWhy takes the wallet below zero by each path; here
// the payout's retake is booked as payoutRetaken books it.)
func TestBelowZeroPagesSayWhy(t *testing.T) {
	const staffTail = " so this payout cannot be approved. Deny it to give the money back to their balance, towards what they owe."
	for _, tt := range []struct {
		name string
		// below takes the player's wallet (10 000 kr, 6 000 kr of it waiting for
		// approval and 4 000 kr paid out: zero) below zero; it returns the order
		// that did, or 0.
		below                      func(lv *liveApp, p models.Player, deposit, small models.Order) int64
		player, payout, staffCause string
	}{
		{"deposit returned", func(lv *liveApp, p models.Player, deposit, _ models.Order) int64 {
			debit := signNote(t, lv.Sandbox.Config.Key, trustly.MethodDebit, "3300000077", uuid.NewString(), deposit, p.EndUserID, nil)
			if _, err := lv.Svc.HandleNotification(context.Background(), debit.raw); err != nil {
				t.Fatal(err)
			}
			return deposit.ID
		}, "A deposit of SEK 10,000.00 was returned by your bank.", "Your balance is below zero because your bank returned a deposit.",
			" because their bank returned a deposit (order %s),"},
		{"payout confirmed after its cancel", func(lv *liveApp, p models.Player, _, small models.Order) int64 {
			retake := models.Move(small.Reference("retake"), "Payout paid by the bank after all: taken back from your balance",
				models.PlayerWallet(p.ID), models.TrustlyClearing, small.Amount)
			retake.AllowOverdraft = true
			if _, err := ledger.New(lv.DB).Post(context.Background(), retake); err != nil {
				t.Fatal(err)
			}
			return small.ID
		}, "A withdrawal of SEK 4,000.00 reached your bank account after it had been cancelled, so its money was taken back from your balance.",
			"Your balance is below zero because a withdrawal reached your bank account after it had been cancelled, so its money was taken back from your balance.",
			" because a payout (order %s) was paid by the bank after it had been cancelled, and its money was taken back,"},
		{"another booking", func(lv *liveApp, p models.Player, _, _ models.Order) int64 {
			lost := models.Move("test:lost:"+strconv.FormatInt(p.ID, 10), "taken by hand", models.PlayerWallet(p.ID),
				models.Adjustments, models.Money{Minor: 400000, Currency: "SEK"})
			lost.AllowOverdraft = true
			if _, err := ledger.New(lv.DB).Post(context.Background(), lost); err != nil {
				t.Fatal(err)
			}
			return 0
		}, "Your balance is below zero.", "Your balance is below zero.", ","},
	} {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
					s.Cashier.DB = db
					s.Cashier.Config.Limits = map[string]cashier.Limits{"SEK": twoPersonLimits()}
				}})
				cl, p, acc := funded(t, lv, "owes@example.com", "10000")
				small := lv.waitPayout(requestPayout(t, cl, "4000", acc.ID), models.OrderConfirmed, nil)
				waiting := requestPayout(t, cl, "6000", acc.ID)
				lv.waitPayout(waiting, models.OrderAwaitingApproval, nil)
				lv.Sandbox.WaitIdle(t)
				var deposit models.Order
				if err := lv.DB.Where("player_id = ? AND kind = ?", p.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
					t.Fatal(err)
				}
				cause := tt.below(lv, p, deposit, small)
				if w, err := lv.Svc.Wallet(context.Background(), p); err != nil || w.Minor >= 0 {
					t.Fatalf("wallet %d, %v; want below zero", w.Minor, err)
				}
				words := func(s string) string { return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ") }

				page := cl.get("/payout").wantStatus(http.StatusOK)
				if got := words(page.text("blocked")); !strings.Contains(got, tt.player+" Deposits and payouts") {
					t.Errorf("payout page: %q; want it to say %q", got, tt.player)
				}
				r := cl.submit("/payout", url.Values{"amount": {"20"}, "account": {strconv.FormatInt(acc.ID, 10)}}).
					wantStatus(http.StatusUnprocessableEntity)
				if got := words(r.text("problem")); got != tt.payout+" Withdrawals are paused until it is settled; please contact support." {
					t.Errorf("payout refused: %q; want it to say %q", got, tt.payout)
				}
				r = cl.submit("/deposit", url.Values{"amount": {"250"}}).wantStatus(http.StatusUnprocessableEntity)
				if got := words(r.text("problem")); got != tt.payout+" Deposits and withdrawals are paused until it is settled; please contact support." {
					t.Errorf("deposit refused: %q; want it to say %q", got, tt.payout)
				}

				id := strconv.FormatInt(cause, 10)
				staffWant := "The player's balance is below zero" + tt.staffCause + staffTail
				if cause != 0 {
					staffWant = "The player's balance is below zero" + strings.Replace(tt.staffCause, "%s", id, 1) + staffTail
				}
				op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
				var row *testResponse
				for _, n := range op.get(approvalsPath).wantStatus(http.StatusOK).byTestID("approval") {
					if attr(n, "data-order") == strconv.FormatInt(waiting, 10) {
						row = &testResponse{t: t, doc: n, what: "approval"}
					}
				}
				if row == nil {
					t.Fatalf("payout %d not in the queue", waiting)
				}
				order := op.get(orderPath(waiting)).wantStatus(http.StatusOK)
				player := op.get(playerPath(p.ID)).wantStatus(http.StatusOK)
				for _, where := range []struct {
					name, sentence, link string
					r                    *testResponse
				}{{"queue", "approval-cannot-approve", "approval-below-zero", row},
					{"order page", "order-cannot-approve", "order-below-zero", order},
					{"player page", "", "player-below-zero", player}} {
					if where.sentence != "" {
						if got := words(where.r.text(where.sentence)); got != staffWant {
							t.Errorf("%s: %q; want %q", where.name, got, staffWant)
						}
					}
					var href string
					for _, n := range where.r.byTestID(where.link) {
						in := &testResponse{t: t, doc: n, what: where.link}
						for _, a := range in.find(func(n *html.Node) bool { return n.Data == "a" }) {
							href = attr(a, "href")
						}
					}
					if want := orderPath(cause); (cause == 0 && where.r.has(where.link)) || (cause != 0 && href != want) {
						t.Errorf("%s: linked %q (shown %t); want %q", where.name, href, where.r.has(where.link), want)
					}
				}
			})
		})
	}
}
