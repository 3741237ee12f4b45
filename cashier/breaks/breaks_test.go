package breaks_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// TestCurrent: the break in force at each moment is the latest-ending of those
// started and not ended, read as GORM reads it (every column of the table), a
// permanent one beating any; none before the first starts, and not another
// player's.
func TestCurrent(t *testing.T) {
	s, err := schema.Parse(&breaks.Break{}, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, f := range s.Fields {
		if f.DBName != "" {
			cols = append(cols, f.DBName)
		}
	}
	if got, want := breaks.Columns, strings.Join(cols, ", "); got != want {
		t.Fatalf("Current reads %q; the table's columns are %q", got, want)
	}
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		t0 := time.Date(2026, 3, 28, 23, 30, 15, 0, time.UTC)
		end := func(d time.Duration) *time.Time { e := t0.Add(d); return &e }
		rows := []breaks.Break{
			{PlayerID: 1, Kind: breaks.TimeOut24h, StartsAt: t0, EndsAt: end(24 * time.Hour)},
			{PlayerID: 1, Kind: breaks.TimeOut7d, StartsAt: t0.Add(time.Hour), EndsAt: end(7*24*time.Hour + time.Hour)},
			{PlayerID: 2, Kind: breaks.TimeOut30d, StartsAt: t0, EndsAt: end(30 * 24 * time.Hour)},
			{PlayerID: 1, Kind: breaks.ExclusionEver, StartsAt: t0.Add(10 * 24 * time.Hour)},
		}
		for i := range rows {
			rows[i].CreatedAt = rows[i].StartsAt
			if err := db.Create(&rows[i]).Error; err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			at   time.Duration
			want int // index in rows; -1 none
		}{
			{-time.Second, -1}, {0, 0}, {time.Hour, 1}, {24 * time.Hour, 1},
			{7*24*time.Hour + time.Hour - time.Second, 1}, {7*24*time.Hour + time.Hour, -1},
			{10 * 24 * time.Hour, 3}, {1000 * 24 * time.Hour, 3},
		} {
			got, ok, err := breaks.Current(context.Background(), db, 1, t0.Add(tt.at))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want < 0 {
				if ok {
					t.Errorf("at +%s: break %+v; want none", tt.at, got)
				}
				continue
			}
			var want breaks.Break
			if err := db.Where("id = ?", rows[tt.want].ID).Take(&want).Error; err != nil {
				t.Fatal(err)
			}
			if !ok || !reflect.DeepEqual(got, want) {
				t.Errorf("at +%s: break %+v (in force %t); want %+v as GORM reads it", tt.at, got, ok, want)
			}
		}
	})
}
