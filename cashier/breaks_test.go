package cashier_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// breakStart is a whole second, so that the end times below read exactly.
var breakStart = time.Date(2026, 3, 28, 23, 30, 15, 0, time.UTC)

// TestBreakEndsExactlyAtItsEnd: a 7-day time-out stops deposits until its end and
// not a second longer (7 × 24 h, across the change to summer time); payouts go on
// during it; it cannot be shortened, only extended; the database refuses to change
// or remove it.
func TestBreakEndsExactlyAtItsEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 500)
		e.clock.now = breakStart

		b, err := e.svc.TakeBreak(e.ctx, p, "", breaks.TimeOut7d)
		if err != nil {
			t.Fatal(err)
		}
		end := breakStart.Add(7 * 24 * time.Hour)
		if !b.StartsAt.Equal(breakStart) || b.EndsAt == nil || !b.EndsAt.Equal(end) {
			t.Fatalf("break %s–%v; want %s–%s", b.StartsAt, b.EndsAt, breakStart, end)
		}
		if got, want := cashier.BreakEnd(b), "2026-04-04 23:31 UTC"; got != want {
			t.Errorf("BreakEnd = %q; want %q (rounded up to the minute)", got, want)
		}
		_, err = e.svc.TakeBreak(e.ctx, p, "", breaks.TimeOut24h)
		wantProblem(t, err, "You already have a break until 2026-04-04 23:31 UTC. A break cannot be shortened")

		e.clock.Advance(7*24*time.Hour - time.Second)
		_, err = e.svc.StartDeposit(e.ctx, p, e.money(p, 100), "127.0.0.1")
		wantProblem(t, err, "You chose a 7-day time-out, so deposits and play are paused until 2026-04-04 23:31 UTC.")
		if _, ok, err := e.svc.CurrentBreak(e.ctx, p); err != nil || !ok {
			t.Fatalf("one second before its end: break in force %t, %v; want in force", ok, err)
		}
		payout, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
		if err != nil {
			t.Fatalf("payout during a break: %v; want allowed", err)
		}
		if payout.Kind != models.OrderPayout {
			t.Errorf("payout order kind %s", payout.Kind)
		}

		e.clock.Advance(time.Second) // exactly the end
		if got, ok, err := e.svc.CurrentBreak(e.ctx, p); err != nil || ok {
			t.Fatalf("at its end: break %+v in force %t, %v; want over", got, ok, err)
		}
		if _, err := e.svc.StartDeposit(e.ctx, p, e.money(p, 100), "127.0.0.1"); err != nil {
			t.Fatalf("deposit at the break's end: %v; want started", err)
		}

		// Nothing changes or removes a break, not even SQL.
		if err := db.Exec("UPDATE breaks SET ends_at = ?", breakStart).Error; err == nil {
			t.Error("UPDATE breaks: accepted; want refused by the database")
		}
		if err := db.Exec("DELETE FROM breaks").Error; err == nil {
			t.Error("DELETE FROM breaks: accepted; want refused by the database")
		}
	})
}

// TestBreakKinds: each kind ends when its name says, a running break can only be
// extended, and a permanent one never ends.
func TestBreakKinds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		for _, tt := range []struct {
			kind breaks.Kind
			end  time.Time // zero: permanent
		}{
			{breaks.TimeOut24h, breakStart.Add(24 * time.Hour)},
			{breaks.TimeOut30d, breakStart.Add(30 * 24 * time.Hour)},
			{breaks.Exclusion6m, time.Date(2026, 9, 28, 23, 30, 15, 0, time.UTC)},
			{breaks.ExclusionEver, time.Time{}},
		} {
			p := e.player("SE")
			e.clock.now = breakStart
			b, err := e.svc.TakeBreak(e.ctx, p, "", tt.kind)
			if err != nil {
				t.Fatalf("%s: %v", tt.kind, err)
			}
			if tt.end.IsZero() {
				if b.EndsAt != nil {
					t.Errorf("%s ends %s; want never", tt.kind, b.EndsAt)
				}
				e.clock.now = breakStart.AddDate(100, 0, 0)
				if _, ok, _ := e.svc.CurrentBreak(e.ctx, p); !ok {
					t.Errorf("%s: over after 100 years; want in force", tt.kind)
				}
				_, err := e.svc.TakeBreak(e.ctx, p, "", breaks.TimeOut24h)
				wantProblem(t, err, "You have a permanent self-exclusion, which cannot be changed.")
				continue
			}
			if b.EndsAt == nil || !b.EndsAt.Equal(tt.end) {
				t.Errorf("%s ends %v; want %s", tt.kind, b.EndsAt, tt.end)
			}
			e.clock.now = tt.end.Add(-time.Second)
			if _, ok, _ := e.svc.CurrentBreak(e.ctx, p); !ok {
				t.Errorf("%s: over a second before its end", tt.kind)
			}
			// Taking the same kind again now ends later: it extends the break.
			again, err := e.svc.TakeBreak(e.ctx, p, "", tt.kind)
			if err != nil || !again.EndsAt.After(tt.end) {
				t.Errorf("%s taken again a second before the end: %+v, %v; want an extension", tt.kind, again, err)
			}
			e.clock.now = tt.end
			if cur, ok, _ := e.svc.CurrentBreak(e.ctx, p); !ok || !cur.EndsAt.Equal(*again.EndsAt) {
				t.Errorf("%s: at the first end, in force %t until %v; want the extension until %s", tt.kind, ok, cur.EndsAt, again.EndsAt)
			}
		}
		if _, err := e.svc.TakeBreak(e.ctx, e.player("SE"), "", breaks.Kind("time-out-1h")); err == nil {
			t.Error("unknown kind: taken; want refused")
		}
	})
}

// TestPayNPlayOnBreak: a Pay N Play player on a break is answered FINISH for a
// deposit, with the sentence saying until when, whether they start it signed in or
// as a visitor the kyc finds; a login-only order still lets them in (to withdraw);
// after the end the deposit goes through.
func TestPayNPlayOnBreak(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure")
		svc := e.as("se-adult")
		amount := models.Money{Minor: 10000, Currency: "SEK"}
		first, err := svc.StartPayNPlay(e.ctx, &amount, "SE", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		out := e.pnpDone(first)
		if out.Player == nil {
			t.Fatalf("first deposit: %s %q; want a player", out.State, out.Message)
		}
		p := *out.Player
		e.clock.now = breakStart
		if _, err := e.svc.TakeBreak(e.ctx, p, "", breaks.TimeOut24h); err != nil {
			t.Fatal(err)
		}
		const want = "You chose a 24-hour time-out, so deposits and play are paused until 2026-03-29 23:31 UTC."

		_, err = svc.StartDeposit(e.ctx, p, amount, "127.0.0.1")
		wantProblem(t, err, want)

		order, err := svc.StartPayNPlay(e.ctx, &amount, "SE", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		out = e.pnpDone(order)
		if out.State != cashier.PayNPlayRefused || !strings.HasPrefix(out.Message, want) ||
			!strings.Contains(out.Order.KYCReasons, string(paynplay.RuleOnBreak)+":") {
			t.Fatalf("deposit on a break: %s %q reasons %q; want refused with %q", out.State, out.Message, out.Order.KYCReasons, want)
		}
		// Stored as a message id with the kind and the end as a time, for the page
		// to write in the player's language and time zone.
		wantText := models.Text{ID: "breaks.on_break", Args: []any{"Kind", models.Text{ID: "break.kind.time-out-24h"},
			"Until", time.Date(2026, 3, 29, 23, 31, 0, 0, time.UTC), "Country", "SE"}}
		stored := e.reload(order)
		if got, ok := stored.KYCRefusal(); !ok || !reflect.DeepEqual(got, wantText) {
			t.Errorf("deposit on a break: stored refusal %#v (%t, %q); want %#v", got, ok, stored.KYCText, wantText)
		}

		login, err := svc.StartPayNPlay(e.ctx, nil, "SE", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if out = e.pnpDone(login); out.State != cashier.PayNPlayReady || out.Player == nil || out.Player.ID != p.ID {
			t.Fatalf("login on a break: %s %q; want ready as player %d", out.State, out.Message, p.ID)
		}

		e.clock.Advance(24 * time.Hour)
		order, err = svc.StartPayNPlay(e.ctx, &amount, "SE", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if out = e.pnpDone(order); out.State != cashier.PayNPlayReady {
			t.Fatalf("deposit at the break's end: %s %q; want ready", out.State, out.Message)
		}
		e.wantMoney(p, 20000, 0)
	})
}

// TestBreakHoldsOnASecondAccount: a break is the person's, not the email's. A
// second password account with the same names and date of birth in the same
// market (NL asks no identity number, so nothing else links them) starts no
// deposit while the first is on a break; a namesake born on another day does.
func TestBreakHoldsOnASecondAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		person := func(first, last, dob string) models.Player {
			p := e.player("NL")
			if err := db.Model(&p).Updates(map[string]any{"first_name": first, "last_name": last,
				"name_key": models.NameKey(first, last), "date_of_birth": dob}).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Where("id = ?", p.ID).Take(&p).Error; err != nil {
				t.Fatal(err)
			}
			return p
		}
		first := person("Jan", "de Vries", "1975-07-14")
		if _, err := e.svc.TakeBreak(e.ctx, first, "", breaks.ExclusionEver); err != nil {
			t.Fatal(err)
		}
		second := person("JAN", "de  Vries", "1975-07-14")
		_, err := e.svc.StartDeposit(e.ctx, second, e.money(second, 100), "127.0.0.1")
		// The names and date of birth are only typed: the sentence says nothing of
		// the other account (whose break a namesake's typing would learn).
		wantProblem(t, err, "We cannot start a deposit on this account just now. Please contact support.")

		namesake := person("Jan", "de Vries", "1980-01-01")
		if _, err := e.svc.StartDeposit(e.ctx, namesake, e.money(namesake, 100), "127.0.0.1"); err != nil {
			t.Errorf("namesake born on another day: %v; want the deposit started", err)
		}

		// Two Swedes of one name and birthday with other personnummer are two people.
		swede := func(pid string) models.Player {
			p := e.player("SE")
			if err := db.Model(&p).Updates(map[string]any{"date_of_birth": "1985-02-02", "person_id": pid}).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Where("id = ?", p.ID).Take(&p).Error; err != nil {
				t.Fatal(err)
			}
			return p
		}
		if _, err := e.svc.TakeBreak(e.ctx, swede("198502021119"), "", breaks.TimeOut30d); err != nil {
			t.Fatal(err)
		}
		other := swede("198502022240")
		if _, err := e.svc.StartDeposit(e.ctx, other, e.money(other, 100), "127.0.0.1"); err != nil {
			t.Errorf("another person of the same name and birthday: %v; want the deposit started", err)
		}
	})
}

// TestBreakFollowsTheBankIdentity: where registration asks no date of birth or
// identity number (FI, and the markets of the default policy), the names typed are
// all a password account has, so a second account is no way around a break only if
// the bank says who pays. A deposit's account notification names the person
// (personid, Trustly's KYC add-on): the money already moved, so the deposit is
// booked, flagged for staff and logged when that person is on a break under
// another account, and the person is kept with the bank account, so that the
// account's next deposit, and any deposit of another account of that person,
// starts nothing while the break runs.
func TestBreakFollowsTheBankIdentity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		bankPerson := func(p models.Player, personID, dob string) models.Player {
			t.Helper()
			id, err := paynplay.ParsePersonID("FI", personID)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Model(&p).Updates(map[string]any{"person_id": id.String(), "date_of_birth": dob}).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Where("id = ?", p.ID).Take(&p).Error; err != nil {
				t.Fatal(err)
			}
			return p
		}
		const twin = "We cannot start a deposit on this account just now. Please contact support."

		// The sandbox's Finnish adult (FI131052-309U) took a break on a Pay N Play
		// account; their password account, without a date of birth, deposits. The
		// bank login is theirs (SandboxPerson), not the person the cashier names.
		e.svc = e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "fi-adult"})
		onBreak := bankPerson(e.player("FI"), "FI131052-309U", "1952-10-13")
		if _, err := e.svc.TakeBreak(e.ctx, onBreak, "", breaks.TimeOut7d); err != nil {
			t.Fatal(err)
		}
		second := e.player("FI")
		e.deposit(second, 100)
		var dep models.Order
		if err := db.Where("player_id = ? AND kind = ?", second.ID, models.OrderDeposit).Take(&dep).Error; err != nil {
			t.Fatal(err)
		}
		if want := "on a break"; !strings.Contains(dep.Flag, want) || dep.Status != models.OrderCredited {
			t.Errorf("a deposit whose bank names a person on a break: %s, flag %q; want credited and flagged %q", dep.Status, dep.Flag, want)
		}
		e.wantMoney(second, 10000, 0)
		_, err := e.svc.StartDeposit(e.ctx, second, e.money(second, 100), "127.0.0.1")
		wantProblem(t, err, twin)

		// The other way: a password account's bank names the sandbox's second Finn
		// (FI210388-246L), who then takes a break there; their Pay N Play account
		// starts no deposit.
		svc := e.svc
		e.svc = e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "fi-adult2"})
		first := e.player("FI")
		e.deposit(first, 50)
		e.svc = svc
		if _, err := e.svc.TakeBreak(e.ctx, first, "", breaks.TimeOut24h); err != nil {
			t.Fatal(err)
		}
		pnp := bankPerson(e.player("FI"), "FI210388-246L", "1988-03-21")
		_, err = e.svc.StartDeposit(e.ctx, pnp, e.money(pnp, 100), "127.0.0.1")
		wantProblem(t, err, twin)

		// Someone else's account is not held by it.
		other := bankPerson(e.player("FI"), "FI010114A1242", "2014-01-01")
		if _, err := e.svc.StartDeposit(e.ctx, other, e.money(other, 100), "127.0.0.1"); err != nil {
			t.Errorf("another person's deposit: %v; want it started", err)
		}
	})
}

// TestBreakFollowsOlderBankIdentity: two password accounts deposited from banks
// that named the same holder (the sandbox's Finnish adult) under an older version,
// which stored the account notifications but kept no person_id with the bank
// accounts. After the start (store.Migrate reads the holders from the stored
// notifications), a break of the first account holds the second's deposit, and a
// third account whose first deposit names the person is booked and flagged.
func TestBreakFollowsOlderBankIdentity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		// Each bank login is the sandbox's Finnish adult, not the person the cashier names.
		e.svc = e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "fi-adult"})
		const twin = "We cannot start a deposit on this account just now. Please contact support."
		first, second := e.player("FI"), e.player("FI")
		e.deposit(first, 100)
		e.deposit(second, 50)
		// As the older version left them: no holder with the accounts.
		if err := db.Exec("UPDATE bank_accounts SET person_id = '', person_read = ? WHERE player_id IN ?", false,
			[]int64{first.ID, second.ID}).Error; err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.TakeBreak(e.ctx, first, "", breaks.TimeOut7d); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.StartDeposit(e.ctx, second, e.money(second, 100), "127.0.0.1")
		wantProblem(t, err, twin)

		third := e.player("FI")
		e.deposit(third, 100)
		var dep models.Order
		if err := db.Where("player_id = ? AND kind = ?", third.ID, models.OrderDeposit).Take(&dep).Error; err != nil {
			t.Fatal(err)
		}
		if want := "on a break"; !strings.Contains(dep.Flag, want) || dep.Status != models.OrderCredited {
			t.Errorf("a deposit whose bank names the person of an older account on a break: %s, flag %q; want credited and flagged %q",
				dep.Status, dep.Flag, want)
		}
		_, err = e.svc.StartDeposit(e.ctx, third, e.money(third, 100), "127.0.0.1")
		wantProblem(t, err, twin)
	})
}
