package models

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// OrderKind is what an order asks Trustly to do. Each kind has its own MessageID
// prefix and its own rules for the notifications it receives.
type OrderKind string

const (
	OrderDeposit       OrderKind = "deposit"       // money in: Deposit, then pending/credit/cancel/debit/account
	OrderPayout        OrderKind = "payout"        // money out: AccountPayout, then payoutconfirmation/payoutfailed/credit
	OrderSelectAccount OrderKind = "selectaccount" // no money: the player picks a bank account, then account/cancel
	// OrderRefund is money back to the bank account that paid a deposit (ParentID):
	// Refund with the deposit's Trustly orderid, then payoutconfirmation/payoutfailed/
	// credit, which Trustly sends under the deposit's orderid and messageid. It moves
	// money as a payout does (reserve, send, release, return) and has a payout's
	// statuses; a return of a refused deposit's held credit (ReturnsHeld) has the
	// same events and statuses and moves no money of ours.
	OrderRefund OrderKind = "refund"
)

// prefix is the MessageID prefix for the kind: "dep-", "pay-", "sel-".
func (k OrderKind) prefix() string {
	switch k {
	case OrderDeposit:
		return "dep-"
	case OrderPayout:
		return "pay-"
	case OrderSelectAccount:
		return "sel-"
	case OrderRefund:
		return "ref-"
	}
	return "ord-"
}

// NewMessageID makes a fresh MessageID for an order of kind: a prefix naming the
// kind and 24 random hex digits, "dep-3f9a…". It is our order id at Trustly, which
// refuses a reused one (637), and it is safe to show in URLs.
func NewMessageID(kind OrderKind) string {
	return newToken(kind.prefix())
}

// newToken is prefix and 24 random lowercase hex digits.
func newToken(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// isToken reports whether s is prefix and 24 lowercase hex digits.
func isToken(prefix, s string) bool {
	digits, ok := strings.CutPrefix(s, prefix)
	if !ok || len(digits) != 24 {
		return false
	}
	_, err := hex.DecodeString(digits)
	return err == nil && strings.ToLower(digits) == digits
}

// breakPrefix starts every take-a-break form's token.
const breakPrefix = "brk-"

// NewBreakToken makes a fresh token for the form that confirms a break: "brk-" and
// 24 random hex digits. The break it takes keeps it, so that the form sent twice
// takes one break.
func NewBreakToken() string { return newToken(breakPrefix) }

// IsBreakToken reports whether s has the shape NewBreakToken gives.
func IsBreakToken(s string) bool { return isToken(breakPrefix, s) }

// IsMessageID reports whether s has the shape NewMessageID gives an order of
// kind: its prefix and 24 lowercase hex digits. It says nothing of whether such an
// order exists.
func IsMessageID(kind OrderKind, s string) bool {
	return isToken(kind.prefix(), s)
}

// OrderStatus is where an order stands, for people and for queries. It is derived
// from the order's applied-event timestamps by Refresh, never set by hand, so that
// Trustly's notifications may arrive in any order, twice, or days apart, and the
// order still ends in the same status. Precedence follows the list below, from the
// bottom up: a debit outranks a credit, a credit outranks a cancel (the money is
// real; the cancel is flagged), a cancel outranks a pending.
type OrderStatus string

const (
	OrderCreated  OrderStatus = "created"  // stored; Trustly not asked yet, or no answer yet
	OrderStarted  OrderStatus = "started"  // Trustly accepted it and gave a checkout URL
	OrderPending  OrderStatus = "pending"  // the player finished the checkout; no money yet
	OrderFailed   OrderStatus = "failed"   // refused, timed out or cancelled; nothing was booked (payout: see below)
	OrderCredited OrderStatus = "credited" // deposit: the money is in the player's wallet
	OrderDebited  OrderStatus = "debited"  // deposit: credited, then taken back because it did not settle
	// OrderAbandoned: the deposit's checkout expired with no word from Trustly (no
	// notification 30 minutes after the Deposit call). Nothing was booked. It is
	// final for people, yet a late notification still applies: a credit books and
	// makes it credited.
	OrderAbandoned OrderStatus = "abandoned"
	// OrderAccountAdded: an account selection's account notification was applied:
	// the player's bank account is saved, and the selection is done. It outranks
	// every other status of a selection (a cancel or an abandonment before or after
	// it, a failed call that Trustly carried out after all): the account was added.
	OrderAccountAdded OrderStatus = "account-added"
	// OrderSignedIn: a Pay N Play login (LoginOnly: a Deposit without Amount, no
	// money moves) whose kyc said CONTINUE and whose browser signed in with it
	// (SignedInAt): the login is done. It outranks every other status of a login
	// (a cancel, an abandonment before or after the sign-in): the player was let
	// in. A login whose browser never came back is abandoned or cancelled as a
	// deposit is; one whose kyc said FINISH is failed (refused) from that decision
	// on, with or without the cancel Trustly may send after it, and so is a Pay N
	// Play deposit whose kyc said FINISH unless its credit came (OrderRefusedHeld).
	OrderSignedIn OrderStatus = "signed-in"
	// OrderRefusedHeld: a Pay N Play deposit whose kyc said FINISH and whose
	// credit came all the same: the money left the payer's bank, and it is held,
	// never booked, flagged for staff to return to the payer (FlagHeldCreditRefused).
	// It never becomes a deposit: it outranks a cancel, an abandonment and a
	// redelivery, before or after it, and only a debit taking the credit back (the
	// bank returned it, nothing left to return) makes it failed.
	OrderRefusedHeld OrderStatus = "refused-held"
	// OrderRefusedReturned: a refused-held deposit whose held credit staff
	// returned to the payer (HeldReturned): a return of it (a refund with
	// ReturnsHeld) is sent or confirmed, and its money has not come back. Nothing
	// was ever booked. A return refused, failed or coming back (a credit) makes
	// it refused-held again.
	OrderRefusedReturned OrderStatus = "refused-returned"
)

// Payout statuses (Kind OrderPayout), besides OrderFailed. A payout's money is
// always in exactly one place: reserved (from the request until Trustly has it),
// with Trustly (sent, confirmed), or back in the wallet, and the order's *At fields
// say which ledger transfers put it there. A payout is OrderFailed when it was
// refused before it was sent (the money is back), returned by the bank (a credit;
// the money is back), or reported failed by payoutfailed (the credit returning the
// money is still to come). Precedence, from the top: failed, cancelled, confirmed,
// sent, checking, sending, awaiting approval, requested.
const (
	OrderAwaitingApproval OrderStatus = "awaiting-approval" // above the approval limit: reserved, waits for an admin
	OrderRequested        OrderStatus = "requested"         // reserved; AccountPayout not answered yet
	OrderSending          OrderStatus = "sending"           // AccountPayout's outcome is unknown (timeout); retried with the same MessageID
	OrderChecking         OrderStatus = "checking"          // a resend was answered 637 or refused: an earlier call may have reached Trustly, and nothing says whether it paid or refused; still reserved
	OrderSent             OrderStatus = "sent"              // Trustly accepted it (or a notification proved it): the money left the reservation
	OrderConfirmed        OrderStatus = "confirmed"         // payoutconfirmation: the bank confirmed it; a later credit can still undo it
	OrderCancelled        OrderStatus = "cancelled"         // denied by an admin, cancelled by the player or by Trustly; the money is back in the wallet
)

// Order is one request to Trustly and everything Trustly told us about it.
//
// The *At fields record which events have been applied. Each is set once, by the
// first event of its kind, and never cleared; Status and the derived part of Flag
// follow from them (Refresh). Money moves only through ledger transfers whose
// references name the order and the event ("deposit:<ID>:credit"), so the order
// row is bookkeeping about those transfers, not a second balance.
type Order struct {
	ID        int64     `gorm:"primaryKey"`
	MessageID string    `gorm:"size:64;not null;uniqueIndex"` // ours, sent to Trustly; NewMessageID
	Kind      OrderKind `gorm:"size:16;not null"`             // indexed by (kind, id) and (kind, created_at, id): store.backOfficeIndexes
	PlayerID  int64     `gorm:"not null"`                     // indexed by (player_id, id)
	// Amount is what the player asked for; a Pay N Play kyc may cap it lower
	// (KYCLimitMinor, Expected). What Trustly booked is in the ledger; a credit for
	// another amount than Expected is booked as Trustly says and flagged, one in
	// another currency is flagged and not booked.
	Amount         Money       `gorm:"embedded;embeddedPrefix:amount_"`   // columns amount_minor, amount_currency
	Status         OrderStatus `gorm:"size:24;not null"`                  // indexed by (status, id) and (status, created_at, id)
	TrustlyOrderID string      `gorm:"size:64;not null;default:'';index"` // Trustly's orderid, from the API result or a notification
	CheckoutURL    string      `gorm:"size:2048;not null;default:''"`     // where the player completes the order; expires in 10–30 minutes
	// Flag lists anomalies for staff, "; "-separated and sorted, empty when all is
	// well: a cancel for a credited order, a second credit, a credit whose amount or
	// currency differs from the order, a notification under our messageid with
	// another Trustly orderid. An order with a flag needs a person to look.
	Flag string `gorm:"size:2000;not null;default:''"`
	// flagged are the flags added since the order was read (AddFlag, Refresh),
	// with their kinds, for the log line that says so (FlagsAdded); not stored.
	flagged map[string]FlagKind

	// Pay N Play fields (a deposit sent with RequestKYC "1"); zero for other orders.
	//
	// A Pay N Play order may start before we know who the player is: PlayerID is 0
	// until the kyc decision says CONTINUE and names (or creates) the player, and
	// EndUserID is the fresh opaque id sent to Trustly meanwhile. Every query about a
	// player's orders selects by a real player id, so such an order belongs to no
	// one until then. A credit or a debit that arrives before the kyc said CONTINUE
	// is held (CreditHeldAt, DebitHeldAt) and booked by the kyc that names the
	// player, once: the credit first, then the debit, which takes back no more than
	// that credit gave. After FINISH neither is booked: money never booked is never
	// taken back.
	PayNPlay  bool `gorm:"not null;default:false"`
	LoginOnly bool `gorm:"not null;default:false"` // a Pay N Play login: Deposit without Amount; Amount.Minor is 0
	// Market is the market whose start page a visitor's Pay N Play order was
	// started from ("FI"), one with Pay N Play on at the time: its pages lead back
	// there. "" for other orders, and for orders from before it was kept
	// (cashier.PayNPlayOutcome.Market derives what it can for them).
	Market string `gorm:"size:2;not null;default:''"`
	// EndUserID is what the Deposit sent as EndUserID, which Trustly's deposit
	// notifications name; "" for orders from before it was kept, whose player's
	// EndUserID it was.
	EndUserID string `gorm:"size:64;not null;default:''"`
	// The kyc decision (cashier/paynplay), stored once with the first kyc applied:
	// KYCOutcome "continue" or "finish", KYCLimitMinor the deposit cap of a CONTINUE
	// with limit (in the order's currency; 0 = none), KYCReasons every rule that fired
	// with its detail, one "rule: detail" per line (for staff: it may name a date of
	// birth), KYCMessage the sentence for the player of a FINISH in English, and
	// KYCText the same sentence as a message id with its arguments (EncodeText), which
	// the page shows in the player's language; KYCText is "" for orders decided
	// before it was kept, whose KYCMessage is all there is.
	KYCOutcome    string `gorm:"size:16;not null;default:''"`
	KYCLimitMinor int64  `gorm:"not null;default:0"`
	KYCReasons    string `gorm:"size:2000;not null;default:''"`
	KYCMessage    string `gorm:"size:500;not null;default:''"`
	KYCText       string `gorm:"size:1000;not null;default:''"`
	KYCAt         *time.Time
	// KYCWithdrawOnly names the national register that excludes the player whom
	// this login-only order's kyc let in all the same, to withdraw what they have
	// here (paynplay.RuleWithdrawOnly): the sign-in it opens is withdraw-only, as a
	// password player's. "" for every other order.
	KYCWithdrawOnly string `gorm:"size:100;not null;default:''"`
	// SignedInAt is when the order signed its browser in as its player (Pay N Play):
	// once only, so a copy of the browser's cookie from before cannot sign anyone
	// in with it again (cashier.Service.ClaimPayNPlaySignIn). A login whose kyc
	// said CONTINUE is done once it is set (OrderSignedIn).
	SignedInAt *time.Time
	// CreditedMinor is what the deposit's credit booked to the wallet, as Trustly
	// said (set with CreditedAt; 0 before): once it is set, the deposit limits
	// count it instead of what the order reserved, more or less. On a payout it is
	// what the bank's credit gave back to the wallet (0 when a cancel's return came
	// first, or before it was kept), which the approval window does not count.
	CreditedMinor int64 `gorm:"not null;default:0"`
	// DebitedMinor is what the deposit's debit booked out of the wallet (set with
	// DebitedAt; 0 before), or, while a debit that came before the credit is held
	// (DebitHeldAt; not a Pay N Play one waiting for its kyc), what it will take
	// back: its amount, no more than the amount asked. A smaller credit after a
	// debit an older version booked before it gives the difference back
	// ("debit-excess"). The deposit limits count the credit less it, never below
	// 0, since that money never stayed. A debit answered FAILED books nothing and
	// sets nothing; 0 also for a debit booked before it was kept.
	DebitedMinor int64      `gorm:"not null;default:0"`
	CreditHeldAt *time.Time // a credit came before the kyc said CONTINUE: not booked until then
	DebitHeldAt  *time.Time // a debit came before the credit was booked (or the kyc said CONTINUE): not booked until then
	// HeldCreditID and HeldDebitID are Trustly's notificationids of the credit and
	// the debit held: the kyc books exactly those, never another credit stored for
	// the order (one refused for its enduserid or currency, or a second one). ""
	// for none, and for a credit held before they were kept.
	HeldCreditID string `gorm:"size:64;not null;default:''"`
	HeldDebitID  string `gorm:"size:64;not null;default:''"`
	// KYCOverdueAt is when the janitor found a Pay N Play deposit's credit held
	// with no kyc and no cancel cashier.HeldCreditKYCWait after it came, and
	// CreditOverdueAt when it found one pending with no credit (booked or held)
	// and no cancel cashier.PendingCreditWait after its pending, or an ordinary
	// deposit pending with no credit and no cancel as long: each is set once, and
	// Refresh flags the order from it while it still waits
	// (FlagHeldCreditKYCOverdue, FlagPendingNoCredit, FlagDepositPendingNoCredit).
	// Nil for every other order; kept, as when it was found, after what the
	// order waited for came.
	KYCOverdueAt    *time.Time
	CreditOverdueAt *time.Time

	FailedAt    *time.Time // the API refused the order, or the call failed or timed out
	StartedAt   *time.Time // the API accepted it (TrustlyOrderID and CheckoutURL set)
	PendingAt   *time.Time // pending notification applied
	CreditedAt  *time.Time // credit booked ("deposit:<ID>:credit"); payout: the credit returning its money applied
	DebitedAt   *time.Time // debit booked ("deposit:<ID>:debit")
	CancelledAt *time.Time // cancel notification applied; payout: also cancelled by the player
	AbandonedAt *time.Time // deposit: the janitor found its checkout expired with no notification (OrderAbandoned)
	// AccountAddedAt: account selection: its account notification saved the player's
	// bank account (OrderAccountAdded). Never set for other kinds, whose account
	// notifications say where money came from.
	AccountAddedAt *time.Time
	CreatedAt      time.Time `gorm:"not null;index"`
	UpdatedAt      time.Time `gorm:"not null"`

	// ParentID is a refund's deposit (our Order.ID); zero for other kinds. A refund
	// keeps TrustlyOrderID empty: Trustly answers and notifies it under its deposit's
	// orderid, which names the deposit.
	ParentID int64 `gorm:"not null;default:0;index"`
	// ReturnsHeld marks a refund that returns a refused Pay N Play deposit's held
	// credit to the payer (OrderRefusedHeld): that money never was in a wallet, so
	// the return has no player (PlayerID 0) and books no transfer, whatever
	// Trustly says of it; its *At fields are its whole record.
	ReturnsHeld bool `gorm:"not null;default:false"`
	// HeldReturned is a refused-held deposit's: a return of its held credit is
	// sent (or confirmed) and neither failed nor came back (OrderRefusedReturned).
	// cashier keeps it in step with the deposit's returns, under the deposit's
	// row lock; it is not an event, and it goes back to false.
	HeldReturned bool `gorm:"not null;default:false"`

	// Payout fields (Kind OrderPayout, and OrderRefund, which moves money the same
	// way); zero for other kinds.
	//
	// The reservation "payout:<ID>:reserve" (wallet → reserved) is booked in the
	// transaction that creates the order. After that the money moves at most once
	// more out of the reservation, and each *At below marks the transfer booked with
	// it, in the same transaction: SentAt "payout:<ID>:send" (reserved → Trustly
	// clearing), ReleasedAt "payout:<ID>:release" (reserved → wallet), and, only
	// after a send, ReturnedAt "payout:<ID>:return" (clearing → wallet).
	BankAccountID int64  `gorm:"not null;default:0;index"`    // our BankAccount.ID the payout goes to
	AccountID     string `gorm:"size:64;not null;default:''"` // Trustly's AccountID, as sent in AccountPayout
	NeedsApproval bool   `gorm:"not null;default:false"`      // its Window above Limits.ApprovalAbove: sent only after ApprovedAt
	// WindowMinor is what the approval was decided on: the payout's amount plus the
	// player's other payouts of the 24 hours before it that were not failed or
	// cancelled, summed when it was asked for (cashier.PayoutWindow); 0 for orders
	// from before it was kept and for other kinds. Window reads it.
	WindowMinor int64 `gorm:"not null;default:0"`
	DecidedBy   int64 `gorm:"not null;default:0"` // the staff member (staff.Member ID) who approved or denied it
	// Reason says why a payout failed or was denied: the admin's words, Trustly's
	// error code, or payoutfailed's errormessage. For staff; players see
	// cashier.PayoutStateText.
	Reason string `gorm:"size:500;not null;default:''"`
	// TransferState is GetWithdrawals' last transferstate ("EXECUTING", …), shown to
	// the player in words; TransferCheckedAt is when it was last asked and
	// TransferChecks how often: at most once per 15 minutes per payout (API.md §4.6).
	// On a deposit they count the GetWithdrawals calls about its refunds, which are
	// asked for with the deposit's orderid, under the same limit.
	TransferState     string `gorm:"size:32;not null;default:''"`
	TransferChecks    int    `gorm:"not null;default:0"`
	TransferCheckedAt *time.Time
	// Attempts counts AccountPayout calls; AttemptedAt is the last one's start. They
	// are bookkeeping for ResumePayouts, not events: AttemptedAt changes per attempt.
	Attempts    int `gorm:"not null;default:0"`
	AttemptedAt *time.Time
	// LedgerChecks counts the AccountLedger checks of a payout whose resend was
	// answered 637 or refused (CheckingAt), and LedgerCheckedAt is the last one's
	// time: 637 proves only that an earlier call arrived, since Trustly keeps the
	// MessageID of a payout it refused too (API.md §6.1), and a refusal of a resend
	// says nothing about the earlier call, so Trustly's ledger, searched by our
	// MessageID, settles it. Bookkeeping for SettlePayouts, like Attempts.
	LedgerChecks    int `gorm:"not null;default:0"`
	LedgerCheckedAt *time.Time

	ApprovedAt       *time.Time // an admin approved it (NeedsApproval)
	DeniedAt         *time.Time // an admin denied it; released
	OutcomeUnknownAt *time.Time // an AccountPayout call timed out or failed in transit; the reservation stays
	CheckingAt       *time.Time // a resend was answered 637 or refused: an earlier call arrived or may have, and Trustly may have paid or refused it; the reservation stays
	SentAt           *time.Time // "payout:<ID>:send" booked: Trustly accepted it, a notification proved it, or AccountLedger shows it
	ConfirmedAt      *time.Time // payoutconfirmation applied
	PayoutFailedAt   *time.Time // payoutfailed applied; money comes back only with the credit
	ReleasedAt       *time.Time // "payout:<ID>:release" booked: not sent (refused, denied, cancelled)
	ReturnedAt       *time.Time // "payout:<ID>:return" booked: a credit (or a cancel) after the send gave the money back
}

// KYC outcomes stored in Order.KYCOutcome (paynplay.Continue and paynplay.Finish).
const (
	KYCContinue = "continue"
	KYCFinish   = "finish"
)

// KYCLimit is the cap a CONTINUE with limit put on the deposit; the zero Money
// when there is none.
func (o *Order) KYCLimit() Money {
	if o.KYCLimitMinor == 0 {
		return Money{}
	}
	return Money{Minor: o.KYCLimitMinor, Currency: o.Amount.Currency}
}

// Expected is what a deposit's credit is asked to bring: the order's amount, or,
// when a CONTINUE with limit capped it below that, the limit (Trustly's checkout
// lets the player sign no more). A credit of anything else is booked as Trustly
// says and flagged for staff.
func (o *Order) Expected() Money {
	if limit := o.KYCLimit(); limit.Minor > 0 && limit.Minor < o.Amount.Minor {
		return limit
	}
	return o.Amount
}

// Brings is what a deposit brings the player's wallet, as its pages show it: once
// credited, what the credit booked (Credited), and before that what it is expected
// to bring (Expected: the limit its kyc capped it at, when lower than the amount
// chosen). A page never says more reached the wallet than did.
func (o *Order) Brings() Money {
	if credited, ok := o.Credited(); ok {
		return credited
	}
	return o.Expected()
}

// KYCRefusal is the FINISH's sentence as a message id with its arguments (KYCText
// read); ok is false for an order without one, whose KYCMessage is shown as stored.
func (o *Order) KYCRefusal() (Text, bool) { return DecodeText(o.KYCText) }

// Flags raised from the order's state rather than from one event. Refresh adds and
// removes them as the state changes, so they do not depend on arrival order.
const (
	FlagCancelAfterCredit = "cancel received for a credited order: the credit stands"
	FlagDebitNoCredit     = "debit booked without a credit"
	// A Pay N Play order whose kyc said FINISH books nothing it held; staff return
	// a held credit to the payer, unless the bank took it back with a debit.
	FlagHeldCreditRefused  = "credit held for an order whose kyc was answered FINISH: not booked, return it to the payer"
	FlagHeldCreditReturned = "credit held for an order whose kyc was answered FINISH: not booked, returned to the payer"
	FlagHeldCreditDebited  = "credit held for an order whose kyc was answered FINISH, then debited by the bank: nothing booked, nothing to return"
	FlagHeldDebitNoCredit  = "debit held for an order whose kyc was answered FINISH: nothing booked, nothing taken back"
	// A Pay N Play order that ended (cancelled or failed) holding a credit, with no
	// kyc ever: Trustly sends the kyc before money moves, so the money came for a
	// player nobody named; staff return it, unless a kyc still comes and books it.
	FlagHeldCreditNoKYC = "credit held for a Pay N Play order that ended with no kyc: not booked, return it to the payer unless a kyc still comes"
	// A Pay N Play order holding a credit with no kyc and no cancel long after
	// the credit came (KYCOverdueAt): the money is in no wallet and nobody named
	// the payer. A kyc that still comes decides as ever; a cancel makes it
	// FlagHeldCreditNoKYC.
	FlagHeldCreditKYCOverdue = "credit held for a Pay N Play order with no kyc and no cancel for more than a day: not booked, in no wallet, ask Trustly about its kyc and return the money to the payer unless a kyc still comes"
	// A Pay N Play deposit pending with no credit and no cancel long after its
	// pending (CreditOverdueAt): the player finished the checkout and no money
	// came, nor word that none will.
	FlagPendingNoCredit = "Pay N Play deposit pending with no credit and no cancel for more than a day: nothing booked, ask Trustly whether the money came"
	// An ordinary deposit pending with no credit and no cancel long after its
	// pending (CreditOverdueAt), as FlagPendingNoCredit says of a Pay N Play one:
	// the player finished the checkout, and no money came nor word that none will.
	FlagDepositPendingNoCredit = "deposit pending with no credit and no cancel for more than a day: nothing booked, nothing in the wallet, ask Trustly whether the money came"
	// A debit that came before any credit is held, not booked: the player never
	// got the money. A credit that comes books it right after itself.
	FlagDebitHeld = "debit came before any credit: held, nothing booked, the player owes nothing, and a credit that comes books it right after itself"
	// And the deposit was cancelled: no credit is expected.
	FlagDebitCancelled = "debit came for a deposit cancelled before any credit: nothing booked, the player was never credited and owes nothing, ask Trustly why it debited and whether money came after all"
)

// derivedFlags are the flags Refresh owns, each with its kind.
var derivedFlags = map[string]FlagKind{
	FlagCancelAfterCredit:      FlagKindCancelAfterCredit,
	FlagDebitNoCredit:          FlagKindDebitNoCredit,
	FlagHeldCreditRefused:      FlagKindHeldCreditRefused,
	FlagHeldCreditReturned:     FlagKindHeldCreditReturned,
	FlagHeldCreditDebited:      FlagKindHeldCreditDebited,
	FlagHeldDebitNoCredit:      FlagKindHeldDebit,
	FlagHeldCreditNoKYC:        FlagKindHeldCreditNoKYC,
	FlagHeldCreditKYCOverdue:   FlagKindHeldCreditKYCOverdue,
	FlagPendingNoCredit:        FlagKindPendingNoCredit,
	FlagDepositPendingNoCredit: FlagKindPendingNoCredit,
	FlagDebitHeld:              FlagKindDebitNoCredit,
	FlagDebitCancelled:         FlagKindDebitNoCredit,
}

// FlagKind names what kind of anomaly a flag is, for logs and alerts. A flag's
// text is for staff and stays in the database and the back office: it can name
// the bank account's holder, or quote what a notification said. A log line
// names the order and the kinds of its new flags, never their text.
type FlagKind string

const (
	FlagKindCancelAfterCredit    FlagKind = "cancel-after-credit"          // FlagCancelAfterCredit
	FlagKindDebitNoCredit        FlagKind = "debit-without-credit"         // FlagDebitNoCredit, or a debit not booked for want of a credit
	FlagKindHeldCreditRefused    FlagKind = "held-credit-to-return"        // FlagHeldCreditRefused
	FlagKindHeldCreditReturned   FlagKind = "held-credit-returned"         // FlagHeldCreditReturned
	FlagKindHeldCreditDebited    FlagKind = "held-credit-debited"          // FlagHeldCreditDebited
	FlagKindHeldDebit            FlagKind = "held-debit"                   // FlagHeldDebitNoCredit
	FlagKindHeldCreditNoKYC      FlagKind = "held-credit-no-kyc"           // FlagHeldCreditNoKYC
	FlagKindHeldCreditKYCOverdue FlagKind = "held-credit-kyc-overdue"      // FlagHeldCreditKYCOverdue
	FlagKindPendingNoCredit      FlagKind = "pending-no-credit"            // FlagPendingNoCredit, FlagDepositPendingNoCredit
	FlagKindRedeliveryDiffers    FlagKind = "redelivery-differs"           // a notificationid came again with other data
	FlagKindOtherMessageID       FlagKind = "orderid-with-other-messageid" // this order's Trustly orderid came with another messageid
	FlagKindOtherOrderID         FlagKind = "messageid-with-other-orderid" // this order's messageid came with another Trustly orderid
	FlagKindUnexpected           FlagKind = "unexpected-notification"      // a notification this kind of order never gets
	FlagKindNotForOrder          FlagKind = "not-for-order"                // a notification naming another player, or another currency
	FlagKindRepeated             FlagKind = "repeated-event"               // a second credit or debit: only the first was booked
	FlagKindMoneyOnLogin         FlagKind = "money-on-login"               // a credit or debit on a Pay N Play login
	FlagKindAmountDiffers        FlagKind = "amount-differs"               // an amount other than the order's
	FlagKindPastDepositLimit     FlagKind = "past-deposit-limit"           // a credit past the player's deposit limit
	FlagKindDebitPastCredit      FlagKind = "debit-past-credit"            // a debit of more than the credit gave
	FlagKindBeforeSent           FlagKind = "notification-before-sent"     // a payout notification while it waited for approval, or after it was denied or cancelled unsent
	FlagKindPaidAfterCancel      FlagKind = "paid-after-cancel"            // a payout confirmed after a cancel gave the money back
	FlagKindCancelAfterConfirmed FlagKind = "cancel-after-confirmation"    // a cancel after the bank confirmed the payout
	FlagKindAfterRelease         FlagKind = "after-release"                // Trustly has a payout whose reservation was released
	FlagKindRefusedAfterSent     FlagKind = "refused-after-sent"           // Trustly refused a payout or refund it had proved it had
	FlagKindUnmatchedRefund      FlagKind = "unmatched-refund"             // a refund notification matching none of the deposit's refunds
	FlagKindBeforeOrderKnown     FlagKind = "notification-before-order"    // a notification that came before the order was known
	FlagKindSecondAccount        FlagKind = "possible-second-account"      // a Pay N Play identity that may be another player's
	FlagKindHolderName           FlagKind = "holder-name"                  // a bank account whose holder is not the player
	FlagKindAccountIDTooLong     FlagKind = "accountid-too-long"           // an account notification's accountid longer than kept
	FlagKindPersonOnBreak        FlagKind = "bank-person-on-break"         // the bank names a person on a break on another account
)

// Refresh recomputes Status and the state-derived flags from the applied-event
// timestamps. Call it after setting any of them.
func (o *Order) Refresh() {
	switch {
	case o.MovesOut():
		o.Status = o.payoutStatus()
	case o.Kind == OrderSelectAccount && o.AccountAddedAt != nil:
		o.Status = OrderAccountAdded
	case o.LoginOnly && o.KYCOutcome == KYCContinue && o.SignedInAt != nil:
		o.Status = OrderSignedIn
	case o.PayNPlay && o.KYCOutcome == KYCFinish && o.CreditedAt == nil && o.DebitedAt == nil:
		// A Pay N Play order the kyc refused never becomes a deposit: nothing it
		// holds is booked. It is over at the FINISH: no cancel need follow, and
		// the janitor, which abandons only created and started orders, never reads
		// it as a checkout left open; it outranks an abandonment before the kyc
		// came. Its credit coming all the same (the payer's bank sent the money)
		// makes it refused-held, the money to be returned, whenever it comes and
		// whatever cancel comes; failed is what it reads with nothing to return:
		// no money came, or a debit took the credit back or came alone. A login
		// never has money: what comes on one is flagged, never held or booked.
		o.Status = OrderFailed
		switch o.heldRefusedFlag() {
		case FlagHeldCreditRefused:
			o.Status = OrderRefusedHeld
		case FlagHeldCreditReturned:
			o.Status = OrderRefusedReturned
		}
	case o.DebitedAt != nil:
		o.Status = OrderDebited
	case o.CreditedAt != nil:
		o.Status = OrderCredited
	case o.CancelledAt != nil || o.FailedAt != nil:
		o.Status = OrderFailed
	case o.PendingAt != nil || o.CreditHeldAt != nil || o.DebitHeldAt != nil:
		o.Status = OrderPending
	case o.AbandonedAt != nil:
		o.Status = OrderAbandoned
	case o.StartedAt != nil:
		o.Status = OrderStarted
	default:
		o.Status = OrderCreated
	}
	if o.MovesOut() {
		return // a payout's or refund's flags all come from single events
	}
	had := o.Flags()
	flags := o.Flags()
	for f := range derivedFlags {
		delete(flags, f)
	}
	if o.CancelledAt != nil && o.CreditedAt != nil {
		flags[FlagCancelAfterCredit] = true
	}
	if o.DebitedAt != nil && o.CreditedAt == nil {
		flags[FlagDebitNoCredit] = true // booked by an older version, before the credit
	}
	if f := o.heldDebitFlag(); f != "" {
		flags[f] = true
	}
	if f := o.heldRefusedFlag(); f != "" {
		flags[f] = true
	}
	if f := o.overdueFlag(); f != "" {
		flags[f] = true
	}
	for f, kind := range derivedFlags {
		if flags[f] && !had[f] {
			o.added(f, kind)
		}
	}
	o.setFlags(flags)
}

// heldDebitFlag says what became of a debit held for want of a credit: held while
// the deposit may still be credited (FlagDebitHeld), or with nothing to take back
// once it was cancelled or failed (FlagDebitCancelled); "" for none, and for a
// Pay N Play order whose kyc said FINISH (heldRefusedFlag) or that holds a credit.
func (o *Order) heldDebitFlag() string {
	switch {
	case o.DebitHeldAt == nil || o.DebitedAt != nil || o.CreditedAt != nil || o.CreditHeldAt != nil || o.KYCOutcome == KYCFinish:
		return ""
	case o.CancelledAt != nil || o.FailedAt != nil:
		return FlagDebitCancelled
	}
	return FlagDebitHeld
}

// heldRefusedFlag says what became of what a Pay N Play order held when its kyc
// said FINISH, or when it ended with no kyc holding a credit (FlagHeldCreditNoKYC),
// or "" when it held nothing or the kyc did not refuse it. Nothing held is ever
// booked then (unless a kyc still comes and says CONTINUE).
func (o *Order) heldRefusedFlag() string {
	credit, debit := o.CreditHeldAt != nil && o.CreditedAt == nil, o.DebitHeldAt != nil && o.DebitedAt == nil
	switch {
	case o.PayNPlay && o.KYCOutcome == "" && credit && !debit && (o.CancelledAt != nil || o.FailedAt != nil):
		return FlagHeldCreditNoKYC
	case o.KYCOutcome != KYCFinish:
		return ""
	case credit && debit:
		return FlagHeldCreditDebited
	case credit && o.HeldReturned:
		return FlagHeldCreditReturned
	case credit:
		return FlagHeldCreditRefused
	case debit:
		return FlagHeldDebitNoCredit
	}
	return ""
}

// overdueFlag says what a deposit still waits for past the janitor's wait, with
// no cancel or failure that ended it: a Pay N Play one its kyc, holding a credit
// (KYCOverdueAt: FlagHeldCreditKYCOverdue), or its credit, pending
// (CreditOverdueAt: FlagPendingNoCredit), and an ordinary one its credit, pending
// (CreditOverdueAt: FlagDepositPendingNoCredit); "" otherwise, and as soon as
// what it waited for comes, or a debit, or the order ends (heldRefusedFlag then
// says what became of a held credit).
func (o *Order) overdueFlag() string {
	kyc, credit := o.Awaits()
	switch {
	case kyc && o.KYCOverdueAt != nil:
		return FlagHeldCreditKYCOverdue
	case credit && o.CreditOverdueAt != nil && o.PayNPlay:
		return FlagPendingNoCredit
	case credit && o.CreditOverdueAt != nil:
		return FlagDepositPendingNoCredit
	}
	return ""
}

// Awaits reports what a deposit that nothing ended (no cancel, failure, debit,
// nor a kyc's FINISH) still waits for: a Pay N Play one its kyc, holding a credit
// that came with none (since CreditHeldAt), and any deposit its credit, pending
// with none booked or held (since PendingAt); a deposit whose pending never came
// awaits nothing here (the janitor abandons its checkout when it expires). The
// janitor sets KYCOverdueAt or CreditOverdueAt when it has waited too long; both
// are false for every other order, and for a Pay N Play login.
func (o *Order) Awaits() (kyc, credit bool) {
	if o.Kind != OrderDeposit || o.LoginOnly || o.KYCOutcome == KYCFinish || o.CancelledAt != nil ||
		o.FailedAt != nil || o.CreditedAt != nil || o.DebitedAt != nil || o.DebitHeldAt != nil {
		return false, false
	}
	return o.PayNPlay && o.CreditHeldAt != nil && o.KYCOutcome == "", o.CreditHeldAt == nil && o.PendingAt != nil
}

// Credited is what a deposit's credit booked to the wallet, as Trustly said
// (CreditedMinor; the order's amount for a credit booked before that was kept),
// and false for an order that is not a credited deposit.
func (o *Order) Credited() (Money, bool) {
	if o.Kind != OrderDeposit || o.CreditedAt == nil {
		return Money{}, false
	}
	if o.CreditedMinor > 0 {
		return Money{Minor: o.CreditedMinor, Currency: o.Amount.Currency}, true
	}
	return o.Amount, true
}

// Window is the sum a payout's approval was decided on (WindowMinor): its amount
// with the player's other payouts of the 24 hours before it; the amount alone for a
// payout from before that sum was kept.
func (o *Order) Window() Money {
	return Money{Minor: max(o.Amount.Minor, o.WindowMinor), Currency: o.Amount.Currency}
}

// CheckoutOver reports whether o's checkout ended with no word from Trustly: the
// janitor abandoned it (OrderAbandoned), or it is still created or started and
// was made before cutoff, the creation time of the checkouts whose life is over
// now (cashier's checkoutCutoff), when its checkout URL no longer works, before
// the janitor came by. SQL says the same with created_at < cutoff.
func (o *Order) CheckoutOver(cutoff time.Time) bool {
	silent := o.Status == OrderCreated || o.Status == OrderStarted
	return o.Status == OrderAbandoned || (silent && o.CreatedAt.Before(cutoff))
}

// MovesOut reports whether the order sends money out of a wallet through a
// reservation: a payout or a refund.
func (o *Order) MovesOut() bool { return o.Kind == OrderPayout || o.Kind == OrderRefund }

// payoutBack are the payout statuses whose money is back in the wallet, or is
// coming back: failed (refused, returned by the bank, reported failed by
// payoutfailed) and cancelled (denied, cancelled by the player or by Trustly).
var payoutBack = []OrderStatus{OrderFailed, OrderCancelled}

// PayoutOutSQL is, in SQL over a payout's row of orders, what of it the payout
// approval window and the net deposit limits count as gone from the player's
// wallet: its amount, unless its status is one of payoutBack; then what a credit
// did not give back (a credit of less than the payout, CreditedMinor: the rest
// is with the bank), or nothing. A credit of the whole amount, a return a cancel
// booked, a release, a payoutfailed whose credit is still to come, or a credit
// from before CreditedMinor was kept for payouts counts nothing. A cancel's
// return that a payoutconfirmation took back ("retake") is no return any more:
// the payout is confirmed and counts whole, and a credit after it is kept in
// CreditedMinor like any. The reality check counts payouts with it too.
var PayoutOutSQL = "CASE WHEN status NOT IN (" + statusList(payoutBack) + ") THEN amount_minor " +
	"WHEN credited_at IS NOT NULL AND credited_minor > 0 AND credited_minor < amount_minor THEN amount_minor - credited_minor ELSE 0 END"

// statusList is statuses as a list of SQL string literals: "'failed', 'cancelled'".
func statusList(statuses []OrderStatus) string {
	quoted := make([]string, len(statuses))
	for i, s := range statuses {
		quoted[i] = "'" + string(s) + "'"
	}
	return strings.Join(quoted, ", ")
}

// payoutStatus derives a payout's status; see the payout statuses. Money back in
// the wallet decides first: failed when Trustly or the bank gave it back (a
// credit, payoutfailed) or refused the payout, cancelled when a person or a cancel
// notification stopped it.
func (o *Order) payoutStatus() OrderStatus {
	failed := o.CreditedAt != nil || o.PayoutFailedAt != nil || o.FailedAt != nil
	switch {
	case o.ReturnedAt != nil || o.ReleasedAt != nil:
		if failed {
			return OrderFailed
		}
		return OrderCancelled
	case failed:
		return OrderFailed
	case o.ConfirmedAt != nil:
		return OrderConfirmed
	case o.SentAt != nil:
		return OrderSent
	case o.CheckingAt != nil:
		return OrderChecking
	case o.OutcomeUnknownAt != nil:
		return OrderSending
	case o.NeedsApproval && o.ApprovedAt == nil:
		return OrderAwaitingApproval
	}
	return OrderRequested
}

// AddFlag records an anomaly of kind seen in one event, text saying it for staff.
// Flags form a set: adding one twice keeps one.
func (o *Order) AddFlag(kind FlagKind, text string) {
	flags := o.Flags()
	text = strings.ReplaceAll(text, ";", ",")
	if !flags[text] {
		o.added(text, kind)
	}
	flags[text] = true
	o.setFlags(flags, text)
}

// FlagSize is the most characters Order.Flag holds: its column's size, which
// PostgreSQL enforces (a longer flag would fail the notification adding it, and
// every later one that adds a flag, so that none of them is ever answered).
const FlagSize = 2000

// FlagMore is among an order's flags when some did not fit in FlagSize: the
// sentences left out are in the alerts of the log, and the notifications that
// raised them are on the order's page.
const FlagMore = "more flags than fit here: see the order's notifications and the log's alerts"

// added notes that flag text, of kind, was added since o was read.
func (o *Order) added(text string, kind FlagKind) {
	if o.flagged == nil {
		o.flagged = map[string]FlagKind{}
	}
	o.flagged[text] = kind
}

// FlagsAdded are the kinds of the flags AddFlag and Refresh added to o since it
// was read and that it still has, sorted, each once: what a log line says of them.
func (o *Order) FlagsAdded() []FlagKind {
	var kinds []FlagKind
	for text, kind := range o.flagged {
		if o.Flags()[text] {
			kinds = append(kinds, kind)
		}
	}
	slices.Sort(kinds)
	return slices.Compact(kinds)
}

// Flags returns the order's flags as a set.
func (o *Order) Flags() map[string]bool {
	out := map[string]bool{}
	for _, f := range strings.Split(o.Flag, "; ") {
		if f != "" {
			out[f] = true
		}
	}
	return out
}

// setFlags stores flags, sorted, within FlagSize. When they do not all fit, the
// state-derived flags (derivedFlags) are kept first, then newest, the flag being
// added, then the others in order while they fit, and FlagMore says that some
// were left out.
func (o *Order) setFlags(flags map[string]bool, newest ...string) {
	list := sortedFlags(flags)
	if o.Flag = strings.Join(list, "; "); len(o.Flag) <= FlagSize {
		return
	}
	kept, size := map[string]bool{FlagMore: true}, len(FlagMore)
	for _, f := range slices.Concat(slices.Sorted(maps.Keys(derivedFlags)), newest, list) {
		if flags[f] && !kept[f] && size+len("; ")+len(f) <= FlagSize {
			kept[f] = true
			size += len("; ") + len(f)
		}
	}
	o.Flag = strings.Join(sortedFlags(kept), "; ")
}

func sortedFlags(flags map[string]bool) []string {
	list := make([]string, 0, len(flags))
	for f := range flags {
		list = append(list, f)
	}
	sort.Strings(list)
	return list
}

// Reference names a ledger event of this order: "deposit:4711:credit".
func (o *Order) Reference(event string) string {
	return string(o.Kind) + ":" + strconv.FormatInt(o.ID, 10) + ":" + event
}
