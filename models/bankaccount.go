package models

import (
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// AccountSource says how we learned about a bank account.
type AccountSource string

const (
	AccountFromDeposit         AccountSource = "deposit"         // an account notification for a deposit
	AccountFromSelectAccount   AccountSource = "selectaccount"   // the player picked it in a SelectAccount checkout
	AccountFromRegisterAccount AccountSource = "registeraccount" // registered by us with RegisterAccount
)

// The sizes of BankAccount's text columns from Trustly, in characters (the gorm
// tags below must say the same): what is kept of an account notification's
// values. Longer attributes are cut; a longer accountid is not saved.
const (
	AccountIDSize     = 64
	BankNameSize      = 100 // Bank and Descriptor
	LastDigitsSize    = 16
	ClearingHouseSize = 32
)

// Fit cuts Bank, Descriptor, LastDigits and ClearingHouse to their columns'
// sizes, which PostgreSQL enforces (SQLite keeps any length, and a notification
// whose value PostgreSQL refused would never be answered), and reports whether
// AccountID fits: it is never cut, since a cut one would name another account to
// pay out to.
func (a *BankAccount) Fit() bool {
	a.Bank = cutTo(a.Bank, BankNameSize)
	a.Descriptor = cutTo(a.Descriptor, BankNameSize)
	a.LastDigits = cutTo(a.LastDigits, LastDigitsSize)
	a.ClearingHouse = cutTo(a.ClearingHouse, ClearingHouseSize)
	return utf8.RuneCountInString(a.AccountID) <= AccountIDSize
}

// cutTo is s cut to its first n characters.
func cutTo(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// BankAccount is a player's bank account as Trustly knows it. AccountID is
// Trustly's id for it, needed for payouts; it does not expire. Descriptor is a
// masked account number, fine to show, never to parse. A removed account is kept
// for the audit trail and no longer offered.
type BankAccount struct {
	ID            int64         `gorm:"primaryKey"`
	PlayerID      int64         `gorm:"not null;uniqueIndex:idx_bank_accounts_player_account"`
	AccountID     string        `gorm:"size:64;not null;uniqueIndex:idx_bank_accounts_player_account"`
	Bank          string        `gorm:"size:100;not null;default:''"` // "Handelsbanken"
	Descriptor    string        `gorm:"size:100;not null;default:''"` // "**706212"
	LastDigits    string        `gorm:"size:16;not null;default:''"`  // "706212"
	ClearingHouse string        `gorm:"size:32;not null;default:''"`  // "SWEDEN"
	Verified      bool          `gorm:"not null;default:false"`       // Trustly verified the player owns it; once true, stays true
	Source        AccountSource `gorm:"size:16;not null"`             // how we first learned of it
	Removed       bool          `gorm:"not null;default:false"`       // the player or staff removed it
	// PayoutFailure is the error code of the bank's payoutfailed for a payout to
	// this account ("incorrect_account_number"); "" when none failed. Payouts no
	// longer go to it: the player adds it again correctly or chooses another.
	PayoutFailure string `gorm:"size:64;not null;default:''"`
	// PersonID is the person the bank named as the account's holder in an account
	// notification (attribute personid, Trustly's KYC add-on, in some markets
	// only), in paynplay.PersonID.String() form ("FI131052-309U"); "" when none
	// was named or it could not be read. A break holds every account whose player
	// or bank accounts name the person (cashier's twinOnBreak).
	PersonID string `gorm:"size:64;not null;default:'';index"`
	// PersonRead says PersonID is what the account's notifications say: set on
	// every row this version creates (BeforeCreate), whose notifications are read
	// as they come. A row an older version saved, before person_id was kept, has
	// false from the column's default until a start reads its stored account
	// notifications (package store); it is never read once true.
	PersonRead bool `gorm:"not null;default:false"`
	// Known is set by the cashier when the player already had this account saved
	// as they added it again; it is not stored.
	Known     bool      `gorm:"-"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// BeforeCreate marks a new row PersonRead: whoever creates it has read what
// there is of its holder (an account notification's personid, or nothing, for an
// account registered by us).
func (a *BankAccount) BeforeCreate(*gorm.DB) error {
	a.PersonRead = true
	return nil
}

// Label is the account for people: "Handelsbanken **706212".
func (a *BankAccount) Label() string {
	switch number := a.Number(); {
	case a.Bank != "" && number != "":
		return a.Bank + " " + number
	case number != "":
		return number
	}
	return a.BankName()
}

// BankName is the bank's name for people, or "Bank account" when Trustly gave none.
func (a *BankAccount) BankName() string {
	if a.Bank == "" {
		return "Bank account"
	}
	return a.Bank
}

// Number is the masked account number to show: Trustly's descriptor, or the last
// digits when only those came. It is for people, never to parse.
func (a *BankAccount) Number() string {
	if a.Descriptor == "" && a.LastDigits != "" {
		return "**" + a.LastDigits
	}
	return a.Descriptor
}

// AccountRegistration is one bank details form sent: its token, made when the
// form was shown (NewRegistrationToken), is recorded before RegisterAccount is
// called, so that the same form sent twice calls Trustly once and shows one
// result. DoneAt is set with the result: the account saved (BankAccountID,
// Known: the player had it saved already) or the *Problem the player was shown
// (ProblemID).
type AccountRegistration struct {
	ID            int64  `gorm:"primaryKey"`
	Token         string `gorm:"size:64;not null;uniqueIndex"`
	PlayerID      int64  `gorm:"not null;index"`
	BankAccountID *int64
	Known         bool       `gorm:"not null;default:false"`
	ProblemID     string     `gorm:"size:64;not null;default:''"`
	CreatedAt     time.Time  `gorm:"not null"`
	DoneAt        *time.Time // nil while its RegisterAccount call has no result
}

// registrationPrefix starts every bank details form's token.
const registrationPrefix = "reg-"

// NewRegistrationToken makes a fresh token for a bank details form: "reg-" and 24
// random hex digits.
func NewRegistrationToken() string { return newToken(registrationPrefix) }

// IsRegistrationToken reports whether s has the shape NewRegistrationToken gives.
func IsRegistrationToken(s string) bool { return isToken(registrationPrefix, s) }
