package trustly

import (
	"context"
	"fmt"
)

// AccountLedgerParams selects settled transactions (API.md §4.7). Whether ToDate is
// inclusive is not documented: treat it as exclusive.
type AccountLedgerParams struct {
	FromDate string // required, YYYY-MM-DD
	ToDate   string // required, YYYY-MM-DD, not before FromDate
	Currency string // required; what Trustly does without one is not documented
}

// LedgerEntry is one settled transaction on our Trustly account. Amount may be
// negative and carry many decimals ("5.00000000000000000000"), but no more than
// two that are not zeros; a row whose amount, currency, datestamp or orderid is
// not of Trustly's shape makes AccountLedger refuse the whole answer.
type LedgerEntry struct {
	UserID          string
	Datestamp       string
	OrderID         string
	AccountName     string // such as "SUSPENSE_ACCOUNT_CLIENT_FUNDS_SWEDEN_ESSE"
	MessageID       string // our MessageID, where the transaction has one
	TransactionType string
	Currency        string
	Amount          string
	GluepayID       string // "" where Trustly sent null
}

// AccountLedger lists settled transactions: our reconciliation source, and the one
// place besides notifications that finds an order by our MessageID.
func (c *Client) AccountLedger(ctx context.Context, p AccountLedgerParams) ([]LedgerEntry, error) {
	const method = "AccountLedger"
	ch := checks{method: method}
	ch.need("FromDate", p.FromDate)
	ch.rule("FromDate", p.FromDate, date)
	ch.need("ToDate", p.ToDate)
	ch.rule("ToDate", p.ToDate, date)
	ch.need("Currency", p.Currency)
	ch.rule("Currency", p.Currency, currency)
	if date(p.FromDate) == nil && date(p.ToDate) == nil && p.ToDate < p.FromDate {
		ch.fail("ToDate", "%s is before FromDate %s", p.ToDate, p.FromDate)
	}
	if err := ch.err(); err != nil {
		return nil, err
	}
	data, err := c.call(ctx, method, map[string]any{"FromDate": p.FromDate, "ToDate": p.ToDate, "Currency": p.Currency})
	if err != nil {
		return nil, err
	}
	rows, err := resultArray(method, data)
	if err != nil {
		return nil, err
	}
	out := make([]LedgerEntry, 0, len(rows))
	for i, r := range rows {
		if err := r.need("accountname", "currency", "amount"); err != nil {
			return nil, fmt.Errorf("%s result data[%d]: %w", method, i, err)
		}
		r.check("orderid", digits, "digits")
		r.check("amount", rowMoney(true), "an amount such as -5.00")
		r.check("currency", isoCurrency, "an ISO 4217 currency code")
		r.check("datestamp", timestamp, "a timestamp such as 2014-01-14 10:39:10.054526+01")
		e := LedgerEntry{UserID: r.str("userid"), Datestamp: r.str("datestamp"), OrderID: r.str("orderid"),
			AccountName: r.str("accountname"), MessageID: r.str("messageid"), TransactionType: r.str("transactiontype"),
			Currency: r.str("currency"), Amount: r.str("amount"), GluepayID: r.str("gluepayid")}
		if r.err != nil {
			return nil, fmt.Errorf("%s result data[%d]: %w", method, i, r.err)
		}
		out = append(out, e)
	}
	return out, nil
}
