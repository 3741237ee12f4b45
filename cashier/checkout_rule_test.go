package cashier_test

import (
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestCheckoutAbandonedOneRule: "a deposit's checkout is abandoned" is one rule,
// and its three readers agree on either side of the checkout's life and at the
// instant itself: the pages (Service.CheckoutAbandoned), the cashier page's money
// underway (Home's SQL) and the janitor (abandonDeposits' SQL and its check under
// the row lock). The service's clock has nanoseconds, which PostgreSQL does not
// keep: the pages compared the created time read back (microseconds) with a cutoff
// in nanoseconds, and read a deposit the cashier page still listed as waiting, and
// the janitor left alone, as abandoned at the instant its life ended.
func TestCheckoutAbandonedOneRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		life := e.svc.CheckoutExpiry()
		if e.clock.Now().Nanosecond()%1000 == 0 {
			e.clock.Advance(123 * time.Nanosecond) // a time PostgreSQL cannot keep exactly
		}
		cases := []struct {
			what  string
			age   time.Duration
			over  bool
			order models.Order
		}{
			{what: "a second before its life is over", age: life - time.Second},
			{what: "at the instant its life is over", age: life},
			{what: "a second after its life is over", age: life + time.Second, over: true},
		}
		for i := range cases {
			o := e.silentDeposit(p, int64(100+i))
			if err := db.Model(&models.Order{}).Where("id = ?", o.ID).Update("created_at", e.clock.Now().Add(-cases[i].age)).Error; err != nil {
				t.Fatal(err)
			}
			cases[i].order = e.reload(o)
		}
		home, err := e.svc.Home(e.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		listed := map[int64]bool{}
		for _, o := range home.Underway {
			listed[o.ID] = true
		}
		e.janitor()
		for _, tt := range cases {
			page := e.svc.CheckoutAbandoned(tt.order)
			janitor := e.reload(tt.order).Status == models.OrderAbandoned
			if page != tt.over || listed[tt.order.ID] == tt.over || janitor != tt.over {
				t.Errorf("%s: the pages read abandoned %t, the cashier page lists it waiting %t, the janitor abandoned it %t; want abandoned %t",
					tt.what, page, listed[tt.order.ID], janitor, tt.over)
			}
		}
	})
}
