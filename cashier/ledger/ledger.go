// Package ledger is the only writer of ledger entries. It books double-entry
// transfers in integer minor units, keeps every account's balance current in the
// same transaction, and makes a repeated event a no-op through its reference.
package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

var (
	// ErrInsufficientFunds means a guarded account would go below zero.
	ErrInsufficientFunds = errors.New("insufficient funds")
	// ErrReferenceReused means the reference was posted before with other entries.
	ErrReferenceReused = errors.New("reference already posted with other entries")
)

// Ledger books transfers on db, which may be a transaction: ledger.New(tx) inside a
// caller's transaction makes the transfer part of it.
type Ledger struct{ db *gorm.DB }

// New returns a ledger writing through db.
func New(db *gorm.DB) *Ledger { return &Ledger{db: db} }

// Post records t. If t.Reference was already posted with the same entries, Post
// returns that transfer with Replayed set; with different entries it fails with
// ErrReferenceReused. A guarded account (a player's) may not go below zero unless
// t.AllowOverdraft; then ErrInsufficientFunds and nothing is written.
//
// Post runs in its own transaction, or in the caller's. A duplicate reference
// inserts nothing (ON CONFLICT DO NOTHING), so it never aborts the caller's
// transaction on PostgreSQL. A transfer that can be refused after its first
// statement (ErrInsufficientFunds: a guarded account debited without overdraft)
// runs in a savepoint of the caller's transaction, rolled back to when it is, so
// the caller may go on without it; any other error is the database's, and the
// caller's transaction must end with it.
func (l *Ledger) Post(ctx context.Context, t models.Transfer) (models.Transfer, error) {
	if err := t.Validate(); err != nil {
		return models.Transfer{}, err
	}
	entries := t.Entries
	t.Entries = nil
	t.ID = 0
	if t.CreatedAt.IsZero() {
		t.CreatedAt = l.db.NowFunc()
	}
	run := inTx
	if guardedDebit(entries, t.AllowOverdraft) {
		run = inSavepoint
	}
	err := run(ctx, l.db, func(tx *gorm.DB) error {
		err := raw.QueryRow(ctx, tx, "INSERT INTO transfers (reference, currency, memo, created_at) VALUES (?, ?, ?, ?) "+
			"ON CONFLICT (reference) DO NOTHING RETURNING id", []any{t.Reference, t.Currency, t.Memo, t.CreatedAt}, &t.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return errPosted
		}
		if err != nil {
			return err
		}
		// Lock balance rows in account order so concurrent transfers cannot deadlock.
		sorted := append([]models.Entry(nil), entries...)
		slices.SortFunc(sorted, func(a, b models.Entry) int { return strings.Compare(string(a.Account), string(b.Account)) })
		args := make([]any, 0, 3*len(sorted))
		for i := range sorted {
			e := &sorted[i]
			e.ID, e.TransferID = 0, t.ID
			args = append(args, t.ID, string(e.Account), e.Minor)
		}
		if err := apply(ctx, tx, sorted, t.Currency, t.Reference, t.AllowOverdraft); err != nil {
			return err
		}
		i := 0
		err = raw.Each(ctx, tx, insertEntries(len(sorted)), args, func(scan func(...any) error) error {
			if i == len(sorted) {
				return errors.New("more entry ids returned than entries inserted")
			}
			i++
			return scan(&sorted[i-1].ID)
		})
		if err != nil {
			return err
		}
		t.Entries = sorted
		return nil
	})
	switch {
	case errors.Is(err, errPosted):
		t.Entries = entries
		return l.previous(ctx, t)
	case err != nil:
		return models.Transfer{}, fmt.Errorf("post %s: %w", t.Reference, err)
	}
	return t, nil
}

// savepoint is the name of Post's savepoint in a caller's transaction. Always the
// same name: a nested gorm Transaction names each savepoint afresh, and with GORM's
// statement cache each of those names was a statement prepared, cached and evicted
// again, taking a hot statement out of the cache with it. Savepoints of one name
// nest: ROLLBACK TO undoes back to the latest.
const savepoint = "ledger_post"

// errPosted says the transfer's reference is posted already: nothing was written.
var errPosted = errors.New("reference posted already")

// guardedDebit reports whether entries debit a guarded account that may not go
// below zero: the one way a transfer is refused after it began to be written.
func guardedDebit(entries []models.Entry, overdraft bool) bool {
	return slices.ContainsFunc(entries, func(e models.Entry) bool { return guarded(e, overdraft) })
}

// inTx runs fn in db's transaction, or in a transaction of its own when db is not
// in one. In the caller's transaction fn gets db itself, not a new session of it:
// Post's statements are its own (store/raw), which take their context apart and
// use only the session's connection, so a session (two clones of GORM's statement
// a transfer) would change nothing they run.
func inTx(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	if !inCallerTx(db) {
		return db.WithContext(ctx).Transaction(fn)
	}
	return fn(db)
}

// inCallerTx reports whether db is in a transaction of its caller's.
func inCallerTx(db *gorm.DB) bool {
	c, ok := db.Statement.ConnPool.(gorm.TxCommitter)
	return ok && c != nil
}

// inSavepoint runs fn in a savepoint of db's transaction, rolled back to if fn
// fails or panics, or in a transaction of its own when db is not in one.
func inSavepoint(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) (err error) {
	db = db.WithContext(ctx)
	if !inCallerTx(db) {
		return db.Transaction(fn)
	}
	if err := db.SavePoint(savepoint).Error; err != nil {
		return err
	}
	done := false
	defer func() {
		if !done || err != nil {
			if rerr := db.RollbackTo(savepoint).Error; rerr != nil && err != nil {
				err = fmt.Errorf("%w (and rolling back to its savepoint: %w)", err, rerr)
			}
		}
	}()
	err = fn(db.Session(&gorm.Session{NewDB: true}))
	done = true
	return err
}

// apply changes the balances of entries, sorted by account, in that order. A
// guarded account (a player's) debited without overdraft is changed only if it
// stays at or above zero, decided by the database in a conditional UPDATE, so
// concurrent posts cannot overdraw it; a missing row is a zero balance, which such
// a debit cannot take from. Every other run of entries between them creates its
// rows or adds to them in one INSERT … ON CONFLICT DO UPDATE, which SQLite and
// PostgreSQL both run row by row in the order given, each an atomic step on its
// row (a transfer names an account once: Validate). A house account's row is one
// of its shards (balanceRow), the same for all of a transfer's house accounts, so
// the rows are still locked in account order.
func apply(ctx context.Context, tx *gorm.DB, entries []models.Entry, currency, reference string, overdraft bool) error {
	for i := 0; i < len(entries); {
		e := entries[i]
		if guarded(e, overdraft) {
			changed, err := raw.Exec(ctx, tx, "UPDATE balances SET minor = minor + ? WHERE account = ? AND currency = ? AND minor + ? >= 0",
				e.Minor, string(e.Account), currency, e.Minor)
			if err != nil {
				return err
			}
			if changed != 1 {
				return fmt.Errorf("%w on %s", ErrInsufficientFunds, e.Account)
			}
			i++
			continue
		}
		j := i + 1
		for j < len(entries) && !guarded(entries[j], overdraft) {
			j++
		}
		changed, err := raw.Exec(ctx, tx, addBalances(j-i), balanceArgs(entries[i:j], currency, reference)...)
		if err != nil {
			return err
		}
		if changed != int64(j-i) {
			return fmt.Errorf("%d of %d balances changed", changed, j-i)
		}
		i = j
	}
	return nil
}

// guarded reports whether e debits a guarded account that may not go below zero.
func guarded(e models.Entry, overdraft bool) bool {
	return e.Account.Guarded() && !overdraft && e.Minor < 0
}

// addBalances is the statement adding n entries to their balances, creating the
// rows not there yet.
func addBalances(n int) string {
	if n > 0 && n < len(addBalancesSQL) {
		return addBalancesSQL[n]
	}
	return addBalancesText(n)
}

func addBalancesText(n int) string {
	return "INSERT INTO balances (account, currency, minor) VALUES " + rows(n) +
		" ON CONFLICT (account, currency) DO UPDATE SET minor = balances.minor + excluded.minor"
}

// addBalancesSQL and insertEntriesSQL hold the statements for transfers of up to
// three entries, made once rather than for every transfer.
var addBalancesSQL, insertEntriesSQL = statements(addBalancesText), statements(insertEntriesText)

func statements(text func(n int) string) (out [4]string) {
	for n := 1; n < len(out); n++ {
		out[n] = text(n)
	}
	return out
}

func balanceArgs(entries []models.Entry, currency, reference string) []any {
	args := make([]any, 0, 3*len(entries))
	for _, e := range entries {
		args = append(args, balanceRow(e.Account, reference), currency, e.Minor)
	}
	return args
}

// houseShards is how many balances rows hold a house account's balance (every
// account but a player's: trustly:clearing takes part in every deposit and
// payout). Its balance is their sum. With one row, every transfer through the
// house account waited on PostgreSQL for that row's lock, held until its
// transaction committed, so notifications were applied one at a time however many
// cashier instances ran; spread over houseShards rows, concurrent transfers rarely
// meet. A player's balance stays one row: the overdraft guard is a condition on it.
const houseShards = 16

// shardMark separates a house account's name from its shard's number in the
// balances table ("trustly:clearing#7"); shard 0 is the account's own name, the
// row older versions kept. Entries always name the account itself.
const shardMark = "#"

// balanceRow is the balances row that an entry on account changes in the
// transfer with reference: the account's own for a player's account, for a house
// account one of its houseShards rows, chosen by the reference.
func balanceRow(account models.LedgerAccount, reference string) string {
	if account.Guarded() {
		return string(account)
	}
	return shardName(account, int(fnv32a(reference)%houseShards))
}

// fnv32a is the FNV-1a hash of s, as hash/fnv's New32a sums it, without a hash
// object and a copy of s to write to it on every transfer.
func fnv32a(s string) uint32 {
	const offset, prime = 2166136261, 16777619
	h := uint32(offset)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= prime
	}
	return h
}

// shardName is the balances row of a house account's shard k.
func shardName(account models.LedgerAccount, k int) string {
	if k == 0 {
		return string(account)
	}
	return string(account) + shardMark + strconv.Itoa(k)
}

// balanceAccount is the account whose balance a balances row holds part of.
func balanceAccount(row string) models.LedgerAccount {
	account, _, _ := strings.Cut(row, shardMark)
	return models.LedgerAccount(account)
}

// rows is n rows of three placeholders: "(?, ?, ?), (?, ?, ?)".
func rows(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?)")
	}
	return b.String()
}

// insertEntries is the statement inserting n entries, returning their ids.
func insertEntries(n int) string {
	if n > 0 && n < len(insertEntriesSQL) {
		return insertEntriesSQL[n]
	}
	return insertEntriesText(n)
}

func insertEntriesText(n int) string {
	return "INSERT INTO entries (transfer_id, account, minor) VALUES " + rows(n) + " RETURNING id"
}

func (l *Ledger) previous(ctx context.Context, t models.Transfer) (models.Transfer, error) {
	var prev models.Transfer
	if err := l.db.WithContext(ctx).Preload("Entries").Where("reference = ?", t.Reference).Take(&prev).Error; err != nil {
		return models.Transfer{}, fmt.Errorf("post %s: read previous: %w", t.Reference, err)
	}
	if !prev.SameEntries(&t) {
		return models.Transfer{}, fmt.Errorf("post %s: %w", t.Reference, ErrReferenceReused)
	}
	prev.Replayed = true
	return prev, nil
}

// Balance is the account's balance in currency; an account never used has zero.
func (l *Ledger) Balance(ctx context.Context, account models.LedgerAccount, currency string) (models.Money, error) {
	// Every page reads a balance: a statement of our own, not GORM's Find.
	var minor int64
	var err error
	if account.Guarded() {
		err = raw.QueryRow(ctx, l.db, "SELECT minor FROM balances WHERE account = ? AND currency = ?",
			[]any{string(account), currency}, &minor)
	} else {
		// A house account's shards (balanceRow), each a lookup of the primary key.
		args := []any{currency}
		for k := range houseShards {
			args = append(args, shardName(account, k))
		}
		err = raw.QueryRow(ctx, l.db, "SELECT COALESCE(SUM(minor), 0) FROM balances WHERE currency = ? AND account IN ("+
			strings.TrimSuffix(strings.Repeat("?, ", houseShards), ", ")+")", args, &minor)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return models.Money{}, fmt.Errorf("balance of %s: %w", account, err)
	}
	return models.Money{Minor: minor, Currency: currency}, nil
}

// Balances returns the balances of the players' accounts given, in every
// currency each holds, read in one statement however many there are (a list
// showing many players must not read them one by one). An account or currency
// without a row is absent, which reads as zero. House accounts, kept in shards,
// are not read here (Balance).
func (l *Ledger) Balances(ctx context.Context, accounts []models.LedgerAccount) (map[models.LedgerAccount]map[string]models.Money, error) {
	out := map[models.LedgerAccount]map[string]models.Money{}
	args := make([]any, 0, len(accounts))
	for _, a := range accounts {
		if !a.Guarded() {
			return nil, fmt.Errorf("balances: %s is a house account", a)
		}
		args = append(args, string(a))
	}
	if len(args) == 0 {
		return out, nil
	}
	query := "SELECT account, currency, minor FROM balances WHERE account IN (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ") + ")"
	err := raw.Each(ctx, l.db, query, args, func(scan func(dest ...any) error) error {
		var account, currency string
		var minor int64
		if err := scan(&account, &currency, &minor); err != nil {
			return err
		}
		a := models.LedgerAccount(account)
		if out[a] == nil {
			out[a] = map[string]models.Money{}
		}
		out[a][currency] = models.Money{Minor: minor, Currency: currency}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("balances of %d accounts: %w", len(args), err)
	}
	return out, nil
}

// Movement is one entry with its transfer, for statements.
type Movement struct {
	models.Entry
	Reference string
	Memo      string
	Currency  string
	CreatedAt time.Time
}

// Movements lists the newest entries on account, at most limit of them.
func (l *Ledger) Movements(ctx context.Context, account models.LedgerAccount, limit int) ([]Movement, error) {
	var out []Movement
	err := l.db.WithContext(ctx).Table("entries").
		Select("entries.*, transfers.reference, transfers.memo, transfers.currency, transfers.created_at").
		Joins("JOIN transfers ON transfers.id = entries.transfer_id").
		Where("entries.account = ?", account).
		Order("entries.id DESC").Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("movements of %s: %w", account, err)
	}
	return out, nil
}

// Audit checks the ledger's invariants: entries sum to zero per currency, and every
// stored balance equals the sum of its account's entries. It scans history, so it
// is for tests, reports and a nightly check, not for each request.
func (l *Ledger) Audit(ctx context.Context) error {
	type sum struct {
		Account  string
		Currency string
		Total    int64
	}
	var sums []sum
	err := l.db.WithContext(ctx).Table("entries").
		Select("entries.account AS account, transfers.currency AS currency, SUM(entries.minor) AS total").
		Joins("JOIN transfers ON transfers.id = entries.transfer_id").
		Group("entries.account, transfers.currency").Scan(&sums).Error
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	perCurrency := map[string]int64{}
	fromEntries := map[string]int64{}
	for _, s := range sums {
		perCurrency[s.Currency] += s.Total
		fromEntries[s.Account+" "+s.Currency] = s.Total
	}
	for c, total := range perCurrency {
		if total != 0 {
			return fmt.Errorf("audit: %s entries sum to %d, not zero", c, total)
		}
	}
	var rows []models.Balance
	if err := l.db.WithContext(ctx).Find(&rows).Error; err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	stored := map[string]int64{} // a house account's shards summed (balanceRow)
	for _, b := range rows {
		if b.Account.Guarded() && balanceAccount(string(b.Account)) != b.Account {
			return fmt.Errorf("audit: balances row %s: a player's balance is not sharded", b.Account)
		}
		stored[string(balanceAccount(string(b.Account)))+" "+b.Currency] += b.Minor
	}
	keys := slices.Sorted(maps.Keys(stored))
	for k := range fromEntries {
		if _, ok := stored[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if got, want := stored[k], fromEntries[k]; got != want {
			account, currency, _ := strings.Cut(k, " ")
			return fmt.Errorf("audit: balance of %s is %d %s, entries say %d", account, got, currency, want)
		}
	}
	return nil
}
