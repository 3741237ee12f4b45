package views

// AdminCallsPage is the list of the calls made to Trustly, about an order or not.
type AdminCallsPage struct {
	AdminChrome
	Filter   CallsFilter
	Zone     string   // the member's time zone, which the times and the date range are in
	Methods  []string // every Trustly method the cashier calls
	Outcomes []Choice // every outcome that can be chosen: its code, in words
	Rows     []CallRow
	Next     string // the URL of the next (older) page, or ""
	Problem  string
}

// CallsFilter is the calls filter form as typed.
type CallsFilter struct {
	Method, Outcome, Code, Player, Order, From, To string
}

// CallRow is one call made to Trustly. Order and Player are ids, "" for none;
// Outcome is in words ("OK", "Trustly error 616", "Transport error"), OutcomeCode its
// cashier.CallOutcome.
type CallRow struct {
	At, Method, Order, Player, Outcome, OutcomeCode, Latency string
	Request, Response, Error                                 string
	OrderURL, PlayerURL                                      string
}
