package cashier

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// CheckoutExpiry is how long after its Deposit call a deposit with no notification
// at all is taken as abandoned: Trustly's checkout URL lives 10 to 30 minutes
// (API.md §6.1), and a player who finished it would have brought a pending or a
// cancel by then. Config.CheckoutExpiry overrides it.
const CheckoutExpiry = 30 * time.Minute

// HeldCreditKYCWait is how long after a Pay N Play deposit's credit came, held
// with no kyc (and no cancel), the janitor flags it for staff
// (models.FlagHeldCreditKYCOverdue). Trustly sends the kyc before any money moves
// (API.md §5.5), so a credit without one means the kyc's delivery failed and
// Trustly is redelivering it: on a schedule that is UNKNOWN (§6.2), whose
// stand-in (§13, the sandbox's) retries for 25 h 42 min after the first attempt,
// which came before the credit. Past this wait no retry of it is due, and a kyc
// that still comes decides as ever; nothing is booked or released meanwhile:
// API.md names no automatic refund here, and staff decide.
// TestHeldCreditKYCWaitOutlastsRedelivery holds it to the stand-in schedule.
const HeldCreditKYCWait = 26 * time.Hour

// PendingCreditWait is how long after a deposit's pending came, with no credit
// (booked or held) and no cancel, the janitor flags it (models.FlagPendingNoCredit
// for a Pay N Play one, models.FlagDepositPendingNoCredit for an ordinary one). A
// pending says the player finished the checkout, no money yet, and the credit may
// come later, days apart (API.md §0, §5.2), or be redelivered as a kyc is; the
// same wait as HeldCreditKYCWait outlasts that schedule. The flag asks staff to ask Trustly, and goes when the credit comes.
const PendingCreditWait = HeldCreditKYCWait

// janitorBatch bounds the rows one janitor job reads per run; the rest wait for
// the next run.
const janitorBatch = 500

// Janitor job names, as Janitor reports the ones it skipped.
const (
	JobResumePayouts   = "resume-payouts"   // ResumePayouts: resend, settlePayouts (637), checkRefunds
	JobRefundsUnknown  = "refunds-unknown"  // refunds whose Refund call never recorded an outcome
	JobAbandonDeposits = "abandon-deposits" // deposits and account selections whose checkout expired with no notification
	JobMatchUnknown    = "match-unknown"    // notifications stored for orders we did not know
	JobPruneForms      = "prune-forms"      // bank details forms' registrations past RegistrationKept
	JobDepositsOverdue = "deposits-overdue" // deposits waiting for a kyc (Pay N Play) or a credit (any) past their wait
)

// janitorJobs are the background jobs, each with its PostgreSQL advisory lock key.
// The keys are fixed: every instance of the cashier must use the same ones.
func (s *Service) janitorJobs() []janitorJob {
	return []janitorJob{
		{JobResumePayouts, 0x7472_0001, s.ResumePayouts},
		{JobRefundsUnknown, 0x7472_0002, s.refundsUnknown},
		{JobAbandonDeposits, 0x7472_0003, s.abandonDeposits},
		{JobMatchUnknown, 0x7472_0004, s.matchUnknown},
		{JobPruneForms, 0x7472_0005, s.pruneRegistrations},
		{JobDepositsOverdue, 0x7472_0006, s.flagOverdue},
	}
}

type janitorJob struct {
	name string
	key  int32 // the first half of its advisory lock; janitorSchemaKey the second
	run  func(context.Context) error
}

// Janitor runs every background job once and returns the names of those it
// skipped because another instance was running them. It settles what a crash, a
// lost answer or a player who walked away left without a known outcome: payouts
// whose AccountPayout had no answer are resent under their MessageID, and those
// answered 637 are settled from Trustly's AccountLedger (ResumePayouts); refunds
// whose Refund call never recorded an outcome (the process died between the
// reservation and the booking) are marked so, which GetWithdrawals then settles;
// deposits and account selections whose checkout expired with no notification, or
// whose call was never answered, become abandoned; and
// notifications stored for an order we did not know are applied once that order
// exists (they are listed for staff until then); and the registrations of bank
// details forms older than RegistrationKept, which no form can use any more, are
// deleted; and a Pay N Play deposit holding a credit with no kyc
// HeldCreditKYCWait after it came, or any deposit pending with no credit
// PendingCreditWait after its pending, neither ended by a cancel, is flagged for
// staff, once.
//
// Several instances may run Janitor at once. On PostgreSQL each job holds an
// advisory lock (pg_try_advisory_lock on a connection of its own) while it runs,
// and an instance that finds it taken skips the job; a crashed instance's lock
// ends with its connection. SQLite has one instance. Each job also claims each
// row it changes, so the lock saves Trustly calls rather than guarding money. A
// job stops between rows when ctx ends.
func (s *Service) Janitor(ctx context.Context) (skipped []string, err error) {
	var errs []error
	for _, job := range s.janitorJobs() {
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		ran, err := s.exclusive(ctx, job.key, job.run)
		if err != nil && ctx.Err() == nil {
			errs = append(errs, fmt.Errorf("janitor %s: %w", job.name, err))
		}
		if !ran {
			skipped = append(skipped, job.name)
			continue
		}
		s.metrics.JanitorRun(job.name, time.Since(start), err)
	}
	return skipped, errors.Join(errs...)
}

// janitorSchemaKey is the second half of a janitor job's advisory lock: the
// schema's hash, so that cashiers on other schemas of one database (and tests,
// each on a schema of its own) do not hold up each other's jobs; instances of
// one cashier share the schema, and so the lock. store.Migrate's lock is made so.
const janitorSchemaKey = "hashtext(COALESCE(current_schema(), ''))"

// exclusive runs run while holding PostgreSQL's advisory lock key on a connection
// of its own, or not at all when another session holds it (ran false). On SQLite
// it just runs.
func (s *Service) exclusive(ctx context.Context, key int32, run func(context.Context) error) (ran bool, err error) {
	if s.db.Dialector.Name() != "postgres" {
		return true, run(ctx)
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return false, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("lock connection: %w", err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, "+janitorSchemaKey+")", key).Scan(&got); err != nil {
		return false, fmt.Errorf("advisory lock: %w", err)
	}
	if !got {
		return false, nil
	}
	defer func() {
		if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, "+janitorSchemaKey+")", key); uerr != nil {
			// Never hand a connection that may still hold the lock back to the pool.
			_ = conn.Raw(func(any) error { return errors.New("drop the connection") })
			err = errors.Join(err, fmt.Errorf("advisory unlock: %w", uerr))
		}
	}()
	return true, run(ctx)
}

// refundsUnknown marks refunds that are reserved and were never answered, neither
// sent nor released nor already unknown, with an attempt older than
// Config.ResumeAfter: the process stopped between the reservation and the booking
// of the Refund call. A Refund has no MessageID, so it is never resent; marked
// unknown, it is settled by GetWithdrawals (checkRefunds) or by its notifications.
func (s *Service) refundsUnknown(ctx context.Context) error {
	cutoff := s.now().UTC().Add(-s.cfg.resumeAfter())
	var ids []int64
	err := s.db.WithContext(ctx).Model(&models.Order{}).
		Where("kind = ? AND outcome_unknown_at IS NULL AND sent_at IS NULL AND released_at IS NULL AND failed_at IS NULL", models.OrderRefund).
		Where("attempted_at < ?", cutoff).Order("id").Limit(janitorBatch).Pluck("id", &ids).Error
	if err != nil {
		return fmt.Errorf("refunds without outcome: %w", err)
	}
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		changed := false
		order, err := s.changeOrder(ctx, id, models.OrderRefund, func(_ *gorm.DB, o *models.Order, now time.Time) error {
			if o.OutcomeUnknownAt != nil || o.SentAt != nil || o.ReleasedAt != nil || o.FailedAt != nil {
				return nil // settled meanwhile
			}
			changed = true
			setOnce(&o.OutcomeUnknownAt, now)
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("refund %d: %w", id, err))
			continue
		}
		if changed {
			s.refundLog(order).Warn("refund call never recorded an outcome; kept reserved, GetWithdrawals will settle it", "status", order.Status)
		}
	}
	return errors.Join(errs...)
}

// abandonDeposits marks abandoned the deposits and account selections of which
// Trustly has said nothing: started (a checkout nobody finished) more than
// Config.CheckoutExpiry ago, and still created, their Deposit or SelectAccount
// call never answered, more than Config.ResumeAfter ago, longer than the call can
// take: the process making it was killed before or during the call, and no player
// saw a checkout. A selection whose account notification came is done
// (OrderAccountAdded, which the query does not select); one whose account an
// older version applied without marking it (still started, its account
// notification stored) is left as it is too: its account was saved. A Pay N Play
// login whose browser signed in is done too (OrderSignedIn, not selected either);
// one whose browser has not (yet) is abandoned as a deposit is, and reads
// signed-in if its browser signs in later, within the sign-in window of its kyc
// (ClaimPayNPlaySignIn). A login whose kyc said FINISH is failed from that
// decision on (refused; not selected), whether or not a cancel follows, and so is
// a Pay N Play deposit whose kyc said FINISH and on which no money came (one with
// a credit or debit held reads pending, for staff). Each is changed under its row lock and only if no
// notification came meanwhile. A notification that comes later still applies
// (OrderAbandoned): a credit books, an account is saved and the selection reads
// account-added.
func (s *Service) abandonDeposits(ctx context.Context) error {
	now := s.now().UTC()
	cutoff := s.checkoutCutoff(now)
	var rows []struct {
		ID   int64
		Kind models.OrderKind
	}
	err := s.silentCheckouts(s.db.WithContext(ctx), now).Select("id, kind").
		Order("id").Limit(janitorBatch).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("abandoned checkouts: %w", err)
	}
	var errs []error
	for _, row := range rows {
		if ctx.Err() != nil {
			break
		}
		changed := false
		order, err := s.changeOrder(ctx, row.ID, row.Kind, func(tx *gorm.DB, o *models.Order, now time.Time) error {
			switch {
			case o.Status != models.OrderCreated && o.Status != models.OrderStarted:
				return nil // a notification came meanwhile
			case o.Status == models.OrderStarted && !o.CheckoutOver(cutoff):
				return nil // the call was answered meanwhile: its checkout may be in use
			}
			if o.Kind == models.OrderSelectAccount {
				var n int64
				if err := tx.Model(&models.Order{}).Where("id = ? AND "+accountCame, o.ID, trustly.MethodAccount).Count(&n).Error; err != nil {
					return fmt.Errorf("account notifications: %w", err)
				}
				if n > 0 {
					return nil // its account came meanwhile
				}
			}
			changed = true
			setOnce(&o.AbandonedAt, now)
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %d: %w", row.Kind, row.ID, err))
			continue
		}
		if changed {
			s.log.Info("checkout abandoned: no word from Trustly since the call that made it", "kind", order.Kind, "order_id", order.ID,
				"message_id", order.MessageID, "player_id", order.PlayerID, "created_at", order.CreatedAt, "status", order.Status)
		}
	}
	return errors.Join(errs...)
}

// silentCheckouts is the query of the deposits and account selections
// abandonDeposits abandons at now: still created or started a CheckoutExpiry
// (Config.CheckoutExpiry) after they were made, or still created, their call
// unanswered, a ResumeAfter (Config.ResumeAfter) after; a selection whose account
// came is not one. The back office's home counts the deposits among them, which
// the janitor has not come by yet (BackOfficeHome). The kind is compared as
// kind || ” so that neither database reads the kinds' index, which holds every
// deposit ever made, back to the cutoff, and the statuses are one condition
// of the whole, not one of each side of an OR, so that PostgreSQL reads
// idx_orders_status_created, which holds the few orders still created or
// started, with no bitmap (TestBackOfficeHomePlans).
func (s *Service) silentCheckouts(db *gorm.DB, now time.Time) *gorm.DB {
	cutoff, unanswered := s.checkoutCutoff(now), now.UTC().Add(-s.cfg.resumeAfter())
	silent := []models.OrderStatus{models.OrderCreated, models.OrderStarted}
	kinds := []models.OrderKind{models.OrderDeposit, models.OrderSelectAccount}
	return db.Model(&models.Order{}).
		Where("kind || '' IN ? AND status IN ? AND (created_at < ? OR (status = ? AND created_at < ?))",
			kinds, silent, cutoff, models.OrderCreated, unanswered).
		Where("(kind <> ? OR NOT "+accountCame+")", models.OrderSelectAccount, trustly.MethodAccount)
}

// accountCame is the condition on orders that an account notification
// (trustly.MethodAccount, its argument) was stored for the order.
const accountCame = "EXISTS (SELECT 1 FROM notifications WHERE notifications.order_id = orders.id AND notifications.method = ?)"

// abandonUnanswered marks abandoned checkout order o (a deposit, an account
// selection) if its Deposit or SelectAccount call still has no answer (created,
// no checkout URL, no notification): the process that made the call was killed
// after committing the order, or Trustly has not answered in time. No player ever saw its checkout; an order Trustly made after all expires
// there, and a notification that comes anyway still applies (OrderAbandoned). It
// is changed under its row lock; an answer that came meanwhile is left as it is.
// An answer that comes after it leaves it abandoned.
func (s *Service) abandonUnanswered(ctx context.Context, o models.Order) (models.Order, error) {
	changed := false
	order, err := s.changeOrder(ctx, o.ID, o.Kind, func(_ *gorm.DB, o *models.Order, now time.Time) error {
		if o.Status != models.OrderCreated {
			return nil
		}
		changed = true
		setOnce(&o.AbandonedAt, now)
		return nil
	})
	if err != nil {
		return models.Order{}, fmt.Errorf("abandon %s %d: %w", o.Kind, o.ID, err)
	}
	if changed {
		s.log.Warn("checkout abandoned: its call was never answered (the process making it stopped, or Trustly was too slow)",
			"kind", order.Kind, "order_id", order.ID, "message_id", order.MessageID, "player_id", order.PlayerID, "created_at", order.CreatedAt)
	}
	return order, nil
}

// matchUnknown looks again for the order of each notification stored for an order
// we did not know (OrderID nil) and not yet resolved by staff. When the order now
// exists, the notification is linked to it and applied, once: linking is a
// conditional UPDATE in the transaction that applies it, under the order's row
// lock, and the ledger references stop a second booking anyway. A notification we
// answered other than OK when it came (a debit answered FAILED, a kyc FINISH) told
// Trustly we did not carry it out: it is linked and flagged on the order, not
// applied. Notifications whose order is still unknown stay on the back office's
// flagged page.
func (s *Service) matchUnknown(ctx context.Context) error {
	var rows []models.Notification
	err := s.db.WithContext(ctx).Where("order_id IS NULL AND flag = ''").
		Where("NOT EXISTS (SELECT 1 FROM flag_resolutions WHERE flag_resolutions.notification_id = notifications.id)").
		Order("id").Limit(janitorBatch).Find(&rows).Error
	if err != nil {
		return fmt.Errorf("unknown notifications: %w", err)
	}
	var errs []error
	for _, row := range rows {
		if ctx.Err() != nil {
			break
		}
		if err := s.matchOne(ctx, row); err != nil {
			errs = append(errs, fmt.Errorf("notification %s: %w", row.NotificationID, err))
		}
	}
	return errors.Join(errs...)
}

// flagOlderShape flags row, a notification for an unknown order that an older
// version stored in a shape this one refuses (err: an accountid with a control
// character, say), so that matchUnknown, which reads only unflagged rows, stops
// failing on it at every run; it stays unmatched on the flagged page, with the
// reason, for staff to look at, as bookHeld leaves such an account unsaved.
func (s *Service) flagOlderShape(ctx context.Context, row models.Notification, err error) error {
	flag := truncate("stored by an older version, no longer fits Trustly's format: not matched to an order ("+err.Error()+")", 500)
	s.log.Error("alert: notification for an unknown order no longer fits Trustly's format; flagged, not matched",
		"notification_id", row.NotificationID, "method", row.Method, "trustly_order_id", row.TrustlyOrderID, "err", err)
	if err := s.db.WithContext(ctx).Model(&models.Notification{}).Where("id = ? AND flag = ''", row.ID).Update("flag", flag).Error; err != nil {
		return fmt.Errorf("flag notification of an older shape: %w", err)
	}
	return nil
}

// matchOne applies one stored notification for an unknown order, if its order
// exists now.
func (s *Service) matchOne(ctx context.Context, row models.Notification) error {
	n, err := trustly.ParseNotification([]byte(row.Raw), s.trustlyKey)
	switch {
	case errors.Is(err, trustly.ErrBadData):
		return s.flagOlderShape(ctx, row, err)
	case err != nil:
		return fmt.Errorf("parse stored notification: %w", err)
	}
	log := s.log.With("notification_id", n.ID(), "method", n.Method, "trustly_order_id", n.OrderID())
	return writeTx(ctx, s.db, func(tx *gorm.DB) error {
		order, err := lockOrder(tx, n, log)
		if err != nil || order == nil {
			return err
		}
		res := tx.Model(&models.Notification{}).Where("id = ? AND order_id IS NULL", row.ID).Update("order_id", order.ID)
		if res.Error != nil {
			return fmt.Errorf("link to order %d: %w", order.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil // matched meanwhile
		}
		log = orderLog(log, order)
		before := *order
		if row.Status != trustly.StatusOK || n.Method == trustly.MethodKYC {
			order.AddFlag(models.FlagKindBeforeOrderKnown, fmt.Sprintf("%s notification %s came before this order was known and was answered %s: not applied",
				n.Method, n.ID(), row.Status))
			log.Error("alert: notification for an order unknown then matched; it was answered " + row.Status + ", so it is not applied")
		} else {
			a, err := s.apply(ctx, tx, n, order, nil, s.now().UTC(), log)
			if err != nil {
				return fmt.Errorf("apply to order %d: %w", order.ID, err)
			}
			if a.Status != trustly.StatusOK {
				order.AddFlag(models.FlagKindBeforeOrderKnown, fmt.Sprintf("%s notification %s came before this order was known: answered OK then, %s now",
					n.Method, n.ID(), a.Status))
			}
			log.Warn("notification stored for an unknown order matched and applied", "answer_now", a.Status)
		}
		switch learn, err := learnsOrderID(tx, before, n); {
		case err != nil:
			return err
		case learn:
			order.TrustlyOrderID = n.OrderID()
		}
		order.Refresh()
		if err := saveChanges(tx, &before, order); err != nil {
			return fmt.Errorf("save order %d: %w", order.ID, err)
		}
		return nil
	})
}

// RegistrationKept is how long a bank details form's registration
// (models.AccountRegistration) is kept: its token makes the form sent again show
// the first sending's result rather than call RegisterAccount again, and nothing
// else reads it (the account it saved is a BankAccount of its own). A form can be
// sent only while the CSRF token of its page is good, 12 hours at most after the
// page was shown (handlers' csrfTTL; TestRegistrationKeptOutlivesForms), and the
// page was shown before the registration was made; a day leaves room for instances
// whose clocks differ. A form whose registration went would register the same
// details as new: Trustly gives the same account, which the player has already.
const RegistrationKept = 24 * time.Hour

// pruneBatches bounds the batches of janitorBatch rows pruneRegistrations deletes
// in one run, so that the first run on a table never pruned is not a long one; the
// rest go in the next runs.
const pruneBatches = 20

// pruneRegistrations deletes the bank details forms' registrations made more than
// RegistrationKept ago, oldest first, janitorBatch rows per statement, each its
// own transaction, until none is left or pruneBatches were deleted; ctx ends it
// between statements. One whose RegisterAccount call never recorded a result goes
// too: no call lasts a day.
func (s *Service) pruneRegistrations(ctx context.Context) error {
	cutoff := s.now().UTC().Add(-RegistrationKept)
	deleted := int64(0)
	for range pruneBatches {
		if ctx.Err() != nil {
			break
		}
		old := s.db.Model(&models.AccountRegistration{}).Select("id").Where("created_at < ?", cutoff).Order("id").Limit(janitorBatch)
		res := s.db.WithContext(context.WithoutCancel(ctx)).Where("id IN (?)", old).Delete(&models.AccountRegistration{})
		if res.Error != nil {
			return fmt.Errorf("prune bank details forms: %w", res.Error)
		}
		deleted += res.RowsAffected
		if res.RowsAffected < janitorBatch {
			break
		}
	}
	if deleted > 0 {
		s.log.Info("bank details forms' registrations pruned", "deleted", deleted, "made_before", cutoff)
	}
	return nil
}

// flagOverdue flags for staff, once each, the deposits that wait for ever unseen
// otherwise (models.Order.Awaits): a Pay N Play one holding a credit with no kyc
// HeldCreditKYCWait after the credit came (KYCOverdueAt), and any deposit, Pay N
// Play or ordinary, pending with no credit PendingCreditWait after its pending
// (CreditOverdueAt), when no cancel ended either. It books, releases and returns
// nothing: the money of a held credit is in no wallet, and a kyc that comes later
// decides as ever (CONTINUE books it, FINISH makes it refused-held), a credit
// that comes later books as ever, and Refresh takes the flag off then. Each order
// is changed under its row lock, only if it still waits, which is read again
// there: a kyc, credit or cancel committed after the query and before the lock
// leaves it as it is. Its marker is set once, so a second run, here or on another
// instance, neither flags nor alerts again. Such orders read pending, and
// created_at is before either time, so the query reads idx_orders_status_created.
// A deposit whose pending never came is no such order: abandonDeposits abandons
// it when its checkout expires.
func (s *Service) flagOverdue(ctx context.Context) error {
	now := s.now().UTC()
	heldBefore, pendingBefore := now.Add(-HeldCreditKYCWait), now.Add(-PendingCreditWait)
	base := s.db.WithContext(ctx).Model(&models.Order{}).
		Where("status = ? AND created_at < ? AND kind = ? AND login_only = ?",
			models.OrderPending, maxTime(heldBefore, pendingBefore), models.OrderDeposit, false).
		Where("credited_at IS NULL AND debited_at IS NULL AND debit_held_at IS NULL AND cancelled_at IS NULL AND failed_at IS NULL")
	var ids []int64
	err := base.Where(s.db.Where("kyc_overdue_at IS NULL AND pay_n_play = ? AND kyc_outcome = '' AND credit_held_at < ?", true, heldBefore).
		Or("credit_overdue_at IS NULL AND kyc_outcome <> ? AND credit_held_at IS NULL AND pending_at < ?", models.KYCFinish, pendingBefore)).
		Order("id").Limit(janitorBatch).Pluck("id", &ids).Error
	if err != nil {
		return fmt.Errorf("overdue deposits: %w", err)
	}
	if s.overdueRead != nil {
		s.overdueRead(ids)
	}
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		var flagged models.FlagKind
		order, err := s.changeOrder(ctx, id, models.OrderDeposit, func(_ *gorm.DB, o *models.Order, now time.Time) error {
			switch kyc, credit := o.Awaits(); {
			case kyc && o.KYCOverdueAt == nil && o.CreditHeldAt.Before(heldBefore):
				setOnce(&o.KYCOverdueAt, now)
				flagged = models.FlagKindHeldCreditKYCOverdue
			case credit && o.CreditOverdueAt == nil && o.PendingAt.Before(pendingBefore):
				setOnce(&o.CreditOverdueAt, now)
				flagged = models.FlagKindPendingNoCredit
			}
			return nil // otherwise it came, ended or was flagged meanwhile
		})
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("deposit %d: %w", id, err))
		case flagged == models.FlagKindHeldCreditKYCOverdue:
			orderLog(s.log, &order).Error("alert: Pay N Play deposit holds a credit with no kyc and no cancel past the wait; flagged for staff, nothing booked",
				"flag_kind", flagged, "credit_held_at", order.CreditHeldAt, "wait", HeldCreditKYCWait.String(), "amount", order.Amount.String())
		case flagged == models.FlagKindPendingNoCredit && order.PayNPlay:
			orderLog(s.log, &order).Error("alert: Pay N Play deposit pending with no credit and no cancel past the wait; flagged for staff, nothing booked",
				"flag_kind", flagged, "pending_at", order.PendingAt, "wait", PendingCreditWait.String(), "amount", order.Amount.String())
		case flagged == models.FlagKindPendingNoCredit:
			orderLog(s.log, &order).Error("alert: deposit pending with no credit and no cancel past the wait; flagged for staff, nothing booked",
				"flag_kind", flagged, "pending_at", order.PendingAt, "wait", PendingCreditWait.String(), "amount", order.Amount.String())
		}
	}
	return errors.Join(errs...)
}

// maxTime is the later of a and b.
func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
