package trustly

import (
	"context"
)

// AccountPayoutParams is what an AccountPayout states (API.md §4.2). Take the amount
// from the player's balance before calling.
type AccountPayoutParams struct {
	NotificationURL string // required
	EndUserID       string // required
	MessageID       string // required; our order ID and the payout's idempotency key (reuse → 637)
	AccountID       string // required; from an account notification or RegisterAccount
	Amount          string // required; decimal text, exactly as sent: "250.00"
	Currency        string // required

	ShopperStatement  string
	ExternalReference string

	// Extra attributes are sent as given; a key that repeats one above is refused.
	Extra map[string]string
}

// AccountPayoutResult is an accepted payout. Accepted is not paid: the outcome comes
// from notifications (payoutconfirmation, or credit after a bounce) or GetWithdrawals.
type AccountPayoutResult struct {
	OrderID string
}

// AccountPayout asks Trustly to pay to an account it already knows. A data.result of
// "0" is ErrRefused. After ErrOutcomeUnknown, retry only with the same MessageID.
func (c *Client) AccountPayout(ctx context.Context, p AccountPayoutParams) (AccountPayoutResult, error) {
	const method = "AccountPayout"
	ch := checks{method: method}
	ch.need("NotificationURL", p.NotificationURL)
	ch.rule("NotificationURL", p.NotificationURL, notificationURL)
	ch.need("EndUserID", p.EndUserID)
	ch.need("MessageID", p.MessageID)
	ch.need("AccountID", p.AccountID)
	ch.need("Amount", p.Amount)
	ch.rule("Amount", p.Amount, amount)
	ch.need("Currency", p.Currency)
	ch.rule("Currency", p.Currency, currency)

	attrs := fields{}
	attrs.opt("ShopperStatement", p.ShopperStatement)
	attrs.opt("ExternalReference", p.ExternalReference)
	attrs.extra(&ch, p.Extra)
	if err := ch.err(); err != nil {
		return AccountPayoutResult{}, err
	}

	data, err := c.call(ctx, method, map[string]any{
		"NotificationURL": p.NotificationURL,
		"EndUserID":       p.EndUserID,
		"MessageID":       p.MessageID,
		"AccountID":       p.AccountID,
		"Amount":          p.Amount,
		"Currency":        p.Currency,
		"Attributes":      map[string]any(attrs),
	})
	if err != nil {
		return AccountPayoutResult{}, err
	}
	id, err := acceptedResult(method, data)
	if err != nil {
		return AccountPayoutResult{}, err
	}
	return AccountPayoutResult{OrderID: id}, nil
}
