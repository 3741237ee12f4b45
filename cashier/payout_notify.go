package cashier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// The notification path of payouts: what Trustly's side says happened to a payout,
// in its notifications and, for a payout whose resend was answered 637, in its
// ledger; and the three transfers that move a reservation's money, each booked at
// most once whatever arrives, in any order.

// applyPayout applies a notification to a payout order (API.md §5.3, §6.3):
// every one of them proves Trustly has the payout, so a payout still reserved is
// booked as sent first, unless it was never sent (neverSent) or Trustly refused
// its one call (refusedCall): then none is applied, only flagged; a
// payoutconfirmation for a payout the janitor took as refused takes its money
// back (payoutReclaimed); payoutconfirmation and payoutfailed record what the bank
// said; a credit, or a cancel, returns the money to the wallet. Money goes back to
// the wallet exactly once, whatever arrives, in any order. Neither
// payoutconfirmation nor payoutfailed is final: a credit can follow both.
func (s *Service) applyPayout(ctx context.Context, tx *gorm.DB, n *trustly.Notification, order *models.Order, now time.Time, log *slog.Logger) (trustly.Answer, error) {
	ok := trustly.Answer{Status: trustly.StatusOK}
	switch why, err := notForPayout(tx, n, order); {
	case err != nil:
		return ok, err
	case why != "":
		order.AddFlag(models.FlagKindNotForOrder, why)
		log.Error("alert: payout notification not applied", "why", why)
		return nothingTakenBack(n, ok), nil
	}
	if neverSent(order) {
		// Not sent to Trustly (AccountPayout is called only once staff approve it),
		// so Trustly cannot know its MessageID: whatever the notification says, staff
		// decide the payout, and its money stays reserved meanwhile. Once denied, or
		// cancelled by the player, it was never sent either: the notification does
		// not make it read failed, mark its bank account or give it an orderid.
		when := "while it waited for approval"
		switch {
		case order.DeniedAt != nil:
			when = "after staff denied it and its reservation was released"
		case order.ReleasedAt != nil:
			when = "after the player cancelled it and its reservation was released"
		}
		order.AddFlag(models.FlagKindBeforeSent, fmt.Sprintf("a %s notification came for this payout %s, before it was sent to Trustly: not applied, check it with Trustly",
			n.Method, when))
		log.Error("alert: notification for a payout never sent; not applied", "status", order.Status)
		return nothingTakenBack(n, ok), nil
	}
	if refusedCall(order) {
		// Trustly refused the one AccountPayout call in a signed answer (or our
		// client never sent it), so Trustly has no payout under this MessageID and
		// its reservation went back to the wallet. A notification naming it is not
		// the bank's word on it: it confirms, fails, books and learns nothing, so no
		// payoutfailed marks the player's bank account, and staff ask Trustly.
		order.AddFlag(models.FlagKindAfterRelease, fmt.Sprintf("a %s notification came for this payout after Trustly refused its AccountPayout call (%s) and its reservation was released: Trustly had no such payout, so it is not applied to the payout nor to its bank account, check it with Trustly",
			n.Method, truncate(order.Reason, 200)))
		log.Error("alert: notification for a payout whose AccountPayout call Trustly refused; not applied", "status", order.Status, "reason", order.Reason)
		return nothingTakenBack(n, ok), nil
	}
	switch d := n.Data.(type) {
	case *trustly.PayoutData:
		if otherPayoutAmount(d, order) {
			// Trustly pays what AccountPayout or Refund asked, in its currency: a
			// payoutconfirmation or payoutfailed of another amount or currency is not
			// this payout's or refund's word, as a deposit's credit in another
			// currency is not its credit (notForDeposit). It confirms, fails and books
			// nothing, so the order keeps its state (a refund whose call had no known
			// outcome stays reserved), and a genuine one after it applies.
			why := fmt.Sprintf("%s of %.32s %.8s for a %s of %s %s: not applied", n.Method, d.Amount, d.Currency, order.Kind, order.Amount, order.Amount.Currency)
			order.AddFlag(models.FlagKindNotForOrder, why)
			log.Error("alert: payout notification of another amount or currency; not applied", "amount", d.Amount, "currency", d.Currency)
			return ok, nil
		}
		if n.Method == trustly.MethodPayoutConfirmation && settledAsRefused(order) && order.CreditedAt == nil && order.PayoutFailedAt == nil {
			// The janitor took the payout as refused and gave its money back
			// (settlePayout); the bank says it paid. See payoutReclaimed.
			if err := s.payoutReclaimed(ctx, tx, order, now, log); err != nil {
				return ok, err
			}
		}
		if err := s.payoutSent(ctx, tx, order, now, log); err != nil {
			return ok, err
		}
		if n.Method == trustly.MethodPayoutConfirmation {
			if order.ConfirmedAt == nil && order.CancelledAt != nil && order.ReturnedAt != nil && order.CreditedAt == nil {
				// A cancel came first and gave the money back; the bank says it paid.
				// Its confirmation stands as it does when it comes first (only a credit
				// undoes it), so the money the cancel returned is taken back.
				if err := s.payoutRetaken(ctx, tx, order, now, log); err != nil {
					return ok, err
				}
			}
			setOnce(&order.ConfirmedAt, now)
			confirmedAndCancelled(order, models.FlagKindPaidAfterCancel, log)
			return ok, nil
		}
		setOnce(&order.PayoutFailedAt, now)
		if order.Reason == "" {
			order.Reason = truncate(fmt.Sprintf("payoutfailed %s: %s", d.ErrorCode, d.ErrorMessage), 500)
		}
		if err := markPayoutFailure(ctx, tx, order, d.ErrorCode); err != nil {
			return ok, err
		}
		log.Warn("payout failed at the bank; the money returns with Trustly's credit", "error_code", d.ErrorCode, "error_message", d.ErrorMessage)
		return ok, nil
	case *trustly.TransferData:
		if n.Method == trustly.MethodCredit {
			return ok, s.creditPayout(ctx, tx, d, order, now, log)
		}
	case *trustly.CancelData:
		// Whether Trustly cancels payouts is unknown (API.md §13): treat it as a
		// failure that gives the money back, unless it is back already. Like any
		// notification it proves Trustly had the payout, so the money goes back the
		// way it went, send then return, whichever of cancel, credit and the API
		// result comes first. After the bank confirmed the payout, though, a cancel
		// does not say the money came back (a credit would, API.md §5.2): it is
		// recorded and flagged, and nothing is returned, as when the confirmation
		// comes after it (payoutRetaken).
		setOnce(&order.CancelledAt, now)
		if order.ConfirmedAt != nil {
			confirmedAndCancelled(order, models.FlagKindCancelAfterConfirmed, log)
			return ok, nil
		}
		if err := s.payoutSent(ctx, tx, order, now, log); err != nil {
			return ok, err
		}
		return ok, s.payoutReturned(ctx, tx, order, order.Amount, now, log)
	}
	order.AddFlag(models.FlagKindUnexpected, fmt.Sprintf("unexpected %s notification for a payout order", n.Method))
	log.Warn("unexpected notification for a payout; stored, nothing booked")
	return nothingTakenBack(n, ok), nil
}

// neverSent reports whether payout order was never sent to Trustly: it needed
// approval and no approval let it go (it waits, with none or the first of two,
// or staff denied it, or the player cancelled it while it waited). AccountPayout
// is called only once it is approved (ApprovePayout).
func neverSent(order *models.Order) bool {
	return order.Kind == models.OrderPayout && order.NeedsApproval && order.ApprovedAt == nil
}

// refusedCall reports whether payout order is one whose only AccountPayout call
// Trustly refused in a signed answer (an error, or result "0"), or that our
// client refused to send, and whose reservation was released (sendPayout). That
// is the one way a payout fails (FailedAt) without being checked first
// (CheckingAt): a resend refused, or answered 637, leaves it checking, since an
// earlier call may have reached Trustly, and the janitor's refusal of a checking
// payout is settledAsRefused.
func refusedCall(order *models.Order) bool {
	return order.FailedAt != nil && order.CheckingAt == nil
}

// settledAsRefused reports whether payout order is one the janitor took as
// refused (settlePayout): checking, its call's outcome unknown to us, and
// released, since Trustly's AccountLedger showed no row for its MessageID a day
// after its last call.
func settledAsRefused(order *models.Order) bool {
	return order.CheckingAt != nil && order.ReleasedAt != nil
}

// otherPayoutAmount reports whether a payoutconfirmation or payoutfailed names
// another amount or currency than order's (or one that cannot be read).
func otherPayoutAmount(d *trustly.PayoutData, order *models.Order) bool {
	amount, err := models.ParseDecimal(d.Amount, d.Currency)
	return err != nil || amount != order.Amount
}

// notForPayout says why notification n cannot be applied to payout order, or ""
// when it can: it must name as enduserid the player AccountPayout named
// (sendPayout), since a credit or a cancel puts money into that player's wallet,
// as a deposit's credit or debit must name its player (notForDeposit). A refund's
// notifications come under its deposit's orderid and name the deposit's
// enduserid, what its Deposit sent.
func notForPayout(tx *gorm.DB, n *trustly.Notification, order *models.Order) (string, error) {
	var got string
	switch d := n.Data.(type) {
	case *trustly.PayoutData:
		got = d.EndUserID
	case *trustly.TransferData:
		got = d.EndUserID
	case *trustly.CancelData:
		got = d.EndUserID
	default:
		return "", nil
	}
	if order.Kind == models.OrderRefund {
		var deposit models.Order
		if err := tx.Select("id", "player_id", "end_user_id").Where("id = ?", order.ParentID).Take(&deposit).Error; err != nil {
			return "", fmt.Errorf("read deposit %d of refund %d: %w", order.ParentID, order.ID, err)
		}
		if why, err := otherEndUser(tx, n.Method, got, &deposit); err != nil || why == "" {
			return "", err
		}
		return fmt.Sprintf("%s names enduserid %.64q, not the refunded deposit's player: not applied", n.Method, got), nil
	}
	var player models.Player
	if err := tx.Select("id", "end_user_id").Where("id = ?", order.PlayerID).Take(&player).Error; err != nil {
		return "", fmt.Errorf("read player %d: %w", order.PlayerID, err)
	}
	if got != player.EndUserID {
		return fmt.Sprintf("%s names enduserid %.64q, not the payout's player: not applied", n.Method, got), nil
	}
	return "", nil
}

// nothingTakenBack is the answer to a notification that booked nothing: a debit
// asks us to take money back from the player, and OK would tell Trustly we did,
// so it is answered FAILED (API.md §5.3); anything else keeps ok.
func nothingTakenBack(n *trustly.Notification, ok trustly.Answer) trustly.Answer {
	if n.Method == trustly.MethodDebit {
		return trustly.Answer{Status: trustly.StatusFailed}
	}
	return ok
}

// markPayoutFailure marks the bank account a payout went to as not usable for
// payouts, with the bank's error code ("failed" when it gave none), so that the
// player is not offered it again. A refund has no account of ours.
//
// It leaves updated_at alone: that is when a deposit last came from the account
// (saveAccount), by which a pure Pay N Play market's payouts pick the account last
// deposited from (depositAccount). A failure that came after the player deposited
// from another account made the failed one the "last" again, and the withdrawal
// refused them.
func markPayoutFailure(ctx context.Context, tx *gorm.DB, order *models.Order, code string) error {
	if order.BankAccountID == 0 {
		return nil
	}
	if code = truncate(code, 64); code == "" {
		code = "failed"
	}
	err := tx.WithContext(ctx).Model(&models.BankAccount{}).Where("id = ?", order.BankAccountID).
		UpdateColumn("payout_failure", code).Error
	if err != nil {
		return fmt.Errorf("mark bank account %d: payout failed: %w", order.BankAccountID, err)
	}
	return nil
}

// PayoutFailureCode is the bank's error code of a payout's payoutfailed
// ("incorrect_account_number"), or "" when none came or it named no code.
func PayoutFailureCode(order models.Order) string {
	if order.PayoutFailedAt == nil {
		return ""
	}
	rest, ok := strings.CutPrefix(order.Reason, "payoutfailed ")
	if !ok {
		return ""
	}
	code, _, _ := strings.Cut(rest, ":")
	return code
}

// creditPayout books the credit that returns a payout's money: clearing → wallet,
// as much as Trustly says but never more than the payout (another amount is
// flagged). A credit for a payout still reserved proves it was sent, so the send
// is booked first. A second credit with another notificationid is flagged and not
// booked; one in another currency is flagged and not booked, for staff to settle,
// and is not the payout's credit: a genuine one after it is booked.
func (s *Service) creditPayout(ctx context.Context, tx *gorm.DB, d *trustly.TransferData, order *models.Order, now time.Time, log *slog.Logger) error {
	if order.CreditedAt != nil {
		order.AddFlag(models.FlagKindRepeated, "more than one credit notification: only the first was booked")
		log.Error("alert: second credit for a payout; not booked", "amount", d.Amount, "currency", d.Currency)
		return nil
	}
	amount, err := transferAmount("credit", d)
	if err != nil {
		return err
	}
	if amount.Currency != order.Amount.Currency {
		// Not this payout's money coming back: it does not count as its credit (no
		// CreditedAt), so the payout keeps its state and a genuine credit is booked.
		order.AddFlag(models.FlagKindNotForOrder, fmt.Sprintf("credit in %s for a payout in %s: not booked", amount.Currency, order.Amount.Currency))
		log.Error("alert: payout credit in another currency; not booked", "amount", d.Amount, "currency", d.Currency)
		return nil
	}
	setOnce(&order.CreditedAt, now)
	switch {
	case amount.Minor > order.Amount.Minor:
		// More than we sent cannot be ours: the wallet gets back what left it, and
		// staff settle the rest with Trustly.
		order.AddFlag(models.FlagKindAmountDiffers, fmt.Sprintf("credit of %s %s is more than the payout's %s: booked %[3]s", amount, amount.Currency, order.Amount))
		log.Error("alert: payout credit larger than the payout; only the payout's amount booked", "amount", d.Amount, "currency", d.Currency)
		amount = order.Amount
	case amount != order.Amount:
		order.AddFlag(models.FlagKindAmountDiffers, fmt.Sprintf("credit of %s differs from the payout's %s: booked as credited", amount, order.Amount))
	}
	if err := s.payoutSent(ctx, tx, order, now, log); err != nil {
		return err
	}
	back := order.ReturnedAt == nil
	if err := s.payoutReturned(ctx, tx, order, amount, now, log); err != nil {
		return err
	}
	if back && order.ReturnedAt != nil {
		// What the credit gave back, which the approval window does not count
		// (payoutsSince); a return a cancel booked first gave back the amount.
		order.CreditedMinor = amount.Minor
	}
	log.Warn("payout returned by the bank; money back in the wallet", "amount", amount.String())
	return nil
}

// payoutSent books "payout:<ID>:send" (reserved → clearing) once, when Trustly
// accepted the payout or a notification shows it has it. If the reservation was
// already released, Trustly contradicts what we booked: that is flagged for staff,
// and nothing is booked.
func (s *Service) payoutSent(ctx context.Context, tx *gorm.DB, o *models.Order, now time.Time, log *slog.Logger) error {
	switch {
	case o.SentAt != nil:
		return nil
	case o.ReleasedAt != nil:
		o.AddFlag(models.FlagKindAfterRelease, "Trustly has this payout although its reservation was released: check it with Trustly")
		log.Error("alert: Trustly has a payout whose reservation was released")
		return nil
	case o.ReturnsHeld:
		setOnce(&o.SentAt, now) // held money was in no wallet: nothing to book
		return nil
	}
	t := models.Move(o.Reference("send"), memo(o, "Payout via Trustly", "Refund via Trustly"), models.PlayerReserved(o.PlayerID), models.TrustlyClearing, o.Amount)
	if _, err := ledger.New(tx).Post(ctx, t); err != nil {
		return err
	}
	setOnce(&o.SentAt, now)
	return nil
}

// flagConfirmedAndCancelled is the flag of a payout or refund that both a
// payoutconfirmation and a cancel came for, in either order.
const flagConfirmedAndCancelled = "payoutconfirmation and cancel both came: the bank's confirmation stands and nothing is returned without a credit (money a cancel returned first was taken back, below zero if need be); ask Trustly whether the payout was executed"

// confirmedAndCancelled flags order (kind saying which came last) once both a
// payoutconfirmation and a cancel came for it: the same flag in either order.
func confirmedAndCancelled(order *models.Order, kind models.FlagKind, log *slog.Logger) {
	if order.ConfirmedAt == nil || order.CancelledAt == nil {
		return
	}
	order.AddFlag(kind, flagConfirmedAndCancelled)
	log.Error("alert: payoutconfirmation and cancel both came for a payout; the confirmation stands", "returned", order.ReturnedAt != nil)
}

// payoutRetaken books "payout:<ID>:retake" (wallet → clearing) once, for a payout
// whose money a cancel returned before the bank's payoutconfirmation came: the
// confirmation stands (only a credit undoes it, API.md §5.2), so the money goes
// back to Trustly's clearing, where it would be had the confirmation come first,
// even below zero, as a deposit's debit takes its money back (which then blocks
// the player's payouts). The order reads as not returned again; a credit after it
// returns the money once more (payoutReturned).
func (s *Service) payoutRetaken(ctx context.Context, tx *gorm.DB, o *models.Order, now time.Time, log *slog.Logger) error {
	if o.ReturnedAt == nil {
		return nil
	}
	if !o.ReturnsHeld { // held money was in no wallet: nothing to book
		t := models.Move(o.Reference("retake"), memo(o, "Payout paid by the bank after all: taken back from your balance", "Refund paid by the bank after all: taken back from your balance"),
			models.PlayerWallet(o.PlayerID), models.TrustlyClearing, o.Amount)
		t.AllowOverdraft = true
		if _, err := ledger.New(tx).Post(ctx, t); err != nil {
			return err
		}
	}
	o.ReturnedAt = nil
	log.Error("alert: payoutconfirmation after a cancel returned the money; taken back from the wallet", "amount", o.Amount.String(), "at", now)
	return nil
}

// payoutReclaimed books "payout:<ID>:retake" (wallet → clearing) once, for a
// payout the janitor took as refused and released (settledAsRefused) whose bank
// payoutconfirmation then came, no credit or payoutfailed before it. The
// janitor's conclusion is our inference from a row missing in Trustly's
// AccountLedger (PayoutRefusedAfter; the ledger lists only settled
// transactions, API.md §4.7); the confirmation is Trustly's own word, signed,
// about this MessageID, player, amount and currency, and Trustly sends none for a
// payout it refused (API.md §6.1, where it settles a payout whose resend got
// 637). It is as strong as the confirmation payoutRetaken lets stand after a
// cancel, so it stands here too: the money the release gave back goes to
// Trustly's clearing, as if the payout had been booked as sent, even below zero
// (which then blocks the player's payouts, and names this payout as the cause),
// and the payout reads sent, no longer released or failed, flagged for staff. A
// credit after it returns the money once more ("return-again", payoutReturned).
func (s *Service) payoutReclaimed(ctx context.Context, tx *gorm.DB, o *models.Order, now time.Time, log *slog.Logger) error {
	t := models.Move(o.Reference("retake"), memo(o, "Payout paid by the bank after all: taken back from your balance", "Refund paid by the bank after all: taken back from your balance"),
		models.PlayerWallet(o.PlayerID), models.TrustlyClearing, o.Amount)
	t.AllowOverdraft = true
	if _, err := ledger.New(tx).Post(ctx, t); err != nil {
		return err
	}
	o.AddFlag(models.FlagKindAfterRelease, fmt.Sprintf("the bank's payoutconfirmation came after the janitor took this payout as refused and gave its money back (%s): the confirmation stands, so the money was taken back from the balance, below zero if need be, and a credit would return it, check it with Trustly",
		truncate(o.Reason, 300)))
	log.Error("alert: payoutconfirmation for a payout the janitor took as refused; its money taken back from the wallet", "amount", o.Amount.String(), "reason", o.Reason)
	o.ReleasedAt, o.FailedAt, o.Reason = nil, nil, ""
	setOnce(&o.SentAt, now)
	return nil
}

// payoutReleased books "payout:<ID>:release" (reserved → wallet) once, for a payout
// that was never sent. Money that already left the reservation stays where it is.
func (s *Service) payoutReleased(ctx context.Context, tx *gorm.DB, o *models.Order, now time.Time) error {
	switch {
	case o.SentAt != nil || o.ReleasedAt != nil:
		return nil
	case o.ReturnsHeld:
		setOnce(&o.ReleasedAt, now) // not sent: the money is still held, nothing to book
		return nil
	}
	t := models.Move(o.Reference("release"), memo(o, "Payout not sent: back to your balance", "Refund not sent: back to your balance"), models.PlayerReserved(o.PlayerID), models.PlayerWallet(o.PlayerID), o.Amount)
	if _, err := ledger.New(tx).Post(ctx, t); err != nil {
		return err
	}
	setOnce(&o.ReleasedAt, now)
	return nil
}

// payoutReturned books "payout:<ID>:return" (clearing → wallet) once, for a payout
// that was sent. Money released before sending is not returned again (flagged).
func (s *Service) payoutReturned(ctx context.Context, tx *gorm.DB, o *models.Order, amount models.Money, now time.Time, log *slog.Logger) error {
	switch {
	case o.ReturnedAt != nil:
		return nil
	case o.SentAt == nil:
		o.AddFlag(models.FlagKindAfterRelease, "Trustly returned a payout whose reservation was released: not booked again")
		log.Error("alert: return for a payout that was never booked as sent; not booked")
		return nil
	case o.ReturnsHeld:
		setOnce(&o.ReturnedAt, now) // back at Trustly, held again: nothing to book
		return nil
	}
	// A return taken back (payoutRetaken) was booked as "return": the credit
	// after it is booked as "return-again", once.
	ref := o.Reference("return")
	var retaken int64
	if err := tx.WithContext(ctx).Model(&models.Transfer{}).Where("reference = ?", o.Reference("retake")).Count(&retaken).Error; err != nil {
		return fmt.Errorf("read retake of order %d: %w", o.ID, err)
	}
	if retaken > 0 {
		ref = o.Reference("return-again")
	}
	t := models.Move(ref, memo(o, "Payout returned by the bank", "Refund returned by the bank"), models.TrustlyClearing, models.PlayerWallet(o.PlayerID), amount)
	if _, err := ledger.New(tx).Post(ctx, t); err != nil {
		return err
	}
	setOnce(&o.ReturnedAt, now)
	return nil
}

// memo is the words a payout's transfer shows, or a refund's: both move money
// through the same reservation.
func memo(o *models.Order, payout, refund string) string {
	if o.Kind == models.OrderRefund {
		return refund
	}
	return payout
}

const (
	// ledgerCheckEvery is how often Trustly's AccountLedger is searched for one
	// checking payout. Trustly names no limit for AccountLedger; this is the limit
	// it sets for GetWithdrawals and Balance (API.md §4.6, §4.8), and one call per
	// currency serves every payout due.
	ledgerCheckEvery = 15 * time.Minute
	// PayoutRefusedAfter is how long after a checking payout's last AccountPayout
	// call its absence from Trustly's AccountLedger counts as Trustly's refusal.
	// Trustly extends no credit (API.md §4.2): a payout it accepts is debited from
	// our Trustly balance at once, so a ledger searched a day later without a row
	// for its MessageID, and no notification, means Trustly refused it (ours).
	PayoutRefusedAfter = 24 * time.Hour
)

// firstCall is the earliest moment Trustly may have executed payout o: its first
// AccountPayout call, which came after its approval when it needed one. A payout
// that waited weeks for a member's approval is searched for from then, not from
// its creation: a ledger of weeks is large, and an answer too large to read
// would leave the payout checking for good.
func firstCall(o models.Order) time.Time {
	if o.ApprovedAt != nil && o.ApprovedAt.After(o.CreatedAt) {
		return *o.ApprovedAt
	}
	return o.CreatedAt
}

// settlePayouts asks Trustly's AccountLedger about the payouts whose resend was
// answered 637 or refused (CheckingAt), so that an earlier call may have reached
// Trustly. AccountLedger is the one place besides notifications
// where a payout can be found by our MessageID (API.md §4.7); GetWithdrawals needs
// Trustly's orderid, which a 637 does not give. Each payout is checked at most once
// per ledgerCheckEvery, claimed by a conditional UPDATE so that instances running
// together ask once, with one AccountLedger call per currency from the day before
// the earliest first call of the payouts due (firstCall) to two days after now.
//
// A row for the payout's MessageID proves Trustly executed it: the send is booked
// and Trustly's orderid kept, and notifications do the rest. No row, in a ledger
// asked PayoutRefusedAfter or more after the payout's last AccountPayout call, is
// taken as Trustly's refusal: the reservation is released and the payout fails.
// Anything else, including a ledger that cannot be read, leaves it checking.
func (s *Service) settlePayouts(ctx context.Context) error {
	var orders []models.Order
	err := s.db.WithContext(ctx).Where("kind = ? AND checking_at IS NOT NULL AND sent_at IS NULL AND released_at IS NULL", models.OrderPayout).
		Order("id").Find(&orders).Error
	if err != nil {
		return fmt.Errorf("settle payouts: %w", err)
	}
	now := s.now().UTC()
	var errs []error
	due := map[string][]models.Order{} // per currency
	for _, order := range orders {
		if order.LedgerCheckedAt != nil && now.Sub(*order.LedgerCheckedAt) < ledgerCheckEvery {
			continue
		}
		res := s.db.WithContext(ctx).Model(&models.Order{}).Where("id = ? AND ledger_checks = ?", order.ID, order.LedgerChecks).
			Updates(map[string]any{"ledger_checks": order.LedgerChecks + 1, "ledger_checked_at": now})
		if res.Error != nil {
			errs = append(errs, fmt.Errorf("settle payout %d: %w", order.ID, res.Error))
			continue
		}
		if res.RowsAffected == 1 {
			due[order.Amount.Currency] = append(due[order.Amount.Currency], order)
		}
	}
	for currency, orders := range due {
		from := firstCall(orders[0])
		for _, o := range orders {
			if t := firstCall(o); t.Before(from) {
				from = t
			}
		}
		rows, err := recorded(ctx, s, aboutOrders(orders), s.trustly.AccountLedger, trustly.AccountLedgerParams{Currency: currency,
			FromDate: from.AddDate(0, 0, -1).Format(time.DateOnly), ToDate: now.AddDate(0, 0, 2).Format(time.DateOnly)})
		if err != nil {
			s.log.Warn("AccountLedger failed; checking payouts stay reserved", "currency", currency, "order_ids", aboutOrders(orders).OrderIDs, "err", err)
			continue
		}
		for _, order := range orders {
			var found []trustly.LedgerEntry
			for _, r := range rows {
				if r.MessageID == order.MessageID {
					found = append(found, r)
				}
			}
			if err := s.settlePayout(ctx, order, found, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// settlePayout applies one AccountLedger check, asked at checkedAt, to a checking
// payout: entries are the ledger's rows for its MessageID.
func (s *Service) settlePayout(ctx context.Context, order models.Order, entries []trustly.LedgerEntry, checkedAt time.Time) error {
	log := s.payoutLog(order)
	settled, err := s.changePayout(ctx, order.ID, func(tx *gorm.DB, o *models.Order, now time.Time) error {
		lastCall := o.CheckingAt
		if o.AttemptedAt != nil && o.AttemptedAt.After(*lastCall) {
			lastCall = o.AttemptedAt
		}
		switch {
		case o.SentAt != nil || o.ReleasedAt != nil:
			return nil // a notification settled it meanwhile
		case len(entries) > 0:
			if o.TrustlyOrderID == "" && digits(entries[0].OrderID) {
				o.TrustlyOrderID = entries[0].OrderID
			}
			return s.payoutSent(ctx, tx, o, now, log)
		case checkedAt.Sub(*lastCall) < PayoutRefusedAfter:
			return nil
		}
		setOnce(&o.FailedAt, now)
		if o.Reason == "" {
			o.Reason = fmt.Sprintf("AccountPayout resend answered 637 or refused, and Trustly's AccountLedger shows no payout for MessageID %s %s after the last call: refused",
				o.MessageID, PayoutRefusedAfter)
		}
		return s.payoutReleased(ctx, tx, o, now)
	})
	if err != nil {
		return fmt.Errorf("settle payout %d: %w", order.ID, err)
	}
	switch {
	case len(entries) > 0:
		log.Warn("checking payout found in Trustly's ledger: booked as sent", "trustly_order_id", settled.TrustlyOrderID, "status", settled.Status)
	case settled.ReleasedAt != nil && settled.FailedAt != nil:
		log.Warn("checking payout not in Trustly's ledger a day after its last call: refused, reservation released", "status", settled.Status)
	default:
		log.Info("checking payout not in Trustly's ledger yet; still reserved", "status", settled.Status, "checks", settled.LedgerChecks)
	}
	return nil
}

// digits reports whether s is a non-empty string of ASCII digits, the shape of
// Trustly's ids.
func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
