package cashier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/internal/failpoint"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Payouts: money from the player's wallet to one of their saved bank accounts with
// Trustly's AccountPayout (API.md §4.2, §5.3, §6.1).
//
// The ledger follows the money, one transfer per event, each reference at most once:
//
//	payout:<ID>:reserve  wallet   → reserved  in the transaction that creates the order
//	payout:<ID>:send     reserved → clearing  Trustly accepted it, or later evidence shows it was sent
//	payout:<ID>:release  reserved → wallet    not sent: refused, denied, cancelled before sending
//	payout:<ID>:return   clearing → wallet    sent, then given back (a credit, or a cancel)
//
// The reservation is guarded like every player account, so concurrent requests can
// never reserve more than the wallet holds. After the reservation the money leaves
// it exactly once, by send or by release, and only sent money can return; the
// order's SentAt, ReleasedAt and ReturnedAt are set in the transaction that books
// each transfer, under the order's row lock, so replays and any arrival order of
// API results and notifications end with the money in one place.
//
// AccountPayout is called after the reservation commits and outside any database
// transaction, with the order's MessageID. A timeout, or any answer that is not
// signed by Trustly, leaves the payout "sending" with its reservation held:
// ResumePayouts asks again with the same MessageID. Trustly's 637 (duplicate
// MessageID) then proves only that the first call arrived, not that Trustly paid:
// it keeps the MessageID of a payout it refused as well. Any other refusal of a
// resend says nothing about the earlier call, which Trustly may have paid. Either
// way the payout is "checking", still reserved, until a notification proves
// Trustly has it or Trustly's ledger settles it (settlePayouts). A payout is never
// sent under a new MessageID, so it can never be paid twice, and its money is
// released only on Trustly's word about its first call.

// Sentences shown to players and staff about payouts.
const (
	msgPayoutCurrency   = "Payouts are made in your wallet's currency, %s."
	msgPayoutLimits     = "Choose an amount from %s to %s."
	msgPayoutBalance    = "Your balance is too low for this payout: you can withdraw at most %s."
	msgPayoutAccount    = "Choose one of your saved bank accounts."
	msgPayoutRefused    = "Trustly could not send your payout just now. The money is back in your balance; please try again later."
	msgPayoutBadAccount = "Trustly cannot pay out to this bank account. The money is back in your balance; please choose another account."
	msgPayoutNotWaiting = "This payout is no longer waiting for approval."
	msgPayoutForm       = "This withdrawal form is out of date; open the withdrawal page again."
	msgSecondApprover   = "You have approved this payout already; it needs a second staff member's approval."
	msgApproveBlocked   = "The player has been blocked since asking for this payout, so it cannot be approved. Deny it to give the money back to their balance, or unblock the player first."
	msgApproveAccount   = "The player removed this bank account, or a payout to it failed at the bank, since asking for this payout, so it cannot be approved. Deny it to give the money back to their balance."
)

// Player-facing words for a payout's state (PayoutStateText).
const (
	PayoutTextAwaitingApproval = "Waiting for approval"
	PayoutTextSending          = "Being sent to your bank"
	PayoutTextChecking         = "Being checked with Trustly"
	PayoutTextOnItsWay         = "On its way to your bank"
	PayoutTextPaid             = "Paid out"
	PayoutTextBankFailed       = "Your bank could not receive it — the money will come back to your balance"
	PayoutTextReturned         = "Returned by the bank — the money is back in your balance"
	PayoutTextRefused          = "Not paid: the bank refused it — the money is back in your balance"
	PayoutTextNotSent          = "Not sent — the money is back in your balance"
	PayoutTextDenied           = "Not approved — the money is back in your balance"
	PayoutTextCancelled        = "Cancelled — the money is back in your balance"
)

const (
	// payoutResumeAfter is how long ResumePayouts leaves a payout alone after an
	// AccountPayout attempt started: longer than the client's 30 s timeout, so that
	// it does not ask again while the first call may still be on its way.
	payoutResumeAfter = 2 * time.Minute
)

// TransferCheckEvery is how often Trustly may be asked about one payout's transfer
// state with GetWithdrawals (API.md §4.6); RefreshPayout asks no more often.
const TransferCheckEvery = 15 * time.Minute

// Payout is a payout order with the bank account it goes to (also when that
// account was removed since) and its state in the player's words.
type Payout struct {
	Order   models.Order
	Account models.BankAccount
	State   string // PayoutStateText(Order)
}

// Withdrawable is how much the player may withdraw now: the wallet, which no longer
// holds payouts in flight, and never below zero.
func (s *Service) Withdrawable(ctx context.Context, player models.Player) (models.Money, error) {
	w, err := s.Wallet(ctx, player)
	if err != nil {
		return models.Money{}, fmt.Errorf("withdrawable of player %d: %w", player.ID, err)
	}
	if w.Minor < 0 {
		w.Minor = 0
	}
	return w, nil
}

// RequestPayout pays amount from the player's wallet to one of their saved bank
// accounts. A request that is not allowed fails with a *models.Problem and nothing
// is reserved or sent: an amount outside the limits or in another currency, more
// than the wallet holds, a blocked player (negative wallet), or an account that is
// not the player's or was removed.
//
// The money is reserved in the transaction that creates the order. A payout that,
// with the player's payouts of the PayoutWindow before it, is above
// Limits.ApprovalAbove then waits, reserved, for ApprovePayout or DenyPayout and is
// returned awaiting approval. Any other is sent at once: the order comes back sent,
// or sending when Trustly's answer was lost or not signed (ResumePayouts finishes
// it), or failed with its money released and a *models.Problem saying so (the
// order is returned too) when Trustly refused it in a signed answer. Trustly's
// notifications decide the rest.
func (s *Service) RequestPayout(ctx context.Context, player models.Player, bankAccountID int64, amount models.Money) (models.Order, error) {
	return s.RequestPayoutOnce(ctx, player, "", bankAccountID, amount)
}

// RequestPayoutOnce is RequestPayout for a withdrawal form that carries token, a
// payout MessageID made when the form was shown, which becomes the payout's: the
// same form sent again (a double click, a browser sending it twice) returns the
// payout it made, as it stands, and reserves and sends nothing more. An empty
// token is a new one; a token of another shape, or another order's, fails with a
// *models.Problem.
func (s *Service) RequestPayoutOnce(ctx context.Context, player models.Player, token string, bankAccountID int64, amount models.Money) (models.Order, error) {
	// The token is looked for before the reservation, so that the second of two
	// sendings is not refused for the balance the first reserved (once).
	order, made, err := s.once(ctx, player, payoutForm, token, func(messageID string) (models.Order, error) {
		return s.reservePayout(ctx, player, messageID, bankAccountID, amount)
	})
	if err != nil || !made {
		return order, err
	}
	failpoint.Hit("payout.after_reserve")
	if order.Status == models.OrderAwaitingApproval {
		s.payoutLog(order).Info("payout awaits approval", "amount", order.Amount.String())
		return order, nil
	}
	return s.sendPayout(ctx, order)
}

// reservePayout checks a payout request, creates its order and reserves its money
// in one transaction. The balance check before it gives the player a precise
// answer; the ledger's guarded UPDATE inside it is what keeps concurrent requests
// from overdrawing the wallet.
func (s *Service) reservePayout(ctx context.Context, player models.Player, messageID string, bankAccountID int64, amount models.Money) (models.Order, error) {
	limits := s.cfg.LimitsFor(player.Currency)
	switch {
	case amount.Currency != player.Currency:
		return models.Order{}, models.ProblemT("amount", "problem.payout_currency", fmt.Sprintf(msgPayoutCurrency, player.Currency), "Currency", player.Currency)
	case amount.Minor < limits.MinPayout.Minor || amount.Minor > limits.MaxPayout.Minor:
		return models.Order{}, models.ProblemT("amount", "problem.payout_limits", fmt.Sprintf(msgPayoutLimits, limits.MinPayout.Display(), limits.MaxPayout.Display()), "Min", limits.MinPayout, "Max", limits.MaxPayout)
	}
	if err := s.refuseBlocked(ctx, player); err != nil {
		return models.Order{}, err
	}
	wallet, err := s.Wallet(ctx, player)
	switch {
	case err != nil:
		return models.Order{}, fmt.Errorf("request payout: %w", err)
	case wallet.Minor < 0:
		cause, err := belowZeroCause(ctx, s.db, player.ID, player.Currency)
		if err != nil {
			return models.Order{}, fmt.Errorf("request payout: %w", err)
		}
		return models.Order{}, belowZeroProblem("problem.payout_blocked", cause)
	case amount.Minor > wallet.Minor:
		return models.Order{}, models.ProblemT("amount", "problem.payout_balance", fmt.Sprintf(msgPayoutBalance, wallet.Display()), "Amount", wallet)
	}

	now := s.now().UTC()
	order := models.Order{MessageID: messageID, Kind: models.OrderPayout, PlayerID: player.ID, Amount: amount, CreatedAt: now}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The player's row lock (on SQLite the write lock) orders this payout after
		// any other of theirs being reserved, so that the sum below counts it: two
		// payouts asked for at once, on any instance, cannot both go unreviewed. A
		// block that came since the check above is seen here too.
		blocked, err := playerBlocked(forUpdate(tx), player.ID)
		if err != nil {
			return err
		}
		if blocked {
			return PlayerBlocked()
		}
		window, err := payoutsSince(tx, player.ID, amount.Currency, now.Add(-PayoutWindow))
		if err != nil {
			return err
		}
		order.WindowMinor = window + amount.Minor
		order.NeedsApproval = order.WindowMinor > limits.ApprovalAbove.Minor
		if !order.NeedsApproval {
			order.Attempts, order.AttemptedAt = 1, &now
		}
		order.Refresh()
		var account models.BankAccount
		err = tx.Where("id = ? AND player_id = ? AND removed = ?", bankAccountID, player.ID, false).Limit(1).Find(&account).Error
		if err != nil {
			return err
		}
		if account.ID == 0 {
			return models.ProblemT("account", "problem.payout_account", msgPayoutAccount)
		}
		if account.PayoutFailure != "" {
			return models.ProblemT("account", "problem.account_payout_failed", msgAccountPayoutFailed)
		}
		if !PayoutReady(account) {
			return models.ProblemT("account", "problem.account_unverified", msgAccountUnverified)
		}
		order.BankAccountID, order.AccountID = account.ID, account.AccountID
		if err := tx.Create(&order).Error; err != nil {
			return fmt.Errorf("create order: %w", err)
		}
		t := models.Move(order.Reference("reserve"), "Payout reserved", models.PlayerWallet(player.ID), models.PlayerReserved(player.ID), amount)
		_, err = ledger.New(tx).Post(ctx, t)
		return err
	})
	var problem *models.Problem
	switch {
	case errors.As(err, &problem):
		return models.Order{}, problem
	case errors.Is(err, ledger.ErrInsufficientFunds):
		w, werr := s.Withdrawable(ctx, player)
		if werr != nil {
			return models.Order{}, fmt.Errorf("request payout: %w", werr)
		}
		return models.Order{}, models.ProblemT("amount", "problem.payout_balance", fmt.Sprintf(msgPayoutBalance, w.Display()), "Amount", w)
	case err != nil:
		return models.Order{}, fmt.Errorf("request payout: %w", err)
	}
	s.payoutLog(order).Info("payout reserved", "amount", amount.String(), "window", order.Window().String(),
		"needs_approval", order.NeedsApproval)
	return order, nil
}

// PayoutWindow is how far back a payout's approval looks: a payout waits for staff
// when it, together with the player's payouts of this long before it that may have
// left or may still leave the wallet, is above Limits.ApprovalAbove, and needs two
// members when that sum is above Limits.TwoPersonAbove. The window leaves out its
// start, as the deposit limits' rolling day does: a payout made exactly
// PayoutWindow before no longer counts, one made a nanosecond later still does
// (TestPayoutWindowBoundary). The limits are per day, not
// per order, so that a sum split into small payouts (structuring) is reviewed as
// the one large payout it is.
const PayoutWindow = 24 * time.Hour

// payoutsSince sums, in tx, what the player's payouts in currency created after
// since count in PayoutWindow (models.PayoutOutSQL: all but those back in the
// wallet or coming back, less what the bank gave back), waiting for approval and
// approved alike; the net deposit limits count them alike. It reads a
// range of idx_orders_player_payouts (store), one player's payouts since then,
// whose WHERE the kind's literal matches (a bound parameter would not).
func payoutsSince(tx *gorm.DB, playerID int64, currency string, since time.Time) (int64, error) {
	var sum int64
	err := tx.Model(&models.Order{}).Select("COALESCE(SUM("+models.PayoutOutSQL+"), 0)").
		Where("player_id = ? AND kind = '"+string(models.OrderPayout)+"' AND created_at > ? AND amount_currency = ?",
			playerID, since, currency).
		Scan(&sum).Error
	if err != nil {
		return 0, fmt.Errorf("payouts of player %d since %s: %w", playerID, since.Format(time.RFC3339), err)
	}
	return sum, nil
}

// sendPayout calls AccountPayout for a reserved payout and records the outcome. It
// is detached from the caller's cancellation: a player who leaves must not turn a
// payout into an unknown one. The caller has counted the attempt (Attempts,
// AttemptedAt) in the database before calling.
func (s *Service) sendPayout(ctx context.Context, order models.Order) (models.Order, error) {
	ctx = context.WithoutCancel(ctx)
	log := s.payoutLog(order)
	player, err := s.Player(ctx, order.PlayerID)
	if err != nil {
		return order, fmt.Errorf("send payout %d: %w", order.ID, err)
	}
	res, err := recorded(ctx, s, aboutOrder(order), s.trustly.AccountPayout, trustly.AccountPayoutParams{
		NotificationURL:  s.cfg.NotificationURL(),
		EndUserID:        player.EndUserID,
		MessageID:        order.MessageID,
		AccountID:        order.AccountID,
		Amount:           order.Amount.String(),
		Currency:         order.Amount.Currency,
		ShopperStatement: s.cfg.ShopperStatement,
	})
	failpoint.Hit("payout.after_call")
	var te *trustly.Error
	if !errors.As(err, &te) || !te.Signed {
		te = nil // an unsigned error may not come from Trustly: the outcome is unknown
	}
	switch {
	case err == nil:
		sent, err := s.changePayout(ctx, order.ID, func(tx *gorm.DB, o *models.Order, now time.Time) error {
			takeResultOrderID(o, res.OrderID, log)
			return s.payoutSent(ctx, tx, o, now, log)
		})
		if err != nil {
			return order, fmt.Errorf("send payout %d: record accepted: %w", order.ID, err)
		}
		log.Info("payout sent", "trustly_order_id", res.OrderID, "status", sent.Status)
		return sent, nil

	case te != nil && te.Code == trustly.CodeDuplicateMessageID:
		// Our MessageIDs are random and never reused, so 637 means an earlier call
		// with this MessageID reached Trustly, and nothing more: Trustly keeps the
		// MessageID of a payout it refused too (API.md §6.1). The reservation stays
		// until a notification or Trustly's ledger says what happened (settlePayouts).
		checking, err := s.changePayout(ctx, order.ID, func(tx *gorm.DB, o *models.Order, now time.Time) error {
			if o.SentAt == nil && o.ReleasedAt == nil {
				setOnce(&o.CheckingAt, now)
			}
			return nil
		})
		if err != nil {
			return order, fmt.Errorf("send payout %d: record 637: %w", order.ID, err)
		}
		log.Warn("payout resend answered 637: an earlier call arrived, its outcome is unknown; checking with Trustly", "status", checking.Status)
		return checking, nil

	case te != nil, errors.Is(err, trustly.ErrRefused), errors.Is(err, trustly.ErrInvalidParams):
		// Trustly did not carry out this call: a signed error, a signed result "0",
		// or a request our client refused to send. Release the money, unless this
		// is a resend or Trustly has shown meanwhile that it has the payout.
		reason := "AccountPayout refused (result 0)"
		msg := msgPayoutRefused
		if te != nil {
			reason = fmt.Sprintf("AccountPayout error %d %s", te.Code, te.Message)
			if te.Code == trustly.CodeInvalidBankAccountNumber {
				msg = msgPayoutBadAccount
			}
		} else if errors.Is(err, trustly.ErrInvalidParams) {
			reason = "AccountPayout not sent: " + err.Error()
		}
		resent := false
		after, cerr := s.changePayout(ctx, order.ID, func(tx *gorm.DB, o *models.Order, now time.Time) error {
			if resent = o.Attempts > 1; resent {
				// A resend (ResumePayouts): an earlier call may have reached Trustly,
				// which may have paid it, and this answer says nothing about that one.
				// As after a 637, the reservation stays until a notification or
				// Trustly's ledger settles it (settlePayouts). Attempts, not
				// OutcomeUnknownAt, since a process stopped just after its call left no
				// outcome at all.
				if o.SentAt == nil && o.ReleasedAt == nil {
					setOnce(&o.CheckingAt, now)
				}
				return nil
			}
			if o.SentAt != nil {
				o.AddFlag(models.FlagKindRefusedAfterSent, "Trustly refused the payout after it had proved it was sent: "+reason)
				log.Error("alert: payout refused after it was sent; nothing released", "err", err)
				return nil
			}
			setOnce(&o.FailedAt, now)
			if o.Reason == "" {
				o.Reason = reason
			}
			return s.payoutReleased(ctx, tx, o, now)
		})
		if cerr != nil {
			return order, fmt.Errorf("send payout %d: record refusal: %w", order.ID, cerr)
		}
		if resent {
			log.Warn("payout resend refused: an earlier call may have reached Trustly; checking with Trustly, still reserved",
				"err", err, "status", after.Status)
			return after, nil
		}
		log.Error("payout refused; reservation released", "err", err, "status", after.Status)
		return after, models.ProblemT("", problemIDs[msg], msg)

	default:
		// Timeout, network failure, an unsigned or unverifiable answer: Trustly may
		// have the payout. Keep the reservation; ResumePayouts asks again.
		unknown, cerr := s.changePayout(ctx, order.ID, func(tx *gorm.DB, o *models.Order, now time.Time) error {
			setOnce(&o.OutcomeUnknownAt, now)
			return nil
		})
		if cerr != nil {
			return order, fmt.Errorf("send payout %d: record unknown outcome: %w", order.ID, cerr)
		}
		log.Error("payout outcome unknown; ResumePayouts will ask again with the same MessageID", "err", err, "status", unknown.Status)
		return unknown, nil
	}
}

// ResumePayouts finishes every payout that is reserved and cleared to go but has
// no known outcome. One whose AccountPayout call timed out, or whose process
// stopped between the reservation and the call, is asked again with its own
// MessageID, so Trustly never pays it twice; a payout Trustly already has is
// answered 637, which leaves it checking, as does any other refusal of the resend.
// A payout whose last attempt started less
// than two minutes ago is left for the next run, as that call may still be under
// way. Then settlePayouts asks Trustly's ledger about the checking payouts, and
// checkRefunds asks GetWithdrawals about refunds whose outcome is unknown. Run it
// at startup and every few minutes; several instances may run it at once, since
// each payout is claimed by one of them before it is sent or checked.
func (s *Service) ResumePayouts(ctx context.Context) error {
	var orders []models.Order
	err := s.db.WithContext(ctx).Where("kind = ? AND sent_at IS NULL AND released_at IS NULL AND returned_at IS NULL AND checking_at IS NULL", models.OrderPayout).
		Where("failed_at IS NULL AND cancelled_at IS NULL AND denied_at IS NULL AND credited_at IS NULL AND payout_failed_at IS NULL").
		Where("needs_approval = ? OR approved_at IS NOT NULL", false).
		Order("id").Find(&orders).Error
	if err != nil {
		return fmt.Errorf("resume payouts: %w", err)
	}
	var errs []error
	for _, order := range orders {
		now := s.now().UTC()
		if order.AttemptedAt != nil && now.Sub(*order.AttemptedAt) < s.cfg.resumeAfter() {
			continue
		}
		// Claim it: only the instance whose UPDATE sees the attempt count it read
		// sends it.
		res := s.db.WithContext(ctx).Model(&models.Order{}).
			Where("id = ? AND attempts = ? AND sent_at IS NULL AND released_at IS NULL", order.ID, order.Attempts).
			Updates(map[string]any{"attempts": order.Attempts + 1, "attempted_at": now})
		if res.Error != nil {
			errs = append(errs, fmt.Errorf("resume payout %d: %w", order.ID, res.Error))
			continue
		}
		if res.RowsAffected == 0 {
			continue
		}
		order.Attempts++
		order.AttemptedAt = &now
		s.payoutLog(order).Warn("resuming payout with the same MessageID", "attempt", order.Attempts)
		resumed, err := s.sendPayout(ctx, order)
		s.metrics.PayoutResume(payoutResumeOutcome(resumed, err))
		if err != nil {
			var problem *models.Problem
			if !errors.As(err, &problem) {
				errs = append(errs, err)
			}
		}
	}
	if err := s.settlePayouts(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := s.checkRefunds(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ApprovePayout lets a payout above the approval limit go, on a staff member's
// word, and sends it at once. A payout above Limits.TwoPersonAbove needs two
// different members: the first approval is recorded (staff.Approval) and the
// payout keeps waiting; the second, by someone else, sends it. The same member
// approving twice gets a *models.Problem, and so does a second approval by a
// member who reset the first approver's credentials or had theirs reset by them
// in the day before, any approval by a member whose email is the player's
// (approvalRefusal), and any approval of a payout whose player is blocked or whose
// wallet is below zero (a returned deposit); it keeps waiting. Approving one already approved changes nothing and sends
// nothing; one denied or cancelled fails with a *models.Problem. by must hold a
// role that may decide payouts (staff.ErrNotAllowed), read from the database in
// the decision's transaction. Each approval writes one audit row with it.
func (s *Service) ApprovePayout(ctx context.Context, by staff.Member, orderID int64, reason string) (models.Order, error) {
	send := false
	order, err := s.changePayout(ctx, orderID, func(tx *gorm.DB, o *models.Order, now time.Time) error {
		m, err := s.actor(ctx, tx, by, staff.ActionDecidePayout)
		if err != nil {
			return err
		}
		switch {
		case o.NeedsApproval && o.ApprovedAt != nil:
			return nil
		case o.Status != models.OrderAwaitingApproval:
			return models.ProblemT("", "problem.payout_not_waiting", msgPayoutNotWaiting)
		}
		// A blocked player may not withdraw (models.Player.Blocked), and a block may
		// come while the payout waits. The player's row is locked, as
		// SetPlayerBlocked locks it, so a block and an approval at the same moment
		// are taken one after the other.
		blocked, err := playerBlocked(forUpdate(tx), o.PlayerID)
		if err != nil {
			return err
		}
		// A wallet below zero blocks payouts as it does in RequestPayout (API.md
		// §5.3), and the debit of a deposit the payout's money came from may arrive
		// while the payout waits; this holds for each of two approvals. A debit
		// booked after this read is no different from one booked after the send.
		balance, err := ledger.New(tx).Balance(ctx, models.PlayerWallet(o.PlayerID), o.Amount.Currency)
		if err != nil {
			return err
		}
		// The account was checked when the payout was asked for; the player may have
		// removed it while the payout waited, or a payout to it failed at the bank.
		var account models.BankAccount
		if err := forUpdate(tx).Where("id = ?", o.BankAccountID).Take(&account).Error; err != nil {
			return fmt.Errorf("bank account %d: %w", o.BankAccountID, err)
		}
		var cause *models.Order
		if balance.Minor < 0 {
			if cause, err = belowZeroCause(ctx, tx, o.PlayerID, o.Amount.Currency); err != nil {
				return err
			}
		}
		// Whoever approves; the pages ask the same (standingRefusal).
		if refusal := standingRefusal(blocked, balance, cause, account); refusal != nil {
			return refusal
		}
		before := decisionView(*o)
		event := staff.EventPayoutApproved
		// Who approves matters too; the pages ask the same (approvalRefusal).
		first, refusal, err := s.approvalRefusal(tx, m, *o, now)
		switch {
		case err != nil:
			return err
		case refusal != nil:
			return refusal
		}
		if s.NeedsTwoApprovals(*o) {
			if err := tx.Create(&staff.Approval{OrderID: o.ID, StaffID: m.ID, CreatedAt: now}).Error; err != nil {
				return err
			}
			if len(first) == 0 {
				event = staff.EventPayoutFirstVote
			}
		}
		if event == staff.EventPayoutApproved {
			setOnce(&o.ApprovedAt, now)
			o.DecidedBy = m.ID
			o.Attempts, o.AttemptedAt = o.Attempts+1, &now
			send = true
		}
		return s.auditOrder(ctx, tx, now, m, event, before, *o, reason)
	})
	if err != nil {
		return models.Order{}, payoutErr("approve", orderID, err)
	}
	if !send {
		return order, nil
	}
	s.payoutLog(order).Info("payout approved", "staff_id", by.ID)
	return s.sendPayout(ctx, order)
}

// DenyPayout refuses a payout waiting for approval (also one with a first of two
// approvals) and gives its money back to the player's wallet; reason is kept for
// staff. Denying one already denied changes nothing; one approved or cancelled
// fails with a *models.Problem, and so does a denial by a member whose email is
// the player's (denyRefusal), which writes nothing. Like ApprovePayout, it needs a role that may
// decide payouts and writes one audit row.
func (s *Service) DenyPayout(ctx context.Context, by staff.Member, orderID int64, reason string) (models.Order, error) {
	order, err := s.changePayout(ctx, orderID, func(tx *gorm.DB, o *models.Order, now time.Time) error {
		m, err := s.actor(ctx, tx, by, staff.ActionDecidePayout)
		if err != nil {
			return err
		}
		switch {
		case o.DeniedAt != nil:
			return nil
		case o.Status != models.OrderAwaitingApproval:
			return models.ProblemT("", "problem.payout_not_waiting", msgPayoutNotWaiting)
		}
		// Who denies matters as who approves does; the pages ask the same
		// (denyRefusal).
		var player models.Player
		if err := tx.Select("id", "email").Where("id = ?", o.PlayerID).Take(&player).Error; err != nil {
			return fmt.Errorf("player %d of payout %d: %w", o.PlayerID, o.ID, err)
		}
		if refusal := denyRefusal(m, player); refusal != nil {
			return refusal
		}
		before := decisionView(*o)
		setOnce(&o.DeniedAt, now)
		o.DecidedBy, o.Reason = m.ID, truncate(reason, 500)
		if err := s.payoutReleased(ctx, tx, o, now); err != nil {
			return err
		}
		return s.auditOrder(ctx, tx, now, m, staff.EventPayoutDenied, before, *o, reason)
	})
	if err != nil {
		return models.Order{}, payoutErr("deny", orderID, err)
	}
	s.payoutLog(order).Info("payout denied; reservation released", "staff_id", by.ID)
	return order, nil
}

// NeedsTwoApprovals reports whether order is a payout whose Window (its amount
// with the player's payouts of the 24 hours before it, approved ones included) is
// above its currency's Limits.TwoPersonAbove, which two different staff members
// must approve, each after confirming their password again.
func (s *Service) NeedsTwoApprovals(order models.Order) bool {
	l := s.cfg.LimitsFor(order.Amount.Currency)
	return order.Kind == models.OrderPayout && l.TwoPersonAbove.Minor > 0 && order.Window().Minor > l.TwoPersonAbove.Minor
}

// decisionView is what an audit row keeps of an order before and after a staff
// decision.
func decisionView(o models.Order) map[string]any {
	o.Refresh()
	v := map[string]any{"status": o.Status, "amount": o.Amount.String(), "currency": o.Amount.Currency}
	if o.ApprovedAt != nil {
		v["approved_at"] = o.ApprovedAt.UTC()
	}
	if o.DeniedAt != nil {
		v["denied_at"] = o.DeniedAt.UTC()
	}
	if o.Reason != "" {
		v["reason"] = o.Reason
	}
	return v
}

// auditOrder records a staff decision about order in tx.
func (s *Service) auditOrder(ctx context.Context, tx *gorm.DB, now time.Time, m staff.Member, event staff.Event, before map[string]any, after models.Order, reason string) error {
	return staff.Record(ctx, tx, now, staff.Audit{Event: event, OrderID: after.ID, PlayerID: after.PlayerID,
		Before: staff.JSON(before), After: staff.JSON(decisionView(after)), Reason: truncate(reason, 500)}.By(m))
}

// CancelPayout lets the player take back a payout that is still waiting for
// approval; its money returns to the wallet. A payout that was sent, or may be on
// its way, cannot be cancelled (*models.Problem).
func (s *Service) CancelPayout(ctx context.Context, player models.Player, orderID int64) (models.Order, error) {
	order, err := s.changePayout(ctx, orderID, func(tx *gorm.DB, o *models.Order, now time.Time) error {
		switch {
		case o.PlayerID != player.ID:
			return gorm.ErrRecordNotFound
		case o.CancelledAt != nil && o.ReleasedAt != nil:
			return nil
		case o.Status != models.OrderAwaitingApproval:
			return models.ProblemT("", "problem.payout_not_waiting", msgPayoutNotWaiting)
		}
		setOnce(&o.CancelledAt, now)
		return s.payoutReleased(ctx, tx, o, now)
	})
	if err != nil {
		return models.Order{}, payoutErr("cancel", orderID, err)
	}
	s.payoutLog(order).Info("payout cancelled by the player; reservation released")
	return order, nil
}

// RefreshPayout asks Trustly's GetWithdrawals for the transfer state of one of the
// player's payouts and stores it on the order (TransferState, TransferCheckedAt),
// at most once per 15 minutes per payout whoever asks (Trustly's limit; a
// conditional UPDATE of TransferChecks claims each check). It returns the order as
// stored, without asking, when the payout is not with Trustly (not sent, or its
// money is back), when Trustly's orderid is not known yet (a resend answered 637
// and no notification has come), within the 15 minutes, or when Trustly does not
// answer. The state is for showing (PayoutStateText); money moves only on
// notifications. Another player's payout is ErrOrderNotFound.
func (s *Service) RefreshPayout(ctx context.Context, player models.Player, orderID int64) (models.Order, error) {
	_, after, err := s.refreshPayout(ctx, player, orderID)
	return after, err
}

// PayoutCheck is what CheckPayout did.
type PayoutCheck struct {
	Order models.Order // as stored after the check
	// Asked is true when Trustly was asked just now, by this request or by one
	// that claimed the check at the same moment.
	Asked     bool
	NextCheck time.Time // when Trustly may next be asked; zero if it never was
}

// CheckPayout is RefreshPayout for the player's "Check with the bank": it also
// says whether Trustly was asked and when it may be asked again.
func (s *Service) CheckPayout(ctx context.Context, player models.Player, orderID int64) (PayoutCheck, error) {
	before, after, err := s.refreshPayout(ctx, player, orderID)
	if err != nil {
		return PayoutCheck{}, err
	}
	return PayoutCheck{Order: after, Asked: after.TransferChecks > before.TransferChecks, NextCheck: nextCheck(after)}, nil
}

// nextCheck is when Trustly may next be asked about order's transfer; zero if it
// never was.
func nextCheck(order models.Order) time.Time {
	if order.TransferCheckedAt == nil {
		return time.Time{}
	}
	return order.TransferCheckedAt.Add(TransferCheckEvery)
}

// refreshPayout does RefreshPayout's work and returns the payout as it was read
// before, too.
func (s *Service) refreshPayout(ctx context.Context, player models.Player, orderID int64) (before, after models.Order, err error) {
	order, err := s.playerPayout(ctx, player, orderID)
	if err != nil {
		return models.Order{}, models.Order{}, err
	}
	now := s.now().UTC()
	switch {
	case !TransferCheckable(order):
		return order, order, nil
	case order.TransferCheckedAt != nil && now.Sub(*order.TransferCheckedAt) < TransferCheckEvery:
		return order, order, nil
	}
	res := s.db.WithContext(ctx).Model(&models.Order{}).Where("id = ? AND transfer_checks = ?", order.ID, order.TransferChecks).
		Updates(map[string]any{"transfer_checks": order.TransferChecks + 1, "transfer_checked_at": now})
	if res.Error != nil {
		return order, models.Order{}, fmt.Errorf("refresh payout %d: %w", order.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		after, err = s.playerPayout(ctx, player, orderID)
		return order, after, err // another request is checking it
	}
	log := s.payoutLog(order)
	rows, err := recorded(ctx, s, aboutOrder(order), s.trustly.GetWithdrawals, trustly.GetWithdrawalsParams{OrderID: order.TrustlyOrderID})
	if err != nil {
		log.Warn("GetWithdrawals failed; showing the stored state", "err", err)
		after, err = s.playerPayout(ctx, player, orderID)
		return order, after, err
	}
	state, ok := transferState(rows, order.TrustlyOrderID)
	if !ok {
		log.Warn("GetWithdrawals has no row about the payout; showing the stored state", "rows", len(rows))
		after, err = s.playerPayout(ctx, player, orderID)
		return order, after, err
	}
	err = s.db.WithContext(ctx).Model(&models.Order{}).Where("id = ?", order.ID).Update("transfer_state", truncate(state, 32)).Error
	if err != nil {
		return order, models.Order{}, fmt.Errorf("refresh payout %d: %w", order.ID, err)
	}
	log.Info("payout transfer state", "transfer_state", state, "payout_state", trustly.PayoutStateOf(state))
	after, err = s.playerPayout(ctx, player, orderID)
	return order, after, err
}

// transferState is the TransferState of the GetWithdrawals row about Trustly's
// orderid, and false when no row is about it: another order's row says nothing
// about this one.
func transferState(rows []trustly.Withdrawal, orderID string) (string, bool) {
	for _, w := range rows {
		if w.OrderID == orderID {
			return w.TransferState, true
		}
	}
	return "", false
}

// TransferCheckable reports whether Trustly can be asked about a payout's transfer
// (RefreshPayout): it was sent, Trustly's orderid is known, and its money is not
// back in the wallet.
func TransferCheckable(order models.Order) bool {
	return order.TrustlyOrderID != "" && order.SentAt != nil && order.ReturnedAt == nil && order.ReleasedAt == nil
}

// BankFailedNotBack reports whether order, a payout or a refund, is one the bank
// failed whose money is not back in the wallet yet: the one rule of it, which the
// player reads as PayoutTextBankFailed ("the money will come back to your
// balance"), staff read in the back office's label of the order, and a sign-in
// of a player the national register excludes counts as money left (moneyLeft,
// through store.BankFailedWhere, the rule in SQL; TestBankFailedOneRule holds
// them together). That is one neither returned nor released that is failed
// (payoutfailed came, Trustly's credit not yet), or sent or confirmed while its
// transfer state from RefreshPayout says the bank failed it: a confirmation is
// not the end, a credit still undoes it (API.md §5.3).
func BankFailedNotBack(order models.Order) bool {
	if !order.MovesOut() || order.ReturnedAt != nil || order.ReleasedAt != nil {
		return false
	}
	switch order.Status {
	case models.OrderFailed:
		return true
	case models.OrderSent, models.OrderConfirmed:
		return trustly.PayoutStateOf(order.TransferState) == trustly.PayoutFailed
	}
	return false
}

// PayoutStateText is a payout's (or a refund's) state in the player's words (the
// PayoutText… constants). While Trustly has the money, the transfer state from
// RefreshPayout refines "On its way" into "Paid out" or a failure the bank
// reported (BankFailedNotBack).
func PayoutStateText(order models.Order) string {
	if BankFailedNotBack(order) {
		return PayoutTextBankFailed
	}
	switch order.Status {
	case models.OrderAwaitingApproval:
		return PayoutTextAwaitingApproval
	case models.OrderRequested, models.OrderSending:
		return PayoutTextSending
	case models.OrderChecking:
		return PayoutTextChecking
	case models.OrderSent:
		if trustly.PayoutStateOf(order.TransferState) == trustly.PayoutPaid {
			return PayoutTextPaid
		}
		return PayoutTextOnItsWay
	case models.OrderConfirmed:
		return PayoutTextPaid
	case models.OrderFailed:
		switch {
		case order.ReturnedAt != nil && order.PayoutFailedAt != nil:
			return PayoutTextRefused
		case order.ReturnedAt != nil:
			return PayoutTextReturned
		case order.ReleasedAt != nil:
			return PayoutTextNotSent
		}
		return PayoutTextBankFailed // not a payout or a refund: no word of its own
	case models.OrderCancelled:
		if order.DeniedAt != nil {
			return PayoutTextDenied
		}
		return PayoutTextCancelled
	}
	return string(order.Status)
}

// Payouts lists the player's payouts, newest first, at most 100.
func (s *Service) Payouts(ctx context.Context, player models.Player) ([]Payout, error) {
	return payouts(ctx, s.db, player)
}

// payouts is Payouts on db, which may be a transaction.
func payouts(ctx context.Context, db *gorm.DB, player models.Player) ([]Payout, error) {
	var orders []models.Order
	err := db.WithContext(ctx).Where("player_id = ? AND kind = ?", player.ID, models.OrderPayout).
		Order("created_at DESC, id DESC").Limit(historyLimit).Find(&orders).Error
	if err != nil {
		return nil, fmt.Errorf("payouts of player %d: %w", player.ID, err)
	}
	return withAccounts(ctx, db, orders)
}

// Payout returns one of the player's payouts, or ErrOrderNotFound.
func (s *Service) Payout(ctx context.Context, player models.Player, orderID int64) (Payout, error) {
	return payout(ctx, s.db, player, orderID)
}

// payout is Payout on db, which may be a transaction.
func payout(ctx context.Context, db *gorm.DB, player models.Player, orderID int64) (Payout, error) {
	order, err := findPayout(ctx, db, player, orderID)
	if err != nil {
		return Payout{}, err
	}
	out, err := withAccounts(ctx, db, []models.Order{order})
	if err != nil {
		return Payout{}, err
	}
	return out[0], nil
}

// PayoutsAwaitingApproval lists every payout waiting for staff, oldest first, for
// a member who may view the back office.
func (s *Service) PayoutsAwaitingApproval(ctx context.Context, by staff.Member) ([]Payout, error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionView); err != nil {
		return nil, err
	}
	var orders []models.Order
	err := s.db.WithContext(ctx).Where("kind = ? AND status = ?", models.OrderPayout, models.OrderAwaitingApproval).
		Order("created_at, id").Find(&orders).Error
	if err != nil {
		return nil, fmt.Errorf("payouts awaiting approval: %w", err)
	}
	return withAccounts(ctx, s.db, orders)
}

// withAccounts pairs orders with their bank accounts and words.
func withAccounts(ctx context.Context, db *gorm.DB, orders []models.Order) ([]Payout, error) {
	ids := make([]int64, 0, len(orders))
	for _, o := range orders {
		ids = append(ids, o.BankAccountID)
	}
	var accounts []models.BankAccount
	if len(ids) > 0 {
		if err := db.WithContext(ctx).Where("id IN ?", ids).Find(&accounts).Error; err != nil {
			return nil, fmt.Errorf("payout accounts: %w", err)
		}
	}
	byID := map[int64]models.BankAccount{}
	for _, a := range accounts {
		byID[a.ID] = a
	}
	out := make([]Payout, len(orders))
	for i, o := range orders {
		out[i] = Payout{Order: o, Account: byID[o.BankAccountID], State: PayoutStateText(o)}
	}
	return out, nil
}

// playerPayout loads one of the player's payouts, or ErrOrderNotFound.
func (s *Service) playerPayout(ctx context.Context, player models.Player, orderID int64) (models.Order, error) {
	return findPayout(ctx, s.db, player, orderID)
}

// findPayout is playerPayout on db, which may be a transaction.
func findPayout(ctx context.Context, db *gorm.DB, player models.Player, orderID int64) (models.Order, error) {
	var order models.Order
	err := db.WithContext(ctx).Where("id = ? AND player_id = ? AND kind = ?", orderID, player.ID, models.OrderPayout).
		Limit(1).Find(&order).Error
	switch {
	case err != nil:
		return models.Order{}, fmt.Errorf("payout %d: %w", orderID, err)
	case order.ID == 0:
		return models.Order{}, fmt.Errorf("payout %d: %w", orderID, ErrOrderNotFound)
	}
	return order, nil
}

// changePayout changes one payout under the lock notifications take (and, on
// SQLite, this process's writer lock) and saves it with its status refreshed, in
// one transaction with any transfer change books. An error from change (a
// *models.Problem, gorm.ErrRecordNotFound) rolls back and is returned as it is.
func (s *Service) changePayout(ctx context.Context, id int64, change func(tx *gorm.DB, o *models.Order, now time.Time) error) (models.Order, error) {
	return s.changeOrder(ctx, id, models.OrderPayout, change)
}

// payoutErr names an unknown payout ErrOrderNotFound and passes Problems through.
func payoutErr(action string, orderID int64, err error) error {
	var problem *models.Problem
	switch {
	case errors.As(err, &problem):
		return problem
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%s payout %d: %w", action, orderID, ErrOrderNotFound)
	}
	return fmt.Errorf("%s payout %d: %w", action, orderID, err)
}

func (s *Service) payoutLog(o models.Order) *slog.Logger {
	return s.log.With("order_id", o.ID, "message_id", o.MessageID, "player_id", o.PlayerID)
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
