package cashier_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// limitsRig is a rig with the built-in limit policies and a Trustly that starts
// every deposit.
func limitsRig(t *testing.T, db *gorm.DB) *rig {
	t.Helper()
	var n int
	var mu sync.Mutex
	fake := newFakeTrustly(t, func(string, map[string]any) (any, int) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return map[string]any{"orderid": fmt.Sprintf("%010d", 3000000000+n), "url": "https://checkout.test/x"}, 0
	})
	return newRig(t, db, fake.URL, func(c *cashier.Config) { c.LimitPolicy = limits.Builtin() })
}

// TestStartDepositLimits: a Swedish player must set a limit before the first
// deposit; a deposit above what the limit leaves is refused with the amount
// still allowed; a failed deposit gives its headroom back.
func TestStartDepositLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := limitsRig(t, db)
		p := r.player()
		_, err := r.svc.StartDeposit(r.ctx, p, sek(10000), "10.0.0.1")
		if got, want := problem(err), "Set your deposit limits before you deposit: a limit for at least one of a day, a week or a month."; got != want {
			t.Fatalf("first deposit without limits: %q (%v); want %q", got, err, want)
		}
		if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Day: 100000}); err != nil {
			t.Fatal(err)
		}
		first, err := r.svc.StartDeposit(r.ctx, p, sek(60000), "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.svc.StartDeposit(r.ctx, p, sek(40001), "10.0.0.1")
		if got, want := problem(err), "Your daily deposit limit leaves 400,00\u00a0SEK now; deposit at most that amount."; got != want {
			t.Fatalf("above the limit: %q (%v); want %q", got, err, want)
		}
		// The first deposit is cancelled: its 600 SEK are free again.
		r.deliver(notify(t, rigTrustlyKey(), "cancel", r.reload(first), p.EndUserID, nil), "OK")
		if _, err := r.svc.StartDeposit(r.ctx, p, sek(100000), "10.0.0.1"); err != nil {
			t.Fatalf("after the cancel: %v; want the whole limit free", err)
		}
		st, err := r.svc.DepositLimits(r.ctx, p)
		if err != nil || st.Remaining.Minor != 0 || st.Periods[0].Used.Minor != 100000 {
			t.Errorf("limits after 1000 SEK: remaining %d, used %d, %v; want 0, 100000", st.Remaining.Minor, st.Periods[0].Used.Minor, err)
		}
	})
}

// TestStartDepositLimitConcurrent: deposits started at once against one remaining
// limit: at most one succeeds, and what was started never exceeds the limit.
func TestStartDepositLimitConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := limitsRig(t, db)
		const rounds, racers = 6, 6
		for round := range rounds {
			p := r.player()
			if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Week: 100000}); err != nil {
				t.Fatal(err)
			}
			start := make(chan struct{})
			errs := make([]error, racers)
			var wg sync.WaitGroup
			for i := range racers {
				wg.Go(func() {
					<-start
					_, errs[i] = r.svc.StartDeposit(r.ctx, p, sek(60000), "10.0.0.1")
				})
			}
			close(start)
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case problem(err) != "Your weekly deposit limit leaves 400,00\u00a0SEK now; deposit at most that amount.":
					t.Errorf("round %d: %v", round, err)
				}
			}
			var started int64
			db.Model(&models.Order{}).Where("player_id = ? AND status <> ?", p.ID, models.OrderFailed).Select("COALESCE(SUM(amount_minor), 0)").Scan(&started)
			if ok != 1 || started != 60000 {
				t.Fatalf("round %d: %d of %d deposits of 600 SEK started against a limit of 1000 SEK (%d in orders); want exactly 1", round, ok, racers, started)
			}
		}
	})
}

// pnpLimitsService is a pure Pay N Play cashier on db with the built-in limits
// policy, its kyc decisions asking l about the limits (nil: the cashier's own).
func pnpLimitsService(t *testing.T, db *gorm.DB, l paynplay.Limits) *cashier.Service {
	t.Helper()
	client, err := trustly.NewClient(trustly.Config{URL: "http://127.0.0.1:9/api/1", Username: "merchant", Password: "secret",
		PrivateKey: rigMerchantKey(), TrustlyKey: &rigTrustlyKey().PublicKey, Env: "test", Logger: rigLog()})
	if err != nil {
		t.Fatal(err)
	}
	modes, _ := paynplay.ParseModes("pure")
	svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: rigMerchantKey(),
		TrustlyKey: &rigTrustlyKey().PublicKey, Log: rigLog(), Exclusions: exclusions.Sandbox(), Limits: l,
		Config: cashier.Config{BaseURL: "http://cashier.test", NotifyToken: "tok-123", ShopperStatement: "Casino",
			IntegrationModule: "cashier-test/1", PayNPlay: modes, LimitPolicy: limits.Builtin()}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestKYCReadsDepositLimits: Pay N Play's kyc decision answers from the same
// limits. A new Swede, who has set no limits yet, may bring the policy's 1 000 SEK
// before the cashier asks for them (CONTINUE with limit); a Swede whose monthly
// limit leaves 300 SEK gets CONTINUE with 300.00; one with nothing left, FINISH.
func TestKYCReadsDepositLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		r.svc = pnpLimitsService(t, db, nil)
		key := rigTrustlyKey()
		kyc := func(o models.Order, want string) models.Order {
			t.Helper()
			r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("entity-"+o.MessageID, swedishAdult)), want)
			return r.reload(o)
		}
		first := kyc(r.pnpOrder(200000, "SEK"), trustly.StatusContinue)
		if first.KYCLimitMinor != 100000 || first.PlayerID == 0 {
			t.Fatalf("new Swede: kyc limit %d, player %d; want 100000 and a player", first.KYCLimitMinor, first.PlayerID)
		}
		var p models.Player
		if err := db.Take(&p, first.PlayerID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Month: 130000}); err != nil {
			t.Fatal(err)
		}
		// first counts with its kyc's cap, 1 000 SEK, against the 1 300 SEK limit.
		o := r.pnpOrder(50000, "SEK")
		o.PlayerID, o.EndUserID = p.ID, p.EndUserID
		if err := db.Save(&o).Error; err != nil {
			t.Fatal(err)
		}
		if got := kyc(o, trustly.StatusContinue); got.KYCLimitMinor != 30000 {
			t.Errorf("300 SEK left: kyc limit %d; want 30000", got.KYCLimitMinor)
		}
		o = r.pnpOrder(10000, "SEK")
		o.PlayerID, o.EndUserID = p.ID, p.EndUserID
		if err := db.Save(&o).Error; err != nil {
			t.Fatal(err)
		}
		if got := kyc(o, trustly.StatusFinish); !strings.Contains(got.KYCReasons, "deposit-limit-reached") {
			t.Errorf("nothing left: reasons %q; want deposit-limit-reached", got.KYCReasons)
		}
	})
}

// TestKYCDutchCapByAge: the NL policy's default monthly limit is 700 EUR, 300 EUR
// under 25, and the kyc's date of birth says which a new Dutch person gets: an
// adult's first deposit of 500 EUR is not capped, a 20-year-old's is capped at
// 300.00. The adult's next deposit is read with the date of birth now stored with
// them: 200.00 left of 700.
func TestKYCDutchCapByAge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		r.svc = pnpLimitsService(t, db, nil)
		key := rigTrustlyKey()
		kyc := func(o models.Order, attrs map[string]any) models.Order {
			t.Helper()
			r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("entity-"+o.MessageID, attrs)), trustly.StatusContinue)
			return r.reload(o)
		}
		young := maps.Clone(dutchAdult)
		young["firstname"], young["lastname"] = "Fleur", "Bakker"
		young["dob"] = time.Now().AddDate(-20, 0, 0).Format(time.DateOnly)
		for _, tt := range []struct {
			name  string
			attrs map[string]any
			limit int64
		}{{"adult", dutchAdult, 0}, {"20 years old", young, 30000}} {
			if got := kyc(r.pnpOrder(50000, "EUR"), tt.attrs); got.KYCLimitMinor != tt.limit || got.PlayerID == 0 {
				t.Errorf("new Dutch person, %s, depositing 500.00: kyc limit %d (reasons %q), player %d; want %d and a player",
					tt.name, got.KYCLimitMinor, got.KYCReasons, got.PlayerID, tt.limit)
			}
		}
		var jan models.Player
		if err := db.Where("country = ? AND last_name = ?", "NL", dutchAdult["lastname"]).Take(&jan).Error; err != nil {
			t.Fatal(err)
		}
		if jan.DateOfBirth != dutchAdult["dob"] {
			t.Fatalf("stored date of birth %q; want the kyc's %q", jan.DateOfBirth, dutchAdult["dob"])
		}
		o := r.pnpOrder(30000, "EUR")
		o.PlayerID, o.EndUserID = jan.ID, jan.EndUserID
		if err := db.Save(&o).Error; err != nil {
			t.Fatal(err)
		}
		if got := kyc(o, dutchAdult); got.KYCLimitMinor != 20000 {
			t.Errorf("returning Dutch adult, 500.00 of 700.00 used, depositing 300.00: kyc limit %d (reasons %q); want 20000",
				got.KYCLimitMinor, got.KYCReasons)
		}
	})
}

// barrierLimits is the cashier's limits, whose first two allowance reads wait for
// each other: two kyc decisions for one player taken at the same moment.
type barrierLimits struct {
	*limits.Service
	mu      sync.Mutex
	waiting int
	release chan struct{}
}

func (b *barrierLimits) DepositAllowance(ctx context.Context, who paynplay.Depositor, currency string) (paynplay.Allowance, error) {
	a, err := b.Service.DepositAllowance(ctx, who, currency)
	b.mu.Lock()
	b.waiting++
	if b.waiting == 2 {
		close(b.release)
	}
	first := b.waiting <= 2
	b.mu.Unlock()
	if first {
		select {
		case <-b.release:
		case <-time.After(5 * time.Second):
		}
	}
	return a, err
}

// TestKYCDepositLimitRace: two Pay N Play deposits of one player, 250 SEK each,
// decided at the same moment when the limits leave 300 SEK. Both decisions read
// 300 SEK left; the one stored second reads the limits again in its transaction,
// finds 50 SEK left and is decided again: CONTINUE with a cap of 50 SEK, not the
// whole 250. What the two deposits may bring stays within the limit.
func TestKYCDepositLimitRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		lim := &barrierLimits{Service: limits.New(db, limits.Builtin(), nil), release: make(chan struct{})}
		r.svc = pnpLimitsService(t, db, nil)
		key := rigTrustlyKey()
		first := r.pnpOrder(100000, "SEK")
		r.deliver(notify(t, key, trustly.MethodKYC, first, first.EndUserID, kycFields("entity-"+first.MessageID, swedishAdult)), trustly.StatusContinue)
		first = r.reload(first)
		var p models.Player
		if err := db.Take(&p, first.PlayerID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Month: 130000}); err != nil {
			t.Fatal(err)
		}
		r.svc = pnpLimitsService(t, db, lim)
		orders := make([]models.Order, 2)
		for i := range orders {
			o := r.pnpOrder(25000, "SEK")
			o.PlayerID, o.EndUserID = p.ID, p.EndUserID
			if err := db.Save(&o).Error; err != nil {
				t.Fatal(err)
			}
			orders[i] = o
		}
		var wg sync.WaitGroup
		for _, o := range orders {
			n := notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("entity-"+o.MessageID, swedishAdult))
			wg.Go(func() {
				if _, err := r.svc.HandleNotification(r.ctx, n.raw); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		total := int64(0)
		for _, o := range orders {
			got := r.reload(o)
			if got.KYCOutcome != models.KYCContinue {
				t.Fatalf("order %d: kyc %q (%s); want continue", got.ID, got.KYCOutcome, got.KYCReasons)
			}
			total += limits.Counts(got)
		}
		if total != 30000 {
			t.Fatalf("the two deposits may bring %d öre together; the limits left 30000", total)
		}
	})
}

// TestDepositLimitsCountCreditAboveOrder: a deposit credited with more than its
// order's amount (booked as Trustly says, and flagged) counts what reached the
// wallet against the limits, so no further deposit goes past them.
func TestDepositLimitsCountCreditAboveOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := limitsRig(t, db)
		p := r.player()
		if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Day: 100000}); err != nil {
			t.Fatal(err)
		}
		o, err := r.svc.StartDeposit(r.ctx, p, sek(60000), "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, r.reload(o), p.EndUserID, map[string]any{"amount": "1000.00"}), "OK")
		st, err := r.svc.DepositLimits(r.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Periods[0].Used.Minor != 100000 {
			t.Errorf("after 1000.00 credited on a 600.00 order: the day's limit used %d; want 100000", st.Periods[0].Used.Minor)
		}
		if _, err := r.svc.StartDeposit(r.ctx, p, sek(40000), "10.0.0.1"); err == nil {
			t.Error("a further 400.00 deposit started past the day's limit of 1000.00")
		}
	})
}

// TestCreditBelowOrderCountsCredited: a deposit counts what it reserved while
// its money may still come, and once its credit is booked, what was credited: a
// credit of less than the order frees the rest of the headroom, so the player may
// deposit it again, and it is not a credit past a limit. A second credit, which is
// flagged and not booked, adds nothing, and a debit of the credit frees it
// (TestDebitedDepositCountsNoMore).
func TestCreditBelowOrderCountsCredited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := limitsRig(t, db)
		p := r.player()
		if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Day: 100000}); err != nil {
			t.Fatal(err)
		}
		used := func(when string, want int64) {
			t.Helper()
			st, err := r.svc.DepositLimits(r.ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Periods[0].Used.Minor; got != want {
				t.Errorf("%s: the day's limit used %d; want %d", when, got, want)
			}
		}
		o, err := r.svc.StartDeposit(r.ctx, p, sek(60000), "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		o = r.reload(o)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodPending, o, p.EndUserID, nil), "OK")
		used("600.00 pending", 60000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, o, p.EndUserID, map[string]any{"amount": "400.00"}), "OK")
		if got := r.reload(o); !strings.Contains(got.Flag, "differs") || strings.Contains(got.Flag, "passes") {
			t.Errorf("400.00 credited on a 600.00 order: flag %q; want only the flag of the other amount", got.Flag)
		}
		used("400.00 credited on a 600.00 order", 40000)
		if _, err := r.svc.StartDeposit(r.ctx, p, sek(60000), "10.0.0.1"); err != nil {
			t.Fatalf("a further 600.00 after 400.00 credited against a day's limit of 1000.00: %v; want it started", err)
		}
		used("and a further 600.00 started", 100000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, o, p.EndUserID, map[string]any{"amount": "200.00"}), "OK")
		if got := r.reload(o); !strings.Contains(got.Flag, "more than one credit") {
			t.Errorf("a second credit of the rest: flag %q; want it flagged, not booked", got.Flag)
		}
		used("a second credit flagged, not booked", 100000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodDebit, o, p.EndUserID, map[string]any{"amount": "400.00"}), "OK")
		if got := r.reload(o); got.Status != models.OrderDebited {
			t.Fatalf("after the debit: %s; want debited", got.Status)
		}
		used("the credit debited", 60000)
	})
}

// TestDebitedDepositCountsNoMore: a deposit whose credit Trustly debits (API.md
// test case D1) no longer counts against the limits, in every period: the money
// never stayed. A debit answered FAILED took nothing back, as the ledger says, so
// its deposit still counts what was credited. A debit that came before its credit
// counts against what the credit brings: before a smaller credit nothing (the
// difference is given back), before a larger one what stays, and that credit is
// not read as one past a limit.
func TestDebitedDepositCountsNoMore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := limitsRig(t, db)
		p := r.player()
		if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Day: 100000, limits.Week: 150000,
			limits.Month: 200000}); err != nil {
			t.Fatal(err)
		}
		used := func(when string, want int64) {
			t.Helper()
			st, err := r.svc.DepositLimits(r.ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, ps := range st.Periods {
				if ps.Used.Minor != want {
					t.Errorf("%s: the %s limit used %d; want %d", when, ps.Period, ps.Used.Minor, want)
				}
			}
		}
		start := func(minor int64) models.Order {
			t.Helper()
			o, err := r.svc.StartDeposit(r.ctx, p, sek(minor), "10.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			return r.reload(o)
		}
		d1 := start(100000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, d1, p.EndUserID, nil), "OK")
		used("1000.00 credited", 100000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodDebit, d1, p.EndUserID, nil), "OK")
		if got := r.reload(d1); got.Status != models.OrderDebited || r.wallet(p) != 0 {
			t.Fatalf("after the debit: %s, wallet %d; want debited, 0", got.Status, r.wallet(p))
		}
		used("1000.00 credited, then debited", 0)

		failed := start(30000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, failed, p.EndUserID, nil), "OK")
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodDebit, failed, "someone-else", nil), "FAILED")
		if r.wallet(p) != 30000 {
			t.Fatalf("a debit answered FAILED: wallet %d; want the 300.00 credited still there", r.wallet(p))
		}
		used("300.00 credited, its debit answered FAILED", 30000)

		early := start(20000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodDebit, early, p.EndUserID, nil), "OK")
		used("a debit of 200.00 before its credit", 30000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, early, p.EndUserID, map[string]any{"amount": "150.00"}), "OK")
		if got := r.reload(early); strings.Contains(got.Flag, "passes") || r.wallet(p) != 30000 {
			t.Errorf("a credit of 150.00 after a debit of 200.00: flag %q, wallet %d; want no limit passed, 30000", got.Flag, r.wallet(p))
		}
		used("a debit of 200.00, then a credit of 150.00", 30000)

		more := start(70000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodDebit, more, p.EndUserID, nil), "OK")
		used("a debit of 700.00 before its credit", 30000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, more, p.EndUserID, map[string]any{"amount": "800.00"}), "OK")
		if got := r.reload(more); strings.Contains(got.Flag, "passes") || r.wallet(p) != 40000 {
			t.Errorf("a credit of 800.00 after a debit of 700.00, 100.00 staying: flag %q, wallet %d; want no limit passed, 40000",
				got.Flag, r.wallet(p))
		}
		used("a debit of 700.00, then a credit of 800.00", 40000)
		if _, err := r.svc.StartDeposit(r.ctx, p, sek(60000), "10.0.0.1"); err != nil {
			t.Errorf("600.00 of the day's 1000.00 with 400.00 counted: %v; want it started", err)
		}
	})
}

// TestCreditPastLimitFlagged: the limits are checked when a deposit's order is
// made, and again when its credit brings more than the order counted: a credit
// above the order's amount, or a late credit on a cancelled deposit whose headroom
// another deposit took since. The money is booked as Trustly says, and when it
// takes the player past a limit the order is flagged so, for staff (a breach a
// regulator asks about), beside the flag of the other amount; a credit that stays
// within the limits, or brings what was reserved, is not.
func TestCreditPastLimitFlagged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := limitsRig(t, db)
		p := r.player()
		if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Day: 100000, limits.Month: 500000}); err != nil {
			t.Fatal(err)
		}
		start := func(minor int64) models.Order {
			t.Helper()
			o, err := r.svc.StartDeposit(r.ctx, p, sek(minor), "10.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			return r.reload(o)
		}
		credit := func(o models.Order, amount string) models.Order {
			t.Helper()
			r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, o, p.EndUserID, map[string]any{"amount": amount}), "OK")
			return r.reload(o)
		}
		const passed = "passes the daily deposit limit of 1000.00 SEK"
		within := credit(start(30000), "400.00") // 300.00 asked, 400.00 credited: 400 of the day's 1000
		if strings.Contains(within.Flag, "passes") || !strings.Contains(within.Flag, "differs") {
			t.Errorf("a credit above its order within the limits: flag %q; want only the flag of the other amount", within.Flag)
		}
		over := credit(start(30000), "700.00") // 1100 of the day's 1000
		if want := "credit of 700.00 SEK passes the daily deposit limit of 1000.00 SEK: 1100.00 SEK counted in the period"; !strings.Contains(over.Flag, want) {
			t.Errorf("a credit past the day's limit: flag %q; want it to contain %q", over.Flag, want)
		}

		// A credit that reaches a limit without passing it.
		p = r.player()
		if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Day: 100000}); err != nil {
			t.Fatal(err)
		}
		if reached := credit(start(30000), "1000.00"); strings.Contains(reached.Flag, "passes") {
			t.Errorf("a credit that uses the day's limit exactly: flag %q; want no limit passed", reached.Flag)
		}

		// Another player: a cancelled deposit frees its headroom, another takes it,
		// and the cancelled one's credit comes late.
		p = r.player()
		if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Day: 100000}); err != nil {
			t.Fatal(err)
		}
		cancelled := start(60000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCancel, cancelled, p.EndUserID, nil), "OK")
		if st := r.reload(cancelled).Status; st != models.OrderFailed {
			t.Fatalf("cancelled deposit %s; want failed", st)
		}
		exact := credit(start(100000), "1000.00")
		if strings.Contains(exact.Flag, passed) {
			t.Errorf("a credit of what its order reserved: flag %q; want no limit passed", exact.Flag)
		}
		late := credit(cancelled, "600.00")
		if want := "credit of 600.00 SEK passes the daily deposit limit of 1000.00 SEK: 1600.00 SEK counted in the period"; !strings.Contains(late.Flag, want) {
			t.Errorf("a late credit on a cancelled deposit past the day's limit: flag %q; want it to contain %q", late.Flag, want)
		}
	})
}

// TestRealityCheckCountsCredited: the reality check's deposits count what a
// deposit's credit booked when Trustly credited another amount than asked.
func TestRealityCheckCountsCredited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", func(c *cashier.Config) { c.RealityCheck = map[string]time.Duration{"SE": 30 * time.Minute} })
		p := r.player()
		signedIn := time.Now().Add(-time.Hour)
		o := r.order(p, 10000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, o, p.EndUserID, map[string]any{"amount": "50.00"}), "OK")
		rc, err := r.svc.RealityCheck(r.ctx, p, signedIn, signedIn)
		if err != nil || !rc.Due || rc.Deposits.Minor != 5000 {
			t.Errorf("reality check %+v, %v; want due, deposits 50.00 as credited", rc, err)
		}
	})
}

// TestRealityCheckCountsDebited: the reality check's deposits count what stayed
// of each deposit, as the deposit limits do (limits.Counts): a credit less what
// Trustly's debit took back (API.md's D1), a debit that came before its credit
// too, and a debit answered FAILED, which booked nothing, not at all; a deposit
// whose money has not come counts nothing, whatever it reserves of the limits.
func TestRealityCheckCountsDebited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", func(c *cashier.Config) { c.RealityCheck = map[string]time.Duration{"SE": 30 * time.Minute} })
		p := r.player()
		signedIn := time.Now().Add(-time.Hour)
		amount := func(s string) map[string]any { return map[string]any{"amount": s} }
		whole := r.order(p, 10000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, whole, p.EndUserID, nil), "OK")
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodDebit, whole, p.EndUserID, nil), "OK")
		part := r.order(p, 10000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, part, p.EndUserID, nil), "OK")
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodDebit, part, p.EndUserID, amount("40.00")), "OK")
		early := r.order(p, 8000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodDebit, early, p.EndUserID, amount("70.00")), "OK")
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, early, p.EndUserID, nil), "OK")
		refused := r.order(p, 3000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, refused, p.EndUserID, nil), "OK")
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodDebit, refused, "someone-else", nil), "FAILED")
		r.order(p, 5000) // its checkout still open
		if w := r.wallet(p); w != 10000 {
			t.Fatalf("wallet %d after the four deposits; want 10000 (0 + 60.00 + 10.00 + 30.00)", w)
		}
		rc, err := r.svc.RealityCheck(r.ctx, p, signedIn, signedIn)
		if err != nil || !rc.Due || rc.Deposits.Minor != 10000 || rc.Net.Minor != 10000 {
			t.Errorf("reality check %+v, %v; want due, deposits and net 100.00: what stayed of each deposit", rc, err)
		}
	})
}

// TestLimitLoweredWhileDepositPending: a lowering applies at once, also to the
// headroom a deposit still open holds: with 600 SEK of a daily 1 000 reserved
// by a checkout not yet paid, a daily limit lowered to 500 leaves nothing, and
// once that deposit is cancelled the new limit leaves its 500 and no more.
func TestLimitLoweredWhileDepositPending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := limitsRig(t, db)
		p := r.player()
		if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Day: 100000}); err != nil {
			t.Fatal(err)
		}
		open, err := r.svc.StartDeposit(r.ctx, p, sek(60000), "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.SetDepositLimits(r.ctx, p, map[limits.Period]int64{limits.Day: 50000}); err != nil {
			t.Fatal(err)
		}
		_, err = r.svc.StartDeposit(r.ctx, p, sek(10000), "10.0.0.1")
		if got := problem(err); !strings.HasPrefix(got, "You have reached your daily deposit limit of 500,00\u00a0SEK.") {
			t.Errorf("deposit after the lowering, 600 still open: %q (%v); want the daily limit of 500 reached", got, err)
		}
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCancel, r.reload(open), p.EndUserID, nil), "OK")
		_, err = r.svc.StartDeposit(r.ctx, p, sek(50001), "10.0.0.1")
		if got, want := problem(err), "Your daily deposit limit leaves 500,00\u00a0SEK now; deposit at most that amount."; got != want {
			t.Errorf("above the lowered limit: %q (%v); want %q", got, err, want)
		}
		if _, err := r.svc.StartDeposit(r.ctx, p, sek(50000), "10.0.0.1"); err != nil {
			t.Errorf("the lowered limit's whole 500: %v; want it started", err)
		}
	})
}
