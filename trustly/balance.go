package trustly

import (
	"context"
	"fmt"
)

// AccountBalance is our balance at Trustly in one currency. Trustly extends no
// credit: it must cover every AccountPayout.
type AccountBalance struct {
	Currency string
	Balance  string // decimal text, may be negative; at most two decimals that are not zeros
}

// BalanceParams are Balance's parameters: none. The type names the call where
// calls are kept with their parameters, as every other method's params do.
type BalanceParams struct{}

// Balance returns our balance in each currency. Trustly asks for at most one call
// every 15 minutes; this client does not enforce it.
func (c *Client) Balance(ctx context.Context) ([]AccountBalance, error) {
	const method = "Balance"
	data, err := c.call(ctx, method, map[string]any{})
	if err != nil {
		return nil, err
	}
	rows, err := resultArray(method, data)
	if err != nil {
		return nil, err
	}
	out := make([]AccountBalance, 0, len(rows))
	for i, r := range rows {
		if err := r.need("currency", "balance"); err != nil {
			return nil, fmt.Errorf("%s result data[%d]: %w", method, i, err)
		}
		r.check("currency", isoCurrency, "an ISO 4217 currency code")
		r.check("balance", rowMoney(true), "an amount such as 1403.64")
		if r.err != nil {
			return nil, fmt.Errorf("%s result data[%d]: %w", method, i, r.err)
		}
		out = append(out, AccountBalance{Currency: r.str("currency"), Balance: r.str("balance")})
	}
	return out, nil
}
