package storetest

import (
	"fmt"
	"time"

	"github.com/trustly-cashier/cashier/models"
)

// MovesOutStates are payouts and refunds (models.Order.MovesOut) in every
// combination of status, transfer state (none, in progress, paid, and each failed
// state of trustly.FailedTransferStates in another case or with spaces around)
// and whether payoutfailed came, the money was returned and the reservation was
// released: the inputs on which every reader of "the bank failed it, its money
// is not back yet" must agree, the combinations Refresh never makes included.
// Order i has MessageID "<prefix><i>", player i+1 and SEK 1.00.
func MovesOutStates(prefix string) []models.Order {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	times := []*time.Time{nil, &at}
	var orders []models.Order
	for _, kind := range []models.OrderKind{models.OrderPayout, models.OrderRefund} {
		for _, status := range []models.OrderStatus{models.OrderAwaitingApproval, models.OrderRequested, models.OrderSending,
			models.OrderChecking, models.OrderSent, models.OrderConfirmed, models.OrderFailed, models.OrderCancelled} {
			for _, state := range []string{"", "EXECUTING", "CONFIRMED", "FAILED", "error", " Bounced ", "RETURNED", "SOMETHING_NEW"} {
				for _, failed := range times {
					for _, returned := range times {
						for _, released := range times {
							i := len(orders)
							orders = append(orders, models.Order{MessageID: fmt.Sprintf("%s%d", prefix, i), PlayerID: int64(i + 1),
								Kind: kind, Status: status, Amount: models.Money{Minor: 100, Currency: "SEK"}, TransferState: state,
								PayoutFailedAt: failed, ReturnedAt: returned, ReleasedAt: released})
						}
					}
				}
			}
		}
	}
	return orders
}
