package paynplay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // market time zones must load on a machine without zoneinfo

	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
)

// Outcome is the kyc answer's status.
type Outcome string

const (
	Continue Outcome = "continue" // the player may sign the deposit, or finish the login (CONTINUE)
	Finish   Outcome = "finish"   // the checkout stops; Trustly sends a cancel (FINISH)
)

// Rule names one reason of a kyc decision. Reasons are stored with the order, so
// the values never change.
type Rule string

const (
	RuleTrustlyAbort        Rule = "trustly-abort"         // the kyc carries abort "1": Trustly stopped the player itself → FINISH
	RuleIdentityInvalid     Rule = "identity-invalid"      // the kyc's identity is missing, malformed or contradicts itself → FINISH
	RuleMarketClosed        Rule = "market-closed"         // the identity's country is not a market with Pay N Play on → FINISH
	RuleUnderage            Rule = "underage"              // younger than 18 on today's date in the market's time zone → FINISH
	RuleBlocked             Rule = "blocked"               // the player is blocked by the operator → FINISH
	RuleOnBreak             Rule = "on-break"              // the player took a time-out or self-exclusion here → FINISH (not for a login-only order)
	RuleIdentityMismatch    Rule = "identity-mismatch"     // the identity is not the player who started the order (or the one it was found as) → FINISH
	RuleIdentityTaken       Rule = "identity-taken"        // the identity belongs to another player than the one who started the order → FINISH
	RuleKYCEntityChanged    Rule = "kycentityid-changed"   // NL: a returning player's kycentityid changed; name and date of birth match → note only
	RuleLookalikeClosed     Rule = "lookalike-closed"      // a new person who may be a blocked player, or one on a break, without a personid (Input.Lookalikes) → FINISH
	RuleLookalike           Rule = "lookalike"             // a new person who may be a player without a personid (Input.Lookalikes) → note only (the order is flagged for staff)
	RuleSelfExcluded        Rule = "self-excluded"         // the national register says the person is excluded → FINISH
	RuleWithdrawOnly        Rule = "withdraw-only"         // the register excludes a known player with money here who only logs in → note only: CONTINUE, withdraw-only (Decision.WithdrawOnly)
	RuleRegisterUnavailable Rule = "register-unavailable"  // the register did not answer in time or could not be read → FINISH (fail closed)
	RuleLimitReached        Rule = "deposit-limit-reached" // the deposit limit leaves nothing → FINISH (not for a login-only order)
	RuleLimitCapped         Rule = "deposit-limit-capped"  // the deposit is above what the limit leaves → CONTINUE with limit
	RuleLimitsUnavailable   Rule = "limits-unavailable"    // the limits could not be read, or in another currency → FINISH (fail closed)
)

// finishes reports whether the rule stops the checkout by itself.
func (r Rule) finishes() bool {
	return r != RuleKYCEntityChanged && r != RuleLimitCapped && r != RuleLookalike && r != RuleWithdrawOnly
}

// messages are the player-facing sentences of the rules that finish, in English.
// The page the checkout returns to shows Decision.Text, the same sentence as the
// message id "kyc.<rule>" (package lang), in the player's language, followed by
// "No money was moved." (kyc.no_money) unless the bank sent the money all the
// same.
var messages = map[Rule]string{
	RuleTrustlyAbort:        "Your bank login could not be used to play here. No money was moved.",
	RuleIdentityInvalid:     "We could not read your identity from your bank. Please contact support. No money was moved.",
	RuleMarketClosed:        "Playing with a bank account from your country is not offered here. No money was moved.",
	RuleUnderage:            "You must be 18 or older to play. No money was moved.",
	RuleBlocked:             "Your account is closed for play. Please contact support. No money was moved.",
	RuleIdentityMismatch:    "The bank identity you logged in with is not the one of this account. No money was moved.",
	RuleIdentityTaken:       "Your bank identity already belongs to another account here; please log in to that one. No money was moved.",
	RuleLookalikeClosed:     "We cannot open play here for this bank identity just now. Please contact support. No money was moved.",
	RuleSelfExcluded:        "You are registered as excluded from gambling (%s), so you cannot play here. No money was moved.",
	RuleRegisterUnavailable: "We could not check the national self-exclusion register just now, so you cannot play yet. Please try again in a few minutes. No money was moved.",
	RuleLimitReached:        "You have reached your deposit limit, so you cannot deposit now. No money was moved.",
	RuleLimitsUnavailable:   "We could not check your deposit limit just now. Please try again in a few minutes. No money was moved.",
}

// Messages is a copy of the player-facing sentences of the rules that finish, in
// English (the sentence of RuleSelfExcluded names the register with %s), as
// orders decided before Decision.Text was stored hold them.
func Messages() map[Rule]string {
	out := make(map[Rule]string, len(messages))
	for r, m := range messages {
		out[r] = m
	}
	return out
}

// Reason is one rule that fired, with what made it fire. Detail is for storage and
// the back office, not for the log: it may name a date of birth or a register's
// reference.
type Reason struct {
	Rule   Rule
	Detail string
}

// Decision is the answer to one kyc notification.
type Decision struct {
	Outcome Outcome
	// Limit caps the deposit when Outcome is Continue and Limit.Positive(); it is the
	// zero Money otherwise. It is rendered to Trustly's decimal text only by Answer.
	Limit models.Money
	// Message is the player-facing sentence of the first rule that finished the
	// order, in English; "" for Continue.
	Message string
	// Text is Message as a message id with its arguments, for the page to show in
	// the player's language: "kyc.<rule>", with the register's name for
	// RuleSelfExcluded, and the player's OnBreakText for RuleOnBreak. Its ID is ""
	// for Continue.
	Text models.Text
	// Reasons are every rule that fired, in the order they were checked.
	Reasons []Reason
	// Identity is the kyc's identity as read; with RuleIdentityInvalid it may be
	// partial. The cashier finds or creates the player by it after Continue.
	Identity Identity
	// Register is the self-exclusion register's answer when it was asked.
	Register *exclusions.Result
}

// Answer is the decision as Trustly's kyc answer. It carries no message: the
// player reads why on our page after the checkout returns, and a register's verdict
// is not Trustly's to see.
func (d Decision) Answer() trustly.Answer {
	if d.Outcome != Continue {
		return trustly.Answer{Status: trustly.StatusFinish}
	}
	a := trustly.Answer{Status: trustly.StatusContinue}
	if d.Limit.Positive() {
		a.Limit = d.Limit.String()
	}
	return a
}

// Fired reports whether rule is among the reasons.
func (d Decision) Fired(rule Rule) bool {
	for _, r := range d.Reasons {
		if r.Rule == rule {
			return true
		}
	}
	return false
}

// WithdrawOnly is the name of the register whose exclusion lets this login in
// withdraw-only (RuleWithdrawOnly), for the session's notice; "" when the
// decision opens a full session, or none.
func (d Decision) WithdrawOnly() string {
	if d.Outcome != Continue || !d.Fired(RuleWithdrawOnly) || d.Register == nil {
		return ""
	}
	return d.Register.Register
}

// Summary is one line for the log, naming only the outcome, the limit and the
// rules: no personal data. "kyc finish [underage self-excluded]",
// "kyc continue limit=500.00 SEK [deposit-limit-capped]".
func (d Decision) Summary() string {
	var b strings.Builder
	b.WriteString("kyc " + string(d.Outcome))
	if d.Outcome == Continue && d.Limit.Positive() {
		b.WriteString(" limit=" + d.Limit.String() + " " + d.Limit.Currency)
	}
	rules := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		rules[i] = string(r.Rule)
	}
	b.WriteString(" [" + strings.Join(rules, " ") + "]")
	return b.String()
}

// Player is what the decision needs to know of a player the cashier already has.
type Player struct {
	ID          int64
	PersonID    string // as stored, PersonID.String() ("SE197901311238"); "" if never linked
	KYCEntityID string // as stored; "" if never linked
	FirstName   string
	LastName    string
	DOB         string // YYYY-MM-DD; "" for a password player who never gave one
	Blocked     bool   // blocked by the operator, or its wallet is blocked (a returned deposit)
	// OnBreak is the sentence saying until when the player chose not to play (a
	// time-out or self-exclusion at this operator), in English; "" when they did
	// not. OnBreakText is the same sentence as a message id with its arguments.
	OnBreak     string
	OnBreakText models.Text
	// TwinOnBreak is another account of the player's person that is on a break,
	// one the bank named the same person for (a kyc's identity number, a bank
	// account's holder) or, in the player's market, with their names and date of
	// birth; it holds this player's deposits too (OnBreak then says so without
	// naming it); 0 for none.
	TwinOnBreak int64
	// MoneyLeft: the player has money here to take out or follow, a balance above
	// zero or a payout underway. The register's exclusion lets such a player log in
	// withdraw-only (RuleWithdrawOnly). The cashier reads it only for the Known
	// player of a login-only order; false otherwise.
	MoneyLeft bool
}

// Limits says how much a player may deposit now. Responsible gaming (issue 11)
// implements it over the limits tables; until then Unlimited.
type Limits interface {
	// DepositAllowance is what who may still deposit now in currency under their
	// deposit limits, pending deposits counted.
	DepositAllowance(ctx context.Context, who Depositor, currency string) (Allowance, error)
}

// Depositor is whom a kyc decision asks the deposit limits about.
type Depositor struct {
	PlayerID int64  // the player the identity is; 0 for a person who is not a player yet (a first deposit)
	Country  string // the identity's market, whose policy applies
	// DOB is the identity's date of birth (YYYY-MM-DD), for a policy whose limits
	// depend on age (NL): the bank vouches for it, so a new person is not taken
	// for one of unknown age. A date of birth the player has stored comes first.
	DOB string
}

// Allowance is a Limits answer.
type Allowance struct {
	Limited   bool         // false: no limit applies; Remaining is ignored
	Remaining models.Money // what the limit still leaves; zero or below stops a deposit
	// Reached is the sentence of the deposit form for a limit of the player's that
	// leaves nothing (which one, and when deposits open again), in English, and
	// ReachedText the same as a message id with its arguments, or the sentence of
	// the cap before the limits are set when that cap leaves nothing; "" and the
	// zero Text when none is. The refusal (RuleLimitReached) then says it.
	Reached     string
	ReachedText models.Text
}

// Same reports whether a and b allow the same deposits.
func (a Allowance) Same(b Allowance) bool {
	return a.Limited == b.Limited && a.Remaining == b.Remaining
}

// Unlimited is Limits without any limit.
type Unlimited struct{}

// DepositAllowance answers that no limit applies.
func (Unlimited) DepositAllowance(context.Context, Depositor, string) (Allowance, error) {
	return Allowance{}, nil
}

// Input is one kyc notification and what the cashier knows around it.
type Input struct {
	KYC KYC
	// Started is the player who started the order (a signed-in player, or the
	// returning player a login order was made for); nil when an unknown visitor
	// started it with a fresh EndUserID.
	Started *Player
	// Known is the player the identity already belongs to: found by personid in SE,
	// FI and EE, by kycentityid in NL (a hint only: Decide checks name and date of
	// birth). nil for a new person. It may be Started.
	Known *Player
	// Amount is the order's amount; zero Minor when the player types it in the
	// checkout or for a login-only order. Currency is the order's currency.
	Amount   models.Money
	Currency string
	// LoginOnly marks a login-only order (pure model, Deposit without Amount): a
	// spent deposit limit does not stop a login.
	LoginOnly bool
	// Lookalikes are, for an identity that neither Started nor Known is, players
	// without a personid who may be this person under another key: without a
	// personid (NL), the players of its country with its date of birth under
	// another kycentityid, since Trustly's kycentityid may change; with a personid
	// that no player has, the players of its country with its names and its date of
	// birth or none, who never gave one (a Finnish password player, a Swedish one
	// from before the personnummer was asked). Decide compares names and dates of
	// birth (mismatch); nil otherwise.
	Lookalikes []*Player
}

// Rules holds what a kyc decision depends on besides its Input.
type Rules struct {
	Modes      Modes                 // markets with Pay N Play on; others are refused
	Exclusions exclusions.Exclusions // the national registers (exclusions.Router, or the sandbox's Fake)
	Limits     Limits                // deposit limits; Unlimited until responsible gaming lands
	Now        func() time.Time      // the clock; time.Now if nil
}

// AdultAge is the age from which a person may play in every Pay N Play market.
const AdultAge = 18

// zones are the markets' time zones: a person comes of age at midnight there.
var zones = map[string]*time.Location{}

func init() {
	for c, name := range map[string]string{"SE": "Europe/Stockholm", "FI": "Europe/Helsinki", "EE": "Europe/Tallinn", "NL": "Europe/Amsterdam"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			panic(err) // time/tzdata is embedded, so this cannot happen
		}
		zones[c] = loc
	}
}

// Decide answers a kyc notification. It never fails: anything it cannot establish
// (an unreadable identity, a register or the limits not answering) finishes the
// order, so that no one plays unchecked.
//
// The local rules are checked first, all of them, in the order of the Rule list.
// Decide stops early only where later rules would have nothing trustworthy to read:
// after Trustly's own abort, and after an identity it cannot read. The register and
// the limits, which cost a round trip while the player waits in the checkout, are
// asked only when no rule has finished the order yet, the register first. A person
// the register excludes is refused (RuleSelfExcluded), except the known player with
// money here who only logs in: their money stays theirs, and the login opens a
// withdraw-only session (RuleWithdrawOnly, Decision.WithdrawOnly); the limits are
// not asked for it.
//
// The caller runs Decide outside any database write lock (the register may take up
// to its timeout), with Started and Known read just before.
func (r Rules) Decide(ctx context.Context, in Input) Decision {
	d := Decision{Outcome: Continue}
	fire := func(rule Rule, format string, args ...any) {
		d.Reasons = append(d.Reasons, Reason{Rule: rule, Detail: fmt.Sprintf(format, args...)})
		if rule.finishes() && d.Outcome == Continue {
			d.Outcome, d.Message, d.Text = Finish, messages[rule], models.Text{ID: "kyc." + string(rule)}
		}
	}

	if in.KYC.Abort {
		fire(RuleTrustlyAbort, "abortmessage %q", truncate(in.KYC.AbortMessage, 100))
		return d
	}
	id, err := ParseIdentity(in.KYC)
	d.Identity = id
	if err != nil {
		fire(RuleIdentityInvalid, "%v", err)
		return d
	}
	if !r.Modes.Enabled(id.Country) {
		fire(RuleMarketClosed, "country %s, Pay N Play %s there", id.Country, r.Modes.For(id.Country))
	}
	if adult := adultOn(id.DOB); r.today(id.Country).Before(adult) {
		fire(RuleUnderage, "born %s, %d on %s", id.DOB, AdultAge, adult.Format(time.DateOnly))
	}
	for _, p := range []*Player{in.Started, in.Known} {
		if p != nil && p.Blocked {
			fire(RuleBlocked, "player %d is blocked", p.ID)
			break
		}
	}
	for _, p := range []*Player{in.Started, in.Known} {
		// A login moves no money, and the player on a break may still withdraw.
		if p != nil && p.OnBreak != "" && !in.LoginOnly {
			first := d.Outcome == Continue
			if p.TwinOnBreak != 0 {
				fire(RuleOnBreak, "player %d, another account of the person of player %d, is on a break", p.TwinOnBreak, p.ID)
			} else {
				fire(RuleOnBreak, "player %d is on a break", p.ID)
			}
			if first {
				d.Message, d.Text = p.OnBreak, p.OnBreakText
			}
			break
		}
	}
	if in.Started != nil {
		if why := mismatch(in.Started, id); why != "" {
			fire(RuleIdentityMismatch, "player %d who started the order: %s", in.Started.ID, why)
		}
	}
	if in.Known != nil && (in.Started == nil || in.Known.ID != in.Started.ID) {
		if why := mismatch(in.Known, id); why != "" {
			fire(RuleIdentityMismatch, "player %d found for the identity: %s", in.Known.ID, why)
		}
	}
	if in.Started != nil && in.Known != nil && in.Started.ID != in.Known.ID {
		fire(RuleIdentityTaken, "order started by player %d, identity belongs to player %d", in.Started.ID, in.Known.ID)
	}
	for _, p := range []*Player{in.Started, in.Known} {
		if p != nil && id.PersonID.IsZero() && p.KYCEntityID != "" && p.KYCEntityID != id.KYCEntityID && mismatch(p, id) == "" {
			fire(RuleKYCEntityChanged, "player %d had kycentityid %s", p.ID, p.KYCEntityID)
			break
		}
	}
	// A new person who may be a player whose kycentityid changed, or a password
	// player who never gave an identity number: their breaks and blocks hold (a new
	// account would shed them), and staff are told of the rest. A login makes the
	// account as a deposit does, so it is refused too.
	if in.Started == nil && in.Known == nil {
		for _, p := range in.Lookalikes {
			if p == nil || p.PersonID != "" || (id.PersonID.IsZero() && p.KYCEntityID == id.KYCEntityID) || mismatch(p, id) != "" {
				continue
			}
			var who string
			switch {
			case id.PersonID.IsZero():
				who = fmt.Sprintf("player %d has this name and date of birth under kycentityid %q", p.ID, p.KYCEntityID)
			case p.DOB == "":
				who = fmt.Sprintf("player %d has this name, no personid and no date of birth", p.ID)
			default:
				who = fmt.Sprintf("player %d has this name and date of birth and no personid", p.ID)
			}
			switch {
			case p.Blocked || p.OnBreak != "":
				fire(RuleLookalikeClosed, "%s and is blocked or on a break", who)
			case id.PersonID.IsZero():
				fire(RuleLookalike, "%s", who)
			default:
				// Perhaps one person with two wallets: staff check before a payout
				// from either.
				fire(RuleLookalike, "%s: check before paying out", who)
			}
		}
	}
	if d.Outcome == Finish {
		return d
	}

	if r.Exclusions == nil {
		fire(RuleRegisterUnavailable, "no register configured")
		return d
	}
	res, err := r.Exclusions.Check(ctx, exclusions.Person{Country: id.Country, PersonID: id.PersonID.Number,
		FirstName: id.FirstName, LastName: id.LastName, DOB: id.DOB})
	if err != nil {
		fire(RuleRegisterUnavailable, "%v", err)
		return d
	}
	d.Register = &res
	// An excluded player's money stays theirs: a known player with money here who
	// only logs in (no amount: no money can move) is let in to withdraw it, and the
	// session is withdraw-only, as a password player's sign-in (cashier.Access).
	// Not a deposit, not a new person (nothing to withdraw, no account is opened),
	// not one with nothing here; the rules above (age, a block by staff, the
	// identity) have finished the order already where they apply.
	if k := in.Known; res.Excluded && in.LoginOnly && k != nil && k.MoneyLeft && (in.Started == nil || in.Started.ID == k.ID) {
		fire(RuleWithdrawOnly, "%s reference %s: the player has money here and only logs in", res.Register, res.Reference)
		return d
	}
	if res.Excluded {
		fire(RuleSelfExcluded, "%s reference %s", res.Register, res.Reference)
		english, shown := exclusions.Shown(res.Register, id.Country)
		d.Message = fmt.Sprintf(messages[RuleSelfExcluded], english)
		d.Text = models.Text{ID: "kyc." + string(RuleSelfExcluded), Args: []any{"Register", shown}}
		return d
	}

	subject := int64(0)
	if in.Known != nil {
		subject = in.Known.ID
	} else if in.Started != nil {
		subject = in.Started.ID
	}
	allow, err := Allowance{}, errors.New("no limits configured")
	if r.Limits != nil {
		allow, err = r.Limits.DepositAllowance(ctx, Depositor{PlayerID: subject, Country: id.Country, DOB: id.DOB}, in.Currency)
	}
	switch {
	case err != nil:
		fire(RuleLimitsUnavailable, "%v", err)
	case !allow.Limited:
	case allow.Remaining.Currency != in.Currency || (in.Amount.Currency != "" && in.Amount.Currency != in.Currency):
		fire(RuleLimitsUnavailable, "allowance in %q for an order in %q", allow.Remaining.Currency, in.Currency)
	case in.LoginOnly:
		// A login moves no money: a spent limit must not lock the player out of
		// their balance or their payouts.
	case !allow.Remaining.Positive():
		first := d.Outcome == Continue
		fire(RuleLimitReached, "%s left", allow.Remaining.String())
		if first && allow.Reached != "" {
			d.Message, d.Text = allow.Reached, allow.ReachedText
		}
	case in.Amount.Minor == 0 || in.Amount.Minor > allow.Remaining.Minor:
		fire(RuleLimitCapped, "order %s, %s left", in.Amount.String(), allow.Remaining.String())
		d.Limit = allow.Remaining
	}
	return d
}

// adultOn is the day a person born on dob comes of age. Someone born on 29 February
// comes of age on 1 March in a common year, the later of the two possible days.
func adultOn(dob string) time.Time {
	born, _ := time.Parse(time.DateOnly, dob) // ParseIdentity checked it
	return born.AddDate(AdultAge, 0, 0)
}

// Underage reports whether a person born on dob (YYYY-MM-DD, already checked) is
// younger than AdultAge on now's date in country's time zone, as the kyc decides
// (RuleUnderage); a registration asks it of the identity typed.
func Underage(dob, country string, now time.Time) bool {
	return Rules{Now: func() time.Time { return now }}.today(country).Before(adultOn(dob))
}

// today is the current date in country's time zone, as midnight UTC of that date,
// so it compares with dates from time.Parse.
func (r Rules) today(country string) time.Time {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	loc := zones[country]
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := now().In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// mismatch says why id is not player p, or "" if it may be. A player with a
// personid must have exactly this one: an identity without a personid (NL) never
// matches them, and the kycentityid alone never proves anything. A player without a
// personid (a password player, or a Dutch one) must have the identity's date of
// birth where one is stored, and the same names: the last name equal and the first
// name one of the bank's given names, ignoring case, accents and hyphens.
func mismatch(p *Player, id Identity) string {
	if p.PersonID != "" {
		stored, err := ParsePersonID("", p.PersonID)
		switch {
		case err != nil:
			return "the stored personid cannot be read"
		case id.PersonID.IsZero():
			return "the player has a personid, the identity has none"
		case stored != id.PersonID:
			return "another personid"
		}
		return ""
	}
	if p.DOB != "" && p.DOB != id.DOB {
		return "another date of birth"
	}
	if !sameNames(p.FirstName, p.LastName, id.FirstName, id.LastName) {
		return "another name"
	}
	return ""
}

// sameNames compares a player's names with a bank's: the last names equal and the
// player's first name among the bank's given names (banks often list them all),
// after folding case, accents and hyphens.
func sameNames(first, last, bankFirst, bankLast string) bool {
	if models.FoldName(last) == "" || models.FoldName(last) != models.FoldName(bankLast) {
		return false
	}
	f, given := models.FoldName(first), models.FoldName(bankFirst)
	if f == "" {
		return false
	}
	return strings.Contains(" "+given+" ", " "+f+" ")
}

// NameKeys are the models.NameKey of every player whose names sameNames accepts
// for a bank's first and last name, for the database to find them by: the last
// name with each run of the bank's given names ("Matti", "Juhani" and "Matti
// Juhani" for the bank's "Matti Juhani"). None when either name folds to nothing.
func NameKeys(bankFirst, bankLast string) []string {
	last, given := models.FoldName(bankLast), strings.Fields(models.FoldName(bankFirst))
	if last == "" {
		return nil
	}
	var keys []string
	for i := range given {
		for j := i + 1; j <= len(given); j++ {
			keys = append(keys, last+"|"+strings.Join(given[i:j], " "))
		}
	}
	return keys
}

// HolderIs reports whether a bank account holder's full name (an account
// notification's "name") is the person with first and last name: the last name
// among its words and the first name among the ones before it, folded as
// sameNames folds. It is for a flag to staff, not a decision.
func HolderIs(holder, first, last string) bool {
	h := " " + models.FoldName(holder) + " "
	f, l := models.FoldName(first), models.FoldName(last)
	i := strings.LastIndex(h, " "+l+" ")
	return f != "" && l != "" && i >= 0 && strings.Contains(h[:i+1], " "+f+" ")
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// Validate checks that r can decide; the cashier calls it at start-up. (Decide
// itself finishes every order that reaches a missing checker.)
func (r Rules) Validate() error {
	if r.Exclusions == nil || r.Limits == nil {
		return errors.New("paynplay: rules need an Exclusions checker and Limits")
	}
	return nil
}
