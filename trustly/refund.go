package trustly

import (
	"context"
)

// RefundParams is what a Refund states (API.md §4.3). The money always goes back to
// the account that paid the deposit.
type RefundParams struct {
	OrderID           string // required; the Deposit's orderid
	Amount            string // required; may be less than the deposit, "25.50"
	Currency          string // required
	ExternalReference string
}

// RefundResult is an accepted refund; its payoutconfirmation goes to the original
// Deposit's NotificationURL.
type RefundResult struct {
	OrderID string
}

// Refund returns money from a deposit. A data.result of "0" is ErrRefused; an
// unknown order is a *Error with CodeInvalidOrderID.
func (c *Client) Refund(ctx context.Context, p RefundParams) (RefundResult, error) {
	const method = "Refund"
	ch := checks{method: method}
	ch.need("OrderID", p.OrderID)
	ch.need("Amount", p.Amount)
	ch.rule("Amount", p.Amount, amount)
	ch.need("Currency", p.Currency)
	ch.rule("Currency", p.Currency, currency)
	if err := ch.err(); err != nil {
		return RefundResult{}, err
	}
	attrs := fields{}
	attrs.opt("ExternalReference", p.ExternalReference)

	data, err := c.call(ctx, method, map[string]any{
		"OrderID":    p.OrderID,
		"Amount":     p.Amount,
		"Currency":   p.Currency,
		"Attributes": map[string]any(attrs),
	})
	if err != nil {
		return RefundResult{}, err
	}
	id, err := acceptedResult(method, data)
	if err != nil {
		return RefundResult{}, err
	}
	return RefundResult{OrderID: id}, nil
}
