package cashier

import (
	"context"
	"fmt"
	"strings"

	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// A player's wallet goes below zero only by a transfer posted with
// AllowOverdraft, and the cashier posts two: a deposit's debit after its credit
// was spent (bookDebit, "deposit:<ID>:debit": the bank returned the deposit), and
// a payout's retake (payoutRetaken, "payout:<ID>:retake": the bank paid a payout
// after its cancel had given the money back, and the money was spent again).
// Every other debit of a wallet is guarded, so a wallet below zero goes no lower
// but by one of these, and the newest of them on a wallet below zero is one that
// left it below zero: it took the wallet there, or deeper. That order is the
// cause the sentences below name (belowZeroCauses). A refund's retake is booked
// by the same code, but no cancel ever reaches a refund (its notifications come
// under its deposit's orderid, and a cancel there is the deposit's), and any
// other overdraft (one posted by hand) names no order: the sentence then says
// only that the balance is below zero.

// Sentences for a wallet below zero, by what took it there: none known, a
// deposit the bank returned, a payout paid after its cancel. The staff ones take
// the order's id.
const (
	msgDepositBlocked         = "Your balance is below zero. Deposits and withdrawals are paused until it is settled; please contact support."
	msgDepositBlockedReturned = "Your balance is below zero because your bank returned a deposit. Deposits and withdrawals are paused until it is settled; please contact support."
	msgDepositBlockedPayout   = "Your balance is below zero because a withdrawal reached your bank account after it had been cancelled, so its money was taken back from your balance. Deposits and withdrawals are paused until it is settled; please contact support."
	msgPayoutBlocked          = "Your balance is below zero. Withdrawals are paused until it is settled; please contact support."
	msgPayoutBlockedReturned  = "Your balance is below zero because your bank returned a deposit. Withdrawals are paused until it is settled; please contact support."
	msgPayoutBlockedPayout    = "Your balance is below zero because a withdrawal reached your bank account after it had been cancelled, so its money was taken back from your balance. Withdrawals are paused until it is settled; please contact support."
	msgApproveNegative        = "The player's balance is below zero, so this payout cannot be approved. Deny it to give the money back to their balance, towards what they owe."
	msgApproveNegativeReturn  = "The player's balance is below zero because their bank returned a deposit (order %d), so this payout cannot be approved. Deny it to give the money back to their balance, towards what they owe."
	msgApproveNegativePayout  = "The player's balance is below zero because a payout (order %d) was paid by the bank after it had been cancelled, and its money was taken back, so this payout cannot be approved. Deny it to give the money back to their balance, towards what they owe."
)

// belowZeroSentences are, for each refusal of a wallet below zero, its message
// id and English sentence when no cause is known ("") and for each cause, by the
// kind of the order that took the wallet below zero.
var belowZeroSentences = map[string]map[models.OrderKind][2]string{
	"problem.deposit_blocked": {
		"":                  {"problem.deposit_blocked", msgDepositBlocked},
		models.OrderDeposit: {"problem.deposit_blocked_returned", msgDepositBlockedReturned},
		models.OrderPayout:  {"problem.deposit_blocked_payout", msgDepositBlockedPayout},
	},
	"problem.payout_blocked": {
		"":                  {"problem.payout_blocked", msgPayoutBlocked},
		models.OrderDeposit: {"problem.payout_blocked_returned", msgPayoutBlockedReturned},
		models.OrderPayout:  {"problem.payout_blocked_payout", msgPayoutBlockedPayout},
	},
	"problem.payout_approve_negative": {
		"":                  {"problem.payout_approve_negative", msgApproveNegative},
		models.OrderDeposit: {"problem.payout_approve_negative_returned", msgApproveNegativeReturn},
		models.OrderPayout:  {"problem.payout_approve_negative_payout", msgApproveNegativePayout},
	},
}

// belowZeroProblem is the refusal id (one of belowZeroSentences) for a wallet
// below zero that cause took there (nil: not known): the sentence that names
// it, with the order's id where staff read it.
func belowZeroProblem(id string, cause *models.Order) *models.Problem {
	var kind models.OrderKind
	if cause != nil {
		kind = cause.Kind
	}
	s, ok := belowZeroSentences[id][kind]
	if !ok {
		s = belowZeroSentences[id][""]
	}
	if strings.Contains(s[1], "%d") {
		return models.ProblemT("", s[0], fmt.Sprintf(s[1], cause.ID), "Order", cause.ID)
	}
	return models.ProblemT("", s[0], s[1])
}

// belowZeroKey is a player's wallet in one currency.
type belowZeroKey struct {
	PlayerID int64
	Currency string
}

// belowZeroCause is the order whose booking last took the player's wallet below
// zero, or deeper (belowZeroCauses), read on db, which may be a transaction; nil
// when there is none.
func belowZeroCause(ctx context.Context, db *gorm.DB, playerID int64, currency string) (*models.Order, error) {
	k := belowZeroKey{playerID, currency}
	causes, err := belowZeroCauses(ctx, db, []belowZeroKey{k})
	if err != nil {
		return nil, err
	}
	return causes[k], nil
}

// belowZeroCauses reads, for each of the wallets, the order of the newest
// overdraft booked on it that the cashier makes (a deposit's debit, a payout's
// retake), in two statements however many wallets: it is what took a wallet that
// is below zero there, or deeper, as nothing else can lower it. A wallet without
// one is not in the map. The caller asks only about wallets below zero.
func belowZeroCauses(ctx context.Context, db *gorm.DB, wallets []belowZeroKey) (map[belowZeroKey]*models.Order, error) {
	out := make(map[belowZeroKey]*models.Order, len(wallets))
	if len(wallets) == 0 {
		return out, nil
	}
	accounts := make([]models.LedgerAccount, 0, len(wallets))
	for _, w := range wallets {
		accounts = append(accounts, models.PlayerWallet(w.PlayerID))
	}
	db = db.WithContext(ctx)
	// Transfers' ids grow with time; a wallet's bookings are taken one at a time
	// under its balance row's lock, so its newest has the highest id.
	newest := db.Table("entries").Select("MAX(entries.transfer_id)").
		Joins("JOIN transfers ON transfers.id = entries.transfer_id").
		Where("entries.account IN ? AND entries.minor < 0", accounts).
		Where("transfers.reference LIKE ? OR transfers.reference LIKE ?", "deposit:%:debit", "payout:%:retake").
		Group("entries.account, transfers.currency")
	var refs []string
	if err := db.Model(&models.Transfer{}).Where("id IN (?)", newest).Pluck("reference", &refs).Error; err != nil {
		return nil, fmt.Errorf("overdrafts of %d wallets: %w", len(wallets), err)
	}
	var ids []int64
	for _, ref := range refs {
		if id, ok := referenceOrder(ref); ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var orders []models.Order
	if err := db.Where("id IN ?", ids).Find(&orders).Error; err != nil {
		return nil, fmt.Errorf("orders of the overdrafts of %d wallets: %w", len(wallets), err)
	}
	for i := range orders {
		k := belowZeroKey{orders[i].PlayerID, orders[i].Amount.Currency}
		out[k] = &orders[i]
	}
	return out, nil
}
