package cashier_test

import (
	"errors"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/reconcile"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestReconcile: after deposits, a payout and a refund, Trustly's AccountLedger
// and our ledger agree; when the sandbox's AccountLedger misses one entry and
// doubles another, the reconciliation lists exactly those two. Only finance may
// reconcile.
func TestReconcile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		fin, op := e.staff(staff.RoleFinance), e.staff(staff.RoleOperator)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		dep := e.lastDeposit(p)
		e.deposit(p, 200)
		payout, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 300))
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(payout, models.OrderConfirmed)
		refund, err := e.svc.RefundDeposit(e.ctx, fin, dep.ID, e.money(p, 250), "")
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(refund, models.OrderConfirmed)
		if err := e.sb.Sandbox.WaitIdle(e.ctx); err != nil {
			t.Fatal(err)
		}
		today := time.Now().UTC()
		from, to := today.AddDate(0, 0, -1), today.AddDate(0, 0, 1)

		if _, err := e.svc.Reconcile(e.ctx, op, "SEK", from, to); !errors.Is(err, staff.ErrNotAllowed) {
			t.Errorf("operator reconciles: %v; want ErrNotAllowed", err)
		}
		r, err := e.svc.Reconcile(e.ctx, fin, "SEK", from, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Mismatches) != 0 || r.Ours != 4 || len(r.Other) != 1 {
			t.Fatalf("faithful ledger: %d ours, %d other, mismatches %+v; want 4 ours, the opening balance apart, none", r.Ours, len(r.Other), r.Mismatches)
		}

		rows, err := e.sb.Client(t).AccountLedger(e.ctx, trustly.AccountLedgerParams{FromDate: from.Format(time.DateOnly),
			ToDate: to.Format(time.DateOnly), Currency: "SEK"})
		if err != nil {
			t.Fatal(err)
		}
		var named []trustly.LedgerEntry
		for _, row := range rows {
			if row.MessageID != "" {
				named = append(named, row)
			}
		}
		first, last := named[0], named[len(named)-1]
		e.sb.Sandbox.SetLedgerGlitch(true)
		r, err = e.svc.Reconcile(e.ctx, fin, "SEK", from, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Mismatches) != 2 {
			t.Fatalf("glitched ledger: mismatches %+v; want 2", r.Mismatches)
		}
		missing, doubled := r.Mismatches[0], r.Mismatches[1]
		if missing.Kind == reconcile.OnlyTrustly {
			missing, doubled = doubled, missing
		}
		// Trustly writes ledger amounts with twenty decimals ("-250.00000000000000000000").
		firstAmount, err1 := models.ParseDecimal(first.Amount, "SEK")
		lastAmount, err2 := models.ParseDecimal(last.Amount, "SEK")
		if err1 != nil || err2 != nil {
			t.Fatalf("ledger amounts %q, %q: %v, %v", first.Amount, last.Amount, err1, err2)
		}
		if missing.Kind != reconcile.OnlyOurs || missing.Key != first.MessageID || missing.Ours.Amount.Minor != firstAmount.Minor ||
			doubled.Kind != reconcile.OnlyTrustly || doubled.Key != last.MessageID || doubled.Trustly.Amount.Minor != lastAmount.Minor {
			t.Errorf("glitched ledger: %s %s %v and %s %s %v; want %s %s %s and %s %s %s", missing.Kind, missing.Key, missing.Ours,
				doubled.Kind, doubled.Key, doubled.Trustly, reconcile.OnlyOurs, first.MessageID, first.Amount,
				reconcile.OnlyTrustly, last.MessageID, last.Amount)
		}
	})
}

// TestDailyVolumes: the day's credited deposits and sent payouts, per currency;
// refunds are not payouts.
func TestDailyVolumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		viewer, fin := e.staff(staff.RoleViewer), e.staff(staff.RoleFinance)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.deposit(p, 200)
		if _, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 300)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RefundDeposit(e.ctx, fin, e.lastDeposit(p).ID, e.money(p, 50), ""); err != nil {
			t.Fatal(err)
		}
		today := time.Now().UTC()
		got, err := e.svc.DailyVolumes(e.ctx, viewer, today.AddDate(0, 0, -2), today.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		sek := got["SEK"]
		if len(got) != 1 || len(sek) != 3 || sek[2].Deposits.Minor != 120000 || sek[2].Payouts.Minor != 30000 ||
			sek[0].Deposits.Minor != 0 || sek[2].Day.Format(time.DateOnly) != today.Format(time.DateOnly) {
			t.Errorf("daily volumes %+v; want 3 SEK days, today 1 200.00 in and 300.00 out", got)
		}
	})
}
