package cashier

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/trustly-cashier/cashier/cashier/ledger"
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
	var order models.Order
	err := s.db.WithContext(ctx).Where("message_id = ? AND player_id = ?", messageID, player.ID).Limit(1).Find(&order).Error
	switch {
	case err != nil:
		return models.Order{}, fmt.Errorf("order %s: %w", messageID, err)
	case order.ID == 0:
		return models.Order{}, fmt.Errorf("order %s: %w", messageID, ErrOrderNotFound)
	}
	return order, nil
}

// History returns the player's newest orders and the newest movements of their
// wallet, at most 100 of each, newest first. Orders say what was asked and where it
// stands; movements say what money actually moved.
func (s *Service) History(ctx context.Context, player models.Player) ([]models.Order, []ledger.Movement, error) {
	var orders []models.Order
	err := s.db.WithContext(ctx).Where("player_id = ?", player.ID).Order("created_at DESC, id DESC").Limit(historyLimit).Find(&orders).Error
	if err != nil {
		return nil, nil, fmt.Errorf("history of player %d: %w", player.ID, err)
	}
	moves, err := ledger.New(s.db).Movements(ctx, models.PlayerWallet(player.ID), historyLimit)
	if err != nil {
		return nil, nil, fmt.Errorf("history of player %d: %w", player.ID, err)
	}
	return orders, moves, nil
}

// Blocked reports whether the player's wallet is below zero, which happens when a
// credited deposit is debited after being played. A blocked player may neither
// deposit nor withdraw until staff settle it.
func (s *Service) Blocked(ctx context.Context, player models.Player) (bool, error) {
	w, err := ledger.New(s.db).Balance(ctx, models.PlayerWallet(player.ID), player.Currency)
	if err != nil {
		return false, err
	}
	return w.Minor < 0, nil
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

// sqliteWriters holds one mutex per SQLite connection pool (*sql.DB).
var sqliteWriters sync.Map

// writeLock serializes this process's write transactions on a SQLite database and
// returns the unlock function; on PostgreSQL it does nothing. SQLite allows one
// writer at a time anyway, and a writer that finds the database busy waits in
// SQLite's busy handler, which sleeps in growing steps of up to 100 ms: under a
// burst of notifications that polling, not the work, set the pace. Waiting on a
// mutex hands the lock over at once.
func writeLock(db *gorm.DB) func() {
	if db.Dialector.Name() != "sqlite" {
		return func() {}
	}
	key := any(db.Dialector)
	if sqlDB, err := db.DB(); err == nil {
		key = sqlDB
	}
	m, _ := sqliteWriters.LoadOrStore(key, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// saveChanges writes the columns in which order differs from before, the same
// order as read, and UpdatedAt. Writing only those, instead of every column as Save
// does, spares the database from rewriting every index of the orders table.
func saveChanges(tx *gorm.DB, before, order *models.Order) error {
	stmt := &gorm.Statement{DB: tx}
	if err := stmt.Parse(order); err != nil {
		return err
	}
	was, now := reflect.ValueOf(before).Elem(), reflect.ValueOf(order).Elem()
	cols := []string{"updated_at"}
	for _, f := range stmt.Schema.Fields {
		if f.DBName == "" || f.PrimaryKey || f.DBName == "updated_at" {
			continue
		}
		x, _ := f.ValueOf(tx.Statement.Context, was)
		y, _ := f.ValueOf(tx.Statement.Context, now)
		if !reflect.DeepEqual(x, y) {
			cols = append(cols, f.DBName)
		}
	}
	res := tx.Model(order).Select(cols).Updates(order)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("order %d: %w", order.ID, ErrOrderNotFound)
	}
	return nil
}
