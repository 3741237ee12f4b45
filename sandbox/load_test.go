package sandbox_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// TestCheckoutUnderLoad walks deposit checkouts from several players at once while
// the sandbox delivers the notifications of the ones already confirmed: every step
// must be answered as when it runs alone, never with a 500 such as "database is
// locked". The sandbox's writers queue behind one another instead of failing.
func TestCheckoutUnderLoad(t *testing.T) {
	env := sandboxtest.Start(t)
	m := sandboxtest.NewMerchant(t, env)
	client := env.Client(t)
	const players, orders = 32, 4 // 4 runs in 12 failed with the busy timeout alone
	var wg sync.WaitGroup
	errs := make(chan string, players*orders*4)
	for p := range players {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range orders {
				res, err := client.Deposit(context.Background(), trustly.DepositParams{NotificationURL: m.URL,
					EndUserID: fmt.Sprint("player-", p), MessageID: uuid.NewString(), Currency: "SEK",
					Amount: "100.00", Country: "SE", SuccessURL: "https://casino.example/ok",
					FailURL: "https://casino.example/fail", URLTarget: trustly.TargetTop, ShopperStatement: "Casino"})
				if err != nil {
					errs <- "Deposit: " + err.Error()
					return
				}
				u, _ := url.Parse(res.URL)
				tok := u.Query().Get("session")
				u.RawQuery = ""
				for _, s := range []struct{ action, name, value string }{{"bank", "bank", "SE|Swedbank"},
					{"login", "person", "se-adult"}, {"account", "account", "0"}, {"confirm", "scenario", "deposit-ok"}} {
					resp, err := noRedirect.PostForm(u.String()+"/"+s.action, url.Values{"session": {tok}, s.name: {s.value}})
					if err != nil {
						errs <- s.action + ": " + err.Error()
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusSeeOther {
						errs <- s.action + ": HTTP " + resp.Status + ": " + string(body)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	env.WaitIdle(t)
	if got, want := len(m.Received()), players*orders*3; got < want {
		t.Errorf("the merchant got %d notifications; want at least %d (pending, credit, account per order)", got, want)
	}
}
