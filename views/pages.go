// Package views renders the cashier's pages with templ. A page component takes one
// struct holding exactly what it shows, already formatted for people; views never
// fetch data. Elements that tests look for carry a data-testid.
package views

import (
	"github.com/a-h/templ"
	"github.com/trustly-cashier/cashier/lang"
)

// Chrome is what the frame around every page shows. Handlers fill it from the
// request (see handlers.chrome) and embed it in each page struct.
type Chrome struct {
	// L writes the page's words, amounts and times in the player's language and
	// time zone; nil is English in UTC.
	L        *lang.Localizer
	CSRF     string // the CSRF token, for the sign-out form in the header
	SignedIn bool   // someone is signed in: the navigation shows the cashier's pages
	Flash    string // a one-time message from the previous request: "You are signed out."
	Current  string // the path whose navigation link is marked as the current page
	Here     string // the page's URL to come back to after changing language; after a form, its page
	// Home is where the site's name in the header leads: the start page of the
	// market a visitor is in ("/?market=FI"); "" is "/".
	Home string
	// BankLogin is the market of a visitor's page in a pure Pay N Play market
	// ("SE"), where the bank is the only way in (no registration, no password):
	// the header offers "Log in with your bank" there instead of "Log in" and
	// "Register". "" elsewhere, and for signed-in players.
	BankLogin string
	// Responsible gaming: the reality check notice when one is due, else nil; and
	// RealityCheckIn, the seconds until the next one is due (0: none), after which
	// the page reloads itself (a meta refresh, no script).
	RealityCheck   *RealityCheckNotice
	RealityCheckIn int
	// RefreshIn, above 0, reloads the page after that many seconds when script is
	// off (a meta refresh in noscript): a page whose script keeps it current while
	// it waits, and says it updates by itself (a deposit's or an account's result
	// page). 0: none.
	RefreshIn int
	// RealityCheckNext is where the reality check's Continue leads; "" is Current.
	// A page answering a POST sets it to a page that can be opened again (the
	// cashier with the amount typed, not the form's address).
	RealityCheckNext string
}

// noScriptRefresh is the seconds after which the page reloads itself without
// script: the sooner of RefreshIn and RealityCheckIn; 0 for never.
func (ch Chrome) noScriptRefresh() int {
	in := ch.RefreshIn
	if ch.RealityCheckIn > 0 && (in <= 0 || ch.RealityCheckIn < in) {
		in = ch.RealityCheckIn
	}
	return max(in, 0)
}

// realityCheckNext is where the reality check's Continue leads.
func (ch Chrome) realityCheckNext() string {
	if ch.RealityCheckNext != "" {
		return ch.RealityCheckNext
	}
	return ch.Current
}

// T is the message id in the page's language (lang.Localizer.T).
func (ch Chrome) T(id string, args ...any) string { return ch.Loc().T(id, args...) }

// HomeURL is where the site's name in the header leads: Home, else "/".
func (ch Chrome) HomeURL() string {
	if ch.Home == "" {
		return "/"
	}
	return ch.Home
}

// Loc is the page's Localizer, English in UTC when none was set.
func (ch Chrome) Loc() *lang.Localizer {
	if ch.L == nil {
		return lang.For(lang.Default, nil)
	}
	return ch.L
}

// RealityCheckNotice is the reality check: time signed in and the session's money.
type RealityCheckNotice struct {
	Spent                  string // "1 hour 5 minutes"
	Deposits, Payouts, Net string // "500,00 SEK"; Net signed: "−150,00 SEK"
}

// BreaksPage is the take-a-break page.
type BreaksPage struct {
	Chrome
	Current string // the sentence about the break in force; "" when none
	Kinds   []BreakChoice
	History []BreakRow
	Problem string
	Field   string // the refused field: "kind", or ""
}

// BreakChoice is one kind of break offered.
type BreakChoice struct {
	Value string // "time-out-7d"
	Label string // "7 days"
}

// BreakRow is one break taken.
type BreakRow struct {
	Kind       string // "a 7-day time-out"
	Start, End string // "2026-03-28 23:31 UTC"; End "never" when permanent
}

// BreakConfirmPage asks to confirm a break.
type BreakConfirmPage struct {
	Chrome
	Kind  string // the value to take
	Token string // the form's token (models.NewBreakToken): sent twice, it takes one break
	Label string // "a 7-day time-out"
	Until string // "until 2026-04-04 23:31 UTC", or "ever again"
	Text  string // the whole sentence, in the player's language
}

// PlayRefusedPage tells a person why they cannot play.
type PlayRefusedPage struct {
	Chrome
	Title, Message string
}

// Country is one choice in the country select.
type Country struct {
	Code     string // ISO 3166-1 alpha-2: "SE"
	Name     string // "Sweden"
	Currency string // the wallet currency that goes with it: "SEK"
}

// RegisterPage is the registration form, empty or as the person typed it.
type RegisterPage struct {
	Chrome
	Email, FirstName, LastName string
	Country                    string // the selected code
	Currency                   string // the currency of the selected country
	Countries                  []Country
	Problem                    string // one sentence on what to fix; empty on first view
	Field                      string // the field the problem concerns: "email", "password", "name", "country", "person_id", "date_of_birth"
	// PersonID and DateOfBirth are for the national self-exclusion registers of SE,
	// EE (the personal identity number) and NL (the date of birth), as typed.
	PersonID, DateOfBirth string
}

// LoginPage is the sign-in form.
type LoginPage struct {
	Chrome
	Email   string
	Next    string // where to go after signing in; a local path
	Problem string
}

// CashierPage is the signed-in player's home: who they are, what they have, and
// the deposit form.
type CashierPage struct {
	Chrome
	Name    string // "Anna Andersson"
	Balance string // "1 250,00 SEK"
	// Blocked is the notice shown when the balance is below zero: "A deposit of
	// 100,00 SEK was returned by your bank. …". Empty when the player may deposit.
	Blocked string
	// OnBreak is the sentence about the player's break from play, with its end;
	// empty when none. The deposit form is disabled meanwhile.
	OnBreak string
	Deposit DepositForm
	// BankCheck says, in a Pay N Play market, that the deposit asks the bank who
	// the player is and what happens when that is someone else; "" elsewhere.
	BankCheck string
	// WithdrawOnly is the notice of a withdraw-only session, naming the national
	// register that excludes the player; the page then has no deposit form, only
	// the way to withdraw, and Deposit.Problem says why a deposit sent was refused.
	// "" in a full session.
	WithdrawOnly string
	// Underway is one line for each of the player's deposits still waiting for
	// the bank and payouts on their way, newest first; none when nothing is.
	Underway []UnderwayLine
}

// UnderwayLine is a deposit or payout underway on the cashier page: "A deposit
// of 100,00 kr is waiting for the bank.", linking to the page that follows it.
type UnderwayLine struct {
	Text string
	Link string // "/deposit/success?order=dep-…", "/payouts/7"
}

// DepositForm is the amount form on the cashier page, empty or as the player typed it.
type DepositForm struct {
	Amount   string // as typed, or from ?amount= after a failed deposit
	Currency string // the wallet's currency: "SEK"
	Min, Max string // decimal text for the input's min and max: "10.00", "10000.00"
	Limits   string // "10,00 SEK to 10 000,00 SEK"
	// Range is the sentence the browser shows for an amount outside Min and Max,
	// with them written as the page writes amounts: "Enter an amount from 10,00 kr
	// to 10 000,00 kr." (handlers' amountRange).
	Range      string
	QuickPicks []QuickPick
	Problem    string // one sentence on what to fix; empty on first view
	// Field is the field Problem is about, "amount" or "" for none (a break, a
	// deposit Trustly could not start): only then is the amount marked invalid.
	Field    string
	Disabled bool // the player is blocked: the form is shown but cannot be sent
	// Token is the MessageID the deposit this form starts will have: the form sent
	// twice starts one deposit (cashier.Service.StartDepositOnce).
	Token string
	// LimitNote says what the deposit limits leave ("Your daily deposit limit leaves
	// 400,00 SEK now."), LimitNotice how much of one is used; empty without.
	LimitNote, LimitNotice string
}

// AmountPattern is the amount fields' pattern, models.ParseMoney's: up to 15
// digits, alone or in groups of three after the first one to three separated by a
// space, a no-break space or a narrow no-break space (as the pages write amounts:
// "10 000,00 kr"), and a dot or comma with one or two decimals. The field is text,
// not a number: a number field takes "1e3", which models.ParseMoney refuses. The
// server checks the amount again, with the limits.
const AmountPattern = "([0-9]{1,15}|[0-9]{1,3}([ \u00a0\u202f][0-9]{3}){1,4})([.,][0-9]{1,2})?"

// QuickPick is a one-click amount.
type QuickPick struct {
	Value string // decimal text sent as the amount: "100.00"
	Typed string // the amount as the page's language types it, which script fills in: "100,00"
	Label string // "100 SEK"
}

// TrustlyCheckout is Trustly's checkout page shown inside ours: in an iframe on
// wide screens, and on narrow screens (40rem and less) static/js/checkout.js sends
// the whole window to URL instead, as Trustly asks for mobile. The link to URL
// always works, with or without JavaScript. Deposits and account selections
// (SelectAccount) use it alike.
type TrustlyCheckout struct {
	URL   string // the checkout URL Trustly returned; expires after 10–30 minutes
	Title string // the iframe's accessible name: "Trustly: deposit 100,00 SEK from your bank"
}

// CheckoutPage is a page around a TrustlyCheckout: a heading, one sentence on what
// happens, the checkout, and a way back.
type CheckoutPage struct {
	Chrome
	Heading   string // page title and heading: "Deposit 100,00 SEK"
	Lead      string // one sentence above the checkout
	Checkout  TrustlyCheckout
	BackURL   string // "/cashier"
	BackLabel string // "Back to the cashier"
}

// Order phases: which explanation an order's result page shows. They group the
// order statuses for people, and static/js/checkout.js switches between them as
// the status changes.
const (
	PhaseWaiting  = "waiting"  // not paid yet, or paid and the money not here yet
	PhaseCredited = "credited" // the money is in the wallet; an account selection: the account was added
	PhaseFailed   = "failed"   // cancelled or refused: nothing was charged
	PhaseReturned = "returned" // credited, then returned by the player's bank
	// PhaseHeld: a Pay N Play deposit refused by its kyc whose money the bank sent
	// all the same: held, never in the balance, to be returned to the payer.
	PhaseHeld = "held"
)

// OrderState is an order's status as the player sees it, kept current by
// static/js/checkout.js polling StatusURL (JSON with the same fields).
type OrderState struct {
	Status    string // the status in words: "In your balance"
	Phase     string // one of the Phase constants
	Balance   string // the wallet now: "100,00 SEK"
	StatusURL string // "/deposit/status?order=dep-…"
}

// DepositResultPage is where Trustly returns the player (SuccessURL or FailURL).
// It shows the order's state, which only notifications change, never the page
// itself.
type DepositResultPage struct {
	Chrome
	Success bool   // came back through SuccessURL
	Title   string // the heading for the order's phase: "Processing your deposit"
	// Amount is what the deposit brings: what its credit booked once credited,
	// before that what it is expected to bring, "100,00 SEK"; never more.
	Amount string
	// Credited is the credited phase's sentence with Amount: "100,00 SEK is in
	// your balance. Good luck!" (the page's script replaces it as the order changes).
	Credited string
	// Chosen is the amount the player chose when their kyc's limit capped the
	// deposit below it ("2 000,00 SEK"), so the waiting sentence says why Amount is
	// less; "" otherwise.
	Chosen   string
	State    OrderState
	RetryURL string // the cashier with the amount filled in as the page's language types it: "/cashier?amount=100%2C00"
	// Refused is why the bank identity check stopped the deposit (Pay N Play
	// markets): "The bank identity you logged in with is not the one of this
	// account. No money was moved."; "" otherwise.
	Refused string
	// Held is the held phase's sentence: the money of a refused deposit that the
	// bank sent all the same will be returned, or was (handlers.heldText).
	Held string
	// SignIn, for a player without a password whom the bank just signed in (a
	// hybrid market's "Deposit & play"), is the sentence offering the profile's
	// form to choose an email and a password, while it is offered there; "" otherwise.
	SignIn string
}

// HistoryPage lists the player's orders and the movements of their wallet, newest
// first.
type HistoryPage struct {
	Chrome
	Balance   string
	Orders    []OrderRow
	Movements []MovementRow
}

// OrderRow is one order in the history.
type OrderRow struct {
	MessageID string   // our order id: "dep-3f9a…"
	Date      string   // "2026-01-20 14:42 UTC"
	Kind      string   // "Deposit", "Withdrawal"
	Amount    string   // "100,00 SEK"
	Status    string   // in words: "In your balance"
	Phase     string   // one of the Phase constants, for the status's colour
	Flags     []string // anomalies, each a sentence for the player
	Link      string   // the order's result page, or "" when it has none
}

// MovementRow is one change of the wallet's balance.
type MovementRow struct {
	Date    string // "2026-01-20 14:42 UTC"
	Memo    string // "Deposit via Trustly"
	Amount  string // signed: "+100,00 SEK", "−100,00 SEK"
	Balance string // the balance right after it
	Credit  bool   // money in
}

// AdminChrome is what the frame around every back-office page shows.
type AdminChrome struct {
	CSRF    string
	Email   string // the signed-in staff member; empty on the sign-in page
	Role    string // their role: "operator"
	Owner   bool   // they may manage staff accounts
	Flash   string
	Current string
	// NotRecorded is the text a member typed into a form that another member's
	// action made moot (a reason, a note), shown back under Flash with its label
	// ("Your note, not recorded:") so that it is not lost; "" for none.
	NotRecorded, NotRecordedLabel string
}

// AdminLoginPage is the staff sign-in form.
type AdminLoginPage struct {
	AdminChrome
	Email   string
	Next    string // a local /admin path to go to afterwards
	Problem string
}

// AdminReauthPage asks for the password (and code) again.
type AdminReauthPage struct {
	AdminChrome
	Next      string // where to go back to
	NeedsCode bool   // the member has a second factor
	CodeHint  string // " and a code from your app", or ""
	Problem   string
}

// AdminPasswordPage is a staff member's form to change their own password.
type AdminPasswordPage struct {
	AdminChrome
	NeedsCode bool // the member has a second factor
	Temporary bool // an owner set their password: they must choose their own first
	Min, Max  int  // the password's length bounds
	Problem   string
}

// AdminPage is the back office's home.
type AdminPage struct {
	AdminChrome
	Email, Role string
	// Yours is what waits for the member, which their role may act on; Others what
	// waits for members of another role; Overdue the orders late past the janitor's
	// thresholds and the failed calls to Trustly. Each figure links to its list.
	Yours, Others, Overdue []HomeFigure
	// Day is today's UTC date ("2026-12-07"), Today its money per currency and
	// TodayLink the reports of the day; "" when the member may not open them.
	Day, TodayLink string
	Today          []HomeDay
}

// HomeFigure is one figure of the back office's home, a link to the list of the
// items it counts.
type HomeFigure struct {
	TestID, Href, Text string
}

// HomeDay is one currency's money today: "1 500,00 kr".
type HomeDay struct {
	Currency, Deposits, Payouts string
}

// AdminApprovalsPage is the approvals queue.
type AdminApprovalsPage struct {
	AdminChrome
	CanDecide bool // the member's role may approve and deny
	// CannotDecide, when CanDecide is not, says so and which roles may, the
	// sentence a refused approve or deny would answer with.
	CannotDecide string
	Zone         string // the member's time zone, which every time is in: "Europe/Stockholm"
	Rows         []ApprovalRow
}

// ApprovalRow is one payout waiting for approval.
type ApprovalRow struct {
	OrderID       string // "4711"
	Amount        string // "6 000,00 kr"
	Window        string // with the player's payouts of the 24 hours before it, when they counted: "16 000,00 kr"; else ""
	Player        string // "Anna Svensson <anna@example.com> (#12)"
	Requested     string // in the member's zone: "2026-01-20 15:42:07"
	Account       string // "SE…1234 at Handelsbanken"
	TwoPerson     bool
	FirstApproval string // ": approved once, by ops@example.com", or ""
	CannotApprove string // why this member may not approve it, shown instead of the approve button; "" when they may
	CannotDeny    string // why this member may not deny it, shown instead of the deny form; "" when they may
	Blocked       bool   // the player was blocked since: the payout can only be denied
	ApproveReason string // the approve form's reason as sent before a re-authentication, or ""
	History       []ApprovalHistory
	// BelowZero is the order that took the player's balance below zero, which
	// CannotApprove names, linked: its id ("4711") and what it did ("a deposit
	// the bank returned"); "" when the balance is not below zero or no order is known.
	BelowZero, BelowZeroWhy string
}

// AdminTOTPPage is the second-factor enrolment page.
type AdminTOTPPage struct {
	AdminChrome
	Enabled  bool   // already set up: nothing to enrol
	Required bool   // CASHIER_ADMIN_2FA=required sent them here
	QRCode   string // a data:image/png URL
	Secret   string // base32, to type by hand
	Problem  string
}

// AdminStaffPage lists staff accounts for owners, with the form to add one.
type AdminStaffPage struct {
	AdminChrome
	Rows        []StaffRow
	Roles       []string // every role, lowest first
	Email, Role string   // the add form as typed
	Problem     string
	// MinPassword and MaxPassword bound a password's length, for the forms.
	MinPassword, MaxPassword int
}

// StaffRow is one staff account.
type StaffRow struct {
	ID, Email, Role string
	TOTP            string // "on" or "off"
	State           string // "active" or "disabled"
	Disabled        bool
	Self            bool // the signed-in owner: no actions on themselves
}

// AdminAuditPage is the audit list.
type AdminAuditPage struct {
	AdminChrome
	Filter  AuditFilter
	Zone    string   // the member's time zone, which the times and the date range are in
	Events  []Choice // every action that can be chosen: its code, in words
	Rows    []AuditRow
	Next    string // the URL of the next (older) page, or ""
	Problem string
}

// AuditFilter is the audit filter form as typed.
type AuditFilter struct {
	Staff, Event, Order, Player, From, To string
}

// AuditRow is one audit row for people.
type AuditRow struct {
	At, Who, Event, Order, Player, Before, After, Reason, RequestID string
	EventCode                                                       string // Event is in words, this its code (staff.Event)
}

// ApprovalHistory is one of the player's recent orders beside an approval.
type ApprovalHistory struct {
	Date, Kind, Amount, State string
	KindCode, StateCode       string
	// Credited is what a deposit's credit booked when it differs from the amount
	// asked, "" otherwise.
	Credited string
}

// ErrorPage explains a failed request in one sentence. RequestID lets support find
// the details in the log.
type ErrorPage struct {
	Chrome
	Status    int
	Title     string // "Page not found"
	Message   string // a full sentence for people
	RequestID string
}

// Bank accounts and payouts (issue 5): the player's saved accounts, adding one with
// Trustly (SelectAccount) or by typing it (RegisterAccount), asking for a payout
// and following it.

// Payout phases: which colour and explanation a payout's state gets.
const (
	PayoutPhaseWaiting = "waiting" // reserved, waiting for approval, or on its way
	PayoutPhasePaid    = "paid"    // the bank confirmed it (a bounce can still follow)
	PayoutPhaseFailed  = "failed"  // the bank could not take it; the money is on its way back
	PayoutPhaseBack    = "back"    // not paid: the money is back in the balance
)

// BankAccountRow is one saved bank account.
type BankAccountRow struct {
	ID       string // our id, for the remove form: "12"
	Bank     string // "Handelsbanken", or "Bank account" when Trustly named none
	Number   string // the masked number: "**706212"
	Label    string // both, for sentences: "Handelsbanken **706212"
	Verified bool   // Trustly verified that it is the player's
	Waiting  bool   // not verified yet and not typed by the player: no payouts until the bank verifies it
	// PayoutFailed says that a payout to it failed at the bank, why, and that
	// payouts no longer go to it; "" when none did.
	PayoutFailed string
	Source       string // how we learned of it: "From a deposit", "Chosen with Trustly", "Entered by you"
}

// BankAccountsPage lists the player's saved accounts and the two ways to add one.
type BankAccountsPage struct {
	Chrome
	Accounts []BankAccountRow
	Problem  string // Trustly could not start "Add account with Trustly"
	// ClosedLoop is the pure Pay N Play model: payouts go back to the account the
	// player deposited from, so there is no way to add another.
	ClosedLoop bool
	// SelectToken is the "Add account with Trustly" form's token, the MessageID of
	// the selection it starts: sent twice, the form starts one.
	SelectToken string
}

// BankDetailsPage is the form for typing a bank account, laid out for one market.
type BankDetailsPage struct {
	Chrome
	// Token is the form's token (models.NewRegistrationToken): sent twice, the form
	// registers the account once.
	Token     string
	Country   string    // the market whose fields are shown: "SE"
	Countries []Country // markets we can pay out to
	Holder    string    // the player's name: the account must be theirs
	// Conversion warns that payouts in the wallet's currency to a bank in this
	// country are converted by the bank; "" when the currencies agree.
	Conversion string
	// IBAN is set for markets where the account is an IBAN; otherwise (Sweden) the
	// form has a clearing number and an account number.
	IBAN               bool
	BankLabel          string // "Clearing number"
	BankHint           string // "4 digits, or 5 for Swedbank numbers starting with 8"
	BankPlaceholder    string // "6112"
	AccountLabel       string // "IBAN"
	AccountHint        string // "Starts with FI and has 18 characters. Spaces are fine."
	AccountPlaceholder string // "FI21 1234 5600 0007 85"
	Bank, Account      string // as typed
	Problem            string // one sentence on what to fix
	Field              string // the field it concerns: "bank", "account", "country"
}

// AccountResultPage is where Trustly sends the player after choosing an account
// (SelectAccount's SuccessURL or FailURL).
type AccountResultPage struct {
	Chrome
	Success bool   // came back through SuccessURL
	Phase   string // "verifying", "added" or "failed"
	Status  string // the phase in words: "Verifying your account…"
	Account *BankAccountRow
	// PollURL is the JSON status the page polls while verifying; "" when there is
	// nothing left to wait for.
	PollURL string
	Token   string // the state the page shows; a poll answering another reloads it
}

// Account result phases.
const (
	AccountVerifying = "verifying" // back from Trustly; the account notification has not come yet
	AccountAdded     = "added"     // the account is saved
	AccountFailed    = "failed"    // cancelled or refused: nothing was added
)

// PayoutPage is the withdrawal form and the player's payouts.
type PayoutPage struct {
	Chrome
	Balance string // what may be withdrawn now: "1 250,00 SEK"
	Blocked string // why the player cannot withdraw; empty when they can
	Form    PayoutForm
	Payouts []PayoutRow
}

// PayoutForm asks for an amount and one of the saved accounts.
type PayoutForm struct {
	Amount   string // as typed
	Currency string
	Min, Max string // decimal text for the input: "10.00"
	Limits   string // "10,00 SEK to 10 000,00 SEK"
	Range    string // the sentence for an amount outside Min and Max, as DepositForm's
	Approval string // "Payouts above 5 000,00 SEK are checked by our team first."
	Accounts []AccountChoice
	Problem  string
	Field    string // "amount", "account" or ""
	Disabled bool   // blocked, or nothing to withdraw to
	// Token is the MessageID the payout this form makes will have
	// (cashier.RequestPayoutOnce): sent twice, the form makes one payout. Each view
	// of the form has a new one.
	Token string
	// ClosedLoop is the pure Pay N Play model: the payout goes to the account the
	// player last deposited from, DepositAccount ("Handelsbanken **706212"; "" when
	// there is none yet), and there is no choice of account.
	ClosedLoop     bool
	DepositAccount string
	// DepositAccountFailed, with ClosedLoop and no DepositAccount, says that a
	// payout to the account the player last deposited from failed, and why, or
	// that the player removed it; "" when they never had one.
	DepositAccountFailed string
}

// AccountChoice is one saved account in the payout form's radio list.
type AccountChoice struct {
	ID      string
	Label   string // "Handelsbanken **706212"
	Note    string // "verified", "entered by you"
	Checked bool
}

// PayoutRow is one payout in a list.
type PayoutRow struct {
	ID      string // our order id: "42"
	Link    string // "/payouts/42"
	Date    string
	Amount  string
	Account string
	State   string // cashier.PayoutStateText
	Phase   string // a PayoutPhase constant
}

// Fact is one labelled line in a list of facts.
type Fact struct {
	Label, Value, TestID string
}

// PayoutDetailPage shows one payout.
type PayoutDetailPage struct {
	Chrome
	ID      string
	Amount  string
	Account string
	State   string // in words: "Paid out"
	Phase   string
	Balance string // what may be withdrawn now
	Facts   []Fact // dates: requested, sent, confirmed, …
	// Checked says when Trustly was last asked about the transfer, and when it may
	// be asked again; empty when it never was.
	Checked   string
	CanCheck  bool // "Check with the bank" is offered (the payout is with Trustly)
	CheckWait bool // … but was checked less than 15 minutes ago
	CanCancel bool // waiting for approval: the player may take it back
	PollURL   string
	Token     string
}

// invalid marks a field a refused form's sentence is about for assistive
// technology (aria-invalid="true"), as the field's red border does for the eye;
// nothing when yes is false.
func invalid(yes bool) templ.Attributes {
	if !yes {
		return nil
	}
	return templ.Attributes{"aria-invalid": "true"}
}
