package cashier_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Keys for the tests: "Trustly" signs notifications with the test merchant key from
// trustly/testdata, and the cashier answers with a key of its own, so a
// notification signed with the cashier's key is one signed by the wrong party.
var (
	rigTrustlyKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := trustly.LoadPrivateKey("../trustly/testdata/test-merchant-private.pem")
		if err != nil {
			panic(err)
		}
		return k
	})
	rigMerchantKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := trustly.GenerateKey()
		if err != nil {
			panic(err)
		}
		return k
	})
)

// rig is a Service on a fresh database with a way to play Trustly's side.
type rig struct {
	t   testing.TB
	db  *gorm.DB
	svc *cashier.Service
	ctx context.Context
}

// newRig builds a Service on db whose Trustly client talks to apiURL (nothing
// listens there unless a test starts a fake).
func newRig(t testing.TB, db *gorm.DB, apiURL string, cfg func(*cashier.Config)) *rig {
	t.Helper()
	if apiURL == "" {
		apiURL = "http://127.0.0.1:9/api/1"
	}
	client, err := trustly.NewClient(trustly.Config{URL: apiURL, Username: "merchant", Password: "secret",
		PrivateKey: rigMerchantKey(), TrustlyKey: &rigTrustlyKey().PublicKey, Env: "test",
		Logger: rigLog()})
	if err != nil {
		t.Fatal(err)
	}
	c := cashier.Config{BaseURL: "http://cashier.test", NotifyToken: "tok-123", ShopperStatement: "Casino",
		IntegrationModule: "cashier-test/1"}
	if cfg != nil {
		cfg(&c)
	}
	svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: rigMerchantKey(),
		TrustlyKey: &rigTrustlyKey().PublicKey, Config: c, Log: rigLog()})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, db: db, svc: svc, ctx: context.Background()}
}

// rigLog logs warnings and errors only, unless CASHIER_TEST_LOG=debug.
func rigLog() *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("CASHIER_TEST_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

var rigSeq struct {
	sync.Mutex
	n int
}

func rigNext() int {
	rigSeq.Lock()
	defer rigSeq.Unlock()
	rigSeq.n++
	return rigSeq.n
}

// player creates a Swedish player.
func (r *rig) player() models.Player {
	r.t.Helper()
	n := rigNext()
	p := models.Player{EndUserID: fmt.Sprintf("p-%d", n), Email: fmt.Sprintf("p%d@example.com", n),
		FirstName: "Anna", LastName: "Svensson", Country: "SE", Currency: "SEK", CreatedAt: time.Now()}
	if err := r.db.Create(&p).Error; err != nil {
		r.t.Fatal(err)
	}
	return p
}

// order creates a started deposit order as StartDeposit would leave it.
func (r *rig) order(p models.Player, minor int64) models.Order {
	r.t.Helper()
	now := time.Now().UTC()
	o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit,
		PlayerID: p.ID, Amount: models.Money{Minor: minor, Currency: p.Currency},
		TrustlyOrderID: fmt.Sprintf("%010d", 1000000000+rigNext()), CheckoutURL: "https://checkout.test/x",
		StartedAt: &now, CreatedAt: now}
	o.Refresh()
	if err := r.db.Create(&o).Error; err != nil {
		r.t.Fatal(err)
	}
	return o
}

// reload reads the order again.
func (r *rig) reload(o models.Order) models.Order {
	r.t.Helper()
	var got models.Order
	if err := r.db.Take(&got, o.ID).Error; err != nil {
		r.t.Fatal(err)
	}
	return got
}

func (r *rig) wallet(p models.Player) int64 {
	r.t.Helper()
	w, err := r.svc.Wallet(r.ctx, p)
	if err != nil {
		r.t.Fatal(err)
	}
	return w.Minor
}

// note is one notification as Trustly would send it, signed.
type note struct {
	method, uuid, id string
	raw              []byte
}

// notify builds a notification of method about order o; fields override or add
// data keys (a value of nil removes the key).
func notify(t testing.TB, key *rsa.PrivateKey, method string, o models.Order, endUserID string, fields map[string]any) note {
	t.Helper()
	id := fmt.Sprintf("%010d", 2000000000+rigNext())
	data := map[string]any{"notificationid": id, "orderid": o.TrustlyOrderID, "messageid": o.MessageID,
		"attributes": map[string]any{}}
	switch method {
	case trustly.MethodPending, trustly.MethodCredit, trustly.MethodDebit, trustly.MethodPayoutConfirmation:
		data["amount"] = o.Amount.String()
		data["currency"] = o.Amount.Currency
		data["enduserid"] = endUserID
		data["timestamp"] = trustly.FormatTimestamp(time.Now())
	case trustly.MethodCancel:
		data["enduserid"] = endUserID
		data["timestamp"] = trustly.FormatTimestamp(time.Now())
	case trustly.MethodAccount:
		data["accountid"] = "2853579240"
		data["verified"] = "1"
		data["attributes"] = map[string]any{"clearinghouse": "SWEDEN", "bank": "Handelsbanken",
			"descriptor": "**706212", "lastdigits": "706212"}
	case trustly.MethodKYC:
		data["enduserid"] = endUserID
		data["kycentityid"] = "29a750aa-0bad-4a28-a42d-ffb9a690d93a"
	default:
		data["enduserid"] = endUserID
	}
	for k, v := range fields {
		if v == nil {
			delete(data, k)
		} else {
			data[k] = v
		}
	}
	if v, ok := data["notificationid"].(string); ok {
		id = v
	}
	u := uuid.NewString()
	raw, err := trustly.EncodeNotification(key, method, u, data)
	if err != nil {
		t.Fatal(err)
	}
	return note{method: method, uuid: u, id: id, raw: raw}
}

// deliver sends n and checks the answer is signed by the cashier for n with want.
func (r *rig) deliver(n note, want string) []byte {
	r.t.Helper()
	answer, err := r.svc.HandleNotification(r.ctx, n.raw)
	if err != nil {
		r.t.Fatalf("%s %s: %v", n.method, n.id, err)
	}
	a, err := trustly.ParseAnswer(answer, &rigMerchantKey().PublicKey, n.method, n.uuid)
	if err != nil {
		r.t.Fatalf("%s %s: answer %s: %v", n.method, n.id, answer, err)
	}
	if a.Status != want {
		r.t.Fatalf("%s %s: got answer %s, want %s", n.method, n.id, a.Status, want)
	}
	return answer
}

// counts is the number of rows in each table the cashier writes, and every balance.
func (r *rig) counts() string {
	r.t.Helper()
	var parts []string
	for _, table := range []string{"orders", "notifications", "transfers", "entries", "bank_accounts"} {
		var n int64
		if err := r.db.Table(table).Count(&n).Error; err != nil {
			r.t.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf("%s=%d", table, n))
	}
	var balances []models.Balance
	if err := r.db.Order("account, currency").Find(&balances).Error; err != nil {
		r.t.Fatal(err)
	}
	for _, b := range balances {
		parts = append(parts, fmt.Sprintf("%s/%s=%d", b.Account, b.Currency, b.Minor))
	}
	var orders []models.Order
	if err := r.db.Order("id").Find(&orders).Error; err != nil {
		r.t.Fatal(err)
	}
	for _, o := range orders {
		parts = append(parts, fmt.Sprintf("order%d=%s %q", o.ID, o.Status, o.Flag))
	}
	return strings.Join(parts, " ")
}

func (r *rig) audit() {
	r.t.Helper()
	if err := ledger.New(r.db).Audit(r.ctx); err != nil {
		r.t.Fatal(err)
	}
}

// TestNotificationTypes applies each kind of notification to a fresh deposit and
// checks the answer, the order, the wallet and what was stored.
func TestNotificationTypes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		for _, tt := range []struct {
			name string
			// before are delivered first, answered OK; then n, answered want.
			before  []string
			method  string
			fields  map[string]any
			unknown bool // the notification names an order we do not know
			want    string
			status  models.OrderStatus
			wallet  int64
			flag    string
		}{
			{name: "pending", method: "pending", want: "OK", status: models.OrderPending},
			{name: "credit", method: "credit", want: "OK", status: models.OrderCredited, wallet: 10000},
			{name: "credit after pending", before: []string{"pending"}, method: "credit", want: "OK", status: models.OrderCredited, wallet: 10000},
			{name: "pending after credit", before: []string{"credit"}, method: "pending", want: "OK", status: models.OrderCredited, wallet: 10000},
			{name: "debit after credit", before: []string{"pending", "credit"}, method: "debit", want: "OK", status: models.OrderDebited},
			{name: "cancel", before: []string{"pending"}, method: "cancel", want: "OK", status: models.OrderFailed},
			{name: "cancel after credit", before: []string{"credit"}, method: "cancel", want: "OK", status: models.OrderCredited,
				wallet: 10000, flag: models.FlagCancelAfterCredit},
			{name: "second credit", before: []string{"credit"}, method: "credit", want: "OK", status: models.OrderCredited,
				wallet: 10000, flag: "more than one credit notification: only the first was booked"},
			{name: "credit of another amount", method: "credit", fields: map[string]any{"amount": "90.5"}, want: "OK",
				status: models.OrderCredited, wallet: 9050, flag: "credit of 90.50 differs from the order's 100.00: booked as credited"},
			{name: "debit alone", method: "debit", want: "OK", status: models.OrderPending, flag: models.FlagDebitHeld},
			{name: "cancel after a debit alone", before: []string{"pending", "debit"}, method: "cancel", want: "OK", status: models.OrderFailed,
				flag: models.FlagDebitCancelled},
			{name: "credit after a debit and a cancel", before: []string{"debit", "cancel"}, method: "credit", want: "OK", status: models.OrderDebited,
				flag: models.FlagCancelAfterCredit},
			{name: "account", method: "account", want: "OK", status: models.OrderStarted},
			{name: "payoutconfirmation on a deposit", method: "payoutconfirmation", want: "OK", status: models.OrderStarted,
				flag: "unexpected payoutconfirmation notification for a deposit order"},
			{name: "kyc", method: "kyc", want: "FINISH", status: models.OrderStarted,
				flag: "unexpected kyc notification for a deposit order, not a Pay N Play deposit"},
			{name: "unknown method", method: "payoutdowngraded", want: "OK", status: models.OrderStarted},
			{name: "found by messageid", method: "credit", fields: map[string]any{"orderid": "7777777777"}, want: "OK",
				status: models.OrderCredited, wallet: 10000},
			{name: "credit for an unknown order", method: "credit", unknown: true, want: "OK", status: models.OrderStarted},
			{name: "debit for an unknown order", method: "debit", unknown: true, want: "FAILED", status: models.OrderStarted},
			{name: "cancel for an unknown order", method: "cancel", unknown: true, want: "OK", status: models.OrderStarted},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r.t = t
				p := r.player()
				o := r.order(p, 10000)
				if tt.name == "found by messageid" {
					if err := db.Model(&o).Update("trustly_order_id", "").Error; err != nil {
						t.Fatal(err)
					}
				}
				for _, m := range tt.before {
					r.deliver(notify(t, key, m, o, p.EndUserID, nil), "OK")
				}
				target := o
				if tt.unknown {
					target.TrustlyOrderID, target.MessageID = "9999999999", "dep-unknown"
				}
				n := notify(t, key, tt.method, target, p.EndUserID, tt.fields)
				r.deliver(n, tt.want)

				got := r.reload(o)
				if got.Status != tt.status || got.Flag != tt.flag || r.wallet(p) != tt.wallet {
					t.Errorf("got %s %q wallet %d; want %s %q wallet %d", got.Status, got.Flag, r.wallet(p), tt.status, tt.flag, tt.wallet)
				}
				if got.TrustlyOrderID == "" {
					t.Error("the order did not learn Trustly's orderid")
				}
				returned, ok, err := r.svc.ReturnedDeposit(r.ctx, p)
				if wantOK := tt.status == models.OrderDebited; err != nil || ok != wantOK || (ok && returned.ID != o.ID) {
					t.Errorf("ReturnedDeposit = order %d, %t, %v; want order %d, %t", returned.ID, ok, err, o.ID, wantOK)
				}
				var stored models.Notification
				if err := db.Where("notification_id = ?", n.id).Take(&stored).Error; err != nil {
					t.Fatal(err)
				}
				if stored.Raw != string(n.raw) || stored.Status != tt.want || stored.Deliveries != 1 || stored.Method != tt.method {
					t.Errorf("stored %+v", stored)
				}
				if tt.unknown != (stored.OrderID == nil) {
					t.Errorf("stored order id %v; want nil %t", stored.OrderID, tt.unknown)
				}
				if tt.method == "account" {
					var a models.BankAccount
					if err := db.Where("player_id = ?", p.ID).Take(&a).Error; err != nil {
						t.Fatal(err)
					}
					want := models.BankAccount{PlayerID: p.ID, AccountID: "2853579240", Bank: "Handelsbanken",
						Descriptor: "**706212", LastDigits: "706212", ClearingHouse: "SWEDEN", Verified: true,
						Source: models.AccountFromDeposit, PersonRead: true}
					a.ID, a.CreatedAt, a.UpdatedAt = 0, time.Time{}, time.Time{}
					if a != want {
						t.Errorf("bank account: got %+v, want %+v", a, want)
					}
				}
				r.audit()
			})
		}
	})
}

// TestNotificationAccountUpdates: a second account notification for the same
// account keeps it verified and takes new attributes; empty ones change nothing.
func TestNotificationAccountUpdates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		p := r.player()
		o1, o2 := r.order(p, 10000), r.order(p, 20000)
		r.deliver(notify(t, rigTrustlyKey(), "account", o1, p.EndUserID, nil), "OK")
		r.deliver(notify(t, rigTrustlyKey(), "account", o2, p.EndUserID, map[string]any{"verified": "0",
			"attributes": map[string]any{"bank": "Swedbank", "descriptor": ""}}), "OK")
		var got []models.BankAccount
		if err := db.Find(&got).Error; err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Bank != "Swedbank" || got[0].Descriptor != "**706212" || !got[0].Verified {
			t.Fatalf("got %+v; want one verified Swedbank **706212", got)
		}
	})
}

// permutations returns every ordering of items.
func permutations(items []string) [][]string {
	if len(items) <= 1 {
		return [][]string{append([]string(nil), items...)}
	}
	var out [][]string
	for i := range items {
		rest := append(append([]string(nil), items[:i]...), items[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]string{items[i]}, p...))
		}
	}
	return out
}

// TestNotificationArrivalOrder delivers each deposit's notifications in every
// possible order, each twice, and checks that every order ends with the same
// balance, status and flags.
func TestNotificationArrivalOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		for _, tt := range []struct {
			name   string
			events []string
			status models.OrderStatus
			wallet int64
			flag   string
		}{
			{"paid", []string{"pending", "credit", "account"}, models.OrderCredited, 10000, ""},
			{"abandoned", []string{"pending", "cancel"}, models.OrderFailed, 0, ""},
			{"not settled", []string{"pending", "credit", "account", "debit"}, models.OrderDebited, 0, ""},
			{"everything", []string{"pending", "credit", "account", "cancel", "debit"}, models.OrderDebited, 0, models.FlagCancelAfterCredit},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r.t = t
				for _, perm := range permutations(tt.events) {
					p := r.player()
					o := r.order(p, 10000)
					notes := map[string]note{}
					for _, m := range tt.events {
						notes[m] = notify(t, key, m, o, p.EndUserID, nil)
					}
					answers := map[string][]byte{}
					for round := range 2 {
						for _, m := range perm {
							got := r.deliver(notes[m], "OK")
							if round == 1 && string(got) != string(answers[m]) {
								t.Fatalf("%v: redelivered %s got another answer:\n%s\nfirst:\n%s", perm, m, got, answers[m])
							}
							answers[m] = got
						}
					}
					got := r.reload(o)
					if got.Status != tt.status || got.Flag != tt.flag || r.wallet(p) != tt.wallet {
						t.Errorf("%v: got %s %q wallet %d; want %s %q wallet %d", perm, got.Status, got.Flag, r.wallet(p), tt.status, tt.flag, tt.wallet)
					}
					if (got.PendingAt != nil) != (has(tt.events, "pending")) || (got.CreditedAt != nil) != has(tt.events, "credit") ||
						(got.DebitedAt != nil) != has(tt.events, "debit") || (got.CancelledAt != nil) != has(tt.events, "cancel") {
						t.Errorf("%v: applied events %+v", perm, got)
					}
				}
				r.audit()
			})
		}
	})
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestNotificationConcurrent delivers one deposit's notifications at the same time,
// each five times, for many deposits, and checks that all converge.
func TestNotificationConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		var players []models.Player
		var notes []note
		for i := range 20 {
			p := r.player()
			o := r.order(p, int64(1000*(i+1)))
			players = append(players, p)
			for _, m := range []string{"pending", "credit", "account", "debit"} {
				if m == "debit" && i%2 == 0 {
					continue
				}
				notes = append(notes, notify(t, key, m, o, p.EndUserID, nil))
			}
		}
		answers := make([][][]byte, len(notes))
		var wg sync.WaitGroup
		for i, n := range notes {
			answers[i] = make([][]byte, 5)
			for k := range 5 {
				wg.Go(func() {
					a, err := r.svc.HandleNotification(r.ctx, n.raw)
					if err != nil {
						t.Errorf("%s %s: %v", n.method, n.id, err)
					}
					answers[i][k] = a
				})
			}
		}
		wg.Wait()
		for i, n := range notes {
			for k := 1; k < 5; k++ {
				if string(answers[i][k]) != string(answers[i][0]) {
					t.Errorf("%s %s: delivery %d got another answer", n.method, n.id, k)
				}
			}
		}
		for i, p := range players {
			want := int64(1000 * (i + 1))
			if i%2 == 1 {
				want = 0
			}
			if got := r.wallet(p); got != want {
				t.Errorf("player %d: wallet %d, want %d", i, got, want)
			}
		}
		var deliveries int64
		if err := db.Model(&models.Notification{}).Select("SUM(deliveries)").Scan(&deliveries).Error; err != nil {
			t.Fatal(err)
		}
		if deliveries != int64(5*len(notes)) {
			t.Errorf("deliveries counted %d, want %d", deliveries, 5*len(notes))
		}
		r.audit()
	})
}

// TestNotificationRedelivery: a redelivery gets the first answer byte for byte and
// changes nothing; one with a fresh uuid gets the same status signed for it.
func TestNotificationRedelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		p := r.player()
		o := r.order(p, 25000)
		credit := notify(t, rigTrustlyKey(), "credit", o, p.EndUserID, nil)
		first := r.deliver(credit, "OK")
		before := r.counts()
		for range 3 {
			if again := r.deliver(credit, "OK"); string(again) != string(first) {
				t.Fatalf("redelivery answer differs:\n%s\n%s", again, first)
			}
		}
		if after := r.counts(); after != before {
			t.Fatalf("redelivery changed the database:\nbefore %s\nafter  %s", before, after)
		}
		var stored models.Notification
		if err := db.Where("notification_id = ?", credit.id).Take(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if stored.Deliveries != 4 || stored.Answer != string(first) {
			t.Errorf("stored deliveries %d answer %q; want 4 and the first answer", stored.Deliveries, stored.Answer)
		}
		// Same notificationid, new uuid: answered for the new uuid, nothing applied.
		var sent struct {
			Params struct {
				Data struct{ Timestamp string }
			}
		}
		if err := json.Unmarshal(credit.raw, &sent); err != nil {
			t.Fatal(err)
		}
		fresh := notify(t, rigTrustlyKey(), "credit", o, p.EndUserID,
			map[string]any{"notificationid": credit.id, "timestamp": sent.Params.Data.Timestamp})
		r.deliver(fresh, "OK")
		if after := r.counts(); after != before {
			t.Fatalf("redelivery with a new uuid changed the database:\nbefore %s\nafter  %s", before, after)
		}
		// A stored FAILED stays FAILED.
		debit := notify(t, rigTrustlyKey(), "debit", models.Order{TrustlyOrderID: "8888888888", MessageID: "x",
			Amount: o.Amount}, p.EndUserID, nil)
		r.deliver(debit, "FAILED")
		r.deliver(debit, "FAILED")
		if r.wallet(p) != 25000 {
			t.Errorf("wallet %d, want 25000", r.wallet(p))
		}
	})
}

// TestNotificationRejected: bodies that are not notifications signed by Trustly
// are refused with ErrBadNotification and write nothing.
func TestNotificationRejected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		p := r.player()
		o := r.order(p, 10000)
		good := notify(t, rigTrustlyKey(), "credit", o, p.EndUserID, nil)
		tampered := strings.Replace(string(good.raw), `"amount":"100.00"`, `"amount":"900.00"`, 1)
		if tampered == string(good.raw) {
			t.Fatal("tampering did not change the body")
		}
		var sig string
		if m, err := trustly.ParseMessage(good.raw); err == nil {
			sig = m.Signature
		}
		unsigned := strings.Replace(string(good.raw), sig, "", 1)
		wrongKey := notify(t, rigMerchantKey(), "credit", o, p.EndUserID, nil)
		result, _ := trustly.EncodeResult(rigTrustlyKey(), "credit", uuid.NewString(), map[string]any{"status": "OK"})
		before := r.counts()
		for _, tt := range []struct {
			name string
			raw  string
		}{
			{"tampered", tampered},
			{"unsigned", unsigned},
			{"signed with another key", string(wrongKey.raw)},
			{"a result, not a notification", string(result)},
			{"not JSON", "amount=100"},
			{"empty", ""},
			{"no notificationid", string(notify(t, rigTrustlyKey(), "credit", o, p.EndUserID, map[string]any{"notificationid": nil}).raw)},
		} {
			answer, err := r.svc.HandleNotification(r.ctx, []byte(tt.raw))
			if !errors.Is(err, cashier.ErrBadNotification) || answer != nil {
				t.Errorf("%s: got %q, %v; want no answer, ErrBadNotification", tt.name, answer, err)
			}
		}
		if after := r.counts(); after != before {
			t.Fatalf("rejected notifications changed the database:\nbefore %s\nafter  %s", before, after)
		}
		r.deliver(good, "OK")
		if r.wallet(p) != 10000 {
			t.Errorf("wallet %d after the genuine credit, want 10000", r.wallet(p))
		}
	})
}

// TestNotificationInternalError: when applying fails, nothing is stored and no
// answer is given, so Trustly's redelivery applies it later.
func TestNotificationInternalError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		p := r.player()
		o := r.order(p, 10000)
		// A decimal the schema accepts, but not an amount of SEK: it cannot be booked.
		bad := notify(t, rigTrustlyKey(), "credit", o, p.EndUserID, map[string]any{"amount": "1.005"})
		before := r.counts()
		answer, err := r.svc.HandleNotification(r.ctx, bad.raw)
		if err == nil || errors.Is(err, cashier.ErrBadNotification) || answer != nil {
			t.Fatalf("got %q, %v; want no answer and an internal error", answer, err)
		}
		if after := r.counts(); after != before {
			t.Fatalf("a failed notification changed the database:\nbefore %s\nafter  %s", before, after)
		}
		// Cancelling the context makes the transaction fail the same way.
		ctx, cancel := context.WithCancel(r.ctx)
		cancel()
		good := notify(t, rigTrustlyKey(), "credit", o, p.EndUserID, nil)
		if _, err := r.svc.HandleNotification(ctx, good.raw); err == nil {
			t.Fatal("a cancelled context still applied the notification")
		}
		if after := r.counts(); after != before {
			t.Fatalf("a cancelled notification changed the database:\nbefore %s\nafter  %s", before, after)
		}
		r.deliver(good, "OK")
	})
}

// reshape moves text between keys of a signed notification's data, as an attacker
// who saw a genuine one would, keeping its signature, uuid and method.
func reshape(t testing.TB, n note, change func(d map[string]any)) note {
	t.Helper()
	v, err := trustly.Decode(n.raw)
	if err != nil {
		t.Fatal(err)
	}
	change(v.(map[string]any)["params"].(map[string]any)["data"].(map[string]any))
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	m, err := trustly.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(&rigTrustlyKey().PublicKey); err != nil {
		t.Fatalf("the reshaped copy does not verify, so it proves nothing: %v", err)
	}
	n.raw = raw
	return n
}

// TestNotificationReshaped: copies of a genuine credit with keys and values moved
// about still verify, but are refused and store nothing, so the genuine credit,
// delivered after them, is booked.
func TestNotificationReshaped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		p := r.player()
		o := r.order(p, 10000)
		genuine := notify(t, rigTrustlyKey(), "credit", o, p.EndUserID, nil)
		before := r.counts()
		for _, copy := range []note{
			reshape(t, genuine, func(d map[string]any) {
				d["orderid"] = d["orderid"].(string) + "timestamp" + d["timestamp"].(string)
				delete(d, "timestamp")
			}),
			reshape(t, genuine, func(d map[string]any) {
				d["attributes"] = map[string]any{"currency": d["currency"]}
				delete(d, "currency")
			}),
			reshape(t, genuine, func(d map[string]any) {
				d["enduserid"] = d["enduserid"].(string) + "messageid" + d["messageid"].(string)
				delete(d, "messageid")
			}),
			reshape(t, genuine, func(d map[string]any) {
				d["amount"] = d["amount"].(string) + "attributes"
				delete(d, "attributes")
			}),
		} {
			answer, err := r.svc.HandleNotification(r.ctx, copy.raw)
			if !errors.Is(err, cashier.ErrBadNotification) || !errors.Is(err, trustly.ErrBadData) || answer != nil {
				t.Errorf("reshaped %s: got %q, %v; want no answer, ErrBadNotification", copy.raw, answer, err)
			}
		}
		if after := r.counts(); after != before {
			t.Fatalf("reshaped copies changed the database:\nbefore %s\nafter  %s", before, after)
		}
		for range 3 {
			r.deliver(genuine, "OK")
		}
		if got := r.reload(o); r.wallet(p) != 10000 || got.Status != models.OrderCredited || got.Flag != "" {
			t.Errorf("after the genuine credit: wallet %d, order %s %q; want 10000, credited, no flag", r.wallet(p), got.Status, got.Flag)
		}
		r.audit()
	})
}

// TestNotificationConflict: another body under a stored notificationid is refused
// and flagged, never answered from storage; the stored one still gets its answer.
func TestNotificationConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		p := r.player()
		o := r.order(p, 10000)
		credit := notify(t, rigTrustlyKey(), "credit", o, p.EndUserID, nil)
		first := r.deliver(credit, "OK")
		for _, other := range []note{
			notify(t, rigTrustlyKey(), "credit", o, p.EndUserID, map[string]any{"notificationid": credit.id, "amount": "900.00"}),
			notify(t, rigTrustlyKey(), "debit", o, p.EndUserID, map[string]any{"notificationid": credit.id}),
			notify(t, rigTrustlyKey(), "credit", o, p.EndUserID, map[string]any{"notificationid": credit.id,
				"attributes": map[string]any{"extra": "1"}}),
		} {
			answer, err := r.svc.HandleNotification(r.ctx, other.raw)
			if !errors.Is(err, cashier.ErrBadNotification) || !errors.Is(err, cashier.ErrNotificationConflict) || answer != nil {
				t.Errorf("%s: got %q, %v; want no answer, ErrNotificationConflict", other.raw, answer, err)
			}
		}
		var stored models.Notification
		if err := db.Where("notification_id = ?", credit.id).Take(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if stored.Deliveries != 1 || stored.Flag == "" || stored.Raw != string(credit.raw) {
			t.Errorf("stored deliveries %d flag %q; want 1 and a flag", stored.Deliveries, stored.Flag)
		}
		wantFlag := "notification " + credit.id + " came again with other data: refused, not applied"
		if got := r.reload(o); got.Flag != wantFlag || got.Status != models.OrderCredited || r.wallet(p) != 10000 {
			t.Errorf("order %s %q wallet %d; want credited %q wallet 10000", got.Status, got.Flag, r.wallet(p), wantFlag)
		}
		if again := r.deliver(credit, "OK"); string(again) != string(first) {
			t.Errorf("the genuine redelivery got another answer:\n%s\n%s", again, first)
		}

		// A stored FAILED for an unknown order is not handed to another body either.
		unknown := models.Order{TrustlyOrderID: "8888888888", MessageID: "dep-unknown", Amount: o.Amount}
		debit := notify(t, rigTrustlyKey(), "debit", unknown, p.EndUserID, nil)
		r.deliver(debit, "FAILED")
		creditSameID := notify(t, rigTrustlyKey(), "credit", unknown, p.EndUserID, map[string]any{"notificationid": debit.id})
		if answer, err := r.svc.HandleNotification(r.ctx, creditSameID.raw); !errors.Is(err, cashier.ErrNotificationConflict) {
			t.Errorf("credit under a stored debit's notificationid: got %q, %v; want ErrNotificationConflict", answer, err)
		}
		r.audit()
	})
}

// TestNotificationConflictConcurrent delivers two different bodies under each of
// many notificationids at the same time: one of them is applied and every delivery
// of it answered alike; every delivery of the other is refused.
func TestNotificationConflictConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		type pair struct {
			p    models.Player
			a, b note
		}
		var pairs []pair
		for range 15 {
			p := r.player()
			o := r.order(p, 10000)
			a := notify(t, rigTrustlyKey(), "credit", o, p.EndUserID, nil)
			b := notify(t, rigTrustlyKey(), "credit", o, p.EndUserID, map[string]any{"notificationid": a.id, "amount": "50.00"})
			pairs = append(pairs, pair{p, a, b})
		}
		type result struct {
			answer []byte
			err    error
		}
		results := make([][2][3]result, len(pairs))
		var wg sync.WaitGroup
		for i, pr := range pairs {
			for k, n := range []note{pr.a, pr.b} {
				for d := range 3 {
					wg.Go(func() {
						a, err := r.svc.HandleNotification(r.ctx, n.raw)
						results[i][k][d] = result{a, err}
					})
				}
			}
		}
		wg.Wait()
		for i, pr := range pairs {
			won := -1
			for k := range 2 {
				for d := range 3 {
					res := results[i][k][d]
					switch {
					case res.err == nil && (won == -1 || won == k):
						won = k
					case errors.Is(res.err, cashier.ErrNotificationConflict):
					default:
						t.Errorf("pair %d body %d delivery %d: %q, %v", i, k, d, res.answer, res.err)
					}
				}
			}
			if won == -1 {
				t.Fatalf("pair %d: neither body was applied", i)
			}
			for d := range 3 {
				if res := results[i][won][d]; res.err != nil || string(res.answer) != string(results[i][won][0].answer) {
					t.Errorf("pair %d: delivery %d of the applied body got %q, %v", i, d, res.answer, res.err)
				}
				if res := results[i][1-won][d]; !errors.Is(res.err, cashier.ErrNotificationConflict) {
					t.Errorf("pair %d: delivery %d of the other body got %q, %v; want ErrNotificationConflict", i, d, res.answer, res.err)
				}
			}
			if want := []int64{10000, 5000}[won]; r.wallet(pr.p) != want {
				t.Errorf("pair %d: wallet %d, want %d", i, r.wallet(pr.p), want)
			}
		}
		r.audit()
	})
}

// TestDepositBadNotifications: notifications a deposit must not book as sent. Each
// is refused by the schema (nothing stored), or answered and flagged with nothing,
// or only what the deposit gave, booked; nothing lands in a wallet of another
// currency, and the ledger stays balanced.
func TestDepositBadNotifications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		type event struct {
			method string
			fields map[string]any
		}
		credit := event{"credit", nil}
		for _, tt := range []struct {
			name    string
			before  []event
			n       event
			refused bool   // ErrBadNotification: nothing stored
			answer  string // otherwise
			status  models.OrderStatus
			wallet  int64
			flag    string
			unknown bool // stored without an order
		}{
			{name: "credit in another currency", n: event{"credit", map[string]any{"amount": "10.00", "currency": "EUR"}},
				answer: "OK", status: models.OrderStarted, flag: "credit of 10.00 EUR on a SEK deposit: not booked"},
			{name: "debit in another currency", before: []event{credit}, n: event{"debit", map[string]any{"amount": "500.00", "currency": "EUR"}},
				answer: "FAILED", status: models.OrderCredited, wallet: 10000, flag: "debit of 500.00 EUR on a SEK deposit: not booked"},
			{name: "credit for another enduserid", n: event{"credit", map[string]any{"enduserid": "someone-else"}},
				answer: "OK", status: models.OrderStarted, flag: `credit names enduserid "someone-else", not the order's player: not booked`},
			{name: "debit for another enduserid", before: []event{credit}, n: event{"debit", map[string]any{"enduserid": "someone-else"}},
				answer: "FAILED", status: models.OrderCredited, wallet: 10000, flag: `debit names enduserid "someone-else", not the order's player: not booked`},
			{name: "debit larger than the credit", before: []event{credit}, n: event{"debit", map[string]any{"amount": "500.00"}},
				answer: "OK", status: models.OrderDebited, flag: "debit of 500.00 SEK is more than the 100.00 SEK credited: booked 100.00"},
			{name: "debit larger than a smaller credit", before: []event{{"credit", map[string]any{"amount": "90.00"}}}, n: event{"debit", nil},
				answer: "OK", status: models.OrderDebited,
				flag: "credit of 90.00 differs from the order's 100.00: booked as credited; debit of 100.00 SEK is more than the 90.00 SEK credited: booked 90.00"},
			{name: "debit larger than the order, before the credit", n: event{"debit", map[string]any{"amount": "500.00"}},
				answer: "OK", status: models.OrderPending, flag: models.FlagDebitHeld},
			{name: "credit after a debit larger than the order", before: []event{{"debit", map[string]any{"amount": "500.00"}}}, n: credit,
				answer: "OK", status: models.OrderDebited, flag: "debit of 500.00 SEK is more than the 100.00 SEK credited: booked 100.00"},
			{name: "cancel for another enduserid", n: event{"cancel", map[string]any{"enduserid": "someone-else"}},
				answer: "OK", status: models.OrderStarted, flag: `cancel names enduserid "someone-else", not the order's player: not applied`},
			{name: "pending for another enduserid", n: event{"pending", map[string]any{"enduserid": "someone-else"}},
				answer: "OK", status: models.OrderStarted, flag: `pending names enduserid "someone-else", not the order's player: not applied`},
			{name: "pending in another currency", n: event{"pending", map[string]any{"currency": "EUR"}},
				answer: "OK", status: models.OrderStarted, flag: "pending of 100.00 EUR on a SEK deposit: not applied"},
			{name: "second credit", before: []event{credit}, n: event{"credit", map[string]any{"amount": "50.00"}},
				answer: "OK", status: models.OrderCredited, wallet: 10000, flag: "more than one credit notification: only the first was booked"},
			{name: "second debit", before: []event{credit, {"debit", nil}}, n: event{"debit", nil},
				answer: "OK", status: models.OrderDebited, flag: "more than one debit notification: only the first was booked"},
			{name: "credit of zero", n: event{"credit", map[string]any{"amount": "0.00"}}, refused: true, status: models.OrderStarted},
			{name: "credit of a negative amount", n: event{"credit", map[string]any{"amount": "-100.00"}}, refused: true, status: models.OrderStarted},
			{name: "debit of zero", before: []event{credit}, n: event{"debit", map[string]any{"amount": "0"}}, refused: true,
				status: models.OrderCredited, wallet: 10000},
			{name: "debit of a negative amount", before: []event{credit}, n: event{"debit", map[string]any{"amount": "-100.00"}}, refused: true,
				status: models.OrderCredited, wallet: 10000},
			{name: "credit in no currency", n: event{"credit", map[string]any{"currency": "XXX"}}, refused: true, status: models.OrderStarted},
			{name: "credit with our messageid and another orderid", n: event{"credit", map[string]any{"orderid": "7777777777"}},
				answer: "OK", status: models.OrderStarted, unknown: true,
				flag: "a credit notification named this order's messageid with Trustly orderid 7777777777: kept as unknown, not applied"},
			{name: "debit with our messageid and another orderid", before: []event{credit}, n: event{"debit", map[string]any{"orderid": "7777777777"}},
				answer: "FAILED", status: models.OrderCredited, wallet: 10000, unknown: true,
				flag: "a debit notification named this order's messageid with Trustly orderid 7777777777: kept as unknown, not applied"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r.t = t
				p := r.player()
				o := r.order(p, 10000)
				for _, e := range tt.before {
					r.deliver(notify(t, key, e.method, o, p.EndUserID, e.fields), "OK")
				}
				n := notify(t, key, tt.n.method, o, p.EndUserID, tt.n.fields)
				if tt.refused {
					before := r.counts()
					if answer, err := r.svc.HandleNotification(r.ctx, n.raw); !errors.Is(err, cashier.ErrBadNotification) || answer != nil {
						t.Fatalf("got %q, %v; want no answer, ErrBadNotification", answer, err)
					}
					if after := r.counts(); after != before {
						t.Fatalf("a refused notification changed the database:\nbefore %s\nafter  %s", before, after)
					}
				} else {
					r.deliver(n, tt.answer)
				}
				got := r.reload(o)
				if got.Status != tt.status || got.Flag != tt.flag || r.wallet(p) != tt.wallet {
					t.Errorf("got %s %q wallet %d; want %s %q wallet %d", got.Status, got.Flag, r.wallet(p), tt.status, tt.flag, tt.wallet)
				}
				if !tt.refused {
					var stored models.Notification
					if err := db.Where("notification_id = ?", n.id).Take(&stored).Error; err != nil {
						t.Fatal(err)
					}
					if tt.unknown != (stored.OrderID == nil) {
						t.Errorf("stored order id %v; want nil %t", stored.OrderID, tt.unknown)
					}
				}
				var other int64
				if err := db.Model(&models.Balance{}).Where("currency <> ?", "SEK").Count(&other).Error; err != nil {
					t.Fatal(err)
				}
				if other != 0 {
					t.Errorf("%d balances in another currency than SEK", other)
				}
				r.audit()
			})
		}
	})
}

// TestNotificationOtherTrustlyOrder: for every kind of order, a notification
// naming its messageid with another Trustly orderid is kept as unknown, books
// nothing and flags the order.
func TestNotificationOtherTrustlyOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		for _, tt := range []struct {
			kind   models.OrderKind
			method string
			answer string
		}{
			{models.OrderDeposit, "credit", "OK"},
			{models.OrderDeposit, "account", "OK"},
			{models.OrderPayout, "credit", "OK"},
			{models.OrderPayout, "payoutconfirmation", "OK"},
			{models.OrderPayout, "cancel", "OK"},
			{models.OrderSelectAccount, "account", "OK"},
			{models.OrderSelectAccount, "cancel", "OK"},
		} {
			t.Run(string(tt.kind)+" "+tt.method, func(t *testing.T) {
				r.t = t
				p := r.player()
				now := time.Now().UTC()
				o := models.Order{MessageID: models.NewMessageID(tt.kind), Kind: tt.kind, PlayerID: p.ID,
					Amount:         models.Money{Minor: 10000, Currency: "SEK"},
					TrustlyOrderID: fmt.Sprintf("%010d", 1000000000+rigNext()), StartedAt: &now, CreatedAt: now}
				if tt.kind == models.OrderPayout {
					o.StartedAt, o.SentAt = nil, &now
				}
				o.Refresh()
				if err := db.Create(&o).Error; err != nil {
					t.Fatal(err)
				}
				was := r.reload(o)
				before := r.counts()
				target := o
				target.TrustlyOrderID = "7777777777"
				n := notify(t, rigTrustlyKey(), tt.method, target, p.EndUserID, nil)
				r.deliver(n, tt.answer)
				got := r.reload(o)
				want := fmt.Sprintf("a %s notification named this order's messageid with Trustly orderid 7777777777: kept as unknown, not applied", tt.method)
				if got.Flag != want || got.Status != was.Status || got.TrustlyOrderID != o.TrustlyOrderID {
					t.Errorf("order %s %q %s; want %s %q %s", got.Status, got.Flag, got.TrustlyOrderID, was.Status, want, o.TrustlyOrderID)
				}
				var stored models.Notification
				if err := db.Where("notification_id = ?", n.id).Take(&stored).Error; err != nil {
					t.Fatal(err)
				}
				if stored.OrderID != nil {
					t.Errorf("stored for order %d; want unknown", *stored.OrderID)
				}
				after := r.counts()
				for _, table := range []string{"transfers=", "entries=", "bank_accounts="} {
					if count(before, table) != count(after, table) {
						t.Errorf("%s changed:\nbefore %s\nafter  %s", table, before, after)
					}
				}
				r.audit()
			})
		}
	})
}

// count returns the "name=N" field of a counts line.
func count(counts, name string) string {
	for _, f := range strings.Fields(counts) {
		if strings.HasPrefix(f, name) {
			return f
		}
	}
	return ""
}

// TestDepositDebitBeforeSmallerCredit: a debit of the order's amount and a
// smaller credit end the same in either order: the debit takes back only what the
// credit gave, the wallet is back at zero, and staff see the same flags; and so
// does a debit an older version booked before its credit.
func TestDepositDebitBeforeSmallerCredit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		const wantFlag = "credit of 50.00 differs from the order's 100.00: booked as credited; " +
			"debit of 100.00 SEK is more than the 50.00 SEK credited: booked 50.00"
		for _, order := range [][]string{{"credit", "debit"}, {"debit", "credit"}} {
			p := r.player()
			o := r.order(p, 10000)
			notes := map[string]note{
				"credit": notify(t, key, trustly.MethodCredit, o, p.EndUserID, map[string]any{"amount": "50.00"}),
				"debit":  notify(t, key, trustly.MethodDebit, o, p.EndUserID, nil), // 100.00
			}
			for range 2 {
				for _, m := range order {
					r.deliver(notes[m], "OK")
				}
			}
			r.audit()
			got := r.reload(o)
			if w := r.wallet(p); w != 0 || got.Status != models.OrderDebited || got.Flag != wantFlag {
				t.Errorf("%v: wallet %d, %s %q after a credit of 50.00 and its debit; want 0, debited %q", order, w, got.Status, got.Flag, wantFlag)
			}
		}

		// An older version booked a debit before its credit, capped at the amount
		// asked (a debit before the credit is held now): the smaller credit gives
		// the difference back ("debit-excess") and the deposit ends the same.
		p := r.player()
		o := r.order(p, 10000)
		debit := models.Move(o.Reference("debit"), "Deposit returned by the bank", models.PlayerWallet(p.ID), models.TrustlyClearing, o.Amount)
		debit.AllowOverdraft = true
		if _, err := ledger.New(db).Post(r.ctx, debit); err != nil {
			t.Fatal(err)
		}
		at := time.Now().UTC()
		o.DebitedAt, o.DebitedMinor = &at, o.Amount.Minor
		o.Refresh()
		if err := db.Save(&o).Error; err != nil {
			t.Fatal(err)
		}
		credit := notify(t, key, trustly.MethodCredit, o, p.EndUserID, map[string]any{"amount": "50.00"})
		for range 2 {
			r.deliver(credit, "OK")
		}
		r.audit()
		got := r.reload(o)
		if w := r.wallet(p); w != 0 || got.Status != models.OrderDebited || got.Flag != wantFlag {
			t.Errorf("a debit booked before the credit: wallet %d, %s %q after a credit of 50.00; want 0, debited %q", w, got.Status, got.Flag, wantFlag)
		}
	})
}
