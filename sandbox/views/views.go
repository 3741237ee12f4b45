// Package views holds the sandbox's templ pages: the fake checkout and the order
// pages. Each page takes one struct with exactly what it shows, already formatted.
package views

// Option is one choice in a select or radio list.
type Option struct {
	Value    string
	Label    string
	Note     string // extra text such as "under 18"
	Selected bool
}

// CheckoutPage is one step of the fake checkout.
type CheckoutPage struct {
	OrderID    string
	Session    string // the per-order token every form carries
	Action     string // "/checkout/<orderid>"; forms post to Action + "/<step>"
	Title      string // "Deposit" or "Select account"
	Step       string // bank, login, kyc, account, confirm, done
	Merchant   string // the ShopperStatement, or "" when none was sent
	Amount     string // "100.00 SEK", "" when the player types it
	AmountForm string // what the player typed, when the form comes back
	AmountHint string // "between 10.00 and 500.00 SEK"
	Currency   string
	Banks      []Option // "SE|Handelsbanken", labelled "Sweden – Handelsbanken"
	Persons    []Option
	Accounts   []Option
	Scenarios  []Option
	KYCChecks  []Option // login step of a Pay N Play order: Trustly's own identity check outcome
	// Login step of a Pay N Play order, the sandbox's kyc options as typed.
	KYCTimeout        string // how long to wait for the kyc answer, "" for the default
	KYCTimeoutDefault string // "30s"
	KYCResend         bool   // deliver the kyc a second time
	KYCResendAfter    string // that long after the first, "" for at once
	PayNPlay          bool
	Target            string // URLTarget for the forms that leave the checkout
	Problem           string // one sentence on what to fix
	// Done step: where the player goes now.
	Result      string // "Payment completed", "Cancelled", …
	ContinueURL string
}

// OrderRow is one order in the sandbox's order list.
type OrderRow struct {
	ID, Kind, Status, Scenario, Amount, MessageID, EndUserID, Created string
	Notifications                                                     string // "3 delivered, 1 pending"
}

// OrdersPage lists recent orders.
type OrdersPage struct {
	// PayoutScenarios are the outcomes the next payouts without a SandboxScenario
	// may get; the selected one is current.
	PayoutScenarios []Option
	// LedgerGlitch: AccountLedger misses one entry and doubles another
	// (Sandbox.SetLedgerGlitch).
	LedgerGlitch bool
	Orders       []OrderRow
	Scenarios    []Option // name and description, for reference
	Persons      []Option
	PublicKey    string // PEM
}

// AttemptRow is one delivery attempt.
type AttemptRow struct {
	At, HTTPStatus, Result, Answer, Millis string
	OK                                     bool
}

// NotificationRow is one outbox row with its attempts.
type NotificationRow struct {
	NotificationID, Method, UUID, Status, Due, Answer, Body string
	Duplicate                                               bool
	Attempts                                                []AttemptRow
}

// OrderPage shows one order and every delivery attempt with the merchant's answer.
type OrderPage struct {
	ID            string   // the orderid
	Fields        []Option // label → value
	CheckoutURL   string
	Notifications []NotificationRow
	Held          int // notifications held (HoldNotifications): the page offers to fire them
}
