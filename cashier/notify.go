package cashier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrBadNotification means a body is not a notification signed with Trustly's key:
// unreadable, unsigned, tampered with or signed by someone else. Nothing was
// written, and it must get no signed answer (API.md §5.1).
var ErrBadNotification = errors.New("not a valid Trustly notification")

// HandleNotification applies one notification from Trustly exactly once and returns
// the signed answer to send back in the same HTTP exchange.
//
// The notification row, the order's new state, any ledger transfer and the answer
// are written in one database transaction. The row's unique notificationid makes a
// redelivery find the first answer and apply nothing again; the per-event ledger
// references ("deposit:<id>:credit") and the order's applied-event timestamps make
// a different notification for an event already applied harmless too. Notifications
// for one order are serialized by locking the order row (SELECT … FOR UPDATE on
// PostgreSQL; on SQLite every write transaction is serialized anyway, by BEGIN
// IMMEDIATE and writeLock), so any arrival order ends in the same balance and order
// state: see models.Order.Refresh for how the status follows from what was applied.
// On SQLite, notifications arriving together are committed together (writeTx), each
// in its own savepoint, so each is still applied all or nothing, and its answer is
// returned only once the commit is on disk.
//
// A redelivery gets the stored answer byte for byte. Whether Trustly keeps the uuid
// on a redelivery is unknown (API.md §6.2), so one that comes with another uuid or
// method gets the stored status signed afresh for its own uuid and method.
//
// A body that does not verify fails with ErrBadNotification. Any other error means
// nothing was written and no answer must be sent, so Trustly delivers it again.
func (s *Service) HandleNotification(ctx context.Context, raw []byte) ([]byte, error) {
	n, err := trustly.ParseNotification(raw, s.trustlyKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadNotification, err)
	}
	log := s.log.With("notification_id", n.ID(), "method", n.Method, "trustly_order_id", n.OrderID())
	if answer, ok, err := s.redelivered(ctx, n, log); err != nil || ok {
		return answer, err
	}
	// Sign the likely answer before taking the write lock: RSA signing costs about a
	// millisecond, which inside the lock would hold up every other notification on
	// SQLite. The rare other outcome (FAILED for a debit we cannot book) is signed
	// inside.
	likely := trustly.Answer{Status: trustly.StatusOK}
	if n.Method == trustly.MethodKYC {
		likely.Status = trustly.StatusFinish
	}
	likelyBytes, err := trustly.EncodeAnswer(s.merchantKey, n.Method, n.UUID, likely)
	if err != nil {
		return nil, fmt.Errorf("notification %s: sign answer: %w", n.ID(), err)
	}

	var answer []byte
	err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
		now := s.now().UTC()
		// The order first: the lock also serializes deliveries of one notification.
		order, err := lockOrder(tx, n, log)
		if err != nil {
			return err
		}
		row := models.Notification{NotificationID: n.ID(), Method: n.Method, UUID: n.UUID,
			TrustlyOrderID: n.OrderID(), Raw: string(raw), Answer: string(likelyBytes), Status: likely.Status,
			Deliveries: 1, ReceivedAt: now, LastDeliveryAt: now}
		if order != nil {
			row.OrderID = &order.ID
		}
		// A concurrent delivery of the same notification may have stored it first:
		// then ON CONFLICT DO NOTHING inserts nothing (on PostgreSQL after waiting for
		// that transaction to end), and no failed statement aborts this transaction.
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "notification_id"}}, DoNothing: true}).Create(&row)
		if res.Error != nil {
			return fmt.Errorf("store notification: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			stored, err := countDelivery(tx, n.ID(), now)
			if err != nil {
				return err
			}
			answer, err = s.storedAnswer(stored, n, log)
			return err
		}

		var a trustly.Answer
		if order == nil {
			a = s.applyUnknownOrder(n, log)
		} else {
			log = log.With("order_id", order.ID, "message_id", order.MessageID, "player_id", order.PlayerID)
			before := *order
			if a, err = s.apply(ctx, tx, n, order, now, log); err != nil {
				return fmt.Errorf("apply to order %d: %w", order.ID, err)
			}
			if order.TrustlyOrderID == "" {
				order.TrustlyOrderID = n.OrderID()
			}
			order.Refresh()
			if err := saveChanges(tx, &before, order); err != nil {
				return fmt.Errorf("save order %d: %w", order.ID, err)
			}
			if order.Flag != before.Flag {
				log.Warn("order flagged", "flag", order.Flag)
			}
		}
		answer = likelyBytes
		if a != likely {
			if answer, err = trustly.EncodeAnswer(s.merchantKey, n.Method, n.UUID, a); err != nil {
				return fmt.Errorf("sign answer: %w", err)
			}
			err = tx.Model(&row).Updates(map[string]any{"answer": string(answer), "status": a.Status}).Error
			if err != nil {
				return fmt.Errorf("store answer: %w", err)
			}
		}
		if order != nil {
			log.Info("notification applied", "status", order.Status, "answer", a.Status)
		}
		return nil
	})
	if err != nil {
		log.Error("notification not applied; Trustly will deliver it again", "err", err)
		return nil, fmt.Errorf("notification %s %s: %w", n.Method, n.ID(), err)
	}
	return answer, nil
}

// redelivered answers a notification already stored, counting the delivery. It is
// the common case under Trustly's retries: one read, one UPDATE, no signing.
func (s *Service) redelivered(ctx context.Context, n *trustly.Notification, log *slog.Logger) ([]byte, bool, error) {
	// A read first: a new notification then costs no extra write.
	var seen int64
	if err := s.db.WithContext(ctx).Model(&models.Notification{}).Where("notification_id = ?", n.ID()).Count(&seen).Error; err != nil {
		return nil, false, fmt.Errorf("notification %s: %w", n.ID(), err)
	}
	if seen == 0 {
		return nil, false, nil
	}
	var stored models.Notification
	err := writeTx(ctx, s.db, func(tx *gorm.DB) (err error) {
		stored, err = countDelivery(tx, n.ID(), s.now().UTC())
		return err
	})
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("notification %s: %w", n.ID(), err)
	}
	answer, err := s.storedAnswer(stored, n, log)
	return answer, err == nil, err
}

// countDelivery adds one to a stored notification's deliveries and returns it, or
// gorm.ErrRecordNotFound when it is not stored.
func countDelivery(db *gorm.DB, notificationID string, now time.Time) (models.Notification, error) {
	res := db.Model(&models.Notification{}).Where("notification_id = ?", notificationID).
		Updates(map[string]any{"deliveries": gorm.Expr("deliveries + 1"), "last_delivery_at": now})
	if res.Error != nil {
		return models.Notification{}, fmt.Errorf("count delivery: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Notification{}, gorm.ErrRecordNotFound
	}
	var stored models.Notification
	if err := db.Where("notification_id = ?", notificationID).Take(&stored).Error; err != nil {
		return models.Notification{}, fmt.Errorf("read stored notification: %w", err)
	}
	return stored, nil
}

// storedAnswer is the answer for a redelivery: the first answer's bytes, or its
// status signed for this delivery's uuid and method when they differ.
func (s *Service) storedAnswer(stored models.Notification, n *trustly.Notification, log *slog.Logger) ([]byte, error) {
	if stored.UUID == n.UUID && stored.Method == n.Method && stored.Answer != "" {
		log.Debug("notification redelivered", "deliveries", stored.Deliveries)
		return []byte(stored.Answer), nil
	}
	log.Info("notification redelivered with another uuid or method; answering the stored status afresh",
		"stored_uuid", stored.UUID, "stored_method", stored.Method, "uuid", n.UUID, "status", stored.Status)
	answer, err := trustly.EncodeAnswer(s.merchantKey, n.Method, n.UUID, trustly.Answer{Status: stored.Status})
	if err != nil {
		return nil, fmt.Errorf("notification %s: sign stored answer: %w", n.ID(), err)
	}
	return answer, nil
}

// lockOrder finds and locks the order a notification is about: by Trustly's
// orderid, or by our messageid while we do not know Trustly's orderid yet (the
// Deposit call timed out, or a notification overtook its result). It returns nil
// for an order we do not know.
func lockOrder(tx *gorm.DB, n *trustly.Notification, log *slog.Logger) (*models.Order, error) {
	var order models.Order
	if err := forUpdate(tx).Where("trustly_order_id = ?", n.OrderID()).Limit(1).Find(&order).Error; err != nil {
		return nil, fmt.Errorf("find order: %w", err)
	}
	if order.ID != 0 {
		return &order, nil
	}
	mid := messageID(n)
	if mid == "" {
		return nil, nil
	}
	if err := forUpdate(tx).Where("message_id = ?", mid).Limit(1).Find(&order).Error; err != nil {
		return nil, fmt.Errorf("find order: %w", err)
	}
	switch {
	case order.ID == 0:
		return nil, nil
	case order.TrustlyOrderID != "" && order.TrustlyOrderID != n.OrderID():
		log.Error("alert: notification names our messageid with another Trustly orderid; kept as unknown",
			"message_id", mid, "order_id", order.ID, "order_trustly_order_id", order.TrustlyOrderID)
		return nil, nil
	}
	return &order, nil
}

func messageID(n *trustly.Notification) string {
	switch d := n.Data.(type) {
	case *trustly.TransferData:
		return d.MessageID
	case *trustly.CancelData:
		return d.MessageID
	case *trustly.AccountData:
		return d.MessageID
	case *trustly.PayoutData:
		return d.MessageID
	case *trustly.KYCData:
		return d.MessageID
	case *trustly.UnknownData:
		return d.MessageID
	}
	return ""
}

// applyUnknownOrder answers a notification for an order we do not know. It is kept
// (OrderID nil) for reconciliation. A debit is answered FAILED, since we could not
// take anything back (API.md §5.3); a kyc FINISH; everything else OK, so Trustly
// stops retrying.
func (s *Service) applyUnknownOrder(n *trustly.Notification, log *slog.Logger) trustly.Answer {
	switch n.Method {
	case trustly.MethodDebit:
		log.Error("alert: debit for an unknown order answered FAILED")
		return trustly.Answer{Status: trustly.StatusFailed}
	case trustly.MethodKYC:
		log.Warn("kyc for an unknown order answered FINISH")
		return trustly.Answer{Status: trustly.StatusFinish}
	}
	log.Warn("alert: notification for an unknown order kept for reconciliation")
	return trustly.Answer{Status: trustly.StatusOK}
}

// apply carries out one notification on a locked order and says how to answer it.
// It sets the order's applied-event timestamps and flags; the caller refreshes the
// status and saves. An error rolls everything back and withholds the answer.
func (s *Service) apply(ctx context.Context, tx *gorm.DB, n *trustly.Notification, order *models.Order, now time.Time, log *slog.Logger) (trustly.Answer, error) {
	ok := trustly.Answer{Status: trustly.StatusOK}
	switch d := n.Data.(type) {
	case *trustly.AccountData:
		return ok, s.saveAccount(tx, order, d, now)
	case *trustly.KYCData:
		// Pay N Play is not built yet: nothing may start a deposit with RequestKYC,
		// so a kyc is unexpected. FINISH stops the player and Trustly sends a cancel.
		log.Warn("kyc notification answered FINISH: Pay N Play is not enabled")
		return trustly.Answer{Status: trustly.StatusFinish}, nil
	case *trustly.UnknownData:
		log.Warn("alert: unknown notification method stored and answered OK")
		return ok, nil
	}
	switch order.Kind {
	case models.OrderDeposit:
		return s.applyDeposit(ctx, tx, n, order, now, log)
	case models.OrderPayout:
		// payout.go: payoutconfirmation, payoutfailed, and the credit or cancel that
		// returns a payout's money.
		return s.applyPayout(ctx, tx, n, order, now, log)
	case models.OrderSelectAccount:
		if n.Method == trustly.MethodCancel {
			setOnce(&order.CancelledAt, now)
			return ok, nil
		}
	}
	order.AddFlag(fmt.Sprintf("unexpected %s notification for a %s order", n.Method, order.Kind))
	return ok, nil
}

// applyDeposit applies pending, credit, debit and cancel to a deposit (API.md §5.3).
func (s *Service) applyDeposit(ctx context.Context, tx *gorm.DB, n *trustly.Notification, order *models.Order, now time.Time, log *slog.Logger) (trustly.Answer, error) {
	ok := trustly.Answer{Status: trustly.StatusOK}
	switch d := n.Data.(type) {
	case *trustly.CancelData:
		// Nothing is booked: a cancel before any credit fails the order; after a
		// credit it is flagged (Refresh) and the credit stands.
		setOnce(&order.CancelledAt, now)
		return ok, nil
	case *trustly.TransferData:
		switch n.Method {
		case trustly.MethodPending:
			// No money yet. After a credit it changes nothing but the record.
			setOnce(&order.PendingAt, now)
			return ok, nil
		case trustly.MethodCredit:
			return ok, s.creditDeposit(ctx, tx, d, order, now, log)
		case trustly.MethodDebit:
			return ok, s.debitDeposit(ctx, tx, d, order, now, log)
		}
	}
	order.AddFlag(fmt.Sprintf("unexpected %s notification for a deposit order", n.Method))
	return ok, nil
}

// transferAmount reads the amount of a credit or a debit (event): positive, in at
// most two decimals. One that cannot be read is an error, so nothing is stored and
// Trustly delivers it again, which keeps the money visible until someone fixes it.
func transferAmount(event string, d *trustly.TransferData) (models.Money, error) {
	amount, err := models.ParseDecimal(d.Amount, d.Currency)
	if err == nil && !amount.Positive() {
		err = models.ErrBadAmount
	}
	if err != nil {
		return models.Money{}, fmt.Errorf("%s amount %q %s: %w", event, d.Amount, d.Currency, err)
	}
	return amount, nil
}

// creditDeposit books a deposit's credit once: clearing → wallet, as much as
// Trustly says. Trustly may send the credit before the pending, after a cancel, or
// twice; the order's CreditedAt catches a second, different credit notification,
// which is flagged and not booked (a redelivery of the same one never gets here).
// An amount or currency other than the order's is booked as Trustly says and
// flagged. An amount that cannot be read is an error: nothing is stored and Trustly
// retries, which keeps the money visible until someone fixes it.
func (s *Service) creditDeposit(ctx context.Context, tx *gorm.DB, d *trustly.TransferData, order *models.Order, now time.Time, log *slog.Logger) error {
	if order.CreditedAt != nil {
		order.AddFlag("more than one credit notification: only the first was booked")
		log.Error("alert: second credit notification for a credited deposit; not booked", "amount", d.Amount, "currency", d.Currency)
		return nil
	}
	amount, err := transferAmount("credit", d)
	if err != nil {
		return err
	}
	t := models.Move(order.Reference("credit"), "Deposit via Trustly", models.TrustlyClearing, models.PlayerWallet(order.PlayerID), amount)
	if _, err := ledger.New(tx).Post(ctx, t); err != nil {
		return err
	}
	if amount != order.Amount {
		order.AddFlag(fmt.Sprintf("credit of %s differs from the order's %s: booked as credited", amount, order.Amount))
	}
	setOnce(&order.CreditedAt, now)
	return nil
}

// debitDeposit takes back a deposit that did not settle: wallet → clearing, even
// into a negative balance, which blocks the player's deposits and payouts until it
// is settled (Blocked). We answer OK because we did take it back; only a debit for
// an unknown order is answered FAILED. A debit that arrives before its credit is
// booked all the same, and the credit, when it comes, evens it out.
func (s *Service) debitDeposit(ctx context.Context, tx *gorm.DB, d *trustly.TransferData, order *models.Order, now time.Time, log *slog.Logger) error {
	if order.DebitedAt != nil {
		order.AddFlag("more than one debit notification: only the first was booked")
		log.Error("alert: second debit notification for a debited deposit; not booked", "amount", d.Amount, "currency", d.Currency)
		return nil
	}
	amount, err := transferAmount("debit", d)
	if err != nil {
		return err
	}
	t := models.Move(order.Reference("debit"), "Deposit returned by the bank", models.PlayerWallet(order.PlayerID), models.TrustlyClearing, amount)
	t.AllowOverdraft = true
	if _, err := ledger.New(tx).Post(ctx, t); err != nil {
		return err
	}
	if amount != order.Amount {
		order.AddFlag(fmt.Sprintf("debit of %s differs from the order's %s: booked as debited", amount, order.Amount))
	}
	setOnce(&order.DebitedAt, now)
	log.Warn("deposit debited: the bank did not settle it; the player may be blocked", "amount", amount.String())
	return nil
}

// saveAccount records the bank account of an account notification for the order's
// player. A known account keeps its source and removal mark, becomes verified once
// any notification says so, and takes any non-empty attribute that changed, so the
// result does not depend on which of two notifications came first except for
// conflicting attribute values.
func (s *Service) saveAccount(tx *gorm.DB, order *models.Order, d *trustly.AccountData, now time.Time) error {
	source := models.AccountFromDeposit
	if order.Kind == models.OrderSelectAccount {
		source = models.AccountFromSelectAccount
	}
	a := models.BankAccount{PlayerID: order.PlayerID, AccountID: d.AccountID, Verified: d.Verified, Source: source,
		Bank: d.Attributes["bank"], Descriptor: d.Attributes["descriptor"], LastDigits: d.Attributes["lastdigits"],
		ClearingHouse: d.Attributes["clearinghouse"], CreatedAt: now, UpdatedAt: now}
	err := tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "player_id"}, {Name: "account_id"}},
		DoUpdates: clause.Assignments(map[string]any{
			"bank": keepNonEmpty("bank"), "descriptor": keepNonEmpty("descriptor"), "last_digits": keepNonEmpty("last_digits"),
			"clearing_house": keepNonEmpty("clearing_house"),
			"verified":       gorm.Expr("bank_accounts.verified OR excluded.verified"),
			"updated_at":     now,
		}),
	}).Create(&a).Error
	if err != nil {
		return fmt.Errorf("save bank account: %w", err)
	}
	return nil
}

// keepNonEmpty is the ON CONFLICT update of a bank_accounts column that takes the
// new value unless it is empty.
func keepNonEmpty(col string) clause.Expr {
	return gorm.Expr(fmt.Sprintf("COALESCE(NULLIF(excluded.%[1]s, ''), bank_accounts.%[1]s)", col))
}

// setOnce records the first time an event was applied and keeps it afterwards.
func setOnce(at **time.Time, now time.Time) {
	if *at == nil {
		t := now
		*at = &t
	}
}
