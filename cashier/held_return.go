package cashier

import (
	"context"
	"fmt"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Returns of held money: a Pay N Play deposit whose kyc was answered FINISH and
// whose credit came all the same (models.OrderRefusedHeld) holds money that left
// the payer's bank and sits at Trustly, never booked to any wallet. Staff return
// it with Trustly's Refund of the deposit (API.md §4.3) for the held credit's
// amount, as Trustly's credit said it. A return is a refund order with
// ReturnsHeld and no player, and moves through the refund machinery (sendRefund,
// checkRefunds, applyToRefund) exactly as a refund does, once, with one
// difference: it books nothing, since the money was in no wallet
// (payoutSent, payoutReleased and payoutReturned record its events only).
//
// The deposit follows its returns (syncHeldReturned): while one is sent or
// confirmed, and has neither failed nor come back with a credit, it reads
// refused-returned; a return refused (a signed refusal, or GetWithdrawals
// without it a day later), failed or given back makes it refused-held again, and
// the return may be made again once no return of it is open.

// Sentences shown to staff about returns of held money.
const (
	msgReturnNotHeld = "Only a refused deposit whose credit is held can have its money returned to the payer."
	msgReturnOpen    = "A return of this deposit's held money is under way already."
	msgReturnRefused = "Trustly refused the return; the money is still held."
)

// HeldReturnForm is what the order page's return action shows about a deposit.
type HeldReturnForm struct {
	Amount models.Money // the held credit, as Trustly's credit said
	// Offered: the deposit is refused-held and none of its returns is open (not
	// refused or come back), so a return may be made.
	Offered bool
	// Token is the MessageID of the return this form makes, as RefundForm.Token.
	Token string
	// Refused is why the member may not return it (ReturnRefusal: the deposit is
	// of their own player account), shown in place of the return; "" when they may.
	Refused string
}

// HeldReturnFor returns what by, who may refund, needs to return deposit
// depositID's held credit; token is kept as RefundFormFor keeps it. A deposit
// that holds no credit to return is ErrOrderNotFound.
func (s *Service) HeldReturnFor(ctx context.Context, by staff.Member, depositID int64, token string) (HeldReturnForm, error) {
	var f HeldReturnForm
	err := readTx(ctx, s.db, func(tx *gorm.DB) error {
		m, err := s.actor(ctx, tx, by, staff.ActionRefund)
		if err != nil {
			return err
		}
		var dep models.Order
		if err := tx.Where("id = ? AND kind = ?", depositID, models.OrderDeposit).Take(&dep).Error; err != nil {
			return err
		}
		if dep.Status != models.OrderRefusedHeld && dep.Status != models.OrderRefusedReturned {
			return gorm.ErrRecordNotFound
		}
		refusal, err := returnRefusal(tx, m, &dep)
		if err != nil {
			return err
		}
		if refusal != nil {
			f.Refused = refusal.Message
		}
		if f.Amount, err = s.heldNotification(tx, &dep, trustly.MethodCredit, dep.HeldCreditID); err != nil {
			// No return is offered of money whose amount cannot be read; the page shows.
			s.log.Error("alert: held credit of a refused deposit cannot be read; no return offered", "order_id", dep.ID, "notification_id", dep.HeldCreditID, "err", err)
			return nil
		}
		open, err := openReturns(tx, dep.ID)
		if err != nil {
			return err
		}
		f.Offered = dep.Status == models.OrderRefusedHeld && open == 0
		f.Token, err = refundToken(tx, token)
		return err
	})
	if err != nil {
		return HeldReturnForm{}, refundErr("held return form of deposit", depositID, err)
	}
	return f, nil
}

// ReturnHeldOnce returns a refused-held deposit's held credit to the payer on a
// staff member's word (staff.ActionRefund), with the form's token as the
// return's MessageID: a form sent twice, or two forms at once, on any instance,
// make one return and one Refund call. The return is created and audited in one
// transaction under the deposit's row lock, which refuses it with a
// *models.Problem when the deposit holds no credit to return or a return of it
// is open; then Refund is called (sendRefund): the return comes back sent,
// sending when Trustly's answer was lost (checkRefunds settles it, never a
// second call), or failed with a *models.Problem when Trustly refused it in a
// signed answer, the money still held.
func (s *Service) ReturnHeldOnce(ctx context.Context, by staff.Member, depositID int64, token, reason string) (models.Order, error) {
	if !models.IsMessageID(models.OrderRefund, token) {
		return models.Order{}, models.Problemf("", msgRefundForm)
	}
	ret, again, err := s.reserveReturn(ctx, by, depositID, token, reason)
	if err != nil {
		return models.Order{}, err
	}
	if again {
		s.refundLog(ret).Warn("return form sent again; the return it made is not sent twice", "staff_id", by.ID, "status", ret.Status)
		return ret, nil
	}
	return s.sendRefund(ctx, ret)
}

// reserveReturn checks a return and creates its order with its audit row, in one
// transaction holding the deposit's row lock. Nothing is booked.
func (s *Service) reserveReturn(ctx context.Context, by staff.Member, depositID int64, token, reason string) (models.Order, bool, error) {
	var ret models.Order
	again := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now().UTC()
		m, dep, prior, err := s.depositForm(ctx, tx, by, depositID, token)
		if err != nil {
			return err
		}
		switch {
		case prior.ID != 0 && prior.Kind == models.OrderRefund && prior.ReturnsHeld && prior.ParentID == dep.ID:
			ret, again = prior, true
			return nil
		case prior.ID != 0:
			return models.Problemf("", msgRefundForm)
		}
		own, err := returnRefusal(tx, m, &dep)
		if err != nil {
			return err
		}
		if own != nil {
			return own
		}
		open, err := openReturns(tx, dep.ID)
		switch {
		case err != nil:
			return err
		case open > 0:
			return models.Problemf("", msgReturnOpen)
		case dep.Status != models.OrderRefusedHeld || dep.TrustlyOrderID == "":
			return models.Problemf("", msgReturnNotHeld)
		}
		amount, err := s.heldNotification(tx, &dep, trustly.MethodCredit, dep.HeldCreditID)
		if err != nil {
			return err
		}
		ret = models.Order{MessageID: token, Kind: models.OrderRefund, ReturnsHeld: true, ParentID: dep.ID, Amount: amount,
			DecidedBy: m.ID, Reason: truncate(reason, 500), Attempts: 1, AttemptedAt: &now, CreatedAt: now}
		ret.Refresh()
		if err := tx.Create(&ret).Error; err != nil {
			return fmt.Errorf("create order: %w", err)
		}
		before := map[string]any{"deposit": dep.ID, "status": dep.Status, "held": amount.String(), "currency": amount.Currency}
		after := map[string]any{"deposit": dep.ID, "return": ret.ID, "amount": amount.String(), "currency": amount.Currency,
			"status": ret.Status}
		return staff.Record(ctx, tx, now, staff.Audit{Event: staff.EventHeldReturn, OrderID: ret.ID,
			Before: staff.JSON(before), After: staff.JSON(after), Reason: truncate(reason, 500)}.By(m))
	})
	if err != nil {
		return models.Order{}, false, refundErr("return held credit of deposit", depositID, err)
	}
	if !again {
		s.refundLog(ret).Info("return of held money created", "amount", ret.Amount.String(), "staff_id", by.ID)
	}
	return ret, again, nil
}

// ReturnRefusal is why the staff member m may not return the held money of a
// refused deposit of player p, or nil: p is their own player account
// (ownAccount), whose deposit a signed-in player started and whose kyc refused
// it. A return sends money to a bank account with no approval, as a refund
// does, and deciding about one's own money is the conflict of interest that
// keeps a member from refunding their own deposits. ReturnHeldOnce refuses with
// it and writes nothing; the order page shows it in place of the return form. A
// deposit of no player (a Pay N Play visitor's) is nobody's.
func ReturnRefusal(m staff.Member, p models.Player) *models.Problem {
	return ownAccountRefusal(m, p, msgOwnAccountReturn)
}

// msgOwnAccountReturn refuses the return of held money of a deposit of a
// member's own player account.
const msgOwnAccountReturn = "You cannot return this deposit's held money: it is of the player account with your email address. " +
	"Another member must decide it."

// returnRefusal is ReturnRefusal for deposit, its player read in tx.
func returnRefusal(tx *gorm.DB, m staff.Member, deposit *models.Order) (*models.Problem, error) {
	p, err := depositPlayer(tx, deposit)
	if err != nil {
		return nil, err
	}
	return ReturnRefusal(m, p), nil
}

// openReturns counts the returns of deposit depositID that are neither refused
// (released) nor come back (returned): while one is, no other is made.
func openReturns(tx *gorm.DB, depositID int64) (int64, error) {
	var n int64
	err := tx.Model(&models.Order{}).Where("parent_id = ? AND kind = ? AND returns_held = ? AND released_at IS NULL AND returned_at IS NULL",
		depositID, models.OrderRefund, true).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("returns of deposit %d: %w", depositID, err)
	}
	return n, nil
}

// syncHeldReturned sets dep.HeldReturned from its returns, in the transaction
// that changed one of them and holds dep's row lock: true while one is sent (or
// confirmed) and has neither failed nor come back. The caller refreshes and saves
// dep.
func syncHeldReturned(tx *gorm.DB, dep *models.Order) error {
	var n int64
	err := tx.Model(&models.Order{}).Where("parent_id = ? AND kind = ? AND returns_held = ?", dep.ID, models.OrderRefund, true).
		Where("sent_at IS NOT NULL AND payout_failed_at IS NULL AND credited_at IS NULL AND returned_at IS NULL AND released_at IS NULL").
		Count(&n).Error
	if err != nil {
		return fmt.Errorf("returns of deposit %d: %w", dep.ID, err)
	}
	dep.HeldReturned = n > 0
	return nil
}

// changeRefund changes a refund (or a return) under its deposit's row lock and
// its own, in that order (as notifications take them), and saves both: a return
// brings its deposit in step (syncHeldReturned).
func (s *Service) changeRefund(ctx context.Context, refund models.Order, change func(tx *gorm.DB, o *models.Order, now time.Time) error) (models.Order, error) {
	var order models.Order
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var dep models.Order
		if err := forUpdate(tx).Where("id = ? AND kind = ?", refund.ParentID, models.OrderDeposit).Take(&dep).Error; err != nil {
			return fmt.Errorf("deposit: %w", err)
		}
		if err := forUpdate(tx).Where("id = ? AND kind = ?", refund.ID, models.OrderRefund).Take(&order).Error; err != nil {
			return err
		}
		if err := change(tx, &order, s.now().UTC()); err != nil {
			return err
		}
		order.Refresh()
		if err := tx.Save(&order).Error; err != nil {
			return err
		}
		return returnChanged(tx, &order, &dep)
	})
	return order, err
}

// returnChanged saves deposit dep in step with its return ret once ret changed;
// a refund changes nothing of its deposit.
func returnChanged(tx *gorm.DB, ret, dep *models.Order) error {
	if !ret.ReturnsHeld {
		return nil
	}
	before := *dep
	if err := syncHeldReturned(tx, dep); err != nil {
		return err
	}
	dep.Refresh()
	if err := saveChanges(tx, &before, dep); err != nil {
		return fmt.Errorf("save deposit %d: %w", dep.ID, err)
	}
	return nil
}

// holdsRefusedCredit reports whether deposit is a refused Pay N Play deposit
// whose credit is held, never booked: its returns' credits come under its
// orderid (applyToRefund).
func holdsRefusedCredit(deposit *models.Order) bool {
	return deposit.PayNPlay && deposit.KYCOutcome == models.KYCFinish && deposit.CreditHeldAt != nil && deposit.CreditedAt == nil
}
