package limits

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // market time zones must load on a machine without zoneinfo

	"github.com/trustly-cashier/cashier/internal/strictjson"
	"github.com/trustly-cashier/cashier/models"
)

// Period is the span a deposit limit counts over.
type Period string

const (
	Day   Period = "day"   // a calendar day in the market's zone, or the last 24 hours
	Week  Period = "week"  // Monday to Sunday in the market's zone, or the last 7 days
	Month Period = "month" // a calendar month in the market's zone, or the last 30 days
)

// Periods lists every period, shortest first.
var Periods = []Period{Day, Week, Month}

// rollingLength is how far back a rolling period reaches.
var rollingLength = map[Period]time.Duration{Day: 24 * time.Hour, Week: 7 * 24 * time.Hour, Month: 30 * 24 * time.Hour}

// Policy is one market's rules for deposit limits. Amounts (Defaults, YoungDefaults,
// FlagRaiseAbove, UnsetCap) are in minor units of Currency and apply only to wallets
// in that currency.
type Policy struct {
	Market   string
	Currency string         // the market's currency; "" for the default policy
	Zone     *time.Location // calendar periods start at midnight here
	Rolling  bool           // periods are the last 24 hours, 7 days and 30 days instead of calendar ones
	// Required lists the periods the player must have a limit for before a deposit;
	// RequireOne asks for a limit for at least one period instead (SE).
	Required   []Period
	RequireOne bool
	// RaiseDelay is how long a raise (or a removal) waits; lowering applies at once.
	// With RaiseAfterPeriod a raise also waits until the period running when it was
	// asked for has ended (for a rolling period: one full period length).
	RaiseDelay       time.Duration
	RaiseAfterPeriod bool
	// FlagRaiseAbove: a raise (or removal) of a period's limit to more than this
	// amount for that period is flagged for the back office. The month's amount is
	// also what any raise may let the player deposit in a month: a raise of the day
	// or week limit that takes MonthAllowance above it is flagged too (SE: 10 000
	// SEK a month).
	FlagRaiseAbove map[Period]int64
	// Net counts deposits minus payouts sent in the period (NL), not deposits alone.
	Net bool
	// Defaults are the limits in force where the player has chosen none (NL: 700 EUR
	// a month); YoungDefaults replace them for players younger than YoungAge, and for
	// players whose date of birth is not known (the stricter cap).
	Defaults      map[Period]int64
	YoungDefaults map[Period]int64
	YoungAge      int
	// Notices are the percentages of a limit at which the player is told how much of
	// it is used (NL: 50 and 100).
	Notices []int
	// UnsetCap is what Pay N Play deposits may bring in a month before the player
	// has set the required limits, all of them together: the kyc answers CONTINUE
	// with what is left of it as its limit, and the cashier asks for the limits right
	// after. 0 refuses such a deposit (a login still works).
	UnsetCap int64
}

// Requires reports whether the policy asks for limits before a deposit.
func (p Policy) Requires() bool { return p.RequireOne || len(p.Required) > 0 }

// Policies holds the policy of each market; a market not listed has Default.
type Policies struct {
	Markets map[string]Policy
	Default Policy
}

// For returns the policy of market (an ISO 3166-1 country code).
func (ps Policies) For(market string) Policy {
	if p, ok := ps.Markets[market]; ok {
		return p
	}
	p := ps.Default
	if p.Zone == nil {
		p.Zone = time.UTC
	}
	p.Market = market
	return p
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // time/tzdata is embedded
	}
	return loc
}

func major(units int64) int64 { return units * 100 }

// Builtin returns the policies of issue 11: SE, NL, FI and the default.
//
//   - SE: calendar periods in Stockholm; a limit for at least one period before the
//     first deposit; lowering at once; a raise after 72 hours and not before the
//     running period ends; a raise that allows more than 10 000 SEK a month is
//     flagged, whichever limit it raises (MonthAllowance). A Pay N Play
//     deposit before the limits are set may bring at most 1 000 SEK.
//   - NL: calendar periods in Amsterdam; net deposits (deposits minus payouts); a
//     default monthly limit of 700 EUR, 300 EUR under 25; a raise after 7 days;
//     notices at 50 % and 100 %.
//   - FI: calendar periods in Helsinki; daily and monthly limits before the first
//     deposit; raises as in SE. A Pay N Play deposit before the limits are set may
//     bring at most 100 EUR.
//   - default: calendar periods in UTC, optional limits, lowering at once, a raise
//     after 24 hours.
func Builtin() Policies {
	return Policies{
		Markets: map[string]Policy{
			"SE": {Market: "SE", Currency: "SEK", Zone: mustZone("Europe/Stockholm"), RequireOne: true,
				RaiseDelay: 72 * time.Hour, RaiseAfterPeriod: true, FlagRaiseAbove: map[Period]int64{Month: major(10000)},
				UnsetCap: major(1000)},
			"NL": {Market: "NL", Currency: "EUR", Zone: mustZone("Europe/Amsterdam"), RaiseDelay: 7 * 24 * time.Hour,
				Net: true, Defaults: map[Period]int64{Month: major(700)}, YoungDefaults: map[Period]int64{Month: major(300)},
				YoungAge: 25, Notices: []int{50, 100}},
			"FI": {Market: "FI", Currency: "EUR", Zone: mustZone("Europe/Helsinki"), Required: []Period{Day, Month},
				RaiseDelay: 72 * time.Hour, RaiseAfterPeriod: true, UnsetCap: major(100)},
		},
		Default: Policy{Zone: time.UTC, RaiseDelay: 24 * time.Hour},
	}
}

// policyJSON is one market's entry in CASHIER_LIMIT_POLICY; what is left out keeps
// the built-in value (or the default policy's, for a market without one).
type policyJSON struct {
	Periods          *string           `json:"periods"` // "calendar" or "rolling"
	Zone             *string           `json:"zone"`    // IANA name: "Europe/Berlin"
	Required         *[]Period         `json:"required"`
	RequireOne       *bool             `json:"require_one"`
	RaiseDelay       *string           `json:"raise_delay"` // Go duration: "72h"
	RaiseAfterPeriod *bool             `json:"raise_after_period"`
	FlagRaiseAbove   map[Period]string `json:"flag_raise_above"`
	Net              *bool             `json:"net"`
	Defaults         map[Period]string `json:"defaults"`
	YoungDefaults    map[Period]string `json:"young_defaults"`
	YoungAge         *int              `json:"young_age"`
	Notices          *[]int            `json:"notices"`
	UnsetCap         *string           `json:"unset_cap"`
}

// Parse reads CASHIER_LIMIT_POLICY over the built-in policies: a JSON object per
// market ("default" for markets not listed, read first: a market without a built-in
// policy starts from the configured default), e.g.
// {"FI": {"raise_delay": "48h"}, "DE": {"periods": "rolling", "required": ["month"]}}.
// Amounts are decimal text in the market's currency. Empty text is Builtin().
func Parse(text string) (Policies, error) {
	ps := Builtin()
	if strings.TrimSpace(text) == "" {
		return ps, nil
	}
	var raw map[string]policyJSON
	if err := strictjson.Decode(text, &raw); err != nil {
		return Policies{}, fmt.Errorf("limit policy: %w", err)
	}
	// "default" first: a market without a built-in policy starts from it, and
	// ranging over raw alone would read the keys in a random order.
	markets := slices.Sorted(maps.Keys(raw))
	if i := slices.Index(markets, "default"); i > 0 {
		markets = slices.Insert(slices.Delete(markets, i, i+1), 0, "default")
	}
	for _, market := range markets {
		j := raw[market]
		var p Policy
		switch {
		case market == "default":
			p = ps.Default
		case len(market) == 2 && strings.ToUpper(market) == market:
			p = ps.For(market)
			if p.Currency == "" {
				if m, ok := models.Markets[market]; ok {
					p.Currency = m.Currency
				}
			}
		default:
			return Policies{}, fmt.Errorf("limit policy: %q is not a market code such as SE or \"default\"", market)
		}
		if err := j.apply(&p); err != nil {
			return Policies{}, fmt.Errorf("limit policy %s: %w", market, err)
		}
		if market == "default" {
			ps.Default = p
		} else {
			ps.Markets[market] = p
		}
	}
	return ps, nil
}

func (j policyJSON) apply(p *Policy) error {
	if j.Periods != nil {
		switch *j.Periods {
		case "calendar", "rolling":
			p.Rolling = *j.Periods == "rolling"
		default:
			return fmt.Errorf("periods %q: want calendar or rolling", *j.Periods)
		}
	}
	if j.Zone != nil {
		// time.LoadLocation reads "" as UTC and "Local" as the machine's own
		// zone: neither is a market's, and the second changes with the host.
		if *j.Zone == "" || *j.Zone == "Local" {
			return fmt.Errorf("zone %q: want an IANA time zone such as Europe/Helsinki", *j.Zone)
		}
		loc, err := time.LoadLocation(*j.Zone)
		if err != nil {
			return fmt.Errorf("zone: %w", err)
		}
		p.Zone = loc
	}
	if j.Required != nil {
		for _, per := range *j.Required {
			if !slices.Contains(Periods, per) {
				return fmt.Errorf("required: %q is not day, week or month", per)
			}
		}
		p.Required = *j.Required
	}
	if j.RequireOne != nil {
		p.RequireOne = *j.RequireOne
	}
	if j.RaiseDelay != nil {
		d, err := time.ParseDuration(*j.RaiseDelay)
		if err != nil || d < 0 || d > 90*24*time.Hour {
			return fmt.Errorf("raise_delay %q: want a duration from 0s to 2160h", *j.RaiseDelay)
		}
		p.RaiseDelay = d
	}
	if j.RaiseAfterPeriod != nil {
		p.RaiseAfterPeriod = *j.RaiseAfterPeriod
	}
	if j.Net != nil {
		p.Net = *j.Net
	}
	if j.YoungAge != nil {
		if *j.YoungAge < 0 || *j.YoungAge > 120 {
			return fmt.Errorf("young_age %d", *j.YoungAge)
		}
		p.YoungAge = *j.YoungAge
	}
	if j.Notices != nil {
		for _, n := range *j.Notices {
			if n <= 0 || n > 100 {
				return fmt.Errorf("notices: %d is not a percentage from 1 to 100", n)
			}
		}
		p.Notices = *j.Notices
	}
	amount := func(name, text string) (int64, error) {
		if p.Currency == "" {
			return 0, fmt.Errorf("%s: the default policy has no currency, so it takes no amounts", name)
		}
		m, err := models.ParseMoney(text, p.Currency)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return m.Minor, nil
	}
	for name, pair := range map[string]struct {
		in  map[Period]string
		out *map[Period]int64
	}{"flag_raise_above": {j.FlagRaiseAbove, &p.FlagRaiseAbove}, "defaults": {j.Defaults, &p.Defaults},
		"young_defaults": {j.YoungDefaults, &p.YoungDefaults}} {
		if pair.in == nil {
			continue
		}
		out := map[Period]int64{}
		for per, text := range pair.in {
			if !slices.Contains(Periods, per) {
				return fmt.Errorf("%s: %q is not day, week or month", name, per)
			}
			v, err := amount(name, text)
			if err != nil {
				return err
			}
			out[per] = v
		}
		*pair.out = out
	}
	if j.UnsetCap != nil {
		v, err := amount("unset_cap", *j.UnsetCap)
		if err != nil {
			return err
		}
		p.UnsetCap = v
	}
	return nil
}

// Window is the span of period that holds t: [Start, End). A calendar period
// starts at midnight in the market's zone (a week on Monday); a rolling one ends
// just after t and reaches back one period length.
func (p Policy) Window(period Period, t time.Time) (start, end time.Time) {
	if p.Rolling {
		return t.Add(-rollingLength[period]).Add(time.Nanosecond), t.Add(time.Nanosecond)
	}
	zone := p.Zone
	if zone == nil {
		zone = time.UTC
	}
	local := t.In(zone)
	y, m, d := local.Date()
	switch period {
	case Day:
		start = time.Date(y, m, d, 0, 0, 0, 0, zone)
		end = time.Date(y, m, d+1, 0, 0, 0, 0, zone)
	case Week:
		back := (int(local.Weekday()) + 6) % 7 // days since Monday
		start = time.Date(y, m, d-back, 0, 0, 0, 0, zone)
		end = time.Date(y, m, d-back+7, 0, 0, 0, 0, zone)
	default:
		start = time.Date(y, m, 1, 0, 0, 0, 0, zone)
		end = time.Date(y, m+1, 1, 0, 0, 0, 0, zone)
	}
	return start.UTC(), end.UTC()
}

// RaiseAt is when a raise of period's limit asked for at t takes effect: after
// RaiseDelay and, with RaiseAfterPeriod, not before the period running at t ends
// (a rolling period: a full period length after t).
func (p Policy) RaiseAt(period Period, t time.Time) time.Time {
	at := t.Add(p.RaiseDelay)
	if p.RaiseAfterPeriod {
		end := t.Add(rollingLength[period])
		if !p.Rolling {
			_, end = p.Window(period, t)
		}
		if end.After(at) {
			at = end
		}
	}
	return at.UTC()
}

// defaultFor is the policy's limit for period where the player set none: 0 for
// none. dob is the player's date of birth (YYYY-MM-DD), "" when unknown.
func (p Policy) defaultFor(period Period, dob string, t time.Time, currency string) int64 {
	if currency != p.Currency {
		return 0
	}
	if p.YoungDefaults != nil && p.young(dob, t) {
		return p.YoungDefaults[period]
	}
	return p.Defaults[period]
}

// young reports whether a person born on dob is younger than YoungAge at t in the
// market's zone; an unknown or unreadable date of birth counts as young.
func (p Policy) young(dob string, t time.Time) bool {
	born, err := time.Parse(time.DateOnly, dob)
	if err != nil {
		return true
	}
	zone := p.Zone
	if zone == nil {
		zone = time.UTC
	}
	y, m, d := t.In(zone).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return today.Before(born.AddDate(p.YoungAge, 0, 0))
}

// periodsInMonth is how many of each period one month period can touch: a
// calendar month of up to 31 days holds 31 calendar days and touches up to six
// Monday-to-Sunday weeks (30 days from a Sunday: one day, four weeks, one day); a
// rolling 30 days holds at most 30 deposits a rolling 24 hours apart and 5 a
// rolling 7 days apart (ceil(30/7)). A period's limit times this bounds what a
// month can bring, and the bound is reached.
func (p Policy) periodsInMonth(period Period) int64 {
	switch {
	case period == Month:
		return 1
	case p.Rolling && period == Week:
		return 5
	case p.Rolling:
		return 30
	case period == Week:
		return 6
	}
	return 31
}

// MonthAllowance is the most that deposits can bring in one month period under
// limits (minor units per period, 0 for none): the least of each limit times the
// periods a month can touch (periodsInMonth), a period without a limit bounding
// nothing; 0 when none bounds it.
func (p Policy) MonthAllowance(limits map[Period]int64) int64 {
	most := int64(0)
	for _, per := range Periods {
		v := limits[per]
		if v <= 0 {
			continue
		}
		n := p.periodsInMonth(per)
		if v > math.MaxInt64/n {
			v = math.MaxInt64 // no overflow: as good as unbounded, but bounded
		} else {
			v *= n
		}
		if most == 0 || v < most {
			most = v
		}
	}
	return most
}

// moreThan reports whether allowance a is more than b, 0 being no bound.
func moreThan(a, b int64) bool { return b > 0 && (a == 0 || a > b) }

// raise is one raise, or removal (Eff 0), of a period's limit to Eff, the
// limit it asks for in effect.
type raise struct {
	Period Period
	Eff    int64
}

// raiseFlag is the back office's one flag on the raises (and removals) of one
// request in currency, or "" when the policy flags none: before are the limits in
// force when they are asked for, after those asked for with any raise still
// waiting, per period (0: none). A raise is flagged when its limit is above
// FlagRaiseAbove for its period, or when the request lets the player deposit more
// in a month than before, and more than FlagRaiseAbove for a month
// (MonthAllowance); first is the index in raises of the first raise flagged, -1
// for none. The flag names every limit the request raised, in Periods order, and
// what the limits then allow a month: one request, one flag for staff.
func (p Policy) raiseFlag(raises []raise, before, after map[Period]int64, currency string) (flag string, first int) {
	if currency != p.Currency || len(raises) == 0 {
		return "", -1
	}
	money := func(m int64) string { return models.Money{Minor: m, Currency: currency}.Display() }
	month := p.MonthAllowance(after)
	allows := "deposits without a monthly bound"
	if month > 0 {
		allows = money(month) + " a month"
	}
	byMonth := moreThan(month, p.FlagRaiseAbove[Month]) && moreThan(month, p.MonthAllowance(before))
	first, ownAbove := -1, false
	whats := make([]string, len(raises))
	for i, r := range raises {
		whats[i] = "removal of the " + r.Period.Adjective() + " limit"
		if r.Eff != 0 {
			whats[i] = fmt.Sprintf("raise of the %s limit to %s", r.Period.Adjective(), money(r.Eff))
		}
		own := moreThan(r.Eff, p.FlagRaiseAbove[r.Period])
		if own {
			whats[i] += fmt.Sprintf(", above %s a %s", money(p.FlagRaiseAbove[r.Period]), r.Period)
			ownAbove = true
		}
		if first < 0 && (byMonth || own) {
			first = i
		}
	}
	if first < 0 {
		return "", -1
	}
	what, they := strings.Join(whats, " and "), "it allows"
	if len(raises) > 1 {
		they = "they allow"
	}
	if ownAbove {
		return fmt.Sprintf("%s; with the player's other limits %s %s: review", what, they, allows), first
	}
	return fmt.Sprintf("%s: with the player's other limits %s %s, above %s a month: review", what, they, allows,
		money(p.FlagRaiseAbove[Month])), first
}
