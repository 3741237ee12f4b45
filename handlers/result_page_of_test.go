package handlers

import (
	"testing"

	"github.com/trustly-cashier/cashier/models"
)

// TestResultPageOf: a result page cameBack remembers is found for its order by
// one rule (pageOf: it ends with the order's orderQuery), whichever result page it
// is, and with a MessageID that needs escaping; not for an order whose MessageID
// the other's ends with, nor for another order.
func TestResultPageOf(t *testing.T) {
	order := func(kind models.OrderKind, status models.OrderStatus, id string) models.Order {
		return models.Order{Kind: kind, Status: status, MessageID: id}
	}
	for _, tt := range []struct {
		page  string
		order models.Order
		want  bool
	}{
		{resultURL(order(models.OrderDeposit, models.OrderCredited, "d-1")), order(models.OrderDeposit, models.OrderCredited, "d-1"), true},
		{resultURL(order(models.OrderDeposit, models.OrderFailed, "d-1")), order(models.OrderDeposit, models.OrderStarted, "d-1"), true},
		{resultURL(order(models.OrderSelectAccount, models.OrderAccountAdded, "s 1+&")), order(models.OrderSelectAccount, models.OrderStarted, "s 1+&"), true},
		{"/deposit/success?order=xd-1", order(models.OrderDeposit, models.OrderStarted, "d-1"), false},
		{resultURL(order(models.OrderDeposit, models.OrderCredited, "d-1")), order(models.OrderDeposit, models.OrderStarted, "d-2"), false},
		{"/deposit/success?order=s 1+&", order(models.OrderSelectAccount, models.OrderStarted, "s 1+&"), false}, // unescaped
	} {
		if got := pageOf(tt.page, tt.order); got != tt.want {
			t.Errorf("pageOf(%q, order %q) = %t; want %t", tt.page, tt.order.MessageID, got, tt.want)
		}
	}
}
