package handlers

import "github.com/trustly-cashier/cashier/models"

// kindLabels and statusLabels are how staff read an order's kind and status, in
// English: the one table every back-office page that shows a kind or a state
// reads (the approvals queue, the transactions list, its filter and totals, the
// order page, the player's page, the flagged list, the refund form), so one order
// reads the same everywhere. The codes stay in the filter's query values, in the
// CSV export (programs read it) and in the cells' title, for searching. Players
// read their own words (statusWords, payoutWords).
var kindLabels = map[models.OrderKind]string{
	models.OrderDeposit:       "Deposit",
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
	models.OrderAbandoned:        "Abandoned",
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

// statusLabel is an order's status for staff: "Awaiting approval". A status
// without a label shows as its code.
func statusLabel(s models.OrderStatus) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return string(s)
}
