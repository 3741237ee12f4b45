package views

// Pay N Play (issue 9): the landing page with the entrances each market's model
// allows, the page a Pay N Play checkout returns to, and the player's profile with
// the identity their bank gave.

// Pay N Play models of a market, as the landing page shows them
// (paynplay.Mode's values).
const (
	ModeOff    = "off"    // register with a password, then deposit
	ModeHybrid = "hybrid" // "Deposit & play" beside register and log in
	ModePure   = "pure"   // only the bank: "Log in with your bank" and "Deposit & play"
)

// LandingPage is the start page for visitors: what the site is, and the ways in
// that Market's model allows.
type LandingPage struct {
	Chrome
	// Markets are the choices of the market picker; empty when no market offers Pay
	// N Play, so the entrances are the same everywhere and no picker is shown.
	Markets    []Country
	Market     string // the market shown: "SE"
	MarketName string // "Sweden"
	Mode       string // Market's model: ModeOff, ModeHybrid or ModePure
	// PersonID says whether the market's banks tell us a national identity number
	// (SE, FI, EE; not NL), for the sentence on what the bank shares.
	PersonID bool
	// Deposit is the amount form of "Deposit & play" (hybrid and pure), in the
	// market's currency, empty or as the visitor typed it.
	Deposit DepositForm
	// Problem is one sentence on why "Log in with your bank" did not start.
	Problem string
}

// PayNPlayResult phases: what the page after a Pay N Play checkout shows.
const (
	PayNPlayWaiting = "waiting" // no decision yet: the page asks again by itself
	PayNPlayRefused = "refused" // the checkout ended or the identity was refused: Message says why
)

// PayNPlayResultPage is where a Pay N Play checkout returns a browser that has not
// been signed in (yet).
type PayNPlayResultPage struct {
	Chrome
	Phase   string // PayNPlayWaiting or PayNPlayRefused
	Login   bool   // a login-only order ("Log in with your bank")
	Amount  string // "100,00 SEK"; "" for a login
	Message string // why it was refused: "You must be 18 or older to play. No money was moved."
	// Held says that the bank sent the money of a refused deposit all the same and
	// that it will be returned (models.OrderRefusedHeld), or that it was
	// (models.OrderRefusedReturned); "" otherwise.
	Held string
	// Ended is a refused page whose checkout ended with no refusal of the kyc's
	// (cancelled, or failed after CONTINUE): nobody stopped the visitor playing.
	Ended bool
	// StatusURL is polled while waiting; the page reloads once the answer is in.
	StatusURL string
	RetryURL  string // the landing page of the order's market: "/?market=SE"
}

// ProfilePage shows the signed-in player who they are to us: for a Pay N Play
// player the identity their bank gave through Trustly.
type ProfilePage struct {
	Chrome
	Name     string // "Åsa Öberg-Lindqvist"
	Email    string // "" for a Pay N Play player
	Country  string // "Sweden"
	Currency string // "SEK"
	// Bank is set once a bank identified the player (a kyc).
	Bank *BankIdentity
	// Mode is the player's market's model, for the sentences on how they log in.
	Mode string
	// HasPassword shows the form to change the password: players who sign in with
	// their bank (Pay N Play) have none.
	HasPassword     bool
	PasswordProblem string // why the last change was refused, translated
	// PasswordField is the field of the password form PasswordProblem is about:
	// "current", "password", "email" or "password_again"; "" for none.
	PasswordField string
	// CanSetPassword shows the form to choose an email and a password: a player
	// without a password outside pure Pay N Play markets (where the bank is the
	// only way in). SignInEmail is the email as typed when that form came back.
	CanSetPassword bool
	SignInEmail    string
	// BankLoginOld, instead of that form, says that an email and a password can be
	// chosen only soon after logging in with the bank, and how to get there again:
	// the form would be refused (cashier.BankSignInWindow).
	BankLoginOld string
}

// BankIdentity is what the player's bank told us through Trustly.
type BankIdentity struct {
	PersonID    string // the last four characters hidden: "SE19790131****"; "" where the market has none (NL)
	DateOfBirth string // "1979-01-31"
	Address     string // "Kungsgatan 1, 111 22 Stockholm"
	Confirmed   string // when a kyc last confirmed it: "2026-01-20 14:42 UTC"
}
