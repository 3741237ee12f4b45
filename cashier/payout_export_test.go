package cashier

import (
	"context"
	"time"

	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// ReservePayoutOnly is the first half of RequestPayout: the order and its
// reservation, committed, and no AccountPayout call. It stands for a process that
// stopped between the two.
func (s *Service) ReservePayoutOnly(ctx context.Context, player models.Player, bankAccountID int64, amount models.Money) (models.Order, error) {
	return s.reservePayout(ctx, player, models.NewMessageID(models.OrderPayout), bankAccountID, amount)
}

// ReleasePayout books a payout's release (payoutReleased) the way DenyPayout,
// CancelPayout, a refusal and settlePayouts do, without their own checks, so a
// test can see what payoutReleased alone guards.
func (s *Service) ReleasePayout(ctx context.Context, orderID int64) (models.Order, error) {
	return s.changePayout(ctx, orderID, func(tx *gorm.DB, o *models.Order, now time.Time) error {
		return s.payoutReleased(ctx, tx, o, now)
	})
}

// TransferState is transferState, for TestTransferStateOfItsOwnRow.
var TransferState = transferState
