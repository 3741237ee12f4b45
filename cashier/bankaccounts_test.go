package cashier_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestRegisterBankAccount registers typed bank details with the sandbox, pays out
// to them, and registers them again.
func TestRegisterBankAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		for _, tt := range []struct {
			name, country, bank, account string
			want                         models.BankAccount
		}{
			{"Swedish clearing and account", "SE", "6112", "69706212",
				models.BankAccount{ClearingHouse: "SWEDEN", Bank: "Handelsbanken", Descriptor: "**706212", LastDigits: "706212"}},
			{"Finnish IBAN as typed", "FI", "", "fi21 1234 5600 0007 85",
				models.BankAccount{ClearingHouse: "FINLAND", Descriptor: "**000785", LastDigits: "000785"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.t = t
				p := e.player(tt.country)
				got, err := e.svc.RegisterBankAccount(e.ctx, p, tt.country, tt.bank, tt.account)
				if err != nil {
					t.Fatal(err)
				}
				if got.ID == 0 || got.AccountID == "" || got.PlayerID != p.ID || got.Source != models.AccountFromRegisterAccount ||
					got.Verified || got.Removed || got.ClearingHouse != tt.want.ClearingHouse || got.Descriptor != tt.want.Descriptor ||
					got.LastDigits != tt.want.LastDigits || (tt.want.Bank != "" && got.Bank != tt.want.Bank) {
					t.Fatalf("registered %+v; want %+v from registeraccount, unverified", got, tt.want)
				}
				// The same details again: the same account, also after removing it.
				again, err := e.svc.RegisterBankAccount(e.ctx, p, tt.country, tt.bank, tt.account)
				if err != nil || again.ID != got.ID || again.AccountID != got.AccountID {
					t.Fatalf("registering again: %+v, %v; want account %d", again, err, got.ID)
				}
				if _, err := e.svc.RemoveBankAccount(e.ctx, p, got.ID); err != nil {
					t.Fatal(err)
				}
				again, err = e.svc.RegisterBankAccount(e.ctx, p, tt.country, tt.bank, tt.account)
				if err != nil || again.ID != got.ID || again.Removed {
					t.Fatalf("registering a removed account: %+v, %v; want account %d shown again", again, err, got.ID)
				}
				var n int64
				db.Model(&models.BankAccount{}).Where("player_id = ?", p.ID).Count(&n)
				if n != 1 {
					t.Errorf("%d bank account rows, want 1", n)
				}

				e.deposit(p, 500)
				order, err := e.svc.RequestPayout(e.ctx, p, got.ID, e.money(p, 120))
				if err != nil {
					t.Fatal(err)
				}
				if order.AccountID != got.AccountID {
					t.Errorf("paid to AccountID %s, want %s", order.AccountID, got.AccountID)
				}
				e.waitStatus(order, models.OrderConfirmed)
				e.wantMoney(p, 38000, 0)
			})
		}
	})
}

// TestRegisterBankAccountRefused: details that do not validate get a Problem
// naming the field and are never sent (a Swedish clearing number of five digits
// only when it is Swedbank's, starting with 8); numbers only Trustly refuses (624)
// get one too.
func TestRegisterBankAccountRefused(t *testing.T) {
	e := newPayEnv(t, storetest.SQLite(t))
	p := e.player("SE")
	for _, tt := range []struct {
		name, country, bank, account string
		field, problem               string
		sent                         bool // reaches Trustly
	}{
		{"IBAN with a typing error", "FI", "", "FI2112345600000786", "account", "This IBAN has a typing error", false},
		{"IBAN of another country", "FI", "", "EE382200221020145685", "account", "Enter an IBAN from Finland", false},
		{"short clearing number", "SE", "61", "69706212", "bank", "Enter the clearing number", false},
		{"letters in the account", "SE", "6112", "AASSSRMFKF", "account", "Enter the account number", false},
		{"a country we do not pay to", "US", "", "123", "country", "We cannot pay out to bank accounts in this country", false},
		{"five digits not starting with 8", "SE", "61121", "69706212", "bank", "Enter the clearing number", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := e.apiCalls("RegisterAccount")
			_, err := e.svc.RegisterBankAccount(e.ctx, p, tt.country, tt.bank, tt.account)
			var problem *models.Problem
			if !errors.As(err, &problem) || problem.Field != tt.field || len(problem.Message) < len(tt.problem) || problem.Message[:len(tt.problem)] != tt.problem {
				t.Fatalf("got %v; want a Problem on %s starting %q", err, tt.field, tt.problem)
			}
			if sent := e.apiCalls("RegisterAccount") > before; sent != tt.sent {
				t.Errorf("sent to Trustly: %t, want %t", sent, tt.sent)
			}
		})
	}
	// Details that pass our checks and that Trustly refuses (624).
	_, err := e.answeringError(0, trustly.CodeInvalidBankAccountNumber, "ERROR_INVALID_BANK_ACCOUNT_NUMBER").
		RegisterBankAccount(e.ctx, p, "SE", "6112", "69706212")
	wantProblem(t, err, "Trustly does not accept this account number")
	if accounts, err := e.svc.BankAccounts(e.ctx, p); err != nil || len(accounts) != 0 {
		t.Errorf("BankAccounts = %+v, %v; want none", accounts, err)
	}
}

// TestRemoveBankAccount: a removed account is no longer listed or paid to, and
// stays in the database with the payouts that went to it.
func TestRemoveBankAccount(t *testing.T) {
	e := newPayEnv(t, storetest.SQLite(t))
	p := e.player("SE")
	kept := e.deposit(p, 1000)
	gone, err := e.svc.RegisterBankAccount(e.ctx, p, "SE", "5329", "1865391")
	if err != nil {
		t.Fatal(err)
	}
	paid, err := e.svc.RequestPayout(e.ctx, p, gone.ID, e.money(p, 100))
	if err != nil {
		t.Fatal(err)
	}
	if accounts, _ := e.svc.BankAccounts(e.ctx, p); len(accounts) != 2 {
		t.Fatalf("%d accounts before removing, want 2", len(accounts))
	}
	if _, err := e.svc.RemoveBankAccount(e.ctx, p, gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RemoveBankAccount(e.ctx, p, gone.ID); err != nil {
		t.Errorf("removing twice: %v", err)
	}
	accounts, err := e.svc.BankAccounts(e.ctx, p)
	if err != nil || len(accounts) != 1 || accounts[0].ID != kept.ID {
		t.Fatalf("BankAccounts = %+v, %v; want only %d", accounts, err, kept.ID)
	}
	calls := e.apiCalls("AccountPayout")
	_, err = e.svc.RequestPayout(e.ctx, p, gone.ID, e.money(p, 100))
	wantProblem(t, err, "Choose one of your saved bank accounts")
	if e.apiCalls("AccountPayout") != calls {
		t.Error("a payout to a removed account was sent")
	}
	other := e.player("SE")
	if _, err := e.svc.RemoveBankAccount(e.ctx, other, kept.ID); !errors.Is(err, cashier.ErrBankAccountNotFound) {
		t.Errorf("removing another player's account: %v, want ErrBankAccountNotFound", err)
	}
	var row models.BankAccount
	if err := e.db.Take(&row, gone.ID).Error; err != nil || !row.Removed {
		t.Errorf("removed row %+v, %v; want kept with Removed", row, err)
	}
	// The payout already sent to it goes on, and still names it.
	e.waitStatus(paid, models.OrderConfirmed)
	list, err := e.svc.Payouts(e.ctx, p)
	if err != nil || len(list) != 1 || list[0].Account.ID != gone.ID || list[0].Account.Label() != "SEB **865391" {
		t.Errorf("Payouts = %+v, %v; want the payout to %d", list, err, gone.ID)
	}
	e.wantMoney(p, 90000, 0)
}

// TestSelectAccount: "Add account with Trustly" starts SelectAccount; the account
// notification saves the account, which SelectedAccount then shows and a payout
// can use. A cancelled selection saves nothing.
func TestSelectAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		// The sandbox's default Swedish person, whose account it is: another holder
		// name would be flagged (TestAccountHolderOutsidePayNPlay).
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		order, err := e.svc.StartSelectAccount(e.ctx, p, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		// The sandbox completes the checkout at once: its account notification may
		// be applied before the call's answer is saved, and the order then comes
		// back account-added already.
		if order.Kind != models.OrderSelectAccount || (order.Status != models.OrderStarted && order.Status != models.OrderAccountAdded) ||
			order.CheckoutURL == "" || order.TrustlyOrderID == "" {
			t.Fatalf("order %+v; want a started (or already account-added) selectaccount order with a checkout", order)
		}
		var account *models.BankAccount
		e.waitFor("the selected account", func() bool {
			_, account, err = e.svc.SelectedAccount(e.ctx, p, order.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			return account != nil
		})
		if account.Source != models.AccountFromSelectAccount || !account.Verified || account.PlayerID != p.ID || account.Descriptor == "" {
			t.Errorf("selected account %+v; want a verified account from selectaccount", account)
		}
		// The selection is done: it read "Checkout started" in the back office for
		// good, and "Not completed" in the history after the checkout's life.
		added := e.waitStatus(order, models.OrderAccountAdded)
		if added.Flag != "" || added.AccountAddedAt == nil || added.AbandonedAt != nil {
			t.Errorf("select order %s %q, added at %v, after the account; want account-added", added.Status, added.Flag, added.AccountAddedAt)
		}
		// Applied once: a redelivery and a second account notification under
		// another notificationid change nothing, not even when.
		again := func() map[string]any {
			return map[string]any{"accountid": account.AccountID, "verified": "1",
				"attributes": map[string]any{"clearinghouse": "SWEDEN", "bank": "Nordea", "descriptor": account.Descriptor, "lastdigits": account.LastDigits}}
		}
		e.clock.Advance(time.Minute)
		note := e.forge(trustly.MethodAccount, added, p, again())
		e.apply(note)
		e.apply(note)
		e.apply(e.forge(trustly.MethodAccount, added, p, again()))
		if got := e.reload(order); got.Status != models.OrderAccountAdded || !got.AccountAddedAt.Equal(*added.AccountAddedAt) || got.Flag != "" {
			t.Errorf("after more account notifications: %s, added at %v, flag %q; want account-added at %v", got.Status, got.AccountAddedAt, got.Flag, added.AccountAddedAt)
		}
		// Long after, the janitor leaves it done.
		e.clock.Advance(2 * cashier.CheckoutExpiry)
		e.janitor()
		if got := e.reload(order); got.Status != models.OrderAccountAdded || got.AbandonedAt != nil {
			t.Errorf("the selection after its checkout expired: %s, abandoned at %v; want account-added", got.Status, got.AbandonedAt)
		}

		e.deposit(p, 500)
		payout, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 200))
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(payout, models.OrderConfirmed)
		e.wantMoney(p, 30000, 0)

		for _, tt := range []struct {
			name, messageID string
			player          models.Player
		}{
			{"unknown", "sel-unknown", p},
			{"another player's", order.MessageID, e.player("SE")},
			{"a payout's", payout.MessageID, p},
		} {
			if _, _, err := e.svc.SelectedAccount(e.ctx, tt.player, tt.messageID); !errors.Is(err, cashier.ErrOrderNotFound) {
				t.Errorf("%s: %v, want ErrOrderNotFound", tt.name, err)
			}
		}

		// The player abandons a selection: a cancel, and no account.
		cancelling := e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxScenario": string(sandbox.ScenarioSelectCancel)})
		q := e.player("SE")
		order, err = cancelling.StartSelectAccount(e.ctx, q, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(order, models.OrderFailed)
		if _, account, err := e.svc.SelectedAccount(e.ctx, q, order.MessageID); err != nil || account != nil {
			t.Errorf("after a cancel: %+v, %v; want no account", account, err)
		}
	})
}

// TestSelectAccountRefused: Trustly refusing the SelectAccount gives a Problem and
// a failed order.
func TestSelectAccountRefused(t *testing.T) {
	e := newPayEnv(t, storetest.SQLite(t))
	p := e.player("SE")
	refusing := e.withSandboxExtra(map[string]string{"SandboxScenario": "no-such-scenario"}) // 717
	_, err := refusing.StartSelectAccount(e.ctx, p, "127.0.0.1")
	wantProblem(t, err, "Trustly could not start adding your bank account")
	var order models.Order
	if err := e.db.Where("player_id = ? AND kind = ?", p.ID, models.OrderSelectAccount).Take(&order).Error; err != nil || order.Status != models.OrderFailed {
		t.Errorf("order %s, %v; want failed", order.Status, err)
	}
}

// TestUnverifiedAccount: an account notification with verified "0" saves the
// account, which is listed but not offered for payouts, and a payout to it is
// refused with a Problem, nothing reserved; a later notification with verified
// "1" makes it usable. An account the player typed is usable at once (see
// TestRegisterBankAccount).
func TestUnverifiedAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)

		// The sandbox's select-unverified scenario, end to end.
		q := e.player("SE")
		unverifying := e.withSandboxExtra(map[string]string{"SandboxAutoComplete": "1", "SandboxScenario": string(sandbox.ScenarioSelectUnverified)})
		sel, err := unverifying.StartSelectAccount(e.ctx, q, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		var account *models.BankAccount
		e.waitFor("the unverified account", func() bool {
			_, account, err = e.svc.SelectedAccount(e.ctx, q, sel.MessageID)
			return err == nil && account != nil
		})
		if account.Verified || cashier.PayoutReady(*account) {
			t.Errorf("account %+v after verified \"0\"; want unverified, not ready for payouts", account)
		}
		wantOffered(t, e, q, 1)

		// An account Trustly knows (RegisterAccount straight to the sandbox), told
		// to the cashier unverified, then verified.
		p := e.player("SE")
		e.deposit(p, 500)
		reg, err := e.sb.Client(t).RegisterAccount(e.ctx, trustly.RegisterAccountParams{EndUserID: p.EndUserID,
			ClearingHouse: "SWEDEN", BankNumber: "3300", AccountNumber: "8001234567", Firstname: "Anna", Lastname: "Svensson"})
		if err != nil {
			t.Fatal(err)
		}
		sel, err = e.withSandboxExtra(nil).StartSelectAccount(e.ctx, p, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		notify := func(verified string) models.BankAccount {
			t.Helper()
			e.apply(e.forge(trustly.MethodAccount, sel, p, map[string]any{"accountid": reg.AccountID, "verified": verified,
				"attributes": map[string]any{"clearinghouse": "SWEDEN", "bank": "Nordea", "descriptor": "**234567", "lastdigits": "234567"}}))
			var a models.BankAccount
			if err := db.Where("player_id = ? AND account_id = ?", p.ID, reg.AccountID).Take(&a).Error; err != nil {
				t.Fatal(err)
			}
			return a
		}
		unverified := notify("0")
		if unverified.Verified || unverified.Source != models.AccountFromSelectAccount {
			t.Fatalf("account %+v; want unverified from selectaccount", unverified)
		}
		wantOffered(t, e, p, 2) // the deposit's account is offered, this one is not
		_, err = e.svc.RequestPayout(e.ctx, p, unverified.ID, e.money(p, 100))
		wantProblem(t, err, "This bank account is waiting for your bank to verify it.")
		e.wantMoney(p, 50000, 0)
		var n int64
		db.Model(&models.Order{}).Where("player_id = ? AND kind = ?", p.ID, models.OrderPayout).Count(&n)
		if n != 0 {
			t.Errorf("%d payout orders after the refusal, want none", n)
		}

		verified := notify("1")
		if !verified.Verified || verified.ID != unverified.ID || !cashier.PayoutReady(verified) {
			t.Fatalf("account %+v after verified \"1\"; want the same account, verified", verified)
		}
		sum, err := e.svc.PayoutSummary(e.ctx, p)
		if err != nil || len(sum.Accounts) != 2 || sum.Accounts[1].ID != verified.ID {
			t.Fatalf("payout accounts %+v, %v; want the deposit's and the verified one", sum.Accounts, err)
		}
		// verified stays true whatever comes later.
		if again := notify("0"); !again.Verified {
			t.Errorf("a later verified \"0\" unverified the account")
		}
		order, err := e.svc.RequestPayout(e.ctx, p, verified.ID, e.money(p, 100))
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(order, models.OrderConfirmed)
		e.wantMoney(p, 40000, 0)
	})
}

// wantOffered checks the player has listed bank accounts and that the payout
// form offers exactly the PayoutReady ones among them.
func wantOffered(t *testing.T, e *payEnv, p models.Player, listed int) {
	t.Helper()
	all, err := e.svc.BankAccounts(e.ctx, p)
	if err != nil || len(all) != listed {
		t.Fatalf("bank accounts %+v, %v; want %d", all, err, listed)
	}
	sum, err := e.svc.PayoutSummary(e.ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, a := range all {
		if a.Verified || a.Source == models.AccountFromRegisterAccount {
			want = append(want, a.ID)
		}
	}
	var got []int64
	for _, a := range sum.Accounts {
		got = append(got, a.ID)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("payout form offers accounts %v; want %v (the verified or typed ones of %d)", got, want, listed)
	}
}

// TestSelectAccountAddsARemovedAccountAgain: a player removes the account they
// deposited from and later picks that same account with "Add account with
// Trustly". Its result page said "Added to your bank accounts … Payouts can go to
// this account now", but the account notification kept the removal mark, so the
// account was neither listed nor offered for payouts, and a payout to it was
// refused. The player asked to add it: it is theirs to pay out to again.
func TestSelectAccountAddsARemovedAccountAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		account := e.deposit(p, 500)
		if _, err := e.svc.RemoveBankAccount(e.ctx, p, account.ID); err != nil {
			t.Fatal(err)
		}
		wantOffered(t, e, p, 0)
		order, err := e.svc.StartSelectAccount(e.ctx, p, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		var selected *models.BankAccount
		e.waitFor("the selected account", func() bool {
			_, selected, err = e.svc.SelectedAccount(e.ctx, p, order.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			return selected != nil
		})
		if selected.ID != account.ID {
			t.Fatalf("selected account %d; want %d, the removed one picked again", selected.ID, account.ID)
		}
		wantOffered(t, e, p, 1)
		payout, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
		if err != nil {
			t.Fatalf("payout to the account added again: %v", err)
		}
		e.waitStatus(payout, models.OrderConfirmed)
		e.wantMoney(p, 40000, 0)
	})
}
