// Package seed fills an empty cashier database with a realistic history, for the
// benchmarks that check the cashier stays as fast at a million ledger transfers as
// on an empty database, and for trying the pages at that size (cmd/seed).
//
// The history is that of Players players of the SE, FI, EE and NL markets
// (wallets in SEK or EUR) over Span up to Until: Orders deposits and payouts, all
// in final states (credited, cancelled, abandoned, debited; confirmed, refused,
// returned by the bank), with the notifications Trustly sent about them, the API
// calls made for them, the players' bank accounts, deposit limits and a few breaks,
// and Transfers ledger transfers: the orders' own (credit, debit, reserve, send,
// release, return, as the cashier books them) and play between the wallets and
// the games (Games), which makes up the rest. Every transfer has its two entries
// and every account its balances row, so ledger.Audit passes; no wallet ever goes
// below zero, nothing stays reserved, and every order's status is what
// models.Order.Refresh derives from its events. Ids grow with time across
// players, as they would in a real database.
//
// The same Config (Seed included) gives the same database, row for row.
package seed

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/trustly-cashier/cashier/models"
)

// Version changes whenever Run writes other rows for the same Config: caches of
// seeded databases name it.
const Version = 1

// Games is the ledger account of the games: play moves money between it and the
// wallets (a stake from the wallet, a win to it). The cashier never books it.
const Games models.LedgerAccount = "operator:games"

// Password is the password of every seeded player who has one (Pay N Play
// players have none): sign in as any of them to look around.
const Password = "seeded password"

// passwordHash is bcrypt's hash of Password, fixed so that seeding stays
// deterministic and does not spend a bcrypt per player (TestPasswordHash).
const passwordHash = "$2a$10$PVTihOmHDrOf1Tu/awUO0eE7ZjN0BrICLk7.uNKRPWuchb/8LXiw."

// Config says how much history to make.
type Config struct {
	Players   int
	Orders    int
	Transfers int // ledger transfers in all, orders' and play; never fewer than the orders need
	Seed      uint64
	// Until is when the history ends; zero is today at 00:00 UTC. Span is how far
	// back it reaches; zero is two years.
	Until time.Time
	Span  time.Duration
	// Log receives progress lines; nil is quiet.
	Log func(format string, args ...any)
}

// Full is the size the performance goals name: 10 000 players, 200 000 orders,
// 1 000 000 ledger transfers.
var Full = Config{Players: 10_000, Orders: 200_000, Transfers: 1_000_000}

// Scaled is Full times scale (0.01 is a hundredth), at least one player.
func Scaled(scale float64) Config {
	n := func(x int) int { return max(1, int(math.Round(float64(x)*scale))) }
	return Config{Players: n(Full.Players), Orders: n(Full.Orders), Transfers: n(Full.Transfers)}
}

// Stats is what Run wrote.
type Stats struct {
	Players, BankAccounts, LimitChanges, Breaks int
	Orders, Transfers, Entries, Notifications   int
	APICalls, Balances                          int
	// Statuses counts the orders by kind and status: "deposit credited".
	Statuses map[string]int
}

// outcome is how an order ended.
type outcome uint8

const (
	depCredited  outcome = iota // account, pending, credit
	depDebited                  // credited, then a debit days later
	depCancelled                // the player cancelled the checkout: a cancel
	depAbandoned                // no word from Trustly; the janitor gave up on it
	payConfirmed                // reserved, sent, confirmed by the bank
	payRefused                  // reserved, refused by Trustly's API, released
	payReturned                 // reserved, sent, returned by the bank days later (a credit)
)

func (o outcome) payout() bool { return o >= payConfirmed }

// transfers is how many ledger transfers the cashier books for an order that ends so.
func (o outcome) transfers() int {
	switch o {
	case depCredited:
		return 1
	case depDebited, payConfirmed, payRefused:
		return 2
	case payReturned:
		return 3
	}
	return 0
}

// event is a ledger transfer's event.
type event uint8

const (
	evCredit  event = iota // deposit: clearing → wallet
	evDebit                // deposit: wallet → clearing
	evReserve              // payout: wallet → reserved
	evSend                 // payout: reserved → clearing
	evRelease              // payout: reserved → wallet
	evReturn               // payout: clearing → wallet
	evStake                // play: wallet → games
	evWin                  // play: games → wallet
)

// player is a seeded player with the random source that decides its history.
type player struct {
	models.Player
	market     *market
	rng        *rand.Rand
	accounts   []int // indexes into plan.accounts
	orders     int
	firstOrder int32 // its orders are p.orders[firstOrder:firstOrder+orders]
	games      int
	first      time.Time // the first deposit
}

// order is a seeded order. at holds the times of its later events: see simulate.
type order struct {
	player  int32
	account int32 // index into plan.accounts
	outcome outcome
	minor   int64
	created time.Time
	at      [3]time.Time
	message string
	id      int64
}

// transfer is a seeded ledger transfer of one event.
type transfer struct {
	at     time.Time
	order  int32 // index into plan.orders; -1 for play
	player int32
	event  event
	minor  int64
	id     int64
}

// note is a seeded notification from Trustly about an order.
type note struct {
	at     time.Time
	order  int32
	method string
	id     int64
}

// plan is the whole history, in memory, before it is written.
type plan struct {
	cfg          Config
	start, until time.Time
	players      []player
	accounts     []account
	orders       []order
	transfers    []transfer
	notes        []note
}

// account is a seeded bank account.
type account struct {
	player  int32
	bank    string
	digits  string
	created time.Time
	id      int64
}

func (c *Config) defaults() error {
	if c.Players < 1 || c.Orders < 0 || c.Transfers < 0 {
		return errors.New("seed: at least one player, and no negative counts")
	}
	if c.Until.IsZero() {
		c.Until = time.Now().UTC().Truncate(24 * time.Hour)
	}
	c.Until = c.Until.UTC()
	if c.Span <= 0 {
		c.Span = 730 * 24 * time.Hour
	}
	if c.Span < 30*24*time.Hour {
		return errors.New("seed: a span of at least 30 days")
	}
	if c.Log == nil {
		c.Log = func(string, ...any) {}
	}
	return nil
}

// makePlan decides the whole history.
func makePlan(cfg Config) *plan {
	p := &plan{cfg: cfg, until: cfg.Until, start: cfg.Until.Add(-cfg.Span)}
	p.makePlayers()
	p.allocateOrders()
	planned := 0
	for i := range p.players {
		planned += p.planOrders(i)
	}
	p.allocateGames(cfg.Transfers - planned)
	for i := range p.players {
		p.simulate(i)
	}
	p.number()
	return p
}

// makePlayers makes the players, with ids in the order they registered.
func (p *plan) makePlayers() {
	p.players = make([]player, p.cfg.Players)
	for i := range p.players {
		rng := rand.New(rand.NewPCG(p.cfg.Seed, uint64(i)))
		m := pickMarket(rng)
		// Players join all through the span, the last a week before its end.
		created := p.start.Add(time.Duration(rng.Int64N(int64(p.cfg.Span - 7*24*time.Hour)))).Truncate(time.Second)
		pl := models.Player{EndUserID: "p-" + hexOf(rng, 20), FirstName: m.first[rng.IntN(len(m.first))],
			LastName: m.last[rng.IntN(len(m.last))], Country: m.code, Currency: m.currency, Role: models.RolePlayer,
			CreatedAt: created}
		if rng.IntN(4) == 0 {
			pl.Language = m.language
		}
		p.players[i] = player{Player: pl, market: m, rng: rng}
	}
	slices.SortStableFunc(p.players, func(a, b player) int { return a.CreatedAt.Compare(b.CreatedAt) })
	ids := personIDs{}
	for i := range p.players {
		pl := &p.players[i]
		pl.ID = int64(i + 1)
		rng := pl.rng
		dob := time.Date(1950+rng.IntN(54), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		pl.DateOfBirth = dob.Format(time.DateOnly)
		pl.PersonID = ids.next(pl.Country, dob, rng.IntN(897))
		// A third of the players in the Pay N Play markets came that way: no email or
		// password, an address from the bank's kyc.
		if pl.Country != "NL" && rng.IntN(3) == 0 {
			kyc := pl.CreatedAt
			pl.KYCAt, pl.KYCEntityID = &kyc, "kyc-"+hexOf(rng, 16)
			pl.Street, pl.Zipcode, pl.City = fmt.Sprintf("Storgatan %d", 1+rng.IntN(80)), pl.market.zip, pl.market.city
		} else {
			pl.Email = fmt.Sprintf("%s.%s.%d@example.com", fold(pl.FirstName), fold(pl.LastName), pl.ID)
			pl.PasswordHash = passwordHash
		}
	}
}

// allocateOrders shares the orders out: a few players make many of them (a
// log-normal weight), and every player has at least one while there are enough.
func (p *plan) allocateOrders() {
	weights := make([]float64, len(p.players))
	for i := range p.players {
		weights[i] = math.Exp(p.players[i].rng.NormFloat64())
	}
	base := 0
	if p.cfg.Orders >= len(p.players) {
		base = 1
	}
	for i, n := range share(p.cfg.Orders-base*len(p.players), weights) {
		p.players[i].orders = base + n
	}
}

// allocateGames shares n rounds of play out in proportion to the players' orders.
func (p *plan) allocateGames(n int) {
	if n <= 0 {
		return
	}
	weights := make([]float64, len(p.players))
	for i := range p.players {
		weights[i] = float64(p.players[i].orders)
	}
	for i, g := range share(n, weights) {
		p.players[i].games = g
	}
}

// share splits n by weights into whole numbers that sum to n (largest remainder).
func share(n int, weights []float64) []int {
	out := make([]int, len(weights))
	total := 0.0
	for _, w := range weights {
		total += w
	}
	if n <= 0 || total == 0 {
		return out
	}
	type rest struct {
		i int
		r float64
	}
	rests := make([]rest, len(weights))
	given := 0
	for i, w := range weights {
		x := float64(n) * w / total
		out[i] = int(x)
		given += out[i]
		rests[i] = rest{i, x - float64(out[i])}
	}
	slices.SortStableFunc(rests, func(a, b rest) int { return cmp.Compare(b.r, a.r) })
	for k := 0; given < n; k++ {
		out[rests[k%len(rests)].i]++
		given++
	}
	return out
}

// units is a whole amount of major units in the player's currency as minor units;
// crowns are worth about a tenth of a euro, so SEK amounts are ten times larger.
func (pl *player) units(major float64) int64 {
	if pl.Currency == "SEK" {
		major *= 10
	}
	return int64(math.Round(major)) * 100
}

// logUniform is a whole number of units between lo and hi (in euro terms) with
// small amounts more likely, rounded to step.
func (pl *player) logUniform(lo, hi, step float64) int64 {
	x := math.Exp(math.Log(lo) + pl.rng.Float64()*(math.Log(hi)-math.Log(lo)))
	return pl.units(math.Max(step, math.Round(x/step)*step))
}

// planOrders decides player i's orders: when, which kind, how each ends, and the
// amount asked for. It returns the ledger transfers they will book.
func (p *plan) planOrders(i int) int {
	pl := &p.players[i]
	if pl.orders == 0 {
		return 0
	}
	rng := pl.rng
	// Everything is over four days before Until: a debit or a returned payout may
	// come three days after its order.
	last := p.until.Add(-4 * 24 * time.Hour)
	pl.first = pl.CreatedAt.Add(time.Duration(2+rng.IntN(28)) * time.Minute)
	times := []time.Time{pl.first}
	for range pl.orders - 1 {
		times = append(times, pl.first.Add(time.Duration(rng.Int64N(int64(last.Sub(pl.first))))).Truncate(time.Millisecond))
	}
	slices.SortFunc(times, time.Time.Compare)
	n := 1 + rng.IntN(2)
	for k := range n {
		digits := fmt.Sprintf("%06d", rng.IntN(1_000_000))
		pl.accounts = append(pl.accounts, len(p.accounts))
		p.accounts = append(p.accounts, account{player: int32(i), bank: pl.market.banks[rng.IntN(len(pl.market.banks))],
			digits: digits, created: pl.first.Add(time.Duration(k+1) * time.Minute)})
	}
	planned := 0
	pl.firstOrder = int32(len(p.orders))
	for k, at := range times {
		o := order{player: int32(i), created: at, account: int32(pl.accounts[rng.IntN(len(pl.accounts))])}
		if k > 0 && rng.Float64() < 0.3 {
			switch x := rng.Float64(); {
			case x < 0.92:
				o.outcome = payConfirmed
			case x < 0.96:
				o.outcome = payRefused
			default:
				o.outcome = payReturned
			}
			// At most the approval limit (5 000 in the currency): no payout waits for staff.
			o.minor = min(pl.logUniform(20, 1000, 5), 500_000)
		} else {
			switch x := rng.Float64(); {
			case x < 0.84:
				o.outcome = depCredited
			case x < 0.92:
				o.outcome = depCancelled
			case x < 0.98:
				o.outcome = depAbandoned
			default:
				o.outcome = depDebited
			}
			o.minor = pl.logUniform(10, 500, 5)
		}
		if k == 0 {
			o.outcome = depCredited
		}
		planned += o.outcome.transfers()
		p.orders = append(p.orders, o)
	}
	return planned
}

// step is one event of a player's timeline.
type step struct {
	at    time.Time
	seq   int
	kind  event // a ledger event, or stepOrder / stepPlay
	order int32
}

const (
	stepOrder event = 100 + iota // an order is created
	stepPlay                     // a round of play
)

type timeline []step

func (t timeline) Len() int { return len(t) }
func (t timeline) Less(i, j int) bool {
	if c := t[i].at.Compare(t[j].at); c != 0 {
		return c < 0
	}
	return t[i].seq < t[j].seq
}
func (t timeline) Swap(i, j int) { t[i], t[j] = t[j], t[i] }
func (t *timeline) Push(x any)   { *t = append(*t, x.(step)) }
func (t *timeline) Pop() any {
	old := *t
	x := old[len(old)-1]
	*t = old[:len(old)-1]
	return x
}

// simulate plays player i's history in time order: each order's events, with the
// notifications that bring them, and the rounds of play in between, keeping the
// wallet: a stake takes at most part of what the wallet holds beyond deposits
// about to be debited, a payout at most what it holds then, so no wallet goes
// below zero. A payout the wallet cannot pay for (below the minimum of 10) becomes
// a credited deposit; that books fewer transfers, and as many more rounds of play
// at the end keep the total the plan promised.
func (p *plan) simulate(i int) {
	pl := &p.players[i]
	if pl.orders == 0 {
		return
	}
	rng := pl.rng
	var tl timeline
	seq := 0
	push := func(at time.Time, kind event, o int32) {
		seq++
		heap.Push(&tl, step{at: at, seq: seq, kind: kind, order: o})
	}
	first, end := pl.firstOrder, pl.firstOrder+int32(pl.orders)
	for k := first; k < end; k++ {
		push(p.orders[k].created, stepOrder, k)
	}
	from := pl.first.Add(time.Hour)
	for range pl.games {
		push(from.Add(time.Duration(rng.Int64N(int64(p.until.Add(-time.Minute).Sub(from))))).Truncate(time.Millisecond), stepPlay, -1)
	}
	target := pl.games
	for k := first; k < end; k++ {
		target += p.orders[k].outcome.transfers()
	}
	var wallet, held, pendingDebits int64
	booked := 0
	book := func(at time.Time, o int32, ev event, minor int64) {
		p.transfers = append(p.transfers, transfer{at: at, order: o, player: int32(i), event: ev, minor: minor})
		booked++
		switch ev {
		case evCredit, evReturn, evWin:
			wallet += minor
		case evDebit, evStake:
			wallet -= minor
		case evReserve:
			wallet, held = wallet-minor, held+minor
		case evSend:
			held -= minor
		case evRelease:
			wallet, held = wallet+minor, held-minor
		}
	}
	notify := func(at time.Time, o int32, methods ...string) {
		for k, m := range methods {
			p.notes = append(p.notes, note{at: at.Add(time.Duration(k) * time.Second), order: o, method: m})
		}
	}
	minutes := func(lo, hi int) time.Duration { return time.Duration(lo*60+rng.IntN((hi-lo)*60+1)) * time.Second }
	play := func(at time.Time) {
		spendable := wallet - pendingDebits
		if spendable < pl.units(1) || rng.Float64() < 0.4 {
			book(at, -1, evWin, pl.logUniform(1, 80, 1))
			return
		}
		book(at, -1, evStake, max(100, spendable*int64(2+rng.IntN(14))/100/100*100))
	}
	var last time.Time
	for tl.Len() > 0 {
		s := heap.Pop(&tl).(step)
		last = s.at
		if s.kind == stepPlay {
			play(s.at)
			continue
		}
		o := &p.orders[s.order]
		switch s.kind {
		case stepOrder:
			if o.outcome.payout() {
				spendable := wallet - pendingDebits
				amount := min(o.minor, spendable*int64(60+rng.IntN(41))/100/100*100)
				if amount < 1000 {
					// Less than the smallest payout (10 in any currency): this player
					// deposits instead.
					o.outcome, o.minor = depCredited, pl.logUniform(10, 500, 5)
				} else {
					o.minor = amount
				}
			}
			p.startOrder(s.order, rng, minutes, push, notify, book)
		case evCredit:
			book(s.at, s.order, evCredit, o.minor)
			if o.outcome == depDebited {
				pendingDebits += o.minor
			}
		case evDebit:
			pendingDebits -= o.minor
			book(s.at, s.order, evDebit, o.minor)
		case evSend, evRelease, evReturn:
			book(s.at, s.order, s.kind, o.minor)
		}
	}
	// Conversions booked fewer transfers than planned: play makes up the rest.
	for extra := target - booked; extra > 0; extra-- {
		span := p.until.Add(-time.Minute).Sub(last)
		last = last.Add(time.Duration(rng.Int64N(max(1, int64(span)/int64(extra+1))))).Truncate(time.Millisecond)
		play(last)
	}
	if wallet < 0 || held != 0 || pendingDebits != 0 {
		panic(fmt.Sprintf("seed: player %d ends with wallet %d, reserved %d, pending debits %d", pl.ID, wallet, held, pendingDebits))
	}
}

// startOrder creates order k at its time: books its reservation (payouts),
// schedules its later events and records the notifications they come with. Its
// times (o.at) are: deposit: [0] the account notification (or the cancel, or
// abandonment), [1] the credit, [2] the debit; payout: [0] Trustly's answer,
// [1] the confirmation or the return.
func (p *plan) startOrder(k int32, rng *rand.Rand, minutes func(lo, hi int) time.Duration,
	push func(time.Time, event, int32), notify func(time.Time, int32, ...string), book func(time.Time, int32, event, int64)) {
	o := &p.orders[k]
	t := o.created
	pnp := p.players[o.player].KYCAt != nil
	switch o.outcome {
	case depCredited, depDebited:
		if pnp {
			notify(t.Add(20*time.Second), k, "kyc")
		}
		o.at[0] = t.Add(minutes(1, 3))
		o.at[1] = o.at[0].Add(minutes(2, 15))
		notify(o.at[0], k, "account", "pending")
		notify(o.at[1], k, "credit")
		push(o.at[1], evCredit, k)
		if o.outcome == depDebited {
			o.at[2] = o.at[1].Add(minutes(24*60, 3*24*60))
			notify(o.at[2], k, "debit")
			push(o.at[2], evDebit, k)
		}
	case depCancelled:
		o.at[0] = t.Add(minutes(1, 20))
		notify(o.at[0], k, "cancel")
	case depAbandoned:
		o.at[0] = t.Add(minutes(30, 35))
	case payConfirmed, payRefused, payReturned:
		book(t, k, evReserve, o.minor)
		o.at[0] = t.Add(time.Duration(300+rng.IntN(1500)) * time.Millisecond)
		switch o.outcome {
		case payConfirmed:
			push(o.at[0], evSend, k)
			o.at[1] = o.at[0].Add(minutes(60, 48*60))
			notify(o.at[1], k, "payoutconfirmation")
		case payRefused:
			push(o.at[0], evRelease, k)
		case payReturned:
			push(o.at[0], evSend, k)
			o.at[1] = o.at[0].Add(minutes(24*60, 3*24*60))
			notify(o.at[1], k, "credit")
			push(o.at[1], evReturn, k)
		}
	}
	kind := models.OrderDeposit
	if o.outcome.payout() {
		kind = models.OrderPayout
	}
	o.message = string(kind)[:3] + "-" + hexOf(rng, 24)
}

// number gives orders, transfers and notifications their ids in time order.
func (p *plan) number() {
	idx := make([]int32, len(p.orders))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return p.orders[a].created.Compare(p.orders[b].created) })
	for rank, i := range idx {
		p.orders[i].id = int64(rank + 1)
	}
	slices.SortStableFunc(p.transfers, func(a, b transfer) int { return a.at.Compare(b.at) })
	for i := range p.transfers {
		p.transfers[i].id = int64(i + 1)
	}
	slices.SortStableFunc(p.notes, func(a, b note) int { return a.at.Compare(b.at) })
	for i := range p.notes {
		p.notes[i].id = int64(i + 1)
	}
	idx = make([]int32, len(p.accounts))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return p.accounts[a].created.Compare(p.accounts[b].created) })
	for rank, i := range idx {
		p.accounts[i].id = int64(rank + 1)
	}
}
