package sandbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/trustly-cashier/cashier/trustly"
)

// Effect is what the sandbox does to its own books when a notification first goes
// out: the notification reports it, so both happen at the same moment.
type Effect string

const (
	EffectNone            Effect = ""
	EffectDepositCredit   Effect = "deposit-credit"   // merchant balance + amount
	EffectDepositDebit    Effect = "deposit-debit"    // merchant balance − amount (D1)
	EffectPayoutConfirmed Effect = "payout-confirmed" // transferstate CONFIRMED
	EffectPayoutFailed    Effect = "payout-failed"    // transferstate FAILED
	EffectPayoutReturned  Effect = "payout-returned"  // merchant balance + amount; RETURNED unless FAILED
)

// Transfer states GetWithdrawals reports (API.md §4.6).
const (
	TransferExecuting = "EXECUTING"
	TransferConfirmed = "CONFIRMED"
	TransferFailed    = "FAILED"
	TransferReturned  = "RETURNED"
)

// note is one notification to schedule: after is its offset from the order's start.
type note struct {
	method    string
	data      map[string]any
	after     time.Duration
	effect    Effect
	duplicate bool // deliver this exact notification a second time, later
}

// ErrWrongState means a checkout step does not fit where the order stands.
var ErrWrongState = errors.New("the order is not at that step")

// publicID is the orderid notifications carry: a refund reports on its deposit.
func (o *Order) publicID() string {
	if o.Kind == KindRefund {
		return o.ParentID
	}
	return o.ID
}

// loginOnly reports a Pay N Play Deposit that only logs the player in (§8).
func (o *Order) loginOnly() bool {
	return o.Kind == KindDeposit && o.RequestKYC && o.AmountMinor == 0 && o.MinMinor == 0 && o.MaxMinor == 0
}

// enqueue stores notes in the outbox for o, starting after NotifyDelay plus any
// chaos delay, and wakes the deliverer; with HoldNotifications they are stored
// held, each with its planned due time, until fired (FireHeld).
func (s *Sandbox) enqueue(tx *gorm.DB, o *Order, notes []note) error {
	now := s.now()
	base := now.Add(s.cfg.NotifyDelay + s.cfg.Chaos.Delay + time.Duration(o.ChaosDelayMs)*time.Millisecond)
	if o.notBefore.After(base) {
		base = o.notBefore
	}
	shuffle := s.cfg.Chaos.Shuffle || o.ChaosShuffle
	dup := s.cfg.Chaos.Duplicate || o.ChaosDuplicate
	unreachable := 0
	if o.Scenario == ScenarioMerchantUnreachable {
		unreachable = s.cfg.UnreachableAttempts
	}
	status := OutboxPending
	if o.HoldNotifications {
		status = OutboxHeld
	}
	span := time.Duration(len(notes)) * s.cfg.StepDelay
	for i, n := range notes {
		after := n.after
		if shuffle && span > 0 {
			after = time.Duration(rand.Int64N(int64(span) + 1))
		}
		due := base.Add(after)
		id, err := freshNotificationID(tx)
		if err != nil {
			return err
		}
		n.data["notificationid"] = id
		if _, ok := n.data["timestamp"]; ok {
			n.data["timestamp"] = trustly.FormatTimestamp(due)
		}
		nid := uuid.NewString()
		body, err := trustly.EncodeNotification(s.key, n.method, nid, n.data)
		if err != nil {
			return fmt.Errorf("encode %s notification: %w", n.method, err)
		}
		row := Outbox{NotificationID: id, OrderID: o.ID, Method: n.method, UUID: nid, URL: o.NotificationURL,
			Body: string(body), Effect: n.effect, Status: status, DueAt: due, Unreachable: unreachable,
			CreatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		copies := 0
		if n.duplicate {
			copies++
		}
		if dup && n.method != trustly.MethodKYC {
			copies++
		}
		for c := 1; c <= copies; c++ {
			d := row
			d.ID, d.Effect, d.Duplicate = 0, EffectNone, true
			d.DueAt = due.Add(time.Duration(c) * (s.cfg.StepDelay/2 + time.Millisecond))
			if i+1 < len(notes) && !shuffle {
				// keep the copy before the next notification of the sequence
				d.DueAt = due.Add(time.Duration(c) * time.Microsecond)
			}
			if err := tx.Create(&d).Error; err != nil {
				return err
			}
		}
		s.log.Info("notification queued", "order_id", o.ID, "notification_id", id, "method", n.method,
			"due", due.Format(time.RFC3339Nano))
	}
	return nil
}

func freshNotificationID(tx *gorm.DB) (string, error) {
	for range 10 {
		id := newID()
		var n int64
		if err := tx.Model(&Outbox{}).Where("notification_id = ?", id).Count(&n).Error; err != nil {
			return "", err
		}
		if n == 0 {
			return id, nil
		}
	}
	return "", errors.New("no free notification id")
}

func (s *Sandbox) transferData(o *Order, amount int64) map[string]any {
	return map[string]any{"amount": formatAmount(amount), "currency": o.Currency, "messageid": o.MessageID,
		"orderid": o.publicID(), "enduserid": o.EndUserID, "timestamp": "", "attributes": map[string]any{}}
}

func (s *Sandbox) cancelData(o *Order) map[string]any {
	return map[string]any{"messageid": o.MessageID, "orderid": o.publicID(), "enduserid": o.EndUserID,
		"timestamp": "", "attributes": map[string]any{}}
}

func (s *Sandbox) payoutData(o *Order) map[string]any {
	d := s.transferData(o, o.AmountMinor)
	delete(d, "attributes")
	return d
}

func (s *Sandbox) accountData(tx *gorm.DB, o *Order, verified bool) (map[string]any, error) {
	var a Account
	if err := tx.Where("id = ?", o.AccountID).Take(&a).Error; err != nil {
		return nil, fmt.Errorf("account %s of order %s: %w", o.AccountID, o.ID, err)
	}
	attrs := map[string]any{"clearinghouse": a.ClearingHouse, "bank": a.Bank, "descriptor": a.Descriptor,
		"lastdigits": lastDigits(a.AccountNumber)}
	if p, ok := orderPerson(o); ok {
		attrs["name"] = p.Firstname + " " + p.Lastname
		attrs["address"] = p.Street
		attrs["zipcode"] = p.Zipcode
		attrs["city"] = p.City
		if p.PersonID != "" {
			attrs["personid"] = p.PersonID
		}
	}
	v := "0"
	if verified {
		v = "1"
	}
	return map[string]any{"messageid": o.MessageID, "orderid": o.ID, "accountid": a.ID, "verified": v,
		"attributes": attrs}, nil
}

func (s *Sandbox) kycData(o *Order, p Person, abort string) map[string]any {
	attrs := map[string]any{"firstname": p.Firstname, "lastname": p.Lastname, "dob": p.DOB,
		"street": p.Street, "zipcode": p.Zipcode, "city": p.City, "country": p.Country}
	if p.PersonID != "" {
		attrs["personid"] = p.PersonID
	}
	d := map[string]any{"orderid": o.ID, "messageid": o.MessageID, "enduserid": o.EndUserID,
		"kycentityid": kycEntityID(p), "attributes": attrs}
	if abort != "" {
		d["abort"] = "1"
		d["abortmessage"] = abort
	}
	return d
}

// login records the test person (and bank) the player logged in as. For Pay N Play
// it sends kyc and the order waits for the merchant's answer.
func (s *Sandbox) login(tx *gorm.DB, o *Order, p Person) error {
	o.PersonID, o.Country = p.ID, p.Country
	if !o.RequestKYC {
		o.Step = "account"
		return tx.Save(o).Error
	}
	abort := ""
	switch o.Scenario {
	case ScenarioKYCAbortUnderage:
		abort = "underage"
	case ScenarioKYCAbortUnverified:
		abort = "unverified"
	}
	// The wait for the answer starts when the kyc first goes out (startKYCWait),
	// not here: a kyc still queued cannot have been answered.
	o.Status, o.Step, o.KYCDeadline = StatusKYC, "kyc", nil
	if err := tx.Save(o).Error; err != nil {
		return err
	}
	s.log.Info("kyc sent", "order_id", o.ID, "person", p.ID, "abort", abort, "timeout", s.kycTimeout(o))
	// kyc goes out at once: the player is waiting in the checkout.
	return s.enqueueNow(tx, o, []note{{method: trustly.MethodKYC, data: s.kycData(o, p, abort)}})
}

// enqueueNow is enqueue without NotifyDelay and chaos: for kyc, which the player
// waits for. A kyc of an order with KYCResend is queued a second time.
func (s *Sandbox) enqueueNow(tx *gorm.DB, o *Order, notes []note) error {
	now := s.now()
	for _, n := range notes {
		id, err := freshNotificationID(tx)
		if err != nil {
			return err
		}
		n.data["notificationid"] = id
		nid := uuid.NewString()
		body, err := trustly.EncodeNotification(s.key, n.method, nid, n.data)
		if err != nil {
			return err
		}
		row := Outbox{NotificationID: id, OrderID: o.ID, Method: n.method, UUID: nid, URL: o.NotificationURL,
			Body: string(body), Status: OutboxPending, DueAt: now, CreatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		s.log.Info("notification queued", "order_id", o.ID, "notification_id", id, "method", n.method)
		if n.method == trustly.MethodKYC && o.KYCResend {
			if err := s.resendKYC(tx, o, row); err != nil {
				return err
			}
		}
	}
	return nil
}

// startKYCWait starts the wait for the merchant's answer to the kyc of orderID as
// the kyc goes out for the first time: KYCTimeout counts from there. Counted from
// the login instead, a kyc the deliverer reached late (a loaded machine, a
// restarted sandbox) was cancelled as unanswered without ever being sent.
func (s *Sandbox) startKYCWait(tx *gorm.DB, orderID string) error {
	var o Order
	if err := tx.Where("id = ?", orderID).Take(&o).Error; err != nil {
		return err
	}
	if o.Status != StatusKYC || o.KYCDeadline != nil {
		return nil
	}
	deadline := s.now().Add(s.kycTimeout(&o))
	return tx.Model(&o).Update("kyc_deadline", deadline).Error
}

// kycAnswered applies the merchant's answer to a kyc notification.
func (s *Sandbox) kycAnswered(ctx context.Context, orderID string, a trustly.Answer) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		var o Order
		if err := tx.Where("id = ?", orderID).Take(&o).Error; err != nil {
			return err
		}
		if o.Status != StatusKYC {
			return nil // late answer: the order moved on (timeout)
		}
		o.KYCAnswer = a.Status
		aborted := o.Scenario == ScenarioKYCAbortUnderage || o.Scenario == ScenarioKYCAbortUnverified
		ignored := o.Scenario == ScenarioKYCFinishIgnored && a.Status == trustly.StatusFinish && !o.loginOnly()
		if aborted || (a.Status != trustly.StatusContinue && !ignored) {
			return s.cancelOrder(tx, &o, "kyc "+a.Status)
		}
		if a.Limit != "" {
			if lim, ok := parseAmount(a.Limit, o.Currency); ok {
				o.LimitMinor = lim
				if o.AmountMinor > lim {
					o.AmountMinor = lim
				}
			}
		}
		o.Status, o.Step, o.KYCDeadline = StatusCreated, "account", nil
		if o.loginOnly() {
			o.Status, o.Step = StatusCompleted, "done"
			s.log.Info("pay n play login completed", "order_id", o.ID)
			return tx.Save(&o).Error
		}
		if err := tx.Save(&o).Error; err != nil {
			return err
		}
		if o.AutoComplete {
			return s.autoFinish(tx, &o)
		}
		return nil
	})
}

// expireKYC treats kyc notifications without an answer KYCTimeout after they first
// went out as FINISH.
func (s *Sandbox) expireKYC(ctx context.Context) {
	// The player may have cancelled in the checkout since: that order has had its cancel.
	due := s.db.WithContext(ctx).Where("status = ? AND kyc_deadline < ?", StatusKYC, s.now())
	s.cancelDue(ctx, due, StatusKYC, "kyc timeout", func(tx *gorm.DB, o *Order) error {
		if err := tx.Model(&Outbox{}).Where("order_id = ? AND method = ? AND status = ?", o.ID, trustly.MethodKYC, OutboxPending).
			Update("status", OutboxUndelivered).Error; err != nil {
			return err
		}
		o.KYCAnswer = "TIMEOUT"
		return nil
	})
}

// expireCheckouts cancels Deposits and SelectAccounts still in their checkout
// CheckoutExpiry after they were created: Trustly's checkout URL lives about 10–30
// minutes, and an order the player never finished expires with a cancel (API.md
// §4.1, §6.1). An order waiting for its kyc answer has KYCTimeout instead.
func (s *Sandbox) expireCheckouts(ctx context.Context) {
	due := s.db.WithContext(ctx).Where("status = ? AND kind IN ? AND created_at < ?", StatusCreated,
		[]OrderKind{KindDeposit, KindSelectAccount}, s.now().Add(-s.cfg.CheckoutExpiry))
	s.cancelDue(ctx, due, StatusCreated, "checkout expired", nil)
}

// cancelDue cancels, each in a transaction of its own, the orders due finds that are
// still in status when read again under the write lock (the player may have
// finished or cancelled since, and nothing is done to those): before, when set,
// runs first in the same transaction, then cancelOrder with reason.
func (s *Sandbox) cancelDue(ctx context.Context, due *gorm.DB, status OrderStatus, reason string, before func(tx *gorm.DB, o *Order) error) {
	var orders []Order
	if err := due.Find(&orders).Error; err != nil {
		return
	}
	for _, o := range orders {
		err := s.writeTx(ctx, func(tx *gorm.DB) error {
			if err := tx.Where("id = ? AND status = ?", o.ID, status).Take(&o).Error; err != nil {
				if isNotFound(err) {
					return nil
				}
				return err
			}
			if before != nil {
				if err := before(tx, &o); err != nil {
					return err
				}
			}
			return s.cancelOrder(tx, &o, reason)
		})
		if err != nil {
			s.log.Error(reason, "order_id", o.ID, "err", err)
		}
	}
}

// cancelOrder ends an order without money moving and schedules the cancel notification.
func (s *Sandbox) cancelOrder(tx *gorm.DB, o *Order, reason string) error {
	if o.Status == StatusCancelled || o.Status == StatusCompleted {
		return ErrWrongState
	}
	o.Status, o.Step, o.KYCDeadline = StatusCancelled, "done", nil
	if err := tx.Save(o).Error; err != nil {
		return err
	}
	s.log.Info("order cancelled", "order_id", o.ID, "reason", reason)
	return s.enqueue(tx, o, []note{{method: trustly.MethodCancel, data: s.cancelData(o)}})
}

// autoFinish plays the rest of the checkout as the person autoPerson picks would:
// SandboxAutoComplete and the checkout's own last step end here.
func (s *Sandbox) autoFinish(tx *gorm.DB, o *Order) error {
	if o.PersonID == "" {
		p := autoPerson(o)
		if o.Bank == "" {
			o.Bank = Banks[p.Country][0]
		}
		if err := s.login(tx, o, p); err != nil {
			return err
		}
		if o.Status != StatusCreated {
			return nil // waiting for kyc; kycAnswered calls autoFinish again
		}
	}
	if o.AccountID == "" {
		p, _ := orderPerson(o)
		acc, err := s.ensureAccount(tx, p.Accounts[0], p.Firstname, p.Lastname, o.EndUserID)
		if err != nil {
			return err
		}
		o.AccountID = acc.ID
	}
	if o.Kind == KindDeposit && o.AmountMinor == 0 {
		amount := o.MinMinor
		if amount == 0 {
			amount = 10000
		}
		if o.MaxMinor > 0 && amount > o.MaxMinor {
			amount = o.MaxMinor
		}
		if o.LimitMinor > 0 && amount > o.LimitMinor {
			amount = o.LimitMinor
		}
		o.AmountMinor = amount
	}
	return s.complete(tx, o)
}

// complete marks the checkout finished and schedules the scenario's notifications.
func (s *Sandbox) complete(tx *gorm.DB, o *Order) error {
	if o.Status != StatusCreated {
		return ErrWrongState
	}
	sc := outcome(o.Scenario, o.Kind)
	if sc == ScenarioDepositCancel || sc == ScenarioSelectCancel {
		return s.cancelOrder(tx, o, string(sc))
	}
	o.Status, o.Step = StatusCompleted, "done"
	if err := tx.Save(o).Error; err != nil {
		return err
	}
	step := s.cfg.StepDelay
	var notes []note
	if o.Kind == KindSelectAccount {
		acc, err := s.accountData(tx, o, sc != ScenarioSelectUnverified)
		if err != nil {
			return err
		}
		notes = []note{{method: trustly.MethodAccount, data: acc}}
	} else {
		acc, err := s.accountData(tx, o, sc != ScenarioDepositAccountUnverified)
		if err != nil {
			return err
		}
		pending := note{method: trustly.MethodPending, data: s.transferData(o, o.AmountMinor)}
		credit := note{method: trustly.MethodCredit, data: s.transferData(o, o.AmountMinor), effect: EffectDepositCredit}
		account := note{method: trustly.MethodAccount, data: acc}
		switch sc {
		case ScenarioDepositDelayed:
			credit.after, account.after = s.cfg.LateDelay, s.cfg.LateDelay+step
			notes = []note{pending, credit, account}
		case ScenarioDepositCreditThenDebit:
			credit.after, account.after = step, 2*step
			debit := note{method: trustly.MethodDebit, data: s.transferData(o, o.AmountMinor), effect: EffectDepositDebit, after: 3 * step}
			notes = []note{pending, credit, account, debit}
		case ScenarioDepositCreditBeforePend:
			pending.after, account.after = step, 2*step
			notes = []note{credit, pending, account}
		case ScenarioDepositDuplicateCredit:
			credit.after, credit.duplicate, account.after = step, true, 2*step
			notes = []note{pending, credit, account}
		default:
			credit.after, account.after = step, 2*step
			notes = []note{pending, credit, account}
		}
	}
	s.log.Info("checkout completed", "order_id", o.ID, "scenario", sc, "amount", formatAmount(o.AmountMinor))
	return s.enqueue(tx, o, notes)
}

// payoutNotes are the notifications of an accepted payout or refund.
func (s *Sandbox) payoutNotes(o *Order) []note {
	step := s.cfg.StepDelay
	credit := note{method: trustly.MethodCredit, data: s.transferData(o, o.AmountMinor), effect: EffectPayoutReturned, after: step}
	switch outcome(o.Scenario, o.Kind) {
	case ScenarioPayoutBounce:
		return []note{{method: trustly.MethodPayoutConfirmation, data: s.payoutData(o), effect: EffectPayoutConfirmed}, credit}
	case ScenarioPayoutFailed:
		failed := s.payoutData(o)
		failed["errorcode"] = "incorrect_account_number"
		failed["errormessage"] = "The receiving bank reports that the account number is incorrect"
		return []note{{method: trustly.MethodPayoutFailed, data: failed, effect: EffectPayoutFailed}, credit}
	}
	return []note{{method: trustly.MethodPayoutConfirmation, data: s.payoutData(o), effect: EffectPayoutConfirmed}}
}

// applyEffect changes the sandbox's books as row's notification goes out.
func (s *Sandbox) applyEffect(tx *gorm.DB, row *Outbox) error {
	if row.Effect == EffectNone {
		return nil
	}
	var o Order
	if err := tx.Where("id = ?", row.OrderID).Take(&o).Error; err != nil {
		return err
	}
	entry := LedgerEntry{OrderID: o.publicID(), MessageID: o.MessageID, EndUserID: o.EndUserID, Currency: o.Currency,
		Datestamp: s.now(), AccountName: "SUSPENSE_ACCOUNT_CLIENT_FUNDS_SANDBOX"}
	switch row.Effect {
	case EffectDepositCredit:
		entry.Reference, entry.TransactionType, entry.AmountMinor = "deposit:"+o.ID+":credit", "Deposit", o.AmountMinor
		return book(tx, entry)
	case EffectDepositDebit:
		entry.Reference, entry.TransactionType, entry.AmountMinor = "deposit:"+o.ID+":debit", "DepositDebit", -o.AmountMinor
		return book(tx, entry)
	case EffectPayoutConfirmed:
		if o.TransferState == TransferExecuting {
			o.TransferState = TransferConfirmed
		}
	case EffectPayoutFailed:
		o.TransferState = TransferFailed
	case EffectPayoutReturned:
		if o.TransferState != TransferFailed {
			o.TransferState = TransferReturned
		}
		entry.Reference, entry.TransactionType, entry.AmountMinor = string(o.Kind)+":"+o.ID+":return", "PayoutReturn", o.AmountMinor
		if err := book(tx, entry); err != nil {
			return err
		}
		if o.Kind == KindRefund {
			// The money is back with the merchant: that much of the deposit may be
			// refunded again.
			err := tx.Model(&Order{}).Where("id = ? AND kind = ?", o.ParentID, KindDeposit).
				Update("refunded_minor", gorm.Expr("refunded_minor - ?", o.AmountMinor)).Error
			if err != nil {
				return err
			}
		}
	}
	return tx.Save(&o).Error
}

// ensureAccount finds or creates the account with these details.
func (s *Sandbox) ensureAccount(tx *gorm.DB, b BankAccount, first, last, endUserID string) (*Account, error) {
	var a Account
	err := tx.Where("clearing_house = ? AND bank_number = ? AND account_number = ?", b.ClearingHouse, b.BankNumber, b.AccountNumber).Take(&a).Error
	if err == nil {
		return &a, nil
	}
	if !isNotFound(err) {
		return nil, err
	}
	id, err := freshID(tx, &Account{})
	if err != nil {
		return nil, err
	}
	a = Account{ID: id, ClearingHouse: b.ClearingHouse, BankNumber: b.BankNumber, AccountNumber: b.AccountNumber,
		Bank: bankName(b.ClearingHouse, b.BankNumber, b.AccountNumber), Descriptor: descriptor(b.AccountNumber),
		Firstname: first, Lastname: last, EndUserID: endUserID, CreatedAt: s.now()}
	return &a, tx.Create(&a).Error
}
