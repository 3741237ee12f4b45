package cashier_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// deliverAtOnce sends n's body k times at the same time and checks that every
// delivery got the same signed answer, of status want, and that the stored
// notification counts k deliveries.
func (r *rig) deliverAtOnce(n note, k int, want string) {
	r.t.Helper()
	answers := make([][]byte, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Go(func() { answers[i], errs[i] = r.svc.HandleNotification(r.ctx, n.raw) })
	}
	wg.Wait()
	for i := range k {
		if errs[i] != nil {
			r.t.Fatalf("%s %s delivery %d: %v", n.method, n.id, i, errs[i])
		}
		if string(answers[i]) != string(answers[0]) {
			r.t.Errorf("%s %s: delivery %d got another answer:\n%s\nfirst:\n%s", n.method, n.id, i, answers[i], answers[0])
		}
	}
	a, err := trustly.ParseAnswer(answers[0], &rigMerchantKey().PublicKey, n.method, n.uuid)
	if err != nil || a.Status != want {
		r.t.Fatalf("%s %s: answer %s, %v; want %s", n.method, n.id, answers[0], err, want)
	}
	var stored models.Notification
	if err := r.db.Where("notification_id = ?", n.id).Take(&stored).Error; err != nil {
		r.t.Fatal(err)
	}
	if stored.Deliveries != k {
		r.t.Errorf("%s %s: %d deliveries counted; want %d", n.method, n.id, stored.Deliveries, k)
	}
}

// transfersOf counts the ledger transfers booked for order o.
func (r *rig) transfersOf(o models.Order) int64 {
	r.t.Helper()
	var n int64
	if err := r.db.Model(&models.Transfer{}).Where("reference LIKE ?", fmt.Sprintf("deposit:%d:%%", o.ID)).Count(&n).Error; err != nil {
		r.t.Fatal(err)
	}
	return n
}

// TestDepositHuntTenAtOnce: each of a deposit's notifications (pending, credit,
// debit, cancel), its one body posted ten times at the same time, is applied
// exactly once: every delivery gets the same answer, ten deliveries are counted,
// the credit and the debit each book one transfer, and the ledger balances. The
// same credit under ten new notificationids at once (Trustly's data, its
// notificationid alone new) books one credit; the other nine are flagged as
// repeated and answered OK, nothing booked.
func TestDepositHuntTenAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		p := r.player()
		o := r.order(p, 10000)
		steps := []struct {
			method    string
			wallet    int64
			status    models.OrderStatus
			transfers int64
		}{
			{"pending", 0, models.OrderPending, 0},
			{"credit", 10000, models.OrderCredited, 1},
			{"debit", 0, models.OrderDebited, 2},
			{"cancel", 0, models.OrderDebited, 2},
		}
		for _, s := range steps {
			r.deliverAtOnce(notify(t, key, s.method, o, p.EndUserID, nil), 10, "OK")
			got := r.reload(o)
			if w := r.wallet(p); w != s.wallet || got.Status != s.status || r.transfersOf(o) != s.transfers {
				t.Errorf("after ten %s at once: wallet %d, %s, %d transfers; want %d, %s, %d", s.method, w, got.Status,
					r.transfersOf(o), s.wallet, s.status, s.transfers)
			}
		}
		if got := r.reload(o); got.Flag != "" && !got.Flags()[models.FlagCancelAfterCredit] {
			t.Errorf("flags %q; want only the cancel after the credit", got.Flag)
		}
		r.audit()

		p = r.player()
		o = r.order(p, 10000)
		ts := trustly.FormatTimestamp(time.Now())
		var copies []note
		for range 10 {
			copies = append(copies, notify(t, key, "credit", o, p.EndUserID, map[string]any{"timestamp": ts}))
		}
		var wg sync.WaitGroup
		for _, c := range copies {
			wg.Go(func() {
				answer, err := r.svc.HandleNotification(r.ctx, c.raw)
				if err != nil {
					t.Errorf("credit %s: %v", c.id, err)
					return
				}
				if a, err := trustly.ParseAnswer(answer, &rigMerchantKey().PublicKey, c.method, c.uuid); err != nil || a.Status != "OK" {
					t.Errorf("credit %s: answer %s, %v; want OK", c.id, answer, err)
				}
			})
		}
		wg.Wait()
		got := r.reload(o)
		if w := r.wallet(p); w != 10000 || got.Status != models.OrderCredited || r.transfersOf(o) != 1 ||
			!got.Flags()["more than one credit notification: only the first was booked"] {
			t.Errorf("ten copies of a credit at once: wallet %d, %s %q, %d transfers; want 10000, credited, flagged repeated, 1",
				w, got.Status, got.Flag, r.transfersOf(o))
		}
		r.audit()
	})
}

// TestDepositHuntChargeback: a debit after the credit the player spent (the bank
// took back a deposit that was played) is booked in full, into a wallet below
// zero, which blocks the player; the order reads debited, Trustly is answered OK
// (the money was taken back), and the debit posted again at once, ten times, books
// nothing more.
func TestDepositHuntChargeback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		p := r.player()
		o := r.order(p, 10000)
		r.deliver(notify(t, key, "credit", o, p.EndUserID, nil), "OK")
		spent := models.Move(fmt.Sprintf("test:spent:%d", p.ID), "played", models.PlayerWallet(p.ID), models.TrustlyClearing,
			models.Money{Minor: 8000, Currency: "SEK"})
		if _, err := ledger.New(db).Post(r.ctx, spent); err != nil {
			t.Fatal(err)
		}
		r.deliverAtOnce(notify(t, key, "debit", o, p.EndUserID, nil), 10, "OK")
		got := r.reload(o)
		blocked, err := r.svc.Blocked(r.ctx, p)
		if w := r.wallet(p); w != -8000 || got.Status != models.OrderDebited || !blocked || err != nil || r.transfersOf(o) != 2 {
			t.Errorf("debit after the credit was spent: wallet %d, %s %q, blocked %t %v, %d transfers; want -8000, debited, blocked, 2",
				w, got.Status, got.Flag, blocked, err, r.transfersOf(o))
		}
		r.audit()
	})
}

// TestDepositHuntLateCredit: a deposit whose checkout was left long ago (the
// janitor marked it abandoned) is still Trustly's order: its pending, credit and
// cancel, whenever they come, apply as to any deposit; the credit is booked, once,
// and Trustly answered OK.
func TestDepositHuntLateCredit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		for _, tt := range []struct {
			name   string
			events []string
			status models.OrderStatus
			wallet int64
		}{
			{"credit", []string{"credit"}, models.OrderCredited, 10000},
			{"pending then credit", []string{"pending", "credit"}, models.OrderCredited, 10000},
			{"pending", []string{"pending"}, models.OrderPending, 0},
			{"cancel", []string{"cancel"}, models.OrderFailed, 0},
			{"cancel then credit", []string{"cancel", "credit"}, models.OrderCredited, 10000},
			{"credit then debit", []string{"credit", "debit"}, models.OrderDebited, 0},
			{"debit then credit", []string{"debit", "credit"}, models.OrderDebited, 0},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r.t = t
				p := r.player()
				o := r.order(p, 10000)
				long := time.Now().UTC().Add(-30 * 24 * time.Hour)
				if err := db.Model(&models.Order{}).Where("id = ?", o.ID).
					Updates(map[string]any{"created_at": long, "started_at": long}).Error; err != nil {
					t.Fatal(err)
				}
				r.janitor()
				if got := r.reload(o); got.Status != models.OrderAbandoned {
					t.Fatalf("after the janitor: %s; want abandoned", got.Status)
				}
				for range 2 {
					for _, m := range tt.events {
						r.deliver(notify(t, key, m, o, p.EndUserID, nil), "OK")
					}
				}
				got := r.reload(o)
				if w := r.wallet(p); w != tt.wallet || got.Status != tt.status {
					t.Errorf("%v on an abandoned deposit: wallet %d, %s %q; want %d, %s", tt.events, w, got.Status, got.Flag, tt.wallet, tt.status)
				}
				r.audit()
			})
		}
	})
}

// TestAccountAttributeHiddenInObject: the signed text joins keys and values
// without separators, and an object's keys are joined too, so an account
// notification's {"name":"Bertil Berg"} and {"n":{"ame":"Bertil Berg"}} sign
// alike. A copy whose holder's name or personid is hidden so in an object, which
// the cashier would not read, is refused (ErrBadData) and stores nothing, not
// saved with the holder check and the break check skipped; the genuine one,
// delivered after it, is saved and flagged.
func TestAccountAttributeHiddenInObject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		p := r.player()
		o := r.order(p, 10000)
		genuine := notify(t, rigTrustlyKey(), "account", o, p.EndUserID, map[string]any{"attributes": map[string]any{
			"clearinghouse": "SWEDEN", "bank": "Handelsbanken", "descriptor": "**706212", "lastdigits": "706212",
			"name": "Bertil Berg", "personid": "SE197901311246"}})
		before := r.counts()
		for _, hide := range []string{"name", "personid", "bank"} {
			copy := reshape(t, genuine, func(d map[string]any) {
				a := d["attributes"].(map[string]any)
				a[hide[:1]] = map[string]any{hide[1:]: a[hide]}
				delete(a, hide)
			})
			answer, err := r.svc.HandleNotification(r.ctx, copy.raw)
			if !errors.Is(err, cashier.ErrBadNotification) || !errors.Is(err, trustly.ErrBadData) || answer != nil {
				t.Errorf("%s hidden in an object: got %q, %v; want no answer, ErrBadData", hide, answer, err)
			}
		}
		if after := r.counts(); after != before {
			t.Fatalf("the copies changed the database:\nbefore %s\nafter  %s", before, after)
		}
		r.deliver(genuine, "OK")
		if got := r.reload(o); !strings.Contains(got.Flag, `holder "Bertil Berg" is not the player's name`) {
			t.Errorf("after the genuine account notification: flags %q; want the holder's name flagged", got.Flag)
		}
	})
}
