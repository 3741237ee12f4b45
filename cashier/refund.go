package cashier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/internal/failpoint"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Refunds: money from the player's wallet back to the bank account that paid a
// credited deposit, with Trustly's Refund (API.md §4.3, §5.3, §6.1). A refund is
// an order of its own (kind refund, ParentID its deposit) and moves money as a
// payout does, one transfer per event, each reference at most once:
//
//	refund:<ID>:reserve  wallet   → reserved  in the transaction that creates the order
//	refund:<ID>:send     reserved → clearing  Trustly accepted it, or later evidence shows it has it
//	refund:<ID>:release  reserved → wallet    not sent: Trustly refused it in a signed answer
//	refund:<ID>:return   clearing → wallet    sent, then given back (a credit)
//
// What may be refunded is the deposit's booked credit less every refund of it
// whose money has not come back (refundable). It is counted in the transaction
// that reserves the refund, under the deposit's row lock (and, on SQLite, the
// writer lock), so concurrent refunds of one deposit cannot together exceed it.
// An operator's refund is counted the same way against Limits.RefundOperatorMax:
// the deposit's refunds that count (whoever made them) plus this one must stay
// within it, so splitting a refund does not get past the limit.
// The reservation is guarded like every player account: a wallet that no longer
// holds the money refuses the refund.
//
// Refund has no MessageID: Trustly cannot tell a resend from a second refund. So a
// call whose outcome is unknown (a timeout, an unsigned answer) is never resent;
// the refund stays reserved, and checkRefunds asks GetWithdrawals about the
// deposit's refunds. Only a signed refusal, or a refund still missing there
// RefundRefusedAfter after the call, releases the money.
//
// Trustly answers and notifies a refund under its deposit's orderid and messageid
// (API.md §4.3): applyToRefund finds which of the deposit's refunds a
// payoutconfirmation, payoutfailed or credit is about, by amount and state, and
// applies it to that refund as to a payout, exactly once, in any order.

// Sentences shown to staff about refunds.
const (
	msgRefundNotCredited = "Only a credited deposit can be refunded."
	msgRefundCurrency    = "A refund is made in the deposit's currency, %s."
	msgRefundAmount      = "Enter an amount above zero, such as 100 or 99.50."
	msgRefundTooMuch     = "At most %s of this deposit can still be refunded."
	msgRefundWallet      = "The player's balance holds only %s, so the refund cannot take more."
	msgRefundLimit       = "Refunds above %s need a finance member."
	msgRefundRefused     = "Trustly refused the refund; the money is back in the player's balance."
	msgRefundForm        = "This refund form is out of date; open the deposit's refund form again."
	// msgRefundOwnAccount refuses a refund by a member whose email is the
	// deposit's player's (RefundRefusal).
	msgRefundOwnAccount = "You cannot refund this deposit: it is of the player account with your email address. " +
		"Another member must decide it."
	// msgRefundOperatorTotal is problem.refund_operator_total: the limit, what is
	// refunded of the deposit already, and what an operator may still refund.
	msgRefundOperatorTotal = "Refunds of a deposit by operators are limited to %s in all; %s of this deposit is refunded already, so an operator may refund at most %s more."
)

const (
	// refundCheckEvery is how often GetWithdrawals is asked about one refund whose
	// outcome is unknown: Trustly's limit per order (API.md §4.6).
	refundCheckEvery = 15 * time.Minute
	// RefundRefusedAfter is how long after a refund's call with unknown outcome its
	// absence from GetWithdrawals counts as Trustly's refusal (ours, as
	// PayoutRefusedAfter): a refund Trustly accepts is an order at once.
	RefundRefusedAfter = 24 * time.Hour
)

// RefundForm is what a refund form shows about a deposit.
type RefundForm struct {
	Deposit models.Order
	Refunds []models.Order // the deposit's refunds, oldest first
	// RefundedBy is the email of the staff member who made each of Refunds
	// (Order.DecidedBy), by the refund's id; "" for none.
	RefundedBy map[int64]string
	Refundable models.Money // what may still be refunded
	// OperatorMax is the most an operator may refund of one deposit in all, counting
	// every refund of it that counts against Refundable; finance members may refund
	// up to Refundable.
	OperatorMax models.Money
	// OperatorLeft is what an operator may still refund of this deposit: OperatorMax
	// less what is refunded already, and at most Refundable.
	OperatorLeft models.Money
	Unlimited    bool // by may refund any amount
	// Refused is why by may not refund this deposit at all (RefundRefusal: it is
	// of their own player account), shown in place of the form; "" when they may.
	Refused string
	// Token is the MessageID of the refund this form makes, sent back with it
	// (RefundDepositOnce): a form sent twice (a double click, a browser resending
	// after a timeout) refunds once.
	Token string
}

// RefundFormFor returns what by, who may refund, needs to refund deposit
// depositID; an unknown deposit is ErrOrderNotFound. token is the token of a form
// shown again (after a re-authentication, or with a problem): the form keeps it
// while no refund has it as its MessageID, so that every copy of one form makes
// one refund. "", or a token that made a refund, gets a new token.
func (s *Service) RefundFormFor(ctx context.Context, by staff.Member, depositID int64, token string) (RefundForm, error) {
	var f RefundForm
	err := readTx(ctx, s.db, func(tx *gorm.DB) error {
		m, err := s.actor(ctx, tx, by, staff.ActionRefund)
		if err != nil {
			return err
		}
		if err := tx.Where("id = ? AND kind = ?", depositID, models.OrderDeposit).Take(&f.Deposit).Error; err != nil {
			return err
		}
		if err := tx.Where("parent_id = ? AND kind = ?", depositID, models.OrderRefund).Order("id").Find(&f.Refunds).Error; err != nil {
			return err
		}
		if f.RefundedBy, err = refundedBy(tx, f.Refunds); err != nil {
			return err
		}
		var refunded models.Money
		if f.Refundable, refunded, err = refundable(tx, &f.Deposit); err != nil {
			return err
		}
		f.OperatorMax = s.cfg.LimitsFor(f.Deposit.Amount.Currency).RefundOperatorMax
		f.OperatorLeft = models.Money{Minor: min(max(f.OperatorMax.Minor-refunded.Minor, 0), f.Refundable.Minor),
			Currency: f.Deposit.Amount.Currency}
		f.Unlimited = staff.Can(m.Role, staff.ActionRefundAny)
		refusal, err := refundRefusal(tx, m, &f.Deposit)
		if err != nil {
			return err
		}
		if refusal != nil {
			f.Refused = refusal.Message
		}
		f.Token, err = refundToken(tx, token)
		return err
	})
	if err != nil {
		return RefundForm{}, refundErr("refund form of deposit", depositID, err)
	}
	return f, nil
}

// RefundRefusal is why the staff member m may not refund a deposit of player p,
// or nil: p is their own player account (ownAccount). A refund takes the wallet's
// money to the payer's bank as a payout does, with no approval, and deciding
// about one's own money is the conflict of interest that keeps a member from
// approving or denying their own payouts. RefundDeposit refuses with it and
// writes nothing; the deposit's order page and refund form show it instead.
func RefundRefusal(m staff.Member, p models.Player) *models.Problem {
	return ownAccountRefusal(m, p, msgRefundOwnAccount)
}

// refundRefusal is RefundRefusal for deposit, its player read in tx.
func refundRefusal(tx *gorm.DB, m staff.Member, deposit *models.Order) (*models.Problem, error) {
	p, err := depositPlayer(tx, deposit)
	if err != nil {
		return nil, err
	}
	return RefundRefusal(m, p), nil
}

// depositPlayer reads the id and email of deposit's player in tx, what
// ownAccount compares: zero for a deposit of no player.
func depositPlayer(tx *gorm.DB, deposit *models.Order) (models.Player, error) {
	var p models.Player
	if err := tx.Select("id", "email").Where("id = ?", deposit.PlayerID).Limit(1).Find(&p).Error; err != nil {
		return models.Player{}, fmt.Errorf("player %d of deposit %d: %w", deposit.PlayerID, deposit.ID, err)
	}
	return p, nil
}

// refundedBy is the email of the staff member who made each of refunds, by the
// refund's id, read in one statement (membersByID).
func refundedBy(tx *gorm.DB, refunds []models.Order) (map[int64]string, error) {
	var ids []int64
	for _, r := range refunds {
		if r.DecidedBy != 0 && !slices.Contains(ids, r.DecidedBy) {
			ids = append(ids, r.DecidedBy)
		}
	}
	members, err := membersByID(tx, ids)
	if err != nil {
		return nil, fmt.Errorf("staff who made %d refunds: %w", len(refunds), err)
	}
	by := make(map[int64]string, len(refunds))
	for _, r := range refunds {
		by[r.ID] = members[r.DecidedBy].Email
	}
	return by, nil
}

// refundToken is the token a refund form is shown with: token, the token of the
// form shown again, while no order has it as its MessageID, so that every copy of
// one form makes one refund; a new one for "", or a token that made an order.
func refundToken(tx *gorm.DB, token string) (string, error) {
	if !models.IsMessageID(models.OrderRefund, token) {
		return models.NewMessageID(models.OrderRefund), nil
	}
	var used int64
	if err := tx.Model(&models.Order{}).Where("message_id = ?", token).Count(&used).Error; err != nil {
		return "", err
	}
	if used > 0 {
		return models.NewMessageID(models.OrderRefund), nil
	}
	return token, nil
}

// RefundDeposit refunds amount of a credited deposit to the bank account that paid
// it, on a staff member's word: by must be allowed to refund (staff.ActionRefund),
// and, when the deposit's refunds with this one would total more than the
// currency's Limits.RefundOperatorMax, to refund any amount (staff.ActionRefundAny).
// A refund that is not allowed fails with a
// *models.Problem, and nothing is reserved or sent: a deposit not credited (or
// debited since), another currency, an amount not above zero, more than is still
// refundable, or more than the player's wallet holds.
//
// The money is reserved, and one audit row written, in the transaction that
// creates the refund order; then Refund is called. The order comes back sent, or
// sending when Trustly's answer was lost (checkRefunds settles it), or failed with
// its money released and a *models.Problem when Trustly refused it in a signed
// answer. Trustly's notifications decide the rest.
func (s *Service) RefundDeposit(ctx context.Context, by staff.Member, depositID int64, amount models.Money, reason string) (models.Order, error) {
	return s.RefundDepositOnce(ctx, by, depositID, "", amount, reason)
}

// RefundDepositOnce is RefundDeposit for the refund form with token, its
// RefundForm.Token, which becomes the refund's MessageID: when a refund with it
// exists already (the form was sent twice) that refund is returned as it stands,
// and nothing is reserved, sent or audited again; one Trustly refused (its money
// released) comes with the Problem its first send had. A Refund has no MessageID at
// Trustly, so a second call would be a second refund. An empty token refunds
// afresh; one that is not a refund's MessageID is a *models.Problem.
func (s *Service) RefundDepositOnce(ctx context.Context, by staff.Member, depositID int64, token string, amount models.Money, reason string) (models.Order, error) {
	if token == "" {
		token = models.NewMessageID(models.OrderRefund)
	} else if !models.IsMessageID(models.OrderRefund, token) {
		return models.Order{}, models.Problemf("", msgRefundForm)
	}
	refund, again, err := s.reserveRefund(ctx, by, depositID, token, amount, reason)
	if err != nil {
		return models.Order{}, err
	}
	if again {
		s.refundLog(refund).Warn("refund form sent again; the refund it made is not sent twice", "staff_id", by.ID, "status", refund.Status)
		if refund.ReleasedAt != nil && refund.SentAt == nil {
			// Refused: the form sent again says so, as its first send did, rather
			// than reading as a refund reserved and being checked.
			return refund, models.Problemf("", msgRefundRefused)
		}
		return refund, nil
	}
	return s.sendRefund(ctx, refund)
}

// refundable is what may still be refunded of deposit (left) and what is refunded
// of it already (refunded): every refund of it whose money has not come back to
// the wallet, neither released (refused, never sent) nor returned, whether sent or
// still in flight. left is the deposit's booked credit less refunded; nothing is
// refundable of a deposit that is not credited.
func refundable(tx *gorm.DB, deposit *models.Order) (left, refunded models.Money, err error) {
	none := models.Money{Currency: deposit.Amount.Currency}
	var out struct{ Minor int64 }
	err = tx.Model(&models.Order{}).Select("COALESCE(SUM(amount_minor), 0) AS minor").
		Where("parent_id = ? AND kind = ? AND released_at IS NULL AND returned_at IS NULL", deposit.ID, models.OrderRefund).
		Scan(&out).Error
	if err != nil {
		return none, none, fmt.Errorf("refunds of deposit %d: %w", deposit.ID, err)
	}
	refunded = models.Money{Minor: out.Minor, Currency: deposit.Amount.Currency}
	if deposit.Status != models.OrderCredited {
		return none, refunded, nil
	}
	credited, err := creditedAmount(tx, deposit)
	if err != nil {
		return none, refunded, err
	}
	left = credited
	left.Minor -= refunded.Minor
	if left.Minor < 0 {
		left.Minor = 0
	}
	return left, refunded, nil
}

// operatorLimitProblem refuses an operator's refund that would take the refunds
// of a deposit, refunded already, past limit (Limits.RefundOperatorMax).
func operatorLimitProblem(limit, refunded models.Money) *models.Problem {
	if refunded.Minor == 0 {
		return models.Problemf("amount", fmt.Sprintf(msgRefundLimit, limit.Display()))
	}
	left := models.Money{Minor: max(limit.Minor-refunded.Minor, 0), Currency: limit.Currency}
	return models.ProblemT("amount", "problem.refund_operator_total",
		fmt.Sprintf(msgRefundOperatorTotal, limit.Display(), refunded.Display(), left.Display()),
		"Max", limit, "Amount", refunded, "Left", left)
}

// depositForm begins a staff form's change of deposit depositID (a refund, a
// return of held money): by must be allowed to refund; the deposit's row is
// locked; and prior is the order the form's token made already (zero when none),
// read under that lock, so that of two copies of a form at once the second finds
// the first's order.
func (s *Service) depositForm(ctx context.Context, tx *gorm.DB, by staff.Member, depositID int64, token string) (m staff.Member, dep, prior models.Order, err error) {
	if m, err = s.actor(ctx, tx, by, staff.ActionRefund); err != nil {
		return m, dep, prior, err
	}
	if err = forUpdate(tx).Where("id = ? AND kind = ?", depositID, models.OrderDeposit).Take(&dep).Error; err != nil {
		return m, dep, prior, err
	}
	err = tx.Where("message_id = ?", token).Limit(1).Find(&prior).Error
	return m, dep, prior, err
}

// reserveRefund checks a refund, creates its order, reserves its money and writes
// its audit row, in one transaction that holds the deposit's row lock: what is
// refundable, and what an operator may still refund, are counted under it.
func (s *Service) reserveRefund(ctx context.Context, by staff.Member, depositID int64, token string, amount models.Money, reason string) (models.Order, bool, error) {
	var refund models.Order
	var playerID int64
	again := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now().UTC()
		m, dep, prior, err := s.depositForm(ctx, tx, by, depositID, token)
		if err != nil {
			return err
		}
		playerID = dep.PlayerID
		switch {
		case prior.ID != 0 && prior.Kind == models.OrderRefund && prior.ParentID == dep.ID:
			refund, again = prior, true
			return nil
		case prior.ID != 0:
			return models.Problemf("", msgRefundForm)
		}
		refusal, err := refundRefusal(tx, m, &dep)
		if err != nil {
			return err
		}
		if refusal != nil {
			return refusal
		}
		switch {
		case dep.Status != models.OrderCredited || dep.TrustlyOrderID == "":
			return models.Problemf("", msgRefundNotCredited)
		case amount.Currency != dep.Amount.Currency:
			return models.Problemf("amount", fmt.Sprintf(msgRefundCurrency, dep.Amount.Currency))
		case !amount.Positive():
			return models.Problemf("amount", msgRefundAmount)
		}
		left, refunded, err := refundable(tx, &dep)
		if err != nil {
			return err
		}
		if amount.Minor > left.Minor {
			return models.Problemf("amount", fmt.Sprintf(msgRefundTooMuch, left.Display()))
		}
		if limit := s.cfg.LimitsFor(amount.Currency).RefundOperatorMax; refunded.Minor+amount.Minor > limit.Minor && !staff.Can(m.Role, staff.ActionRefundAny) {
			return operatorLimitProblem(limit, refunded)
		}
		refund = models.Order{MessageID: token, Kind: models.OrderRefund,
			PlayerID: dep.PlayerID, ParentID: dep.ID, Amount: amount, DecidedBy: m.ID, Reason: truncate(reason, 500),
			Attempts: 1, AttemptedAt: &now, CreatedAt: now}
		refund.Refresh()
		if err := tx.Create(&refund).Error; err != nil {
			return fmt.Errorf("create order: %w", err)
		}
		t := models.Move(refund.Reference("reserve"), "Refund of a deposit reserved", models.PlayerWallet(dep.PlayerID),
			models.PlayerReserved(dep.PlayerID), amount)
		if _, err := ledger.New(tx).Post(ctx, t); err != nil {
			return err
		}
		before := map[string]any{"deposit": dep.ID, "deposit_amount": dep.Amount.String(), "currency": amount.Currency,
			"refundable": left.String()}
		after := map[string]any{"deposit": dep.ID, "refund": refund.ID, "amount": amount.String(), "currency": amount.Currency,
			"status": refund.Status, "refundable": models.Money{Minor: left.Minor - amount.Minor, Currency: amount.Currency}.String()}
		return staff.Record(ctx, tx, now, staff.Audit{Event: staff.EventRefund, OrderID: refund.ID, PlayerID: dep.PlayerID,
			Before: staff.JSON(before), After: staff.JSON(after), Reason: truncate(reason, 500)}.By(m))
	})
	if errors.Is(err, ledger.ErrInsufficientFunds) {
		w, werr := ledger.New(s.db).Balance(ctx, models.PlayerWallet(playerID), amount.Currency)
		if werr != nil {
			return models.Order{}, false, fmt.Errorf("refund deposit %d: %w", depositID, werr)
		}
		return models.Order{}, false, models.Problemf("amount", fmt.Sprintf(msgRefundWallet, w.Display()))
	}
	if err != nil {
		return models.Order{}, false, refundErr("refund deposit", depositID, err)
	}
	if !again {
		s.refundLog(refund).Info("refund reserved", "amount", amount.String(), "staff_id", by.ID)
	}
	return refund, again, nil
}

// sendRefund calls Refund for a reserved refund and records the outcome. Like
// sendPayout it is detached from the caller's cancellation, and only a signed
// refusal releases the money.
func (s *Service) sendRefund(ctx context.Context, refund models.Order) (models.Order, error) {
	ctx = context.WithoutCancel(ctx)
	log := s.refundLog(refund)
	var dep models.Order
	if err := s.db.WithContext(ctx).Where("id = ?", refund.ParentID).Take(&dep).Error; err != nil {
		return refund, fmt.Errorf("send refund %d: deposit: %w", refund.ID, err)
	}
	failpoint.Hit("refund.before_call")
	res, err := recorded(ctx, s, aboutOrder(refund), s.trustly.Refund, trustly.RefundParams{OrderID: dep.TrustlyOrderID,
		Amount: refund.Amount.String(), Currency: refund.Amount.Currency, ExternalReference: refund.MessageID})
	failpoint.Hit("refund.after_call")
	var te *trustly.Error
	if !errors.As(err, &te) || !te.Signed {
		te = nil // an unsigned error may not come from Trustly: the outcome is unknown
	}
	switch {
	case err == nil:
		if res.OrderID != dep.TrustlyOrderID {
			log.Warn("Refund answered with another orderid than the deposit's", "trustly_order_id", res.OrderID,
				"deposit_trustly_order_id", dep.TrustlyOrderID)
		}
		sent, err := s.changeRefund(ctx, refund, func(tx *gorm.DB, o *models.Order, now time.Time) error {
			return s.payoutSent(ctx, tx, o, now, log)
		})
		if err != nil {
			return refund, fmt.Errorf("send refund %d: record accepted: %w", refund.ID, err)
		}
		log.Info("refund sent", "status", sent.Status)
		return sent, nil

	case te != nil, errors.Is(err, trustly.ErrRefused), errors.Is(err, trustly.ErrInvalidParams):
		reason := "Refund refused (result 0)"
		if te != nil {
			reason = fmt.Sprintf("Refund error %d %s", te.Code, te.Message)
		} else if errors.Is(err, trustly.ErrInvalidParams) {
			reason = "Refund not sent: " + err.Error()
		}
		failed, cerr := s.changeRefund(ctx, refund, func(tx *gorm.DB, o *models.Order, now time.Time) error {
			if o.SentAt != nil {
				o.AddFlag(models.FlagKindRefusedAfterSent, "Trustly refused the refund after it had proved it has it: "+reason)
				log.Error("alert: refund refused after it was sent; nothing released", "err", err)
				return nil
			}
			setOnce(&o.FailedAt, now)
			o.Reason = truncate(reason+"; "+o.Reason, 500)
			return s.payoutReleased(ctx, tx, o, now)
		})
		if cerr != nil {
			return refund, fmt.Errorf("send refund %d: record refusal: %w", refund.ID, cerr)
		}
		log.Error("refund refused; reservation released", "err", err, "status", failed.Status)
		if refund.ReturnsHeld {
			return failed, models.Problemf("", msgReturnRefused)
		}
		return failed, models.Problemf("", msgRefundRefused)

	default:
		unknown, cerr := s.changeRefund(ctx, refund, func(tx *gorm.DB, o *models.Order, now time.Time) error {
			setOnce(&o.OutcomeUnknownAt, now)
			return nil
		})
		if cerr != nil {
			return refund, fmt.Errorf("send refund %d: record unknown outcome: %w", refund.ID, cerr)
		}
		log.Error("refund outcome unknown; kept reserved, never resent: GetWithdrawals will settle it", "err", err, "status", unknown.Status)
		return unknown, nil
	}
}

// checkRefunds settles refunds whose Refund call had no known outcome with
// GetWithdrawals on their deposit's orderid, which lists the deposit's refunds.
// Trustly allows that call once per refundCheckEvery per orderid (API.md §4.6), so
// the deposit's row remembers it (TransferChecks, TransferCheckedAt): the refunds
// of one deposit due together share one call, one that becomes due within
// refundCheckEvery of the last call waits, and the deposit is claimed by a
// conditional UPDATE so that instances running together ask once. Each refund
// asked about counts the check (LedgerChecks, LedgerCheckedAt). ResumePayouts
// runs it.
func (s *Service) checkRefunds(ctx context.Context) error {
	var orders []models.Order
	err := s.db.WithContext(ctx).Where("kind = ? AND outcome_unknown_at IS NOT NULL AND sent_at IS NULL AND released_at IS NULL", models.OrderRefund).
		Order("id").Find(&orders).Error
	if err != nil {
		return fmt.Errorf("check refunds: %w", err)
	}
	var deposits []int64
	due := map[int64][]models.Order{}
	for _, order := range orders {
		if len(due[order.ParentID]) == 0 {
			deposits = append(deposits, order.ParentID)
		}
		due[order.ParentID] = append(due[order.ParentID], order)
	}
	var errs []error
	for _, depID := range deposits {
		if err := s.checkDepositRefunds(ctx, depID, due[depID]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkDepositRefunds asks GetWithdrawals once about deposit depID's refunds
// whose outcome is unknown, unless it was asked within refundCheckEvery or
// another instance claims the call, and settles each of refunds with the answer.
// The claim and the count of the check on each refund are one transaction: a
// crash between them would leave the deposit's call counted, and the next call
// refundCheckEvery away, for a call never made.
func (s *Service) checkDepositRefunds(ctx context.Context, depID int64, refunds []models.Order) error {
	var dep models.Order
	if err := s.db.WithContext(ctx).Where("id = ?", depID).Take(&dep).Error; err != nil {
		return fmt.Errorf("check refunds of deposit %d: %w", depID, err)
	}
	now := s.now().UTC()
	if dep.TransferCheckedAt != nil && now.Sub(*dep.TransferCheckedAt) < refundCheckEvery {
		return nil
	}
	ids := make([]int64, len(refunds))
	for i, r := range refunds {
		ids[i] = r.ID
	}
	claimed := false
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error {
		res := tx.Model(&models.Order{}).Where("id = ? AND transfer_checks = ?", dep.ID, dep.TransferChecks).
			Updates(map[string]any{"transfer_checks": dep.TransferChecks + 1, "transfer_checked_at": now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // none: another instance is asking
		}
		claimed = true
		return tx.Model(&models.Order{}).Where("id IN ?", ids).
			Updates(map[string]any{"ledger_checks": gorm.Expr("ledger_checks + 1"), "ledger_checked_at": now}).Error
	})
	if err != nil {
		return fmt.Errorf("check refunds of deposit %d: %w", depID, err)
	}
	if !claimed {
		return nil
	}
	rows, err := recorded(ctx, s, aboutOrder(refunds[0]), s.trustly.GetWithdrawals, trustly.GetWithdrawalsParams{OrderID: dep.TrustlyOrderID})
	var te *trustly.Error
	if errors.As(err, &te) && te.Signed && te.Code == trustly.CodeInvalidOrderID {
		rows, err = nil, nil // Trustly knows no refund of this deposit
	}
	if err != nil {
		for _, r := range refunds {
			s.refundLog(r).Warn("GetWithdrawals failed; the refund stays reserved", "err", err)
		}
		return nil
	}
	var errs []error
	for _, r := range refunds {
		if err := s.settleRefund(ctx, r.ID, rows, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// settleRefund applies one GetWithdrawals answer, asked at checkedAt, to a refund
// whose outcome is unknown. Trustly's rows carry no identity of ours, so they are
// counted: when Trustly lists more refunds of the refund's amount than we have
// booked as sent for the deposit, this one was carried out and is booked as sent.
// When it lists no more, and the last call is RefundRefusedAfter old, Trustly
// refused it: the money is released. Otherwise it stays reserved, and so does it
// while another refund of its amount is in flight, whose row Trustly may be
// listing. The deposit's
// row lock keeps two refunds of one amount from both counting the same row.
func (s *Service) settleRefund(ctx context.Context, id int64, rows []trustly.Withdrawal, checkedAt time.Time) error {
	var refund models.Order
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now().UTC()
		if err := tx.Where("id = ? AND kind = ?", id, models.OrderRefund).Take(&refund).Error; err != nil {
			return err
		}
		var dep models.Order
		if err := forUpdate(tx).Where("id = ?", refund.ParentID).Take(&dep).Error; err != nil {
			return err
		}
		if err := forUpdate(tx).Where("id = ?", id).Take(&refund).Error; err != nil {
			return err
		}
		if refund.SentAt != nil || refund.ReleasedAt != nil {
			return nil // a notification settled it meanwhile
		}
		before := refund
		log := s.refundLog(refund)
		atTrustly := 0
		for _, w := range rows {
			if m, err := models.ParseDecimal(w.Amount, w.Currency); err == nil && m == refund.Amount {
				atTrustly++
			}
		}
		var sent int64
		err := tx.Model(&models.Order{}).Where("parent_id = ? AND kind = ? AND sent_at IS NOT NULL AND amount_minor = ? AND amount_currency = ?",
			dep.ID, models.OrderRefund, refund.Amount.Minor, refund.Amount.Currency).Count(&sent).Error
		if err != nil {
			return err
		}
		// A refund of the same amount whose call is in flight (no outcome recorded
		// yet, maybe on another instance) may be the one Trustly lists: its row
		// cannot be told from this one's, so neither is decided until it has an
		// outcome.
		var inFlight int64
		err = tx.Model(&models.Order{}).Where("parent_id = ? AND kind = ? AND id <> ? AND amount_minor = ? AND amount_currency = ?",
			dep.ID, models.OrderRefund, refund.ID, refund.Amount.Minor, refund.Amount.Currency).
			Where("sent_at IS NULL AND released_at IS NULL AND outcome_unknown_at IS NULL AND failed_at IS NULL").Count(&inFlight).Error
		if err != nil {
			return err
		}
		if inFlight > 0 {
			log.Info("refund check waits for a refund of the same amount in flight", "in_flight", inFlight)
			return nil
		}
		lastCall := refund.OutcomeUnknownAt
		if refund.AttemptedAt != nil && refund.AttemptedAt.After(*lastCall) {
			lastCall = refund.AttemptedAt
		}
		switch {
		case int64(atTrustly) > sent:
			if err := s.payoutSent(ctx, tx, &refund, now, log); err != nil {
				return err
			}
		case checkedAt.Sub(*lastCall) >= RefundRefusedAfter:
			setOnce(&refund.FailedAt, now)
			refund.Reason = truncate(fmt.Sprintf("Refund outcome unknown, and GetWithdrawals lists no refund of it %s after the call: refused; %s",
				RefundRefusedAfter, refund.Reason), 500)
			if err := s.payoutReleased(ctx, tx, &refund, now); err != nil {
				return err
			}
		default:
			return nil
		}
		refund.Refresh()
		if err := saveChanges(tx, &before, &refund); err != nil {
			return err
		}
		return returnChanged(tx, &refund, &dep)
	})
	if err != nil {
		return fmt.Errorf("settle refund %d: %w", id, err)
	}
	s.refundLog(refund).Warn("refund with unknown outcome checked", "status", refund.Status)
	return nil
}

// applyToRefund applies a notification that came under a deposit's orderid to one
// of the deposit's refunds, when it is about one: a payoutconfirmation or
// payoutfailed (a deposit gets neither), or a credit once the deposit's own credit
// is booked, which is a refund coming back. handled is false when it is the
// deposit's own notification. The refund is picked by pickRefund, and its row is
// locked after the deposit's (the order notifications and refunds lock them in),
// changed as a payout's (applyPayout), and saved; the stored notification is
// linked to the refund. A payoutconfirmation or payoutfailed that fits no refund
// of its amount still waiting, but a released one, is that refund's, late
// (notedAfterRelease); any other payoutconfirmation or payoutfailed that matches none of the deposit's
// refunds is flagged on the deposit and applies nothing. A copy of a notification
// applied to a refund, under a new notificationid, is flagged on the deposit and
// applies nothing (copiedRefund); a credit Trustly timestamped no later than the
// deposit's own is the deposit's (depositsOwnCredit), and any other credit that
// no refund of its amount waits for is flagged on the deposit, as matching none
// of its refunds, and books nothing.
func (s *Service) applyToRefund(ctx context.Context, tx *gorm.DB, n *trustly.Notification, deposit *models.Order, now time.Time, log *slog.Logger) (a trustly.Answer, handled bool, err error) {
	ok := trustly.Answer{Status: trustly.StatusOK}
	var amount, currency string
	switch d := n.Data.(type) {
	case *trustly.PayoutData:
		amount, currency = d.Amount, d.Currency
	case *trustly.TransferData:
		// A credit on a deposit not credited is its own, unless the deposit is a
		// refused one whose credit is held: then, once its credit is held, a credit
		// of a return's amount is the return coming back.
		if n.Method != trustly.MethodCredit || (deposit.CreditedAt == nil && !holdsRefusedCredit(deposit)) {
			return ok, false, nil
		}
		amount, currency = d.Amount, d.Currency
	default:
		return ok, false, nil
	}
	var refunds []models.Order
	if err := forUpdate(tx).Where("parent_id = ? AND kind = ?", deposit.ID, models.OrderRefund).Order("id").Find(&refunds).Error; err != nil {
		return ok, false, fmt.Errorf("refunds of deposit %d: %w", deposit.ID, err)
	}
	if len(refunds) == 0 {
		return ok, false, nil
	}
	switch copied, id, err := copiedRefund(tx, n, refunds); {
	case err != nil:
		return ok, false, err
	case copied != nil:
		deposit.AddFlag(models.FlagKindRepeated, fmt.Sprintf("%s sent again under notificationid %s, a copy of %s applied to refund %d: not applied",
			n.Method, n.ID(), id, copied.ID))
		log.Error("alert: copy of a refund's notification under a new notificationid; not applied", "refund_id", copied.ID, "copy_of", id)
		return ok, true, nil
	}
	if d, isCredit := n.Data.(*trustly.TransferData); isCredit {
		switch own, err := depositsOwnCredit(tx, deposit, d); {
		case err != nil:
			return ok, false, err
		case own:
			return ok, false, nil // applyDeposit flags it as a second credit
		}
	}
	refund := pickRefund(refunds, n.Method, amount, currency)
	if n.Method != trustly.MethodCredit && (refund == nil || !sameAmount(refund, amount, currency)) {
		// A released refund of its amount fits a payoutconfirmation or payoutfailed
		// better than none, or than the one refund still waiting whatever its
		// amount (pickRefund's last pass).
		if released := releasedRefund(refunds, amount, currency); released != nil {
			return ok, true, s.notedAfterRelease(tx, n, released, amount, currency, log)
		}
	}
	if refund == nil {
		if n.Method == trustly.MethodCredit {
			// Not the deposit's own (depositsOwnCredit), and no refund of its amount
			// waits for its money to come back: one came back already, or none is of
			// that amount. Trustly names only the deposit, so nothing is booked.
			deposit.AddFlag(models.FlagKindUnmatchedRefund, fmt.Sprintf(
				"credit for %s %s after this deposit's own matches none of its refunds waiting to come back from the bank: not booked", amount, currency))
			log.Error("alert: credit under a deposit with refunds matches no refund; not booked", "amount", amount, "currency", currency)
			return ok, true, nil
		}
		deposit.AddFlag(models.FlagKindUnmatchedRefund, fmt.Sprintf("%s for %s %s matches none of this deposit's refunds: not applied", n.Method, amount, currency))
		log.Error("alert: refund notification matches no refund; not applied", "amount", amount, "currency", currency)
		return ok, true, nil
	}
	rlog := log.With("refund_id", refund.ID, "refund_message_id", refund.MessageID)
	before := *refund
	if a, err = s.applyPayout(ctx, tx, n, refund, now, rlog); err != nil {
		return a, true, err
	}
	refund.Refresh()
	if err := saveChanges(tx, &before, refund); err != nil {
		return a, true, fmt.Errorf("save refund %d: %w", refund.ID, err)
	}
	if err := tx.Model(&models.Notification{}).Where("notification_id = ?", n.ID()).Update("order_id", refund.ID).Error; err != nil {
		return a, true, fmt.Errorf("link notification to refund %d: %w", refund.ID, err)
	}
	if refund.ReturnsHeld {
		// The deposit is saved by HandleNotification, after its Refresh.
		if err := syncHeldReturned(tx, deposit); err != nil {
			return a, true, err
		}
	}
	if kinds := refund.FlagsAdded(); len(kinds) > 0 {
		rlog.Warn("refund flagged", "flags", kinds)
	}
	// Debug: HandleNotification's "notification applied" is the event's info line.
	rlog.Debug("refund notification applied", "status", refund.Status)
	return a, true, nil
}

// copiedRefund finds the refund, among refunds, to which a notification was
// applied that tells n's event under another notificationid (sameRefundEvent),
// and that notification's id: n is that event sent again under a new
// notificationid, not one of another refund of its amount (pickRefund would take
// it for the next one waiting). nil when there is none.
func copiedRefund(tx *gorm.DB, n *trustly.Notification, refunds []models.Order) (*models.Order, string, error) {
	ids := make([]int64, len(refunds))
	for i, r := range refunds {
		ids[i] = r.ID
	}
	var rows []models.Notification
	if err := tx.Select("notification_id", "order_id", "raw").Where("order_id IN ? AND method = ?", ids, n.Method).Order("id").Find(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("notifications of %d refunds: %w", len(ids), err)
	}
	for _, row := range rows {
		if row.OrderID == nil || !sameRefundEvent(n, []byte(row.Raw)) {
			continue
		}
		for i := range refunds {
			if refunds[i].ID == *row.OrderID {
				return &refunds[i], row.NotificationID, nil
			}
		}
	}
	return nil, "", nil
}

// sameRefundEvent reports whether stored, a notification applied to a refund,
// tells the event n tells: the same method, orderid, messageid and enduserid, the
// same amount in the same currency, and the same instant in Trustly's timestamp,
// which a new event has of its own, to the microsecond. How the copy is written
// does not count, as it did when the data had to be the same key for key and
// value for value but the notificationid, and a copy written otherwise was
// applied to the next refund of its amount, a credit putting that refund's money
// back in the wallet while the payer had it: an amount as a JSON number signs as the
// same text, attributes {} and missing say the same (API.md §5.1), and a
// timestamp in another offset is the same moment.
func sameRefundEvent(n *trustly.Notification, stored []byte) bool {
	s, err := trustly.DecodeNotification(stored) // verified when it came
	if err != nil || s.Method != n.Method || s.OrderID() != n.OrderID() || s.MessageID() != n.MessageID() ||
		s.EndUserID() != n.EndUserID() {
		return false
	}
	amount, currency, ts, ok := refundEvent(n)
	sAmount, sCurrency, sTS, sOK := refundEvent(s)
	if !ok || !sOK || currency != sCurrency {
		return false
	}
	m, err1 := models.ParseDecimal(amount, currency)
	sm, err2 := models.ParseDecimal(sAmount, sCurrency)
	at, err3 := trustly.ParseTimestamp(ts)
	sAt, err4 := trustly.ParseTimestamp(sTS)
	return errors.Join(err1, err2, err3, err4) == nil && m == sm && at.Equal(sAt)
}

// refundEvent is the amount, currency and timestamp of a payoutconfirmation,
// payoutfailed or credit; ok is false for a notification of another kind.
func refundEvent(n *trustly.Notification) (amount, currency, timestamp string, ok bool) {
	switch d := n.Data.(type) {
	case *trustly.PayoutData:
		return d.Amount, d.Currency, d.Timestamp, true
	case *trustly.TransferData:
		return d.Amount, d.Currency, d.Timestamp, true
	}
	return "", "", "", false
}

// depositsOwnCredit reports whether credit d, under deposit's orderid, is the
// deposit's own rather than one of its refunds coming back: Trustly timestamped it
// no later than the deposit's first credit notification (the one booked, or
// held), such as that very credit sent again under a new notificationid.
// A refund is made only once that credit is in, so its credit is a later event at
// Trustly, and both timestamps are Trustly's. A credit timestamped later cannot be
// told from a refund coming back: Trustly names only the deposit in both. A
// deposit whose credit notification is not stored, or whose timestamp cannot be
// read, decides nothing here.
func depositsOwnCredit(tx *gorm.DB, deposit *models.Order, d *trustly.TransferData) (bool, error) {
	var row models.Notification
	// The oldest: d's own row, stored before it is applied, comes after it.
	if err := tx.Where("order_id = ? AND method = ?", deposit.ID, trustly.MethodCredit).Order("id").Limit(1).Find(&row).Error; err != nil {
		return false, fmt.Errorf("credit of deposit %d: %w", deposit.ID, err)
	}
	if row.ID == 0 {
		return false, nil
	}
	booked, err := trustly.DecodeNotification([]byte(row.Raw)) // verified when it came
	if err != nil {
		return false, nil
	}
	own, ok := booked.Data.(*trustly.TransferData)
	if !ok {
		return false, nil
	}
	at, err1 := trustly.ParseTimestamp(own.Timestamp)
	came, err2 := trustly.ParseTimestamp(d.Timestamp)
	return err1 == nil && err2 == nil && !came.After(at), nil
}

// pickRefund finds the refund a notification (method, amount, currency) under the
// deposit's orderid is about, among refunds, oldest first; nil when none fits.
// Trustly names only the deposit, so the refund is the oldest one of that amount
// still waiting for that event that Trustly accepted, or else one whose call is in
// flight, or else the oldest one of that amount still waiting (refunds of one
// amount are alike, and each notification is applied once); then, for payoutconfirmation and payoutfailed,
// the oldest of that amount, and then the one refund still waiting for that
// event, whatever the amount (applyPayout flags it there and applies nothing: a
// Refund is carried out for the amount it asked). A credit must
// match a refund's amount. A released refund was never sent and fits nothing.
func pickRefund(refunds []models.Order, method, amount, currency string) *models.Order {
	m, err := models.ParseDecimal(amount, currency)
	same := func(o *models.Order) bool { return err == nil && o.Amount == m }
	waiting := func(o *models.Order) bool {
		switch method {
		case trustly.MethodPayoutConfirmation:
			return o.ConfirmedAt == nil && o.PayoutFailedAt == nil && o.CreditedAt == nil
		case trustly.MethodPayoutFailed:
			return o.PayoutFailedAt == nil && o.CreditedAt == nil
		}
		return o.CreditedAt == nil
	}
	passes := []func(o *models.Order) bool{
		// Trustly's notification is of a refund it has: one it accepted first, before
		// one whose call may never have reached it (its own notification, or
		// checkRefunds, settles that one).
		func(o *models.Order) bool { return same(o) && waiting(o) && o.SentAt != nil },
		// Then one whose call is still in flight (no outcome recorded yet): its
		// notification can overtake its answer, which then books it as sent too. An
		// older one whose outcome is unknown may never have reached Trustly, and
		// both would be booked as sent for one refund Trustly carried out.
		func(o *models.Order) bool { return same(o) && waiting(o) && o.OutcomeUnknownAt == nil },
		func(o *models.Order) bool { return same(o) && waiting(o) },
	}
	if method != trustly.MethodCredit {
		passes = append(passes, same)
	}
	for _, pass := range passes {
		for i := range refunds {
			if o := &refunds[i]; o.ReleasedAt == nil && pass(o) {
				return o
			}
		}
	}
	if method == trustly.MethodCredit {
		// A credit of another amount may as well be the deposit's own second credit:
		// it is not taken as a refund coming back.
		return nil
	}
	var only *models.Order
	for i := range refunds {
		if o := &refunds[i]; o.ReleasedAt == nil && waiting(o) {
			if only != nil {
				return nil
			}
			only = o
		}
	}
	return only
}

// notedAfterRelease records a payoutconfirmation or payoutfailed for refund, whose
// money was released: Trustly had a refund we took as refused (a signed refusal,
// or absent from GetWithdrawals a day after its call). Confirmed, the payer has
// the money back and the wallet has it too; failed by the bank, the money comes
// back to Trustly with a credit that books nothing (the deposit's second credit),
// and the wallet has it already. Nothing can be booked, as the reservation is
// gone, and the refund stays as it was: it is flagged for staff, saying which
// came, and the notification is linked to it. A payoutfailed was taken for the one
// refund still waiting, of another amount, and flagged there.
func (s *Service) notedAfterRelease(tx *gorm.DB, n *trustly.Notification, refund *models.Order, amount, currency string, log *slog.Logger) error {
	before := *refund
	what := "Trustly carried it out, so the payer has the money back and the balance has it too; check it with Trustly and settle it with the player"
	if n.Method == trustly.MethodPayoutFailed {
		what = "Trustly had it after all and the bank failed it, so its money goes back to Trustly while the balance has it already; check it with Trustly"
	}
	refund.AddFlag(models.FlagKindAfterRelease, fmt.Sprintf("%s for %s %s came after this refund was released: %s", n.Method, amount, currency, what))
	refund.Refresh()
	if err := saveChanges(tx, &before, refund); err != nil {
		return fmt.Errorf("save refund %d: %w", refund.ID, err)
	}
	if err := tx.Model(&models.Notification{}).Where("notification_id = ?", n.ID()).Update("order_id", refund.ID).Error; err != nil {
		return fmt.Errorf("link notification to refund %d: %w", refund.ID, err)
	}
	log.Error("alert: payoutconfirmation or payoutfailed for a refund whose money was released; not booked",
		"refund_id", refund.ID, "amount", amount, "currency", currency)
	return nil
}

// sameAmount reports whether a notification's amount in currency is o's amount.
func sameAmount(o *models.Order, amount, currency string) bool {
	m, err := models.ParseDecimal(amount, currency)
	return err == nil && o.Amount == m
}

// releasedRefund is the newest of refunds of amount in currency whose money was
// released (never booked as sent), which a late payoutconfirmation proves Trustly
// carried out after all; nil when there is none.
func releasedRefund(refunds []models.Order, amount, currency string) *models.Order {
	m, err := models.ParseDecimal(amount, currency)
	if err != nil {
		return nil
	}
	for i := len(refunds) - 1; i >= 0; i-- {
		if o := &refunds[i]; o.ReleasedAt != nil && o.SentAt == nil && o.Amount == m {
			return o
		}
	}
	return nil
}

// refundErr names an unknown deposit ErrOrderNotFound and passes Problems and
// staff.ErrNotAllowed through.
func refundErr(action string, id int64, err error) error {
	var problem *models.Problem
	switch {
	case errors.As(err, &problem):
		return problem
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%s %d: %w", action, id, ErrOrderNotFound)
	}
	return fmt.Errorf("%s %d: %w", action, id, err)
}

func (s *Service) refundLog(o models.Order) *slog.Logger {
	return s.log.With("order_id", o.ID, "message_id", o.MessageID, "player_id", o.PlayerID, "deposit_id", o.ParentID)
}
