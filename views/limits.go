package views

// LimitsPage is the player's deposit limits: one row per period, the form to
// change them, and every change asked for.
type LimitsPage struct {
	Chrome
	// Intro asks for limits before the first deposit: "Set your deposit limits
	// before you deposit: …"; empty otherwise.
	Intro    string
	Rules    string // the market's rules in a sentence: "Lowering a limit applies at once; …"
	Currency string // "SEK"
	// OneRequired is the sentence over the fields when the market requires a limit
	// for at least one period, any one (SE): "At least one of these limits is
	// required."; empty otherwise.
	OneRequired string
	Rows        []LimitRow
	Notice      string // "You have used 50 % of your monthly deposit limit: …"; empty below every notice
	Problem     string // one sentence on what to fix; empty on first view
	Field       string // the period whose field Problem is about, marked aria-invalid; "" for none
	History     []LimitChangeRow
}

// LimitRow is one period's limit.
type LimitRow struct {
	Period   string // form field name: "day", "week", "month"
	Label    string // "Daily limit"
	Value    string // the form's value: the limit asked for as decimal text, or as typed; "" for none
	Limit    string // in force: "1 000,00 SEK", "700,00 EUR (default)" or "None"
	Used     string // "250,00 SEK"
	Left     string // "750,00 SEK"; "" without a limit
	Until    string // the period's end: "1 February 2026 00:00 CET"; "" for a rolling period
	Pending  string // "2 000,00 SEK from 1 February 2026 00:00 CET"; "" when nothing waits
	Required bool   // the market requires this period's limit itself (FI: day and month)
}

// LimitChangeRow is one change in the history, newest first.
type LimitChangeRow struct {
	Asked     string // when: "29 January 2026 10:00 CET"
	Label     string // "Daily limit"
	From, To  string // "1 000,00 SEK", "None"
	Effective string // when it applied or applies
	Waiting   bool   // not yet in force
}
