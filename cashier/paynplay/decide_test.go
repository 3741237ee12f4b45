package paynplay

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"golang.org/x/text/unicode/norm"
)

// Test persons. Their personids are valid; the sandbox's own ones need new check
// digits (see the report of this change).
var (
	seAdult    = KYC{KYCEntityID: "k-se-adult", PersonID: "SE197901311238", FirstName: "Åsa", LastName: "Öberg-Lindqvist", DOB: "1979-01-31", Country: "SE"}
	seMinor    = KYC{KYCEntityID: "k-se-minor", PersonID: "SE201005152382", FirstName: "Elsa", LastName: "Minor", DOB: "2010-05-15", Country: "SE"}
	seExcluded = KYC{KYCEntityID: "k-se-excl", PersonID: "SE198502021119", FirstName: "Sven", LastName: "Spelpaus", DOB: "1985-02-02", Country: "Sweden"}
	eeAdult    = KYC{KYCEntityID: "k-ee-adult", PersonID: "EE38001085718", FirstName: "Mari", LastName: "Tamm", DOB: "1980-01-08", Country: "EE"}
	nlAdult    = KYC{KYCEntityID: "k-nl-adult", FirstName: "Jan", LastName: "de Vries", DOB: "1975-07-14", Country: "NL"}
	fiAdult    = KYC{KYCEntityID: "k-fi-adult", PersonID: "FI131052-309U", FirstName: "Matti Juhani", LastName: "Meikäläinen", DOB: "1952-10-13", Country: "FI"}
	deAdult    = KYC{KYCEntityID: "k-de", FirstName: "Max", LastName: "Muster", DOB: "1980-01-01", Country: "Germany"}
	deMinor    = KYC{KYCEntityID: "k-de", FirstName: "Mia", LastName: "Muster", DOB: "2015-01-01", Country: "DE"}
)

// Players the cashier might already have.
var (
	pnpSE      = &Player{ID: 1, PersonID: "SE197901311238", KYCEntityID: "k-se-adult", FirstName: "Åsa", LastName: "Öberg-Lindqvist", DOB: "1979-01-31"}
	otherSE    = &Player{ID: 2, PersonID: "SE196512171957", FirstName: "Joe", LastName: "Johnson", DOB: "1965-12-17"}
	password   = &Player{ID: 3, FirstName: "asa", LastName: "Oberg Lindqvist"} // typed at sign-up, no accents
	passwordJo = &Player{ID: 4, FirstName: "Joe", LastName: "Johnson"}
	pnpNL      = &Player{ID: 5, KYCEntityID: "k-nl-old", FirstName: "Jan", LastName: "de Vries", DOB: "1975-07-14"}
	otherNL    = &Player{ID: 6, KYCEntityID: "k-nl-adult", FirstName: "Johan", LastName: "de Vries", DOB: "1975-07-14"}
	// Dutch players a new person with nlAdult's identity may be (Input.Lookalikes).
	otherNLName = &Player{ID: 10, KYCEntityID: "k-nl-x", FirstName: "Piet", LastName: "de Vries", DOB: "1975-07-14", Blocked: true}
	nlOnBreak   = &Player{ID: 11, KYCEntityID: "k-nl-y", FirstName: "Jan", LastName: "de Vries", DOB: "1975-07-14",
		OnBreak: "You chose a 7-day time-out.", OnBreakText: models.Text{ID: "breaks.on_break_forever"}}
	nlBlocked = &Player{ID: 14, FirstName: "Jan", LastName: "de Vries", DOB: "1975-07-14", Blocked: true}
	// Finnish password players a new person with fiAdult's identity may be
	// (Input.Lookalikes): registered with a name only, typed without accents.
	fiPassword        = &Player{ID: 20, FirstName: "matti", LastName: "Meikalainen"}
	fiPasswordBlocked = &Player{ID: 21, FirstName: "Matti", LastName: "Meikäläinen", Blocked: true}
	fiPasswordOnBreak = &Player{ID: 22, FirstName: "Matti Juhani", LastName: "MEIKÄLÄINEN", DOB: "1952-10-13",
		OnBreak: "You chose a 30-day time-out.", OnBreakText: models.Text{ID: "breaks.on_break"}}
	fiNotHim = []*Player{{ID: 23, FirstName: "Pekka", LastName: "Meikäläinen", Blocked: true},
		{ID: 24, FirstName: "Matti", LastName: "Meikäläinen", DOB: "1960-01-01", Blocked: true},
		{ID: 25, PersonID: "FI131052-309U", FirstName: "Matti", LastName: "Meikäläinen", Blocked: true}}
	blocked = &Player{ID: 7, PersonID: "SE197901311238", FirstName: "Åsa", LastName: "Öberg-Lindqvist", DOB: "1979-01-31", Blocked: true}
	// Known players the register excludes (TestDecide's fake lists seExcluded's
	// personid and nlAdult's name and date of birth), with money here or without.
	excludedSE     = &Player{ID: 30, PersonID: "SE198502021119", KYCEntityID: "k-se-excl", FirstName: "Sven", LastName: "Spelpaus", DOB: "1985-02-02", MoneyLeft: true}
	excludedSEPoor = &Player{ID: 31, PersonID: "SE198502021119", KYCEntityID: "k-se-excl", FirstName: "Sven", LastName: "Spelpaus", DOB: "1985-02-02"}
	excludedNL     = &Player{ID: 32, KYCEntityID: "k-nl-adult", FirstName: "Jan", LastName: "de Vries", DOB: "1975-07-14", MoneyLeft: true}
	badStored      = &Player{ID: 8, PersonID: "SE-garbage", FirstName: "Åsa", LastName: "Öberg-Lindqvist"}
	onBreak        = &Player{ID: 9, PersonID: "SE197901311238", FirstName: "Åsa", LastName: "Öberg-Lindqvist", DOB: "1979-01-31",
		OnBreak:     "You chose a 7-day time-out, so deposits and play are paused until 2026-04-04 23:31 UTC.",
		OnBreakText: models.Text{ID: "breaks.on_break", Args: []any{"Until", time.Date(2026, 4, 4, 23, 31, 0, 0, time.UTC)}}}
)

// register answers like a register and counts its calls.
type register struct {
	res    exclusions.Result
	err    error
	calls  int
	person exclusions.Person
}

func (r *register) Check(_ context.Context, p exclusions.Person) (exclusions.Result, error) {
	r.calls++
	r.person = p
	return r.res, r.err
}

// limits answers a fixed allowance and records whom it was asked about.
type limits struct {
	allow   Allowance
	err     error
	calls   int
	who     Depositor
	currncy string
}

func (l *limits) DepositAllowance(_ context.Context, who Depositor, currency string) (Allowance, error) {
	l.calls++
	l.who, l.currncy = who, currency
	return l.allow, l.err
}

func sek(major int64) models.Money { return models.Money{Minor: major * 100, Currency: "SEK"} }
func eur(major int64) models.Money { return models.Money{Minor: major * 100, Currency: "EUR"} }

var testNow = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

func testRules(t *testing.T, x exclusions.Exclusions, l Limits) Rules {
	t.Helper()
	modes, err := ParseModes("SE=pure,FI=hybrid,NL=hybrid,EE=off")
	if err != nil {
		t.Fatal(err)
	}
	return Rules{Modes: modes, Exclusions: x, Limits: l, Now: func() time.Time { return testNow }}
}

func TestDecide(t *testing.T) {
	fake := &exclusions.Fake{Entries: []exclusions.FakeEntry{
		{Country: "SE", PersonID: "198502021119"},
		{Country: "NL", FirstName: "Jan", LastName: "de Vries", DOB: "1975-07-14"},
	}}
	down := &register{err: fmt.Errorf("%w: Spelpaus answered HTTP 503", exclusions.ErrUnavailable)}
	limited := func(m models.Money) Limits { return &limits{allow: Allowance{Limited: true, Remaining: m}} }
	kyc := func(k KYC, change func(*KYC)) KYC { change(&k); return k }

	for _, tt := range []struct {
		name      string
		in        Input
		register  exclusions.Exclusions // default: a register that finds no one
		limits    Limits                // default: Unlimited
		want      Outcome
		rules     []Rule
		limit     string // the answer's limit
		inMessage string // part of the player's message
	}{
		{name: "new adult continues", in: Input{KYC: seAdult, Amount: sek(100), Currency: "SEK"}, want: Continue},
		{name: "login only continues", in: Input{KYC: seAdult, Currency: "SEK", LoginOnly: true}, want: Continue},
		{name: "trustly abort", in: Input{KYC: KYC{Abort: true, AbortMessage: "underage"}, Currency: "SEK"},
			want: Finish, rules: []Rule{RuleTrustlyAbort}, inMessage: "could not be used"},
		{name: "trustly abort with a full identity", in: Input{KYC: kyc(seAdult, func(k *KYC) { k.Abort = true }), Currency: "SEK"},
			want: Finish, rules: []Rule{RuleTrustlyAbort}},
		{name: "bad personid", in: Input{KYC: kyc(seAdult, func(k *KYC) { k.PersonID = "SE197901311234" }), Currency: "SEK"},
			want: Finish, rules: []Rule{RuleIdentityInvalid}, inMessage: "could not read your identity"},
		{name: "dob not the personid's", in: Input{KYC: kyc(seAdult, func(k *KYC) { k.DOB = "1999-01-31" }), Currency: "SEK"},
			want: Finish, rules: []Rule{RuleIdentityInvalid}},
		{name: "no personid in SE", in: Input{KYC: kyc(seAdult, func(k *KYC) { k.PersonID = "" }), Currency: "SEK"},
			want: Finish, rules: []Rule{RuleIdentityInvalid}},
		{name: "underage", in: Input{KYC: seMinor, Amount: sek(100), Currency: "SEK"},
			want: Finish, rules: []Rule{RuleUnderage}, inMessage: "18 or older"},
		{name: "market off", in: Input{KYC: eeAdult, Amount: eur(100), Currency: "EUR"},
			want: Finish, rules: []Rule{RuleMarketClosed}, inMessage: "not offered"},
		{name: "country outside the markets", in: Input{KYC: deAdult, Amount: eur(100), Currency: "EUR"},
			want: Finish, rules: []Rule{RuleMarketClosed}},
		{name: "every local rule fires", in: Input{KYC: deMinor, Started: blocked, Currency: "EUR"},
			want: Finish, rules: []Rule{RuleMarketClosed, RuleUnderage, RuleBlocked, RuleIdentityMismatch}, inMessage: "not offered"},
		// The sandbox's fake register is shown to the player as the register of
		// their country it stands in for, never as "fake".
		{name: "self-excluded", in: Input{KYC: seExcluded, Amount: sek(100), Currency: "SEK"}, register: fake,
			want: Finish, rules: []Rule{RuleSelfExcluded}, inMessage: "excluded from gambling (Spelpaus)"},
		{name: "self-excluded by name and dob (NL)", in: Input{KYC: nlAdult, Amount: eur(100), Currency: "EUR"}, register: fake,
			want: Finish, rules: []Rule{RuleSelfExcluded}, inMessage: "excluded from gambling (CRUKS)"},
		// An excluded known player with money here may log in to withdraw it, as a
		// password player signs in withdraw-only; no deposit, and no one else.
		{name: "excluded known player with money logs in withdraw-only", in: Input{KYC: seExcluded, Known: excludedSE, Currency: "SEK", LoginOnly: true},
			register: fake, want: Continue, rules: []Rule{RuleWithdrawOnly}},
		{name: "excluded known NL player with money logs in withdraw-only", in: Input{KYC: nlAdult, Known: excludedNL, Currency: "EUR", LoginOnly: true},
			register: fake, want: Continue, rules: []Rule{RuleWithdrawOnly}},
		{name: "excluded known player with money, on a break, logs in withdraw-only", in: Input{KYC: seExcluded,
			Known: func() *Player {
				p := copyOf(excludedSE)
				p.OnBreak, p.OnBreakText = onBreak.OnBreak, onBreak.OnBreakText
				return p
			}(),
			Currency: "SEK", LoginOnly: true}, register: fake, want: Continue, rules: []Rule{RuleWithdrawOnly}},
		{name: "excluded known player logs in withdraw-only, limits not asked", in: Input{KYC: seExcluded, Known: excludedSE, Currency: "SEK", LoginOnly: true},
			register: fake, limits: &limits{err: errors.New("db down")}, want: Continue, rules: []Rule{RuleWithdrawOnly}},
		{name: "excluded known player with money, deposit and play", in: Input{KYC: seExcluded, Known: excludedSE, Amount: sek(100), Currency: "SEK"},
			register: fake, want: Finish, rules: []Rule{RuleSelfExcluded}, inMessage: "excluded from gambling (Spelpaus)"},
		{name: "excluded known player with money, amount typed in the checkout", in: Input{KYC: seExcluded, Known: excludedSE, Currency: "SEK"},
			register: fake, want: Finish, rules: []Rule{RuleSelfExcluded}},
		{name: "excluded known player without money logs in", in: Input{KYC: seExcluded, Known: excludedSEPoor, Currency: "SEK", LoginOnly: true},
			register: fake, want: Finish, rules: []Rule{RuleSelfExcluded}},
		{name: "excluded unknown person logs in", in: Input{KYC: seExcluded, Currency: "SEK", LoginOnly: true},
			register: fake, want: Finish, rules: []Rule{RuleSelfExcluded}},
		{name: "excluded NL person whose kycentityid finds another player with money logs in", in: Input{KYC: nlAdult,
			Known: func() *Player { p := copyOf(excludedNL); p.FirstName = "Johan"; return p }(), Currency: "EUR", LoginOnly: true},
			register: fake, want: Finish, rules: []Rule{RuleIdentityMismatch}},
		{name: "excluded known player with money, blocked by staff, logs in", in: Input{KYC: seExcluded,
			Known: func() *Player { p := copyOf(excludedSE); p.Blocked = true; return p }(), Currency: "SEK", LoginOnly: true},
			register: fake, want: Finish, rules: []Rule{RuleBlocked}, inMessage: "closed for play"},
		{name: "excluded known player with money, under 18, logs in", in: Input{KYC: seMinor,
			Known:    &Player{ID: 33, PersonID: "SE201005152382", FirstName: "Elsa", LastName: "Minor", DOB: "2010-05-15", MoneyLeft: true},
			Currency: "SEK", LoginOnly: true}, register: &register{res: exclusions.Result{Excluded: true, Register: "test", Reference: "r"}},
			want: Finish, rules: []Rule{RuleUnderage}},
		{name: "register unavailable, known player with money logs in", in: Input{KYC: seExcluded, Known: excludedSE, Currency: "SEK", LoginOnly: true},
			register: down, want: Finish, rules: []Rule{RuleRegisterUnavailable}},
		{name: "register unavailable fails closed", in: Input{KYC: seAdult, Amount: sek(100), Currency: "SEK"}, register: down,
			want: Finish, rules: []Rule{RuleRegisterUnavailable}, inMessage: "self-exclusion register"},
		{name: "no register fails closed", in: Input{KYC: seAdult, Amount: sek(100), Currency: "SEK"}, register: nilChecker{},
			want: Finish, rules: []Rule{RuleRegisterUnavailable}},
		{name: "blocked known player", in: Input{KYC: seAdult, Known: blocked, Amount: sek(100), Currency: "SEK"},
			want: Finish, rules: []Rule{RuleBlocked}, inMessage: "closed for play"},
		{name: "known player on a break", in: Input{KYC: seAdult, Known: onBreak, Amount: sek(100), Currency: "SEK"},
			want: Finish, rules: []Rule{RuleOnBreak}, inMessage: "paused until 2026-04-04 23:31 UTC"},
		{name: "player on a break logs in", in: Input{KYC: seAdult, Started: onBreak, Known: onBreak, Currency: "SEK", LoginOnly: true},
			want: Continue},
		{name: "returning player, same personid", in: Input{KYC: seAdult, Started: pnpSE, Known: pnpSE, Amount: sek(100), Currency: "SEK"},
			want: Continue},
		{name: "returning player, another personid", in: Input{KYC: seAdult, Started: otherSE, Amount: sek(100), Currency: "SEK"},
			want: Finish, rules: []Rule{RuleIdentityMismatch}, inMessage: "not the one of this account"},
		{name: "returning player, identity of another player", in: Input{KYC: seAdult, Started: otherSE, Known: pnpSE, Currency: "SEK"},
			want: Finish, rules: []Rule{RuleIdentityMismatch, RuleIdentityTaken}},
		{name: "one player read twice fires once", in: Input{KYC: seAdult, Started: otherSE, Known: copyOf(otherSE), Currency: "SEK"},
			want: Finish, rules: []Rule{RuleIdentityMismatch}},
		{name: "stored personid unreadable", in: Input{KYC: seAdult, Started: badStored, Currency: "SEK"},
			want: Finish, rules: []Rule{RuleIdentityMismatch}},
		{name: "password player, own identity", in: Input{KYC: seAdult, Started: password, Amount: sek(100), Currency: "SEK"},
			want: Continue},
		{name: "password player, another name", in: Input{KYC: seAdult, Started: passwordJo, Amount: sek(100), Currency: "SEK"},
			want: Finish, rules: []Rule{RuleIdentityMismatch}},
		{name: "password player, identity taken", in: Input{KYC: seAdult, Started: password, Known: pnpSE, Currency: "SEK"},
			want: Finish, rules: []Rule{RuleIdentityTaken}, inMessage: "another account"},
		{name: "NL returning, kycentityid changed", in: Input{KYC: nlAdult, Started: pnpNL, Amount: eur(100), Currency: "EUR"},
			want: Continue, rules: []Rule{RuleKYCEntityChanged}},
		{name: "NL returning, another dob", in: Input{KYC: kyc(nlAdult, func(k *KYC) { k.DOB = "1975-07-15" }), Started: pnpNL, Currency: "EUR"},
			want: Finish, rules: []Rule{RuleIdentityMismatch}},
		{name: "NL identity for a player with a personid", in: Input{KYC: nlAdult, Started: pnpSE, Currency: "EUR"},
			want: Finish, rules: []Rule{RuleIdentityMismatch}},
		{name: "NL kycentityid hint finds another person", in: Input{KYC: nlAdult, Known: otherNL, Currency: "EUR"},
			want: Finish, rules: []Rule{RuleIdentityMismatch}},
		{name: "NL new person, lookalike under another kycentityid", in: Input{KYC: nlAdult, Lookalikes: []*Player{pnpNL}, Amount: eur(100), Currency: "EUR"},
			want: Continue, rules: []Rule{RuleLookalike}},
		{name: "NL new person, lookalike on a break", in: Input{KYC: nlAdult, Lookalikes: []*Player{otherNLName, nlOnBreak}, Amount: eur(100), Currency: "EUR"},
			want: Finish, rules: []Rule{RuleLookalikeClosed}, inMessage: "contact support"},
		{name: "NL new person, blocked lookalike, login only", in: Input{KYC: nlAdult, Lookalikes: []*Player{pnpNL, nlBlocked}, Currency: "EUR", LoginOnly: true},
			want: Finish, rules: []Rule{RuleLookalike, RuleLookalikeClosed}, inMessage: "We cannot open play here for this bank identity just now."},
		{name: "NL new person, lookalikes of another name, with a personid, or this kycentityid", in: Input{KYC: nlAdult,
			Lookalikes: []*Player{otherNLName, {ID: 12, PersonID: "SE197901311238", FirstName: "Jan", LastName: "de Vries", DOB: "1975-07-14", Blocked: true},
				{ID: 13, KYCEntityID: "k-nl-adult", FirstName: "Jan", LastName: "de Vries", DOB: "1975-07-14", Blocked: true}}, Amount: eur(100), Currency: "EUR"},
			want: Continue},
		{name: "NL returning player, lookalikes not asked", in: Input{KYC: nlAdult, Started: pnpNL, Lookalikes: []*Player{nlBlocked}, Amount: eur(100), Currency: "EUR"},
			want: Continue, rules: []Rule{RuleKYCEntityChanged}},
		{name: "new person with a personid, a password player of the name", in: Input{KYC: fiAdult, Lookalikes: []*Player{fiPassword}, Amount: eur(100), Currency: "EUR"},
			want: Continue, rules: []Rule{RuleLookalike}},
		{name: "new person with a personid, a blocked password player of the name", in: Input{KYC: fiAdult, Lookalikes: []*Player{fiPassword, fiPasswordBlocked}, Amount: eur(100), Currency: "EUR"},
			want: Finish, rules: []Rule{RuleLookalike, RuleLookalikeClosed}, inMessage: "contact support"},
		{name: "new person with a personid, a password player on a break, login only", in: Input{KYC: fiAdult, Lookalikes: []*Player{fiPasswordOnBreak}, Currency: "EUR", LoginOnly: true},
			want: Finish, rules: []Rule{RuleLookalikeClosed}, inMessage: "We cannot open play here for this bank identity just now."},
		{name: "new person with a personid, players of another first name, date of birth, or with a personid", in: Input{KYC: fiAdult, Lookalikes: fiNotHim, Amount: eur(100), Currency: "EUR"},
			want: Continue},
		{name: "new Swede without a kycentityid, a blocked password player of the name and date of birth", in: Input{KYC: kyc(seAdult, func(k *KYC) { k.KYCEntityID = "" }),
			Lookalikes: []*Player{{ID: 26, FirstName: "Åsa", LastName: "Öberg-Lindqvist", DOB: "1979-01-31", Blocked: true}}, Amount: sek(100), Currency: "SEK"},
			want: Finish, rules: []Rule{RuleLookalikeClosed}},
		{name: "returning player with a personid, lookalikes not asked", in: Input{KYC: seAdult, Known: pnpSE, Lookalikes: []*Player{password, {ID: 26, FirstName: "Åsa", LastName: "Öberg-Lindqvist", Blocked: true}}, Amount: sek(100), Currency: "SEK"},
			want: Continue},
		{name: "limit caps the deposit", in: Input{KYC: seAdult, Amount: sek(1000), Currency: "SEK"}, limits: limited(sek(500)),
			want: Continue, rules: []Rule{RuleLimitCapped}, limit: "500.00"},
		{name: "limit caps a typed amount", in: Input{KYC: seAdult, Currency: "SEK"}, limits: limited(models.Money{Minor: 12345, Currency: "SEK"}),
			want: Continue, rules: []Rule{RuleLimitCapped}, limit: "123.45"},
		{name: "deposit within the limit", in: Input{KYC: seAdult, Amount: sek(500), Currency: "SEK"}, limits: limited(sek(500)),
			want: Continue},
		{name: "limit reached", in: Input{KYC: seAdult, Amount: sek(100), Currency: "SEK"}, limits: limited(sek(0)),
			want: Finish, rules: []Rule{RuleLimitReached}, inMessage: "deposit limit"},
		{name: "limit overdrawn", in: Input{KYC: seAdult, Amount: sek(100), Currency: "SEK"}, limits: limited(sek(-5)),
			want: Finish, rules: []Rule{RuleLimitReached}},
		{name: "limit reached, login only", in: Input{KYC: seAdult, Currency: "SEK", LoginOnly: true}, limits: limited(sek(0)),
			want: Continue},
		{name: "limits unavailable", in: Input{KYC: seAdult, Amount: sek(100), Currency: "SEK"}, limits: &limits{err: errors.New("db down")},
			want: Finish, rules: []Rule{RuleLimitsUnavailable}, inMessage: "deposit limit"},
		{name: "limits unavailable, login only", in: Input{KYC: seAdult, Currency: "SEK", LoginOnly: true}, limits: &limits{err: errors.New("db down")},
			want: Finish, rules: []Rule{RuleLimitsUnavailable}},
		{name: "limit in another currency", in: Input{KYC: seAdult, Amount: sek(100), Currency: "SEK"}, limits: limited(eur(50)),
			want: Finish, rules: []Rule{RuleLimitsUnavailable}},
		{name: "no limits configured", in: Input{KYC: seAdult, Amount: sek(100), Currency: "SEK"}, limits: nilLimits{},
			want: Finish, rules: []Rule{RuleLimitsUnavailable}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x, l := tt.register, tt.limits
			if x == nil {
				x = &register{res: exclusions.Result{Register: "test", Reference: "r"}}
			}
			if _, ok := x.(nilChecker); ok {
				x = nil
			}
			if l == nil {
				l = Unlimited{}
			}
			if _, ok := l.(nilLimits); ok {
				l = nil
			}
			d := testRules(t, x, l).Decide(context.Background(), tt.in)
			var rules []Rule
			for _, r := range d.Reasons {
				rules = append(rules, r.Rule)
				if r.Detail == "" {
					t.Errorf("reason %s has no detail", r.Rule)
				}
			}
			if d.Outcome != tt.want || fmt.Sprint(rules) != fmt.Sprint(tt.rules) {
				t.Fatalf("Decide = %s %v; want %s %v (%+v)", d.Outcome, rules, tt.want, tt.rules, d.Reasons)
			}
			a := d.Answer()
			if err := a.Validate(trustly.MethodKYC); err != nil || a.Limit != tt.limit || a.Message != "" {
				t.Errorf("Answer = %+v, %v; want limit %q and no message", a, err, tt.limit)
			}
			if wantStatus := map[Outcome]string{Continue: "CONTINUE", Finish: "FINISH"}[tt.want]; a.Status != wantStatus {
				t.Errorf("Answer status %s; want %s", a.Status, wantStatus)
			}
			switch {
			case tt.want == Continue && d.Message != "":
				t.Errorf("Continue with message %q", d.Message)
			case tt.want == Finish && (d.Message == "" || !strings.Contains(d.Message, tt.inMessage) || strings.Contains(d.Message, "%")):
				t.Errorf("message %q; want a sentence with %q", d.Message, tt.inMessage)
			}
			// The same sentence as a message id: the first finishing rule's, with
			// the register's name, or the player's break.
			var want models.Text
			for _, r := range tt.rules {
				if r.finishes() && tt.want == Finish {
					want = models.Text{ID: "kyc." + string(r)}
					switch r {
					case RuleSelfExcluded:
						// The name the English sentence gives, as the argument.
						_, name, _ := strings.Cut(d.Message, "(")
						name, _, _ = strings.Cut(name, ")")
						want.Args = []any{"Register", name}
					case RuleOnBreak:
						want = onBreak.OnBreakText
					}
					break
				}
			}
			if !reflect.DeepEqual(d.Text, want) {
				t.Errorf("text %#v; want %#v", d.Text, want)
			}
		})
	}
}

func copyOf(p *Player) *Player { c := *p; return &c }

// TestDecideWithdrawOnly: the login of an excluded known player with money here is
// answered a plain CONTINUE (no limit, no message), names the register for the
// session's notice and keeps the register's reference with the reason; every other
// decision opens no withdraw-only session.
func TestDecideWithdrawOnly(t *testing.T) {
	reg := &register{res: exclusions.Result{Excluded: true, Register: "Spelpaus", Reference: "sp-42"}}
	r := testRules(t, reg, &limits{allow: Allowance{Limited: true, Remaining: sek(0)}})
	d := r.Decide(context.Background(), Input{KYC: seExcluded, Known: excludedSE, Currency: "SEK", LoginOnly: true})
	if a := d.Answer(); a.Status != "CONTINUE" || a.Limit != "" || d.Message != "" || d.Text.ID != "" {
		t.Errorf("answer %+v, message %q, text %+v; want a plain CONTINUE", a, d.Message, d.Text)
	}
	if got := d.WithdrawOnly(); got != "Spelpaus" {
		t.Errorf("WithdrawOnly() = %q; want the register, Spelpaus", got)
	}
	if len(d.Reasons) != 1 || !strings.Contains(d.Reasons[0].Detail, "sp-42") || !strings.Contains(d.Reasons[0].Detail, "Spelpaus") {
		t.Errorf("reasons %+v; want one naming the register and its reference", d.Reasons)
	}
	if got, want := d.Summary(), "kyc continue [withdraw-only]"; got != want {
		t.Errorf("Summary = %q; want %q", got, want)
	}
	for _, in := range []Input{
		{KYC: seExcluded, Known: excludedSE, Amount: sek(100), Currency: "SEK"},
		{KYC: seExcluded, Known: excludedSEPoor, Currency: "SEK", LoginOnly: true},
		{KYC: seExcluded, Currency: "SEK", LoginOnly: true},
	} {
		if d := r.Decide(context.Background(), in); d.WithdrawOnly() != "" || d.Outcome != Finish {
			t.Errorf("%+v: %s, WithdrawOnly() %q; want finish and no withdraw-only session", in, d.Summary(), d.WithdrawOnly())
		}
	}
	reg.res.Excluded = false
	if d := r.Decide(context.Background(), Input{KYC: seExcluded, Known: excludedSE, Currency: "SEK", LoginOnly: true}); d.WithdrawOnly() != "" || d.Outcome != Continue {
		t.Errorf("not excluded: %s, WithdrawOnly() %q; want a full login", d.Summary(), d.WithdrawOnly())
	}
}

type nilChecker struct{ exclusions.Exclusions }
type nilLimits struct{ Limits }

// TestLookalikeDetails: staff read in a lookalike's reason which player it is and
// why; a password player without a personid is to be checked before a payout.
func TestLookalikeDetails(t *testing.T) {
	r := testRules(t, &register{res: exclusions.Result{Register: "test", Reference: "r"}}, Unlimited{})
	for _, tt := range []struct {
		in   Input
		want string
	}{
		{Input{KYC: fiAdult, Lookalikes: []*Player{fiPassword}, Currency: "EUR"},
			"player 20 has this name, no personid and no date of birth: check before paying out"},
		{Input{KYC: fiAdult, Lookalikes: []*Player{fiPasswordOnBreak}, Currency: "EUR"},
			"player 22 has this name and date of birth and no personid and is blocked or on a break"},
		{Input{KYC: nlAdult, Lookalikes: []*Player{pnpNL}, Currency: "EUR"},
			`player 5 has this name and date of birth under kycentityid "k-nl-old"`},
	} {
		d := r.Decide(context.Background(), tt.in)
		if len(d.Reasons) != 1 || d.Reasons[0].Detail != tt.want {
			t.Errorf("%s: reasons %+v; want one, %q", tt.in.KYC.LastName, d.Reasons, tt.want)
		}
	}
}

// TestNameKeys: the keys a bank's names find players by are exactly the keys of
// the players whose names sameNames accepts for them.
func TestNameKeys(t *testing.T) {
	banks := [][2]string{{"Matti Juhani", "Meikäläinen"}, {"Åsa", "Öberg-Lindqvist"}, {"Jan Pieter", "de Vries"},
		{"Anna-Maria Lisa", "O'Neil"}, {"", "Tamm"}, {"Mari", ""}}
	players := [][2]string{{"matti", "Meikalainen"}, {"Juhani", "MEIKÄLÄINEN"}, {"Matti Juhani", "Meikäläinen"},
		{"Juhani Matti", "Meikäläinen"}, {"Matti", "Virtanen"}, {"Mat", "Meikäläinen"}, {"asa", "Oberg Lindqvist"},
		{"Åsa", "Öberg"}, {"Jan", "De-Vries"}, {"Pieter", "de vries"}, {"Anna Maria", "ONeil"}, {"Lisa", "O’Neil"},
		{"Anna", "O'Neil"}, {"", "Tamm"}, {"Mari", ""}, {"Maria Lisa", "O'Neil"}}
	for _, b := range banks {
		keys := NameKeys(b[0], b[1])
		for _, p := range players {
			if got, want := slices.Contains(keys, models.NameKey(p[0], p[1])), sameNames(p[0], p[1], b[0], b[1]); got != want {
				t.Errorf("bank %q %q, player %q %q: key among NameKeys %t (%q); sameNames %t", b[0], b[1], p[0], p[1], got, keys, want)
			}
		}
	}
}

// TestDecideAsksLast: the register and the limits are not asked once a local rule
// has finished the order, and the register is asked about the bank's person.
func TestDecideAsksLast(t *testing.T) {
	reg, lim := &register{res: exclusions.Result{Register: "test", Reference: "r"}}, &limits{}
	r := testRules(t, reg, lim)
	for _, in := range []Input{{KYC: seMinor}, {KYC: KYC{Abort: true}}, {KYC: eeAdult}, {KYC: seAdult, Started: otherSE}} {
		if d := r.Decide(context.Background(), in); d.Outcome != Finish || reg.calls != 0 || lim.calls != 0 {
			t.Errorf("%+v: %s; register asked %d, limits %d times; want finish without asking", in.KYC, d.Summary(), reg.calls, lim.calls)
		}
	}
	reg.res.Excluded = true
	if d := r.Decide(context.Background(), Input{KYC: seAdult, Currency: "SEK"}); d.Outcome != Finish || lim.calls != 0 {
		t.Errorf("excluded: %s, limits asked %d times; want finish without asking", d.Summary(), lim.calls)
	}
	want := exclusions.Person{Country: "SE", PersonID: "197901311238", FirstName: "Åsa", LastName: "Öberg-Lindqvist", DOB: "1979-01-31"}
	if reg.calls != 1 || reg.person != want {
		t.Errorf("register asked %d times about %+v; want once about %+v", reg.calls, reg.person, want)
	}
}

// TestDecideLimitsSubject: the limits are those of the player the identity belongs
// to, else the player who started the order, else a new player (0), in the
// identity's market and the order's currency, with the identity's date of birth
// (a new person's age, where the policy has limits by age).
func TestDecideLimitsSubject(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   Input
		who  Depositor
	}{
		{"new person", Input{KYC: seAdult, Currency: "SEK"}, Depositor{Country: "SE", DOB: "1979-01-31"}},
		{"new NL person", Input{KYC: nlAdult, Currency: "EUR"}, Depositor{Country: "NL", DOB: "1975-07-14"}},
		{"known player", Input{KYC: seAdult, Known: pnpSE, Currency: "SEK"}, Depositor{PlayerID: 1, Country: "SE", DOB: "1979-01-31"}},
		{"password player linking", Input{KYC: seAdult, Started: password, Currency: "SEK"}, Depositor{PlayerID: 3, Country: "SE", DOB: "1979-01-31"}},
		{"returning NL player", Input{KYC: nlAdult, Started: pnpNL, Currency: "EUR"}, Depositor{PlayerID: 5, Country: "NL", DOB: "1975-07-14"}},
	} {
		lim := &limits{}
		testRules(t, &register{res: exclusions.Result{Register: "test", Reference: "r"}}, lim).Decide(context.Background(), tt.in)
		if lim.calls != 1 || lim.who != tt.who || lim.currncy != tt.in.Currency {
			t.Errorf("%s: limits asked %d times for %+v in %s; want %+v in %s", tt.name,
				lim.calls, lim.who, lim.currncy, tt.who, tt.in.Currency)
		}
	}
}

// TestDecideAge: of age from the 18th birthday, exact to the day in the market's time
// zone; born on 29 February, from 1 March in a common year.
func TestDecideAge(t *testing.T) {
	se := func(personid, dob string) KYC {
		return KYC{KYCEntityID: "k", PersonID: personid, FirstName: "A", LastName: "B", DOB: dob, Country: "SE"}
	}
	fi := KYC{KYCEntityID: "k", PersonID: "FI150608A2344", FirstName: "A", LastName: "B", DOB: "2008-06-15", Country: "FI"}
	nl := func(dob string) KYC {
		return KYC{KYCEntityID: "k", FirstName: "A", LastName: "B", DOB: dob, Country: "NL"}
	}
	for _, tt := range []struct {
		name     string
		kyc      KYC
		now      time.Time
		underage bool
	}{
		{"18 today", se("SE200806152385", "2008-06-15"), testNow, false},
		{"18 tomorrow", se("SE200806162384", "2008-06-16"), testNow, true},
		{"18 today from midnight in Stockholm", se("SE200806152385", "2008-06-15"), time.Date(2026, 6, 14, 22, 0, 0, 0, time.UTC), false},
		{"not yet a minute before midnight in Stockholm", se("SE200806152385", "2008-06-15"), time.Date(2026, 6, 14, 21, 59, 0, 0, time.UTC), true},
		{"Helsinki is an hour ahead", fi, time.Date(2026, 6, 14, 21, 30, 0, 0, time.UTC), false},
		{"Stockholm at that instant", se("SE200806152385", "2008-06-15"), time.Date(2026, 6, 14, 21, 30, 0, 0, time.UTC), true},
		{"Amsterdam in winter", nl("2008-01-10"), time.Date(2026, 1, 9, 23, 0, 0, 0, time.UTC), false},
		{"Amsterdam in winter, before midnight", nl("2008-01-10"), time.Date(2026, 1, 9, 22, 59, 59, 0, time.UTC), true},
		{"leap day, 28 February", nl("2008-02-29"), time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC), true},
		{"leap day, 1 March", nl("2008-02-29"), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), false},
		{"leap day, 1 March from midnight in Amsterdam", nl("2008-02-29"), time.Date(2026, 2, 28, 23, 0, 0, 0, time.UTC), false},
		{"leap day, 18 in a leap year on 29 February", nl("2012-02-29"), time.Date(2030, 2, 28, 12, 0, 0, 0, time.UTC), true},
		{"born in the future", nl("2030-01-01"), testNow, true},
		{"old", nl("1920-01-01"), testNow, false},
	} {
		r := testRules(t, &register{res: exclusions.Result{Register: "test", Reference: "r"}}, Unlimited{})
		r.Now = func() time.Time { return tt.now }
		d := r.Decide(context.Background(), Input{KYC: tt.kyc, Currency: "EUR"})
		if d.Fired(RuleUnderage) != tt.underage || d.Fired(RuleIdentityInvalid) || (!tt.underage && d.Outcome == Finish) {
			t.Errorf("%s: %s; want underage %t", tt.name, d.Summary(), tt.underage)
		}
	}
}

func TestDecisionSummary(t *testing.T) {
	lim := &limits{allow: Allowance{Limited: true, Remaining: sek(500)}}
	d := testRules(t, &register{res: exclusions.Result{Register: "test", Reference: "r"}}, lim).
		Decide(context.Background(), Input{KYC: seAdult, Amount: sek(1000), Currency: "SEK"})
	if got, want := d.Summary(), "kyc continue limit=500.00 SEK [deposit-limit-capped]"; got != want {
		t.Errorf("Summary = %q; want %q", got, want)
	}
	d = testRules(t, &register{}, Unlimited{}).Decide(context.Background(), Input{KYC: deMinor, Started: otherSE})
	if got, want := d.Summary(), "kyc finish [market-closed underage identity-mismatch]"; got != want {
		t.Errorf("Summary = %q; want %q", got, want)
	}
	for _, secret := range []string{"2015-01-01", "Muster", "1965"} {
		if strings.Contains(d.Summary(), secret) {
			t.Errorf("Summary %q shows %q", d.Summary(), secret)
		}
	}
}

func TestRulesValidate(t *testing.T) {
	if err := (Rules{Exclusions: exclusions.None{}, Limits: Unlimited{}}).Validate(); err != nil {
		t.Error(err)
	}
	if (Rules{Limits: Unlimited{}}).Validate() == nil || (Rules{Exclusions: exclusions.None{}}).Validate() == nil {
		t.Error("Validate accepts rules without a checker")
	}
}

// TestNamesInEitherUnicodeForm: a name typed with é as e and a combining accent
// (NFD, as some devices and banks send it) is the same name as with é as one code
// point: the kyc's comparison, the keys players are found by and the account
// holder check fold both alike.
func TestNamesInEitherUnicodeForm(t *testing.T) {
	first, last := "Zoë Renée", "Öberg-Müller"
	nfdFirst, nfdLast := norm.NFD.String(first), norm.NFD.String(last)
	if nfdFirst == first || nfdLast == last {
		t.Fatal("the NFD forms are the NFC ones")
	}
	for _, tt := range []struct{ first, last, bankFirst, bankLast string }{
		{first, last, nfdFirst, nfdLast}, {nfdFirst, nfdLast, first, last},
	} {
		if !sameNames(tt.first, tt.last, tt.bankFirst, tt.bankLast) {
			t.Errorf("sameNames(%+q, %+q, %+q, %+q) = false; want true", tt.first, tt.last, tt.bankFirst, tt.bankLast)
		}
		if keys := NameKeys(tt.bankFirst, tt.bankLast); !slices.Contains(keys, models.NameKey(tt.first, tt.last)) {
			t.Errorf("NameKeys(%+q, %+q) = %+q; want among them NameKey(%+q, %+q) = %+q", tt.bankFirst, tt.bankLast, keys,
				tt.first, tt.last, models.NameKey(tt.first, tt.last))
		}
		if holder := tt.bankFirst + " " + tt.bankLast; !HolderIs(holder, tt.first, tt.last) {
			t.Errorf("HolderIs(%+q, %+q, %+q) = false; want true", holder, tt.first, tt.last)
		}
	}
}
