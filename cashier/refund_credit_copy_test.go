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
		if err != nil || refund.SentAt == nil {
			t.Fatalf("refund: %s, %v; want sent (or confirmed already)", refund.Status, err)
		}
		e.waitFor("the refund confirmed", func() bool { return e.reload(refund).ConfirmedAt != nil })
		if err := e.sb.Sandbox.WaitIdle(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.wantMoney(p, 0, 0)

		// copyOf is the deposit's credit signed again under a new notificationid,
		// timestamped ts ("" keeps its own).
		copyOf := func(ts string) []byte {
			if ts == "" {
				return e.resigned(credit.Raw, nil)
			}
			return e.resigned(credit.Raw, map[string]any{"timestamp": ts})
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

// resigned is the notification raw signed again with Trustly's key under a new
// notificationid and uuid, with fields changed in its data.
func (e *payEnv) resigned(raw []byte, fields map[string]any) []byte {
	e.t.Helper()
	n, err := trustly.DecodeNotification(raw)
	if err != nil {
		e.t.Fatal(err)
	}
	data := map[string]any{}
	for k, v := range n.Tree {
		data[k] = v
	}
	data["notificationid"] = fmt.Sprintf("%010d", 3000000000+paySeq.Add(1))
	for k, v := range fields {
		data[k] = v
	}
	out, err := trustly.EncodeNotification(e.sb.Config.Key, n.Method, uuid.NewString(), data)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// TestRefundNotificationCopyAppliesToNoOtherRefund: Trustly names only the
// deposit in a refund's notifications, so one is applied to the oldest refund of
// its amount still waiting for it. A payoutconfirmation, payoutfailed or credit
// applied to one refund and sent again under a new notificationid, the same
// event with the same timestamp, is not another refund's: applied to a second
// refund of that amount it booked that refund as confirmed, failed or given
// back, and with the credit put its money in the wallet while Trustly paid it.
// The copy is flagged on the deposit and applies nothing; the second refund's
// own notifications, later, still apply to it.
func TestRefundNotificationCopyAppliesToNoOtherRefund(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin := e.staff(staff.RoleFinance)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.hold.Store(true) // only the forged notifications below arrive
		for _, method := range []string{trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed, trustly.MethodCredit} {
			t.Run(method, func(t *testing.T) {
				e.t = t
				first, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 100), "")
				if err != nil || first.Status != models.OrderSent {
					t.Fatalf("first refund: %s, %v; want sent", first.Status, err)
				}
				second, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 100), "")
				if err != nil || second.Status != models.OrderSent {
					t.Fatalf("second refund: %s, %v; want sent", second.Status, err)
				}
				wallet := e.balance(models.PlayerWallet(p.ID), "SEK")
				note := e.forge(method, dep, p, map[string]any{"amount": "100.00"})
				e.apply(note)
				applied := e.reload(first)
				if applied.Status == models.OrderSent {
					t.Fatalf("%s not applied to the first refund: %s", method, applied.Status)
				}
				e.apply(e.resigned(note, nil))
				if got := e.reload(second); got.Status != models.OrderSent || got.ConfirmedAt != nil || got.PayoutFailedAt != nil || got.ReturnedAt != nil {
					t.Errorf("a copy of the first refund's %s under a new notificationid: second refund %s; want it sent, nothing applied", method, got.Status)
				}
				if got := e.reload(first); got.Status != applied.Status || got.Flag != applied.Flag {
					t.Errorf("a copy of its %s: first refund %s flag %q; want %s flag %q", method, got.Status, got.Flag, applied.Status, applied.Flag)
				}
				want := wallet
				if method == trustly.MethodCredit {
					want += 10000
				}
				e.wantMoney(p, want, 0)
				if d := e.reload(dep); !strings.Contains(d.Flag, "sent again under notificationid") {
					t.Errorf("deposit flag %q; want the copy flagged", d.Flag)
				}
				e.apply(e.forge(method, dep, p, map[string]any{"amount": "100.00", "timestamp": trustly.FormatTimestamp(time.Now().Add(time.Second))}))
				if got := e.reload(second); got.Status == models.OrderSent {
					t.Errorf("the second refund's own %s not applied: %s", method, got.Status)
				}
				// Settle what is left at the bank, for the next method's refunds.
				for _, r := range []models.Order{first, second} {
					if r = e.reload(r); r.ReturnedAt == nil {
						e.apply(e.forge(trustly.MethodCredit, dep, p, map[string]any{"amount": "100.00",
							"timestamp": trustly.FormatTimestamp(time.Now().Add(2 * time.Second))}))
					}
				}
			})
		}
	})
}
