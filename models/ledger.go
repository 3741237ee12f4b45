package models

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// LedgerAccount names one account of the double-entry ledger. Player accounts are
// "player:<id>:wallet" and "player:<id>:reserved"; the rest are the operator's.
type LedgerAccount string

const (
	// TrustlyClearing is money in transit with Trustly: a deposit credit moves money
	// from it into a wallet, a payout moves money from a reservation into it.
	TrustlyClearing LedgerAccount = "trustly:clearing"
	// Adjustments holds corrections booked by back-office staff.
	Adjustments LedgerAccount = "operator:adjustments"
)

// PlayerWallet is the player's playable balance.
func PlayerWallet(playerID int64) LedgerAccount {
	return LedgerAccount(fmt.Sprintf("player:%d:wallet", playerID))
}

// PlayerReserved holds the player's money set aside for payouts in flight.
func PlayerReserved(playerID int64) LedgerAccount {
	return LedgerAccount(fmt.Sprintf("player:%d:reserved", playerID))
}

// Guarded reports whether the account may not go below zero unless a transfer
// explicitly allows it (a debit taking back an unsettled deposit).
func (a LedgerAccount) Guarded() bool { return strings.HasPrefix(string(a), "player:") }

// Transfer moves money between ledger accounts. Its entries sum to zero, it is never
// changed once posted, and its Reference names the event it books
// ("deposit:4711:credit"), so posting the same event twice is harmless.
type Transfer struct {
	ID        int64     `gorm:"primaryKey"`
	Reference string    `gorm:"size:191;not null;uniqueIndex"`
	Currency  string    `gorm:"size:3;not null"`
	Memo      string    `gorm:"size:255;not null;default:''"` // for people: "Deposit via Trustly"
	CreatedAt time.Time `gorm:"not null;index"`
	Entries   []Entry   `gorm:"foreignKey:TransferID"`

	// AllowOverdraft lets guarded accounts go below zero. Only a deposit's debit
	// (a deposit that did not settle) and a payout's retake (paid by the bank after
	// its cancel gave the money back) use it; it is a decision, not stored state.
	AllowOverdraft bool `gorm:"-"`
	// Replayed is set by the ledger when the reference was already posted with the
	// same entries and nothing new was booked.
	Replayed bool `gorm:"-"`
}

// Entry changes one account's balance by Minor (positive adds to it).
type Entry struct {
	ID         int64         `gorm:"primaryKey"`
	TransferID int64         `gorm:"not null;index"`
	Account    LedgerAccount `gorm:"size:100;not null;index"`
	Minor      int64         `gorm:"not null"`
}

// Balance is an account's current balance, kept up to date with every transfer so
// that reading it never scans history.
type Balance struct {
	Account  LedgerAccount `gorm:"primaryKey;size:100"`
	Currency string        `gorm:"primaryKey;size:3"`
	Minor    int64         `gorm:"not null;default:0"`
}

// ErrUnbalanced means a transfer's entries do not sum to zero or are otherwise
// malformed; such a transfer is never written.
var ErrUnbalanced = errors.New("transfer does not balance")

// Validate checks the transfer's shape: a reference, a known currency, at least two
// non-zero entries on distinct accounts, summing to zero.
func (t *Transfer) Validate() error {
	if t.Reference == "" {
		return fmt.Errorf("%w: no reference", ErrUnbalanced)
	}
	if !ValidCurrency(t.Currency) {
		return fmt.Errorf("%w: currency %q", ErrUnbalanced, t.Currency)
	}
	if len(t.Entries) < 2 {
		return fmt.Errorf("%w: %s has fewer than two entries", ErrUnbalanced, t.Reference)
	}
	var sum int64
	seen := map[LedgerAccount]bool{}
	for _, e := range t.Entries {
		if e.Minor == 0 || e.Account == "" || seen[e.Account] {
			return fmt.Errorf("%w: %s has an empty, zero or repeated entry", ErrUnbalanced, t.Reference)
		}
		seen[e.Account] = true
		sum += e.Minor
	}
	if sum != 0 {
		return fmt.Errorf("%w: %s sums to %d", ErrUnbalanced, t.Reference, sum)
	}
	return nil
}

// SameEntries reports whether two transfers move the same amounts between the same
// accounts in the same currency.
func (t *Transfer) SameEntries(o *Transfer) bool {
	if t.Currency != o.Currency || len(t.Entries) != len(o.Entries) {
		return false
	}
	key := func(es []Entry) []string {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = fmt.Sprintf("%s %d", e.Account, e.Minor)
		}
		sort.Strings(out)
		return out
	}
	a, b := key(t.Entries), key(o.Entries)
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Move is the common two-entry transfer: amount leaves from and arrives at to.
func Move(reference, memo string, from, to LedgerAccount, amount Money) Transfer {
	return Transfer{Reference: reference, Memo: memo, Currency: amount.Currency, Entries: []Entry{
		{Account: from, Minor: -amount.Minor}, {Account: to, Minor: amount.Minor},
	}}
}
