package cashier_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestRefusedNotificationsShown: a copy of a genuine account notification with
// text shifted between its attributes, signed with Trustly's key and refused for
// its data, was kept in refused_notifications and shown nowhere: the flagged list
// did not hold it, the order it names did not show it and the home did not count
// it. The flagged list holds it now, with the orderid and messageid its body
// names and the order that messageid is ours for, the order's detail lists it,
// and the home counts it; one naming no order of ours is listed without an order.
func TestRefusedNotificationsShown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		viewer := staff.Member{Email: "viewer-refused@example.com", PasswordHash: "not a bcrypt hash", Role: staff.RoleViewer, CreatedAt: time.Now()}
		if err := db.Create(&viewer).Error; err != nil {
			t.Fatal(err)
		}
		home, err := r.svc.BackOfficeHome(r.ctx, viewer)
		if err != nil || home.Refused != 0 {
			t.Fatalf("home before: %d refused, %v; want 0", home.Refused, err)
		}
		p := r.player()
		o, other := r.order(p, 10000), r.order(p, 20000)
		genuine := notify(t, rigTrustlyKey(), trustly.MethodAccount, o, p.EndUserID, map[string]any{"attributes": map[string]any{
			"clearinghouse": "SWEDEN", "bank": "Handelsbanken", "descriptor": "**706212", "lastdigits": "706212",
			"name": "Bertil Berg", "personid": "SE197901311246"}})
		shifted := reshape(t, genuine, shiftAttrs("lastdigits", "name", "personid"))
		stranger := reshape(t, notify(t, rigTrustlyKey(), trustly.MethodAccount, other, p.EndUserID,
			map[string]any{"messageid": "dep-not-ours", "orderid": "9999999999"}), shiftAttrs("descriptor", "lastdigits"))
		r.refuseShifted(map[string]note{"shifted": shifted, "stranger": stranger})

		list, err := r.svc.FlaggedList(r.ctx, viewer)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Refused) != 2 || list.MoreRefused {
			t.Fatalf("flagged list holds %d refused notifications (more %t); want 2", len(list.Refused), list.MoreRefused)
		}
		// Newest first: the map delivered them in either order.
		if a, b := list.Refused[0], list.Refused[1]; a.ReceivedAt.Before(b.ReceivedAt) || a.ReceivedAt.Equal(b.ReceivedAt) && a.ID < b.ID {
			t.Errorf("refused listed %d then %d; want the newest first", list.Refused[0].ID, list.Refused[1].ID)
		}
		for _, row := range list.Refused {
			want := struct {
				id, msg, orderid string
				order            int64
			}{shifted.id, o.MessageID, o.TrustlyOrderID, o.ID}
			if row.NotificationID == stranger.id {
				want.id, want.msg, want.orderid, want.order = stranger.id, "dep-not-ours", "9999999999", 0
			}
			if row.NotificationID != want.id || row.MessageID != want.msg || row.TrustlyOrderID != want.orderid || row.OrderID != want.order ||
				row.Deliveries != 2 || row.Reason == "" || row.Method != trustly.MethodAccount {
				t.Errorf("refused row %s: messageid %q, orderid %q, order %d, %d deliveries, reason %q; want %q, %q, %d, 2, a reason",
					row.NotificationID, row.MessageID, row.TrustlyOrderID, row.OrderID, row.Deliveries, row.Reason, want.msg, want.orderid, want.order)
			}
		}

		d, err := r.svc.OrderDetail(r.ctx, viewer, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Refused) != 1 || d.Refused[0].Raw != string(shifted.raw) {
			t.Errorf("order %d shows %d refused notifications; want the shifted copy alone", o.ID, len(d.Refused))
		}
		if d, err := r.svc.OrderDetail(r.ctx, viewer, other.ID); err != nil || len(d.Refused) != 0 {
			t.Errorf("order %d, whose messageid no refused body names, shows %d refused (%v); want none", other.ID, len(d.Refused), err)
		}

		home, err = r.svc.BackOfficeHome(r.ctx, viewer)
		if err != nil || home.Refused != 2 {
			t.Errorf("home after: %d refused, %v; want 2", home.Refused, err)
		}
		if !strings.Contains(list.Refused[0].Raw, `"method"`) {
			t.Errorf("raw %q; want the body as it came", list.Refused[0].Raw)
		}
	})
}

// TestRefusedNotificationsPlans: the flagged list (those waiting and those
// resolved), an order's page and the home read the refused notifications through
// an index (idx_refused_notifications_received, idx_refused_notifications_message,
// the resolutions' refused_notification_id), never the table whole, on both
// databases.
func TestRefusedNotificationsPlans(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		viewer := staff.Member{Email: "viewer-plans@example.com", PasswordHash: "not a bcrypt hash", Role: staff.RoleViewer, CreatedAt: time.Now()}
		if err := db.Create(&viewer).Error; err != nil {
			t.Fatal(err)
		}
		o := r.order(r.player(), 10000)
		var (
			mu    sync.Mutex
			stmts []string
			vars  [][]any
		)
		record := func(tx *gorm.DB) {
			if tx.DryRun || tx.Statement.Context == nil || tx.Statement.Context.Value(homeStatementKey{}) == nil ||
				!strings.Contains(tx.Statement.SQL.String(), "refused_notifications") {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			stmts, vars = append(stmts, tx.Statement.SQL.String()), append(vars, slices.Clone(tx.Statement.Vars))
		}
		for _, pool := range slices.Compact([]*gorm.DB{db, store.Reads(db)}) {
			cb := pool.Callback()
			for _, err := range []error{
				cb.Query().After("gorm:query").Register("test:refused", record),
				cb.Row().After("gorm:row").Register("test:refused", record),
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		ctx := context.WithValue(r.ctx, homeStatementKey{}, true)
		if _, err := r.svc.FlaggedList(ctx, viewer); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.OrderDetail(ctx, viewer, o.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.BackOfficeHome(ctx, viewer); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(stmts) != 4 {
			t.Fatalf("recorded %d reads of refused_notifications: %q; want the list's waiting and resolved ones, the order's and the home's", len(stmts), stmts)
		}
		for i, stmt := range stmts {
			plan, err := storetest.Explain(db, stmt, vars[i]...)
			if err != nil || unindexedRead(db, strings.Join(plan, "\n")) {
				t.Errorf("%s\nplan (%v):\n\t%s\nwant the refused notifications read through an index", stmt, err, strings.Join(plan, "\n\t"))
			}
		}
	})
}
