// Package breaks keeps the breaks from play that players choose at this operator:
// time-outs (24 hours, 7 days, 30 days) and self-exclusions (6 months, permanent).
// They are not the national self-exclusion registers (package exclusions): a break
// is the player's own choice here, stored here.
//
// A break cannot be undone or shortened. Rows are only inserted: no code updates or
// deletes one, and the database refuses to (store.appendOnly's triggers). A new
// break is accepted only when it ends later than the one running, so the break in
// force is always the latest-ending row that has started, whatever order rows arrive
// in.
package breaks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"gorm.io/gorm"
)

// Kind is the length of a break the player chose.
type Kind string

const (
	TimeOut24h    Kind = "time-out-24h"             // 24 hours from the moment it is taken
	TimeOut7d     Kind = "time-out-7d"              // 7 × 24 hours
	TimeOut30d    Kind = "time-out-30d"             // 30 × 24 hours
	Exclusion6m   Kind = "self-exclusion-6m"        // six calendar months in UTC (time.AddDate, so never shorter)
	ExclusionEver Kind = "self-exclusion-permanent" // never ends
)

// Kinds lists every kind, shortest first, as the player is offered them.
var Kinds = []Kind{TimeOut24h, TimeOut7d, TimeOut30d, Exclusion6m, ExclusionEver}

// Label is the kind for people: "a 7-day time-out".
func (k Kind) Label() string {
	switch k {
	case TimeOut24h:
		return "a 24-hour time-out"
	case TimeOut7d:
		return "a 7-day time-out"
	case TimeOut30d:
		return "a 30-day time-out"
	case Exclusion6m:
		return "a 6-month self-exclusion"
	case ExclusionEver:
		return "a permanent self-exclusion"
	}
	return string(k)
}

// End is when a break of kind taken at start ends, in UTC; ok is false for a
// permanent one, and for an unknown kind (see Valid).
func (k Kind) End(start time.Time) (end time.Time, ok bool) {
	start = start.UTC()
	switch k {
	case TimeOut24h:
		return start.Add(24 * time.Hour), true
	case TimeOut7d:
		return start.Add(7 * 24 * time.Hour), true
	case TimeOut30d:
		return start.Add(30 * 24 * time.Hour), true
	case Exclusion6m:
		return start.AddDate(0, 6, 0), true
	}
	return time.Time{}, false
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Break is one break a player took. Rows are never changed.
type Break struct {
	ID       int64     `gorm:"primaryKey"`
	PlayerID int64     `gorm:"not null;index"`
	Kind     Kind      `gorm:"size:32;not null"`
	StartsAt time.Time `gorm:"not null"`
	// EndsAt is the first moment play is allowed again: a break is in force while
	// StartsAt <= now < EndsAt. nil: permanent.
	EndsAt    *time.Time
	CreatedAt time.Time `gorm:"not null"`
	// Token is the token of the form that took the break (models.NewBreakToken),
	// unique, so that the same form sent again takes no second break; nil for a
	// break taken without one, and for those from before forms carried one.
	Token *string `gorm:"size:64;uniqueIndex"`
}

// Permanent reports whether b never ends.
func (b Break) Permanent() bool { return b.EndsAt == nil }

// Tables lists the package's tables, for migrations.
func Tables() []any { return []any{&Break{}} }

// Errors callers act on.
var (
	// ErrKind means a kind that is not one of Kinds.
	ErrKind = errors.New("not a kind of break")
	// ErrRunning means the player has a break in force that ends at the same time
	// as the new one or later: a break cannot be shortened or replaced by a shorter one.
	ErrRunning = errors.New("a break that ends no earlier is running")
)

// Current is the break in force for the player at now: the one that ends last
// among those started (a permanent one first). A break is in force while
// StartsAt <= now < EndsAt: it is over at EndsAt itself. ok is false when there is
// none. db may be a transaction.
func Current(ctx context.Context, db *gorm.DB, playerID int64, now time.Time) (b Break, ok bool, err error) {
	now = now.UTC()
	// Every cashier page asks: one prepared statement, not GORM (raw.Query).
	rows, err := raw.Query(ctx, db, "SELECT "+columns+" FROM breaks WHERE player_id = ? AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)",
		playerID, now, now)
	if err != nil {
		return Break{}, false, fmt.Errorf("current break of player %d: %w", playerID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Break
		var ends sql.NullTime
		if err := rows.Scan(&r.ID, &r.PlayerID, &r.Kind, &r.StartsAt, &ends, &r.CreatedAt, &r.Token); err != nil {
			return Break{}, false, fmt.Errorf("current break of player %d: %w", playerID, err)
		}
		if ends.Valid {
			r.EndsAt = &ends.Time
		}
		if !ok || later(r, b) {
			b, ok = r, true
		}
	}
	if err := rows.Err(); err != nil {
		return Break{}, false, fmt.Errorf("current break of player %d: %w", playerID, err)
	}
	return b, ok, nil
}

// columns are the breaks table's, in Break's order, as Current scans them.
const columns = "id, player_id, kind, starts_at, ends_at, created_at, token"

// later reports whether a ends after b.
func later(a, b Break) bool {
	switch {
	case b.EndsAt == nil:
		return false
	case a.EndsAt == nil:
		return true
	}
	return a.EndsAt.After(*b.EndsAt)
}

// Take starts a break of kind for the player at now and returns it, keeping token,
// the token of the form that took it ("": none). A break in force that ends no
// earlier than the new one would makes it fail with ErrRunning (and the running
// one is returned with it), so that taking a break never shortens one. db should
// be a write transaction; a form's earlier break is looked for first (Taken).
func Take(ctx context.Context, db *gorm.DB, playerID int64, kind Kind, token string, now time.Time) (Break, error) {
	if !kind.Valid() {
		return Break{}, fmt.Errorf("take break %q: %w", kind, ErrKind)
	}
	// PostgreSQL keeps microseconds: the break returned is the break stored.
	now = now.UTC().Truncate(time.Microsecond)
	b := Break{PlayerID: playerID, Kind: kind, StartsAt: now, CreatedAt: now}
	if token != "" {
		b.Token = &token
	}
	if end, ok := kind.End(now); ok {
		b.EndsAt = &end
	}
	running, ok, err := Current(ctx, db, playerID, now)
	if err != nil {
		return Break{}, err
	}
	if ok && !later(b, running) {
		return running, fmt.Errorf("take break for player %d: %w", playerID, ErrRunning)
	}
	if err := db.WithContext(ctx).Create(&b).Error; err != nil {
		return Break{}, fmt.Errorf("take break for player %d: %w", playerID, err)
	}
	return b, nil
}

// Taken is the break the form with token took (found), whoever's it is. db may be
// a transaction.
func Taken(ctx context.Context, db *gorm.DB, token string) (b Break, found bool, err error) {
	if err := db.WithContext(ctx).Where("token = ?", token).Limit(1).Find(&b).Error; err != nil {
		return Break{}, false, fmt.Errorf("break of form %s: %w", token, err)
	}
	return b, b.ID != 0, nil
}

// List returns the player's breaks, newest first.
func List(ctx context.Context, db *gorm.DB, playerID int64) ([]Break, error) {
	var rows []Break
	if err := db.WithContext(ctx).Where("player_id = ?", playerID).Order("starts_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("breaks of player %d: %w", playerID, err)
	}
	return rows, nil
}
