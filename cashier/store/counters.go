package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// RateCounter is one limiter's count kept in the database (Counters): its key
// (an address or an account, with the limiter's prefix), the limiter's own
// encoding of its count, and when it ends. A count kept by Take is Hits, counted
// in the database itself, and its Value is empty.
type RateCounter struct {
	Name      string    `gorm:"primaryKey;size:255"`
	Value     []byte    `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null;index"`
	Hits      int64     `gorm:"not null;default:0"`
}

// Counters keeps rate limiters' counts in the database; on SQLite its writes wait
// for this process's writer (WriteLock), as every write does. It keeps them there so that every instance
// of the cashier on one PostgreSQL database counts the same attempts: behind a
// balancer spreading requests over n instances, counts kept in each instance's
// memory would allow n times the sign-in guesses. Its method set is Fiber's
// Storage (limiter.Config.Storage). A count is read and written back by the
// limiter, so requests at the same instant on two instances may both count as
// one; one after the other, as a guesser's are, each counts.
type Counters struct {
	db   *gorm.DB
	now  func() time.Time
	sets atomic.Int64
}

// sweepEvery is how many Sets pass between two deletions of ended counts.
const sweepEvery = 256

// NewCounters is Counters on db; now is the clock (time.Now when nil).
func NewCounters(db *gorm.DB, now func() time.Time) *Counters {
	if now == nil {
		now = time.Now
	}
	return &Counters{db: db, now: now}
}

func (c *Counters) tx() *gorm.DB { return c.db.WithContext(context.Background()) }

// Get returns the count under key, or nil when there is none or it has ended.
func (c *Counters) Get(key string) ([]byte, error) {
	var rows []RateCounter
	err := c.tx().Where("name = ? AND expires_at > ?", key, c.now().UTC()).Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0].Value, nil
}

// Set keeps val under key for exp (0: a day); every sweepEvery Sets it also
// deletes the counts that have ended.
func (c *Counters) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	if exp <= 0 {
		exp = 24 * time.Hour
	}
	now := c.now().UTC()
	row := RateCounter{Name: key, Value: val, ExpiresAt: now.Add(exp)}
	err := c.tx().Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "expires_at"})}).Create(&row).Error
	if err != nil {
		return err
	}
	if c.sets.Add(1)%sweepEvery == 0 {
		return c.tx().Where("expires_at <= ?", now).Delete(&RateCounter{}).Error
	}
	return nil
}

// Delete removes the count under key.
func (c *Counters) Delete(key string) error {
	return c.tx().Where("name = ?", key).Delete(&RateCounter{}).Error
}

// Reset removes every count.
func (c *Counters) Reset() error {
	return c.tx().Where("1 = 1").Delete(&RateCounter{}).Error
}

// Close does nothing: the database is the cashier's.
func (c *Counters) Close() error { return nil }

// Take counts one attempt under key and returns the attempts counted in its
// window, this one included, and when the window ends: it starts at the first
// attempt after the previous one ended and lasts window. The count is one
// statement in the database, so attempts at once on any number of instances each
// count (Get and Set, read by the limiter and written back, may count two as one).
func (c *Counters) Take(ctx context.Context, key string, now time.Time, window time.Duration) (int64, time.Time, error) {
	now = now.UTC()
	var row RateCounter
	// A statement returning rows writes when its rows are read, after GORM's
	// callbacks: it takes the writer itself (WriteLock).
	unlock := WriteLock(c.db)
	err := c.db.WithContext(ctx).Raw(`INSERT INTO rate_counters (name, value, expires_at, hits) VALUES (?, ?, ?, 1)
ON CONFLICT (name) DO UPDATE SET
	hits = CASE WHEN rate_counters.expires_at <= ? THEN 1 ELSE rate_counters.hits + 1 END,
	expires_at = CASE WHEN rate_counters.expires_at <= ? THEN excluded.expires_at ELSE rate_counters.expires_at END
RETURNING hits, expires_at`, key, []byte{}, now.Add(window), now, now).Scan(&row).Error
	unlock()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count %s: %w", key, err)
	}
	if c.sets.Add(1)%sweepEvery == 0 {
		if err := c.tx().Where("expires_at <= ?", now).Delete(&RateCounter{}).Error; err != nil {
			return 0, time.Time{}, err
		}
	}
	return row.Hits, row.ExpiresAt.UTC(), nil
}

// GiveBack takes back one attempt Take counted under key, in the window still
// running at now; never below zero.
func (c *Counters) GiveBack(ctx context.Context, key string, now time.Time) error {
	err := c.db.WithContext(ctx).Model(&RateCounter{}).Where("name = ? AND expires_at > ? AND hits > 0", key, now.UTC()).
		UpdateColumn("hits", gorm.Expr("hits - 1")).Error
	if err != nil {
		return fmt.Errorf("give back a count of %s: %w", key, err)
	}
	return nil
}
