package cashier

import (
	"context"
	"fmt"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// approvalHistory is how many of the player's latest orders the queue shows beside
// each payout.
const approvalHistory = 5

// Approval is one payout in the approvals queue, with what staff look at before
// deciding.
type Approval struct {
	Payout
	Player    models.Player
	TwoPerson bool           // two different staff members must approve it
	Approvers []staff.Member // who approved it so far (at most one while it waits)
	History   []models.Order // the player's latest other orders, newest first
}

// ApprovalQueue lists the payouts waiting for staff, oldest first, for a member
// who may view the back office.
func (s *Service) ApprovalQueue(ctx context.Context, by staff.Member) ([]Approval, error) {
	payouts, err := s.PayoutsAwaitingApproval(ctx, by)
	if err != nil {
		return nil, err
	}
	out := make([]Approval, 0, len(payouts))
	for _, p := range payouts {
		a := Approval{Payout: p, TwoPerson: s.NeedsTwoApprovals(p.Order)}
		if a.Player, err = s.Player(ctx, p.Order.PlayerID); err != nil {
			return nil, fmt.Errorf("approval queue: %w", err)
		}
		err = s.db.WithContext(ctx).Where("player_id = ? AND id <> ?", p.Order.PlayerID, p.Order.ID).
			Order("created_at DESC, id DESC").Limit(approvalHistory).Find(&a.History).Error
		if err != nil {
			return nil, fmt.Errorf("approval queue: history of player %d: %w", p.Order.PlayerID, err)
		}
		if a.Approvers, err = approvers(s.db.WithContext(ctx), p.Order.ID); err != nil {
			return nil, fmt.Errorf("approval queue: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

// approvers are the staff members who approved the payout orderID so far, which
// one that needs two approvals keeps while it waits for the second.
func approvers(tx *gorm.DB, orderID int64) ([]staff.Member, error) {
	var out []staff.Member
	err := tx.Where("id IN (?)", tx.Model(&staff.Approval{}).Select("staff_id").Where("order_id = ?", orderID)).
		Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("approvals of order %d: %w", orderID, err)
	}
	return out, nil
}

// PayoutForStaff returns any player's payout, for a member who may view the back
// office; ErrOrderNotFound when there is none.
func (s *Service) PayoutForStaff(ctx context.Context, by staff.Member, orderID int64) (Payout, error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionView); err != nil {
		return Payout{}, err
	}
	var order models.Order
	err := s.db.WithContext(ctx).Where("id = ? AND kind = ?", orderID, models.OrderPayout).Limit(1).Find(&order).Error
	switch {
	case err != nil:
		return Payout{}, fmt.Errorf("payout %d: %w", orderID, err)
	case order.ID == 0:
		return Payout{}, fmt.Errorf("payout %d: %w", orderID, ErrOrderNotFound)
	}
	out, err := withAccounts(ctx, s.db, []models.Order{order})
	if err != nil {
		return Payout{}, err
	}
	return out[0], nil
}
