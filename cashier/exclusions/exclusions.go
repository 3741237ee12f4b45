// Package exclusions asks national self-exclusion registers whether a person has
// excluded themselves from gambling: Spelpaus in Sweden, CRUKS in the Netherlands and
// the Estonian register of restricted persons. One interface, Exclusions, serves
// every caller: Pay N Play's kyc decision (cashier/paynplay) today, registration and
// login under responsible gaming later.
//
// Every answer that is not a clear "not excluded" is an error, and every error means
// the person must not play: a register that is slow, down, refuses our credentials
// or answers something we cannot read fails closed. Callers never treat an error as
// "not excluded".
//
// The HTTP adapters (Spelpaus, CRUKS, Estonia) speak a JSON-over-HTTPS stand-in for
// each register's API. The real APIs are available only to licensed operators under
// contract, so their wire shape is not public: each adapter's file documents the
// stand-in in one place, to be adapted to the operator's contract. What stays true
// whatever the wire: one request per check, a timeout from configuration, credentials
// that are never logged, and failing closed.
package exclusions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/trustly-cashier/cashier/models"
)

var (
	// ErrUnavailable means the register gave no answer we can trust: it did not
	// answer in time, failed (5xx), refused our request or credentials, or sent a body
	// we cannot read. The person must not play.
	ErrUnavailable = errors.New("self-exclusion register unavailable")
	// ErrNoRegister means no register is configured for the person's country. The
	// person must not play.
	ErrNoRegister = errors.New("no self-exclusion register for this country")
	// ErrIncomplete means the person lacks what the register needs to find them (a
	// personnummer for Spelpaus, a name and date of birth for CRUKS without a BSN).
	// The person must not play.
	ErrIncomplete = errors.New("not enough identity to ask the register")
)

// Exclusions answers whether a person is excluded from gambling. An error always
// means "do not let the person play" (see the package comment).
type Exclusions interface {
	Check(ctx context.Context, p Person) (Result, error)
}

// Person is who a register is asked about. The caller normalises the identity first
// (cashier/paynplay.ParsePersonID); adapters only check that what they need is there.
type Person struct {
	Country string // ISO 3166-1 alpha-2; picks the register
	// PersonID is the national identity number in its canonical form without a
	// country prefix: SE personnummer "197901311234" (12 digits), FI henkilötunnus
	// "131052-308T", EE isikukood "38001085718", NL BSN "123456782" when the operator
	// has one (Trustly sends none for NL); "" when unknown.
	PersonID  string
	FirstName string
	LastName  string
	DOB       string // YYYY-MM-DD
}

// LogValue keeps a person's identity out of logs: only the country and the last two
// characters of the personid are shown.
func (p Person) LogValue() slog.Value {
	masked := ""
	if n := len(p.PersonID); n > 2 {
		masked = "…" + p.PersonID[n-2:]
	}
	return slog.GroupValue(slog.String("country", p.Country), slog.String("personid", masked))
}

// Result is a register's answer.
type Result struct {
	Excluded bool
	// Register names who answered, for people and the audit trail: "Spelpaus",
	// "CRUKS", "Estonian register of restricted persons", "none", "fake".
	Register string
	// Reference is the register's id for this query (or for the exclusion), kept with
	// the decision as evidence that the register was asked.
	Reference string
}

// The national registers' names, as their checkers answer (Result.Register).
const (
	NameSpelpaus = "Spelpaus"
	NameCRUKS    = "CRUKS"
	NameEstonia  = "Estonian register of restricted persons"
)

// countryRegisters are the national registers by the country they serve.
var countryRegisters = map[string]string{"SE": NameSpelpaus, "NL": NameCRUKS, "EE": NameEstonia}

// nationalText is the message id of the neutral name of a national register
// ("national self-exclusion register"), for a country that has none.
const nationalText = "register.national"

// Shown is the register that answered a person of country, as that person reads
// it in a sentence: in English (for the log and tests) and as the argument of a
// translated message (a string, or a models.Text to translate). A real register
// is shown by its name. The sandbox's Fake ("fake"), which stands in for every
// country's register, is shown as the register of the person's country it
// stands in for (Spelpaus, CRUKS, the Estonian register), or by the neutral name
// where the country has none (FI): players never read "fake", which stays in the
// logs, the decision's reasons and the audit trail for operators.
func Shown(register, country string) (english string, arg any) {
	if register != "fake" {
		return register, register
	}
	if name, ok := countryRegisters[country]; ok {
		return name, name
	}
	return "national self-exclusion register", models.Text{ID: nationalText}
}

// Router sends each person to the register of their country. It is itself an
// Exclusions, so callers hold one checker whatever the markets.
type Router struct {
	byCountry map[string]Exclusions
}

// NewRouter builds a router from one checker per country. Keys are ISO alpha-2 codes
// in upper case. A market without a national register must still be listed, with
// None, so that leaving a register out is never an accident.
func NewRouter(byCountry map[string]Exclusions) (*Router, error) {
	r := &Router{byCountry: map[string]Exclusions{}}
	for c, x := range byCountry {
		if len(c) != 2 || strings.ToUpper(c) != c || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return nil, fmt.Errorf("exclusions: country %q is not an ISO alpha-2 code in upper case", c)
		}
		if x == nil {
			return nil, fmt.Errorf("exclusions: no checker for %s", c)
		}
		r.byCountry[c] = x
	}
	return r, nil
}

// Check asks the register of p.Country; a country without one fails with
// ErrNoRegister.
func (r *Router) Check(ctx context.Context, p Person) (Result, error) {
	x, ok := r.byCountry[p.Country]
	if !ok {
		return Result{}, fmt.Errorf("%w: %q", ErrNoRegister, p.Country)
	}
	return x.Check(ctx, p)
}

// Countries lists the countries the router serves, sorted.
func (r *Router) Countries() []string {
	out := make([]string, 0, len(r.byCountry))
	for c := range r.byCountry {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// None is the checker for a market that has no national self-exclusion register: it
// answers "not excluded" for everyone, with Register "none". It exists so that a
// configuration states this explicitly.
type None struct{}

// Check answers not excluded.
func (None) Check(context.Context, Person) (Result, error) {
	return Result{Register: "none"}, nil
}
