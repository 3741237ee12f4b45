package models

import "time"

// APICall is one call the cashier made to Trustly's API, kept for staff: the
// method, our request as JSON without credentials and signature (the client adds
// those) and with the notification token masked, Trustly's result as JSON or its
// error, and how long it took. A call about several orders (AccountLedger) is kept
// once per order; one about no order (RegisterAccount) with OrderID 0.
type APICall struct {
	ID        int64     `gorm:"primaryKey"`
	OrderID   int64     `gorm:"not null;default:0;index"`
	PlayerID  int64     `gorm:"not null;default:0;index"`
	Method    string    `gorm:"size:32;not null"`              // as Trustly spells it: "Deposit", "AccountPayout"
	Request   string    `gorm:"type:text;not null"`            // JSON of the call's parameters
	Response  string    `gorm:"type:text;not null;default:''"` // JSON of the result; "" when the call failed
	ErrorCode int       `gorm:"not null;default:0"`            // Trustly's error code, 0 for none
	Error     string    `gorm:"size:500;not null;default:''"`  // the error, "" when the call succeeded
	LatencyMS int64     `gorm:"not null;default:0"`
	At        time.Time `gorm:"not null"` // when the call started, UTC
}

// TrustlyPoll is the last answer to a Trustly method that may be asked only now
// and then (Balance: once every 15 minutes), kept in the database so that every
// instance of the cashier answers from it: one row per method, created when first
// needed. ClaimedAt is when an instance last began asking Trustly: the others do
// not ask at the same time, nor within the method's interval of it, since a call
// that brought no answer may have reached Trustly all the same.
type TrustlyPoll struct {
	Method    string     `gorm:"primaryKey;size:32"` // as Trustly spells it: "Balance"
	AskedAt   *time.Time // when the last answer was asked for; nil before the first
	Answer    string     `gorm:"type:text;not null;default:''"` // the last answer, as JSON
	ClaimedAt *time.Time // when an instance last began asking; nil before the first
}
