package cashier_test

import (
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// excludedPnPEnv is a pure Pay N Play env whose register is fake, which the test
// changes between orders.
func excludedPnPEnv(t *testing.T, db *gorm.DB, fake *exclusions.Fake) *payEnv {
	t.Helper()
	e := pnpEnv(t, db, "pure")
	e.register = fake
	e.svc = e.service(nil)
	return e
}

// excludeByName lists p in the fake register by name and date of birth, which
// finds a person in every market (NL has no personid).
func excludeByName(fake *exclusions.Fake, p models.Player) {
	fake.Entries = append(fake.Entries, exclusions.FakeEntry{Country: p.Country, FirstName: p.FirstName,
		LastName: p.LastName, DOB: p.DateOfBirth})
}

// TestPayNPlayExcludedLogsInWithdrawOnly: a pure Pay N Play player of SE, FI, EE
// or NL (the register's market rules alike: SE, FI and EE found by personid, NL by
// kycentityid, name and date of birth) who deposited and then excluded themselves
// in the national register can still log in with their bank: the kyc of the
// login-only order says CONTINUE, the order keeps the register that excluded them
// and why, and the sign-in it opens is withdraw-only, as a password player's.
// Their payout goes to the account they deposited from. "Deposit & play" stays
// refused (self-excluded), and nothing is booked or created by it.
func TestPayNPlayExcludedLogsInWithdrawOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := exclusions.Sandbox()
		e := excludedPnPEnv(t, db, fake)
		want := cashier.Access{WithdrawOnly: true, Register: "fake"}
		// shown: the register the player reads of, the one the sandbox's fake
		// stands in for in that market (FI has none: a neutral name).
		for _, tt := range []struct{ person, country, currency, shown string }{
			{"se-adult", "SE", "SEK", "Spelpaus"}, {"fi-adult", "FI", "EUR", "national self-exclusion register"},
			{"ee-adult", "EE", "EUR", "Estonian register of restricted persons"}, {"nl-adult", "NL", "EUR", "CRUKS"},
		} {
			svc := e.as(tt.person)
			amount := models.Money{Minor: 10000, Currency: tt.currency}
			first, err := svc.StartPayNPlay(e.ctx, &amount, tt.country, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			out := e.pnpDone(first)
			if out.Player == nil || out.Access != (cashier.Access{}) {
				t.Fatalf("%s: first deposit %s %q access %+v; want a player, a full sign-in", tt.person, out.State, out.Message, out.Access)
			}
			p := *out.Player
			var accounts []models.BankAccount
			e.waitFor(tt.person+"'s deposit account", func() bool {
				accounts, _ = e.svc.BankAccounts(e.ctx, p)
				return len(accounts) == 1 && accounts[0].Verified
			})
			players := e.players()
			excludeByName(fake, p)

			login, err := svc.StartPayNPlay(e.ctx, nil, tt.country, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			out = e.pnpDone(login)
			if out.State != cashier.PayNPlayReady || out.Player == nil || out.Player.ID != p.ID || out.Access != want {
				t.Fatalf("%s: excluded, with money, logs in: %s %q player %+v access %+v; want ready as player %d, %+v",
					tt.person, out.State, out.Message, out.Player, out.Access, p.ID, want)
			}
			if o := out.Order; o.KYCOutcome != models.KYCContinue || !strings.Contains(o.KYCReasons, string(paynplay.RuleWithdrawOnly)+": fake reference fake:") ||
				o.KYCWithdrawOnly != "fake" || o.KYCMessage != "" {
				t.Errorf("%s: login order kyc %q reasons %q withdraw-only %q message %q; want continue, withdraw-only by fake with its reference",
					tt.person, o.KYCOutcome, o.KYCReasons, o.KYCWithdrawOnly, o.KYCMessage)
			}
			e.wantMoney(p, 10000, 0)

			deposit, err := svc.StartPayNPlay(e.ctx, &amount, tt.country, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			out = e.pnpDone(deposit)
			if out.State != cashier.PayNPlayRefused || out.Player != nil || out.Access != (cashier.Access{}) ||
				!strings.HasPrefix(out.Message, "You are registered as excluded from gambling ("+tt.shown+"), so you cannot play here.") ||
				!strings.Contains(out.Order.KYCReasons, string(paynplay.RuleSelfExcluded)+":") || out.Order.KYCWithdrawOnly != "" {
				t.Errorf("%s: excluded, Deposit & play: %s %q reasons %q; want refused, self-excluded", tt.person, out.State, out.Message, out.Order.KYCReasons)
			}
			e.wantMoney(p, 10000, 0)

			payout, err := e.svc.PayNPlayPayout(e.ctx, p, "", models.Money{Minor: 4000, Currency: tt.currency})
			if err != nil {
				t.Fatalf("%s: payout of an excluded player: %v", tt.person, err)
			}
			if payout.BankAccountID != accounts[0].ID || payout.AccountID != accounts[0].AccountID {
				t.Errorf("%s: payout to account %d %q; want the deposit's %d %q", tt.person, payout.BankAccountID, payout.AccountID, accounts[0].ID, accounts[0].AccountID)
			}
			e.waitFor(tt.person+"'s payout sent", func() bool { return e.reload(payout).SentAt != nil })
			e.wantMoney(p, 6000, 0)
			if n := e.players(); n != players {
				t.Errorf("%s: %d players; want %d", tt.person, n, players)
			}
		}
	})
}

// TestPayNPlayExcludedRefusedLogins: a login of an excluded person is refused
// (self-excluded) when there is nothing to withdraw: a person who is no player
// here (no account is opened for them), and a player with neither a balance nor a
// payout underway. A player blocked by staff is refused whatever their money (a
// blocked password player cannot sign in either), and so is anyone while the
// register does not answer (fail closed).
func TestPayNPlayExcludedRefusedLogins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := exclusions.Sandbox()
		e := excludedPnPEnv(t, db, fake)
		login := func(person, country string) cashier.PayNPlayOutcome {
			t.Helper()
			o, err := e.as(person).StartPayNPlay(e.ctx, nil, country, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			return e.pnpDone(o)
		}
		refused := func(what string, out cashier.PayNPlayOutcome, rule paynplay.Rule) {
			t.Helper()
			if out.State != cashier.PayNPlayRefused || out.Player != nil || out.Access != (cashier.Access{}) ||
				!strings.Contains(out.Order.KYCReasons, string(rule)+":") || out.Order.KYCWithdrawOnly != "" || out.Order.PlayerID != 0 {
				t.Errorf("%s: %s %q reasons %q access %+v; want refused for %s", what, out.State, out.Message, out.Order.KYCReasons, out.Access, rule)
			}
		}

		for _, tt := range []struct{ person, country string }{{"se-excluded", "SE"}, {"fi-excluded", "FI"}, {"ee-excluded", "EE"}, {"nl-excluded", "NL"}} {
			refused(tt.person+", no player here, logs in", login(tt.person, tt.country), paynplay.RuleSelfExcluded)
		}
		if n := e.players(); n != 0 {
			t.Errorf("%d players after excluded persons logged in; want none", n)
		}

		// A player with nothing here: the login made them, with no money.
		out := login("se-adult2", "SE")
		if out.Player == nil || out.Access != (cashier.Access{}) {
			t.Fatalf("first login: %s %q; want a player, a full sign-in", out.State, out.Message)
		}
		poor := *out.Player
		excludeByName(fake, poor)
		refused("excluded, nothing here, logs in", login("se-adult2", "SE"), paynplay.RuleSelfExcluded)

		amount := models.Money{Minor: 10000, Currency: "SEK"}
		first, err := e.as("se-adult").StartPayNPlay(e.ctx, &amount, "SE", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		rich := *e.pnpDone(first).Player
		excludeByName(fake, rich)
		if err := e.db.Model(&models.Player{}).Where("id = ?", rich.ID).Update("blocked", true).Error; err != nil {
			t.Fatal(err)
		}
		refused("excluded, with money, blocked by staff, logs in", login("se-adult", "SE"), paynplay.RuleBlocked)
		if err := e.db.Model(&models.Player{}).Where("id = ?", rich.ID).Update("blocked", false).Error; err != nil {
			t.Fatal(err)
		}
		e.register = &downable{next: fake, down: true}
		e.svc = e.service(nil) // the service that takes the kyc decisions
		refused("excluded, with money, register down, logs in", login("se-adult", "SE"), paynplay.RuleRegisterUnavailable)
		e.wantMoney(rich, 10000, 0)
	})
}
