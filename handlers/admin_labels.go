package handlers

import (
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
)

// kindLabels and statusLabels are how staff read an order's kind and status, and
// eventLabels an audit row's action, in English: the one table every back-office
// page that shows a kind or a state reads (the approvals queue, the transactions
// list, its filter and totals, the order page, the player's page, the flagged
// list, the refund form), so one order reads the same everywhere. The codes stay
// in the filter's query values, in the CSV export (programs read it) and in the
// cells' title, for searching. Players read their own words (statusWords,
// payoutWords). Audit actions read the same on the audit page (its rows and
// filter) and on an order's page.
var kindLabels = map[models.OrderKind]string{
	models.OrderDeposit:       "Deposit",
	cashier.TxLogin:           loginLabel, // the filter's choice of Pay N Play bank logins
	models.OrderPayout:        "Payout",
	models.OrderRefund:        "Refund",
	models.OrderSelectAccount: "Account selection",
}

var statusLabels = map[models.OrderStatus]string{
	models.OrderCreated:          "Created",
	models.OrderStarted:          "Checkout started",
	models.OrderPending:          "Pending",
	models.OrderCredited:         "Credited",
	models.OrderDebited:          "Debited",
	models.OrderFailed:           "Failed",
	models.OrderRefusedHeld:      "Refused — money held to return",
	models.OrderRefusedReturned:  "Refused — money returned to payer",
	models.OrderAbandoned:        "Abandoned",
	models.OrderAccountAdded:     "Account added",
	models.OrderSignedIn:         "Signed in",
	models.OrderAwaitingApproval: "Awaiting approval",
	models.OrderRequested:        "Requested",
	models.OrderSending:          "Sending",
	models.OrderChecking:         "Checking with Trustly",
	models.OrderSent:             "Sent",
	models.OrderConfirmed:        "Confirmed",
	models.OrderCancelled:        "Cancelled",
}

// kindLabel is an order's kind for staff: "Account selection". A kind without a
// label shows as its code.
func kindLabel(k models.OrderKind) string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return string(k)
}

// loginLabel is the kind staff read for a Pay N Play bank login: an order of kind
// deposit (its code, kept in the cell's title, the filter and the CSV) sent
// without an amount, which moves no money.
const loginLabel = "Bank login"

// returnLabel is the kind staff read for a refund that returns a refused
// deposit's held credit to the payer (models.Order.ReturnsHeld): of kind refund
// (its code), it books nothing.
const returnLabel = "Return of held money"

// orderKindLabel is order o's kind for staff: kindLabel, but a Pay N Play bank
// login (LoginOnly) reads "Bank login" rather than "Deposit", and a return of
// held money (ReturnsHeld) "Return of held money" rather than "Refund".
func orderKindLabel(o models.Order) string {
	switch {
	case o.LoginOnly:
		return loginLabel
	case o.ReturnsHeld:
		return returnLabel
	}
	return kindLabel(o.Kind)
}

// statusLabel is an order's status for staff: "Awaiting approval". A status
// without a label shows as its code.
func statusLabel(s models.OrderStatus) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return string(s)
}

// bankFailedLabels are the statuses staff read, by the order's status, for a
// payout or refund the bank failed whose money is not back yet
// (cashier.BankFailedNotBack), which the player reads will come back to their
// balance (cashier.PayoutTextBankFailed): failed (payoutfailed) like one whose
// money is back, yet with Trustly still; sent or confirmed while GetWithdrawals'
// transfer state says the bank failed it. Each starts with the status's own
// label, which the filter and the totals use.
var bankFailedLabels = map[models.OrderStatus]string{
	models.OrderFailed:    "Failed — money not back yet",
	models.OrderSent:      "Sent — failed by the bank, money not back yet",
	models.OrderConfirmed: "Confirmed — then failed by the bank, money not back yet",
}

// orderStatusLabel is order o's status for staff: statusLabel, but a payout or
// refund the bank failed whose money has not come back (cashier.BankFailedNotBack,
// the rule the player's words follow) reads its bankFailedLabels.
func orderStatusLabel(o models.Order) string {
	if l, ok := bankFailedLabels[o.Status]; ok && cashier.BankFailedNotBack(o) {
		return l
	}
	return statusLabel(o.Status)
}

var eventLabels = map[staff.Event]string{
	staff.EventSignIn:              "Signed in",
	staff.EventSignOut:             "Signed out",
	staff.EventReauth:              "Confirmed password again",
	staff.EventOwnerEnsured:        "Owner ensured at start",
	staff.EventStaffCreated:        "Staff member added",
	staff.EventRoleChanged:         "Role changed",
	staff.EventStaffDisabled:       "Staff member disabled",
	staff.EventStaffEnabled:        "Staff member enabled",
	staff.EventTOTPEnabled:         "Second factor set up",
	staff.EventTOTPReset:           "Second factor reset",
	staff.EventPasswordChanged:     "Own password changed",
	staff.EventPasswordReset:       "Temporary password set",
	staff.EventPayoutApproved:      "Payout approved",
	staff.EventPayoutFirstVote:     "First of two approvals",
	staff.EventPayoutDenied:        "Payout denied",
	staff.EventPlayerBlocked:       "Player blocked",
	staff.EventPlayerUnblocked:     "Player unblocked",
	staff.EventPlayerNote:          "Note on a player",
	staff.EventFlagResolved:        "Flag resolved",
	staff.EventRefund:              "Refund requested",
	staff.EventHeldReturn:          "Held money returned to payer",
	staff.EventExportStarted:       "Data export started",
	staff.EventExported:            "Data exported",
	staff.EventReconcileStarted:    "Reconciliation started",
	staff.EventReconciled:          "Reconciliation run",
	staff.EventRegistrationRefused: "Registration refused: self-excluded",
	staff.EventSignInsLimited:      "Sign-ins refused after wrong passwords or codes",
}

// eventLabel is an audit action for staff: "Payout approved". An action without
// a label shows as its code.
func eventLabel(e staff.Event) string {
	if l, ok := eventLabels[e]; ok {
		return l
	}
	return string(e)
}

// actionWords says what each action does, for a member whose role may not do it
// (roleRefused): "may not resolve flags". ActionSelf is never refused.
var actionWords = map[staff.Action]string{
	staff.ActionView:         "open the back office",
	staff.ActionDecidePayout: "approve or deny payouts",
	staff.ActionRefund:       "refund deposits or return held money to the payer",
	staff.ActionRefundAny:    "refund more than an operator may",
	staff.ActionBlockPlayer:  "block or unblock players or write notes on them",
	staff.ActionResolveFlag:  "resolve flags",
	staff.ActionReconcile:    "run the reconciliation",
	staff.ActionManageStaff:  "manage staff accounts",
}
