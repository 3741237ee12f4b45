package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// The sentences DenyPayout and ApprovePayout refuse with for reasons the pages
// can know before anyone presses.
const (
	saidOwnAccountDeny = "You cannot deny this payout: it is to the player account with your email address. " +
		"Another member must decide it."
	saidAccountGone = "The player removed this bank account, or a payout to it failed at the bank, since asking for " +
		"this payout, so it cannot be approved. Deny it to give the money back to their balance."
	// The debit below names no order of the player's: the sentence names no cause
	// (TestBelowZeroPagesSayWhy has those that do).
	saidBelowZero = "The player's balance is below zero, so this payout cannot be approved. Deny it to give the " +
		"money back to their balance, towards what they owe."
)

// TestDecisionRefusalsShownUpFront: the approvals queue and a payout's order page
// show, in place of a button, the sentence the service would refuse its press
// with, where what the page reads already tells: no approve button for a payout
// whose bank account the player removed or whose player's wallet is below zero (a
// returned deposit), for any member; no deny button, as no approve button, for the
// member whose email is the player's (denying one's own payout is the same
// conflict of interest as approving it). Other payouts and members keep both
// buttons. A denial of one's own payout sent by hand is refused with the sentence
// and writes nothing; another member denies it. The queue reads the wallets of
// all its payouts in one statement, however many wait.
func TestDecisionRefusalsShownUpFront(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
			s.Cashier.DB = db
			s.Cashier.Config.Limits = map[string]cashier.Limits{"SEK": twoPersonLimits()}
		}})
		ctx := context.Background()
		remover, _, removedAcc := funded(t, lv, "remover@example.com", "10000")
		removed := requestPayout(t, remover, "6000", removedAcc.ID)
		owes, owesPlayer, owesAcc := funded(t, lv, "owes@example.com", "10000")
		below := requestPayout(t, owes, "6000", owesAcc.ID)
		fine, _, fineAcc := funded(t, lv, "fine@example.com", "10000")
		ok := requestPayout(t, fine, "6000", fineAcc.ID)
		bo, _, boAcc := funded(t, lv, "bo@example.com", "10000")
		own := requestPayout(t, bo, "6000", boAcc.ID)
		for _, id := range []int64{removed, below, ok, own} {
			lv.waitPayout(id, models.OrderAwaitingApproval, nil)
		}
		remover.submit("/bank-accounts/"+strconv.FormatInt(removedAcc.ID, 10)+"/remove", nil).wantRedirect("/bank-accounts")
		// The deposit came back from the bank after the payout was asked for: its
		// debit takes the wallet (4 000 left) below zero.
		debit := models.Move("test:debit:"+strconv.FormatInt(owesPlayer.ID, 10), "Deposit returned by the bank",
			models.PlayerWallet(owesPlayer.ID), models.TrustlyClearing, models.Money{Minor: 1000000, Currency: "SEK"})
		debit.AllowOverdraft = true
		if _, err := ledger.New(db).Post(ctx, debit); err != nil {
			t.Fatal(err)
		}

		op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
		self, _ := lv.staffSignedIn("bo@example.com", staff.RoleFinance)
		rec := recordSQL(t, db)
		rec.start("queue")
		op.get(approvalsPath).wantStatus(http.StatusOK)
		rec.start("")
		var wallets int
		for _, s := range rec.stmts["queue"] {
			if strings.Contains(s.sql, "balances") {
				wallets++
			}
		}
		if wallets != 1 {
			t.Errorf("the queue of 4 payouts read balances in %d statements; want 1", wallets)
		}

		for _, tt := range []struct {
			name              string
			cl                *testClient
			order             int64
			noApprove, noDeny string // the sentence in place of each button, "" when it is offered
		}{
			{"bank account removed", op, removed, saidAccountGone, ""},
			{"wallet below zero", op, below, saidBelowZero, ""},
			{"nothing in the way", op, ok, "", ""},
			{"the player's own", self, own, saidOwnAccount, saidOwnAccountDeny},
			{"another member's", op, own, "", ""},
		} {
			id := strconv.FormatInt(tt.order, 10)
			var row *testResponse
			for _, n := range tt.cl.get(approvalsPath).wantStatus(http.StatusOK).byTestID("approval") {
				if attr(n, "data-order") == id {
					row = &testResponse{t: t, doc: n, what: "approval " + id}
				}
			}
			if row == nil {
				t.Fatalf("%s: payout %s not in the queue", tt.name, id)
			}
			page := tt.cl.get(orderPath(tt.order)).wantStatus(http.StatusOK)
			for _, where := range []struct {
				name                             string
				r                                *testResponse
				approve, noApprove, deny, noDeny string
			}{{"queue", row, "approve", "approval-cannot-approve", "deny", "approval-cannot-deny"},
				{"order page", page, "order-approve", "order-cannot-approve", "order-deny", "order-cannot-deny"}} {
				r := where.r
				for _, b := range []struct{ button, note, said string }{
					{where.approve, where.noApprove, tt.noApprove}, {where.deny, where.noDeny, tt.noDeny}} {
					switch {
					case r.has(b.button) != (b.said == "") || r.has(b.note) != (b.said != ""):
						t.Errorf("%s, %s: %s %t, sentence %t; want the button %t", tt.name, where.name, b.button,
							r.has(b.button), r.has(b.note), b.said == "")
					case b.said != "" && r.text(b.note) != b.said:
						t.Errorf("%s, %s: %q; want %q", tt.name, where.name, r.text(b.note), b.said)
					}
				}
			}
		}

		// Sent by hand all the same: refused with the same sentences on the page the
		// form came from, the reason typed shown back, nothing written.
		for _, tt := range []struct {
			cl     *testClient
			action string
			order  int64
			said   string
		}{{self, denyPath(own), own, saidOwnAccountDeny}, {op, approvePath(removed), removed, saidAccountGone},
			{op, approvePath(below), below, saidBelowZero}} {
			var before, after int64
			db.Model(&staff.Audit{}).Count(&before)
			res := tt.cl.submit(tt.action, url.Values{"reason": {"by hand"}, "back": {orderPath(tt.order)}}).wantStatus(http.StatusUnprocessableEntity)
			if got := res.text("flash"); got != tt.said || res.text("not-recorded-text") != "by hand" || !res.has("order-title") {
				t.Errorf("%s sent by hand: %q, reason shown back %q, order page %t; want %q, \"by hand\" on the order page",
					tt.action, got, res.text("not-recorded-text"), res.has("order-title"), tt.said)
			}
			db.Model(&staff.Audit{}).Count(&after)
			if o := lv.waitPayout(tt.order, models.OrderAwaitingApproval, nil); after != before || o.DeniedAt != nil || o.ApprovedAt != nil {
				t.Errorf("after %s refused: %d audit rows (was %d), denied %v, approved %v; want nothing written",
					tt.action, after, before, o.DeniedAt, o.ApprovedAt)
			}
		}
		op.submit(denyPath(own), url.Values{"reason": {"asked by a colleague"}}).wantRedirect(approvalsPath)
		lv.waitPayout(own, models.OrderCancelled, nil)
	})
}
