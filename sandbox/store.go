package sandbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"path/filepath"
	"time"

	"github.com/trustly-cashier/cashier/internal/owneronly"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// OrderKind says which API method created an order.
type OrderKind string

const (
	KindDeposit       OrderKind = "deposit"       // Deposit: the player pays in through the checkout
	KindSelectAccount OrderKind = "selectaccount" // SelectAccount: the player picks an account, no money moves
	KindPayout        OrderKind = "payout"        // AccountPayout: money to a known account
	KindRefund        OrderKind = "refund"        // Refund: money back to the account that paid a deposit
)

// OrderStatus is where an order stands on the sandbox's side.
type OrderStatus string

const (
	StatusCreated   OrderStatus = "created"   // checkout URL handed out, the player has not finished
	StatusKYC       OrderStatus = "kyc"       // kyc sent, waiting for the merchant's CONTINUE or FINISH
	StatusCompleted OrderStatus = "completed" // the player finished; notifications are scheduled
	StatusCancelled OrderStatus = "cancelled" // abandoned, aborted or FINISHed; a cancel is scheduled
	StatusAccepted  OrderStatus = "accepted"  // a payout or refund the sandbox accepted
	StatusRejected  OrderStatus = "rejected"  // a payout answered with result "0"
)

// Order is one Trustly order: a deposit, account selection, payout or refund.
type Order struct {
	ID               string `gorm:"primaryKey"` // 10-digit orderid
	Kind             OrderKind
	Status           OrderStatus
	MessageID        string `gorm:"index"`
	EndUserID        string
	NotificationURL  string
	Currency         string
	AmountMinor      int64 // 0 when the Deposit had no Amount
	MinMinor         int64 // SuggestedMinAmount
	MaxMinor         int64 // SuggestedMaxAmount
	LimitMinor       int64 // kyc CONTINUE limit, 0 for none
	RefundedMinor    int64 // deposits: sum of refunds accepted so far
	Locale           string
	Country          string
	Firstname        string
	Lastname         string
	SuccessURL       string
	FailURL          string
	URLTarget        string
	RequestKYC       bool
	AutoComplete     bool
	Scenario         Scenario
	ChaosDuplicate   bool
	ChaosShuffle     bool
	ChaosDelayMs     int64
	Token            string // per-order checkout token; every checkout form must carry it
	Step             string // checkout step: bank, login, kyc, account, confirm, done
	Bank             string
	PersonID         string // test person who logged in
	AccountID        string
	ParentID         string // refunds: the deposit's orderid
	TransferState    string // payouts and refunds: GetWithdrawals' transferstate
	KYCDeadline      *time.Time
	KYCAnswer        string
	KYCTimeoutMs     int64  // this order's kyc answer timeout; 0: Config.KYCTimeout
	KYCResend        bool   // deliver the kyc a second time: same notificationid, uuid and bytes
	KYCResendAfterMs int64  // how long after the first kyc the second one is due
	AutoPerson       string // SandboxPerson: the test person auto-complete logs in as
	NationalID       string // NationalIdentificationNumber as sent: pre-fills the bank login
	NationalIDFixed  bool   // UnchangeableNationalIdentificationNumber: only that person may log in
	// HoldNotifications: the order's notifications (kyc aside) are stored held and
	// go out only when fired by hand (FireHeld), as in Trustly's test environment.
	HoldNotifications bool
	ShopperStatement  string
	Attributes        string // the request's Attributes as JSON, for the order page
	CreatedAt         time.Time
	UpdatedAt         time.Time

	notBefore time.Time // a queued refund: its notifications wait until then (not stored)
}

// Account is a bank account the sandbox knows; the same details always map to the
// same accountid.
type Account struct {
	ID            string `gorm:"primaryKey"` // 10-digit accountid
	ClearingHouse string `gorm:"uniqueIndex:idx_account_details"`
	BankNumber    string `gorm:"uniqueIndex:idx_account_details"`
	AccountNumber string `gorm:"uniqueIndex:idx_account_details"`
	Bank          string
	Descriptor    string
	Firstname     string
	Lastname      string
	EndUserID     string
	CreatedAt     time.Time
}

// LedgerEntry is a settled movement of the merchant's money at "Trustly". Amounts
// are signed minor units from the merchant's side; Reference makes booking idempotent.
type LedgerEntry struct {
	ID              int64  `gorm:"primaryKey;autoIncrement"`
	Reference       string `gorm:"uniqueIndex"`
	OrderID         string `gorm:"index"`
	MessageID       string
	EndUserID       string
	AccountName     string
	TransactionType string
	Currency        string `gorm:"index"`
	AmountMinor     int64
	Datestamp       time.Time `gorm:"index"`
}

// OutboxStatus is where a notification delivery stands.
type OutboxStatus string

const (
	OutboxPending     OutboxStatus = "pending"     // due at DueAt, possibly after failed attempts
	OutboxDelivered   OutboxStatus = "delivered"   // the merchant answered correctly
	OutboxUndelivered OutboxStatus = "undelivered" // retries exhausted, or a kyc answer came too late
	OutboxHeld        OutboxStatus = "held"        // HoldNotifications: waits to be fired by hand (FireHeld)
)

// Outbox is one delivery of a notification. A duplicate delivery (chaos, or the
// duplicate-credit scenario) is another row with the same NotificationID, UUID and Body.
type Outbox struct {
	ID             int64  `gorm:"primaryKey;autoIncrement"`
	NotificationID string `gorm:"index"`
	OrderID        string `gorm:"index"`
	Method         string
	UUID           string
	URL            string
	Body           string // the signed notification, sent byte for byte on every attempt
	Effect         Effect // applied once, when the notification first goes out
	Fired          bool
	Duplicate      bool
	Unreachable    int          // attempts still to be failed on purpose (merchant-unreachable)
	Status         OutboxStatus `gorm:"index"`
	DueAt          time.Time    `gorm:"index"`
	Attempts       int
	AnswerStatus   string
	CreatedAt      time.Time
	DeliveredAt    *time.Time
}

// Attempt is one try at delivering an Outbox row, with what came back.
type Attempt struct {
	ID             int64 `gorm:"primaryKey;autoIncrement"`
	OutboxID       int64 `gorm:"index"`
	NotificationID string
	OrderID        string `gorm:"index"`
	At             time.Time
	HTTPStatus     int
	Answer         string // the response body (first 4 KiB)
	Error          string // why the attempt did not count, "" when it did
	OK             bool
	Millis         int64
}

// UsedUUID remembers request UUIDs (688).
type UsedUUID struct {
	UUID      string `gorm:"primaryKey"`
	CreatedAt time.Time
}

// PayoutCall counts AccountPayout requests per MessageID, accepted or not.
type PayoutCall struct {
	MessageID string `gorm:"primaryKey"`
	Calls     int
}

// PolledCall is one verified Balance or GetWithdrawals request. Trustly asks for
// each at most once every PollEvery, GetWithdrawals per order (API.md §4.6, §4.8);
// TooOften marks a call that came sooner after the previous one with the same
// Method and Key (Previous).
type PolledCall struct {
	ID       int64  `gorm:"primaryKey"`
	Method   string `gorm:"index:idx_polled_call,priority:1"`
	Key      string `gorm:"column:call_key;index:idx_polled_call,priority:2"` // GetWithdrawals' OrderID; "" for Balance
	At       time.Time
	Previous *time.Time
	TooOften bool
}

// openDB opens the sandbox's database in dir, readable by its owner only as the
// cashier's is (owneronly.SQLite).
func openDB(dir string, log *slog.Logger) (*gorm.DB, error) {
	path := filepath.Join(dir, "sandbox.db")
	if err := owneronly.SQLite(path, log); err != nil {
		return nil, fmt.Errorf("open sandbox database: %w", err)
	}
	dsn := "file:" + path +
		"?_journal_mode=WAL&_busy_timeout=5000&_txlock=immediate&_foreign_keys=on&_synchronous=FULL"
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		Logger: logger.Default.LogMode(logger.Silent),
	})
	if err != nil {
		return nil, fmt.Errorf("open sandbox database: %w", err)
	}
	if err := db.AutoMigrate(&Order{}, &Account{}, &LedgerEntry{}, &Outbox{}, &Attempt{}, &UsedUUID{}, &PayoutCall{}, &PolledCall{}); err != nil {
		return nil, fmt.Errorf("migrate sandbox database: %w", err)
	}
	return db, nil
}

// writeTx runs fn in a write transaction, one at a time per sandbox. Every write of
// the sandbox goes through it: API calls, checkout steps, notification deliveries
// and kyc timeouts. SQLite allows one writer anyway, and a writer that finds the
// database busy waits in SQLite's busy handler, which polls in growing sleeps: under
// a burst of checkout steps while notifications were delivered, an unlucky writer
// slept past the busy timeout and its step failed with "database is locked" (HTTP
// 500). Waiting on a mutex hands the lock over at once and in turn. fn must not call
// writeTx.
func (s *Sandbox) writeTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	s.writer.Lock()
	defer s.writer.Unlock()
	return s.db.WithContext(ctx).Transaction(fn)
}

// newID returns a random 10-digit numeric string, the shape of Trustly's ids.
func newID() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9_000_000_000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprint(1_000_000_000 + n.Int64())
}

// freshID returns a 10-digit id not yet used as a primary key of model.
func freshID(tx *gorm.DB, model any) (string, error) {
	for range 10 {
		id := newID()
		var n int64
		if err := tx.Model(model).Where("id = ?", id).Count(&n).Error; err != nil {
			return "", err
		}
		if n == 0 {
			return id, nil
		}
	}
	return "", errors.New("no free id after 10 tries")
}

// book adds a ledger entry unless its reference is already booked.
func book(tx *gorm.DB, e LedgerEntry) error {
	var n int64
	if err := tx.Model(&LedgerEntry{}).Where("reference = ?", e.Reference).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	e.Datestamp = e.Datestamp.UTC()
	return tx.Create(&e).Error
}

// balance is the merchant's settled balance in one currency.
func balance(tx *gorm.DB, currency string) (int64, error) {
	var sum struct{ S int64 }
	err := tx.Model(&LedgerEntry{}).Select("COALESCE(SUM(amount_minor),0) AS s").Where("currency = ?", currency).Scan(&sum).Error
	return sum.S, err
}

func (s *Sandbox) order(ctx context.Context, id string) (*Order, error) {
	var o Order
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&o).Error; err != nil {
		return nil, err
	}
	return &o, nil
}
