package cashier_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestResolvedRefusedListed: a notification refused for its data that names no
// order of ours, once resolved, left the flagged list and showed nowhere but in
// the audit log: no order page lists it. The flagged list now holds the resolved
// ones apart (ResolvedRefused), the latest resolution first, each with its
// resolution (who, when, the note), those naming no order among them; one
// delivered again since its resolution waits again and leaves the resolved ones;
// at most ResolvedRefusedShown are listed, with MoreResolvedRefused saying older
// ones were resolved too.
func TestResolvedRefusedListed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		member := func(email string, role staff.Role) staff.Member {
			m := staff.Member{Email: email, PasswordHash: "not a bcrypt hash", Role: role, CreatedAt: time.Now()}
			if err := db.Create(&m).Error; err != nil {
				t.Fatal(err)
			}
			return m
		}
		viewer, op := member("viewer-rd@example.com", staff.RoleViewer), member("op-rd@example.com", staff.RoleOperator)
		p := r.player()
		o, other := r.order(p, 10000), r.order(p, 20000)
		genuine := notify(t, rigTrustlyKey(), trustly.MethodAccount, o, p.EndUserID, map[string]any{"attributes": map[string]any{
			"clearinghouse": "SWEDEN", "bank": "Handelsbanken", "descriptor": "**706212", "lastdigits": "706212",
			"name": "Bertil Berg", "personid": "SE197901311246"}})
		shifted := reshape(t, genuine, shiftAttrs("lastdigits", "name", "personid"))
		stranger := reshape(t, notify(t, rigTrustlyKey(), trustly.MethodAccount, other, p.EndUserID,
			map[string]any{"messageid": "dep-not-ours", "orderid": "9999999999"}), shiftAttrs("descriptor", "lastdigits"))
		r.refuseShifted(map[string]note{"shifted": shifted, "stranger": stranger})

		list := func() cashier.Flagged {
			t.Helper()
			l, err := r.svc.FlaggedList(r.ctx, viewer)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		idOf := func(n note) int64 {
			t.Helper()
			for _, row := range list().Refused {
				if row.NotificationID == n.id {
					return row.ID
				}
			}
			t.Fatalf("%s not on the flagged list", n.id)
			return 0
		}
		strangerID, shiftedID := idOf(stranger), idOf(shifted)
		if l := list(); len(l.ResolvedRefused) != 0 || l.MoreResolvedRefused {
			t.Fatalf("nothing resolved yet: %d resolved listed (more %t); want none", len(l.ResolvedRefused), l.MoreResolvedRefused)
		}
		resolve := func(id int64, text string) staff.Resolution {
			t.Helper()
			res, err := r.svc.ResolveRefusedNotification(r.ctx, op, id, text)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		first := resolve(strangerID, "a copy naming no order of ours")
		l := list()
		if len(l.Refused) != 1 || l.Refused[0].ID != shiftedID {
			t.Errorf("waiting after one resolved: %d; want the shifted copy alone", len(l.Refused))
		}
		if len(l.ResolvedRefused) != 1 {
			t.Fatalf("resolved listed: %d; want the one naming no order", len(l.ResolvedRefused))
		}
		row := l.ResolvedRefused[0]
		if row.ID != strangerID || row.OrderID != 0 || row.MessageID != "dep-not-ours" || row.Raw != string(stranger.raw) ||
			row.Resolution == nil || row.Resolution.ID != first.ID || row.Resolution.StaffEmail != op.Email ||
			row.Resolution.Note != "a copy naming no order of ours" || row.Resolution.At.IsZero() {
			t.Errorf("resolved row %+v, resolution %+v; want the stranger with no order, its body and the operator's resolution with its note",
				row.RefusedNotification, row.Resolution)
		}

		second := resolve(shiftedID, "reshaped; Trustly's own came after")
		l = list()
		if len(l.Refused) != 0 || len(l.ResolvedRefused) != 2 {
			t.Fatalf("both resolved: %d waiting, %d resolved; want 0 and 2", len(l.Refused), len(l.ResolvedRefused))
		}
		if a, b := l.ResolvedRefused[0], l.ResolvedRefused[1]; a.ID != shiftedID || a.OrderID != o.ID || a.Resolution.ID != second.ID ||
			b.ID != strangerID {
			t.Errorf("resolved listed %d (order %d) then %d; want the latest resolution first, %d with order %d, then %d",
				a.ID, a.OrderID, b.ID, shiftedID, o.ID, strangerID)
		}

		// Delivered again: still being refused, so it waits again, and is no
		// longer among the resolved.
		if _, err := r.svc.HandleNotification(r.ctx, stranger.raw); err == nil {
			t.Fatal("redelivery accepted")
		}
		l = list()
		if len(l.Refused) != 1 || l.Refused[0].ID != strangerID || len(l.ResolvedRefused) != 1 || l.ResolvedRefused[0].ID != shiftedID {
			t.Errorf("redelivered: %d waiting, %d resolved; want the stranger waiting and the shifted copy resolved",
				len(l.Refused), len(l.ResolvedRefused))
		}
		third := resolve(strangerID, "still a copy")
		if l = list(); len(l.ResolvedRefused) != 2 || l.ResolvedRefused[0].ID != strangerID || l.ResolvedRefused[0].Resolution.ID != third.ID {
			t.Errorf("resolved again: %d resolved; want the stranger first with its latest resolution", len(l.ResolvedRefused))
		}

		// Bounded: the newest ResolvedRefusedShown, and a word that more were.
		now := time.Now().UTC()
		for i := range cashier.ResolvedRefusedShown {
			n := models.RefusedNotification{Digest: fmt.Sprintf("%064d", i), NotificationID: fmt.Sprint("bulk-", i), Method: "credit",
				Raw: "{}", Reason: "bulk", Deliveries: 1, ReceivedAt: now, LastDeliveryAt: now}
			if err := db.Create(&n).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Create(&staff.Resolution{RefusedNotificationID: n.ID, Deliveries: 1, Flag: "bulk", Note: "bulk",
				StaffID: op.ID, StaffEmail: op.Email, At: now.Add(time.Hour)}).Error; err != nil {
				t.Fatal(err)
			}
		}
		l = list()
		if len(l.ResolvedRefused) != cashier.ResolvedRefusedShown || !l.MoreResolvedRefused {
			t.Fatalf("%d resolved listed (more %t); want %d and more", len(l.ResolvedRefused), l.MoreResolvedRefused, cashier.ResolvedRefusedShown)
		}
		for _, row := range l.ResolvedRefused {
			if row.ID == strangerID || row.ID == shiftedID {
				t.Errorf("%d, resolved before the %d newer ones, is listed", row.ID, cashier.ResolvedRefusedShown)
			}
		}
	})
}
