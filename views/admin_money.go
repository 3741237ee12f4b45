package views

// AdminRefundPage is the refund form of one deposit, with its refunds so far.
type AdminRefundPage struct {
	AdminChrome
	OrderID    string // the deposit's id: "4711"
	Zone       string // the member's time zone, which the refunds' times are in
	Player     string // "#12"
	Deposited  string // "1 000,00 SEK": the amount asked
	Credited   string // what the deposit's credit booked when it differs from Deposited, "" otherwise
	State      string // the deposit's status in words: "Credited"
	StateCode  string // its code: "credited"
	Refundable string // what may still be refunded: "600,00 SEK"
	Limit      string // "Operators may refund up to 1 000,00 SEK of a deposit in all; 600,00 SEK more of this one." or ""
	CanRefund  bool   // credited, something left to refund, and the member may
	// Refused is why the member may not refund this deposit (their own player
	// account's), shown in place of the form; "" when they may.
	Refused string
	// RefundedInFull: credited, and its refunds take all of it (as the order
	// page's AdminOrderPage.RefundedInFull).
	RefundedInFull bool
	Amount         string // the form as typed; shown back when the page offers no form
	Reason         string
	Problem        string
	Token          string // the refund's token (cashier.RefundForm.Token), sent back with the form
	Refunds        []RefundRow
}

// RefundRow is one refund of a deposit.
type RefundRow struct {
	ID, Date, Amount, State, Flag string
	StateCode                     string // State's code: "confirmed"
	By                            string // the email of the staff member who made it (the refund page's)
}

// AdminReportsPage is the chart of daily deposits and payouts per currency.
type AdminReportsPage struct {
	AdminChrome
	From, To     string // the range shown, as typed: "2026-11-01", inclusive
	CanReconcile bool   // the member may open the reconciliation
	Charts       []VolumeChart
	Problem      string
}

// VolumeChart is one currency's daily deposits and payouts as an SVG bar chart,
// laid out already: the view only draws it, with no script.
type VolumeChart struct {
	Currency                    string
	Width, Height               int
	Bars                        []ChartBar
	Labels                      []ChartLabel
	Top                         string // the amount at the top of the scale: "1 200,00 SEK"
	TotalDeposits, TotalPayouts string
}

// ChartBar is one bar: a day's deposits or payouts.
type ChartBar struct {
	X, Y, W, H int
	Fill       string // a colour for the kind
	Kind       string // "deposits" or "payouts"
	Title      string // "2026-11-03 deposits: 1 200,00 SEK"
}

// ChartLabel is a day's label under the bars.
type ChartLabel struct {
	X    int
	Text string // "11-03"
}

// AdminReconcilePage is Trustly's balance and the reconciliation of its
// AccountLedger against our ledger.
type AdminReconcilePage struct {
	AdminChrome
	Currencies         []string
	Currency, From, To string // the form as typed; To inclusive
	Balances           []BalanceRow
	BalanceAt          string // when Trustly was asked: "2026-01-20 14:42 UTC"
	BalanceProblem     string
	Ran                bool   // a reconciliation was run
	Summary            string // "12 entries here, 13 at Trustly"
	Rows               []ReconcileRow
	Explained          []ReconcileRow // Trustly's entries missing in our ledger by design (held money returned)
	Other              []ReconcileRow // Trustly's entries that name no order
	Problem            string
}

// BalanceRow is our balance at Trustly in one currency.
type BalanceRow struct {
	Currency, Balance string
}

// ReconcileRow is one difference between the ledgers, or one entry apart.
type ReconcileRow struct {
	Kind, Key, Ours, Trustly, When, What string
	Note                                 string // why an entry is explained, or what to do about a difference; may be ""
}
