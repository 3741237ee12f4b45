package cashier

import (
	"context"
	"fmt"
	"time"

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

// credentialWindow is how long a temporary password or a reset second factor set
// by one staff member keeps the member it was set for from being the other half of
// a two-person approval with them (takenOver).
//
// Why a time and not "until the member changed their password themselves": the
// audit does record a member's own change (staff.password_changed, by the member),
// but a temporary password obliges whoever signs in with it to choose a new one
// before any other page (Member.MustChangePassword), so an owner signing in as
// the member makes exactly that change, under the member's name. Nothing recorded
// tells the member's own change from the impostor's. What the data does support is
// when the reset was: a day in which the real member, whose sessions the reset
// ended and whose password no longer works, has come back and noticed.
const credentialWindow = 24 * time.Hour

// msgApproverTakenOver refuses a second approval by a member whose password or
// second factor the first approver set (or the other way round) shortly before.
const msgApproverTakenOver = "You cannot give the second approval of this payout: your password or second factor " +
	"was reset by the staff member who approved it first (or you reset theirs) in the last 24 hours, so one person " +
	"could be giving both approvals. Another staff member must approve it."

// takenOver reports whether the approval of m, beside the earlier approvals of
// first, may be one person's: within credentialWindow before now, one of first
// set a temporary password for m or reset m's second factor, or m did so to one
// of first (who then signed in as them and approved first). Read from the
// append-only audit, which records both resets with their author and subject.
func takenOver(tx *gorm.DB, m staff.Member, first []int64, now time.Time) (bool, error) {
	var n int64
	err := tx.Model(&staff.Audit{}).
		Where("event IN ? AND at > ?", []staff.Event{staff.EventPasswordReset, staff.EventTOTPReset}, now.Add(-credentialWindow).UTC()).
		Where(tx.Where("staff_id IN ? AND subject_id = ?", first, m.ID).Or("staff_id = ? AND subject_id IN ?", m.ID, first)).
		Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("credential resets between staff %d and %v: %w", m.ID, first, err)
	}
	return n > 0, nil
}
