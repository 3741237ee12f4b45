package limits_test

import (
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// TestCurrentIsStatus: Current, which reads only the newest changes of each
// period (every column of them), answers as Status does (but for the history), for a player with a
// long history of raises and lowerings in Sweden and in the Netherlands (net
// deposits, defaults), at moments before, between and after the raises take effect.
func TestCurrentIsStatus(t *testing.T) {
	s, err := schema.Parse(&limits.Change{}, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, f := range s.Fields {
		if f.DBName != "" {
			cols = append(cols, f.DBName)
		}
	}
	if got, want := strings.ReplaceAll(limits.ChangeColumns, `"`, ""), strings.Join(cols, ", "); got != want {
		t.Fatalf("Current reads the changes' columns %q; the table's are %q", got, want)
	}
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, country := range []string{"SE", "NL"} {
			start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			e := newEnv(t, db, start)
			p := e.player(country, "1980-01-01")
			var moments []time.Time
			for i := range 15 {
				// Raises, each replacing the last while it waits, then a lowering now and then.
				v := int64(1000 + 100*i)
				if i%5 == 4 {
					v = 500
				}
				e.set(p, map[limits.Period]int64{limits.Day: v, limits.Month: 2 * v})
				e.deposit(p, 100*v/10, e.clock.t)
				moments = append(moments, e.clock.t, e.clock.t.Add(time.Hour))
				e.clock.t = e.clock.t.Add(time.Duration(10+7*i) * time.Hour)
			}
			moments = append(moments, e.clock.t, e.clock.t.Add(40*24*time.Hour))
			for _, at := range moments {
				want := e.status(p, at)
				got, err := e.svc.Current(e.ctx, nil, p, p.Currency, at)
				if err != nil {
					t.Fatal(err)
				}
				if len(want.History) == 0 || got.History != nil {
					t.Fatalf("%s at %s: Status has %d changes in its history, Current %d; want some, and none", country, at, len(want.History), len(got.History))
				}
				want.History = nil
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s at %s: Current\n%+v\nwant Status\n%+v", country, at, got, want)
				}
			}
		}
	})
}
