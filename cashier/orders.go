package cashier

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrOrderNotFound means the player has no order with that id. An order of another
// player is not found either, so ids cannot be probed.
var ErrOrderNotFound = errors.New("order not found")

// historyLimit is how many orders and wallet movements History shows.
const historyLimit = 100

// OrderByMessageID returns the player's order with messageID (the id in the
// success and fail URLs), or ErrOrderNotFound.
func (s *Service) OrderByMessageID(ctx context.Context, player models.Player, messageID string) (models.Order, error) {
	return orderByMessageID(ctx, s.db, player, messageID)
}

// orderByMessageID is OrderByMessageID on db, which may be a transaction.
func orderByMessageID(ctx context.Context, db *gorm.DB, player models.Player, messageID string) (models.Order, error) {
	var order models.Order
	err := db.WithContext(ctx).Where("message_id = ? AND player_id = ?", messageID, player.ID).Limit(1).Find(&order).Error
	switch {
	case err != nil:
		return models.Order{}, fmt.Errorf("order %s: %w", messageID, err)
	case order.ID == 0:
		return models.Order{}, fmt.Errorf("order %s: %w", messageID, ErrOrderNotFound)
	}
	return order, nil
}

// Blocked reports whether the player's wallet is below zero, which happens when a
// credited deposit is debited after being played, or a payout is paid after its
// cancel gave the money back (belowZeroCauses). A blocked player may neither
// deposit nor withdraw until staff settle it.
func (s *Service) Blocked(ctx context.Context, player models.Player) (bool, error) {
	return walletBelowZero(ctx, s.db, player)
}

// walletBelowZero is Blocked read in db, which may be a transaction.
func walletBelowZero(ctx context.Context, db *gorm.DB, player models.Player) (bool, error) {
	w, err := ledger.New(db).Balance(ctx, models.PlayerWallet(player.ID), player.Currency)
	if err != nil {
		return false, err
	}
	return w.Minor < 0, nil
}

// ReturnedDeposit is the player's newest deposit that the bank returned (a debit
// booked after its credit), one of the two bookings that put a wallet below zero
// (belowZeroCauses); ok is false when there is none.
func (s *Service) ReturnedDeposit(ctx context.Context, player models.Player) (order models.Order, ok bool, err error) {
	return returnedDeposit(ctx, s.db, player)
}

// returnedDeposit is ReturnedDeposit on db, which may be a transaction.
func returnedDeposit(ctx context.Context, db *gorm.DB, player models.Player) (order models.Order, ok bool, err error) {
	err = db.WithContext(ctx).Where("player_id = ? AND kind = ? AND status = ?", player.ID, models.OrderDeposit, models.OrderDebited).
		Order("created_at DESC, id DESC").Limit(1).Find(&order).Error
	if err != nil {
		return models.Order{}, false, fmt.Errorf("returned deposit of player %d: %w", player.ID, err)
	}
	return order, order.ID != 0, nil
}

// forUpdate locks the rows a query reads until the transaction ends: SELECT … FOR
// UPDATE on PostgreSQL. SQLite has no row locks and needs none: with BEGIN
// IMMEDIATE every write transaction holds the database's write lock from its start.
func forUpdate(tx *gorm.DB) *gorm.DB {
	if tx.Dialector.Name() == "postgres" {
		return tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
	}
	return tx
}

// forUpdateSQL is forUpdate for a statement of our own: " FOR UPDATE" on
// PostgreSQL, nothing on SQLite.
func forUpdateSQL(tx *gorm.DB) string {
	if tx.Dialector.Name() == "postgres" {
		return " FOR UPDATE"
	}
	return ""
}

// writeTx runs fn in a write transaction and returns when its effects are
// committed, durably (synchronous=FULL on SQLite), or when nothing of it was
// written: fn's error, a failed commit, or ctx already done. On PostgreSQL it is
// db.Transaction.
//
// On SQLite, calls made while another batch commits are committed together, each
// in a SAVEPOINT of one transaction, which holds this process's writer
// (store.WriteLock, taken by every transaction on SQLite): one commit, and one fsync,
// for the batch instead of one per call. fn's error (or panic) rolls back to its
// savepoint, so it undoes only its own writes, and the batch goes on; a failed
// commit fails every call in it. The batch runs its calls in arrival order, each
// seeing the ones before it, so the outcome is that of the same calls in separate
// transactions one after the other. fn must not keep tx, nor call writeTx or
// write through db: the batch already holds the writer. Its statements cannot be
// cancelled half-way: on SQLite an interrupted statement may end the whole
// transaction, which other calls share.
func writeTx(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	if db.Dialector.Name() != "sqlite" {
		return db.WithContext(ctx).Transaction(fn)
	}
	return group(db).do(ctx, db, fn)
}

// readTx runs fn in a read-only transaction, so that all its queries see the
// database at one moment: a page that shows a balance next to the orders and
// entries behind it never mixes two states. It is a REPEATABLE READ, READ ONLY
// transaction on store.Reads(db): on PostgreSQL the pool itself; on SQLite, whose
// write pool begins every transaction with BEGIN IMMEDIATE (which would take the
// write lock and queue behind writers), a pool of query-only connections whose
// transactions are deferred: in WAL mode one snapshot, taken at its first query,
// while writers go on; its statements stay prepared from one transaction to the
// next. fn must only read, and must not keep tx.
func readTx(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	return store.Reads(db).WithContext(ctx).Transaction(fn, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
}

// commitGroup is the queue of write transactions waiting to be committed together.
// One caller at a time leads: it takes the queue as one batch, commits it, and
// hands the lead to the first caller that queued meanwhile, which then commits the
// next batch. Every caller gets exactly one result on its done channel.
type commitGroup struct {
	mu      sync.Mutex
	queue   []*groupedTx
	leading bool // a caller leads, or has been told to lead
	// coming counts callers that said they will call writeTx soon (expectWrite)
	// and have not yet; arrived wakes a leader waiting for them.
	coming  int
	arrived chan struct{}
}

// commitDelay is how long a leader waits for writes announced as coming
// (expectWrite) before it commits without them, as PostgreSQL's commit_delay
// waits when commit_siblings other transactions are active.
const commitDelay = 2 * time.Millisecond

type groupedTx struct {
	ctx  context.Context
	fn   func(tx *gorm.DB) error
	done chan error // errLead, then the result; or only the result
}

// errLead tells a queued caller to commit the next batch; it never leaves this file.
var errLead = errors.New("lead the next batch")

// maxBatch bounds how long one commit holds the write lock.
const maxBatch = 64

func (g *commitGroup) do(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	w := &groupedTx{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	if e, ok := ctx.Value(expectedKey{}).(*expected); ok && e.g == g {
		e.endLocked()
	}
	if !g.leading {
		g.leading = true
		w.done <- errLead
	}
	g.mu.Unlock()
	g.wake()
	for {
		err := <-w.done
		if err != errLead {
			return err
		}
		g.lead(db)
	}
}

// wake tells a waiting leader that the queue grew.
func (g *commitGroup) wake() {
	select {
	case g.arrived <- struct{}{}:
	default:
	}
}

// expectWrite tells db's commit group that a writeTx call with the returned
// context is coming (a notification verified and being signed), so that a leader
// may wait for it (commitDelay). done must be called when the caller returns; the
// expectation ends earlier, when its writeTx is queued.
func expectWrite(ctx context.Context, db *gorm.DB) (context.Context, func()) {
	if db.Dialector.Name() != "sqlite" {
		return ctx, func() {}
	}
	g := group(db)
	e := &expected{g: g}
	g.mu.Lock()
	g.coming++
	g.mu.Unlock()
	return context.WithValue(ctx, expectedKey{}, e), func() {
		g.mu.Lock()
		e.endLocked()
		g.mu.Unlock()
		g.wake()
	}
}

type expectedKey struct{}

// expected is one announced write; ended once.
type expected struct {
	g     *commitGroup
	ended bool
}

func (e *expected) endLocked() {
	if !e.ended {
		e.ended = true
		e.g.coming--
	}
}

// group is db's commit queue, one per open SQLite database (store.PoolValue):
// every session of it shares it, and store.Close forgets it.
func group(db *gorm.DB) *commitGroup {
	return store.PoolValue(db, "cashier:commit-group", func() *commitGroup {
		return &commitGroup{arrived: make(chan struct{}, 1)}
	})
}

// lead commits one batch from the front of the queue and passes the lead on.
func (g *commitGroup) lead(db *gorm.DB) {
	g.mu.Lock()
	deadline := time.Now().Add(commitDelay)
	for g.coming > 0 && len(g.queue) < maxBatch {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		g.mu.Unlock()
		t := time.NewTimer(left)
		select {
		case <-g.arrived:
		case <-t.C:
		}
		t.Stop()
		g.mu.Lock()
	}
	n := min(len(g.queue), maxBatch)
	batch := append([]*groupedTx(nil), g.queue[:n]...)
	g.queue = append(g.queue[:0:0], g.queue[n:]...)
	g.mu.Unlock()

	results := commitBatch(db, batch)

	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].done <- errLead
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	for i, w := range batch {
		w.done <- results[i]
	}
}

// commitBatch runs batch in one transaction, each call in its own savepoint, and
// returns each call's result once the transaction has ended.
func commitBatch(db *gorm.DB, batch []*groupedTx) []error {
	results := make([]error, len(batch))
	err := db.WithContext(context.Background()).Transaction(func(tx *gorm.DB) error {
		for i, w := range batch {
			if err := w.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			sp := batchSavepoints[i]
			if _, err := raw.Exec(tx.Statement.Context, tx, batchSavepointSQL[i]); err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			if results[i] = runGrouped(tx.WithContext(context.WithoutCancel(w.ctx)), w.fn); results[i] != nil {
				if err := tx.RollbackTo(sp).Error; err != nil {
					return fmt.Errorf("rollback to savepoint: %w", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		for i := range results {
			results[i] = fmt.Errorf("write batch: %w", err)
		}
	}
	return results
}

// batchSavepoints names the savepoint of each call in a batch, and
// batchSavepointSQL makes it. Each SAVEPOINT is a statement of our own
// (store/raw), its text made once: GORM's SavePoint built a statement anew for
// every call, and Sprintf its name.
var batchSavepoints, batchSavepointSQL = func() (names, sql [maxBatch]string) {
	for i := range names {
		names[i] = fmt.Sprintf("batch%d", i)
		sql[i] = "SAVEPOINT " + names[i]
	}
	return names, sql
}()

// runGrouped runs fn, turning a panic into an error so that only fn's savepoint is
// rolled back.
func runGrouped(tx *gorm.DB, fn func(tx *gorm.DB) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(tx)
}

// saveChanges writes the columns in which order differs from before, the same
// order as read, and UpdatedAt. Writing only those, instead of every column as Save
// does, spares the database from rewriting every index of the orders table. The
// UPDATE is a statement of its own (store/raw): GORM's Updates built it anew, with
// a clone of the statement and its clauses, for every notification.
func saveChanges(tx *gorm.DB, before, order *models.Order) error {
	stmt := &gorm.Statement{DB: tx}
	if err := stmt.Parse(order); err != nil {
		return err
	}
	ctx := tx.Statement.Context
	order.UpdatedAt = tx.NowFunc()
	was, now := reflect.ValueOf(before).Elem(), reflect.ValueOf(order).Elem()
	var set strings.Builder
	set.WriteString("UPDATE orders SET updated_at = ?")
	args := []any{order.UpdatedAt}
	for _, f := range stmt.Schema.Fields {
		if f.DBName == "" || f.PrimaryKey || f.DBName == "updated_at" {
			continue
		}
		if sameValue(f.ReflectValueOf(ctx, was), f.ReflectValueOf(ctx, now)) {
			continue
		}
		y, _ := f.ValueOf(ctx, now)
		set.WriteString(", " + f.DBName + " = ?")
		args = append(args, y)
	}
	set.WriteString(" WHERE id = ?")
	n, err := raw.Exec(ctx, tx, set.String(), append(args, order.ID)...)
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("order %d: %w", order.ID, ErrOrderNotFound)
	}
	return nil
}

// sameValue reports whether x and y, one field of two orders, are equal as
// reflect.DeepEqual would say, without putting either in an interface: the order
// has some sixty columns, and boxing each of them twice was most of saveChanges'
// garbage. Values compared as equal are equal; two pointers are followed, and
// kinds == cannot compare (none in an order today) go to reflect.DeepEqual. It
// may see a difference DeepEqual would not (two times with equal locations held
// apart), which only writes a column again.
func sameValue(x, y reflect.Value) bool {
	switch x.Kind() {
	case reflect.Pointer:
		if x.IsNil() || y.IsNil() {
			return x.IsNil() == y.IsNil()
		}
		return x.Pointer() == y.Pointer() || sameValue(x.Elem(), y.Elem())
	case reflect.Slice, reflect.Map, reflect.Interface, reflect.Func, reflect.Array:
		return reflect.DeepEqual(x.Interface(), y.Interface())
	}
	return x.Comparable() && x.Equal(y)
}

// takeResultOrderID records orderID, from Trustly's answer to the call that
// started o (Deposit, SelectAccount, AccountPayout), as o's Trustly orderid,
// unless a notification that overtook the answer taught o one already: that one
// is kept, as notifications and GetWithdrawals go by it, and when the answer
// names another, Trustly's two words are flagged for staff, with an alert.
func takeResultOrderID(o *models.Order, orderID string, log *slog.Logger) {
	switch {
	case o.TrustlyOrderID == "":
		o.TrustlyOrderID = orderID
	case orderID != "" && orderID != o.TrustlyOrderID:
		o.AddFlag(models.FlagKindOtherOrderID, fmt.Sprintf("Trustly's answer to the call named orderid %.64s; a notification before it named %s, which is kept: check it with Trustly",
			orderID, o.TrustlyOrderID))
		log.Error("alert: a notification for this order named another Trustly orderid than the API result",
			"trustly_order_id", orderID, "notified_trustly_order_id", o.TrustlyOrderID)
	}
}
