package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestResumePayoutsLoop runs the loop run starts, against the sandbox: it resumes a
// payout stuck before it started, then, on a later tick, one that got stuck while
// it ran, each sent once; and it returns when its context ends.
func TestResumePayoutsLoop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		sb := sandboxtest.Start(t)
		var skew atomic.Int64 // the services' clock runs this far ahead
		now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		var svc *cashier.Service
		notify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			answer, err := svc.HandleNotification(r.Context(), raw)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(answer)
		}))
		t.Cleanup(notify.Close)
		service := func(url string) *cashier.Service {
			t.Helper()
			c, err := trustly.NewClient(trustly.Config{URL: url, Username: sb.Username, Password: sb.Password,
				PrivateKey: sb.MerchantKey, TrustlyKey: sb.TrustlyKey, Env: "sandbox", Logger: log,
				HTTP: &http.Client{Timeout: 2 * time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			s, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: c, MerchantKey: sb.MerchantKey, TrustlyKey: sb.TrustlyKey,
				Now: now, Log: log, Config: cashier.Config{BaseURL: notify.URL, NotifyToken: "tok-resume", ShopperStatement: "Casino"}})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		svc = service(sb.APIURL)
		// A Trustly that refuses connections: the outcome of each payout is unknown.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := service("http://" + ln.Addr().String() + "/api/1")
		ln.Close()

		p, err := svc.Register(ctx, models.Registration{Email: "resume@example.com", Password: "password-123",
			FirstName: "Anna", LastName: "Svensson", Country: "SE"})
		if err != nil {
			t.Fatal(err)
		}
		account, err := svc.RegisterBankAccount(ctx, p, "SE", "6112", "69706212")
		if err != nil {
			t.Fatal(err)
		}
		in := models.Move("test:deposit", "deposit", models.TrustlyClearing, models.PlayerWallet(p.ID), models.Money{Minor: 100000, Currency: "SEK"})
		if _, err := ledger.New(db).Post(ctx, in); err != nil {
			t.Fatal(err)
		}
		stuck := func() models.Order {
			t.Helper()
			o, err := down.RequestPayout(ctx, p, account.ID, models.Money{Minor: 10000, Currency: "SEK"})
			if err != nil || o.Status != models.OrderSending {
				t.Fatalf("payout while Trustly is down: %s, %v; want sending", o.Status, err)
			}
			return o
		}
		sent := func(o models.Order) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for {
				var got models.Order
				if err := db.Take(&got, o.ID).Error; err != nil {
					t.Fatal(err)
				}
				if got.Status == models.OrderConfirmed {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("payout %d not resumed: %s after %d attempts", o.ID, got.Status, got.Attempts)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if n := sb.Sandbox.PayoutCalls(o.MessageID); n != 1 {
				t.Errorf("payout %d: PayoutCalls %d, want 1", o.ID, n)
			}
		}

		first := stuck()
		skew.Store(int64(3 * time.Minute)) // past the two minutes a call may still be under way
		loopCtx, stop := context.WithCancel(ctx)
		stopped := make(chan struct{})
		go func() {
			janitor(loopCtx, svc, log, 20*time.Millisecond)
			close(stopped)
		}()
		sent(first)
		second := stuck()
		skew.Add(int64(3 * time.Minute))
		sent(second)

		stop()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			t.Fatal("janitor did not return after its context ended")
		}
	})
}
