package seed

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Run fills db, migrated (store.Open) and without players, orders or transfers,
// with the history cfg describes, in transactions of a few thousand rows each. It
// works on SQLite and PostgreSQL alike; on PostgreSQL it moves the id sequences
// past the rows it wrote and ANALYZEs the tables, as autovacuum would.
func Run(ctx context.Context, db *gorm.DB, cfg Config) (Stats, error) {
	if err := cfg.defaults(); err != nil {
		return Stats{}, err
	}
	db = db.WithContext(ctx)
	for _, table := range []string{"players", "orders", "transfers", "notifications"} {
		var n int64
		if err := db.Table(table).Count(&n).Error; err != nil {
			return Stats{}, fmt.Errorf("seed: %w", err)
		}
		if n > 0 {
			return Stats{}, fmt.Errorf("seed: %s already holds %d rows; seed an empty database", table, n)
		}
	}
	start := time.Now()
	p := makePlan(cfg)
	cfg.Log("planned %d players, %d orders, %d transfers, %d notifications in %s", len(p.players), len(p.orders),
		len(p.transfers), len(p.notes), time.Since(start).Round(time.Millisecond))
	w := &writer{p: p, log: cfg.Log}
	// One connection writes everything, with durability relaxed for its
	// transactions: a seeding that fails half-way is started again on a new
	// database anyway. The settings are put back before the connection goes back to
	// the pool.
	fast, normal := []string{"PRAGMA synchronous = OFF", "PRAGMA cache_size = -262144"},
		[]string{"PRAGMA synchronous = FULL", "PRAGMA cache_size = -2000"}
	if db.Dialector.Name() == "postgres" {
		fast, normal = []string{"SET synchronous_commit = off"}, []string{"RESET synchronous_commit"}
	}
	err := db.Connection(func(conn *gorm.DB) (err error) {
		w.db = conn
		for _, s := range fast {
			if err := conn.Exec(s).Error; err != nil {
				return err
			}
		}
		defer func() {
			for _, s := range normal {
				if rerr := conn.Exec(s).Error; rerr != nil && err == nil {
					err = rerr
				}
			}
		}()
		for _, step := range []func() error{w.players, w.accounts, w.limits, w.orders, w.apiCalls, w.transfers,
			w.notifications, w.balances, w.finish} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return w.stats, fmt.Errorf("seed: %w", err)
	}
	cfg.Log("seeded in %s", time.Since(start).Round(time.Millisecond))
	return w.stats, nil
}

// writer writes a plan.
type writer struct {
	db    *gorm.DB
	p     *plan
	log   func(string, ...any)
	stats Stats
	// sums adds up every account's entries as they are written.
	sums map[[2]string]int64
}

// chunk is how many rows one transaction writes.
const chunk = 10_000

// insert writes n rows in transactions of chunk rows: build returns the rows lo
// to hi (one or more slices, each with its batch size for a multi-row INSERT:
// PostgreSQL takes at most 65 535 parameters per statement).
func (w *writer) insert(what string, n int, build func(lo, hi int) []batch) error {
	start := time.Now()
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		batches := build(lo, hi)
		err := w.db.Transaction(func(tx *gorm.DB) error {
			for _, b := range batches {
				if err := tx.CreateInBatches(b.rows, b.size).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	w.log("%-14s %9d rows in %s", what, n, time.Since(start).Round(time.Millisecond))
	return nil
}

// batch is rows (a pointer to a slice of models) with the size of its INSERTs.
type batch struct {
	rows any
	size int
}

func (w *writer) players() error {
	w.stats.Players = len(w.p.players)
	return w.insert("players", len(w.p.players), func(lo, hi int) []batch {
		rows := make([]models.Player, 0, hi-lo)
		for _, pl := range w.p.players[lo:hi] {
			rows = append(rows, pl.Player)
		}
		return []batch{{&rows, 1000}}
	})
}

// accountID is Trustly's id of seeded bank account a.
func accountID(a *account) string { return strconv.FormatInt(2_000_000_000+a.id, 10) }

func (w *writer) accounts() error {
	p := w.p
	byID := make([]*account, len(p.accounts))
	for i := range p.accounts {
		byID[p.accounts[i].id-1] = &p.accounts[i]
	}
	w.stats.BankAccounts = len(byID)
	return w.insert("bank accounts", len(byID), func(lo, hi int) []batch {
		rows := make([]models.BankAccount, 0, hi-lo)
		for _, a := range byID[lo:hi] {
			pl := &p.players[a.player]
			rows = append(rows, models.BankAccount{ID: a.id, PlayerID: pl.ID, AccountID: accountID(a), Bank: a.bank,
				Descriptor: "**" + a.digits, LastDigits: a.digits, ClearingHouse: pl.market.clearing, Verified: true,
				Source: models.AccountFromDeposit, CreatedAt: a.created, UpdatedAt: a.created})
		}
		return []batch{{&rows, 1000}}
	})
}

// limits writes the players' deposit limits, as their markets ask for them (a
// monthly one in SE, a daily and a monthly one in FI, some players elsewhere), set
// as they registered, and the breaks a few players took.
func (w *writer) limits() error {
	p := w.p
	rng := rand.New(rand.NewPCG(p.cfg.Seed, 1<<40))
	var changes []limits.Change
	var taken []breaks.Break
	for i := range p.players {
		pl := &p.players[i]
		at := pl.CreatedAt.Add(time.Minute)
		set := func(period limits.Period, major float64) {
			changes = append(changes, limits.Change{PlayerID: pl.ID, Currency: pl.Currency, Period: period,
				AmountMinor: pl.units(major), RequestedAt: at, EffectiveAt: at})
		}
		switch x := rng.Float64(); pl.Country {
		case "SE":
			set(limits.Month, 2000)
		case "FI":
			set(limits.Day, 500)
			set(limits.Month, 2000)
		default:
			if x < 0.3 {
				set(limits.Month, 500+float64(rng.IntN(10))*100)
			}
		}
		if rng.IntN(40) == 0 {
			kind := breaks.Kinds[rng.IntN(3)]
			starts := pl.CreatedAt.Add(time.Duration(rng.Int64N(int64(p.until.Sub(pl.CreatedAt))))).Truncate(time.Second)
			ends, _ := kind.End(starts)
			taken = append(taken, breaks.Break{PlayerID: pl.ID, Kind: kind, StartsAt: starts, EndsAt: &ends, CreatedAt: starts})
		}
	}
	slices.SortStableFunc(changes, func(a, b limits.Change) int { return a.RequestedAt.Compare(b.RequestedAt) })
	slices.SortStableFunc(taken, func(a, b breaks.Break) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for i := range changes {
		changes[i].ID = int64(i + 1)
	}
	for i := range taken {
		taken[i].ID = int64(i + 1)
	}
	w.stats.LimitChanges, w.stats.Breaks = len(changes), len(taken)
	if err := w.insert("limit changes", len(changes), func(lo, hi int) []batch {
		rows := changes[lo:hi]
		return []batch{{&rows, 1000}}
	}); err != nil {
		return err
	}
	return w.insert("breaks", len(taken), func(lo, hi int) []batch {
		rows := taken[lo:hi]
		return []batch{{&rows, 1000}}
	})
}

// ordersByID lists p.orders' indexes in id order.
func (p *plan) ordersByID() []int32 {
	byID := make([]int32, len(p.orders))
	for i := range p.orders {
		byID[p.orders[i].id-1] = int32(i)
	}
	return byID
}

// trustlyOrderID is Trustly's orderid of seeded order o.
func trustlyOrderID(o *order) string { return strconv.FormatInt(1_400_000_000+o.id, 10) }

// model is order k as the cashier would have stored it by the end of its events.
func (p *plan) model(k int32) models.Order {
	o := &p.orders[k]
	pl := &p.players[o.player]
	a := &p.accounts[o.account]
	m := models.Order{ID: o.id, MessageID: o.message, PlayerID: pl.ID, EndUserID: pl.EndUserID,
		Amount: models.Money{Minor: o.minor, Currency: pl.Currency}, CreatedAt: o.created}
	at := func(t time.Time) *time.Time { return &t }
	last := o.created
	for _, t := range o.at {
		if t.After(last) {
			last = t
		}
	}
	m.UpdatedAt = last
	if !o.outcome.payout() {
		m.Kind, m.TrustlyOrderID = models.OrderDeposit, trustlyOrderID(o)
		m.StartedAt = at(o.created.Add(800 * time.Millisecond))
		m.CheckoutURL = "https://checkout.test.trustly.com/" + o.message[4:16] + "/checkout?session=" + o.message[16:]
		if pl.KYCAt != nil && o.outcome != depCancelled && o.outcome != depAbandoned {
			m.PayNPlay, m.KYCOutcome, m.KYCAt = true, models.KYCContinue, at(o.created.Add(20*time.Second))
		}
		switch o.outcome {
		case depCredited, depDebited:
			m.PendingAt, m.CreditedAt = at(o.at[0].Add(time.Second)), at(o.at[1])
			if o.outcome == depDebited {
				m.DebitedAt = at(o.at[2])
			}
		case depCancelled:
			m.CancelledAt = at(o.at[0])
		case depAbandoned:
			m.AbandonedAt = at(o.at[0])
		}
	} else {
		m.Kind, m.BankAccountID, m.AccountID = models.OrderPayout, a.id, accountID(a)
		m.Attempts, m.AttemptedAt = 1, at(o.created)
		switch o.outcome {
		case payConfirmed:
			m.TrustlyOrderID, m.SentAt, m.ConfirmedAt = trustlyOrderID(o), at(o.at[0]), at(o.at[1])
		case payRefused:
			m.FailedAt, m.ReleasedAt = at(o.at[0]), at(o.at[0])
			m.Reason = fmt.Sprintf("AccountPayout error %d ERROR_UNKNOWN", trustly.CodeUnknown)
		case payReturned:
			m.TrustlyOrderID, m.SentAt = trustlyOrderID(o), at(o.at[0])
			m.CreditedAt, m.ReturnedAt = at(o.at[1]), at(o.at[1])
		}
	}
	m.Refresh()
	return m
}

func (w *writer) orders() error {
	p := w.p
	byID := p.ordersByID()
	w.stats.Orders = len(byID)
	w.stats.Statuses = map[string]int{}
	return w.insert("orders", len(byID), func(lo, hi int) []batch {
		rows := make([]models.Order, 0, hi-lo)
		for _, k := range byID[lo:hi] {
			m := p.model(k)
			w.stats.Statuses[string(m.Kind)+" "+string(m.Status)]++
			rows = append(rows, m)
		}
		return []batch{{&rows, 400}}
	})
}

// apiCalls writes the call that started each order: Deposit, or AccountPayout.
func (w *writer) apiCalls() error {
	p := w.p
	byID := p.ordersByID()
	rng := rand.New(rand.NewPCG(p.cfg.Seed, 2<<40))
	text := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	const notifyURL = "https://cashier.example.com/trustly/notify/[token]"
	w.stats.APICalls = len(byID)
	return w.insert("api calls", len(byID), func(lo, hi int) []batch {
		rows := make([]models.APICall, 0, hi-lo)
		for _, k := range byID[lo:hi] {
			o := &p.orders[k]
			pl := &p.players[o.player]
			m := p.model(k)
			call := models.APICall{ID: o.id, OrderID: o.id, PlayerID: pl.ID, LatencyMS: int64(120 + rng.IntN(500)), At: o.created}
			if m.Kind == models.OrderDeposit {
				call.Method = "Deposit"
				call.Request = text(trustly.DepositParams{NotificationURL: notifyURL, EndUserID: pl.EndUserID,
					MessageID: m.MessageID, Currency: pl.Currency, Amount: m.Amount.String(), Firstname: pl.FirstName,
					Lastname: pl.LastName, Email: pl.Email, Country: pl.Country, Locale: models.TrustlyLocale(pl.Language, pl.Country),
					ShopperStatement: "Casino", IP: fmt.Sprintf("203.0.113.%d", 1+rng.IntN(254)),
					SuccessURL: "https://cashier.example.com/deposit/success?order=" + m.MessageID,
					FailURL:    "https://cashier.example.com/deposit/fail?order=" + m.MessageID,
					RequestKYC: m.PayNPlay, IntegrationModule: "cashier/1"})
				call.Response = text(trustly.DepositResult{OrderID: m.TrustlyOrderID, URL: m.CheckoutURL})
			} else {
				call.Method = "AccountPayout"
				call.Request = text(trustly.AccountPayoutParams{NotificationURL: notifyURL, EndUserID: pl.EndUserID,
					MessageID: m.MessageID, AccountID: m.AccountID, Amount: m.Amount.String(), Currency: pl.Currency,
					ShopperStatement: "Casino"})
				if m.FailedAt != nil {
					call.ErrorCode, call.Error = trustly.CodeUnknown, fmt.Sprintf("trustly error %d: ERROR_UNKNOWN", trustly.CodeUnknown)
				} else {
					call.Response = text(trustly.AccountPayoutResult{OrderID: m.TrustlyOrderID})
				}
			}
			rows = append(rows, call)
		}
		return []batch{{&rows, 1000}}
	})
}

// ledger is how the cashier books each event: from, to and memo.
var ledger = map[event]struct {
	from, to func(player int64) models.LedgerAccount
	memo     string
	name     string // the event in the reference
}{
	evCredit:  {clearing, models.PlayerWallet, "Deposit via Trustly", "credit"},
	evDebit:   {models.PlayerWallet, clearing, "Deposit returned by the bank", "debit"},
	evReserve: {models.PlayerWallet, models.PlayerReserved, "Payout reserved", "reserve"},
	evSend:    {models.PlayerReserved, clearing, "Payout via Trustly", "send"},
	evRelease: {models.PlayerReserved, models.PlayerWallet, "Payout not sent: back to your balance", "release"},
	evReturn:  {clearing, models.PlayerWallet, "Payout returned by the bank", "return"},
	evStake:   {models.PlayerWallet, games, "Played", "stake"},
	evWin:     {games, models.PlayerWallet, "Won", "win"},
}

func clearing(int64) models.LedgerAccount { return models.TrustlyClearing }
func games(int64) models.LedgerAccount    { return Games }

// transfers writes the ledger: each transfer with its two entries, in the order
// ledger.Post writes them (by account), and sums every account's balance.
func (w *writer) transfers() error {
	p := w.p
	w.sums = map[[2]string]int64{}
	w.stats.Transfers, w.stats.Entries = len(p.transfers), 2*len(p.transfers)
	return w.insert("transfers", len(p.transfers), func(lo, hi int) []batch {
		ts := make([]models.Transfer, 0, hi-lo)
		es := make([]models.Entry, 0, 2*(hi-lo))
		for _, t := range p.transfers[lo:hi] {
			pl := &p.players[t.player]
			how := ledger[t.event]
			ref := "game:" + strconv.FormatInt(t.id, 10) + ":" + how.name
			if t.order >= 0 {
				o := &p.orders[t.order]
				kind := "deposit:"
				if o.outcome.payout() {
					kind = "payout:"
				}
				ref = kind + strconv.FormatInt(o.id, 10) + ":" + how.name
			}
			ts = append(ts, models.Transfer{ID: t.id, Reference: ref, Currency: pl.Currency, Memo: how.memo, CreatedAt: t.at})
			from := models.Entry{TransferID: t.id, Account: how.from(pl.ID), Minor: -t.minor}
			to := models.Entry{TransferID: t.id, Account: how.to(pl.ID), Minor: t.minor}
			if to.Account < from.Account {
				from, to = to, from
			}
			from.ID, to.ID = 2*t.id-1, 2*t.id
			es = append(es, from, to)
			w.sums[[2]string{string(from.Account), pl.Currency}] += from.Minor
			w.sums[[2]string{string(to.Account), pl.Currency}] += to.Minor
		}
		return []batch{{&ts, 1000}, {&es, 2000}}
	})
}

// notifications writes what Trustly sent about the orders, as it arrived: the
// body (signed with a signature of the right shape that nothing verifies again)
// and the answer.
func (w *writer) notifications() error {
	p := w.p
	rng := rand.New(rand.NewPCG(p.cfg.Seed, 3<<40))
	signature := func() string {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	w.stats.Notifications = len(p.notes)
	return w.insert("notifications", len(p.notes), func(lo, hi int) []batch {
		rows := make([]models.Notification, 0, hi-lo)
		for _, n := range p.notes[lo:hi] {
			o := &p.orders[n.order]
			pl := &p.players[o.player]
			a := &p.accounts[o.account]
			id := strconv.FormatInt(3_000_000_000+n.id, 10)
			u := uuidOf(rng)
			data := map[string]any{"notificationid": id, "orderid": trustlyOrderID(o), "messageid": o.message}
			switch n.method {
			case "account":
				data["accountid"], data["verified"] = accountID(a), "1"
				data["attributes"] = map[string]any{"bank": a.bank, "descriptor": "**" + a.digits, "lastdigits": a.digits,
					"clearinghouse": pl.market.clearing}
			case "kyc":
				data["kycentityid"] = pl.KYCEntityID
				data["attributes"] = map[string]any{"personid": pl.PersonID, "firstname": pl.FirstName, "lastname": pl.LastName,
					"dob": pl.DateOfBirth, "street": pl.Street, "zipcode": pl.Zipcode, "city": pl.City, "country": pl.Country}
			default:
				data["enduserid"], data["timestamp"] = pl.EndUserID, trustly.FormatTimestamp(n.at)
				if n.method != "cancel" {
					data["amount"] = models.Money{Minor: o.minor, Currency: pl.Currency}.String()
					data["currency"] = pl.Currency
				}
				if n.method != "payoutconfirmation" {
					data["attributes"] = map[string]any{}
				}
			}
			raw, _ := json.Marshal(map[string]any{"method": n.method, "version": "1.1",
				"params": map[string]any{"signature": signature(), "uuid": u, "data": data}})
			answer, _ := json.Marshal(map[string]any{"version": "1.1", "result": map[string]any{"signature": signature(),
				"uuid": u, "method": n.method, "data": map[string]any{"status": trustly.StatusOK}}})
			orderID := o.id
			rows = append(rows, models.Notification{ID: n.id, NotificationID: id, Method: n.method, UUID: u,
				TrustlyOrderID: trustlyOrderID(o), OrderID: &orderID, Raw: string(raw), Answer: string(answer),
				Status: trustly.StatusOK, Deliveries: 1, ReceivedAt: n.at, LastDeliveryAt: n.at})
		}
		return []batch{{&rows, 1000}}
	})
}

// balances writes every account's balance: the sum of its entries.
func (w *writer) balances() error {
	keys := make([][2]string, 0, len(w.sums))
	for k := range w.sums {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	w.stats.Balances = len(keys)
	return w.insert("balances", len(keys), func(lo, hi int) []batch {
		rows := make([]models.Balance, 0, hi-lo)
		for _, k := range keys[lo:hi] {
			rows = append(rows, models.Balance{Account: models.LedgerAccount(k[0]), Currency: k[1], Minor: w.sums[k]})
		}
		return []batch{{&rows, 1000}}
	})
}

// seededTables are the tables Run writes ids into.
var seededTables = []string{"players", "bank_accounts", "deposit_limit_changes", "breaks", "orders", "api_calls",
	"transfers", "entries", "notifications"}

// finish moves PostgreSQL's id sequences past the ids written and ANALYZEs the
// tables; on SQLite it checkpoints the WAL into the database file.
func (w *writer) finish() error {
	if w.db.Dialector.Name() != "postgres" {
		return w.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
	}
	for _, t := range seededTables {
		err := w.db.Exec(fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), COALESCE((SELECT MAX(id) FROM %[1]s), 0) + 1, false)`, t)).Error
		if err != nil {
			return fmt.Errorf("sequence of %s: %w", t, err)
		}
	}
	return w.db.Exec("ANALYZE").Error
}
