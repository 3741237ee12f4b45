package cashier_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// viewer creates a staff account that may only view.
func viewer(t *testing.T, db *gorm.DB) staff.Member {
	t.Helper()
	m := staff.Member{Email: fmt.Sprintf("viewer%d@example.com", time.Now().UnixNano()), PasswordHash: "x",
		Role: staff.RoleViewer, CreatedAt: time.Now()}
	if err := db.Create(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTransactionsPages: paging through the list with the keyset of the page
// before gives every order once, newest first, while newer orders are inserted
// between pages; filters, search, totals and the batched export select the same
// orders as the seeded data says.
func TestTransactionsPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		ctx, by := context.Background(), viewer(t, db)
		storetest.SeedOrders(t, db, "a-", 130, 5, 0)
		db.Model(&models.Order{}).Where("message_id IN ?", []string{"a-5", "a-9"}).Update("flag", "needs a look")
		var want []int64
		db.Model(&models.Order{}).Order("id DESC").Pluck("id", &want)

		var got []int64
		f := cashier.TxFilter{Limit: 50}
		for page := 0; ; page++ {
			rows, err := r.svc.Transactions(ctx, by, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				got = append(got, row.ID)
			}
			if len(rows) < f.Limit {
				break
			}
			f.BeforeID = rows[len(rows)-1].ID
			storetest.SeedOrders(t, db, fmt.Sprintf("b%d-", page), 7, 5, time.Hour) // newer orders arrive meanwhile
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("pages gave %d ids %v…; want the %d seeded before, newest first", len(got), got[:min(5, len(got))], len(want))
		}

		// Filters against a count of the seeded formula (orders a-1…a-130).
		count := func(keep func(n int) bool) int {
			c := 0
			for n := 1; n <= 130; n++ {
				if keep(n) {
					c++
				}
			}
			return c
		}
		seeded := cashier.TxFilter{To: storetest.SeedStart.Add(131 * time.Second), Limit: 1000}
		for _, tt := range []struct {
			name string
			f    func(f *cashier.TxFilter)
			want int
		}{
			{"payouts in SEK", func(f *cashier.TxFilter) { f.Kind, f.Currency = models.OrderPayout, "SEK" },
				count(func(n int) bool { return n%3 == 1 && n%2 == 1 })},
			{"credited", func(f *cashier.TxFilter) { f.Status = models.OrderCredited }, count(func(n int) bool { return n%3 == 0 })},
			{"player 3", func(f *cashier.TxFilter) { f.PlayerID = 3 }, count(func(n int) bool { return n%5+1 == 3 })},
			{"amount 50 to 60", func(f *cashier.TxFilter) { lo, hi := int64(5000), int64(6000); f.MinMinor, f.MaxMinor = &lo, &hi },
				count(func(n int) bool { return n%3 != 2 && n%1000+1 >= 50 && n%1000+1 <= 60 })},
			{"second minute", func(f *cashier.TxFilter) { f.From = storetest.SeedStart.Add(60 * time.Second) },
				count(func(n int) bool { return n >= 60 })},
			{"flagged", func(f *cashier.TxFilter) { f.Flagged = true }, 2},
			{"messageid", func(f *cashier.TxFilter) { f.Search = "a-17" }, 1},
			{"trustly orderid", func(f *cashier.TxFilter) { f.Search = "a-t17" }, 1},
			{"our id", func(f *cashier.TxFilter) { f.Search = strconv.FormatInt(want[0], 10) }, 1},
		} {
			f := seeded
			tt.f(&f)
			rows, err := r.svc.Transactions(ctx, by, f)
			if err != nil || len(rows) != tt.want {
				t.Errorf("%s: %d rows, %v; want %d", tt.name, len(rows), err, tt.want)
			}
		}

		f = seeded
		f.Kind = models.OrderDeposit
		totals, err := r.svc.TransactionTotals(ctx, by, f)
		if err != nil {
			t.Fatal(err)
		}
		wantSum := map[string]int64{}
		wantN := map[string]int64{}
		for n := 1; n <= 130; n++ {
			if n%3 == 0 {
				c := map[bool]string{true: "SEK", false: "EUR"}[n%2 == 1]
				wantSum[c] += int64(n%1000+1) * 100
				wantN[c]++
			}
		}
		if len(totals) != 2 {
			t.Fatalf("totals %+v; want EUR and SEK deposits", totals)
		}
		for _, tot := range totals {
			if tot.Kind != models.OrderDeposit || tot.Count != wantN[tot.Currency] || tot.Sum.Minor != wantSum[tot.Currency] {
				t.Errorf("total %+v; want %d deposits of %d", tot, wantN[tot.Currency], wantSum[tot.Currency])
			}
		}

		var batches, rows int
		seen := map[int64]bool{}
		err = r.svc.ExportTransactions(ctx, by, seeded, 7, func(b []cashier.TxRow) error {
			batches++
			if len(b) > 7 {
				t.Errorf("a batch of %d rows; want at most 7", len(b))
			}
			for _, row := range b {
				if seen[row.ID] {
					t.Errorf("order %d exported twice", row.ID)
				}
				seen[row.ID] = true
				rows++
			}
			return nil
		})
		if err != nil || rows != 130 || batches != 19 {
			t.Errorf("export: %d rows in %d batches, %v; want 130 in 19", rows, batches, err)
		}
		if _, err := r.svc.Transactions(ctx, staff.Member{ID: 424242}, f); !errors.Is(err, staff.ErrNotAllowed) {
			t.Errorf("an unknown member listing: %v; want ErrNotAllowed", err)
		}
	})
}

// TestBlockedPlayer: a blocked player can neither deposit, add an account nor
// withdraw, and is told why; blocking twice changes nothing and audits once;
// unblocked, they deposit again. Each change is one audit row.
func TestBlockedPlayer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		op := e.staff(staff.RoleOperator)
		audits := func() int64 {
			var n int64
			db.Model(&staff.Audit{}).Where("player_id = ?", p.ID).Count(&n)
			return n
		}
		if _, _, err := e.svc.SetPlayerBlocked(e.ctx, op, p.ID, true, ""); problem(err) == "" {
			t.Errorf("blocking without a reason: %v; want a problem", err)
		}
		if _, _, err := e.svc.SetPlayerBlocked(e.ctx, e.staff(staff.RoleViewer), p.ID, true, "fraud"); !errors.Is(err, staff.ErrNotAllowed) {
			t.Errorf("a viewer blocking: %v; want ErrNotAllowed", err)
		}
		blocked, changed, err := e.svc.SetPlayerBlocked(e.ctx, op, p.ID, true, "chargeback fraud")
		if err != nil || !changed || !blocked.Blocked || blocked.SessionVersion != p.SessionVersion+1 {
			t.Fatalf("block: %+v, changed %t, %v; want blocked with sessions ended", blocked, changed, err)
		}
		if _, changed, err := e.svc.SetPlayerBlocked(e.ctx, op, p.ID, true, "again"); err != nil || changed || audits() != 1 {
			t.Errorf("blocking again: changed %t, %v, %d audit rows; want unchanged, nil and 1", changed, err, audits())
		}
		want := "Your account is blocked, so you cannot sign in, deposit or withdraw. Please contact support."
		// translated: the refusal reaches a player whose page was let through just
		// before the block (the session check ran first), in their language.
		translated := func(what string, err error) {
			t.Helper()
			var p *models.Problem
			if !errors.As(err, &p) {
				return
			}
			for _, l := range lang.Languages[1:] {
				loc := lang.For(l.Code, nil)
				if got, want := loc.Problem(p), loc.T("problem.player_blocked"); got != want {
					t.Errorf("%s while blocked, in %s: %q; want %q", what, l.Code, got, want)
				}
			}
		}
		// p is the copy from before the block: the service reads the flag itself.
		_, err = e.svc.StartDeposit(e.ctx, p, e.money(p, 100), "127.0.0.1")
		if problem(err) != want {
			t.Errorf("deposit while blocked: %v; want %q", err, want)
		}
		translated("deposit", err)
		_, err = e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
		if problem(err) != want {
			t.Errorf("payout while blocked: %v; want %q", err, want)
		}
		translated("payout", err)
		_, err = e.svc.StartSelectAccount(e.ctx, p, "127.0.0.1")
		if problem(err) != want {
			t.Errorf("account selection while blocked: %v; want %q", err, want)
		}
		translated("account selection", err)
		_, err = e.svc.RegisterBankAccount(e.ctx, p, "SE", "6000", "1234567")
		if problem(err) != want {
			t.Errorf("bank details while blocked: %v; want %q", err, want)
		}
		translated("bank details", err)
		var orders int64
		db.Model(&models.Order{}).Where("player_id = ?", p.ID).Count(&orders)
		if orders != 1 {
			t.Errorf("%d orders; want only the deposit from before the block", orders)
		}
		if _, _, err := e.svc.SetPlayerBlocked(e.ctx, op, p.ID, false, "cleared"); err != nil || audits() != 2 {
			t.Fatalf("unblock: %v, %d audit rows; want 2", err, audits())
		}
		if _, err := e.svc.StartDeposit(e.ctx, p, e.money(p, 100), "127.0.0.1"); err != nil {
			t.Errorf("deposit after unblocking: %v", err)
		}
	})
}

// TestTransactionsDatedPages: with a date range the list is in creation order,
// newest first, ties by id, although ids do not follow creation times (orders
// seeded later with earlier times). Paging with the keyset of the page before,
// through pages that split orders created in the same second, gives every order of
// the range once while newer orders are inserted between pages; the export gives
// the same rows; a page without the time of the order before it is refused.
func TestTransactionsDatedPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		ctx, by := context.Background(), viewer(t, db)
		storetest.SeedOrders(t, db, "a-", 130, 5, 0)                        // SeedStart+1s…130s
		storetest.SeedOrders(t, db, "c-", 40, 5, 100*time.Second)           // +101s…140s: 30 seconds with two orders
		storetest.SeedOrders(t, db, "d-", 30, 5, -time.Hour)                // before the range, newest ids
		storetest.SeedOrders(t, db, "e-", 20, 5, 50*time.Second)            // +51s…70s: a third order in some seconds
		storetest.SeedOrders(t, db, "f-", 10, 5, 2*time.Hour-5*time.Second) // 4 at the end of the range
		from, to := storetest.SeedStart, storetest.SeedStart.Add(2*time.Hour)
		var all []models.Order
		db.Select("id", "created_at").Find(&all)
		var want []int64
		slices.SortFunc(all, func(a, b models.Order) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return cmp.Compare(b.ID, a.ID)
		})
		for _, o := range all {
			if !o.CreatedAt.Before(from) && o.CreatedAt.Before(to) {
				want = append(want, o.ID)
			}
		}
		if len(want) != 130+40+20+4 {
			t.Fatalf("%d orders in the range; want 194", len(want))
		}

		var got []int64
		f := cashier.TxFilter{From: from, To: to, Limit: 7}
		for page := 0; ; page++ {
			rows, err := r.svc.Transactions(ctx, by, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				got = append(got, row.ID)
			}
			if len(rows) < f.Limit {
				break
			}
			f.BeforeID, f.BeforeAt = rows[len(rows)-1].ID, rows[len(rows)-1].CreatedAt
			storetest.SeedOrders(t, db, fmt.Sprintf("n%d-", page), 2, 5, time.Hour) // newer orders arrive meanwhile
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("pages gave %d ids\n%v\nwant the %d seeded in the range, newest first, ties by id\n%v", len(got), got, len(want), want)
		}

		got = nil
		err := r.svc.ExportTransactions(ctx, by, cashier.TxFilter{From: from, To: storetest.SeedStart.Add(time.Hour)}, 7,
			func(b []cashier.TxRow) error {
				for _, row := range b {
					got = append(got, row.ID)
				}
				return nil
			})
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want[4:]) {
			t.Errorf("export of the first hour: %d ids, %v; want %d", len(got), err, len(want)-4)
		}

		if _, err := r.svc.Transactions(ctx, by, cashier.TxFilter{From: from, BeforeID: want[3]}); err == nil {
			t.Error("a page of a date range after an id alone was read; want refused")
		}
	})
}

// TestTransactionTotalsCredited: a deposit of 100.00 that Trustly credits with
// 50.00 is booked as 50.00; the totals say both what was asked and what was
// credited, and the credited sum agrees with the reports chart and the ledger.
func TestTransactionTotalsCredited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		by := viewer(t, db)
		p := r.player()
		o := r.order(p, 10000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, o, p.EndUserID, map[string]any{"amount": "50.00"}), "OK")
		r.order(p, 7000) // started, never credited
		if w := r.wallet(p); w != 5000 {
			t.Fatalf("wallet %d; want 5000 booked", w)
		}
		totals, err := r.svc.TransactionTotals(r.ctx, by, cashier.TxFilter{Kind: models.OrderDeposit})
		if err != nil {
			t.Fatal(err)
		}
		today := time.Now().UTC()
		vols, err := r.svc.DailyVolumes(r.ctx, by, today, today.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		chart := vols["SEK"][0].Deposits
		if len(totals) != 1 || totals[0].Sum.Minor != 17000 || totals[0].Credited != chart || chart.Minor != 5000 {
			t.Errorf("deposit totals %+v; want asked 170.00 and credited 50.00, as the reports chart (%s) and the ledger", totals, chart)
		}
	})
}

// TestFlaggedListSaysMoreWait: with more unresolved flagged orders than the list
// holds, it shows the newest FlaggedShown and says older ones wait; with exactly
// that many it says nothing.
func TestFlaggedListSaysMoreWait(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		by := viewer(t, db)
		storetest.SeedOrders(t, db, "fl-", cashier.FlaggedShown, 5, 0)
		flag := func() {
			if err := db.Model(&models.Order{}).Where("message_id LIKE ?", "fl-%").Update("flag", "needs a look").Error; err != nil {
				t.Fatal(err)
			}
		}
		flag()
		list, err := r.svc.FlaggedList(r.ctx, by)
		if err != nil || len(list.Orders) != cashier.FlaggedShown || list.MoreOrders {
			t.Fatalf("%d flagged: %d listed, more %t, %v; want all, no more", cashier.FlaggedShown, len(list.Orders), list.MoreOrders, err)
		}
		storetest.SeedOrders(t, db, "fl-x", 1, 5, 0)
		flag()
		list, err = r.svc.FlaggedList(r.ctx, by)
		if err != nil || len(list.Orders) != cashier.FlaggedShown || !list.MoreOrders {
			t.Errorf("%d flagged: %d listed, more %t, %v; want %d and more", cashier.FlaggedShown+1, len(list.Orders), list.MoreOrders, err, cashier.FlaggedShown)
		}
	})
}

// TestSearchPlayersLikeIsLiteral: a name search reads %, _ and \ as the
// characters typed, on SQLite and PostgreSQL alike: PostgreSQL's LIKE takes a
// backslash as its escape character unless told otherwise, SQLite's has none, so
// without an ESCAPE clause one search matched other players on each.
func TestSearchPlayersLikeIsLiteral(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		by := viewer(t, db)
		names := map[string]int64{}
		for _, first := range []string{`Ann%a`, `Ann_a`, `Ann\a`, `Annxa`, `Anna`, `Ann\\a`} {
			p := r.player()
			if err := db.Model(&p).Update("first_name", first).Error; err != nil {
				t.Fatal(err)
			}
			names[first] = p.ID
		}
		for _, tt := range []struct {
			term string
			want []string
		}{
			{`n%a`, []string{`Ann%a`}},
			{`n_a`, []string{`Ann_a`}},
			{`n\a`, []string{`Ann\a`}},
			{`n\\a`, []string{`Ann\\a`}},
			{`ann`, []string{`Ann%a`, `Ann_a`, `Ann\a`, `Annxa`, `Anna`, `Ann\\a`}},
			{`%`, []string{`Ann%a`}},
			{`\`, []string{`Ann\a`, `Ann\\a`}},
		} {
			found, _, err := r.svc.SearchPlayers(context.Background(), by, tt.term)
			if err != nil {
				t.Fatalf("SearchPlayers(%q): %v", tt.term, err)
			}
			var got, want []int64
			for _, p := range found {
				got = append(got, p.ID)
			}
			for _, n := range tt.want {
				want = append(want, names[n])
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("SearchPlayers(%q) = players %v; want %v (%q)", tt.term, got, want, tt.want)
			}
		}
	})
}

// TestTransactionTotalsLoginsApart: Pay N Play bank logins are deposit orders
// that ask for no money; the totals count them on a row of their own (Login),
// never among the deposits, and a credit Trustly sends for one, which is flagged
// and not booked, counts nowhere: not in the totals' credited sum, not in the
// reports chart.
func TestTransactionTotalsLoginsApart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		by := viewer(t, db)
		p := r.player()
		o := r.order(p, 10000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, o, p.EndUserID, nil), "OK")
		for range 2 {
			login := r.order(p, 0)
			if err := db.Model(&login).Updates(map[string]any{"login_only": true, "pay_n_play": true,
				"kyc_outcome": models.KYCContinue}).Error; err != nil {
				t.Fatal(err)
			}
			r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, login, p.EndUserID, map[string]any{"amount": "25.00"}), "OK")
		}
		if w := r.wallet(p); w != 10000 {
			t.Fatalf("wallet %d; want the deposit's 10000 alone", w)
		}
		totals, err := r.svc.TransactionTotals(r.ctx, by, cashier.TxFilter{})
		if err != nil {
			t.Fatal(err)
		}
		sek := func(minor int64) models.Money { return models.Money{Minor: minor, Currency: "SEK"} }
		want := []cashier.TxTotal{
			{Currency: "SEK", Kind: models.OrderDeposit, Count: 1, Sum: sek(10000), Credited: sek(10000)},
			{Currency: "SEK", Kind: models.OrderDeposit, Login: true, Count: 2, Sum: sek(0), Credited: sek(0)},
		}
		if !slices.Equal(totals, want) {
			t.Errorf("totals %+v; want %+v", totals, want)
		}
		today := time.Now().UTC()
		vols, err := r.svc.DailyVolumes(r.ctx, by, today, today.AddDate(0, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		if got := vols["SEK"][0].Deposits; got != sek(10000) {
			t.Errorf("reports chart: deposits %s; want the deposit's 100.00 alone", got)
		}
	})
}

// TestTransactionsKindLogin: the kind filter's "Bank login" (cashier.TxLogin)
// selects the Pay N Play bank logins alone, and "Deposit" the deposits that are
// not logins, where it selected both: staff asking for deposits got logins, which
// move no money, among them. The list (by id and in a date range), the export and
// the totals select the same orders.
func TestTransactionsKindLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		by := viewer(t, db)
		p := r.player()
		deposit := r.order(p, 10000)
		r.deliver(notify(t, rigTrustlyKey(), trustly.MethodCredit, deposit, p.EndUserID, nil), "OK")
		var logins []int64
		for range 2 {
			login := r.order(p, 0)
			if err := db.Model(&login).Updates(map[string]any{"login_only": true, "pay_n_play": true,
				"kyc_outcome": models.KYCContinue}).Error; err != nil {
				t.Fatal(err)
			}
			logins = append([]int64{login.ID}, logins...) // newest first
		}
		from := time.Now().UTC().Add(-time.Hour)
		for _, tt := range []struct {
			kind models.OrderKind
			want []int64
		}{
			{models.OrderDeposit, []int64{deposit.ID}},
			{cashier.TxLogin, logins},
			{"", append(slices.Clone(logins), deposit.ID)},
		} {
			for _, f := range []cashier.TxFilter{{Kind: tt.kind}, {Kind: tt.kind, From: from}} {
				rows, err := r.svc.Transactions(r.ctx, by, f)
				if err != nil {
					t.Fatal(err)
				}
				var listed, exported []int64
				for _, row := range rows {
					listed = append(listed, row.ID)
				}
				err = r.svc.ExportTransactions(r.ctx, by, f, 1, func(b []cashier.TxRow) error {
					for _, row := range b {
						exported = append(exported, row.ID)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(listed, tt.want) || !slices.Equal(exported, tt.want) {
					t.Errorf("kind %q (dated %t): listed %v, exported %v; want %v", tt.kind, f.Dated(), listed, exported, tt.want)
				}
			}
		}
		sek := func(minor int64) models.Money { return models.Money{Minor: minor, Currency: "SEK"} }
		for _, tt := range []struct {
			kind models.OrderKind
			want []cashier.TxTotal
		}{
			{models.OrderDeposit, []cashier.TxTotal{{Currency: "SEK", Kind: models.OrderDeposit, Count: 1, Sum: sek(10000), Credited: sek(10000)}}},
			{cashier.TxLogin, []cashier.TxTotal{{Currency: "SEK", Kind: models.OrderDeposit, Login: true, Count: 2, Sum: sek(0), Credited: sek(0)}}},
		} {
			totals, err := r.svc.TransactionTotals(r.ctx, by, cashier.TxFilter{Kind: tt.kind})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(totals, tt.want) {
				t.Errorf("kind %q: totals %+v; want %+v", tt.kind, totals, tt.want)
			}
		}
	})
}

// TestAuditKeepsWholeCharacters: staff words longer than an audit row keeps (a
// note, a flag's resolution up to 2 000 characters; a block's reason up to 500
// characters, more bytes) are cut to the row's 500 bytes between characters, never
// inside one: on PostgreSQL a cut character is refused and the action with it.
func TestAuditKeepsWholeCharacters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		op := e.staff(staff.RoleOperator)
		note := "a" + strings.Repeat("ä", 999) // byte 500 is inside an "ä"
		if _, err := e.svc.AddPlayerNote(e.ctx, op, p.ID, note); err != nil {
			t.Fatalf("a note of %d characters: %v", utf8.RuneCountInString(note), err)
		}
		reason := strings.Repeat("€", 200) // 600 bytes
		if _, _, err := e.svc.SetPlayerBlocked(e.ctx, op, p.ID, true, reason); err != nil {
			t.Fatalf("blocking with a reason of 200 characters: %v", err)
		}
		var rows []staff.Audit
		db.Where("player_id = ?", p.ID).Order("id").Find(&rows)
		if len(rows) != 2 {
			t.Fatalf("%d audit rows; want the note's and the block's", len(rows))
		}
		for i, want := range []string{note, reason} {
			if got := rows[i].Reason; !utf8.ValidString(got) || len(got) > 500 || len(got) < 497 || !strings.HasPrefix(want, got) {
				t.Errorf("audit %s reason of %d bytes, valid %t; want the first 497–500 bytes of the words, whole characters",
					rows[i].Event, len(got), utf8.ValidString(got))
			}
		}
	})
}

// TestResolveNotificationOnce: a member resolving a notification for an unknown
// order while another member's resolution of it is being written waits for that
// one and is told it has nothing waiting; members resolving it at the same moment
// write one resolution and one audit row. Without the notification's row lock,
// PostgreSQL let each see none resolved and every one was written.
func TestResolveNotificationOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		notification := func(id string) models.Notification {
			now := time.Now().UTC()
			n := models.Notification{NotificationID: id, Method: "credit", UUID: "u", TrustlyOrderID: "987",
				Raw: `{"method":"credit"}`, Answer: `{"result":"OK"}`, Status: "OK", Deliveries: 1, ReceivedAt: now, LastDeliveryAt: now}
			if err := db.Create(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		count := func(n models.Notification) (resolutions int64) {
			db.Model(&staff.Resolution{}).Where("notification_id = ?", n.ID).Count(&resolutions)
			return resolutions
		}
		const members = 8
		ops := make([]staff.Member, members)
		for i := range ops {
			ops[i] = e.staff(staff.RoleOperator)
		}

		// One member's resolution is being written (the transaction below, which
		// locks the notification as the service does) when another's comes.
		first := notification("n-held")
		tx := db.Begin()
		lock := tx
		if db.Dialector.Name() == "postgres" { // SQLite's transaction holds the write lock from its start
			lock = tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
		}
		if err := cmp.Or(lock.Take(&models.Notification{}, first.ID).Error,
			tx.Create(&staff.Resolution{NotificationID: first.ID, Note: "mine", StaffID: ops[0].ID, StaffEmail: ops[0].Email, At: time.Now().UTC()}).Error); err != nil {
			tx.Rollback()
			t.Fatal(err)
		}
		second := make(chan error, 1)
		go func() {
			_, err := e.svc.ResolveNotification(e.ctx, ops[1], first.ID, "looked at it too")
			second <- err
		}()
		var err error
		waited := false
		select {
		case err = <-second:
			t.Errorf("a resolution while another was being written: %v, before that one was committed; want it to wait", err)
		case <-time.After(300 * time.Millisecond):
			waited = true
		}
		if err := tx.Commit().Error; err != nil {
			t.Fatal(err)
		}
		if waited {
			err = <-second
		}
		if problem(err) == "" || count(first) != 1 {
			t.Errorf("a resolution while another was being written: %v, %d resolutions; want a problem and 1", err, count(first))
		}

		// All at the same moment.
		var before, rows int64
		db.Model(&staff.Audit{}).Where("event = ?", staff.EventFlagResolved).Count(&before)
		n := notification("n-unknown")
		start := make(chan struct{})
		errs := make(chan error, members)
		for i := range members {
			go func() {
				<-start
				_, err := e.svc.ResolveNotification(e.ctx, ops[i], n.ID, "looked at it")
				errs <- err
			}()
		}
		close(start)
		done := 0
		for range members {
			switch err := <-errs; {
			case err == nil:
				done++
			case problem(err) == "":
				t.Errorf("a resolution: %v; want nil or a problem", err)
			}
		}
		db.Model(&staff.Audit{}).Where("event = ?", staff.EventFlagResolved).Count(&rows)
		if done != 1 || count(n) != 1 || rows-before != 1 {
			t.Errorf("%d of %d resolved at once: %d resolutions, %d audit rows; want 1, 1, 1", done, members, count(n), rows-before)
		}
	})
}
