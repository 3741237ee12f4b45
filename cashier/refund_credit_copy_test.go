package cashier_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestRefundNotReturnedByCopyOfDepositCredit: Trustly sends a refund's credit
// (its money coming back) under the deposit's orderid and messageid, so a credit
// of a waiting refund's amount is taken as that refund coming back. The
// deposit's own credit sent again under a new notificationid, or any credit
// Trustly timestamped no later than it, cannot be: the refund was made after that
// credit was booked, and its credit is a later event. Such a copy is the
// deposit's second credit, flagged and not booked, and the refund stays sent
// with its money at the bank; before, it was booked as the refund coming back,
// and the player had the refund's amount both in the bank and in the wallet. A
// credit timestamped after the deposit's is still the refund coming back.
func TestRefundNotReturnedByCopyOfDepositCredit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		var credit *trustly.Notification
		for _, n := range e.notes(dep.TrustlyOrderID) {
			if n.method == trustly.MethodCredit {
				var err error
				if credit, err = trustly.DecodeNotification(n.raw); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		if credit == nil {
			t.Fatal("the deposit's credit was not received")
		}
		booked, err := trustly.ParseTimestamp(credit.Data.(*trustly.TransferData).Timestamp)
		if err != nil {
			t.Fatal(err)
		}

		refund, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 1000), "")
		if err != nil || refund.Status != models.OrderSent {
			t.Fatalf("refund: %s, %v; want sent", refund.Status, err)
		}
		e.waitFor("the refund confirmed", func() bool { return e.reload(refund).ConfirmedAt != nil })
		if err := e.sb.Sandbox.WaitIdle(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.wantMoney(p, 0, 0)

		// copyOf is the deposit's credit signed again under a new notificationid,
		// timestamped ts ("" keeps its own).
		copyOf := func(ts string) []byte {
			data := map[string]any{}
			for k, v := range credit.Tree {
				data[k] = v
			}
			data["notificationid"] = fmt.Sprintf("%010d", 3000000000+paySeq.Add(1))
			if ts != "" {
				data["timestamp"] = ts
			}
			raw, err := trustly.EncodeNotification(e.sb.Config.Key, trustly.MethodCredit, uuid.NewString(), data)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
		for _, c := range []struct{ name, ts string }{
			{"the same credit under a new notificationid", ""},
			{"a credit timestamped before the deposit's", trustly.FormatTimestamp(booked.Add(-time.Hour))},
		} {
			e.apply(copyOf(c.ts))
			if got := e.reload(refund); got.ReturnedAt != nil || got.CreditedAt != nil || got.Status != models.OrderConfirmed {
				t.Errorf("%s: refund %s returned %v; want it confirmed, not returned", c.name, got.Status, got.ReturnedAt)
			}
			e.wantMoney(p, 0, 0)
			if d := e.reload(dep); !strings.Contains(d.Flag, "more than one credit") {
				t.Errorf("%s: deposit flag %q; want the second credit flagged", c.name, d.Flag)
			}
		}

		e.apply(copyOf(trustly.FormatTimestamp(booked.Add(time.Minute))))
		if got := e.reload(refund); got.ReturnedAt == nil || got.Status != models.OrderFailed {
			t.Errorf("a credit after the deposit's: refund %s returned %v; want it returned", got.Status, got.ReturnedAt)
		}
		e.wantMoney(p, 100000, 0)
	})
}
