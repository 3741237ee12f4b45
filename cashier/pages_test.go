package cashier_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestSummary reads the cashier home's money for players in each state.
func TestSummary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		for _, tt := range []struct {
			name     string
			notes    []string // delivered for one deposit of 100,00 SEK
			wallet   int64
			blocked  bool
			returned bool // BelowZero is that deposit
		}{
			{name: "no deposit"},
			{name: "credited", notes: []string{"credit"}, wallet: 10000},
			{name: "returned after credit", notes: []string{"credit", "debit"}},
			// A debit before any credit is held: the player owes nothing.
			{name: "debit alone", notes: []string{"debit"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r.t = t
				p := r.player()
				var o models.Order
				if len(tt.notes) > 0 {
					o = r.order(p, 10000)
				}
				for _, m := range tt.notes {
					r.deliver(notify(t, key, m, o, p.EndUserID, nil), "OK")
				}
				got, err := r.svc.Summary(r.ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				var gotReturned int64
				if got.BelowZero != nil {
					gotReturned = got.BelowZero.ID
				}
				var wantReturned int64
				if tt.returned {
					wantReturned = o.ID
				}
				if got.Wallet.Minor != tt.wallet || got.Blocked != tt.blocked || gotReturned != wantReturned {
					t.Errorf("got wallet %d, blocked %t, returned deposit %d; want %d, %t, %d",
						got.Wallet.Minor, got.Blocked, gotReturned, tt.wallet, tt.blocked, wantReturned)
				}
				if !reflect.DeepEqual(got.Limits, defaultSEKLimits) || got.Wallet.Currency != "SEK" {
					t.Errorf("got limits %+v in %s; want %+v in SEK", got.Limits, got.Wallet.Currency, defaultSEKLimits)
				}
			})
		}
	})
}

// defaultSEKLimits are the limits of a currency the config does not name (the
// rig names none), written out: 10–10 000 kr per order, approval above 5 000 kr,
// two approvals above 10 000 kr, operators' refunds up to 1 000 kr.
var defaultSEKLimits = cashier.Limits{
	MinDeposit: sek(1000), MaxDeposit: sek(1000000),
	MinPayout: sek(1000), MaxPayout: sek(1000000),
	ApprovalAbove: sek(500000), TwoPersonAbove: sek(1000000), RefundOperatorMax: sek(100000),
	QuickPicks: []models.Money{sek(10000), sek(25000), sek(50000), sek(100000)},
}

// TestSummaryConfiguredLimits shows the limits the config sets for the player's
// currency, not the defaults.
func TestSummaryConfiguredLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		want := cashier.Limits{MinDeposit: sek(2000), MaxDeposit: sek(500000), MinPayout: sek(5000),
			MaxPayout: sek(250000), ApprovalAbove: sek(250050), QuickPicks: []models.Money{sek(2000), sek(500000)}}
		r := newRig(t, db, "", func(c *cashier.Config) {
			c.Limits = map[string]cashier.Limits{"SEK": want, "EUR": {MinDeposit: models.Money{Minor: 1, Currency: "EUR"}}}
		})
		got, err := r.svc.Summary(r.ctx, r.player())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Limits, want) {
			t.Errorf("got limits %+v; want %+v", got.Limits, want)
		}
	})
}

// TestHistory reads orders and movements newest first, each movement with the
// balance right after it.
func TestHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		p := r.player()
		first := r.order(p, 10000)
		r.deliver(notify(t, key, "credit", first, p.EndUserID, nil), "OK")
		second := r.order(p, 25000)
		r.deliver(notify(t, key, "credit", second, p.EndUserID, nil), "OK")
		r.deliver(notify(t, key, "debit", first, p.EndUserID, nil), "OK")
		r.player() // another player's money is not in the history

		got, err := r.svc.History(r.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if got.Wallet.Minor != 25000 || len(got.Orders) != 2 || got.Orders[0].ID != second.ID || got.Orders[1].ID != first.ID {
			t.Fatalf("got wallet %d and %d orders; want 25000 and orders %d, %d", got.Wallet.Minor, len(got.Orders), second.ID, first.ID)
		}
		want := []struct{ minor, after int64 }{{-10000, 25000}, {25000, 35000}, {10000, 10000}}
		if len(got.Movements) != len(want) {
			t.Fatalf("got %d movements, want %d", len(got.Movements), len(want))
		}
		for i, w := range want {
			if m := got.Movements[i]; m.Minor != w.minor || m.After.Minor != w.after || m.After.Currency != "SEK" {
				t.Errorf("movement %d: got %d, after %d %s; want %d, after %d SEK", i, m.Minor, m.After.Minor, m.After.Currency, w.minor, w.after)
			}
		}
	})
}

// TestDeposit finds only the player's own deposits, with their wallet.
func TestDeposit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		p, other := r.player(), r.player()
		deposit := r.order(p, 10000)
		r.deliver(notify(t, rigTrustlyKey(), "credit", deposit, p.EndUserID, nil), "OK")
		selection := r.order(p, 0)
		selection.Kind, selection.MessageID = models.OrderSelectAccount, models.NewMessageID(models.OrderSelectAccount)
		if err := db.Save(&selection).Error; err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name      string
			player    models.Player
			messageID string
			wallet    int64 // and the deposit is found; else ErrOrderNotFound
			found     bool
		}{
			{"own deposit", p, deposit.MessageID, 10000, true},
			{"another player's deposit", other, deposit.MessageID, 0, false},
			{"unknown", p, "dep-nope", 0, false},
			{"an account selection", p, selection.MessageID, 0, false},
		} {
			got, err := r.svc.Deposit(r.ctx, tt.player, tt.messageID)
			if tt.found && (err != nil || got.Order.ID != deposit.ID || got.Wallet.Minor != tt.wallet) {
				t.Errorf("%s: got order %d, wallet %d, %v; want order %d, wallet %d", tt.name, got.Order.ID, got.Wallet.Minor, err, deposit.ID, tt.wallet)
			}
			if !tt.found && !errors.Is(err, cashier.ErrOrderNotFound) {
				t.Errorf("%s: got %v, want ErrOrderNotFound", tt.name, err)
			}
		}
	})
}

// TestPayoutDetail follows one payout's "Check with the bank" on the service's
// clock, and reads the withdrawal page around it.
func TestPayoutDetail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 10000)
		// The small one first: the payouts of 24 hours count together, so after the
		// waiting one it would wait too (cashier.PayoutWindow).
		order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(order, models.OrderConfirmed)
		waiting, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 6000)) // above the approval limit
		if err != nil {
			t.Fatal(err)
		}

		if d, err := e.svc.PayoutDetail(e.ctx, p, waiting.ID); err != nil || d.Checkable || d.CheckWait || d.Withdrawable.Minor != 390000 {
			t.Errorf("awaiting approval: got checkable %t, wait %t, withdrawable %d, %v; want false, false, 390000",
				d.Checkable, d.CheckWait, d.Withdrawable.Minor, err)
		}
		if c, err := e.svc.CheckPayout(e.ctx, p, waiting.ID); err != nil || c.Asked || !c.NextCheck.IsZero() {
			t.Errorf("check awaiting approval: got asked %t, next %v, %v; want false, zero", c.Asked, c.NextCheck, err)
		}

		var asked time.Time // when Trustly was last asked
		for _, tt := range []struct {
			advance time.Duration
			wait    bool // the page says to wait before checking
			asked   bool // then checking asks Trustly
		}{
			{0, false, true},
			{0, true, false},
			{14*time.Minute + 59*time.Second, true, false},
			{time.Second, false, true},
			{time.Minute, true, false},
		} {
			e.clock.Advance(tt.advance)
			d, err := e.svc.PayoutDetail(e.ctx, p, order.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Checkable || d.CheckWait != tt.wait || d.State != cashier.PayoutTextPaid {
				t.Errorf("+%s: got checkable %t, wait %t, %q; want true, %t, %q", tt.advance, d.Checkable, d.CheckWait, d.State, tt.wait, cashier.PayoutTextPaid)
			}
			c, err := e.svc.CheckPayout(e.ctx, p, order.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tt.asked {
				asked = e.clock.Now()
			}
			if want := asked.Add(cashier.TransferCheckEvery); c.Asked != tt.asked || c.NextCheck.Sub(want).Abs() > time.Millisecond {
				t.Errorf("+%s: got asked %t, next check %v; want %t, %v", tt.advance, c.Asked, c.NextCheck, tt.asked, want)
			}
		}

		other := e.player("SE")
		if _, err := e.svc.PayoutDetail(e.ctx, other, order.ID); !errors.Is(err, cashier.ErrOrderNotFound) {
			t.Errorf("another player's payout: got %v, want ErrOrderNotFound", err)
		}
		if _, err := e.svc.CheckPayout(e.ctx, other, order.ID); !errors.Is(err, cashier.ErrOrderNotFound) {
			t.Errorf("check another player's payout: got %v, want ErrOrderNotFound", err)
		}

		sum, err := e.svc.PayoutSummary(e.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Wallet.Minor != 390000 || sum.Withdrawable != sum.Wallet || sum.Blocked || sum.BelowZero != nil {
			t.Errorf("got wallet %d, withdrawable %d, blocked %t; want 390000, 390000, false", sum.Wallet.Minor, sum.Withdrawable.Minor, sum.Blocked)
		}
		if len(sum.Accounts) != 1 || sum.Accounts[0].ID != account.ID {
			t.Errorf("got %d accounts; want account %d", len(sum.Accounts), account.ID)
		}
		if len(sum.Payouts) != 2 || sum.Payouts[0].Order.ID != waiting.ID || sum.Payouts[1].Order.ID != order.ID ||
			sum.Payouts[1].Account.ID != account.ID || sum.Payouts[0].State != cashier.PayoutTextAwaitingApproval {
			t.Errorf("got payouts %+v; want %d (awaiting approval) then %d", sum.Payouts, waiting.ID, order.ID)
		}
	})
}

// TestHome: the cashier home's one read holds what the Summary, the deposit
// limits (without their history) and the break in force say, before and after a
// limit, a deposit and a break.
func TestHome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := limitsRig(t, db)
		p := r.player()
		check := func(stage string, onBreak bool) {
			t.Helper()
			got, err := r.svc.Home(r.ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := r.svc.Summary(r.ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			st, err := r.svc.DepositLimits(r.ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			st.History, st.At = nil, got.DepositLimits.At // the rig's clock is the real one
			b, ok, err := r.svc.CurrentBreak(r.ctx, p)
			if err != nil || ok != onBreak {
				t.Fatalf("%s: break in force %t, %v; want %t", stage, ok, err, onBreak)
			}
			if !reflect.DeepEqual(got.Summary, sum) || !reflect.DeepEqual(got.DepositLimits, st) {
				t.Errorf("%s: Home\n%+v\nwant summary %+v\nand limits %+v", stage, got, sum, st)
			}
			if (got.Break != nil) != ok || ok && got.Break.ID != b.ID {
				t.Errorf("%s: Home's break %+v; want %+v (in force: %t)", stage, got.Break, b, ok)
			}
		}
		check("new player", false)
		if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Day: 100000}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.StartDeposit(r.ctx, p, sek(60000), "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		check("a limit and a deposit", false)
		if _, err := r.svc.TakeBreak(r.ctx, p, "", breaks.TimeOut24h); err != nil {
			t.Fatal(err)
		}
		check("on a break", true)
	})
}

// TestHomeDepositMax: the most a deposit may bring is the currency's largest
// deposit, or what the deposit limits leave when less, never below zero.
func TestHomeDepositMax(t *testing.T) {
	sek := func(minor int64) models.Money { return models.Money{Minor: minor, Currency: "SEK"} }
	for _, tt := range []struct {
		name    string
		limited bool
		left    int64
		want    int64
	}{
		{"no limits", false, 0, 1000000},
		{"limits leave more", true, 2000000, 1000000},
		{"limits leave less", true, 40000, 40000},
		{"limits used up and more", true, -500, 0},
	} {
		h := cashier.Home{Summary: cashier.Summary{Limits: cashier.Limits{MaxDeposit: sek(1000000)}},
			DepositLimits: limits.Status{Limited: tt.limited, Remaining: sek(tt.left)}}
		if got := h.DepositMax(); got != sek(tt.want) {
			t.Errorf("%s: %v; want %v", tt.name, got, sek(tt.want))
		}
	}
}
