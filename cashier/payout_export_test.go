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
	return s.reservePayout(ctx, player, bankAccountID, amount)
}

// RecordPayoutAccepted records what sendPayout records when AccountPayout answers
// with Trustly's orderid.
func (s *Service) RecordPayoutAccepted(ctx context.Context, orderID int64, trustlyOrderID string) (models.Order, error) {
	return s.changePayout(ctx, orderID, func(tx *gorm.DB, o *models.Order, now time.Time) error {
		if o.TrustlyOrderID == "" {
			o.TrustlyOrderID = trustlyOrderID
		}
		return s.payoutSent(ctx, tx, o, now, s.log)
	})
}
