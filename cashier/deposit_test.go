package cashier_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// fakeTrustly is an API endpoint signing with rigTrustlyKey. answer decides the
// response to each request: data for a result, or an error code.
type fakeTrustly struct {
	URL      string
	mu       sync.Mutex
	requests []map[string]any // Data of each request
}

func newFakeTrustly(t *testing.T, answer func(method string, data map[string]any) (result any, code int)) *fakeTrustly {
	t.Helper()
	f := &fakeTrustly{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		m, err := trustly.ParseMessage(raw)
		if err != nil || m.Verify(&rigMerchantKey().PublicKey) != nil {
			t.Errorf("fake trustly: bad request %s: %v", raw, err)
			w.WriteHeader(400)
			return
		}
		data, _ := m.DataObject()
		f.mu.Lock()
		f.requests = append(f.requests, data)
		f.mu.Unlock()
		result, code := answer(m.Method, data)
		var body []byte
		if code != 0 {
			body, err = trustly.EncodeError(rigTrustlyKey(), m.Method, m.UUID, code, "")
		} else {
			body, err = trustly.EncodeResult(rigTrustlyKey(), m.Method, m.UUID, result)
		}
		if err != nil {
			t.Errorf("fake trustly: %v", err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL + "/api/1"
	return f
}

func (f *fakeTrustly) last() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		return nil
	}
	return f.requests[len(f.requests)-1]
}

func sek(minor int64) models.Money { return models.Money{Minor: minor, Currency: "SEK"} }

func problem(err error) string {
	var p *models.Problem
	if errors.As(err, &p) {
		return p.Message
	}
	return ""
}

func TestStartDepositRefusesBeforeTrustly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := newFakeTrustly(t, func(string, map[string]any) (any, int) {
			t.Error("Trustly was called")
			return nil, trustly.CodeUnknown
		})
		r := newRig(t, db, fake.URL, nil)
		p, blocked := r.player(), r.player()
		debit := models.Move("deposit:0:debit", "", models.PlayerWallet(blocked.ID), models.TrustlyClearing, sek(100))
		debit.AllowOverdraft = true
		if _, err := ledger.New(db).Post(r.ctx, debit); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name   string
			player models.Player
			amount models.Money
			want   string
		}{
			{"below the minimum", p, sek(999), "Choose an amount from 10,00\u00a0SEK to 10\u00a0000,00\u00a0SEK."},
			{"above the maximum", p, sek(1000001), "Choose an amount from 10,00\u00a0SEK to 10\u00a0000,00\u00a0SEK."},
			{"another currency", p, models.Money{Minor: 10000, Currency: "EUR"}, "Deposits are made in your wallet's currency, SEK."},
			// The overdraft names no order of the player's: the sentence names no cause
			// (TestBelowZeroSaysWhy has those that do).
			{"negative wallet", blocked, sek(10000), "Your balance is below zero. Deposits and withdrawals are paused until it is settled; please contact support."},
		} {
			order, err := r.svc.StartDeposit(r.ctx, tt.player, tt.amount, "10.0.0.1")
			if got := problem(err); got != tt.want || order.ID != 0 {
				t.Errorf("%s: got order %d, %q (%v); want problem %q", tt.name, order.ID, got, err, tt.want)
			}
		}
		if ok, err := r.svc.Blocked(r.ctx, blocked); !ok || err != nil {
			t.Errorf("Blocked = %t, %v; want true", ok, err)
		}
		var n int64
		db.Model(&models.Order{}).Count(&n)
		if n != 0 {
			t.Errorf("%d orders stored; want none", n)
		}
	})
}

// TestStartDepositFails: whatever goes wrong with Trustly, the order is left failed
// and the player gets one friendly sentence, never Trustly's error.
func TestStartDepositFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, tt := range []struct {
			name  string
			url   func(t *testing.T) string
			extra map[string]string
		}{
			{"signed error", func(t *testing.T) string {
				return newFakeTrustly(t, func(string, map[string]any) (any, int) { return nil, trustly.CodeInvalidCredentials }).URL
			}, nil},
			{"result without url", func(t *testing.T) string {
				return newFakeTrustly(t, func(string, map[string]any) (any, int) { return map[string]any{"orderid": "1"}, 0 }).URL
			}, nil},
			{"unreachable", func(t *testing.T) string { return "http://127.0.0.1:9/api/1" }, nil},
			{"timeout", func(t *testing.T) string {
				block := make(chan struct{})
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-block:
					case <-r.Context().Done():
					}
				}))
				t.Cleanup(func() { close(block); srv.Close() })
				return srv.URL
			}, nil},
			{"params refused by the client", func(t *testing.T) string {
				return newFakeTrustly(t, func(string, map[string]any) (any, int) { return nil, trustly.CodeUnknown }).URL
			}, map[string]string{"Amount": "1.00"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, db, tt.url(t), func(c *cashier.Config) { c.SandboxExtra = tt.extra })
				ctx := r.ctx
				if tt.name == "timeout" {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
					defer cancel()
				}
				p := r.player()
				order, err := r.svc.StartDeposit(ctx, p, sek(25000), "10.0.0.1")
				want := "Trustly could not start your deposit just now. No money was moved; please try again in a moment."
				if got := problem(err); got != want || order.ID != 0 {
					t.Fatalf("got order %d, %q (%v); want problem %q", order.ID, got, err, want)
				}
				var stored models.Order
				if err := db.Where("player_id = ?", p.ID).Take(&stored).Error; err != nil {
					t.Fatal(err)
				}
				if stored.Status != models.OrderFailed || stored.FailedAt == nil || stored.CheckoutURL != "" || stored.Amount != sek(25000) {
					t.Errorf("stored order %+v; want failed, no URL, 250.00 SEK", stored)
				}
			})
		}
	})
}

func TestStartDepositStarted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		var r *rig
		var overtake func(messageID string)
		fake := newFakeTrustly(t, func(method string, data map[string]any) (any, int) {
			if overtake != nil {
				overtake(data["MessageID"].(string))
			}
			return map[string]any{"orderid": "1927416284", "url": "https://checkout.test/?OrderID=1927416284"}, 0
		})
		r = newRig(t, db, fake.URL, func(c *cashier.Config) { c.SandboxExtra = map[string]string{"SandboxScenario": "deposit-ok"} })
		p := r.player()
		order, err := r.svc.StartDeposit(r.ctx, p, sek(25050), "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if order.Status != models.OrderStarted || order.TrustlyOrderID != "1927416284" || order.CheckoutURL != "https://checkout.test/?OrderID=1927416284" ||
			!strings.HasPrefix(order.MessageID, "dep-") || order.Kind != models.OrderDeposit || order.PlayerID != p.ID {
			t.Fatalf("got %+v", order)
		}
		sent := fake.last()
		attrs, _ := sent["Attributes"].(map[string]any)
		for key, want := range map[string]string{
			"NotificationURL": "http://cashier.test/trustly/notify/tok-123", "EndUserID": p.EndUserID, "MessageID": order.MessageID,
		} {
			if sent[key] != want {
				t.Errorf("Data.%s = %v, want %q", key, sent[key], want)
			}
		}
		for key, want := range map[string]string{
			"Amount": "250.50", "Currency": "SEK", "Firstname": "Anna", "Lastname": "Svensson", "Email": p.Email,
			"Country": "SE", "Locale": "sv_SE", "ShopperStatement": "Casino", "IP": "10.0.0.1",
			"SuccessURL": "http://cashier.test/deposit/success?order=" + order.MessageID,
			"FailURL":    "http://cashier.test/deposit/fail?order=" + order.MessageID,
			"URLTarget":  "_top", "IntegrationModule": "cashier-test/1", "SandboxScenario": "deposit-ok",
		} {
			if attrs[key] != want {
				t.Errorf("Attributes.%s = %v, want %q", key, attrs[key], want)
			}
		}

		// A credit that arrives before Deposit's result is kept when the result is saved.
		overtake = func(messageID string) {
			var o models.Order
			db.Where("message_id = ?", messageID).Take(&o)
			o.TrustlyOrderID = "1927416284"
			r.deliver(notify(t, rigTrustlyKey(), "credit", o, p.EndUserID, map[string]any{"orderid": "5555555555"}), "OK")
		}
		order, err = r.svc.StartDeposit(r.ctx, p, sek(10000), "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if order.Status != models.OrderCredited || order.TrustlyOrderID != "5555555555" || order.CheckoutURL == "" || order.StartedAt == nil {
			t.Fatalf("overtaken: got %+v; want credited with Trustly's orderid from the credit and the URL", order)
		}
		if r.wallet(p) != 10000 {
			t.Fatalf("wallet %d, want 10000", r.wallet(p))
		}

		// The history and the success page's query see only the player's own orders.
		h, err := r.svc.History(r.ctx, p)
		if err != nil || len(h.Orders) != 2 || h.Orders[0].ID != order.ID || len(h.Movements) != 1 || h.Movements[0].Minor != 10000 {
			t.Fatalf("history: %d orders, %d movements, %v; want 2 (newest %d), 1", len(h.Orders), len(h.Movements), err, order.ID)
		}
		if got, err := r.svc.OrderByMessageID(r.ctx, p, order.MessageID); err != nil || got.ID != order.ID {
			t.Errorf("OrderByMessageID: %d, %v", got.ID, err)
		}
		other := r.player()
		if _, err := r.svc.OrderByMessageID(r.ctx, other, order.MessageID); !errors.Is(err, cashier.ErrOrderNotFound) {
			t.Errorf("another player's order: got %v, want ErrOrderNotFound", err)
		}
		if _, err := r.svc.OrderByMessageID(r.ctx, p, "dep-nope"); !errors.Is(err, cashier.ErrOrderNotFound) {
			t.Errorf("unknown order: got %v, want ErrOrderNotFound", err)
		}
	})
}
