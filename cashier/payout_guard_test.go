package cashier_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// backing reserves 6 000.00 for a payout that waits for approval throughout a
// test, so that a transfer wrongly taken from the player's reservation would
// succeed, taking that payout's money, instead of failing on an empty account.
func (e *payEnv) backing(p models.Player, account models.BankAccount) {
	e.t.Helper()
	o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 6000))
	if err != nil || o.Status != models.OrderAwaitingApproval {
		e.t.Fatalf("backing payout: %s, %v; want awaiting-approval", o.Status, err)
	}
}

// TestPayoutNotesAfterRelease: a payout whose reservation was released (denied,
// cancelled by the player, refused by Trustly) and then written about by Trustly
// (credit, cancel, payoutconfirmation, in every order, each twice) is flagged for
// staff, and no money moves: the player is not paid twice, and nothing is sent
// from a reservation another payout holds.
func TestPayoutNotesAfterRelease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 20000)
		admin := e.admin()
		e.backing(p, account)
		const wallet, reserved = 2000000 - 600000, 600000
		for _, tt := range []struct {
			name    string
			release func() models.Order
		}{
			{"denied", func() models.Order {
				o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 6000))
				if err == nil {
					o, err = e.svc.DenyPayout(e.ctx, admin, o.ID, "no")
				}
				if err != nil {
					t.Fatal(err)
				}
				return o
			}},
			{"cancelled", func() models.Order {
				o, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 6000))
				if err == nil {
					o, err = e.svc.CancelPayout(e.ctx, p, o.ID)
				}
				if err != nil {
					t.Fatal(err)
				}
				return o
			}},
			{"refused", func() models.Order {
				// With the backing it waits (the payouts of 24 hours count together);
				// Trustly refuses it once approved.
				svc := e.scenario(sandbox.ScenarioPayoutRejected)
				o, err := svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100))
				if err != nil || o.Status != models.OrderAwaitingApproval {
					t.Fatalf("refused payout: %s, %v; want awaiting approval", o.Status, err)
				}
				o, err = svc.ApprovePayout(e.ctx, admin, o.ID, "")
				wantProblem(t, err, "Trustly could not send your payout")
				return o
			}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.t = t
				for _, perm := range permutationsOf([]string{trustly.MethodCredit, trustly.MethodCancel, trustly.MethodPayoutConfirmation}) {
					order := tt.release()
					if order.ReleasedAt == nil {
						t.Fatalf("%s payout not released: %s", tt.name, order.Status)
					}
					e.wantMoney(p, wallet, reserved)
					order.TrustlyOrderID = fmt.Sprintf("98%08d", order.ID)
					notes := map[string][]byte{}
					for _, m := range perm {
						notes[m] = e.forge(m, order, p, nil)
					}
					for range 2 {
						for _, m := range perm {
							e.apply(notes[m])
						}
					}
					got := e.reload(order)
					if !strings.Contains(got.Flag, "released") || got.SentAt != nil || got.ReturnedAt != nil {
						t.Errorf("%v: flag %q sent %v returned %v; want flagged, neither sent nor returned", perm, got.Flag, got.SentAt, got.ReturnedAt)
					}
					e.wantMoney(p, wallet, reserved)
				}
			})
		}
	})
}

// TestPayoutReleaseGuard: the release of a reservation is booked only for a payout
// neither sent nor released already, whoever asks for it.
func TestPayoutReleaseGuard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 20000)
		admin := e.admin()
		sent, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 100)) // before the backing, which it would wait behind
		if err != nil {
			t.Fatal(err)
		}
		e.waitStatus(sent, models.OrderConfirmed)
		e.backing(p, account)
		denied, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 6000))
		if err == nil {
			_, err = e.svc.DenyPayout(e.ctx, admin, denied.ID, "no")
		}
		if err != nil {
			t.Fatal(err)
		}
		const wallet, reserved = 2000000 - 600000 - 10000, 600000
		e.wantMoney(p, wallet, reserved)
		for _, o := range []models.Order{sent, denied, denied} {
			got, err := e.svc.ReleasePayout(e.ctx, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != e.reload(o).Status {
				t.Errorf("order %d: status %s after a release", o.ID, got.Status)
			}
			e.wantMoney(p, wallet, reserved)
		}
	})
}

// TestPayoutCreditMismatch: a credit (a bounce) or a payoutconfirmation that does
// not match the payout is flagged for staff; a credit in another currency is not
// booked at all, one of less is booked as Trustly says, and one of more returns
// only what the payout took; a payoutconfirmation of another amount or currency is
// not applied (TestPayoutConfirmationMismatch).
func TestPayoutCreditMismatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		wallet := int64(100000)
		for _, tt := range []struct {
			name   string
			method string
			fields map[string]any
			back   int64 // booked back into the wallet
			flag   string
		}{
			{"credit in another currency", trustly.MethodCredit, map[string]any{"currency": "EUR"}, 0, "credit in EUR for a payout in SEK: not booked"},
			{"credit of less", trustly.MethodCredit, map[string]any{"amount": "29.00"}, 2900, "differs from the payout's"},
			{"credit of more", trustly.MethodCredit, map[string]any{"amount": "31.00"}, 3000, "credit of 31.00 SEK is more than the payout's 30.00: booked 30.00"},
			{"payoutconfirmation of another amount", trustly.MethodPayoutConfirmation, map[string]any{"amount": "25.00"}, 0, "payoutconfirmation of 25.00 SEK for a payout of 30.00 SEK: not applied"},
			{"payoutconfirmation in another currency", trustly.MethodPayoutConfirmation, map[string]any{"currency": "EUR"}, 0, "payoutconfirmation of 30.00 EUR for a payout of 30.00 SEK: not applied"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				e.t = t
				order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 30))
				if err != nil || order.Status != models.OrderSent {
					t.Fatalf("request: %s, %v; want sent", order.Status, err)
				}
				wallet -= 3000
				e.apply(e.forge(tt.method, order, p, tt.fields))
				got := e.reload(order)
				if !strings.Contains(got.Flag, tt.flag) {
					t.Errorf("flag %q, want %q", got.Flag, tt.flag)
				}
				wallet += tt.back
				e.wantMoney(p, wallet, 0)
			})
		}
	})
}

// TestPayoutApprovalThreshold: a payout of exactly Limits.ApprovalAbove is sent at
// once; one a cent above it waits for an admin. Each is its player's first, since
// the payouts of 24 hours count together (TestPayoutApprovalWindow).
func TestPayoutApprovalThreshold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		for _, tt := range []struct {
			minor int64
			want  models.OrderStatus
		}{{500000, models.OrderSent}, {500001, models.OrderAwaitingApproval}, {499999, models.OrderSent}} {
			p := e.player("SE")
			account := e.deposit(p, 6000)
			o, err := e.svc.RequestPayout(e.ctx, p, account.ID, models.Money{Minor: tt.minor, Currency: "SEK"})
			if err != nil || (o.Status != tt.want && !(tt.want == models.OrderSent && o.Status == models.OrderConfirmed)) {
				t.Errorf("payout of %d: %s, %v; want %s", tt.minor, o.Status, err, tt.want)
			}
		}
	})
}

// TestPayoutCreditOtherCurrencyThenGenuine: a payout credit in another currency is
// flagged and books nothing, and it does not count as the payout's credit: the
// payout keeps its state, and the genuine credit that follows returns the money.
func TestPayoutCreditOtherCurrencyThenGenuine(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		account := e.deposit(p, 1000)
		e.hold.Store(true) // only the forged notifications arrive
		order, err := e.svc.RequestPayout(e.ctx, p, account.ID, e.money(p, 30))
		if err != nil || order.Status != models.OrderSent {
			t.Fatalf("request: %s, %v; want sent", order.Status, err)
		}
		e.apply(e.forge(trustly.MethodCredit, order, p, map[string]any{"currency": "EUR"}))
		got := e.reload(order)
		if got.Status != models.OrderSent || got.CreditedAt != nil || !strings.Contains(got.Flag, "credit in EUR for a payout in SEK: not booked") {
			t.Errorf("after a credit in EUR: %s, credited %v, flag %q; want still sent, not credited, flagged", got.Status, got.CreditedAt, got.Flag)
		}
		e.wantMoney(p, 97000, 0)
		e.apply(e.forge(trustly.MethodCredit, order, p, nil))
		if got := e.reload(order); got.CreditedAt == nil || got.ReturnedAt == nil {
			t.Errorf("after the genuine credit: %s, credited %v, returned %v; want the money returned", got.Status, got.CreditedAt, got.ReturnedAt)
		}
		e.wantMoney(p, 100000, 0)
	})
}

// TestApprovePayoutAccountGoneMeanwhile: a payout waiting for approval whose bank
// account the player removed meanwhile, or to which another payout failed at the
// bank, is not sent on approval: staff are told why, it keeps waiting, reserved,
// and denying it gives the money back.
func TestApprovePayoutAccountGoneMeanwhile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, gone := range []string{"removed", "payout failed"} {
			e := newPayEnv(t, db)
			p := e.player("SE")
			account := e.deposit(p, 8000)
			order := e.awaitingApproval(p, account.ID, 6000)
			switch gone {
			case "removed":
				if _, err := e.svc.RemoveBankAccount(e.ctx, p, account.ID); err != nil {
					t.Fatal(err)
				}
			default:
				if err := db.Model(&models.BankAccount{}).Where("id = ?", account.ID).Update("payout_failure", "closed_account").Error; err != nil {
					t.Fatal(err)
				}
			}
			calls := e.apiCalls("AccountPayout")
			got, err := e.svc.ApprovePayout(e.ctx, e.admin(), order.ID, "ok")
			if n := e.apiCalls("AccountPayout") - calls; n != 0 || err == nil || !strings.Contains(err.Error(), "bank account") {
				t.Errorf("%s: approval %s, %v, %d AccountPayout calls; want refused, naming the bank account, nothing sent", gone, got.Status, err, n)
			}
			if got := e.reload(order); got.Status != models.OrderAwaitingApproval {
				t.Errorf("%s: after the refused approval %s; want still awaiting approval", gone, got.Status)
			}
			if _, err := e.svc.DenyPayout(e.ctx, e.admin(), order.ID, "account gone"); err != nil {
				t.Fatalf("%s: deny: %v", gone, err)
			}
			e.wantMoney(p, 800000, 0)
		}
	})
}
