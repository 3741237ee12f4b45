package limits_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// clock is a settable clock for a limits.Service.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var (
	stockholm, _ = time.LoadLocation("Europe/Stockholm")
	amsterdam, _ = time.LoadLocation("Europe/Amsterdam")
)

// env is a limits.Service with the built-in policies on db, on a clock the test sets.
type env struct {
	t     *testing.T
	db    *gorm.DB
	clock *clock
	svc   *limits.Service
	ctx   context.Context
}

func newEnv(t *testing.T, db *gorm.DB, start time.Time) *env {
	c := &clock{t: start}
	return &env{t: t, db: db, clock: c, svc: limits.New(db, limits.Builtin(), c.now), ctx: context.Background()}
}

var seq int

func (e *env) player(country, dob string) models.Player {
	e.t.Helper()
	seq++
	p := models.Player{EndUserID: fmt.Sprintf("p-lim-%d", seq), Email: fmt.Sprintf("lim%d@example.com", seq),
		FirstName: "Anna", LastName: "Svensson", Country: country, Currency: models.Markets[country].Currency,
		DateOfBirth: dob, CreatedAt: e.clock.t}
	if err := e.db.Create(&p).Error; err != nil {
		e.t.Fatal(err)
	}
	return p
}

// set asks for limits at the clock's time, in major units.
func (e *env) set(p models.Player, wanted map[limits.Period]int64) []limits.Change {
	e.t.Helper()
	minor := map[limits.Period]int64{}
	for k, v := range wanted {
		minor[k] = v * 100
	}
	var out []limits.Change
	err := e.db.Transaction(func(tx *gorm.DB) (err error) {
		out, err = e.svc.Set(e.ctx, tx, p, p.Currency, minor)
		return err
	})
	if err != nil {
		e.t.Fatalf("set %v at %s: %v", wanted, e.clock.t, err)
	}
	return out
}

func (e *env) status(p models.Player, at time.Time) limits.Status {
	e.t.Helper()
	st, err := e.svc.Status(e.ctx, nil, p, p.Currency, at)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) limit(p models.Player, per limits.Period, at time.Time) int64 {
	e.t.Helper()
	for _, ps := range e.status(p, at).Periods {
		if ps.Period == per {
			return ps.Limit.Minor / 100
		}
	}
	return -1
}

// deposit stores a deposit order as StartDeposit leaves it, created at at.
func (e *env) deposit(p models.Player, minor int64, at time.Time) models.Order {
	e.t.Helper()
	o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit, PlayerID: p.ID,
		Amount: models.Money{Minor: minor, Currency: p.Currency}, StartedAt: &at, CreatedAt: at.UTC()}
	o.Refresh()
	if err := e.db.Create(&o).Error; err != nil {
		e.t.Fatal(err)
	}
	return o
}

// TestRaiseSE: in Sweden a raise waits 72 hours and for the end of the period
// running when it was asked for, to the second; a lowering applies at once and
// replaces a raise still pending.
func TestRaiseSE(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		// Asked for on 29 January at 10:00: 72 hours later the month has ended.
		asked := time.Date(2026, 1, 29, 10, 0, 0, 0, stockholm)
		e := newEnv(t, db, asked.Add(-time.Hour))
		p := e.player("SE", "1980-05-05")
		e.set(p, map[limits.Period]int64{limits.Month: 1000})
		e.clock.t = asked
		changes := e.set(p, map[limits.Period]int64{limits.Month: 5000})
		if len(changes) != 1 || !changes[0].EffectiveAt.Equal(asked.Add(72*time.Hour)) || changes[0].Flag != "" {
			t.Fatalf("raise recorded as %+v; want effective at %s, no flag", changes, asked.Add(72*time.Hour))
		}
		for _, tt := range []struct {
			after time.Duration
			want  int64
		}{{0, 1000}, {71*time.Hour + 59*time.Minute + 59*time.Second, 1000}, {72 * time.Hour, 5000}} {
			if got := e.limit(p, limits.Month, asked.Add(tt.after)); got != tt.want {
				t.Errorf("%s after the raise: month limit %d; want %d", tt.after, got, tt.want)
			}
		}
		st := e.status(p, asked.Add(71*time.Hour+59*time.Minute+59*time.Second))
		if pend := st.Periods[2].Pending; pend == nil || pend.AmountMinor != 500000 {
			t.Errorf("pending raise at 71:59:59: %+v; want 5000 SEK", pend)
		}

		// Asked for on 5 January: 72 hours are not enough, the month must end first.
		asked = time.Date(2026, 1, 5, 12, 0, 0, 0, stockholm)
		e = newEnv(t, db, asked.Add(-time.Hour))
		p = e.player("SE", "1980-05-05")
		e.set(p, map[limits.Period]int64{limits.Month: 1000, limits.Day: 100})
		e.clock.t = asked
		e.set(p, map[limits.Period]int64{limits.Month: 12000, limits.Day: 200})
		monthEnd := time.Date(2026, 2, 1, 0, 0, 0, 0, stockholm)
		for _, tt := range []struct {
			at        time.Time
			day, mnth int64
		}{
			{asked.Add(72*time.Hour - time.Second), 100, 1000},
			{asked.Add(72 * time.Hour), 200, 1000}, // the day ended long before
			{monthEnd.Add(-time.Second), 200, 1000},
			{monthEnd, 200, 12000},
		} {
			if d, m := e.limit(p, limits.Day, tt.at), e.limit(p, limits.Month, tt.at); d != tt.day || m != tt.mnth {
				t.Errorf("at %s: day %d, month %d; want %d, %d", tt.at.In(stockholm), d, m, tt.day, tt.mnth)
			}
		}
		var flagged limits.Change
		db.Where("player_id = ? AND period = ? AND amount_minor = ?", p.ID, limits.Month, 1200000).Take(&flagged)
		if !strings.Contains(flagged.Flag, "above 10\u00a0000,00\u00a0SEK") {
			t.Errorf("raise to 12 000 SEK a month: flag %q; want one for the back office", flagged.Flag)
		}

		// Lowering before the raise took effect: at once, and the raise is gone.
		e.clock.t = asked.Add(24 * time.Hour)
		if c := e.set(p, map[limits.Period]int64{limits.Month: 800}); len(c) != 1 || !c[0].EffectiveAt.Equal(e.clock.t) {
			t.Fatalf("lowering recorded as %+v; want effective at once", c)
		}
		for _, at := range []time.Time{e.clock.t, monthEnd, monthEnd.AddDate(0, 2, 0)} {
			if m := e.limit(p, limits.Month, at); m != 800 {
				t.Errorf("after the lowering, at %s: month %d; want 800", at, m)
			}
		}
		st = e.status(p, monthEnd)
		if len(st.History) != 5 || st.History[0].AmountMinor != 80000 || st.History[0].PreviousMinor != 100000 {
			t.Errorf("history: %+v; want 5 changes, newest the lowering from 1000 to 800", st.History)
		}
	})
}

// TestRaiseNL: in the Netherlands a raise waits 7 days, to the second, and the
// default monthly limit is 700 EUR, 300 EUR under 25 (or with no date of birth).
func TestRaiseNL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		asked := time.Date(2026, 3, 10, 9, 30, 0, 0, amsterdam)
		e := newEnv(t, db, asked)
		adult, young, unknown := e.player("NL", "1990-01-01"), e.player("NL", "2001-03-11"), e.player("NL", "")
		for _, tt := range []struct {
			p    models.Player
			at   time.Time
			want int64
		}{{adult, asked, 700}, {young, asked, 300}, {young, time.Date(2026, 3, 11, 0, 0, 0, 0, amsterdam), 700}, {unknown, asked, 300}} {
			if got := e.limit(tt.p, limits.Month, tt.at); got != tt.want {
				t.Errorf("player born %q at %s: default %d; want %d", tt.p.DateOfBirth, tt.at, got, tt.want)
			}
		}
		e.set(adult, map[limits.Period]int64{limits.Month: 1500})
		for _, tt := range []struct {
			after time.Duration
			want  int64
		}{{7*24*time.Hour - time.Second, 700}, {7 * 24 * time.Hour, 1500}} {
			if got := e.limit(adult, limits.Month, asked.Add(tt.after)); got != tt.want {
				t.Errorf("%s after asking for 1500: %d; want %d", tt.after, got, tt.want)
			}
		}
		// Lowering below the default applies at once; going back to the default is a raise.
		e.set(young, map[limits.Period]int64{limits.Month: 100})
		e.clock.t = asked.Add(time.Hour)
		e.set(young, map[limits.Period]int64{limits.Month: 0})
		if got, later := e.limit(young, limits.Month, asked.Add(time.Hour)), e.limit(young, limits.Month, asked.Add(time.Hour+7*24*time.Hour)); got != 100 || later != 700 {
			t.Errorf("young player back to the default: %d now, %d after 7 days; want 100, 700", got, later)
		}
	})
}

// TestRaiseDefault: elsewhere limits are optional, the first one applies at once
// and a raise waits 24 hours, not for the period's end.
func TestRaiseDefault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		asked := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
		e := newEnv(t, db, asked)
		p := e.player("DE", "1980-01-01")
		if st := e.status(p, asked); st.Limited || len(st.Missing) != 0 {
			t.Fatalf("no limits set: %+v; want unlimited, nothing missing", st)
		}
		e.set(p, map[limits.Period]int64{limits.Week: 200})
		if got := e.limit(p, limits.Week, asked); got != 200 {
			t.Fatalf("first limit: %d; want 200 at once", got)
		}
		e.set(p, map[limits.Period]int64{limits.Week: 0})
		if now, before, after := e.limit(p, limits.Week, asked), e.limit(p, limits.Week, asked.Add(24*time.Hour-time.Second)), e.limit(p, limits.Week, asked.Add(24*time.Hour)); now != 200 || before != 200 || after != 0 {
			t.Errorf("removal: %d, %d at 23:59:59, %d at 24:00:00; want 200, 200, 0", now, before, after)
		}
	})
}

// TestRequired: SE asks for at least one limit, FI for a daily and a monthly one,
// before a deposit; a required limit cannot be removed.
func TestRequired(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		now := time.Date(2026, 2, 2, 12, 0, 0, 0, time.UTC)
		e := newEnv(t, db, now)
		se, fi := e.player("SE", "1980-01-01"), e.player("FI", "1980-01-01")
		for _, tt := range []struct {
			p    models.Player
			want string
		}{
			{se, "Set your deposit limits before you deposit: a limit for at least one of a day, a week or a month."},
			{fi, "Set your deposit limits before you deposit: a limit for each day and month."},
		} {
			if got := e.status(tt.p, now).Refusal(models.Money{Minor: 1000, Currency: tt.p.Currency}); got != tt.want {
				t.Errorf("%s refusal %q; want %q", tt.p.Country, got, tt.want)
			}
		}
		e.set(se, map[limits.Period]int64{limits.Week: 500})
		e.set(fi, map[limits.Period]int64{limits.Day: 50})
		if got := e.status(fi, now).Missing; len(got) != 1 || got[0] != limits.Month {
			t.Errorf("FI with a daily limit: missing %v; want [month]", got)
		}
		e.set(fi, map[limits.Period]int64{limits.Month: 500})
		for _, p := range []models.Player{se, fi} {
			if st := e.status(p, now); len(st.Missing) != 0 || st.Refusal(models.Money{Minor: 1000, Currency: p.Currency}) != "" {
				t.Errorf("%s with limits: missing %v; want a deposit allowed", p.Country, st.Missing)
			}
		}
		for _, tt := range []struct {
			p      models.Player
			wanted map[limits.Period]int64
			want   string
		}{
			{fi, map[limits.Period]int64{limits.Day: 0}, "Your daily deposit limit is required here; it can be lowered or raised, not removed."},
			{se, map[limits.Period]int64{limits.Week: 0}, "Set at least one deposit limit: for a day, a week or a month."},
		} {
			err := db.Transaction(func(tx *gorm.DB) error {
				_, err := e.svc.Set(e.ctx, tx, tt.p, tt.p.Currency, tt.wanted)
				return err
			})
			var pr *models.Problem
			if !errors.As(err, &pr) || pr.Message != tt.want {
				t.Errorf("%s %v: %v; want %q", tt.p.Country, tt.wanted, err, tt.want)
			}
		}
	})
}

// TestUsedAndNotices: deposits not failed count in their period, pending ones
// too; in NL payouts sent count against them, and the player is told at 50 % and
// 100 % of a limit, to the cent.
func TestUsedAndNotices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		now := time.Date(2026, 4, 15, 12, 0, 0, 0, amsterdam)
		e := newEnv(t, db, now)
		p := e.player("NL", "1990-01-01")                                             // default 700 EUR a month
		last := e.deposit(p, 20000, time.Date(2026, 3, 31, 23, 59, 59, 0, amsterdam)) // last month, credited then
		last.CreditedAt = &last.CreatedAt
		last.Refresh()
		if err := db.Save(&last).Error; err != nil {
			t.Fatal(err)
		}
		e.deposit(p, 34999, time.Date(2026, 4, 1, 0, 0, 0, 0, amsterdam))           // this month
		failed := e.deposit(p, 50000, time.Date(2026, 4, 2, 0, 0, 0, 0, amsterdam)) // cancelled: released
		failed.FailedAt = &now
		failed.Refresh()
		if err := db.Save(&failed).Error; err != nil {
			t.Fatal(err)
		}
		check := func(wantUsed int64, wantNotice string) {
			t.Helper()
			st := e.status(p, now)
			if got := st.Periods[2].Used.Minor; got != wantUsed || st.Notice() != wantNotice {
				t.Errorf("used %d, notice %q; want %d, %q", got, st.Notice(), wantUsed, wantNotice)
			}
		}
		check(34999, "")
		e.deposit(p, 1, now)
		check(35000, "You have used 50 % of your monthly deposit limit: 350,00\u00a0EUR of 700,00\u00a0EUR.")
		e.deposit(p, 34999, now)
		check(69999, "You have used 50 % of your monthly deposit limit: 699,99\u00a0EUR of 700,00\u00a0EUR.")
		e.deposit(p, 1, now)
		check(70000, "You have used all of your monthly deposit limit of 700,00\u00a0EUR.")
		st := e.status(p, now)
		if got, want := st.Refusal(models.Money{Minor: 1000, Currency: "EUR"}), "You have reached your monthly deposit limit of 700,00\u00a0EUR. You can deposit again from 1 May 2026 00:00 CEST."; got != want {
			t.Errorf("refusal %q; want %q", got, want)
		}
		// A payout sent this month lowers the net deposits.
		sent := now
		payout := models.Order{MessageID: models.NewMessageID(models.OrderPayout), Kind: models.OrderPayout, PlayerID: p.ID,
			Amount: models.Money{Minor: 40000, Currency: "EUR"}, SentAt: &sent, CreatedAt: now.UTC()}
		payout.Refresh()
		if err := db.Create(&payout).Error; err != nil {
			t.Fatal(err)
		}
		check(30000, "")
		if got, want := e.status(p, now).Refusal(models.Money{Minor: 50000, Currency: "EUR"}), "Your monthly deposit limit leaves 400,00\u00a0EUR now; deposit at most that amount."; got != want {
			t.Errorf("refusal %q; want %q", got, want)
		}
	})
}

// TestDepositAllowance: the kyc decision's answer. A person not yet a player gets
// the policy's defaults for the bank's date of birth (the stricter ones without
// one), and where limits are required, the policy's cap for a deposit before they
// are set. A player's stored date of birth comes before the bank's, which stands
// in only where none is stored.
func TestDepositAllowance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		now := time.Date(2026, 5, 5, 12, 0, 0, 0, time.UTC)
		e := newEnv(t, db, now)
		se := e.player("SE", "1980-01-01")
		nlYoung, nlAdult, nlUnknown := e.player("NL", "2005-01-01"), e.player("NL", "1975-07-14"), e.player("NL", "")
		for _, tt := range []struct {
			name     string
			who      paynplay.Depositor
			currency string
			limited  bool
			want     int64
		}{
			{"new Swede", paynplay.Depositor{Country: "SE", DOB: "1979-01-31"}, "SEK", true, 100000},
			{"new Dutch adult", paynplay.Depositor{Country: "NL", DOB: "1975-07-14"}, "EUR", true, 70000},
			{"new Dutch, 25 today", paynplay.Depositor{Country: "NL", DOB: "2001-05-05"}, "EUR", true, 70000},
			{"new Dutch, 25 tomorrow", paynplay.Depositor{Country: "NL", DOB: "2001-05-06"}, "EUR", true, 30000},
			{"new Dutch, no date of birth", paynplay.Depositor{Country: "NL"}, "EUR", true, 30000},
			{"new German", paynplay.Depositor{Country: "DE", DOB: "1980-01-01"}, "EUR", false, 0},
			{"Swede without limits", paynplay.Depositor{PlayerID: se.ID, Country: "SE", DOB: "1980-01-01"}, "SEK", true, 100000},
			{"new Swede in EUR", paynplay.Depositor{Country: "SE", DOB: "1979-01-31"}, "EUR", true, 0},
			{"Dutch player under 25, an adult's date given", paynplay.Depositor{PlayerID: nlYoung.ID, Country: "NL", DOB: "1975-07-14"}, "EUR", true, 30000},
			{"Dutch adult player, a young date given", paynplay.Depositor{PlayerID: nlAdult.ID, Country: "NL", DOB: "2005-01-01"}, "EUR", true, 70000},
			{"Dutch adult player, no date given", paynplay.Depositor{PlayerID: nlAdult.ID, Country: "NL"}, "EUR", true, 70000},
			{"Dutch player without one, the bank's", paynplay.Depositor{PlayerID: nlUnknown.ID, Country: "NL", DOB: "1975-07-14"}, "EUR", true, 70000},
			{"Dutch player without one, none given", paynplay.Depositor{PlayerID: nlUnknown.ID, Country: "NL"}, "EUR", true, 30000},
		} {
			a, err := e.svc.DepositAllowance(e.ctx, tt.who, tt.currency)
			if err != nil || a.Limited != tt.limited || (tt.limited && a.Remaining != (models.Money{Minor: tt.want, Currency: tt.currency})) {
				t.Errorf("%s: %+v, %v; want limited %t, %d %s", tt.name, a, err, tt.limited, tt.want, tt.currency)
			}
			in, err := e.svc.DepositAllowanceIn(e.ctx, db, tt.who, tt.currency)
			if err != nil || !in.Same(a) || in.Reached != a.Reached {
				t.Errorf("%s: read in a transaction %+v, %v; want %+v as outside", tt.name, in, err, a)
			}
		}
		e.set(se, map[limits.Period]int64{limits.Day: 5000})
		e.deposit(se, 120000, now)
		if a, err := e.svc.DepositAllowance(e.ctx, paynplay.Depositor{PlayerID: se.ID, Country: "SE"}, "SEK"); err != nil || !a.Limited || a.Remaining.Minor != 380000 {
			t.Errorf("Swede with a daily limit of 5000 and 1200 deposited: %+v, %v; want 3800 SEK", a, err)
		}
	})
}

// TestWindow: calendar periods in the market's zone, weeks from Monday, across a
// change to summer time; rolling periods reach back one length.
func TestWindow(t *testing.T) {
	se := limits.Builtin().For("SE")
	at := time.Date(2026, 3, 29, 1, 30, 0, 0, stockholm) // a Sunday; summer time starts at 02:00
	for _, tt := range []struct {
		per        limits.Period
		start, end time.Time
	}{
		{limits.Day, time.Date(2026, 3, 29, 0, 0, 0, 0, stockholm), time.Date(2026, 3, 30, 0, 0, 0, 0, stockholm)},
		{limits.Week, time.Date(2026, 3, 23, 0, 0, 0, 0, stockholm), time.Date(2026, 3, 30, 0, 0, 0, 0, stockholm)},
		{limits.Month, time.Date(2026, 3, 1, 0, 0, 0, 0, stockholm), time.Date(2026, 4, 1, 0, 0, 0, 0, stockholm)},
	} {
		s, e := se.Window(tt.per, at)
		if !s.Equal(tt.start) || !e.Equal(tt.end) {
			t.Errorf("%s: [%s, %s); want [%s, %s)", tt.per, s, e, tt.start, tt.end)
		}
	}
	if d := func() time.Duration { s, e := se.Window(limits.Day, at); return e.Sub(s) }(); d != 23*time.Hour {
		t.Errorf("the day summer time starts lasts %s; want 23h", d)
	}
	rolling, err := limits.Parse(`{"DE": {"periods": "rolling", "raise_delay": "1h", "raise_after_period": true}}`)
	if err != nil {
		t.Fatal(err)
	}
	de := rolling.For("DE")
	if s, _ := de.Window(limits.Week, at); !s.Equal(at.Add(-7*24*time.Hour + time.Nanosecond)) {
		t.Errorf("rolling week starts %s; want 7 days back", s)
	}
	if got := de.RaiseAt(limits.Day, at); !got.Equal(at.Add(24 * time.Hour)) {
		t.Errorf("rolling raise after the period: %s; want a day later", got)
	}
}

// TestParse: CASHIER_LIMIT_POLICY changes what it names and keeps the rest.
func TestParse(t *testing.T) {
	ps, err := limits.Parse(`{"FI": {"raise_delay": "48h"}, "NL": {"defaults": {"month": "500"}}, "default": {"required": ["month"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	fi, nl, de := ps.For("FI"), ps.For("NL"), ps.For("DE")
	if fi.RaiseDelay != 48*time.Hour || !fi.RaiseAfterPeriod || len(fi.Required) != 2 || nl.Defaults[limits.Month] != 50000 ||
		nl.YoungDefaults[limits.Month] != 30000 || len(de.Required) != 1 || ps.For("SE").RaiseDelay != 72*time.Hour {
		t.Errorf("parsed: FI %+v, NL %+v, DE %+v", fi, nl, de)
	}
	for _, bad := range []string{`{"FI": {"raise_delay": "soon"}}`, `{"se": {}}`, `{"SE": {"periods": "weekly"}}`,
		`{"SE": {"flag_raise_above": {"month": "ten"}}}`, `{"SE": {"colour": "red"}}`, `{"default": {"unset_cap": "100"}}`,
		`{"SE": {"required": ["year"]}}`, `{"NL": {"notices": [0]}}`,
		// The machine's own zone, and "", which time.LoadLocation reads as UTC, are
		// no market's zone.
		`{"FI": {"zone": "Local"}}`, `{"FI": {"zone": ""}}`} {
		if _, err := limits.Parse(bad); err == nil {
			t.Errorf("Parse(%s) accepted", bad)
		}
	}
}

// TestParseDefaultFirst: a market without a built-in policy listed in
// CASHIER_LIMIT_POLICY starts from the configured "default", whatever the order
// of the keys. Go's maps are read in a random order, so before, such a market got
// the configured default or the built-in one by chance, at each start.
func TestParseDefaultFirst(t *testing.T) {
	for i := range 50 {
		ps, err := limits.Parse(`{"DE": {"raise_delay": "48h"}, "default": {"periods": "rolling", "raise_delay": "12h"}}`)
		if err != nil {
			t.Fatal(err)
		}
		de, at := ps.For("DE"), ps.For("AT")
		if !de.Rolling || de.RaiseDelay != 48*time.Hour || !at.Rolling || at.RaiseDelay != 12*time.Hour {
			t.Fatalf("parse %d: DE rolling %t, raise delay %s; AT rolling %t, raise delay %s; want DE rolling after 48h, AT rolling after 12h",
				i, de.Rolling, de.RaiseDelay, at.Rolling, at.RaiseDelay)
		}
	}
}

// TestReachedSaysWhenDepositsReopen: when more than one limit is used up, the
// refusal names the one that ends last and its end, the moment a deposit is
// possible again; a limit that ends earlier would tell the player a time at which
// the other still refuses every deposit.
func TestReachedSaysWhenDepositsReopen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		// Wednesday 25 February 2026: the week ends on Monday 2 March, after the month.
		now := time.Date(2026, 2, 25, 12, 0, 0, 0, stockholm)
		e := newEnv(t, db, now.Add(-time.Hour))
		for _, tt := range []struct {
			set  map[limits.Period]int64
			want string
		}{
			{map[limits.Period]int64{limits.Day: 100, limits.Week: 100},
				"You have reached your weekly deposit limit of 100,00\u00a0SEK. You can deposit again from 2 March 2026 00:00 CET."},
			{map[limits.Period]int64{limits.Day: 100, limits.Month: 100},
				"You have reached your monthly deposit limit of 100,00\u00a0SEK. You can deposit again from 1 March 2026 00:00 CET."},
			{map[limits.Period]int64{limits.Day: 100, limits.Week: 100, limits.Month: 100},
				"You have reached your weekly deposit limit of 100,00\u00a0SEK. You can deposit again from 2 March 2026 00:00 CET."},
			{map[limits.Period]int64{limits.Day: 100, limits.Week: 500},
				"You have reached your daily deposit limit of 100,00\u00a0SEK. You can deposit again from 26 February 2026 00:00 CET."},
		} {
			e.clock.t = now.Add(-time.Hour)
			p := e.player("SE", "1980-01-01")
			e.set(p, tt.set)
			e.deposit(p, 10000, now)
			st := e.status(p, now)
			if got := st.Refusal(models.Money{Minor: 100, Currency: "SEK"}); got != tt.want {
				t.Errorf("limits %v: refusal %q; want %q", tt.set, got, tt.want)
			}
			if got := st.Headroom(); got != tt.want {
				t.Errorf("limits %v: headroom %q; want %q", tt.set, got, tt.want)
			}
		}
	})
}

// TestDepositAcrossPeriodEnd: a deposit started just before a period ends counts
// in the next period too once its money comes in then, and while its checkout may
// still bring money; otherwise a player could start a deposit of the whole daily
// limit at 23:58, sign it at 00:01, and deposit the whole limit again that day.
func TestDepositAcrossPeriodEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		started := time.Date(2026, 2, 10, 23, 58, 0, 0, stockholm)
		next := time.Date(2026, 2, 11, 0, 5, 0, 0, stockholm)
		e := newEnv(t, db, started.Add(-time.Hour))
		one := models.Money{Minor: 100, Currency: "SEK"}
		want := "You have reached your daily deposit limit of 100,00\u00a0SEK. You can deposit again from 12 February 2026 00:00 CET."

		credited := e.player("SE", "1980-01-01")
		e.set(credited, map[limits.Period]int64{limits.Day: 100})
		o := e.deposit(credited, 10000, started)
		at := time.Date(2026, 2, 11, 0, 1, 0, 0, stockholm).UTC()
		o.CreditedAt, o.CreditedMinor = &at, 10000
		o.Refresh()
		if err := db.Save(&o).Error; err != nil {
			t.Fatal(err)
		}
		if got := e.status(credited, next).Refusal(one); got != want {
			t.Errorf("credited after midnight: refusal %q; want %q", got, want)
		}

		open := e.player("SE", "1980-01-01")
		e.set(open, map[limits.Period]int64{limits.Day: 100})
		e.deposit(open, 10000, started)
		if got := e.status(open, next).Refusal(one); got != want {
			t.Errorf("checkout still open after midnight: refusal %q; want %q", got, want)
		}

		// A deposit settled before midnight, or whose checkout closed without money,
		// is the past day's only.
		done := e.player("SE", "1980-01-01")
		e.set(done, map[limits.Period]int64{limits.Day: 100})
		o = e.deposit(done, 10000, started)
		at = started.Add(time.Minute).UTC()
		o.CreditedAt, o.CreditedMinor = &at, 10000
		o.Refresh()
		if err := db.Save(&o).Error; err != nil {
			t.Fatal(err)
		}
		o = e.deposit(done, 5000, started)
		o.AbandonedAt = &at
		o.Refresh()
		if err := db.Save(&o).Error; err != nil {
			t.Fatal(err)
		}
		if got := e.status(done, next).Refusal(one); got != "" {
			t.Errorf("settled before midnight: refusal %q; want none", got)
		}
	})
}

// TestNetPayoutFailedNotTakenOff: in NL a payout counts against the deposits only
// while it stands. One the bank refused (payoutfailed: its money comes back with
// Trustly's credit) no longer does, before that credit as after it; otherwise the
// player could deposit its amount again beyond the limit in the meantime.
func TestNetPayoutFailedNotTakenOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		now := time.Date(2026, 4, 15, 12, 0, 0, 0, amsterdam)
		e := newEnv(t, db, now)
		p := e.player("NL", "1990-01-01") // default 700 EUR a month
		d := e.deposit(p, 70000, now.Add(-2*time.Hour))
		d.CreditedAt = &d.CreatedAt
		d.Refresh()
		if err := db.Save(&d).Error; err != nil {
			t.Fatal(err)
		}
		sent := now.Add(-time.Hour).UTC()
		payout := models.Order{MessageID: models.NewMessageID(models.OrderPayout), Kind: models.OrderPayout, PlayerID: p.ID,
			Amount: models.Money{Minor: 40000, Currency: "EUR"}, SentAt: &sent, CreatedAt: sent}
		payout.Refresh()
		if err := db.Create(&payout).Error; err != nil {
			t.Fatal(err)
		}
		if got := e.status(p, now).Periods[2].Used.Minor; got != 30000 {
			t.Fatalf("payout sent: used %d; want 30000", got)
		}
		failed := now.Add(-time.Minute).UTC()
		payout.PayoutFailedAt = &failed
		payout.Refresh()
		if err := db.Save(&payout).Error; err != nil {
			t.Fatal(err)
		}
		st := e.status(p, now)
		if got := st.Periods[2].Used.Minor; got != 70000 {
			t.Errorf("payout failed at the bank, credit still to come: used %d; want 70000", got)
		}
		if got := st.Refusal(models.Money{Minor: 100, Currency: "EUR"}); got == "" {
			t.Error("payout failed at the bank: a deposit allowed; want the monthly limit reached")
		}
	})
}

// amountSpace is a space after a digit: within an amount or before its currency.
var amountSpace = regexp.MustCompile(`(\d) `)

// TestRaiseFlagMonthAllowance: SE flags for staff a raise that lets the player
// deposit more than 10 000 SEK a month. What a month allows is the least of the
// month limit, the week limit times the weeks a month can touch and the day limit
// times its days (calendar: 6 weeks, 31 days; rolling: 5 weeks and 30 days in 30
// days), a period without a limit bounding nothing; so a raise of the day or week
// limit is flagged when it takes that above 10 000 SEK, and a raise of the month
// limit as before, whatever the other limits. The flag names the limit raised and
// what it allows a month; one request that raises several limits gets one flag,
// on the first change flagged, naming every limit it raised (a lowering is not
// named). Markets without flag_raise_above flag nothing.
func TestRaiseFlagMonthAllowance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		rolling, err := limits.Parse(`{"SE": {"periods": "rolling"}}`)
		if err != nil {
			t.Fatal(err)
		}
		const none = limits.Period("")
		// nb writes the spaces of amounts as Money.Display does.
		nb := func(s string) string { return amountSpace.ReplaceAllString(s, "$1\u00a0") }
		for _, tt := range []struct {
			name           string
			country        string
			rolling        bool
			initial, raise map[limits.Period]int64
			flagged        limits.Period // the period whose change carries the flag; none
			want           []string      // in the flag, spaces as in Money.Display
		}{
			{name: "day raised, no other limit", initial: map[limits.Period]int64{limits.Day: 100}, raise: map[limits.Period]int64{limits.Day: 5000},
				flagged: limits.Day, want: []string{"raise of the daily limit to 5 000,00 SEK", "155 000,00 SEK a month", "above 10 000,00 SEK a month"}},
			{name: "week raised, no other limit", initial: map[limits.Period]int64{limits.Week: 1000}, raise: map[limits.Period]int64{limits.Week: 5000},
				flagged: limits.Week, want: []string{"raise of the weekly limit to 5 000,00 SEK", "30 000,00 SEK a month"}},
			{name: "calendar month touches six weeks", initial: map[limits.Period]int64{limits.Week: 1000}, raise: map[limits.Period]int64{limits.Week: 1700},
				flagged: limits.Week, want: []string{"10 200,00 SEK a month"}},
			{name: "calendar month holds 31 days", initial: map[limits.Period]int64{limits.Day: 100}, raise: map[limits.Period]int64{limits.Day: 330},
				flagged: limits.Day, want: []string{"10 230,00 SEK a month"}},
			{name: "day raised within", initial: map[limits.Period]int64{limits.Day: 100}, raise: map[limits.Period]int64{limits.Day: 300}},
			{name: "rolling: 30 days", rolling: true, initial: map[limits.Period]int64{limits.Day: 100}, raise: map[limits.Period]int64{limits.Day: 330}},
			{name: "rolling: 30 days, above", rolling: true, initial: map[limits.Period]int64{limits.Day: 100}, raise: map[limits.Period]int64{limits.Day: 334},
				flagged: limits.Day, want: []string{"10 020,00 SEK a month"}},
			{name: "rolling: 5 weeks, reaching", rolling: true, initial: map[limits.Period]int64{limits.Week: 1000}, raise: map[limits.Period]int64{limits.Week: 2000}},
			{name: "rolling: 5 weeks, above", rolling: true, initial: map[limits.Period]int64{limits.Week: 1000}, raise: map[limits.Period]int64{limits.Week: 2001},
				flagged: limits.Week, want: []string{"10 005,00 SEK a month"}},
			{name: "the month limit bounds it", initial: map[limits.Period]int64{limits.Day: 100, limits.Month: 5000}, raise: map[limits.Period]int64{limits.Day: 5000}},
			{name: "the month limit lowered with it", initial: map[limits.Period]int64{limits.Day: 100}, raise: map[limits.Period]int64{limits.Day: 5000, limits.Month: 5000}},
			{name: "day raised up to a month limit above", initial: map[limits.Period]int64{limits.Day: 100, limits.Month: 20000}, raise: map[limits.Period]int64{limits.Day: 1000},
				flagged: limits.Day, want: []string{"raise of the daily limit to 1 000,00 SEK", "20 000,00 SEK a month"}},
			{name: "a raise that allows no more a month", initial: map[limits.Period]int64{limits.Day: 1000, limits.Month: 20000}, raise: map[limits.Period]int64{limits.Day: 2000}},
			{name: "day removed", initial: map[limits.Period]int64{limits.Day: 100, limits.Week: 2000}, raise: map[limits.Period]int64{limits.Day: 0},
				flagged: limits.Day, want: []string{"removal of the daily limit", "12 000,00 SEK a month"}},
			{name: "day removed within", initial: map[limits.Period]int64{limits.Day: 100, limits.Week: 1000}, raise: map[limits.Period]int64{limits.Day: 0}},
			{name: "month raised as before", initial: map[limits.Period]int64{limits.Day: 100, limits.Month: 5000}, raise: map[limits.Period]int64{limits.Month: 20000},
				flagged: limits.Month, want: []string{"raise of the monthly limit to 20 000,00 SEK", "above 10 000,00 SEK", "3 100,00 SEK a month"}},
			{name: "day and week raised at once: one flag", initial: map[limits.Period]int64{limits.Day: 100, limits.Week: 1000},
				raise: map[limits.Period]int64{limits.Day: 5000, limits.Week: 5000}, flagged: limits.Day,
				want: []string{"raise of the daily limit to 5 000,00 SEK and raise of the weekly limit to 5 000,00 SEK: with the player's other limits they allow 30 000,00 SEK a month, above 10 000,00 SEK a month: review"}},
			{name: "day and month raised at once, the month above its own", initial: map[limits.Period]int64{limits.Day: 100, limits.Month: 5000},
				raise: map[limits.Period]int64{limits.Day: 400, limits.Month: 20000}, flagged: limits.Day,
				want: []string{"raise of the daily limit to 400,00 SEK and raise of the monthly limit to 20 000,00 SEK, above 10 000,00 SEK a month; with the player's other limits they allow 12 400,00 SEK a month: review"}},
			{name: "a raise within named with the one flagged", initial: map[limits.Period]int64{limits.Day: 100, limits.Week: 1000, limits.Month: 5000},
				raise: map[limits.Period]int64{limits.Day: 200, limits.Week: 500, limits.Month: 20000}, flagged: limits.Month,
				want: []string{"raise of the daily limit to 200,00 SEK and raise of the monthly limit to 20 000,00 SEK, above 10 000,00 SEK a month; with the player's other limits they allow 3 000,00 SEK a month: review"}},
			{name: "NL", country: "NL", initial: map[limits.Period]int64{limits.Day: 100}, raise: map[limits.Period]int64{limits.Day: 5000}},
			{name: "FI", country: "FI", initial: map[limits.Period]int64{limits.Day: 100, limits.Month: 500},
				raise: map[limits.Period]int64{limits.Day: 5000, limits.Month: 20000}},
		} {
			e := newEnv(t, db, time.Date(2026, 3, 10, 12, 0, 0, 0, stockholm))
			if tt.rolling {
				e.svc = limits.New(db, rolling, e.clock.now)
			}
			country := cmp.Or(tt.country, "SE")
			p := e.player(country, "1980-05-05")
			e.set(p, tt.initial)
			e.clock.t = e.clock.t.Add(time.Hour)
			changes := e.set(p, tt.raise)
			if len(changes) != len(tt.raise) {
				t.Fatalf("%s: %d changes recorded; want %d", tt.name, len(changes), len(tt.raise))
			}
			for _, c := range changes {
				switch {
				case c.Period != tt.flagged && c.Flag != "":
					t.Errorf("%s: the %s change flagged %q; want no flag", tt.name, c.Period, c.Flag)
				case c.Period == tt.flagged && c.Flag == "":
					t.Errorf("%s: the %s change not flagged; want a flag for staff", tt.name, c.Period)
				}
				for _, w := range tt.want {
					if c.Period == tt.flagged && !strings.Contains(c.Flag, nb(w)) {
						t.Errorf("%s: flag %q; want it to contain %q", tt.name, c.Flag, w)
					}
				}
			}
		}

		// A limit too large to multiply allows the most an int64 holds a month.
		e := newEnv(t, db, time.Date(2026, 3, 10, 12, 0, 0, 0, stockholm))
		p := e.player("SE", "1980-05-05")
		e.set(p, map[limits.Period]int64{limits.Day: 100})
		var huge []limits.Change
		if err := db.Transaction(func(tx *gorm.DB) (err error) {
			huge, err = e.svc.Set(e.ctx, tx, p, "SEK", map[limits.Period]int64{limits.Day: math.MaxInt64 / 2})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if want := nb("92 233 720 368 547 758,07 SEK a month"); len(huge) != 1 || !strings.Contains(huge[0].Flag, want) {
			t.Errorf("a raise of the day limit to %d öre recorded as %+v; want it flagged, allowing %q", int64(math.MaxInt64/2), huge, want)
		}

		// A raise waiting counts as the limit it asks for: the month limit's removal
		// is flagged with the day limit's 3 100 a month, and then a raise of the day
		// limit, which the removal leaves unbounded, is flagged too.
		e = newEnv(t, db, time.Date(2026, 3, 10, 12, 0, 0, 0, stockholm))
		p = e.player("SE", "1980-05-05")
		e.set(p, map[limits.Period]int64{limits.Day: 100, limits.Month: 5000})
		e.clock.t = e.clock.t.Add(time.Hour)
		if c := e.set(p, map[limits.Period]int64{limits.Month: 0}); len(c) != 1 || !strings.Contains(c[0].Flag, nb("removal of the monthly limit")) ||
			!strings.Contains(c[0].Flag, nb("3 100,00 SEK a month")) {
			t.Errorf("the month limit's removal recorded as %+v; want it flagged, allowing 3 100,00 SEK a month", c)
		}
		e.clock.t = e.clock.t.Add(time.Hour)
		if c := e.set(p, map[limits.Period]int64{limits.Day: 5000}); len(c) != 1 || !strings.Contains(c[0].Flag, nb("155 000,00 SEK a month")) {
			t.Errorf("a raise of the day limit with the month limit's removal waiting, recorded as %+v; want it flagged, allowing 155 000,00 SEK a month", c)
		}
	})
}

// TestCountsCredited: what a deposit counts against the limits: what it reserved
// (its amount, or its kyc's lower limit) until its credit is booked, then what
// was credited, less or more, less what a debit took back (a debit before the
// credit takes from what was reserved); a credit booked before the credited
// amount was kept counts what was reserved, and a debit booked before the debited
// amount was kept takes nothing from it. NL's net limits count the same: 700 EUR
// asked, 500 credited, a payout of 200 sent, and 200 credited and debited leave
// 300 counted.
func TestCountsCredited(t *testing.T) {
	at := time.Date(2026, 4, 15, 12, 0, 0, 0, time.UTC)
	deposit := func(amount, kycLimit, credited, debited int64) models.Order {
		o := models.Order{Kind: models.OrderDeposit, Amount: models.Money{Minor: amount, Currency: "EUR"}, PendingAt: &at,
			KYCLimitMinor: kycLimit, CreditedMinor: credited}
		if kycLimit > 0 {
			o.PayNPlay, o.KYCOutcome = true, models.KYCContinue
		}
		if credited >= 0 {
			o.CreditedAt = &at
		}
		if debited >= 0 {
			o.DebitedAt, o.DebitedMinor = &at, debited
		}
		o.Refresh()
		return o
	}
	for _, tt := range []struct {
		name string
		o    models.Order
		want int64
	}{
		{"pending", deposit(60000, 0, -1, -1), 60000},
		{"pending, its kyc's lower limit", deposit(60000, 50000, -1, -1), 50000},
		{"credited less", deposit(60000, 0, 40000, -1), 40000},
		{"credited more", deposit(60000, 0, 70000, -1), 70000},
		{"credited less than its kyc's limit", deposit(60000, 50000, 30000, -1), 30000},
		{"credited less, then debited", deposit(60000, 0, 40000, 40000), 0},
		{"credited, then debited in part", deposit(60000, 0, 60000, 25000), 35000},
		{"debited with no credit", deposit(60000, 0, -1, 60000), 0},
		{"debited in part with no credit", deposit(60000, 0, -1, 10000), 50000},
		{"debited before the debited amount was kept", deposit(60000, 0, 60000, 0), 60000},
		{"credited before the amount was kept", deposit(60000, 0, 0, -1), 60000},
	} {
		if tt.o.CreditedMinor < 0 {
			tt.o.CreditedMinor = 0
		}
		if got := limits.Counts(tt.o); got != tt.want {
			t.Errorf("%s (%s): counts %d; want %d", tt.name, tt.o.Status, got, tt.want)
		}
	}

	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		now := time.Date(2026, 4, 15, 12, 0, 0, 0, amsterdam)
		e := newEnv(t, db, now)
		p := e.player("NL", "1990-01-01") // default 700 EUR a month
		d := e.deposit(p, 70000, now.Add(-2*time.Hour))
		credited := now.Add(-90 * time.Minute).UTC()
		d.CreditedAt, d.CreditedMinor = &credited, 50000
		d.Refresh()
		if err := db.Save(&d).Error; err != nil {
			t.Fatal(err)
		}
		back := e.deposit(p, 20000, now.Add(-80*time.Minute))
		back.CreditedAt, back.CreditedMinor, back.DebitedAt, back.DebitedMinor = &credited, 20000, &credited, 20000
		back.Refresh()
		if err := db.Save(&back).Error; err != nil {
			t.Fatal(err)
		}
		sent := now.Add(-time.Hour).UTC()
		payout := models.Order{MessageID: models.NewMessageID(models.OrderPayout), Kind: models.OrderPayout, PlayerID: p.ID,
			Amount: models.Money{Minor: 20000, Currency: "EUR"}, SentAt: &sent, CreatedAt: sent}
		payout.Refresh()
		if err := db.Create(&payout).Error; err != nil {
			t.Fatal(err)
		}
		st := e.status(p, now)
		if got := st.Periods[2].Used.Minor; got != 30000 {
			t.Errorf("700 asked, 500 credited, 200 paid out, 200 credited and debited: used %d; want 30000", got)
		}
		if got := st.Refusal(models.Money{Minor: 40000, Currency: "EUR"}); got != "" {
			t.Errorf("a deposit of 400 EUR of the 400 left: refused %q; want it allowed", got)
		}
	})
}

// TestParseStrictJSON: CASHIER_LIMIT_POLICY is one JSON object, each key once:
// text after it, a market or a field given twice (where the last would quietly
// win) and null are refused instead of being read as something else.
func TestParseStrictJSON(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"FI": {"raise_delay": "96h"}} {"SE": {}}`, "after the JSON"},
		{`{"FI": {"raise_delay": "96h"}, "FI": {}}`, `"FI" is given twice`},
		{`{"default": {"periods": "rolling"}, "default": {}}`, `"default" is given twice`},
		{`{"FI": {"raise_delay": "96h", "raise_delay": "24h"}}`, `"FI.raise_delay" is given twice`},
		{`null`, "object"},
	} {
		if _, err := limits.Parse(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s) = %v; want an error containing %q", tt.in, err, tt.want)
		}
	}
}
