package trustly

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// GetWithdrawalsParams names the order to look up.
type GetWithdrawalsParams struct {
	OrderID string // required; an AccountPayout, Withdraw or Refund order
}

// Withdrawal is one row of GetWithdrawals, every value as Trustly sent it. A row
// whose orderid is not digits, amount not a positive amount with at most two
// decimals that are not zeros, currency not ISO 4217 or dates not Trustly's
// timestamps is not Trustly's: GetWithdrawals refuses the whole answer, whose
// rows a refund check counts (cashier.settleRefund).
type Withdrawal struct {
	OrderID          string
	Reference        string
	AccountID        string
	Amount           string // decimal text
	Currency         string
	Datestamp        string
	ModificationDate string
	TransferState    string // Trustly's state, such as "EXECUTING"; see State
	ETA              string // "" where Trustly sent null
}

// PayoutState is what a withdrawal's TransferState means for our payout (API.md
// §4.6). Trustly warns that states may be added, so anything unknown is in progress.
type PayoutState string

const (
	PayoutPaid       PayoutState = "paid"        // CONFIRMED: the bank confirmed it (a later credit can still undo it)
	PayoutFailed     PayoutState = "failed"      // FAILED, ERROR, BOUNCED or RETURNED
	PayoutInProgress PayoutState = "in-progress" // every other state, including ones not known yet
)

// FailedTransferStates are the TransferStates that mean PayoutFailed, in upper
// case. SQL that picks failed payouts by their stored state names them from here.
var FailedTransferStates = []string{"FAILED", "ERROR", "BOUNCED", "RETURNED"}

// PayoutStateOf maps a TransferState to a PayoutState, ignoring case and spaces.
func PayoutStateOf(transferState string) PayoutState {
	switch state := strings.ToUpper(strings.TrimSpace(transferState)); {
	case state == "CONFIRMED":
		return PayoutPaid
	case slices.Contains(FailedTransferStates, state):
		return PayoutFailed
	}
	return PayoutInProgress
}

// State is PayoutStateOf(w.TransferState).
func (w Withdrawal) State() PayoutState { return PayoutStateOf(w.TransferState) }

// GetWithdrawals lists the transfers of a payout or refund order. Trustly asks for at
// most one call every 15 minutes per order; this client does not enforce it.
func (c *Client) GetWithdrawals(ctx context.Context, p GetWithdrawalsParams) ([]Withdrawal, error) {
	const method = "GetWithdrawals"
	ch := checks{method: method}
	ch.need("OrderID", p.OrderID)
	if err := ch.err(); err != nil {
		return nil, err
	}
	data, err := c.call(ctx, method, map[string]any{"OrderID": p.OrderID})
	if err != nil {
		return nil, err
	}
	rows, err := resultArray(method, data)
	if err != nil {
		return nil, err
	}
	out := make([]Withdrawal, 0, len(rows))
	for i, r := range rows {
		if err := r.need("orderid", "amount", "currency", "transferstate"); err != nil {
			return nil, fmt.Errorf("%s result data[%d]: %w", method, i, err)
		}
		r.check("orderid", digits, "digits")
		r.check("amount", rowMoney(false), "an amount such as 25.50")
		r.check("currency", isoCurrency, "an ISO 4217 currency code")
		r.check("datestamp", timestamp, "a timestamp such as 2014-05-04 10:55:04.675573+00")
		r.check("modificationdate", timestamp, "a timestamp such as 2014-05-04 10:55:04.675573+00")
		w := Withdrawal{OrderID: r.str("orderid"), Reference: r.str("reference"), AccountID: r.str("accountid"),
			Amount: r.str("amount"), Currency: r.str("currency"), Datestamp: r.str("datestamp"),
			ModificationDate: r.str("modificationdate"), TransferState: r.str("transferstate"), ETA: r.str("eta")}
		if r.err != nil {
			return nil, fmt.Errorf("%s result data[%d]: %w", method, i, r.err)
		}
		out = append(out, w)
	}
	return out, nil
}
