package cashier_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestOrderFlagsBeyondTheColumn: every notification that names a deposit's
// Trustly orderid with a messageid of no order of ours is kept as unknown and
// flags the deposit with a sentence of its own; thirty of them are more than the
// flag column keeps (2 000 characters). On PostgreSQL, which refuses a longer
// value, each notification that added a flag beyond it failed and was never
// answered, and so did the deposit's own credit after them, whose amount differs
// from the order's and adds a flag: the money never booked. The flags are kept
// within the column, the newest sentence saying that some did not fit, every
// notification is answered at once, and the credit is booked.
func TestOrderFlagsBeyondTheColumn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		p := r.player()
		o := r.order(p, 10000)
		for i := range 30 {
			stray := o
			stray.MessageID = fmt.Sprintf("dep-stray-%02d-%s", i, strings.Repeat("x", 40))
			r.deliver(notify(t, key, trustly.MethodPending, stray, p.EndUserID, nil), "OK")
		}
		r.deliver(notify(t, key, trustly.MethodCredit, o, p.EndUserID, map[string]any{"amount": "90.00"}), "OK")
		got := r.reload(o)
		if got.Status != models.OrderCredited || r.wallet(p) != 9000 {
			t.Errorf("after the credit: %s, wallet %d; want credited, 9000", got.Status, r.wallet(p))
		}
		if n := utf8.RuneCountInString(got.Flag); n > models.FlagSize {
			t.Errorf("flag of %d characters; want at most %d", n, models.FlagSize)
		}
		for _, want := range []string{models.FlagMore, "credit of 90.00 differs from the order's 100.00"} {
			if !strings.Contains(got.Flag, want) {
				t.Errorf("flag %q; want it to hold %q", got.Flag, want)
			}
		}
		r.audit()
	})
}

// TestNotificationMethodBeyondTheColumn: a notification of a method this cashier
// does not know is stored and answered OK, on both databases, up to the 32
// characters the method column holds: one whose method is longer, or not a
// lowercase word as Trustly's are, is refused as not fitting Trustly's format
// (ErrBadNotification, 400) and stores nothing, on PostgreSQL as on SQLite, where
// PostgreSQL used to fail storing it and never answer, and SQLite stored it.
func TestNotificationMethodBeyondTheColumn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		p := r.player()
		o := r.order(p, 10000)
		r.deliver(notify(t, key, strings.Repeat("m", 32), o, p.EndUserID, nil), "OK")
		before := r.counts()
		for _, method := range []string{strings.Repeat("m", 33), "Payout-Downgraded"} {
			_, err := r.svc.HandleNotification(r.ctx, notify(t, key, method, o, p.EndUserID, nil).raw)
			if !errors.Is(err, cashier.ErrBadNotification) {
				t.Errorf("method %q: %v; want ErrBadNotification", method, err)
			}
		}
		if after := r.counts(); after != before {
			t.Errorf("refused notifications changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})
}
