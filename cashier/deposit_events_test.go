package cashier_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// depositOutcome is what a deposit's notifications leave: its status, the
// player's wallet, the order's flags, and the answer to each notification.
type depositOutcome struct {
	status  models.OrderStatus
	wallet  int64
	flag    string
	answers string
}

func (o depositOutcome) String() string {
	return fmt.Sprintf("%s wallet %d flags %q answers %s", o.status, o.wallet, o.flag, o.answers)
}

// subsets returns every non-empty subset of items, each in the order of items.
func subsets(items []string) [][]string {
	var out [][]string
	for mask := 1; mask < 1<<len(items); mask++ {
		var s []string
		for i, it := range items {
			if mask&(1<<i) != 0 {
				s = append(s, it)
			}
		}
		out = append(out, s)
	}
	return out
}

// TestDepositEventSubsets delivers every non-empty subset of a deposit's
// notifications (pending, credit, account, debit, cancel) in every order, each
// twice, and checks that every order of a subset ends the same: status, wallet,
// flags and each notification's answer; that a redelivery gets the first answer
// byte for byte; that the ledger audits balanced; and that the player's wallet is
// never below zero, since no debit takes back more than a credit gave: a debit
// with no credit booked (yet, or ever, after a cancel) leaves the player owing
// nothing, and is flagged for staff. It runs with a credit of the order's amount
// and with a smaller one.
func TestDepositEventSubsets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		for _, variant := range []struct {
			name   string
			credit string // the credit's amount; the order asks 100.00
			minor  int64
		}{
			{"credit as asked", "100.00", 10000},
			{"smaller credit", "60.00", 6000},
		} {
			t.Run(variant.name, func(t *testing.T) {
				r.t = t
				for _, events := range subsets([]string{"pending", "credit", "account", "debit", "cancel"}) {
					t.Run(strings.Join(events, "+"), func(t *testing.T) {
						r.t = t
						var first depositOutcome
						for i, perm := range permutations(events) {
							p := r.player()
							o := r.order(p, 10000)
							notes := map[string]note{}
							for _, m := range events {
								var fields map[string]any
								if m == "credit" {
									fields = map[string]any{"amount": variant.credit}
								}
								notes[m] = notify(t, key, m, o, p.EndUserID, fields)
							}
							answers := map[string][]byte{}
							said := map[string]string{}
							for round := range 2 {
								for _, m := range perm {
									a := r.deliverAny(notes[m])
									if round == 1 && string(a.raw) != string(answers[m]) {
										t.Fatalf("%v: redelivered %s got another answer:\n%s\nfirst:\n%s", perm, m, a.raw, answers[m])
									}
									answers[m], said[m] = a.raw, a.status
									if w := r.wallet(p); w < 0 {
										got := r.reload(o)
										t.Fatalf("%v: after %s the wallet is %d, below zero, order %s %q", perm, m, w, got.Status, got.Flag)
									}
								}
							}
							got := r.reload(o)
							var ans []string
							for _, m := range slices.Sorted(maps.Keys(said)) {
								ans = append(ans, m+"="+said[m])
							}
							out := depositOutcome{got.Status, r.wallet(p), got.Flag, strings.Join(ans, ",")}
							if i == 0 {
								first = out
								checkDepositOutcome(t, events, variant.minor, got, out)
							} else if out != first {
								t.Errorf("%v: %s\nfirst order %v: %s", perm, out, permutations(events)[0], first)
							}
						}
						r.audit()
					})
				}
			})
		}
	})
}

// checkDepositOutcome checks what a deposit's notifications (events) must end in,
// whatever their order: money stays only with a credit and no debit, a debit
// takes back no more than the credit gave, and staff see a debit that had no
// credit to take back and a cancel after a credit.
func checkDepositOutcome(t *testing.T, events []string, credit int64, got models.Order, out depositOutcome) {
	t.Helper()
	credited, debited, cancelled := has(events, "credit"), has(events, "debit"), has(events, "cancel")
	wantWallet := int64(0)
	if credited && !debited {
		wantWallet = credit
	}
	if out.wallet != wantWallet {
		t.Errorf("%v: wallet %d; want %d", events, out.wallet, wantWallet)
	}
	var wantStatus models.OrderStatus
	switch {
	case credited && debited:
		wantStatus = models.OrderDebited
	case credited:
		wantStatus = models.OrderCredited
	case cancelled:
		wantStatus = models.OrderFailed
	case has(events, "pending") || debited:
		wantStatus = models.OrderPending
	default:
		wantStatus = models.OrderStarted
	}
	if out.status != wantStatus {
		t.Errorf("%v: status %s; want %s", events, out.status, wantStatus)
	}
	if debited && !credited && got.Flag == "" {
		t.Errorf("%v: a debit with no credit booked is not flagged for staff", events)
	}
	if cancelled && credited && !got.Flags()[models.FlagCancelAfterCredit] {
		t.Errorf("%v: flags %q; want %q", events, got.Flag, models.FlagCancelAfterCredit)
	}
	if strings.Contains(out.answers, "FAILED") {
		t.Errorf("%v: answers %s; want every one OK", events, out.answers)
	}
}

// deliveredAnswer is a signed answer and the status it says.
type deliveredAnswer struct {
	raw    []byte
	status string
}

// deliverAny sends n and checks the answer is signed by the cashier for n,
// whatever its status.
func (r *rig) deliverAny(n note) deliveredAnswer {
	r.t.Helper()
	answer, err := r.svc.HandleNotification(r.ctx, n.raw)
	if err != nil {
		r.t.Fatalf("%s %s: %v", n.method, n.id, err)
	}
	a, err := trustly.ParseAnswer(answer, &rigMerchantKey().PublicKey, n.method, n.uuid)
	if err != nil {
		r.t.Fatalf("%s %s: answer %s: %v", n.method, n.id, answer, err)
	}
	return deliveredAnswer{answer, a.Status}
}

// TestPayNPlayDepositEventSubsets: a Pay N Play deposit whose kyc says CONTINUE,
// with every subset of credit, debit and cancel, in every order with the kyc,
// each twice, ends the same in every order, and no wallet is ever below zero: a
// debit before the credit waits, whether it came before the kyc or after it.
func TestPayNPlayDepositEventSubsets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		for _, subset := range subsets([]string{"credit", "debit", "cancel"}) {
			events := append([]string{"kyc"}, subset...)
			t.Run(strings.Join(events, "+"), func(t *testing.T) {
				r.t = t
				var first depositOutcome
				for i, perm := range permutations(events) {
					o := r.pnpOrder(10000, "EUR")
					notes := map[string]note{"kyc": r.kycFor(o, "subsets", dutchAdult)}
					for _, m := range subset {
						notes[m] = notify(t, key, m, o, o.EndUserID, nil)
					}
					wallet := func() int64 {
						got := r.reload(o)
						if got.PlayerID == 0 {
							return 0
						}
						var p models.Player
						if err := db.Take(&p, got.PlayerID).Error; err != nil {
							t.Fatal(err)
						}
						return r.wallet(p)
					}
					answers := map[string][]byte{}
					said := map[string]string{}
					for round := range 2 {
						for _, m := range perm {
							a := r.deliverAny(notes[m])
							if round == 1 && string(a.raw) != string(answers[m]) {
								t.Fatalf("%v: redelivered %s got another answer:\n%s\nfirst:\n%s", perm, m, a.raw, answers[m])
							}
							answers[m], said[m] = a.raw, a.status
							if w := wallet(); w < 0 {
								got := r.reload(o)
								t.Fatalf("%v: after %s the wallet is %d, below zero, order %s %q", perm, m, w, got.Status, got.Flag)
							}
						}
					}
					got := r.reload(o)
					var ans []string
					for _, m := range slices.Sorted(maps.Keys(said)) {
						ans = append(ans, m+"="+said[m])
					}
					out := depositOutcome{got.Status, wallet(), got.Flag, strings.Join(ans, ",")}
					if i == 0 {
						first = out
						if said["kyc"] != "CONTINUE" {
							t.Fatalf("%v: kyc answered %s; want CONTINUE", perm, said["kyc"])
						}
						delete(said, "kyc")
						ans = ans[:0]
						for _, m := range slices.Sorted(maps.Keys(said)) {
							ans = append(ans, m+"="+said[m])
						}
						checkDepositOutcome(t, subset, 10000, got, depositOutcome{out.status, out.wallet, out.flag, strings.Join(ans, ",")})
					} else if out != first {
						t.Errorf("%v: %s\nfirst order %v: %s", perm, out, permutations(events)[0], first)
					}
				}
				r.audit()
			})
		}
	})
}
