package cashier_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestNotificationOrderIDOfAnotherOrder: a notification whose orderid is one
// order's Trustly orderid and whose messageid is another order's (or no order's)
// names two orders, and neither is the one it is about for sure. It is kept as
// unknown, books nothing on either order, whoever's enduserid it names, and the
// order of its orderid is flagged; a debit is answered FAILED, since nothing was
// taken back.
func TestNotificationOrderIDOfAnotherOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		payout := func(p models.Player) models.Order {
			now := time.Now().UTC()
			o := models.Order{MessageID: models.NewMessageID(models.OrderPayout), Kind: models.OrderPayout, PlayerID: p.ID,
				Amount: models.Money{Minor: 10000, Currency: "SEK"}, TrustlyOrderID: fmt.Sprintf("%010d", 1000000000+rigNext()),
				SentAt: &now, CreatedAt: now}
			o.Refresh()
			if err := db.Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			return o
		}
		for _, tt := range []struct {
			name   string
			kind   models.OrderKind
			method string
			before []string // applied to the order of the orderid first
			// the messageid: another player's order ("other"), the same player's
			// other order ("same"), or no order's ("none")
			messageID string
			endUser   string // whose enduserid: "orderid" (its order's player) or "messageid"
			answer    string
			wallet    int64 // of the orderid's player, after before
		}{
			{"credit, messageid of another player's deposit", models.OrderDeposit, "credit", nil, "other", "orderid", "OK", 0},
			{"credit, messageid and enduserid of another player's deposit", models.OrderDeposit, "credit", nil, "other", "messageid", "OK", 0},
			{"credit, messageid of the player's other deposit", models.OrderDeposit, "credit", nil, "same", "orderid", "OK", 0},
			{"credit, messageid of no order", models.OrderDeposit, "credit", nil, "none", "orderid", "OK", 0},
			{"debit, messageid of another player's deposit", models.OrderDeposit, "debit", []string{"credit"}, "other", "orderid", "FAILED", 10000},
			{"cancel, messageid of another player's deposit", models.OrderDeposit, "cancel", nil, "other", "orderid", "OK", 0},
			{"payout credit, messageid of another player's payout", models.OrderPayout, "credit", nil, "other", "orderid", "OK", 0},
			{"payout cancel, messageid of another player's payout", models.OrderPayout, "cancel", nil, "other", "orderid", "OK", 0},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r.t = t
				p := r.player()
				newOrder := func(p models.Player) models.Order {
					if tt.kind == models.OrderPayout {
						return payout(p)
					}
					return r.order(p, 10000)
				}
				o := newOrder(p)
				for _, m := range tt.before {
					r.deliver(notify(t, key, m, o, p.EndUserID, nil), "OK")
				}
				q := p
				if tt.messageID == "other" {
					q = r.player()
				}
				other := newOrder(q)
				target := o
				switch tt.messageID {
				case "none":
					target.MessageID = models.NewMessageID(tt.kind)
				default:
					target.MessageID = other.MessageID
				}
				endUser := p.EndUserID
				if tt.endUser == "messageid" {
					endUser = q.EndUserID
				}
				wasO, wasOther := r.reload(o), r.reload(other)
				wallets := map[int64]int64{p.ID: r.wallet(p), q.ID: r.wallet(q)}
				before := r.counts()
				n := notify(t, key, tt.method, target, endUser, nil)
				r.deliver(n, tt.answer)
				got := r.reload(o)
				want := fmt.Sprintf("a %s notification named this order's Trustly orderid with messageid %q: kept as unknown, not applied",
					tt.method, target.MessageID)
				if got.Status != wasO.Status || got.Flag != want {
					t.Errorf("order of the orderid: %s %q; want %s %q", got.Status, got.Flag, wasO.Status, want)
				}
				if gotOther := r.reload(other); gotOther.Status != wasOther.Status || gotOther.TrustlyOrderID != wasOther.TrustlyOrderID {
					t.Errorf("order of the messageid: %s orderid %q; want %s %q", gotOther.Status, gotOther.TrustlyOrderID,
						wasOther.Status, wasOther.TrustlyOrderID)
				}
				if r.wallet(p) != tt.wallet || r.wallet(p) != wallets[p.ID] || r.wallet(q) != wallets[q.ID] {
					t.Errorf("wallets %d and %d; want %d and %d", r.wallet(p), r.wallet(q), wallets[p.ID], wallets[q.ID])
				}
				var stored models.Notification
				if err := db.Where("notification_id = ?", n.id).Take(&stored).Error; err != nil {
					t.Fatal(err)
				}
				if stored.OrderID != nil {
					t.Errorf("stored for order %d; want unknown", *stored.OrderID)
				}
				after := r.counts()
				for _, table := range []string{"transfers=", "entries=", "bank_accounts="} {
					if count(before, table) != count(after, table) {
						t.Errorf("%s changed:\nbefore %s\nafter  %s", table, before, after)
					}
				}
				// The janitor does not apply it later either.
				if _, err := r.svc.Janitor(r.ctx); err != nil {
					t.Fatal(err)
				}
				if r.wallet(p) != wallets[p.ID] || r.wallet(q) != wallets[q.ID] || r.reload(o).Status != wasO.Status {
					t.Errorf("after the janitor: wallets %d and %d, order %s", r.wallet(p), r.wallet(q), r.reload(o).Status)
				}
				r.audit()
			})
		}
	})
}

// TestNotificationOtherPlayerBeforeOrderID: an order whose Trustly orderid is not
// known yet (the Deposit's or AccountPayout's answer was lost) is found by our
// messageid. A notification that names it with another player's enduserid is not
// about it: it books nothing and must not give the order its orderid either, or
// Trustly's genuine notifications, under the real orderid, would be kept as
// unknown and the deposit never credited, the payout's money never returned.
func TestNotificationOtherPlayerBeforeOrderID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		for _, kind := range []models.OrderKind{models.OrderDeposit, models.OrderPayout} {
			t.Run(string(kind), func(t *testing.T) {
				r.t = t
				p := r.player()
				now := time.Now().UTC()
				o := models.Order{MessageID: models.NewMessageID(kind), Kind: kind, PlayerID: p.ID,
					Amount: models.Money{Minor: 10000, Currency: "SEK"}, CreatedAt: now}
				if kind == models.OrderDeposit {
					o.EndUserID = p.EndUserID
				} else {
					o.SentAt = &now // booked as sent by a notification before; its orderid not kept
				}
				o.Refresh()
				if err := db.Create(&o).Error; err != nil {
					t.Fatal(err)
				}
				wallet := r.wallet(p)
				stray := o
				stray.TrustlyOrderID = fmt.Sprintf("%010d", 1000000000+rigNext())
				r.deliver(notify(t, key, "credit", stray, "someone-else", nil), "OK")
				if got := r.reload(o); got.TrustlyOrderID != "" || r.wallet(p) != wallet {
					t.Errorf("after a credit for another player: orderid %q, wallet %d; want none learnt, %d", got.TrustlyOrderID, r.wallet(p), wallet)
				}
				genuine := o
				genuine.TrustlyOrderID = fmt.Sprintf("%010d", 1000000000+rigNext())
				r.deliver(notify(t, key, "credit", genuine, p.EndUserID, nil), "OK")
				got := r.reload(o)
				if got.TrustlyOrderID != genuine.TrustlyOrderID || got.CreditedAt == nil || r.wallet(p) != wallet+10000 {
					t.Errorf("after the genuine credit: orderid %q, credited %v, wallet %d; want %q, credited, %d", got.TrustlyOrderID,
						got.CreditedAt, r.wallet(p), genuine.TrustlyOrderID, wallet+10000)
				}
				r.audit()
			})
		}
	})
}

// TestNotificationOtherCurrencyBeforeOrderID: a notification naming an order
// whose Trustly orderid is not known yet (its call's answer lost) in another
// currency than the order's is flagged and books nothing, as on an order whose
// orderid is known; it does not teach the order its orderid either, or Trustly's
// genuine notification, under the real orderid, would be kept as unknown.
func TestNotificationOtherCurrencyBeforeOrderID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		for _, kind := range []models.OrderKind{models.OrderDeposit, models.OrderPayout} {
			t.Run(string(kind), func(t *testing.T) {
				r.t = t
				p := r.player()
				now := time.Now().UTC()
				o := models.Order{MessageID: models.NewMessageID(kind), Kind: kind, PlayerID: p.ID,
					Amount: models.Money{Minor: 10000, Currency: "SEK"}, CreatedAt: now}
				if kind == models.OrderDeposit {
					o.EndUserID = p.EndUserID
				} else {
					o.SentAt = &now // booked as sent by a notification before; its orderid not kept
				}
				o.Refresh()
				if err := db.Create(&o).Error; err != nil {
					t.Fatal(err)
				}
				wallet := r.wallet(p)
				stray := o
				stray.Amount.Currency = "EUR"
				stray.TrustlyOrderID = fmt.Sprintf("%010d", 1000000000+rigNext())
				r.deliver(notify(t, key, "credit", stray, p.EndUserID, nil), "OK")
				if got := r.reload(o); got.TrustlyOrderID != "" || r.wallet(p) != wallet {
					t.Errorf("after a credit in EUR: orderid %q, wallet %d; want none learnt, %d", got.TrustlyOrderID, r.wallet(p), wallet)
				}
				genuine := o
				genuine.TrustlyOrderID = fmt.Sprintf("%010d", 1000000000+rigNext())
				r.deliver(notify(t, key, "credit", genuine, p.EndUserID, nil), "OK")
				got := r.reload(o)
				if got.TrustlyOrderID != genuine.TrustlyOrderID || got.CreditedAt == nil || r.wallet(p) != wallet+10000 {
					t.Errorf("after the genuine credit: orderid %q, credited %v, wallet %d; want %q, credited, %d", got.TrustlyOrderID,
						got.CreditedAt, r.wallet(p), genuine.TrustlyOrderID, wallet+10000)
				}
				r.audit()
			})
		}
	})
}

// TestNotificationOtherKindBeforeOrderID: a notification naming an order whose
// Trustly orderid is not known yet (its call's answer lost) with a method Trustly
// never sends for an order of its kind (a debit, a pending, an account or a kyc
// for a payout; a payoutconfirmation, a payoutfailed or a kyc for a deposit that
// is not Pay N Play; a credit, a debit or a payoutconfirmation for an account
// selection) is flagged and applies nothing, as on an order whose orderid is
// known; it does not teach the order its orderid either, or Trustly's genuine
// notification under the real orderid would be kept as unknown: the deposit
// never credited, the payout's returned money never back in the wallet, the
// selection's account never saved.
func TestNotificationOtherKindBeforeOrderID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		for _, tt := range []struct {
			kind          models.OrderKind
			method, want  string
			genuine       string // the order's own notification, applied once it comes
			walletGrowsBy int64
		}{
			{models.OrderPayout, "debit", "FAILED", "credit", 10000},
			{models.OrderPayout, "pending", "OK", "credit", 10000},
			{models.OrderPayout, "account", "OK", "credit", 10000},
			{models.OrderPayout, "kyc", "FINISH", "credit", 10000},
			{models.OrderDeposit, "payoutconfirmation", "OK", "credit", 10000},
			{models.OrderDeposit, "kyc", "FINISH", "credit", 10000},
			{models.OrderSelectAccount, "credit", "OK", "account", 0},
			{models.OrderSelectAccount, "debit", "FAILED", "account", 0},
			{models.OrderSelectAccount, "payoutconfirmation", "OK", "account", 0},
		} {
			t.Run(string(tt.kind)+" "+tt.method, func(t *testing.T) {
				r.t = t
				p := r.player()
				now := time.Now().UTC()
				o := models.Order{MessageID: models.NewMessageID(tt.kind), Kind: tt.kind, PlayerID: p.ID,
					Amount: models.Money{Minor: 10000, Currency: "SEK"}, CreatedAt: now}
				switch tt.kind {
				case models.OrderDeposit, models.OrderSelectAccount:
					o.EndUserID = p.EndUserID
				case models.OrderPayout:
					o.SentAt = &now // booked as sent by a notification before; its orderid not kept
				}
				if tt.kind == models.OrderSelectAccount {
					o.Amount = models.Money{Currency: "SEK"}
				}
				o.Refresh()
				if err := db.Create(&o).Error; err != nil {
					t.Fatal(err)
				}
				wallet := r.wallet(p)
				stray := o
				stray.Amount = models.Money{Minor: 10000, Currency: "SEK"}
				stray.TrustlyOrderID = fmt.Sprintf("%010d", 1000000000+rigNext())
				r.deliver(notify(t, key, tt.method, stray, p.EndUserID, nil), tt.want)
				if got := r.reload(o); got.TrustlyOrderID != "" || got.Flag == "" || r.wallet(p) != wallet {
					t.Errorf("after a %s: orderid %q, flag %q, wallet %d; want none learnt, flagged, %d", tt.method, got.TrustlyOrderID,
						got.Flag, r.wallet(p), wallet)
				}
				genuine := o
				genuine.Amount = stray.Amount
				genuine.TrustlyOrderID = fmt.Sprintf("%010d", 1000000000+rigNext())
				r.deliver(notify(t, key, tt.genuine, genuine, p.EndUserID, nil), "OK")
				got := r.reload(o)
				applied := got.CreditedAt != nil
				if tt.genuine == "account" {
					applied = got.AccountAddedAt != nil
				}
				if got.TrustlyOrderID != genuine.TrustlyOrderID || !applied || r.wallet(p) != wallet+tt.walletGrowsBy {
					t.Errorf("after the genuine %s: orderid %q, applied %t, wallet %d; want %q, applied, %d", tt.genuine,
						got.TrustlyOrderID, applied, r.wallet(p), genuine.TrustlyOrderID, wallet+tt.walletGrowsBy)
				}
				r.audit()
			})
		}
	})
}
