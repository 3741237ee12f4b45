package cashier

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestBankFailedOneRule: "a payout or refund the bank failed whose money is not
// back yet" is one rule, BankFailedNotBack, and its readers agree with it on
// every combination of status, transfer state, payoutfailed, return and release
// (storetest.MovesOutStates): the player's words (PayoutStateText reads
// PayoutTextBankFailed exactly then) and a sign-in of an excluded player
// (moneyLeft, through store.BankFailedWhere, counts exactly those, besides payouts
// underway). moneyLeft read every confirmed payout of the player with a transfer
// state and decided in Go; it reads at most one row of
// idx_orders_player_bank_failed now, and missed refunds the player reads "will
// come back" of. The rule itself: a confirmed or sent payout whose transfer state
// says failed, and a failed one neither returned nor released, with or without
// payoutfailed.
func TestBankFailedOneRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		s, ctx := &Service{db: db}, context.Background()
		orders := storetest.MovesOutStates("bf-")
		if err := db.CreateInBatches(&orders, 200).Error; err != nil {
			t.Fatal(err)
		}
		agreed := 0
		for _, o := range orders {
			rule := BankFailedNotBack(o)
			text := PayoutStateText(o)
			left, err := s.moneyLeft(ctx, models.Player{ID: o.PlayerID, Currency: "SEK"})
			underway := o.Kind == models.OrderPayout && slices.Contains(payoutsUnderway, o.Status)
			if err != nil || (text == PayoutTextBankFailed) != rule || left != (rule || underway) {
				t.Errorf("%s %s %q failed %t returned %t released %t: rule %t, player reads %q, money left %t, %v",
					o.Kind, o.Status, o.TransferState, o.PayoutFailedAt != nil, o.ReturnedAt != nil, o.ReleasedAt != nil,
					rule, text, left, err)
			}
			if rule {
				agreed++
			}
		}
		if agreed == 0 {
			t.Error("no combination is a bank failure whose money is not back")
		}
		for _, tt := range []struct {
			what string
			o    models.Order
			want bool
		}{
			{"confirmed, the bank failed it since", models.Order{Kind: models.OrderPayout, Status: models.OrderConfirmed, TransferState: "FAILED"}, true},
			{"sent, the bank failed it", models.Order{Kind: models.OrderPayout, Status: models.OrderSent, TransferState: "bounced"}, true},
			{"failed, no payoutfailed, not back", models.Order{Kind: models.OrderPayout, Status: models.OrderFailed}, true},
			{"refund failed, not back", models.Order{Kind: models.OrderRefund, Status: models.OrderFailed, PayoutFailedAt: &storetest.SeedStart}, true},
			{"confirmed, paid", models.Order{Kind: models.OrderPayout, Status: models.OrderConfirmed, TransferState: "CONFIRMED"}, false},
			{"failed, returned", models.Order{Kind: models.OrderPayout, Status: models.OrderFailed, ReturnedAt: &storetest.SeedStart}, false},
			{"a deposit that failed", models.Order{Kind: models.OrderDeposit, Status: models.OrderFailed}, false},
		} {
			if got := BankFailedNotBack(tt.o); got != tt.want {
				t.Errorf("%s: BankFailedNotBack = %t; want %t", tt.what, got, tt.want)
			}
		}

		// The read is one player's rows of the partial index, which holds only
		// these orders: it does not grow with the player's confirmed payouts.
		p := plan(t, db, bankFailedOf(db, 4711), &[]int64{})
		ranged := strings.Contains(p, "USING INDEX idx_orders_player_bank_failed (player_id=?)")
		if db.Dialector.Name() == "postgres" {
			ranged = strings.Contains(p, "using idx_orders_player_bank_failed") && strings.Contains(p, "Index Cond: (player_id = ")
		}
		if !ranged {
			t.Errorf("bank failures of a player: plan\n%s\nwant the player's rows of idx_orders_player_bank_failed", p)
		}
	})
}
