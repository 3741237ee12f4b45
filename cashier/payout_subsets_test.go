package cashier_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// payoutNotes are the notifications Trustly may send about a payout (API.md §5.2,
// §6.3, §13): a debit is not one Trustly names for AccountPayout, and comes here
// as the forged or misrouted one it would be.
var payoutNotes = []string{trustly.MethodPayoutConfirmation, trustly.MethodDebit, trustly.MethodCredit, trustly.MethodCancel}

// subsetsOf is every non-empty subset of items, each in items' order.
func subsetsOf(items []string) [][]string {
	var out [][]string
	for mask := 1; mask < 1<<len(items); mask++ {
		var s []string
		for i, m := range items {
			if mask&(1<<i) != 0 {
				s = append(s, m)
			}
		}
		out = append(out, s)
	}
	return out
}

// payoutOutcome is what a payout's notifications left: its status and flags, and
// where its money is.
type payoutOutcome struct {
	status   models.OrderStatus
	flag     string
	returned bool // back in the wallet; else gone to the bank (Trustly's clearing)
}

// TestPayoutNotificationSubsets: a payout to a known account, sent with
// AccountPayout to the sandbox and accepted, then every non-empty subset of
// payoutconfirmation, debit, credit and cancel, forged for it and signed as Trustly
// signs, in every order, each delivered twice. Whatever the order: each answer is
// signed for its notification, OK but FAILED for the debit (nothing is taken back
// from the player), the same bytes again on redelivery; the payout ends with the
// same status, flags and money; the ledger audits; the money is in exactly one
// place, gone to the bank or back in the wallet, never reserved and never back
// twice. A credit, or a cancel alone, gives it back; a cancel after the bank's
// confirmation, or before it, gives nothing back without a credit.
func TestPayoutNotificationSubsets(t *testing.T) {
	payoutSubsets(t, payoutNotes, "")
}

// TestPayoutFailedSubsets is TestPayoutNotificationSubsets for the subsets that
// hold a payoutfailed, with payoutconfirmation, credit and cancel: payoutfailed
// gives nothing back by itself (the credit after it does), and whatever the
// order, the payout ends the same.
func TestPayoutFailedSubsets(t *testing.T) {
	payoutSubsets(t, []string{trustly.MethodPayoutFailed, trustly.MethodPayoutConfirmation, trustly.MethodCredit, trustly.MethodCancel},
		trustly.MethodPayoutFailed)
}

// payoutSubsets runs TestPayoutNotificationSubsets over the subsets of notes that
// hold must (every one when must is "").
func payoutSubsets(t *testing.T, notesOf []string, must string) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		l := payLimits("SEK")
		l.ApprovalAbove = l.MaxDeposit // every payout goes at once, however many
		e.cfg.Limits["SEK"] = l
		e.svc = e.service(nil)
		p := e.player("SE")
		account := e.deposit(p, 20000)
		e.hold.Store(true) // only the forged notifications arrive
		pub := &e.sb.MerchantKey.PublicKey
		amount := e.money(p, 100)
		for _, subset := range subsetsOf(notesOf) {
			if must != "" && !has(subset, must) {
				continue
			}
			t.Run(strings.Join(subset, "+"), func(t *testing.T) {
				e.t = t
				var first *payoutOutcome
				var firstPerm []string
				for _, perm := range permutationsOf(subset) {
					wallet := e.balance(models.PlayerWallet(p.ID), "SEK")
					clearing := e.balance(models.TrustlyClearing, "SEK")
					// A payoutfailed before marked the account failed; each payout goes to it afresh.
					if err := db.Model(&models.BankAccount{}).Where("id = ?", account.ID).Update("payout_failure", "").Error; err != nil {
						t.Fatal(err)
					}
					order, err := e.svc.RequestPayout(e.ctx, p, account.ID, amount)
					if err != nil || order.Status != models.OrderSent || order.TrustlyOrderID == "" {
						t.Fatalf("payout: %s %q, %v; want sent with Trustly's orderid", order.Status, order.TrustlyOrderID, err)
					}
					notes := map[string][]byte{}
					for _, m := range subset {
						var fields map[string]any
						if m == trustly.MethodDebit {
							fields = map[string]any{"amount": amount.String(), "currency": amount.Currency, "attributes": map[string]any{}}
						}
						notes[m] = e.forge(m, order, p, fields)
					}
					answers := map[string][]byte{}
					for round := range 2 {
						for _, m := range perm {
							got, err := e.svc.HandleNotification(e.ctx, notes[m])
							if err != nil {
								t.Fatalf("%v: %s: %v", perm, m, err)
							}
							var sent struct{ Params struct{ UUID string } }
							if err := json.Unmarshal(notes[m], &sent); err != nil {
								t.Fatal(err)
							}
							a, err := trustly.ParseAnswer(got, pub, m, sent.Params.UUID)
							if err != nil {
								t.Fatalf("%v: %s: answer %s: %v", perm, m, got, err)
							}
							want := trustly.StatusOK
							if m == trustly.MethodDebit {
								want = trustly.StatusFailed
							}
							if a.Status != want {
								t.Errorf("%v: %s answered %s; want %s", perm, m, a.Status, want)
							}
							if round == 1 && string(got) != string(answers[m]) {
								t.Errorf("%v: redelivered %s got another answer:\n%s\nfirst:\n%s", perm, m, got, answers[m])
							}
							answers[m] = got
						}
					}
					got := e.reload(order)
					w, c := e.balance(models.PlayerWallet(p.ID), "SEK"), e.balance(models.TrustlyClearing, "SEK")
					r := e.balance(models.PlayerReserved(p.ID), "SEK")
					out := payoutOutcome{status: got.Status, flag: got.Flag}
					switch {
					case r == 0 && w == wallet && c == clearing:
						out.returned = true
					case r == 0 && w == wallet-amount.Minor && c == clearing+amount.Minor:
					default:
						t.Fatalf("%v: wallet %+d reserved %d clearing %+d; want the payout's %d in exactly one place",
							perm, w-wallet, r, c-clearing, amount.Minor)
					}
					// Each reference is booked at most once (the ledger's unique
					// reference); a return a later confirmation took back (retake)
					// does not count, a credit's return after that does.
					net := int64(0)
					for ref, sign := range map[string]int64{"return": 1, "return-again": 1, "release": 1, "retake": -1} {
						var n int64
						if err := db.Model(&models.Transfer{}).Where("reference = ?", order.Reference(ref)).Count(&n).Error; err != nil {
							t.Fatal(err)
						}
						net += sign * n
					}
					if want := map[bool]int64{true: 1, false: 0}[out.returned]; net != want {
						t.Errorf("%v: %d transfers back to the wallet, net; want %d", perm, net, want)
					}
					if err := ledger.New(db).Audit(e.ctx); err != nil {
						t.Errorf("%v: %v", perm, err)
					}
					if first == nil {
						first, firstPerm = &out, perm
						want := has(subset, trustly.MethodCredit) || (has(subset, trustly.MethodCancel) && !has(subset, trustly.MethodPayoutConfirmation))
						if out.returned != want {
							t.Errorf("%v: returned %t; want %t (%s %q)", perm, out.returned, want, out.status, out.flag)
						}
						continue
					}
					if out != *first {
						t.Errorf("%v: %s %q returned %t; %v gave %s %q returned %t", perm, out.status, out.flag, out.returned,
							firstPerm, first.status, first.flag, first.returned)
					}
				}
			})
		}
	})
}
