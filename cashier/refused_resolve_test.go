package cashier_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestResolveRefusedNotification: a notification refused for its data stayed on
// the flagged list and in the home's count for ever, as nothing marked it looked
// at. An operator resolves it now with a note, as a flagged order: a viewer may
// not, an empty note is refused, a second member's resolution is refused naming
// the first (the same member's same note sent again is recorded once), one
// resolution and one audit row are written, and it leaves the list and the
// count. Its order's page shows who resolved it, when and the note. Delivered
// again after, it is still being refused: it waits again, showing the
// resolution before it, and may be resolved again.
func TestResolveRefusedNotification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		member := func(email string, role staff.Role) staff.Member {
			m := staff.Member{Email: email, PasswordHash: "not a bcrypt hash", Role: role, CreatedAt: time.Now()}
			if err := db.Create(&m).Error; err != nil {
				t.Fatal(err)
			}
			return m
		}
		viewer, op, other := member("viewer-rr@example.com", staff.RoleViewer), member("op-rr@example.com", staff.RoleOperator),
			member("op2-rr@example.com", staff.RoleOperator)
		p := r.player()
		o := r.order(p, 10000)
		genuine := notify(t, rigTrustlyKey(), trustly.MethodAccount, o, p.EndUserID, map[string]any{"attributes": map[string]any{
			"clearinghouse": "SWEDEN", "bank": "Handelsbanken", "descriptor": "**706212", "lastdigits": "706212",
			"name": "Bertil Berg", "personid": "SE197901311246"}})
		shifted := reshape(t, genuine, shiftAttrs("lastdigits", "name", "personid"))
		r.refuseShifted(map[string]note{"shifted": shifted})
		list, err := r.svc.FlaggedList(r.ctx, viewer)
		if err != nil || len(list.Refused) != 1 {
			t.Fatalf("flagged list: %d refused, %v; want 1", len(list.Refused), err)
		}
		id := list.Refused[0].ID
		resolutions := func() (n int64) {
			db.Model(&staff.Resolution{}).Where("refused_notification_id = ?", id).Count(&n)
			return n
		}
		audits := func() (n int64) {
			db.Model(&staff.Audit{}).Where("event = ?", staff.EventFlagResolved).Count(&n)
			return n
		}
		waiting := func() (int, int) {
			t.Helper()
			list, err := r.svc.FlaggedList(r.ctx, viewer)
			if err != nil {
				t.Fatal(err)
			}
			home, err := r.svc.BackOfficeHome(r.ctx, viewer)
			if err != nil {
				t.Fatal(err)
			}
			return len(list.Refused), home.Refused
		}

		if _, err := r.svc.ResolveRefusedNotification(r.ctx, viewer, id, "looked at it"); !errors.Is(err, staff.ErrNotAllowed) {
			t.Errorf("a viewer resolving: %v; want ErrNotAllowed", err)
		}
		if _, err := r.svc.ResolveRefusedNotification(r.ctx, op, id, "  "); problem(err) != "Write a note." {
			t.Errorf("an empty note: %v; want Write a note.", err)
		}
		if _, err := r.svc.ResolveRefusedNotification(r.ctx, op, id+1000, "looked"); !errors.Is(err, cashier.ErrNotificationNotFound) {
			t.Errorf("an unknown id: %v; want ErrNotificationNotFound", err)
		}
		if n, a := resolutions(), audits(); n != 0 || a != 0 {
			t.Fatalf("refused resolutions wrote %d resolutions, %d audit rows; want none", n, a)
		}

		res, err := r.svc.ResolveRefusedNotification(r.ctx, op, id, "a copy reshaped, not Trustly's own")
		if err != nil || res.RefusedNotificationID != id || res.StaffEmail != op.Email || res.Deliveries != 2 {
			t.Fatalf("resolve: %+v, %v; want the operator's resolution covering 2 deliveries", res, err)
		}
		if again, err := r.svc.ResolveRefusedNotification(r.ctx, op, id, "a copy reshaped, not Trustly's own"); err != nil || again.ID != res.ID {
			t.Errorf("the same note again: %+v, %v; want the first resolution", again, err)
		}
		if _, err := r.svc.ResolveRefusedNotification(r.ctx, other, id, "me too"); !errors.Is(err, cashier.ErrResolvedAlready) ||
			!strings.Contains(problem(err), op.Email) {
			t.Errorf("another member after: %v; want ErrResolvedAlready naming %s", err, op.Email)
		}
		if n, a := resolutions(), audits(); n != 1 || a != 1 {
			t.Errorf("%d resolutions, %d audit rows; want 1 and 1", n, a)
		}
		var audit staff.Audit
		db.Where("event = ?", staff.EventFlagResolved).Take(&audit)
		if audit.StaffID != op.ID || audit.Reason != "a copy reshaped, not Trustly's own" || !strings.Contains(string(audit.After), `"refused_notification_id":`) {
			t.Errorf("audit row %+v; want the operator's, the note and the refused notification", audit)
		}
		if l, h := waiting(); l != 0 || h != 0 {
			t.Errorf("after resolving: listed %d, home counts %d; want 0 and 0", l, h)
		}
		d, err := r.svc.OrderDetail(r.ctx, viewer, o.ID)
		if err != nil || len(d.Refused) != 1 || d.Refused[0].Resolution == nil || d.Refused[0].Resolution.ID != res.ID {
			t.Errorf("order page: %d refused (%v); want it with its resolution", len(d.Refused), err)
		}

		// Trustly delivers the same body again: it is still being refused.
		if _, err := r.svc.HandleNotification(r.ctx, shifted.raw); !errors.Is(err, trustly.ErrBadData) {
			t.Fatalf("redelivery: %v; want ErrBadData", err)
		}
		if l, h := waiting(); l != 1 || h != 1 {
			t.Errorf("redelivered after resolving: listed %d, home counts %d; want 1 and 1", l, h)
		}
		list, _ = r.svc.FlaggedList(r.ctx, viewer)
		if row := list.Refused[0]; row.Deliveries != 3 || row.Resolution == nil || row.Resolution.ID != res.ID {
			t.Errorf("redelivered row: %d deliveries, resolution %+v; want 3 and the earlier one", row.Deliveries, row.Resolution)
		}
		if _, err := r.svc.ResolveRefusedNotification(r.ctx, other, id, "still reshaped; asked Trustly"); err != nil || resolutions() != 2 {
			t.Errorf("resolving again after a redelivery: %v, %d resolutions; want nil and 2", err, resolutions())
		}
		if l, h := waiting(); l != 0 || h != 0 {
			t.Errorf("resolved again: listed %d, home counts %d; want 0 and 0", l, h)
		}
		var kept models.RefusedNotification
		if db.Take(&kept, id); kept.Deliveries != 3 || kept.Raw != string(shifted.raw) {
			t.Errorf("the refused row: %d deliveries; want 3 and its body untouched", kept.Deliveries)
		}
	})
}
