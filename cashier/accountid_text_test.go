package cashier_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// badAccountIDs are accountids signed by Trustly's key that must not be kept: a
// payout sends a saved account's accountid back as its AccountID, and staff see
// it. A NUL, which PostgreSQL cannot keep, left the account notification never
// answered there, and was saved on SQLite.
var badAccountIDs = []string{" ", "2853579240 ", "\t2853579240", "2853\x00579240", "2853\n579240", "2853\u202e579240"}

// TestAccountNotificationAccountIDRefused: an account notification for a
// deposit whose accountid is blank, has whitespace at an end or a control or
// format character is refused as not fitting Trustly's format
// (ErrBadNotification, 400), on PostgreSQL as on SQLite, and saves nothing; the
// player's payout accounts are the deposit's own only.
func TestAccountNotificationAccountIDRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.player("SE")
		good := e.deposit(p, 100)
		dep := e.lastDeposit(p)
		for _, id := range badAccountIDs {
			raw := e.forge(trustly.MethodAccount, dep, p, map[string]any{"accountid": id, "verified": "1",
				"attributes": map[string]any{"bank": "Handelsbanken"}})
			if _, err := e.svc.HandleNotification(e.ctx, raw); !errors.Is(err, cashier.ErrBadNotification) {
				t.Errorf("accountid %q: %v; want ErrBadNotification", id, err)
			}
		}
		var accounts []models.BankAccount
		if err := db.Where("player_id = ?", p.ID).Find(&accounts).Error; err != nil {
			t.Fatal(err)
		}
		if len(accounts) != 1 || accounts[0].AccountID != good.AccountID {
			t.Errorf("accounts %+v; want the deposit's own only", accounts)
		}
	})
}

// TestRegisterAccountAccountIDRefused: a RegisterAccount answer, signed with
// Trustly's key, whose accountid is blank, has whitespace at an end or a
// control or format character is one the cashier cannot use: the player is told
// the account could not be added (problem.account_failed), and nothing is saved
// to pay out to.
func TestRegisterAccountAccountIDRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		for _, id := range badAccountIDs {
			svc := e.rewriting(func(body []byte) []byte {
				m, err := trustly.ParseMessage(body)
				if err != nil || m.Kind != trustly.KindResult || m.Method != "RegisterAccount" {
					return body
				}
				d, err := m.DataObject()
				if err != nil {
					t.Errorf("RegisterAccount answer: %v", err)
					return body
				}
				d["accountid"] = id
				if body, err = trustly.EncodeResult(e.sb.Config.Key, m.Method, m.UUID, d); err != nil {
					t.Error(err)
				}
				return body
			})
			p := e.player("SE")
			_, err := svc.RegisterBankAccount(e.ctx, p, "SE", "6112", "69706212")
			if problem := (*models.Problem)(nil); !errors.As(err, &problem) || problem.ID != "problem.account_failed" {
				t.Errorf("accountid %q: %v; want problem.account_failed", id, err)
			}
			var n int64
			db.Model(&models.BankAccount{}).Where("player_id = ?", p.ID).Count(&n)
			if n != 0 {
				t.Errorf("accountid %q: %d accounts saved; want none", id, n)
			}
		}
	})
}

// TestPayNPlayHeldAccountOfOlderShape: a Pay N Play deposit's account
// notification that came before its kyc is stored and saves nothing until the
// kyc says CONTINUE, which reads it again. One stored by an older version whose
// accountid this one refuses (badAccountIDs) is skipped with an alert when the
// kyc comes: the kyc failed on it, unanswered for good, so the deposit's held
// credit was never booked. The order's other account notification is saved.
func TestPayNPlayHeldAccountOfOlderShape(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		r.svc = hybridService(t, db, "NL=hybrid,SE=hybrid")
		key := rigTrustlyKey()
		n := rigNext()
		p := models.Player{EndUserID: fmt.Sprintf("p-%d", n), Email: fmt.Sprintf("jan%d@example.com", n),
			FirstName: "Jan", LastName: "de Vries", Country: "NL", Currency: "EUR", Role: models.RolePlayer, CreatedAt: time.Now()}
		if err := db.Create(&p).Error; err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit, PayNPlay: true,
			PlayerID: p.ID, EndUserID: p.EndUserID, Amount: models.Money{Minor: 10000, Currency: "EUR"},
			TrustlyOrderID: fmt.Sprintf("%010d", 1000000000+rigNext()), CheckoutURL: "https://checkout.test/x",
			StartedAt: &now, CreatedAt: now}
		o.Refresh()
		if err := db.Create(&o).Error; err != nil {
			t.Fatal(err)
		}
		for _, id := range badAccountIDs {
			old := notify(t, key, trustly.MethodAccount, o, "", map[string]any{"accountid": id})
			row := models.Notification{NotificationID: old.id, Method: old.method, UUID: old.uuid, TrustlyOrderID: o.TrustlyOrderID,
				OrderID: &o.ID, Raw: string(old.raw), Status: trustly.StatusOK, Deliveries: 1, ReceivedAt: now, LastDeliveryAt: now}
			if err := db.Create(&row).Error; err != nil {
				t.Fatalf("store an account notification of the older shape, accountid %q: %v", id, err)
			}
		}
		good := fmt.Sprintf("%010d", 4000000000+n)
		r.deliver(notify(t, key, trustly.MethodAccount, o, "", map[string]any{"accountid": good}), "OK")
		r.deliver(notify(t, key, trustly.MethodCredit, o, p.EndUserID, map[string]any{"amount": "100.00", "currency": "EUR"}), "OK")
		r.deliver(notify(t, key, trustly.MethodKYC, o, p.EndUserID, kycFields(fmt.Sprintf("k-old-%d", n), dutchAdult)), trustly.StatusContinue)
		var accounts []models.BankAccount
		if err := db.Where("player_id = ?", p.ID).Find(&accounts).Error; err != nil {
			t.Fatal(err)
		}
		if len(accounts) != 1 || accounts[0].AccountID != good {
			t.Errorf("accounts %+v; want %s only", accounts, good)
		}
		if got := r.reload(o); got.CreditedAt == nil {
			t.Errorf("deposit %s; want its held credit booked", got.Status)
		}
	})
}

// TestSelectedAccountOfOlderShape: an account selection whose account
// notification an older version stored (and applied) with an accountid this one
// refuses (badAccountIDs) no longer decodes (trustly.ErrBadData). Its result page
// read it again and failed, a server error for the player at every refresh; it
// now shows the selection with no account (the order says whether it was added),
// saves none, and alerts staff once a read, on both databases.
func TestSelectedAccountOfOlderShape(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		var logs lockedBuffer
		r := newRig(t, db, "", nil)
		client, err := trustly.NewClient(trustly.Config{URL: "http://127.0.0.1:9/api/1", Username: "merchant", Password: "secret",
			PrivateKey: rigMerchantKey(), TrustlyKey: &rigTrustlyKey().PublicKey, Env: "test", Logger: rigLog()})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: rigMerchantKey(),
			TrustlyKey: &rigTrustlyKey().PublicKey, Config: cashier.Config{BaseURL: "http://cashier.test", NotifyToken: "tok-123",
				ShopperStatement: "Casino", IntegrationModule: "cashier-test/1"}, Log: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		key := rigTrustlyKey()
		p := r.player()
		for _, id := range badAccountIDs {
			now := time.Now().UTC()
			o := models.Order{MessageID: models.NewMessageID(models.OrderSelectAccount), Kind: models.OrderSelectAccount,
				PlayerID: p.ID, EndUserID: p.EndUserID, Amount: models.Money{Currency: "SEK"},
				TrustlyOrderID: fmt.Sprintf("%010d", 1000000000+rigNext()), CheckoutURL: "https://checkout.test/x",
				StartedAt: &now, AccountAddedAt: &now, CreatedAt: now}
			o.Refresh()
			if err := db.Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			old := notify(t, key, trustly.MethodAccount, o, "", map[string]any{"accountid": id})
			row := models.Notification{NotificationID: old.id, Method: old.method, UUID: old.uuid, TrustlyOrderID: o.TrustlyOrderID,
				OrderID: &o.ID, Raw: string(old.raw), Status: trustly.StatusOK, Deliveries: 1, ReceivedAt: now, LastDeliveryAt: now}
			if err := db.Create(&row).Error; err != nil {
				t.Fatalf("store an account notification of the older shape, accountid %q: %v", id, err)
			}
			logs.Reset()
			got, account, err := svc.SelectedAccount(r.ctx, p, o.MessageID)
			if err != nil || account != nil || got.ID != o.ID {
				t.Errorf("accountid %q: order %d, account %+v, %v; want order %d, no account, no error", id, got.ID, account, err, o.ID)
			}
			if text := logs.String(); !strings.Contains(text, "alert:") || !strings.Contains(text, old.id) {
				t.Errorf("accountid %q: logged %q; want an alert naming notification %s", id, text, old.id)
			}
		}
		var n int64
		if err := db.Model(&models.BankAccount{}).Where("player_id = ?", p.ID).Count(&n).Error; err != nil || n != 0 {
			t.Errorf("%d bank accounts, %v; want none saved", n, err)
		}
	})
}
