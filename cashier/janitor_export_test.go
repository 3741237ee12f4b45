package cashier

import (
	"context"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
)

// ReserveRefundOnly is the first half of RefundDeposit: the refund and its
// reservation, committed, and no Refund call, as a process that died in between.
func (s *Service) ReserveRefundOnly(ctx context.Context, by staff.Member, depositID int64, amount models.Money, reason string) (models.Order, error) {
	refund, _, err := s.reserveRefund(ctx, by, depositID, models.NewMessageID(models.OrderRefund), amount, reason)
	return refund, err
}

// JanitorLockKey is the first half of the PostgreSQL advisory lock of the janitor
// job name; JanitorSchemaKey the second.
func (s *Service) JanitorLockKey(name string) int32 {
	for _, j := range s.janitorJobs() {
		if j.name == name {
			return j.key
		}
	}
	panic("no janitor job " + name)
}

// JanitorSchemaKey is the SQL of the second half of a janitor job's advisory lock.
const JanitorSchemaKey = janitorSchemaKey

// FlagOverdue runs the janitor's overdue job (JobDepositsOverdue) alone.
func (s *Service) FlagOverdue(ctx context.Context) error { return s.flagOverdue(ctx) }

// AfterOverdueQuery makes read run in the overdue job between its query, which
// found ids, and the first order's row lock.
func (s *Service) AfterOverdueQuery(read func(ids []int64)) { s.overdueRead = read }
