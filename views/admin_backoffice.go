package views

// Page data of the back office's transactions, order, player and flagged pages.
// Times are already in the staff member's zone, amounts already formatted, kinds
// and states in words (Kind "Account selection"), each beside its code (KindCode
// "selectaccount"), which pages keep in a title for searching.

// Choice is one option of a select: the code sent, the words shown.
type Choice struct{ Value, Label string }

// TxFilterForm is the transactions filter form as typed.
type TxFilterForm struct {
	Kind, Status, Player, Currency, From, To, Min, Max, Search, Zone string
	Flagged                                                          bool
}

// AdminTransactionsPage is the list of every order.
type AdminTransactionsPage struct {
	AdminChrome
	Filter   TxFilterForm
	Kinds    []Choice
	Statuses []Choice
	Zones    []string // the time zones offered; Filter.Zone is the one in use
	Rows     []TxRow
	Next     string // the next (older) page, or ""
	First    string // the first page of this filter, "" on it
	Export   string // the CSV of every row of this filter
	Totals   string // the totals page of this filter
	Problem  string
}

// TxRow is one order in the list.
type TxRow struct {
	ID, Created, Kind, Status, Amount, PlayerID, Player, TrustlyOrderID, MessageID, Flag string
	KindCode, StatusCode                                                                 string
	// Credited is what a deposit's credit booked when it differs from the amount
	// asked, "" otherwise.
	Credited string
	// TrustlyOrderIDOfParent says TrustlyOrderID is a refund's deposit's, by
	// which Trustly knows the refund, as on the order page.
	TrustlyOrderIDOfParent bool
}

// AdminTotalsPage shows the totals of a filter.
type AdminTotalsPage struct {
	AdminChrome
	Back    string // the list with the same filter
	Rows    []TotalRow
	Problem string
}

// TotalRow sums one currency and kind.
type TotalRow struct {
	Currency, Kind, KindCode, Count, Sum string
	Credited                             string // deposits: what their credits booked; "—" for other kinds
}

// AdminOrderPage is everything about one order.
type AdminOrderPage struct {
	AdminChrome
	ID, Kind, Status, Amount, MessageID, TrustlyOrderID, Created, Reason, Zone string
	KindCode, StatusCode                                                       string
	Credited                                                                   string      // a deposit's credit, when it booked another amount
	Window                                                                     string      // a payout's sum with the player's payouts of the 24 hours before it (ApprovalRow.Window), or ""
	PlayerID, Player                                                           string      // "" when the order has no player yet
	ParentID                                                                   string      // a refund's deposit, "" for other kinds
	TrustlyOrderIDOfParent                                                     bool        // TrustlyOrderID is the deposit's, by which Trustly knows a refund
	Refunds                                                                    []RefundRow // a deposit's refunds, oldest first
	RefundedTwice                                                              string      // on a debited deposit and its refunds, why the debit left the balance lower than before the deposit (cashier.RefundedTwice), or ""
	Flags                                                                      []string
	Unresolved                                                                 bool // flags no resolution covers
	Timeline                                                                   []TimelineRow
	Calls                                                                      []APICallRow
	Notifications                                                              []NotificationRow
	// Unmatched are notifications kept as unknown that name the order's Trustly
	// orderid: applied to no order.
	Unmatched []NotificationRow
	// Refused are the notifications refused for their data whose messageid is
	// this order's: applied to nothing.
	Refused     []RefusedRow
	Transfers   []TransferRow
	Resolutions []ResolutionRow
	Audit       []AuditRow
	// The actions this member may take on it in its state.
	CanDecide bool // a payout waiting for approval: approve and deny
	// A payout waiting for two approvals: who gave the first (FirstApproval as in
	// ApprovalRow).
	TwoPerson     bool
	FirstApproval string
	CannotApprove string // why this member may not approve it (ApprovalRow.CannotApprove), or ""
	CannotDeny    string // why this member may not deny it (ApprovalRow.CannotDeny), or ""
	BelowZero     string // the order that took the player's balance below zero (ApprovalRow.BelowZero), or ""
	BelowZeroWhy  string
	Blocked       bool   // a payout waiting whose player was blocked since: it can only be denied
	ApproveReason string // the approve form's reason as sent before a re-authentication, or ""
	RefundURL     string // a credited deposit: the refund page, or ""
	// RefundedInFull: a credited deposit whose refunds took all of it, for a member
	// who may refund (RefundURL is "" then).
	RefundedInFull bool
	// CannotResolve is why the member, who may resolve flags, may not resolve this
	// order's (their own player account's), shown in place of the form; "" when
	// they may (CanResolve).
	CannotResolve string
	// CannotRefund is why the member may not refund this credited deposit (their
	// own player account's), shown in place of the refund link; "" when they may.
	CannotRefund string
	// A refused-held deposit with no return open: its held credit (ReturnAmount,
	// "" when no return is offered) may be returned to the payer with the form's
	// token (cashier.HeldReturnForm.Token), and the reason sent before a
	// re-authentication.
	ReturnAmount, ReturnToken, ReturnReason string
	// CannotReturn is why the member may not return the held credit a return of
	// which is offered (the deposit is of their own player account), shown in
	// place of the return form; "" when they may (ReturnAmount).
	CannotReturn string
	CanResolve   bool // unresolved flags: resolve with a note
}

// TimelineRow is one applied event.
type TimelineRow struct{ Event, At string }

// APICallRow is one call we made to Trustly.
type APICallRow struct {
	At, Method, Request, Response, Error, Latency string
}

// NotificationRow is one notification Trustly sent. NotificationID is Trustly's
// notificationid, the name an order's flag gives a notification; Flag is the
// notification's own, "" when it has none.
type NotificationRow struct {
	ID, NotificationID, Received, Method, Raw, Verified, Deliveries, Answer, Status, Flag string
}

// TransferRow is one ledger transfer with its entries.
type TransferRow struct {
	Reference, Memo, At string
	Entries             []EntryRow
}

// EntryRow is one entry of a transfer.
type EntryRow struct{ Account, Amount string }

// ResolutionRow is one resolution of flags.
type ResolutionRow struct{ At, Who, Flag, Note string }

// AdminPlayersPage is the player search.
type AdminPlayersPage struct {
	AdminChrome
	Search string
	Zone   string // the member's time zone, which the times are in: "Europe/Stockholm"
	Rows   []PlayerRow
	// More is how many players Rows holds ("the 50 newest") when the search
	// found more, or "".
	More string
}

// PlayerRow is one player found.
type PlayerRow struct {
	ID, Email, Name, Country, PersonID, Created string
	Blocked                                     bool
}

// AdminPlayerPage is one player's profile.
type AdminPlayerPage struct {
	AdminChrome
	ID, Email, Name, Country, Currency, PersonID, KYCEntityID, DateOfBirth, EndUserID, Created string
	Zone                                                                                       string // the member's time zone, which every time is in
	Wallet, Reserved                                                                           string
	Blocked                                                                                    bool
	CanBlock                                                                                   bool // block, unblock and notes
	// UnblockRefused is why this member may not unblock the player (their own
	// account), shown in place of the unblock form; "" when they may.
	UnblockRefused string
	// BlockRefused and NoteRefused are why this member may not block the player,
	// or write a note about them (their own account), shown in place of the
	// block and the note forms; "" when they may.
	BlockRefused, NoteRefused string
	Accounts                  []AccountRow
	Orders                    []TxRow
	// MoreOrders is how many of the player's orders Orders holds ("the 50
	// newest") when they have more, or ""; AllOrders lists them all under Transactions.
	MoreOrders, AllOrders string
	Notes                 []NoteRow
	Problem               string
	// Responsible gaming: the break in force ("" none), every break, the deposit
	// limits now, the periods a limit is still required for, and every change of
	// the limits the player asked for.
	BreakNow      string
	Breaks        []AdminBreakRow
	Limits        []AdminLimitRow
	LimitsMissing string
	LimitChanges  []AdminLimitChangeRow
	// BelowZero is the order that took the balance below zero, linked: its id
	// and what it did (ApprovalRow.BelowZero); "" when the balance is not below
	// zero or no order is known.
	BelowZero, BelowZeroWhy string
}

// AdminBreakRow is one break from play a player took.
type AdminBreakRow struct {
	Kind, Start, End string
	InForce          bool
}

// AdminLimitRow is one period's deposit limit now: "none" for no limit; Waiting a
// raise or removal not in effect yet.
type AdminLimitRow struct{ Period, Limit, Used, Left, Waiting string }

// AdminLimitChangeRow is one change of a deposit limit a player asked for.
type AdminLimitChangeRow struct {
	ID, PlayerID, Player                 string
	Period, Amount, Previous             string
	Requested, Effective, Flag, Resolved string // Resolved: "who at when (zone): note", "" for none
	Pending                              bool   // not in effect yet
	// CannotResolve is why the member may not resolve this flagged raise (it is
	// their own player account's), shown in place of the form; "" when they may.
	CannotResolve string
}

// AccountRow is one of the player's bank accounts.
type AccountRow struct{ Label, Source, Verified, Removed, Created string }

// NoteRow is one note.
type NoteRow struct{ At, Who, Text string }

// AdminFlaggedPage lists what needs a person to look.
type AdminFlaggedPage struct {
	AdminChrome
	Zone          string // the member's time zone, which every time is in
	CanResolve    bool
	Orders        []TxRow
	Notifications []NotificationRow
	Raises        []AdminLimitChangeRow // flagged deposit-limit raises
	// MoreOrders, MoreNotifications and MoreRaises, when set, say how many are
	// shown ("the 200 newest"): older ones wait beyond them.
	MoreOrders, MoreNotifications, MoreRaises string
	// Refused are the notifications signed by Trustly and refused for their data,
	// newest first; MoreRefused, when set, says how many are shown.
	Refused     []RefusedRow
	MoreRefused string

	// ResolvedRefused are the refused notifications a resolution covers, the
	// latest resolution first (RefusedRow.Resolved says who, when and the note);
	// MoreResolvedRefused, when set, says how many are shown ("the 50 latest"):
	// older resolutions are in the audit log.
	ResolvedRefused     []RefusedRow
	MoreResolvedRefused string
}

// RefusedRow is one notification refused for its data: its first and last
// deliveries, what its body names (TrustlyOrderID and MessageID "" when it names
// none), OrderID the order of ours its messageid names ("" when none), why it was
// refused and the body as it came. Resolved is its latest resolution ("who at
// when (zone), after N deliveries: note"), "" for none; ResolvePath is where its
// resolve form posts.
type RefusedRow struct {
	ID, First, Last, NotificationID, Method, TrustlyOrderID, MessageID, OrderID, Deliveries, Reason, Raw string
	Resolved, ResolvePath                                                                                string
}
