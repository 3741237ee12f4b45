// Package limits keeps the players' deposit limits (responsible gaming, issue 11):
// a day, week and month limit per player and currency, the market's policy on when
// a change takes effect, and the one answer to "how much may this player deposit
// now", which the deposit form, StartDeposit and Pay N Play's kyc decision share.
//
// The deposit orders themselves are the reservations: a deposit counts against the
// limits from the transaction that creates its order, which first checks the
// headroom under the player's row lock (Reserve), until the order fails (a cancel,
// a refusal: it no longer counts) or for good once credited. Changes of a limit are
// rows that are only ever inserted; the limit in force at any moment follows from
// them and the policy.
package limits

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Change is one request of a player to change one deposit limit. Rows are only
// inserted, never updated or deleted: they are the limits' history. A lowering
// takes effect when asked (EffectiveAt = RequestedAt); a raise or a removal waits
// (the policy's RaiseAt). A later request replaces one still pending.
type Change struct {
	ID       int64  `gorm:"primaryKey"`
	PlayerID int64  `gorm:"not null;index:idx_limit_changes_player,priority:1"`
	Currency string `gorm:"size:3;not null;index:idx_limit_changes_player,priority:2"`
	Period   Period `gorm:"size:8;not null"`
	// AmountMinor is the player's own limit asked for, in minor units of Currency;
	// 0 asks for none (the policy's default, if any, applies).
	AmountMinor int64 `gorm:"not null"`
	// PreviousMinor is the limit that was in force when asked (0: none), for people
	// reading the history.
	PreviousMinor int64     `gorm:"not null;default:0"`
	RequestedAt   time.Time `gorm:"not null"`
	EffectiveAt   time.Time `gorm:"not null"`
	// Flag is set on a raise the back office must look at (SE: one that allows
	// more than 10 000 SEK a month, whichever limit it raises), naming the limit
	// and what it allows a month; "" otherwise.
	Flag string `gorm:"size:200;not null;default:''"`
}

// TableName is the table of limit changes.
func (Change) TableName() string { return "deposit_limit_changes" }

// Tables lists the tables this package keeps, for the store's migration.
func Tables() []any { return []any{&Change{}} }

// Amount is the asked-for limit as Money.
func (c Change) Amount() models.Money {
	return models.Money{Minor: c.AmountMinor, Currency: c.Currency}
}

// Pending reports whether the change has not taken effect at t.
func (c Change) Pending(t time.Time) bool { return c.EffectiveAt.After(t) }

// Sentences for players.
const (
	msgRequired    = "Set your deposit limits before you deposit: %s."
	msgHeadroom    = "Your %s deposit limit leaves %s now."
	msgLeft        = "Your %s deposit limit leaves %s now; deposit at most that amount."
	msgReached     = "You have reached your %s deposit limit of %s. You can deposit again %s."
	msgUnsetCap    = "Until your deposit limits are set you can deposit at most %s a month, and this month's deposits have reached it. Log in and set your limits to deposit more."
	msgNotRemoved  = "Your %s deposit limit is required here; it can be lowered or raised, not removed."
	msgNotRequired = "Set at least one deposit limit: for a day, a week or a month."
	msgNotice      = "You have used %d %% of your %s deposit limit: %s of %s."
	msgNoticeFull  = "You have used all of your %s deposit limit of %s."
)

// Adjective is the period as people say it in "your daily limit".
func (p Period) Adjective() string {
	switch p {
	case Day:
		return "daily"
	case Week:
		return "weekly"
	}
	return "monthly"
}

// Service answers and changes deposit limits. Its methods that write take the
// caller's transaction: the cashier runs them under its write lock.
type Service struct {
	db       *gorm.DB
	policies Policies
	now      func() time.Time
}

// New returns a Service over db with policies; now is the clock (time.Now if nil).
func New(db *gorm.DB, policies Policies, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, policies: policies, now: now}
}

// Policy is the policy of market.
func (s *Service) Policy(market string) Policy { return s.policies.For(market) }

// PeriodStatus is one period's limit at one moment.
type PeriodStatus struct {
	Period Period
	Limit  models.Money // in force; Minor 0 when there is none
	Own    bool         // Limit is the player's own; false: the policy's default (or none)
	// Used is what counts against the limit in the period: deposits not failed
	// (pending ones too), less payouts sent when the policy counts net deposits.
	Used       models.Money
	Left       models.Money // Limit less Used; meaningful only with a Limit
	Start, End time.Time    // the period holding the moment, [Start, End)
	Pending    *Change      // a raise or removal waiting to take effect
	Notice     int          // the highest of the policy's notice percentages reached; 0 none
}

// Status is a player's deposit limits in one currency at one moment.
type Status struct {
	Policy   Policy
	Currency string
	At       time.Time
	Periods  []PeriodStatus // Day, Week, Month
	// Missing lists the periods whose limit the policy requires before a deposit
	// and the player has not set; with RequireOne, all three until one is set.
	Missing []Period
	// Limited: some period has a limit; Remaining is then the least any leaves
	// (zero or below: no deposit now), and Binding that period.
	Limited   bool
	Remaining models.Money
	Binding   Period
	History   []Change // newest first
}

// Notice is the sentence telling the player how much of a limit is used, for the
// highest notice reached in any period; "" when none is.
func (st Status) Notice() string { _, s := st.notice(); return s }

// NoticeText is Notice as a message id and its arguments, shown in the player's
// language; its ID is "" when Notice is "".
func (st Status) NoticeText() models.Text { t, _ := st.notice(); return t }

func (st Status) notice() (models.Text, string) {
	best := -1
	for i, p := range st.Periods {
		if p.Notice > 0 && (best < 0 || p.Notice > st.Periods[best].Notice) {
			best = i
		}
	}
	if best < 0 {
		return models.Text{}, ""
	}
	p := st.Periods[best]
	if p.Notice >= 100 {
		return models.Text{ID: "limits.notice_full." + string(p.Period), Args: []any{"Limit", p.Limit}},
			fmt.Sprintf(msgNoticeFull, p.Period.Adjective(), p.Limit.Display())
	}
	return models.Text{ID: "limits.notice." + string(p.Period), Args: []any{"Percent", p.Notice, "Used", p.Used, "Limit", p.Limit}},
		fmt.Sprintf(msgNotice, p.Notice, p.Period.Adjective(), p.Used.Display(), p.Limit.Display())
}

// Refusal is the sentence for a deposit of amount that the limits do not allow, or
// "" when they allow it.
func (st Status) Refusal(amount models.Money) string { _, s := st.refusal(amount); return s }

// RefusalText is Refusal as a message id and its arguments, shown in the player's
// language; its ID is "" when Refusal is "".
func (st Status) RefusalText(amount models.Money) models.Text { t, _ := st.refusal(amount); return t }

func (st Status) refusal(amount models.Money) (models.Text, string) {
	switch {
	case len(st.Missing) > 0:
		return models.Text{ID: "limits.required", Args: []any{"Periods", PeriodListText(st.Missing, st.Policy.RequireOne)}},
			fmt.Sprintf(msgRequired, periodList(st.Missing, st.Policy.RequireOne))
	case !st.Limited || amount.Minor <= st.Remaining.Minor:
		return models.Text{}, ""
	case st.Remaining.Positive():
		return models.Text{ID: "limits.left." + string(st.Binding), Args: []any{"Left", st.Remaining}},
			fmt.Sprintf(msgLeft, st.Binding.Adjective(), st.Remaining.Display())
	}
	p := st.period(st.Binding)
	if st.Policy.Rolling {
		return models.Text{ID: "limits.reached_rolling." + string(st.Binding), Args: []any{"Limit", p.Limit}},
			fmt.Sprintf(msgReached, st.Binding.Adjective(), p.Limit.Display(), "once earlier deposits leave the period")
	}
	return models.Text{ID: "limits.reached." + string(st.Binding), Args: []any{"Limit", p.Limit, "When", p.End}},
		fmt.Sprintf(msgReached, st.Binding.Adjective(), p.Limit.Display(), "from "+st.Policy.FormatTime(p.End))
}

// Headroom is the sentence saying what the limits leave now: "Your daily deposit
// limit leaves 400,00 SEK now." or when it is reached, when deposits may start
// again; "" without a limit.
func (st Status) Headroom() string { _, s := st.headroom(); return s }

// HeadroomText is Headroom as a message id and its arguments, shown in the
// player's language; its ID is "" when Headroom is "".
func (st Status) HeadroomText() models.Text { t, _ := st.headroom(); return t }

func (st Status) headroom() (models.Text, string) {
	switch {
	case !st.Limited:
		return models.Text{}, ""
	case st.Remaining.Positive():
		return models.Text{ID: "limits.headroom." + string(st.Binding), Args: []any{"Left", st.Remaining}},
			fmt.Sprintf(msgHeadroom, st.Binding.Adjective(), st.Remaining.Display())
	}
	return st.refusal(models.Money{Minor: 1, Currency: st.Currency})
}

func (st Status) period(p Period) PeriodStatus {
	for _, ps := range st.Periods {
		if ps.Period == p {
			return ps
		}
	}
	return PeriodStatus{}
}

// FormatTime is t in the market's zone for people: "1 March 2026 00:00 CET".
func (p Policy) FormatTime(t time.Time) string {
	zone := p.Zone
	if zone == nil {
		zone = time.UTC
	}
	return t.In(zone).Format("2 January 2006 15:04 MST")
}

func periodList(ps []Period, one bool) string {
	words := make([]string, len(ps))
	for i, p := range ps {
		words[i] = string(p)
	}
	switch {
	case len(words) == 1:
		return "a " + words[0] + " limit"
	case one:
		return "a limit for at least one of a day, a week or a month"
	}
	return "a limit for each " + joinAnd(words)
}

// PeriodListText is periodList as a message: "limits.periods.day_week" names
// the periods in ps, in the order of Periods.
func PeriodListText(ps []Period, one bool) models.Text {
	if one && len(ps) > 1 {
		return models.Text{ID: "limits.periods.one"}
	}
	id := "limits.periods."
	for i, p := range ps {
		if i > 0 {
			id += "_"
		}
		id += string(p)
	}
	return models.Text{ID: id}
}

func joinAnd(w []string) string {
	if len(w) < 2 {
		return w[0]
	}
	out := w[0]
	for _, x := range w[1 : len(w)-1] {
		out += ", " + x
	}
	return out + " and " + w[len(w)-1]
}

// Status reads player's limits in currency at at, with their whole History,
// through tx (or the Service's database when tx is nil).
func (s *Service) Status(ctx context.Context, tx *gorm.DB, player models.Player, currency string, at time.Time) (Status, error) {
	if tx == nil {
		tx = s.db
	}
	return s.status(tx.WithContext(ctx), player, s.policies.For(player.Country), currency, at, true)
}

// Current is Status without the History: the limits in force at at, what they
// leave and the changes pending. It reads only the newest changes of each period
// and the orders of the longest period, in one statement (current), so its cost does
// not grow with the player's history; the cashier page uses it, as do a deposit's
// reservation, a change of the limits and the kyc decision.
func (s *Service) Current(ctx context.Context, tx *gorm.DB, player models.Player, currency string, at time.Time) (Status, error) {
	if tx == nil {
		tx = s.db
	}
	return s.status(tx.WithContext(ctx), player, s.policies.For(player.Country), currency, at, false)
}

// status is Status, or Current when history is false.
func (s *Service) status(tx *gorm.DB, player models.Player, pol Policy, currency string, at time.Time, history bool) (Status, error) {
	st := Status{Policy: pol, Currency: currency, At: at.UTC()}
	earliest := at
	for _, per := range Periods {
		ps := PeriodStatus{Period: per}
		ps.Start, ps.End = pol.Window(per, at)
		if ps.Start.Before(earliest) {
			earliest = ps.Start
		}
		st.Periods = append(st.Periods, ps)
	}
	var changes []Change
	var deposits, payouts []movement
	var err error
	switch {
	case player.ID == 0:
	case history:
		if changes, err = allChanges(tx, player.ID, currency); err == nil {
			deposits, payouts, err = counted(tx, player.ID, currency, earliest, at, pol.Net)
		}
	default:
		changes, deposits, payouts, err = current(tx, player.ID, currency, earliest, at, pol.Net)
	}
	if err != nil {
		return Status{}, err
	}
	for i := range st.Periods {
		ps := &st.Periods[i]
		own, pending := ownAt(changes, ps.Period, at)
		ps.Pending = pending
		ps.Own = own > 0
		limit := own
		if limit == 0 {
			limit = pol.defaultFor(ps.Period, player.DateOfBirth, at, currency)
		}
		ps.Limit = models.Money{Minor: limit, Currency: currency}
	}
	anyOwn := false
	for _, ps := range st.Periods {
		anyOwn = anyOwn || ps.Own
		if slices.Contains(pol.Required, ps.Period) && !ps.Own {
			st.Missing = append(st.Missing, ps.Period)
		}
	}
	if pol.RequireOne && !anyOwn {
		st.Missing = slices.Clone(Periods)
	}

	for i := range st.Periods {
		ps := &st.Periods[i]
		used := int64(0)
		for _, d := range deposits {
			if d.in(ps.Start, ps.End) {
				used += d.minor
			}
		}
		for _, p := range payouts {
			if !p.at.Before(ps.Start) && p.at.Before(ps.End) {
				used -= p.minor
			}
		}
		ps.Used = models.Money{Minor: used, Currency: currency}
		if ps.Limit.Minor == 0 {
			continue
		}
		ps.Left = models.Money{Minor: ps.Limit.Minor - used, Currency: currency}
		for _, n := range pol.Notices {
			if used*100 >= int64(n)*ps.Limit.Minor && n > ps.Notice {
				ps.Notice = n
			}
		}
		if !st.Limited || ps.Left.Minor < st.Remaining.Minor {
			st.Limited, st.Remaining, st.Binding = true, ps.Left, ps.Period
		}
	}
	if st.Limited && !st.Remaining.Positive() {
		// No deposit until every limit used up has a new period: the refusal names
		// the one that ends last, not the one with the least left.
		for _, ps := range st.Periods {
			if ps.Limit.Minor > 0 && !ps.Left.Positive() && !ps.End.Before(st.period(st.Binding).End) {
				st.Binding = ps.Period
			}
		}
	}
	if history {
		st.History = make([]Change, len(changes))
		for i, c := range changes {
			st.History[len(changes)-1-i] = c
		}
	}
	return st, nil
}

// allChanges reads every change of the player's limits in currency, in request
// order.
func allChanges(tx *gorm.DB, playerID int64, currency string) ([]Change, error) {
	var changes []Change
	if err := tx.Where("player_id = ? AND currency = ?", playerID, currency).Order("requested_at, id").Find(&changes).Error; err != nil {
		return nil, fmt.Errorf("limit changes of player %d: %w", playerID, err)
	}
	return changes, nil
}

// recentPerPeriod is how many of each period's newest changes current
// reads; a player who asked for more raises than that while one still waited
// needs the whole history.
const recentPerPeriod = 4

// currentSQL is Current's one statement (current): the newest recentPerPeriod
// changes of each period, each an index range of idx_limit_changes_recent read
// backwards, then the player's deposits since a moment (depositsSQL's range of
// idx_orders_player_deposits) and, in currentNetSQL, the payouts sent since then
// (payoutsSQL's range of idx_orders_player_payouts_sent). A row's first column
// names its part ('c', 'd', 'p'); the others line up by type, so that both
// databases read them as the changes' columns: the first part's columns give the
// names, and on SQLite the declared types by which a time is read as a time.
var currentSQL, currentNetSQL = currentQuery(false), currentQuery(true)

func currentQuery(net bool) string {
	var b strings.Builder
	for i := range Periods {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		fmt.Fprintf(&b, `SELECT * FROM (SELECT 'c' AS part, %s, false AS pay_n_play FROM deposit_limit_changes
WHERE player_id = ? AND currency = ? AND "period" = ? ORDER BY requested_at DESC, id DESC LIMIT %d) AS p%d`,
			changeColumns, recentPerPeriod, i)
	}
	b.WriteString(` UNION ALL SELECT 'd', amount_minor, credited_minor, status, kyc_outcome, debited_minor, kyc_limit_minor,
created_at, credited_at, '', pay_n_play FROM orders ` + depositsWhere)
	if net {
		b.WriteString(` UNION ALL SELECT 'p', ` + models.PayoutOutSQL + `, 0, '', '', 0, 0, sent_at, NULL, '', false FROM orders ` + payoutsWhere)
	}
	return b.String()
}

// changeColumns are the deposit_limit_changes table's, in Change's order, as
// current scans them.
const changeColumns = `id, player_id, currency, "period", amount_minor, previous_minor, requested_at, effective_at, flag`

// current reads in one statement (currentSQL) what Current needs of the player's
// rows in currency: the changes of their limits that decide the limits in force
// at now and the changes pending then, in request order (the newest few of each
// period, unless they do not decide it (decided), when it reads them all), and
// the deposits and, when net, the payouts that count since from, as counted
// reads them. Every cashier page runs it: one statement, not three, each of
// which cost the page as much as its database's work.
func current(tx *gorm.DB, playerID int64, currency string, from, now time.Time, net bool) (changes []Change, deposits, payouts []movement, err error) {
	since := from.Add(-margin)
	query, args := currentSQL, make([]any, 0, 3*len(Periods)+6)
	for _, per := range Periods {
		args = append(args, playerID, currency, per)
	}
	args = append(args, playerID, since, currency)
	if net {
		query, args = currentNetSQL, append(args, playerID, since, currency)
	}
	rows, err := raw.Query(tx.Statement.Context, tx, query, args...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("limits of player %d: %w", playerID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var part, text1, text2, text3 string
		var n1, n2, n3, n4 int64
		var t1 time.Time
		var t2 sql.NullTime
		var pnp bool
		if err := rows.Scan(&part, &n1, &n2, &text1, &text2, &n3, &n4, &t1, &t2, &text3, &pnp); err != nil {
			return nil, nil, nil, fmt.Errorf("limits of player %d: %w", playerID, err)
		}
		switch part {
		case "c":
			changes = append(changes, Change{ID: n1, PlayerID: n2, Currency: text1, Period: Period(text2), AmountMinor: n3,
				PreviousMinor: n4, RequestedAt: t1, EffectiveAt: t2.Time, Flag: text3})
		case "d":
			o := models.Order{Kind: models.OrderDeposit, Amount: models.Money{Minor: n1, Currency: currency}, CreditedMinor: n2,
				Status: models.OrderStatus(text1), KYCOutcome: text2, DebitedMinor: n3, KYCLimitMinor: n4, CreatedAt: t1, PayNPlay: pnp}
			if t2.Valid {
				o.CreditedAt = &t2.Time
			}
			if d := depositMovement(o, now); d.minor > 0 {
				deposits = append(deposits, d)
			}
		case "p":
			if n1 > 0 {
				payouts = append(payouts, movement{at: t1, minor: n1})
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("limits of player %d: %w", playerID, err)
	}
	slices.SortFunc(changes, func(a, b Change) int {
		if c := a.RequestedAt.Compare(b.RequestedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for _, per := range Periods {
		tail := slices.DeleteFunc(slices.Clone(changes), func(c Change) bool { return c.Period != per })
		if len(tail) == recentPerPeriod && !decided(tail, now) {
			changes, err = allChanges(tx, playerID, currency)
			return changes, deposits, payouts, err
		}
	}
	return changes, deposits, payouts, nil
}

// decided reports whether changes, the newest changes of one period in request
// order with any number of older ones before them, decide the limit in force at
// t and the change pending then (ownAt): one of them took effect by t. A change
// takes effect when asked for (a lowering), or at its EffectiveAt if that comes
// before the next request (which would replace it) and by t. Once one has, what
// came before it no longer matters.
func decided(changes []Change, t time.Time) bool {
	for i, c := range changes {
		if c.RequestedAt.After(t) {
			break
		}
		until := t
		if i+1 < len(changes) && !changes[i+1].RequestedAt.After(t) {
			until = changes[i+1].RequestedAt
		}
		if !c.EffectiveAt.After(until) {
			return true
		}
	}
	return false
}

// ownAt is the player's own limit for period in force at t (0: none) and the
// change still pending then. changes are in request order. A change that applies
// at once replaces a pending one; a pending one replaces an earlier pending one.
func ownAt(changes []Change, period Period, t time.Time) (own int64, pending *Change) {
	for i := range changes {
		c := &changes[i]
		if c.Period != period || c.RequestedAt.After(t) {
			continue
		}
		if pending != nil && !pending.EffectiveAt.After(c.RequestedAt) {
			own, pending = pending.AmountMinor, nil
		}
		if c.EffectiveAt.After(c.RequestedAt) {
			pending = c
		} else {
			own, pending = c.AmountMinor, nil
		}
	}
	if pending != nil && !pending.EffectiveAt.After(t) {
		own, pending = pending.AmountMinor, nil
	}
	return own, pending
}

// movement is one amount counted in a period, at the moment it counts from.
type movement struct {
	at    time.Time
	minor int64
	// also is a second moment a deposit counts at (zero: none): when its money
	// came, or, while its checkout may still bring money, the moment asked about.
	also time.Time
}

// in reports whether m counts in [start, end).
func (m movement) in(start, end time.Time) bool {
	within := func(t time.Time) bool { return !t.IsZero() && !t.Before(start) && t.Before(end) }
	return within(m.at) || within(m.also)
}

// margin widens the database's coarse time filter; the exact one is in Go. It
// also bounds how far back counted reads a deposit that counts in a later period
// by its credit or its open checkout: a credit comes within minutes of the
// checkout, or for some banks days, so two weeks leave room to spare.
const margin = 14 * 24 * time.Hour

// counted reads the player's deposits in currency created since margin before
// from, as they count against a limit at now, and, when net, the payouts sent
// since then.
//
// A deposit counts from its creation with its amount unless it failed (cancelled
// or refused: the reservation is released). It counts in the period of its
// creation and, when its money came in a later one (a checkout started just
// before midnight and signed after), in that one too; while its checkout may
// still bring money (created, started, pending) it counts at now as well, so that
// a deposit left open across a period's end is not forgotten by the next period.
// A Pay N Play deposit counts once its kyc said CONTINUE, capped by that answer's
// limit: before, its player or amount may not be known, and the kyc decision that
// reads the limits must not count the very order it decides. Once its credit is
// booked, a deposit counts what it was credited (Order.CreditedMinor), more or
// less than it reserved: the money that came, less what a debit took back
// (Order.DebitedMinor), which never stayed; a debit answered FAILED took
// nothing. A payout counts, when net, from when it was sent, what of it stayed
// out of the wallet (models.PayoutOutSQL): not what a credit gave back, nor
// anything of one failed at the bank until its credit says how much came back.
func counted(tx *gorm.DB, playerID int64, currency string, from, now time.Time, net bool) (deposits, payouts []movement, err error) {
	if playerID == 0 {
		return nil, nil, nil
	}
	ctx := tx.Statement.Context
	rows, err := raw.Query(ctx, tx, depositsSQL, playerID, from.Add(-margin), currency)
	if err != nil {
		return nil, nil, fmt.Errorf("deposits of player %d: %w", playerID, err)
	}
	defer rows.Close()
	for rows.Next() {
		o := models.Order{Kind: models.OrderDeposit, Amount: models.Money{Currency: currency}}
		if err := rows.Scan(&o.Amount.Minor, &o.CreditedMinor, &o.DebitedMinor, &o.Status, &o.PayNPlay, &o.KYCOutcome, &o.KYCLimitMinor, &o.CreatedAt,
			&o.CreditedAt); err != nil {
			return nil, nil, fmt.Errorf("deposits of player %d: %w", playerID, err)
		}
		if d := depositMovement(o, now); d.minor > 0 {
			deposits = append(deposits, d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("deposits of player %d: %w", playerID, err)
	}
	if !net {
		return deposits, nil, nil
	}
	outs, err := raw.Query(ctx, tx, payoutsSQL, playerID, from.Add(-margin), currency)
	if err != nil {
		return nil, nil, fmt.Errorf("payouts of player %d: %w", playerID, err)
	}
	defer outs.Close()
	for outs.Next() {
		var m movement
		if err := outs.Scan(&m.minor, &m.at); err != nil {
			return nil, nil, fmt.Errorf("payouts of player %d: %w", playerID, err)
		}
		if m.minor > 0 {
			payouts = append(payouts, m)
		}
	}
	if err := outs.Err(); err != nil {
		return nil, nil, fmt.Errorf("payouts of player %d: %w", playerID, err)
	}
	return deposits, payouts, nil
}

// depositMovement is what deposit order o counts against its player's limits at
// now (Counts), and when: from its creation, and also when its money came or,
// while its checkout may still bring money, at now.
func depositMovement(o models.Order, now time.Time) movement {
	d := movement{at: o.CreatedAt, minor: Counts(o)}
	switch {
	case o.CreditedAt != nil:
		d.also = *o.CreditedAt
	case o.Status == models.OrderCreated || o.Status == models.OrderStarted || o.Status == models.OrderPending:
		d.also = now
	}
	return d
}

// Passed checks the limits again when a deposit's credit comes: in tx, before
// order's row records the credit of credited (minor units) at at, it reports the
// first period whose limit the deposit passes once credited, with Used what the
// period counts then; ok is false when it passes none. order must be a deposit
// of player. The order's reservation
// checked its amount when it was made: a credit of more than that (Trustly's
// amount), or of a deposit that no longer counted (cancelled, its headroom since
// taken by another), can pass a limit that reservation kept.
func (s *Service) Passed(ctx context.Context, tx *gorm.DB, player models.Player, order models.Order, credited int64, at time.Time) (PeriodStatus, bool, error) {
	tx = tx.WithContext(ctx)
	st, err := s.status(tx, player, s.policies.For(player.Country), order.Amount.Currency, at, false)
	if err != nil {
		return PeriodStatus{}, false, err
	}
	// What status counted of the order is its row's, which may not have the
	// changes made to order in tx so far (a kyc's CONTINUE, its player).
	var row models.Order
	if err := tx.Where("id = ?", order.ID).Limit(1).Find(&row).Error; err != nil {
		return PeriodStatus{}, false, fmt.Errorf("deposit limits at the credit of order %d: %w", order.ID, err)
	}
	var before movement
	if row.ID != 0 && row.PlayerID == player.ID {
		before = depositMovement(row, at)
	}
	for _, ps := range st.Periods {
		if ps.Limit.Minor == 0 {
			continue
		}
		// Credited, the deposit counts at at, in every period running then.
		used := ps.Used.Minor + credited
		if before.minor > 0 && before.in(ps.Start, ps.End) {
			used -= before.minor
		}
		if used > ps.Limit.Minor {
			ps.Used = models.Money{Minor: used, Currency: st.Currency}
			ps.Left = models.Money{Minor: ps.Limit.Minor - used, Currency: st.Currency}
			return ps, true, nil
		}
	}
	return PeriodStatus{}, false, nil
}

// Every cashier page, deposit and kyc decision reads the limits, so their reads
// are prepared statements (raw.Query), not GORM's.
var (
	// depositsSQL selects what Counts needs of the player's deposits in a
	// currency created since a moment: an index range of
	// idx_orders_player_deposits (store), whose WHERE the kind's literal matches
	// (a bound parameter would not).
	depositsSQL = `SELECT amount_minor, credited_minor, debited_minor, status, pay_n_play, kyc_outcome, kyc_limit_minor, created_at, credited_at FROM orders
` + depositsWhere
	// payoutsSQL selects what the player's payouts in a currency sent since a
	// moment left out of the wallet, as the payout approval window counts it
	// (models.PayoutOutSQL: nothing once returned in full or failed at the bank,
	// whose money comes back with a credit still to come; what a credit of less
	// did not give back), and when they were sent: an index range of
	// idx_orders_player_payouts_sent (store).
	payoutsSQL = `SELECT ` + models.PayoutOutSQL + `, sent_at FROM orders
` + payoutsWhere
	// depositsWhere and payoutsWhere are the conditions of depositsSQL and
	// payoutsSQL, which Current's one statement (currentSQL) shares.
	depositsWhere = `WHERE player_id = ? AND kind = '` + string(models.OrderDeposit) + `' AND created_at >= ? AND amount_currency = ?`
	payoutsWhere  = `WHERE player_id = ? AND kind = '` + string(models.OrderPayout) + `' AND sent_at >= ? AND amount_currency = ?`
)

// Counts is what a deposit order counts against its player's limits now: see
// counted.
func Counts(o models.Order) int64 {
	if o.Kind != models.OrderDeposit || o.Status == models.OrderFailed {
		return 0
	}
	if o.PayNPlay && o.KYCOutcome != models.KYCContinue {
		return 0
	}
	if o.CreditedAt != nil && o.CreditedMinor > 0 {
		// Booked: what the wallet got, as Trustly said, more or less than was
		// reserved (either flagged). Only one credit of a deposit is ever booked,
		// so no more can come to it. What a debit took back (DebitedMinor) never
		// stayed: the bank did not settle it (API.md test case D1).
		return max(0, o.CreditedMinor-o.DebitedMinor)
	}
	// Reserved, while its money may still come: its amount, or its kyc's lower
	// limit, less what a debit before the credit took back (the credit, when it
	// comes, evens it out). Also for a credit booked before the credited amount
	// was kept.
	m := o.Amount.Minor
	if o.KYCLimitMinor > 0 && (m == 0 || o.KYCLimitMinor < m) {
		m = o.KYCLimitMinor
	}
	return max(0, m-o.DebitedMinor)
}

// lockPlayer takes player's row lock until tx ends (PostgreSQL): every deposit
// reservation and limit change of the player waits for the one before. On SQLite
// the cashier's write lock serializes them already.
func lockPlayer(tx *gorm.DB, playerID int64) error {
	q := tx
	if tx.Dialector.Name() == "postgres" {
		q = tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
	}
	var p models.Player
	if err := q.Select("id").Where("id = ?", playerID).Take(&p).Error; err != nil {
		return fmt.Errorf("lock player %d: %w", playerID, err)
	}
	return nil
}

// Reserve checks, in tx, the transaction about to create a deposit order of
// amount for player at at, that the limits allow it, with the player's row locked
// so that a concurrent deposit waits and then sees this one. It fails with a
// *models.Problem for the player when they do not: the required limits not set, or
// an amount above what the limits leave (the sentence names what is left). The
// order created in tx then counts, so the headroom stays reserved until it fails.
func (s *Service) Reserve(ctx context.Context, tx *gorm.DB, player models.Player, amount models.Money, at time.Time) error {
	tx = tx.WithContext(ctx)
	if err := lockPlayer(tx, player.ID); err != nil {
		return err
	}
	st, err := s.status(tx, player, s.policies.For(player.Country), amount.Currency, at, false)
	if err != nil {
		return err
	}
	if why, text := st.refusal(amount); text != "" {
		return models.ProblemT("amount", why.ID, text, why.Args...)
	}
	return nil
}

// DepositAllowance implements paynplay.Limits for the kyc decision: what who may
// still deposit now in currency, pending deposits counted, under the policy of
// who.Country (the identity's market). A who.PlayerID of 0 is a
// person who is not a player yet: no limits of their own, the policy's defaults
// for someone of their age. The age is the player's stored date of birth, else
// who.DOB (the bank's); without either the person counts as young (Policy.young).
// A player who has not set the limits the policy requires may bring at most what
// the month's deposits left of the policy's UnsetCap (the cashier asks for the
// limits right after).
func (s *Service) DepositAllowance(ctx context.Context, who paynplay.Depositor, currency string) (paynplay.Allowance, error) {
	return s.allowance(s.db.WithContext(ctx), who, currency)
}

// DepositAllowanceIn is DepositAllowance read in tx, the transaction about to
// store a kyc decision, with the player's row locked (PostgreSQL) as Reserve locks
// it: the decision was taken outside any transaction, and another kyc of the same
// player may have been stored since, taking part of what the limits left.
func (s *Service) DepositAllowanceIn(ctx context.Context, tx *gorm.DB, who paynplay.Depositor, currency string) (paynplay.Allowance, error) {
	tx = tx.WithContext(ctx)
	if who.PlayerID != 0 {
		if err := lockPlayer(tx, who.PlayerID); err != nil {
			return paynplay.Allowance{}, err
		}
	}
	return s.allowance(tx, who, currency)
}

func (s *Service) allowance(db *gorm.DB, who paynplay.Depositor, currency string) (paynplay.Allowance, error) {
	player := models.Player{ID: who.PlayerID, Country: who.Country}
	if who.PlayerID != 0 {
		if err := db.Where("id = ?", who.PlayerID).Take(&player).Error; err != nil {
			return paynplay.Allowance{}, fmt.Errorf("deposit allowance of player %d: %w", who.PlayerID, err)
		}
	}
	if player.DateOfBirth == "" {
		// A new person, or a password player who never gave one: the bank's.
		player.DateOfBirth = who.DOB
	}
	st, err := s.status(db, player, s.policies.For(who.Country), currency, s.now().UTC(), false)
	if err != nil {
		return paynplay.Allowance{}, err
	}
	if len(st.Missing) > 0 {
		// UnsetCap is for all the deposits before the limits are set, not for each:
		// what the month's deposits already brought is taken from it.
		most := models.Money{Currency: currency}
		if currency == st.Policy.Currency {
			most.Minor = max(0, st.Policy.UnsetCap-st.period(Month).Used.Minor)
		}
		if !st.Limited || most.Minor < st.Remaining.Minor {
			a := paynplay.Allowance{Limited: true, Remaining: most}
			if !most.Positive() {
				// The cap, not a limit of the player's (they set none), leaves nothing:
				// the refusal names the cap and what opens deposits again.
				capped := models.Money{Minor: st.Policy.UnsetCap, Currency: st.Policy.Currency}
				a.Reached = fmt.Sprintf(msgUnsetCap, capped.Display())
				a.ReachedText = models.Text{ID: "limits.unset_cap", Args: []any{"Cap", capped}}
			}
			return a, nil
		}
		return paynplay.Allowance{Limited: st.Limited, Remaining: st.Remaining}, nil
	}
	a := paynplay.Allowance{Limited: st.Limited, Remaining: st.Remaining}
	if st.Limited && !st.Remaining.Positive() {
		// The deposit form's sentence: which limit, and when deposits open again,
		// in the market's time zone on the kyc's page, usually a visitor's.
		text, message := st.headroom()
		text.Args = append(text.Args, "Country", who.Country)
		a.Reached, a.ReachedText = message, text
	}
	return a, nil
}

// Set records player's wanted limits in currency, one per period in wanted (minor
// units; 0 asks for none), at the Service's clock, in tx with the player's row
// locked. A period whose wanted limit is the one in force or already asked for is
// left alone. A lowering applies at once; a raise or a removal waits as the policy
// says, and FlagRaiseAbove flags them (Policy.raiseFlag): the raises of one
// request get one flag, on the first change flagged, naming them all. It fails
// with a *models.Problem when the policy requires a limit that wanted removes. It
// returns the changes recorded.
func (s *Service) Set(ctx context.Context, tx *gorm.DB, player models.Player, currency string, wanted map[Period]int64) ([]Change, error) {
	tx = tx.WithContext(ctx)
	if err := lockPlayer(tx, player.ID); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	pol := s.policies.For(player.Country)
	st, err := s.status(tx, player, pol, currency, now, false)
	if err != nil {
		return nil, err
	}
	anyOwn := false
	for _, per := range Periods {
		if v, ok := wanted[per]; ok {
			if v < 0 {
				return nil, models.ProblemT(string(per), "limits.negative", "Enter a limit of zero or more.")
			}
			anyOwn = anyOwn || v > 0
		} else {
			anyOwn = anyOwn || st.period(per).Own || st.period(per).Pending != nil && st.period(per).Pending.AmountMinor > 0
		}
	}
	if pol.RequireOne && !anyOwn {
		return nil, models.ProblemT("", "limits.set_one", msgNotRequired)
	}
	// The limits in force now, and those asked for once every raise waiting and
	// this request apply, for the flag on a raise (raiseFlag).
	effective := func(per Period, v int64) int64 {
		if v == 0 {
			return pol.defaultFor(per, player.DateOfBirth, now, currency)
		}
		return v
	}
	before, after := map[Period]int64{}, map[Period]int64{}
	for _, per := range Periods {
		ps := st.period(per)
		before[per], after[per] = ps.Limit.Minor, ps.Limit.Minor
		if ps.Pending != nil {
			after[per] = effective(per, ps.Pending.AmountMinor)
		}
		if v, ok := wanted[per]; ok {
			after[per] = effective(per, v)
		}
	}
	var out []Change
	var raises []raise
	var raised []int // the index in out of each of raises
	for _, per := range Periods {
		v, ok := wanted[per]
		if !ok {
			continue
		}
		ps := st.period(per)
		if v == 0 && slices.Contains(pol.Required, per) {
			return nil, models.ProblemT(string(per), "limits.not_removed."+string(per), fmt.Sprintf(msgNotRemoved, per.Adjective()))
		}
		asked := int64(0)
		if ps.Own {
			asked = ps.Limit.Minor
		}
		if ps.Pending != nil {
			asked = ps.Pending.AmountMinor
		}
		if v == asked {
			continue
		}
		eff := effective(per, v)
		cur := ps.Limit.Minor
		c := Change{PlayerID: player.ID, Currency: currency, Period: per, AmountMinor: v, PreviousMinor: cur,
			RequestedAt: now, EffectiveAt: now}
		if lower := eff != 0 && (cur == 0 || eff <= cur); !lower {
			c.EffectiveAt = pol.RaiseAt(per, now)
			raises, raised = append(raises, raise{Period: per, Eff: eff}), append(raised, len(out))
		}
		out = append(out, c)
	}
	if flag, first := pol.raiseFlag(raises, before, after, currency); first >= 0 {
		out[raised[first]].Flag = flag
	}
	for i := range out {
		if err := tx.Create(&out[i]).Error; err != nil {
			return nil, fmt.Errorf("record %s limit of player %d: %w", out[i].Period, player.ID, err)
		}
	}
	return out, nil
}
