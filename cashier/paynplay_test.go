package cashier_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"gorm.io/gorm"
)

// pnpEnv is a payEnv whose markets have Pay N Play in mode (CASHIER_PAYNPLAY);
// opts change its sandbox's config.
func pnpEnv(t *testing.T, db *gorm.DB, mode string, opts ...func(*sandbox.Config)) *payEnv {
	t.Helper()
	e := newPayEnv(t, db, opts...)
	modes, err := paynplay.ParseModes(mode)
	if err != nil {
		t.Fatal(err)
	}
	e.cfg.PayNPlay = modes
	e.svc = e.service(nil)
	return e
}

// as is a Service whose checkouts the sandbox completes at once as the test person.
func (e *payEnv) as(person string) *cashier.Service {
	return e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": person})
}

// pnpDone waits until the Pay N Play order has a kyc decision and, for a deposit
// that was let through, its credit; it returns the result page's outcome.
func (e *payEnv) pnpDone(o models.Order) cashier.PayNPlayOutcome {
	e.t.Helper()
	var out cashier.PayNPlayOutcome
	e.waitFor("pay n play order "+o.MessageID+" settled", func() bool {
		var err error
		if out, err = e.svc.PayNPlayResult(e.ctx, o.MessageID); err != nil {
			e.t.Fatalf("PayNPlayResult: %v", err)
		}
		switch out.State {
		case cashier.PayNPlayReady:
			return o.LoginOnly || out.Order.Status == models.OrderCredited
		case cashier.PayNPlayRefused:
			return out.Order.Status == models.OrderFailed
		}
		return false
	})
	return out
}

// playersWith counts the players holding personID.
func (e *payEnv) playersWith(personID string) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Model(&models.Player{}).Where("person_id = ?", personID).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *payEnv) players() int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Model(&models.Player{}).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestPayNPlayNewPersonThenLogin: in the pure model a new Swedish person deposits
// 100 without an account here: the kyc creates the player from the bank's identity
// and the credit funds them; the same person's login-only order later finds that
// player, moves no money and creates no other.
func TestPayNPlayNewPersonThenLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure")
		svc := e.as("se-adult")
		amount := models.Money{Minor: 10000, Currency: "SEK"}
		order, err := svc.StartPayNPlay(e.ctx, &amount, "SE", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		// The sandbox completes the checkout at once: the kyc may have named the
		// player before StartPayNPlay returned.
		if !order.PayNPlay || order.LoginOnly || order.EndUserID == "" {
			t.Fatalf("started order %+v; want a Pay N Play deposit with a fresh EndUserID", order)
		}
		out := e.pnpDone(order)
		if out.State != cashier.PayNPlayReady || out.Player == nil {
			t.Fatalf("result %s %q; want ready with a player", out.State, out.Message)
		}
		p := *out.Player
		if p.PersonID != "SE197901311246" || p.FirstName != "Åsa" || p.LastName != "Öberg-Lindqvist" || p.DateOfBirth != "1979-01-31" ||
			p.City != "Stockholm" || p.Country != "SE" || p.Currency != "SEK" || p.Email != "" || p.PasswordHash != "" || p.EndUserID != order.EndUserID {
			t.Errorf("player %+v; want the bank's identity, no email or password, the order's EndUserID", p)
		}
		if out.Order.PlayerID != p.ID || out.Order.KYCOutcome != models.KYCContinue || out.Order.KYCAt == nil {
			t.Errorf("order player %d kyc %q; want player %d continue", out.Order.PlayerID, out.Order.KYCOutcome, p.ID)
		}
		e.wantMoney(p, 10000, 0)
		e.waitFor("the account deposited from saved for the player", func() bool {
			accounts, err := e.svc.BankAccounts(e.ctx, p)
			return err == nil && len(accounts) == 1 && accounts[0].Verified
		})

		login, err := svc.StartPayNPlay(e.ctx, nil, "SE", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		out = e.pnpDone(login)
		if out.State != cashier.PayNPlayReady || out.Player == nil || out.Player.ID != p.ID {
			t.Fatalf("login result %s %+v; want ready as player %d", out.State, out.Player, p.ID)
		}
		if out.Order.Amount.Minor != 0 || !out.Order.LoginOnly {
			t.Errorf("login order %+v; want login-only without amount", out.Order)
		}
		e.wantMoney(p, 10000, 0)
		if n := e.players(); n != 1 {
			t.Errorf("%d players; want 1", n)
		}
	})
}

// TestPayNPlayRefused: a minor and self-excluded persons are answered FINISH; the
// order says why, in English and as a message id with its arguments (the
// register's name) for the page to translate; no player is created and no money
// is booked.
func TestPayNPlayRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure")
		for _, tt := range []struct {
			person, country, currency string
			rule                      paynplay.Rule
			message                   string
			text                      models.Text
		}{
			{"se-minor", "SE", "SEK", paynplay.RuleUnderage, "You must be 18 or older to play.", models.Text{ID: "kyc.underage"}},
			// The sandbox's fake register, read as the register it stands in for
			// (FI has none: a neutral name, translated where it is shown).
			{"se-excluded", "SE", "SEK", paynplay.RuleSelfExcluded, "You are registered as excluded from gambling (Spelpaus)",
				models.Text{ID: "kyc.self-excluded", Args: []any{"Register", "Spelpaus"}}},
			{"fi-excluded", "FI", "EUR", paynplay.RuleSelfExcluded, "You are registered as excluded from gambling (national self-exclusion register)",
				models.Text{ID: "kyc.self-excluded", Args: []any{"Register", models.Text{ID: "register.national"}}}},
			{"nl-minor", "NL", "EUR", paynplay.RuleUnderage, "You must be 18 or older to play.", models.Text{ID: "kyc.underage"}},
		} {
			amount := models.Money{Minor: 5000, Currency: tt.currency}
			order, err := e.as(tt.person).StartPayNPlay(e.ctx, &amount, tt.country, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			out := e.pnpDone(order)
			if out.State != cashier.PayNPlayRefused || out.Player != nil || !strings.HasPrefix(out.Message, tt.message) {
				t.Errorf("%s: result %s %q player %v; want refused %q", tt.person, out.State, out.Message, out.Player, tt.message)
			}
			if out.Order.KYCOutcome != models.KYCFinish || !strings.Contains(out.Order.KYCReasons, string(tt.rule)+":") || out.Order.PlayerID != 0 {
				t.Errorf("%s: order kyc %q reasons %q player %d; want finish for %s, no player", tt.person,
					out.Order.KYCOutcome, out.Order.KYCReasons, out.Order.PlayerID, tt.rule)
			}
			stored := e.reload(order)
			if got, ok := stored.KYCRefusal(); !ok || !reflect.DeepEqual(got, tt.text) {
				t.Errorf("%s: stored refusal %#v (%t, %q); want %#v", tt.person, got, ok, stored.KYCText, tt.text)
			}
		}
		if n := e.players(); n != 0 {
			t.Errorf("%d players; want none", n)
		}
		for _, cur := range []string{"SEK", "EUR"} {
			if got := e.balance(models.TrustlyClearing, cur); got != 0 {
				t.Errorf("clearing %s %d; want nothing booked", cur, got)
			}
		}
	})
}

// namedPlayer creates a password player of country with these names.
func (e *payEnv) namedPlayer(country, first, last string) models.Player {
	e.t.Helper()
	p := e.player(country)
	if err := e.db.Model(&p).Updates(map[string]any{"first_name": first, "last_name": last}).Error; err != nil {
		e.t.Fatal(err)
	}
	p.FirstName, p.LastName = first, last
	return p
}

// waitOrder waits until the order has a kyc decision and reached status want.
func (e *payEnv) waitOrder(o models.Order, want models.OrderStatus) models.Order {
	e.t.Helper()
	var got models.Order
	e.waitFor("order "+o.MessageID+" "+string(want), func() bool {
		got = e.reload(o)
		return got.Status == want && (!got.PayNPlay || got.KYCAt != nil)
	})
	return got
}

// TestPayNPlayHybrid: a password player who deposits through Pay N Play with their
// own identity is linked to it and keeps one player and one wallet, also when the
// same person later comes in through "Deposit & play" without signing in; a
// password player who logs in at the bank as someone else, or as a person another
// player already is, is refused and the order says why.
func TestPayNPlayHybrid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "hybrid")
		asa := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		order, err := e.as("se-adult").StartDeposit(e.ctx, asa, e.money(asa, 100), "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		got := e.waitOrder(order, models.OrderCredited)
		if !got.PayNPlay || got.KYCOutcome != models.KYCContinue || got.PlayerID != asa.ID {
			t.Errorf("order %+v; want a kyc-checked deposit of player %d", got, asa.ID)
		}
		linked, err := e.svc.Player(e.ctx, asa.ID)
		if err != nil || linked.PersonID != "SE197901311246" || linked.DateOfBirth != "1979-01-31" || linked.Email != asa.Email {
			t.Errorf("player %+v, %v; want linked to the bank identity, email kept", linked, err)
		}

		amount := e.money(asa, 50)
		again, err := e.as("se-adult").StartPayNPlay(e.ctx, &amount, "SE", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		out := e.pnpDone(again)
		if out.State != cashier.PayNPlayReady || out.Player == nil || out.Player.ID != asa.ID {
			t.Fatalf("deposit & play result %s %+v; want ready as player %d", out.State, out.Player, asa.ID)
		}
		e.wantMoney(asa, 15000, 0)

		if _, err := e.svc.StartPayNPlay(e.ctx, nil, "SE", "127.0.0.1"); !strings.HasPrefix(problem(err), "Logging in with your bank is not offered") {
			t.Errorf("login-only in hybrid: got %v; want a problem", err)
		}

		for _, tt := range []struct {
			name   string
			player models.Player
			person string
			rule   paynplay.Rule
		}{
			{"another person's identity", e.namedPlayer("SE", "Anna", "Svensson"), "se-adult2", paynplay.RuleIdentityMismatch},
			{"an identity another player has", e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist"), "se-adult", paynplay.RuleIdentityTaken},
		} {
			order, err := e.as(tt.person).StartDeposit(e.ctx, tt.player, e.money(tt.player, 100), "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			got := e.waitOrder(order, models.OrderFailed)
			if got.KYCOutcome != models.KYCFinish || !strings.Contains(got.KYCReasons, string(tt.rule)+":") || got.KYCMessage == "" {
				t.Errorf("%s: order kyc %q reasons %q message %q; want finish for %s", tt.name, got.KYCOutcome, got.KYCReasons, got.KYCMessage, tt.rule)
			}
			e.wantMoney(tt.player, 0, 0)
			if p, _ := e.svc.Player(e.ctx, tt.player.ID); p.PersonID != "" {
				t.Errorf("%s: player linked to %s; want no identity", tt.name, p.PersonID)
			}
		}
		if n := e.playersWith("SE199006152350"); n != 0 {
			t.Errorf("%d players with se-adult2's personid; want none", n)
		}
		if n := e.playersWith("SE197901311246"); n != 1 {
			t.Errorf("%d players with se-adult's personid; want 1", n)
		}
	})
}

// TestPayNPlayPayout: in the pure model a payout goes back to the account the
// player deposited from, with one AccountPayout and no choice of account.
func TestPayNPlayPayout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure")
		amount := models.Money{Minor: 10000, Currency: "EUR"}
		order, err := e.as("fi-adult").StartPayNPlay(e.ctx, &amount, "FI", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		p := *e.pnpDone(order).Player
		never := e.player("FI")
		if _, err := e.svc.PayNPlayPayout(e.ctx, never, "", models.Money{Minor: 4000, Currency: "EUR"}); problem(err) == "" {
			t.Errorf("payout of a player who never deposited: got %v; want a problem", err)
		}
		var accounts []models.BankAccount
		e.waitFor("the deposit's account", func() bool {
			accounts, _ = e.svc.BankAccounts(e.ctx, p)
			return len(accounts) == 1
		})
		payout, err := e.svc.PayNPlayPayout(e.ctx, p, "", models.Money{Minor: 4000, Currency: "EUR"})
		if err != nil {
			t.Fatal(err)
		}
		if payout.BankAccountID != accounts[0].ID || payout.AccountID != accounts[0].AccountID {
			t.Errorf("payout to account %d %q; want the deposit's %d %q", payout.BankAccountID, payout.AccountID, accounts[0].ID, accounts[0].AccountID)
		}
		e.waitFor("payout sent", func() bool { return e.reload(payout).SentAt != nil })
		if n := e.apiCalls("AccountPayout"); n != 1 {
			t.Errorf("%d AccountPayout calls; want 1", n)
		}
		e.wantMoney(p, 6000, 0)
	})
}

// TestAccountHolderOutsidePayNPlay: where Pay N Play is off no kyc proves who pays,
// so an account notification whose holder is not the player is flagged for staff.
func TestAccountHolderOutsidePayNPlay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "off")
		for _, tt := range []struct {
			first, last string
			flagged     bool
		}{{"Anna", "Svensson", true}, {"Åsa", "Öberg-Lindqvist", false}} {
			p := e.namedPlayer("SE", tt.first, tt.last)
			order, err := e.as("se-adult").StartDeposit(e.ctx, p, e.money(p, 100), "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			var got models.Order
			e.waitFor("account notification applied", func() bool {
				var n int64
				e.db.Model(&models.Notification{}).Where("order_id = ? AND method = ?", order.ID, "account").Count(&n)
				got = e.reload(order)
				return n == 1 && got.Status == models.OrderCredited
			})
			if flagged := strings.Contains(got.Flag, "is not the player's name"); flagged != tt.flagged || got.PayNPlay {
				t.Errorf("%s %s: flag %q pay n play %t; want flagged %t", tt.first, tt.last, got.Flag, got.PayNPlay, tt.flagged)
			}
			e.wantMoney(p, 10000, 0)
		}
	})
}

// TestPayNPlayOrderMarket: a Pay N Play order keeps the market it was started
// from, which its pages lead back to. An order from before that was kept tells
// what it can: its player's country once the kyc named one, the one Pay N Play
// market of its currency (SEK), or the one market of its currency with Pay N Play
// on; nothing when that leaves a choice (EUR in Finland and the Netherlands).
func TestPayNPlayOrderMarket(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "SE=hybrid,FI=pure,NL=pure")
		start := func(svc *cashier.Service, country string, amount *models.Money) models.Order {
			t.Helper()
			order, err := svc.StartPayNPlay(e.ctx, amount, country, "127.0.0.1")
			if err != nil {
				t.Fatalf("start in %s: %v", country, err)
			}
			return order
		}
		market := func(svc *cashier.Service, o models.Order) string {
			t.Helper()
			out, err := svc.PayNPlayResult(e.ctx, o.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			return out.Market
		}
		// Refused, so without a player: the market is the order's alone.
		se := start(e.as("se-minor"), "SE", &models.Money{Minor: 10000, Currency: "SEK"})
		fi := start(e.as("fi-minor"), "FI", &models.Money{Minor: 5000, Currency: "EUR"})
		nl := start(e.as("nl-minor"), "NL", &models.Money{Minor: 5000, Currency: "EUR"})
		for _, o := range []models.Order{se, fi, nl} {
			if out := e.pnpDone(o); out.State != cashier.PayNPlayRefused || out.Order.PlayerID != 0 {
				t.Fatalf("minor's order %s %q player %d; want refused, no player", out.State, out.Message, out.Order.PlayerID)
			}
		}
		login := start(e.as("fi-adult"), "FI", nil)
		if out := e.pnpDone(login); out.State != cashier.PayNPlayReady {
			t.Fatalf("fi-adult login %s %q; want ready", out.State, out.Message)
		}
		for _, tt := range []struct {
			order models.Order
			want  string
		}{{se, "SE"}, {fi, "FI"}, {nl, "NL"}, {login, "FI"}} {
			if got := e.reload(tt.order).Market; got != tt.want {
				t.Errorf("order started in %s stored market %q", tt.want, got)
			}
			if got := market(e.svc, tt.order); got != tt.want {
				t.Errorf("order started in %s: market %q", tt.want, got)
			}
		}

		// Orders from before the market was kept.
		if res := db.Model(&models.Order{}).Where("pay_n_play = ?", true).Update("market", ""); res.Error != nil || res.RowsAffected != 4 {
			t.Fatalf("blank 4 markets: %d, %v", res.RowsAffected, res.Error)
		}
		modes := e.cfg.PayNPlay
		e.cfg.PayNPlay = paynplay.Modes{"SE": paynplay.ModePure, "FI": paynplay.ModePure}
		onlyFISvc := e.service(nil)
		e.cfg.PayNPlay = modes
		for _, tt := range []struct {
			name  string
			svc   *cashier.Service
			order models.Order
			want  string
		}{
			{"SEK, Sweden's alone", e.svc, se, "SE"},
			{"EUR, in Finland and the Netherlands", e.svc, fi, ""},
			{"EUR, in the Netherlands and Finland", e.svc, nl, ""},
			{"the player's country", e.svc, login, "FI"},
			{"EUR, Finland's alone now", onlyFISvc, nl, "FI"},
		} {
			if got := market(tt.svc, tt.order); got != tt.want {
				t.Errorf("%s: market %q; want %q", tt.name, got, tt.want)
			}
		}
	})
}

// TestFlagLogsNoHolderName: a flag's text can name the bank account's holder
// (personal data, kept for staff in the back office); the "order flagged" line
// names the order and the flag's kind instead, and no line of the deposit, at
// any level, carries the holder's name or the bank account's number.
func TestFlagLogsNoHolderName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "off")
		var logs lockedBuffer
		e.log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		e.svc = e.service(nil)
		p := e.namedPlayer("SE", "Anna", "Svensson")
		order, err := e.as("se-adult").StartDeposit(e.ctx, p, e.money(p, 100), "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		var got models.Order
		e.waitFor("account notification applied", func() bool {
			var n int64
			e.db.Model(&models.Notification{}).Where("order_id = ? AND method = ?", order.ID, "account").Count(&n)
			got = e.reload(order)
			return n == 1 && got.Status == models.OrderCredited
		})
		if !strings.Contains(got.Flag, "Öberg-Lindqvist") {
			t.Fatalf("flag %q; want the holder's name for staff", got.Flag)
		}
		var flagged bool
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			for _, personal := range []string{"Åsa", "Öberg", "Lindqvist", "69706212"} {
				if strings.Contains(line, personal) {
					t.Errorf("log line carries %q: %s", personal, line)
				}
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if m["msg"] == "order flagged" {
				flagged = true
				if m["order_id"] != float64(order.ID) || fmt.Sprint(m["flags"]) != "[holder-name]" {
					t.Errorf("order flagged: order_id %v, flags %v; want %d, [holder-name]", m["order_id"], m["flags"], order.ID)
				}
			}
		}
		if !flagged {
			t.Errorf("no \"order flagged\" line in\n%s", logs.String())
		}
	})
}

// TestPayNPlayPayoutStaleForm: the withdrawal form of a pure market names the
// account the player last deposited from; sent after that account was removed
// (while the market was hybrid),
// or after a payout to it failed at the bank, it is refused with a sentence that
// is true then: the player did deposit, so not "we do not know it yet", and
// there is no other account to choose nor one to add by hand. A player who never
// deposited is still told to make a first deposit.
func TestPayNPlayPayoutStaleForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure")
		refusal := func(p models.Player) *models.Problem {
			t.Helper()
			_, err := e.svc.PayNPlayPayout(e.ctx, p, "", models.Money{Minor: 2000, Currency: "EUR"})
			var problem *models.Problem
			if !errors.As(err, &problem) {
				t.Fatalf("payout: %v; want a problem", err)
			}
			return problem
		}
		if got := refusal(e.player("FI")); got.ID != "problem.paynplay_no_account" {
			t.Errorf("a player who never deposited: %s %q; want problem.paynplay_no_account", got.ID, got.Message)
		}

		deposit := func(person string) models.Player {
			t.Helper()
			amount := models.Money{Minor: 10000, Currency: "EUR"}
			order, err := e.as(person).StartPayNPlay(e.ctx, &amount, "FI", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			p := *e.pnpDone(order).Player
			e.waitFor("the deposit's account", func() bool {
				accounts, _ := e.svc.BankAccounts(e.ctx, p)
				return len(accounts) == 1
			})
			return p
		}
		p := deposit("fi-adult")
		accounts, _ := e.svc.BankAccounts(e.ctx, p)
		// A pure market removes nothing (TestPureAccountNotRemovable): the account
		// was removed while the market was hybrid, or by an older version.
		if err := db.Model(&accounts[0]).Update("removed", true).Error; err != nil {
			t.Fatal(err)
		}
		got := refusal(p)
		if got.ID != "problem.paynplay_account_removed" || strings.Contains(got.Message, "do not know it yet") {
			t.Errorf("the account removed since the form: %s %q; want problem.paynplay_account_removed", got.ID, got.Message)
		}

		if err := e.sb.Sandbox.SetPayoutScenario(sandbox.ScenarioPayoutFailed); err != nil {
			t.Fatal(err)
		}
		p = deposit("fi-adult2")
		payout, err := e.svc.PayNPlayPayout(e.ctx, p, "", models.Money{Minor: 2000, Currency: "EUR"})
		if err != nil {
			t.Fatal(err)
		}
		e.waitFor("the payout's failure on its account", func() bool {
			accounts, _ := e.svc.BankAccounts(e.ctx, p)
			return e.reload(payout).PayoutFailedAt != nil && len(accounts) == 1 && accounts[0].PayoutFailure != ""
		})
		got = refusal(p)
		if got.ID != "problem.paynplay_account_failed" || strings.Contains(got.Message, "Choose another account") {
			t.Errorf("a payout to the account failed since the form: %s %q; want problem.paynplay_account_failed", got.ID, got.Message)
		}
	})
}

// TestPayNPlayPayoutUnverifiedAccount: a pure market's payout goes to the account
// deposited from, which must be verified. A deposit whose account notification
// said verified "0" left the player with money and no account to pay it to, and
// PayNPlayPayout refused with "… we do not know it yet. Make a deposit first.",
// which the player had just done. It says the account waits for the bank's
// verification and that support can help; once a later account notification of
// the account says "1", the payout goes to it.
func TestPayNPlayPayoutUnverifiedAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := pnpEnv(t, db, "pure")
		amount := models.Money{Minor: 10000, Currency: "EUR"}
		svc := e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "fi-adult",
			"SandboxScenario": string(sandbox.ScenarioDepositAccountUnverified)})
		order, err := svc.StartPayNPlay(e.ctx, &amount, "FI", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		p := *e.pnpDone(order).Player
		e.waitFor("the deposit's account", func() bool {
			accounts, _ := e.svc.BankAccounts(e.ctx, p)
			return len(accounts) == 1
		})
		if got := e.balance(models.PlayerWallet(p.ID), "EUR"); got != 10000 {
			t.Fatalf("balance %d after the deposit; want 10000", got)
		}
		_, err = e.svc.PayNPlayPayout(e.ctx, p, "", models.Money{Minor: 2000, Currency: "EUR"})
		var problem *models.Problem
		if !errors.As(err, &problem) || problem.ID != "problem.paynplay_account_unverified" {
			t.Fatalf("payout to the unverified account: %v; want problem.paynplay_account_unverified", err)
		}
		if strings.Contains(problem.Message, "do not know it yet") || !strings.Contains(problem.Message, "contact support") {
			t.Errorf("refusal %q", problem.Message)
		}
		if got := e.balance(models.PlayerWallet(p.ID), "EUR"); got != 10000 {
			t.Errorf("balance %d after the refused payout; want 10000", got)
		}

		// The next deposit from the account brings verified "1": payouts go to it.
		order, err = e.as("fi-adult").StartPayNPlay(e.ctx, &amount, "FI", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		e.pnpDone(order)
		e.waitFor("the account verified", func() bool {
			accounts, _ := e.svc.BankAccounts(e.ctx, p)
			return len(accounts) == 1 && accounts[0].Verified
		})
		if _, err := e.svc.PayNPlayPayout(e.ctx, p, "", models.Money{Minor: 2000, Currency: "EUR"}); err != nil {
			t.Errorf("payout once the account is verified: %v", err)
		}
	})
}
