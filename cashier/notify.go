package cashier

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"github.com/trustly-cashier/cashier/internal/failpoint"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrBadNotification means a body is not a notification signed with Trustly's key:
// unreadable, unsigned, tampered with, signed by someone else, or with data that
// does not fit its method (trustly.ErrBadData, such as a reshaped copy of a genuine
// notification), or it is ErrNotificationConflict. It must get no signed answer
// (API.md §5.1).
var ErrBadNotification = errors.New("not a valid Trustly notification")

// ErrNotificationConflict means a notification came under a notificationid already
// stored, with other data: not a redelivery (trustly.Notification.SameEvent). It is
// refused, and never answered from storage, so a copy delivered first cannot make
// the genuine one look applied; the stored notification and its order are flagged
// for staff. It is returned wrapped in ErrBadNotification.
var ErrNotificationConflict = errors.New("another notification under a known notificationid")

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
// IMMEDIATE and this process's writer, store.WriteLock), so any arrival order ends in the same balance and order
// state: see models.Order.Refresh for how the status follows from what was applied.
// On SQLite, notifications arriving together are committed together (writeTx), each
// in its own savepoint, so each is still applied all or nothing, and its answer is
// returned only once the commit is on disk.
//
// A redelivery gets the stored answer byte for byte. Whether Trustly keeps the uuid
// on a redelivery is unknown (API.md §6.2), so one that comes with another uuid
// gets the stored answer (its status, and a kyc's limit) signed afresh for its
// own uuid (storedAnswer). A redelivery carries the same method and data as the
// stored body (trustly.Notification.SameEvent); any other body under a stored
// notificationid fails with ErrNotificationConflict.
//
// A kyc (Pay N Play) is answered with its decision (paynplay.Rules.Decide), taken
// before the write transaction because the self-exclusion register is a network
// call, and signed with it; the transaction checks that what the decision read is
// unchanged, or decides again (errKYCStale). See applyKYC.
//
// A body that does not verify or does not fit its method's schema fails with
// ErrBadNotification, and nothing was applied; one that verified but does not fit
// (trustly.ErrBadData: a reshaped copy of a genuine one, say) is stored raw for
// staff apart from the notifications (keepRefused), with an alert naming it. Any other error means nothing was
// written and no answer must be sent, so Trustly delivers it again.
//
// Each notification is counted in the service's Metrics by method, outcome and
// latency. Its log lines carry its notification_id and, when ctx has one
// (staff.WithRequestID), the request_id of the request that brought it.
func (s *Service) HandleNotification(ctx context.Context, raw []byte) (answer []byte, err error) {
	start, method, outcome := time.Now(), "unverified", "applied"
	defer func() { s.metrics.Notification(method, notificationOutcome(outcome, err), time.Since(start)) }()
	n, err := trustly.ParseNotification(raw, s.trustlyKey)
	if err != nil {
		if errors.Is(err, trustly.ErrBadData) { // verified, and refused for its shape
			s.keepRefused(ctx, raw, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrBadNotification, err)
	}
	method = n.Method
	ctx, done := expectWrite(ctx, s.db)
	defer done()
	// One With: each makes a logger and a handler, which formats its attributes.
	attrs := make([]any, 0, 8)
	attrs = append(attrs, "notification_id", n.ID(), "method", n.Method, "trustly_order_id", n.OrderID())
	// The request's id joins these lines to the request line of the POST that
	// brought the notification (handlers' logRequests), which names no notification.
	if id := staff.RequestID(ctx); id != "" {
		attrs = append(attrs, "request_id", id)
	}
	log := s.log.With(attrs...)
	log.Debug("notification received")
	if answer, ok, err := s.redelivered(ctx, n, log); err != nil || ok {
		if ok {
			outcome = "redelivered"
			s.metrics.Retry("notification")
		}
		return answer, err
	}
	for try := 1; ; try++ {
		answer, err := s.handleNew(ctx, n, raw, log)
		if errors.Is(err, errKYCStale) && try < kycTries {
			log.Info("kyc decision taken again: the order or the identity's player changed meanwhile", "try", try)
			continue
		}
		return answer, err
	}
}

// handleNew applies a notification not stored yet, for HandleNotification. A kyc is
// decided first, outside the write lock (prepareKYC); errKYCStale means that
// decision went stale before its transaction and nothing was written.
func (s *Service) handleNew(ctx context.Context, n *trustly.Notification, raw []byte, log *slog.Logger) ([]byte, error) {
	// Sign the likely answer before taking the write lock: RSA signing costs about a
	// millisecond, which inside the lock would hold up every other notification on
	// SQLite. The rare other outcome (FAILED for a debit we cannot book) is signed
	// inside. A kyc's answer is its decision, taken here.
	likely := trustly.Answer{Status: trustly.StatusOK}
	var prep *kycPrep
	if d, ok := n.Data.(*trustly.KYCData); ok {
		var err error
		if prep, err = s.prepareKYC(ctx, n, d); err != nil {
			log.Error("kyc not decided; Trustly will deliver it again", "err", err)
			return nil, fmt.Errorf("notification %s %s: decide: %w", n.Method, n.ID(), err)
		}
		likely = prep.answer()
	}
	likelyBytes, err := trustly.EncodeAnswer(s.merchantKey, n.Method, n.UUID, likely)
	if err != nil {
		return nil, fmt.Errorf("notification %s: sign answer: %w", n.ID(), err)
	}

	var answer []byte
	conflict := false
	// applied logs the notification's one info line, once its transaction is
	// committed: the money event of a credit, debit, payout or refund notification.
	var applied func()
	err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
		applied = nil
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
		stored, err := insertNotification(tx, &row)
		if err != nil {
			return fmt.Errorf("store notification: %w", err)
		}
		if !stored {
			var stored models.Notification
			if err := tx.Where("notification_id = ?", n.ID()).Take(&stored).Error; err != nil {
				return fmt.Errorf("read stored notification: %w", err)
			}
			answer, conflict, err = s.known(tx, n, stored, now, log)
			return err
		}

		var a trustly.Answer
		if order == nil {
			a = s.applyUnknownOrder(n, log)
		} else {
			log = orderLog(log, order)
			before := *order
			if a, err = s.apply(ctx, tx, n, order, prep, now, log); err != nil {
				return fmt.Errorf("apply to order %d: %w", order.ID, err)
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
			// The kinds, not the text: a flag's text can name the account holder.
			if kinds := order.FlagsAdded(); len(kinds) > 0 {
				log.Warn("order flagged", "flags", kinds)
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
			olog, status := log, order.Status
			applied = func() { olog.Info("notification applied", "status", status, "answer", a.Status) }
		}
		failpoint.Hit("notify.before_commit")
		return nil
	})
	if errors.Is(err, errKYCStale) {
		return nil, err
	}
	if err != nil {
		log.Error("notification not applied; Trustly will deliver it again", "err", err)
		return nil, fmt.Errorf("notification %s %s: %w", n.Method, n.ID(), err)
	}
	failpoint.Hit("notify.after_commit")
	if conflict {
		return nil, fmt.Errorf("%w: %w: %s %s", ErrBadNotification, ErrNotificationConflict, n.Method, n.ID())
	}
	if applied != nil {
		applied()
	}
	return answer, nil
}

// insertNotification stores row unless a notification with its NotificationID is
// stored already, and reports whether it stored it. It is the notification path's
// one insert, in SQL of its own (store/raw) rather than through GORM's Create.
func insertNotification(tx *gorm.DB, row *models.Notification) (bool, error) {
	err := raw.QueryRow(tx.Statement.Context, tx, `INSERT INTO notifications (notification_id, method, uuid, trustly_order_id, order_id, raw,
		answer, status, deliveries, flag, received_at, last_delivery_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (notification_id) DO NOTHING RETURNING id`,
		[]any{row.NotificationID, row.Method, row.UUID, row.TrustlyOrderID, row.OrderID, row.Raw,
			row.Answer, row.Status, row.Deliveries, row.Flag, row.ReceivedAt, row.LastDeliveryAt}, &row.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// redelivered answers a notification already stored, counting the delivery, or
// refuses another body under its notificationid (ErrNotificationConflict). It is
// the common case under Trustly's retries: one read, then one UPDATE, no signing.
func (s *Service) redelivered(ctx context.Context, n *trustly.Notification, log *slog.Logger) ([]byte, bool, error) {
	// A read first: a new notification then costs no extra write. Whether it is
	// stored is one indexed lookup of our own (store/raw); a stored one is read
	// whole by the UPDATE that counts its delivery (countDelivery).
	var id int64
	err := raw.QueryRow(ctx, s.db, "SELECT id FROM notifications WHERE notification_id = ?", []any{n.ID()}, &id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("notification %s: %w", n.ID(), err)
	}
	var answer []byte
	var stored models.Notification
	now := s.now().UTC()
	err = writeTx(ctx, s.db, func(tx *gorm.DB) (err error) {
		if stored, err = countDelivery(tx, id, now); err != nil {
			return fmt.Errorf("count delivery: %w", err)
		}
		if !n.SameEvent([]byte(stored.Raw)) {
			return errNotRedelivery // the count rolled back; flagged below
		}
		answer, err = s.storedAnswer(stored, n, log)
		return err
	})
	conflict := false
	if errors.Is(err, errNotRedelivery) {
		stored.Deliveries--
		err = writeTx(ctx, s.db, func(tx *gorm.DB) (err error) {
			answer, conflict, err = s.known(tx, n, stored, now, log)
			return err
		})
	}
	failpoint.Hit("notify.redelivered")
	switch {
	case err != nil:
		return nil, false, fmt.Errorf("notification %s: %w", n.ID(), err)
	case conflict:
		return nil, false, fmt.Errorf("%w: %w: %s %s", ErrBadNotification, ErrNotificationConflict, n.Method, n.ID())
	}
	return answer, true, nil
}

// errNotRedelivery rolls back the delivery redelivered counted for a body that is
// not a redelivery of the stored one; it never leaves redelivered.
var errNotRedelivery = errors.New("another body under a stored notificationid")

// countDelivery counts one more delivery of the stored notification id and
// returns what known and storedAnswer read of it (not its flag nor its times):
// one UPDATE … RETURNING (SQLite and PostgreSQL both have it), where reading it
// and then updating it took two statements.
func countDelivery(tx *gorm.DB, id int64, now time.Time) (models.Notification, error) {
	var n models.Notification
	err := raw.QueryRow(tx.Statement.Context, tx, `UPDATE notifications SET deliveries = deliveries + 1, last_delivery_at = ?
		WHERE id = ? RETURNING id, method, uuid, trustly_order_id, order_id, raw, answer, status, deliveries`,
		[]any{now, id}, &n.ID, &n.Method, &n.UUID, &n.TrustlyOrderID, &n.OrderID, &n.Raw, &n.Answer, &n.Status, &n.Deliveries)
	return n, err
}

// known handles a notification whose notificationid is stored already. A
// redelivery (the same method and data, see trustly.Notification.SameEvent) counts
// one more delivery and gets the stored answer. Another body is not applied and not
// answered: known flags the stored notification and its order, raises an alert and
// reports the conflict, and the caller commits the flags and refuses the body.
func (s *Service) known(tx *gorm.DB, n *trustly.Notification, stored models.Notification, now time.Time, log *slog.Logger) ([]byte, bool, error) {
	if n.SameEvent([]byte(stored.Raw)) {
		res := tx.Model(&models.Notification{}).Where("id = ?", stored.ID).
			Updates(map[string]any{"deliveries": gorm.Expr("deliveries + 1"), "last_delivery_at": now})
		if res.Error != nil {
			return nil, false, fmt.Errorf("count delivery: %w", res.Error)
		}
		stored.Deliveries++
		answer, err := s.storedAnswer(stored, n, log)
		return answer, false, err
	}
	// The order first, as HandleNotification locks them, so that the two cannot
	// deadlock on PostgreSQL.
	if stored.OrderID != nil {
		var order models.Order
		if err := forUpdate(tx).Where("id = ?", *stored.OrderID).Take(&order).Error; err != nil {
			return nil, false, fmt.Errorf("flag order %d: %w", *stored.OrderID, err)
		}
		order.AddFlag(models.FlagKindRedeliveryDiffers, fmt.Sprintf("notification %s came again with other data: refused, not applied", n.ID()))
		if err := tx.Model(&order).Update("flag", order.Flag).Error; err != nil {
			return nil, false, fmt.Errorf("flag order %d: %w", order.ID, err)
		}
		log = log.With("order_id", order.ID)
	}
	flag := fmt.Sprintf("another %s notification with other data came under this notificationid: refused", n.Method)
	if err := tx.Model(&models.Notification{}).Where("id = ?", stored.ID).Update("flag", flag).Error; err != nil {
		return nil, false, fmt.Errorf("flag notification: %w", err)
	}
	log.Error("alert: another body under a known notificationid refused; it is not a redelivery",
		"stored_method", stored.Method, "stored_uuid", stored.UUID, "stored_trustly_order_id", stored.TrustlyOrderID, "uuid", n.UUID)
	return nil, true, nil
}

// storedAnswer is the answer for a redelivery: the first answer's bytes, or, when
// this delivery's uuid differs, the first answer's data signed for it: its status
// and, for a kyc CONTINUE, its limit, without which Trustly's checkout would take
// the whole amount past the deposit limits the first answer capped it at. Only a
// stored answer that cannot be read gives its status alone.
func (s *Service) storedAnswer(stored models.Notification, n *trustly.Notification, log *slog.Logger) ([]byte, error) {
	if stored.UUID == n.UUID && stored.Method == n.Method && stored.Answer != "" {
		log.Debug("notification redelivered", "deliveries", stored.Deliveries)
		return []byte(stored.Answer), nil
	}
	a, err := trustly.DecodeAnswer([]byte(stored.Answer), stored.Method, stored.UUID)
	if err != nil || a.Status != stored.Status {
		log.Warn("stored answer unreadable; answering its status alone", "err", err)
		a = trustly.Answer{Status: stored.Status}
	}
	log.Info("notification redelivered with another uuid; answering the stored answer afresh",
		"stored_uuid", stored.UUID, "uuid", n.UUID, "status", a.Status, "limit", a.Limit)
	answer, err := trustly.EncodeAnswer(s.merchantKey, n.Method, n.UUID, a)
	if err != nil {
		return nil, fmt.Errorf("notification %s: sign stored answer: %w", n.ID(), err)
	}
	return answer, nil
}

// orderLog is log with the attributes of the order a notification is applied
// to: order_id, message_id and its player_id once it has a player. A Pay N Play
// order has none before its kyc, whose lines name the player it gets
// (applyKYC): a key logged twice in a line is one value too many for the text
// format and a line some collectors drop in JSON.
func orderLog(log *slog.Logger, order *models.Order) *slog.Logger {
	if order.PlayerID != 0 {
		return log.With("order_id", order.ID, "message_id", order.MessageID, "player_id", order.PlayerID)
	}
	return log.With("order_id", order.ID, "message_id", order.MessageID)
}

// lockOrder finds and locks the order a notification is about: by Trustly's
// orderid, or by our messageid while we do not know Trustly's orderid yet (the
// Deposit call timed out, or a notification overtook its result). It returns nil
// for an order we do not know. A notification naming our messageid with another
// Trustly orderid than the order's, or an order's Trustly orderid with another
// messageid than the order's (a refund's notifications name its deposit's), is not
// known to be about that order: it is kept as unknown, and the order is flagged for
// staff.
func lockOrder(tx *gorm.DB, n *trustly.Notification, log *slog.Logger) (*models.Order, error) {
	var order models.Order
	// Every notification reads its order: a statement of our own (store/raw).
	found, err := raw.Take(tx.Statement.Context, tx, &order, "trustly_order_id = ? LIMIT 1"+forUpdateSQL(tx), n.OrderID())
	if err != nil {
		return nil, fmt.Errorf("find order: %w", err)
	}
	mid := n.MessageID()
	switch {
	case found && mid != "" && mid != order.MessageID:
		// Trustly's orderid names this order and our messageid another one (or none
		// of ours): the notification is about one of them, and nothing says which,
		// so it books on neither. The order of the orderid is locked and flagged.
		log.Error("alert: notification names an order's Trustly orderid with another messageid; kept as unknown",
			"message_id", mid, "order_id", order.ID, "order_message_id", order.MessageID)
		order.AddFlag(models.FlagKindOtherMessageID, fmt.Sprintf("a %s notification named this order's Trustly orderid with messageid %.64q: kept as unknown, not applied",
			n.Method, mid))
		if err := tx.Model(&order).Update("flag", order.Flag).Error; err != nil {
			return nil, fmt.Errorf("flag order %d: %w", order.ID, err)
		}
		return nil, nil
	case found:
		return &order, nil
	}
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
		order.AddFlag(models.FlagKindOtherOrderID, fmt.Sprintf("a %s notification named this order's messageid with Trustly orderid %s: kept as unknown, not applied",
			n.Method, n.OrderID()))
		if err := tx.Model(&order).Update("flag", order.Flag).Error; err != nil {
			return nil, fmt.Errorf("flag order %d: %w", order.ID, err)
		}
		return nil, nil
	}
	return &order, nil
}

// learnsOrderID reports whether order, as it was when notification n came, takes
// n's orderid as Trustly's: while it has none, unless it is a payout never sent
// to Trustly (neverSent: awaiting approval, denied, cancelled) or whose call
// Trustly refused (refusedCall; applyPayout applies nothing to either),
// or n is of a method Trustly never sends for an order of its kind (sentFor), or
// names another currency than the order's, another amount than a payout's in a
// payoutconfirmation or payoutfailed, or another player's enduserid (it is
// not about this order, and Trustly's genuine notifications under the real
// orderid must still find it).
func learnsOrderID(tx *gorm.DB, order models.Order, n *trustly.Notification) (bool, error) {
	if order.TrustlyOrderID != "" || neverSent(&order) || refusedCall(&order) || !sentFor(order, n.Method) {
		return false, nil
	}
	if c := currencyOf(n); c != "" && c != order.Amount.Currency {
		return false, nil // flagged and not booked as on any order: not about this one either
	}
	if d, ok := n.Data.(*trustly.PayoutData); ok && order.Kind == models.OrderPayout && otherPayoutAmount(d, &order) {
		return false, nil // not the payout's word (applyPayout): not about it either
	}
	endUserID := n.EndUserID()
	if endUserID == "" { // account notifications name none
		return true, nil
	}
	why, err := otherEndUser(tx, n.Method, endUserID, &order)
	return err == nil && why == "", err
}

// sentFor reports whether Trustly sends notifications of method about an order
// like order before its orderid is known to us (API.md §5.2, §8): a deposit gets
// pending, credit, debit, cancel and account, and a kyc when it is Pay N Play; a
// payout payoutconfirmation, payoutfailed, credit and cancel; an account
// selection account and cancel. A refund's come under its deposit's orderid, which
// a deposit has before it can be refunded, and so does a return of held money.
func sentFor(order models.Order, method string) bool {
	switch order.Kind {
	case models.OrderDeposit:
		switch method {
		case trustly.MethodPending, trustly.MethodCredit, trustly.MethodDebit, trustly.MethodCancel, trustly.MethodAccount:
			return true
		case trustly.MethodKYC:
			return order.PayNPlay
		}
	case models.OrderPayout:
		switch method {
		case trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed, trustly.MethodCredit, trustly.MethodCancel:
			return true
		}
	case models.OrderSelectAccount:
		return method == trustly.MethodAccount || method == trustly.MethodCancel
	}
	return false
}

// currencyOf is the currency notification n names, "" for none.
func currencyOf(n *trustly.Notification) string {
	switch d := n.Data.(type) {
	case *trustly.TransferData:
		return d.Currency
	case *trustly.PayoutData:
		return d.Currency
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
//
// A kyc carries out prep, the decision HandleNotification took before the lock
// (applyKYC).
func (s *Service) apply(ctx context.Context, tx *gorm.DB, n *trustly.Notification, order *models.Order, prep *kycPrep, now time.Time, log *slog.Logger) (trustly.Answer, error) {
	ok := trustly.Answer{Status: trustly.StatusOK}
	switch d := n.Data.(type) {
	case *trustly.AccountData:
		if order.Kind != models.OrderDeposit && order.Kind != models.OrderSelectAccount {
			// Trustly sends account notifications for deposits and account
			// selections (API.md §5.4): one for a payout says nothing about where
			// the player's money came from, so no account is saved from it.
			order.AddFlag(models.FlagKindUnexpected, fmt.Sprintf("unexpected %s notification for a %s order", n.Method, order.Kind))
			log.Warn("account notification for a payout or refund; nothing saved", "account_id", d.AccountID)
			return ok, nil
		}
		if order.Kind == models.OrderDeposit && heldForKYC(order) {
			// A Pay N Play deposit's bank account is the player's only once its kyc
			// said CONTINUE, which saves it then (bookHeld); after FINISH the bank
			// identity was refused, and its account is never saved.
			log.Info("account of a Pay N Play deposit kept until its kyc says CONTINUE", "kyc", order.KYCOutcome)
			return ok, nil
		}
		saved, err := s.saveAccount(tx, log, order, d, now)
		if err != nil {
			return ok, err
		}
		if order.Kind == models.OrderSelectAccount && saved {
			// The selection is done: its account is saved (OrderAccountAdded). Set
			// once, by the first account notification; a redelivery, a second one
			// or one after the janitor abandoned the order leaves it as it is.
			setOnce(&order.AccountAddedAt, now)
		}
		if err := flagBankPersonOnBreak(ctx, tx, order, d, now, log); err != nil {
			return ok, err
		}
		return ok, s.accountHolderCheck(tx, order, d, log)
	case *trustly.KYCData:
		return s.applyKYC(ctx, tx, order, prep, now, log)
	case *trustly.UnknownData:
		log.Warn("alert: unknown notification method stored and answered OK")
		return ok, nil
	}
	switch order.Kind {
	case models.OrderDeposit:
		// refund.go: a refund's notifications come under its deposit's orderid.
		if a, handled, err := s.applyToRefund(ctx, tx, n, order, now, log); handled || err != nil {
			return a, err
		}
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
	order.AddFlag(models.FlagKindUnexpected, fmt.Sprintf("unexpected %s notification for a %s order", n.Method, order.Kind))
	return nothingTakenBack(n, ok), nil
}

// applyDeposit applies pending, credit, debit and cancel to a deposit (API.md §5.3).
func (s *Service) applyDeposit(ctx context.Context, tx *gorm.DB, n *trustly.Notification, order *models.Order, now time.Time, log *slog.Logger) (trustly.Answer, error) {
	ok := trustly.Answer{Status: trustly.StatusOK}
	switch d := n.Data.(type) {
	case *trustly.CancelData:
		// Nothing is booked: a cancel before any credit fails the order; after a
		// credit it is flagged (Refresh) and the credit stands. One naming another
		// player is not about this deposit: it is flagged and changes nothing.
		switch why, err := otherEndUser(tx, n.Method, d.EndUserID, order); {
		case err != nil:
			return ok, err
		case why != "":
			order.AddFlag(models.FlagKindNotForOrder, why+": not applied")
			log.Error("alert: cancel not applied", "why", why)
			return ok, nil
		}
		setOnce(&order.CancelledAt, now)
		return ok, nil
	case *trustly.TransferData:
		switch n.Method {
		case trustly.MethodPending:
			// No money yet. After a credit it changes nothing but the record. One
			// naming another player or in another currency is not about this
			// deposit: it is flagged and changes nothing.
			why, err := otherEndUser(tx, n.Method, d.EndUserID, order)
			switch {
			case err != nil:
				return ok, err
			case d.Currency != order.Amount.Currency:
				why = fmt.Sprintf("pending of %.32s %s on a %s deposit", d.Amount, d.Currency, order.Amount.Currency)
			}
			if why != "" {
				order.AddFlag(models.FlagKindNotForOrder, why+": not applied")
				log.Error("alert: pending not applied", "why", why, "amount", d.Amount, "currency", d.Currency)
				return ok, nil
			}
			setOnce(&order.PendingAt, now)
			return ok, nil
		case trustly.MethodCredit:
			return ok, s.creditDeposit(ctx, tx, d, order, now, log)
		case trustly.MethodDebit:
			return s.debitDeposit(ctx, tx, d, order, now, log)
		}
	}
	order.AddFlag(models.FlagKindUnexpected, fmt.Sprintf("unexpected %s notification for a deposit order", n.Method))
	return ok, nil
}

// transferAmount reads the amount of a credit or a debit (event): positive, in at
// most two decimals. The schema already refuses amounts that are not positive
// decimals (trustly.ErrBadData); one with more decimals than the currency has is an
// error, so nothing is stored and Trustly delivers it again, which keeps the money
// visible until someone fixes it.
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

// notForDeposit says why a credit or debit (event) of amount cannot be booked on
// a deposit, or "" when it can: it must be in the order's currency, since a wallet
// in another currency is one the player can neither see nor withdraw from, and it
// must name the order's player as enduserid, since the money came from, or goes
// back to, that player's bank.
func notForDeposit(tx *gorm.DB, event string, d *trustly.TransferData, amount models.Money, order *models.Order) (string, error) {
	if amount.Currency != order.Amount.Currency {
		return fmt.Sprintf("%s of %s %s on a %s deposit: not booked", event, amount, amount.Currency, order.Amount.Currency), nil
	}
	switch why, err := otherEndUser(tx, event, d.EndUserID, order); {
	case err != nil:
		return "", err
	case why != "":
		return why + ": not booked", nil
	}
	return "", nil
}

// otherEndUser says how a deposit's notification of event names another player
// than the order's, or "" when endUserID is what the Deposit sent.
func otherEndUser(tx *gorm.DB, event, endUserID string, order *models.Order) (string, error) {
	want := order.EndUserID
	if want == "" { // an order from before EndUserID was kept: its player's
		var player models.Player
		if err := tx.Select("id", "end_user_id").Where("id = ?", order.PlayerID).Take(&player).Error; err != nil {
			return "", fmt.Errorf("read player %d: %w", order.PlayerID, err)
		}
		want = player.EndUserID
	}
	if endUserID != want {
		return fmt.Sprintf("%s names enduserid %.64q, not the order's player", event, endUserID), nil
	}
	return "", nil
}

// creditDeposit applies a deposit's credit once. Trustly may send it before the
// pending, after a cancel, or twice; the order's CreditedAt (CreditHeldAt while
// held) catches a second, different credit notification, which is flagged and not
// booked (a redelivery of the same one never gets here). A credit in another
// currency or naming another enduserid is flagged and not booked (notForDeposit),
// and the order stays uncredited, so staff decide. An amount that cannot be read
// is an error: nothing is stored and Trustly retries, which keeps the money visible
// until someone fixes it.
//
// A Pay N Play credit before the kyc said CONTINUE is held (holdCredit), and the
// kyc books it (bookHeld); any other is booked now (bookCredit).
func (s *Service) creditDeposit(ctx context.Context, tx *gorm.DB, d *trustly.TransferData, order *models.Order, now time.Time, log *slog.Logger) error {
	if order.CreditedAt != nil || order.CreditHeldAt != nil {
		order.AddFlag(models.FlagKindRepeated, "more than one credit notification: only the first was booked")
		log.Error("alert: second credit notification for a credited deposit; not booked", "amount", d.Amount, "currency", d.Currency)
		return nil
	}
	amount, err := transferAmount("credit", d)
	if err != nil {
		return err
	}
	switch why, err := notForDeposit(tx, "credit", d, amount, order); {
	case err != nil:
		return err
	case why != "":
		order.AddFlag(models.FlagKindNotForOrder, why)
		log.Error("alert: credit not booked", "why", why, "amount", d.Amount, "currency", d.Currency)
		return nil
	case order.LoginOnly:
		// A Pay N Play login asked for no money: its kyc let the person in past a
		// break and without the deposit limits, so money on it is for staff to
		// return, never booked.
		order.AddFlag(models.FlagKindMoneyOnLogin, fmt.Sprintf("credit of %s %s on a Pay N Play login, which asked for no money: not booked, return it to the payer",
			amount, amount.Currency))
		log.Error("alert: credit on a Pay N Play login; not booked", "amount", amount.String())
		return nil
	}
	if heldForKYC(order) {
		holdCredit(d, amount, order, now, log)
		return nil
	}
	return s.bookCredit(ctx, tx, amount, order, now, log)
}

// heldForKYC reports whether a credit or debit for order waits for its kyc: a Pay
// N Play order books money only once its kyc said CONTINUE, which names the
// player whose wallet it is, and never after FINISH.
func heldForKYC(order *models.Order) bool {
	return order.PayNPlay && order.KYCOutcome != models.KYCContinue
}

// bookCredit books amount, a deposit's credit: clearing → wallet, as much as
// Trustly says. An amount other than the one asked (Order.Expected: the order's,
// or the lower limit its kyc answered CONTINUE with, which Trustly's checkout caps
// it at) is booked as Trustly says and flagged. A debit held for want of it is
// booked right after it (bookHeldDebit). A debit an older version booked before it
// that took more than it gives back the difference (returnDebitExcess).
func (s *Service) bookCredit(ctx context.Context, tx *gorm.DB, amount models.Money, order *models.Order, now time.Time, log *slog.Logger) error {
	if err := s.flagCreditPastLimit(ctx, tx, amount, order, now, log); err != nil {
		return err
	}
	t := models.Move(order.Reference("credit"), "Deposit via Trustly", models.TrustlyClearing, models.PlayerWallet(order.PlayerID), amount)
	if _, err := ledger.New(tx).Post(ctx, t); err != nil {
		return err
	}
	if amount != order.Expected() {
		order.AddFlag(models.FlagKindAmountDiffers, fmt.Sprintf("credit of %s differs from %s: booked as credited", amount, expectedText(order)))
	}
	order.CreditedMinor = amount.Minor
	setOnce(&order.CreditedAt, now)
	if err := s.returnDebitExcess(ctx, tx, amount, order, log); err != nil {
		return err
	}
	return s.bookHeldDebit(ctx, tx, order, now, log)
}

// bookHeldDebit books the debit order held for want of a credit (debitDeposit),
// once its credit is booked: the debit then takes back no more than that credit
// gave (bookDebit), and the deposit ends as when the debit came second.
func (s *Service) bookHeldDebit(ctx context.Context, tx *gorm.DB, order *models.Order, now time.Time, log *slog.Logger) error {
	if order.DebitHeldAt == nil || order.DebitedAt != nil {
		return nil
	}
	if order.PayNPlay {
		amount, err := s.heldAmount(tx, order, trustly.MethodDebit, order.HeldDebitID, log)
		if err != nil {
			return err
		}
		return s.bookDebit(ctx, tx, amount, order, now, log)
	}
	amount, err := s.heldNotification(tx, order, trustly.MethodDebit, order.HeldDebitID)
	if err != nil {
		return err
	}
	// notification_id is the credit's, which books it.
	log.Info("held debit booked with its credit", "held_notification_id", order.HeldDebitID)
	return s.bookDebit(ctx, tx, amount, order, now, log)
}

// flagCreditPastLimit checks the deposit limits again when a credit brings more
// than order counted against them (limits.Counts: more than its amount or its
// kyc's limit, or a late credit on a cancelled deposit): the money is booked all
// the same, as Trustly says, and a credit that takes the player past a limit is
// flagged so, for staff, with the period, the limit and what it counts then. What
// a debit booked before the credit took back never stays, so it is not counted.
func (s *Service) flagCreditPastLimit(ctx context.Context, tx *gorm.DB, amount models.Money, order *models.Order, now time.Time, log *slog.Logger) error {
	stays := amount.Minor - min(order.DebitedMinor, amount.Minor)
	if stays <= limits.Counts(*order) {
		return nil
	}
	var player models.Player
	if err := tx.Where("id = ?", order.PlayerID).Take(&player).Error; err != nil {
		return fmt.Errorf("read player %d of order %d: %w", order.PlayerID, order.ID, err)
	}
	ps, passed, err := s.limits.Passed(ctx, tx, player, *order, stays, now)
	if err != nil || !passed {
		return err
	}
	order.AddFlag(models.FlagKindPastDepositLimit, fmt.Sprintf("credit of %s %s passes the %s deposit limit of %s %s: %s %s counted in the period, review with the player",
		amount, amount.Currency, ps.Period.Adjective(), ps.Limit, ps.Limit.Currency, ps.Used, ps.Used.Currency))
	log.Error("alert: credit passes a deposit limit; booked", "amount", amount.String(), "period", string(ps.Period),
		"limit", ps.Limit.String(), "used", ps.Used.String())
	return nil
}

// expectedText names what a deposit's credit or debit is compared with, for a
// flag: "the order's 100.00", or for an order its kyc capped, "the kyc's limit of
// 1000.00 (the order asked 2000.00)".
func expectedText(order *models.Order) string {
	if want := order.Expected(); want != order.Amount {
		return fmt.Sprintf("the kyc's limit of %s (the order asked %s)", want, order.Amount)
	}
	return fmt.Sprintf("the order's %s", order.Amount)
}

// returnDebitExcess gives back what a debit booked before the credit took beyond
// that credit. Such a debit is one an older version booked, capped at the amount
// asked (Order.Expected); a debit before the credit is held now (debitDeposit).
// A smaller credit would leave the player owing money they never received. The transfer
// "deposit:<ID>:debit-excess" (clearing → wallet) and the flag make the deposit end
// as when the debit came second and was capped at the credit (bookDebit).
func (s *Service) returnDebitExcess(ctx context.Context, tx *gorm.DB, credit models.Money, order *models.Order, log *slog.Logger) error {
	if order.DebitedAt == nil {
		return nil
	}
	debited, err := walletEntry(tx, order, "debit")
	if err != nil {
		return err
	}
	debited.Minor = -debited.Minor
	if debited.Minor <= credit.Minor {
		return nil
	}
	excess := models.Money{Minor: debited.Minor - credit.Minor, Currency: credit.Currency}
	t := models.Move(order.Reference("debit-excess"), "Deposit returned by the bank: the part above its credit given back",
		models.TrustlyClearing, models.PlayerWallet(order.PlayerID), excess)
	if _, err := ledger.New(tx).Post(ctx, t); err != nil {
		return err
	}
	order.AddFlag(models.FlagKindDebitPastCredit, debitCapFlag(debited, credit))
	log.Error("alert: debit booked before a smaller credit; the difference given back", "debited", debited.String(),
		"credited", credit.String(), "given_back", excess.String())
	return nil
}

// debitCapFlag is the flag of a debit of debit that took back only the credited.
func debitCapFlag(debit, credited models.Money) string {
	return fmt.Sprintf("debit of %s %s is more than the %s %s credited: booked %s", debit, debit.Currency,
		credited, credited.Currency, credited)
}

// debitDeposit applies a deposit's debit, the bank taking back a deposit that did
// not settle, once; a second debit is flagged and not booked. We answer OK because
// we did take it back (bookDebit), or will book nothing of it: a debit that comes
// while no credit is booked yet, and a Pay N Play debit before the kyc said
// CONTINUE, is held (holdDebit), and the credit, when it comes, books it right
// after itself
// (bookCredit), so that no order of arrival ever leaves the player owing money
// the deposit never gave them, even for a moment: a debit and then a cancel (no
// credit ever) books nothing, and Refresh flags it for staff. A debit in another
// currency or naming another enduserid (notForDeposit) is flagged and not booked,
// and answered FAILED: we could not take it back (API.md §5.3).
func (s *Service) debitDeposit(ctx context.Context, tx *gorm.DB, d *trustly.TransferData, order *models.Order, now time.Time, log *slog.Logger) (trustly.Answer, error) {
	ok := trustly.Answer{Status: trustly.StatusOK}
	if order.DebitedAt != nil || order.DebitHeldAt != nil {
		order.AddFlag(models.FlagKindRepeated, "more than one debit notification: only the first was booked")
		log.Error("alert: second debit notification for a debited deposit; not booked", "amount", d.Amount, "currency", d.Currency)
		return ok, nil
	}
	amount, err := transferAmount("debit", d)
	if err != nil {
		return ok, err
	}
	switch why, err := notForDeposit(tx, "debit", d, amount, order); {
	case err != nil:
		return ok, err
	case why != "":
		order.AddFlag(models.FlagKindNotForOrder, why)
		log.Error("alert: debit not booked; answered FAILED", "why", why, "amount", d.Amount, "currency", d.Currency)
		return trustly.Answer{Status: trustly.StatusFailed}, nil
	case order.LoginOnly:
		// A Pay N Play login credited nothing, so there is nothing to take back:
		// FAILED says so to Trustly (API.md §5.3), whether or not its kyc came yet.
		order.AddFlag(models.FlagKindMoneyOnLogin, fmt.Sprintf("debit of %s %s on a Pay N Play login, which credited nothing: not booked, answered FAILED",
			amount, amount.Currency))
		log.Error("alert: debit on a Pay N Play login; not booked, answered FAILED", "amount", amount.String())
		return trustly.Answer{Status: trustly.StatusFailed}, nil
	}
	if heldForKYC(order) || order.CreditedAt == nil {
		holdDebit(d, amount, order, now, log)
		return ok, nil
	}
	return ok, s.bookDebit(ctx, tx, amount, order, now, log)
}

// bookDebit books amount, a deposit's debit: wallet → clearing, even into a
// negative balance (the player spent the credit), which blocks the player's
// deposits and payouts until it is settled (Blocked). It is called once the
// deposit's credit is booked: a debit that arrives before it is held until then
// (debitDeposit).
//
// It never takes more than the deposit gave: the credit booked. A larger debit
// books that much and is flagged, so staff settle the rest with the player; it
// invents no debt the player never received money for.
func (s *Service) bookDebit(ctx context.Context, tx *gorm.DB, amount models.Money, order *models.Order, now time.Time, log *slog.Logger) error {
	credited, err := creditedAmount(tx, order)
	if err != nil {
		return err
	}
	if credited.Minor == 0 {
		// A Pay N Play login's order has no amount and no credit: nothing was given,
		// so nothing is taken back, and the kyc that books it goes on.
		order.AddFlag(models.FlagKindDebitNoCredit, fmt.Sprintf("debit of %s %s for an order that credited nothing: not booked", amount, amount.Currency))
		log.Error("alert: debit for an order that credited nothing; not booked", "amount", amount.String())
		return nil
	}
	booked := amount
	if amount.Minor > credited.Minor {
		booked = credited
		order.AddFlag(models.FlagKindDebitPastCredit, debitCapFlag(amount, credited))
		log.Error("alert: debit larger than the deposit's credit; booked only the credit", "amount", amount.String(), "credited", credited.String())
	}
	t := models.Move(order.Reference("debit"), "Deposit returned by the bank", models.PlayerWallet(order.PlayerID), models.TrustlyClearing, booked)
	t.AllowOverdraft = true
	if _, err := ledger.New(tx).Post(ctx, t); err != nil {
		return err
	}
	if booked == amount && amount != order.Expected() {
		order.AddFlag(models.FlagKindAmountDiffers, fmt.Sprintf("debit of %s differs from %s: booked as debited", amount, expectedText(order)))
	}
	order.DebitedMinor = booked.Minor
	setOnce(&order.DebitedAt, now)
	log.Warn("deposit debited: the bank did not settle it; the player may be blocked", "amount", booked.String())
	return nil
}

// creditedAmount is what a deposit gave the player's wallet: its booked credit, or,
// while no credit is booked, the amount asked (Order.Expected: the order's, or its
// kyc's lower limit), which the credit is expected to be.
func creditedAmount(tx *gorm.DB, order *models.Order) (models.Money, error) {
	if order.CreditedAt == nil {
		return order.Expected(), nil
	}
	return walletEntry(tx, order, "credit")
}

// walletEntry is what the order's transfer for event ("credit", "debit") moved in
// (positive) or out of its player's wallet. The transfer must exist.
func walletEntry(tx *gorm.DB, order *models.Order, event string) (models.Money, error) {
	var minor []int64
	err := tx.Table("entries").Joins("JOIN transfers ON transfers.id = entries.transfer_id").
		Where("transfers.reference = ? AND entries.account = ?", order.Reference(event), models.PlayerWallet(order.PlayerID)).
		Pluck("entries.minor", &minor).Error
	if err != nil {
		return models.Money{}, fmt.Errorf("read the %s of order %d: %w", event, order.ID, err)
	}
	if len(minor) != 1 {
		return models.Money{}, fmt.Errorf("order %d has %d %s entries, want 1", order.ID, len(minor), event)
	}
	return models.Money{Minor: minor[0], Currency: order.Amount.Currency}, nil
}

// saveAccount records the bank account of an account notification for the order's
// player. A known account keeps its source and removal mark, becomes verified once
// any notification says so, and takes any non-empty attribute that changed, so the
// result does not depend on which of two notifications came first except for
// conflicting attribute values. A deposit's account the player removed stays
// removed, but an account selection's is the player asking for it: it is
// theirs again, as a typed account is (RegisterBankAccount).
//
// An order whose player is not known yet saves nothing; a Pay N Play deposit's
// account is not saved before its kyc said CONTINUE (apply), which saves it then
// (bookHeld). saved says whether an account was saved.
//
// The attributes are kept cut to their columns' sizes (models.BankAccount), as
// both databases then store them: PostgreSQL refuses a longer value, and the
// notification would never be answered. An accountid longer than its column
// cannot be cut, since a cut one would name another account to pay out to: the
// order is flagged and nothing is saved, with an alert on log: the logger of the
// notification being applied, which names it and its order.
func (s *Service) saveAccount(tx *gorm.DB, log *slog.Logger, order *models.Order, d *trustly.AccountData, now time.Time) (saved bool, err error) {
	if order.PlayerID == 0 {
		return false, nil
	}
	source := models.AccountFromDeposit
	if order.Kind == models.OrderSelectAccount {
		source = models.AccountFromSelectAccount
	}
	a := models.BankAccount{PlayerID: order.PlayerID, AccountID: d.AccountID, Verified: d.Verified, Source: source,
		Bank: d.Attributes["bank"], Descriptor: d.Attributes["descriptor"], LastDigits: d.Attributes["lastdigits"],
		ClearingHouse: d.Attributes["clearinghouse"], PersonID: bankPersonID(d), CreatedAt: now, UpdatedAt: now}
	if !a.Fit() {
		n := utf8.RuneCountInString(d.AccountID)
		order.AddFlag(models.FlagKindAccountIDTooLong, fmt.Sprintf("account notification with an accountid of %d characters, more than the %d kept: not saved", n, models.AccountIDSize))
		log.Error("alert: account notification's accountid too long to keep; not saved", "characters", n)
		return false, nil
	}
	updates := map[string]any{
		"bank": keepNonEmpty("bank"), "descriptor": keepNonEmpty("descriptor"), "last_digits": keepNonEmpty("last_digits"),
		"clearing_house": keepNonEmpty("clearing_house"), "person_id": keepNonEmpty("person_id"),
		"verified":   gorm.Expr("bank_accounts.verified OR excluded.verified"),
		"updated_at": now,
	}
	if order.Kind == models.OrderSelectAccount {
		updates["removed"] = false
	}
	err = tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "player_id"}, {Name: "account_id"}},
		DoUpdates: clause.Assignments(updates),
	}).Create(&a).Error
	if err != nil {
		return false, fmt.Errorf("save bank account: %w", err)
	}
	return true, nil
}

// bankPersonID is the person an account notification names as the account's
// holder (paynplay.AccountHolder of its personid); "" for none.
func bankPersonID(d *trustly.AccountData) string {
	return paynplay.AccountHolder(d.Attributes["personid"])
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
