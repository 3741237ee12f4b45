package sandbox_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

func TestDepositScenarios(t *testing.T) {
	env := sandboxtest.Start(t)
	ctx := context.Background()
	client := env.Client(t)
	m := sandboxtest.NewMerchant(t, env)
	for _, tt := range []struct {
		scenario sandbox.Scenario
		want     []string
		balance  int64 // change of the merchant's SEK balance, in minor units
	}{
		{sandbox.ScenarioDepositOK, []string{"pending", "credit", "account"}, 10000},
		{sandbox.ScenarioDepositDelayed, []string{"pending", "credit", "account"}, 10000},
		{sandbox.ScenarioDepositCancel, []string{"cancel"}, 0},
		{sandbox.ScenarioDepositCreditThenDebit, []string{"pending", "credit", "account", "debit"}, 0},
		{sandbox.ScenarioDepositCreditBeforePend, []string{"credit", "pending", "account"}, 10000},
		{sandbox.ScenarioDepositDuplicateCredit, []string{"pending", "credit", "credit", "account"}, 10000},
		{sandbox.ScenarioDepositAccountUnverified, []string{"pending", "credit", "account"}, 10000},
		{sandbox.ScenarioMerchantUnreachable, []string{"pending", "credit", "account"}, 10000},
		{sandbox.ScenarioSlowAPI, []string{"pending", "credit", "account"}, 10000},
		{sandbox.ScenarioKYCAbortUnderage, []string{"kyc", "cancel"}, 0},
		{sandbox.ScenarioKYCAbortUnverified, []string{"kyc", "cancel"}, 0},
	} {
		t.Run(string(tt.scenario), func(t *testing.T) {
			before := sekBalance(t, client)
			p := trustly.DepositParams{NotificationURL: m.URL, EndUserID: "player-7", MessageID: uuid.NewString(),
				Currency: "SEK", Amount: "100.00", Country: "SE", Locale: "sv_SE", ShopperStatement: "Test Casino",
				Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxScenario": string(tt.scenario)}}
			if strings.HasPrefix(string(tt.scenario), "kyc-") {
				p.RequestKYC = true
			}
			start := time.Now()
			res, err := client.Deposit(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if tt.scenario == sandbox.ScenarioSlowAPI && time.Since(start) < env.Config.SlowAPIDelay {
				t.Errorf("slow-api answered after %s, want ≥ %s", time.Since(start), env.Config.SlowAPIDelay)
			}
			env.WaitIdle(t) // every notification planned, and no other
			got := m.ForOrder(res.OrderID)
			if !slices.Equal(sandboxtest.Methods(got), tt.want) {
				t.Fatalf("notifications %v, want %v", sandboxtest.Methods(got), tt.want)
			}
			checkNotifications(t, got, res.OrderID, p, tt.scenario != sandbox.ScenarioDepositAccountUnverified)
			if tt.scenario == sandbox.ScenarioDepositDuplicateCredit && got[1].ID() != got[2].ID() {
				t.Errorf("duplicate credit has notificationid %s then %s, want the same", got[1].ID(), got[2].ID())
			}
			if d := sekBalance(t, client) - before; d != tt.balance {
				t.Errorf("merchant balance changed by %d, want %d", d, tt.balance)
			}
		})
	}
	if bad := m.Bad(); len(bad) > 0 {
		t.Errorf("notifications that did not verify: %v", bad)
	}
}

// checkNotifications checks the fields API.md §5 promises for each method.
// An account notification says verified "1" when verified, else "0".
func checkNotifications(t *testing.T, got []*trustly.Notification, orderID string, p trustly.DepositParams, verified bool) {
	t.Helper()
	for _, n := range got {
		for k, v := range n.Tree {
			if v == nil {
				t.Errorf("%s: %s is null", n.Method, k)
			}
		}
		if n.OrderID() != orderID {
			t.Errorf("%s: orderid %s, want %s", n.Method, n.OrderID(), orderID)
		}
		switch d := n.Data.(type) {
		case *trustly.TransferData:
			if d.Amount != "100.00" || d.Currency != "SEK" || d.MessageID != p.MessageID || d.EndUserID != p.EndUserID {
				t.Errorf("%s = %+v", n.Method, d)
			}
			if _, err := trustly.ParseTimestamp(d.Timestamp); err != nil {
				t.Errorf("%s: %v", n.Method, err)
			}
		case *trustly.AccountData:
			if len(d.AccountID) != 10 || d.Verified != verified || d.Attributes["descriptor"] == "" || d.Attributes["bank"] == "" {
				t.Errorf("account = %+v", d)
			}
		case *trustly.CancelData:
			if d.MessageID != p.MessageID || d.EndUserID != p.EndUserID {
				t.Errorf("cancel = %+v", d)
			}
		case *trustly.KYCData:
			if !d.Abort || d.KYCEntityID == "" || d.Attributes["personid"] == "" || d.Attributes["dob"] == "" {
				t.Errorf("kyc = %+v", d)
			}
		}
	}
}

func sekBalance(t *testing.T, c *trustly.Client) int64 {
	t.Helper()
	bal, err := c.Balance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bal {
		if b.Currency == "SEK" {
			whole, frac, _ := strings.Cut(b.Balance, ".")
			var n int64
			for _, r := range whole + frac {
				n = n*10 + int64(r-'0')
			}
			return n
		}
	}
	return 0
}

func TestSelectAccountScenarios(t *testing.T) {
	env := sandboxtest.Start(t)
	client := env.Client(t)
	m := sandboxtest.NewMerchant(t, env)
	for _, tt := range []struct {
		scenario sandbox.Scenario
		want     []string
		verified bool
	}{
		{sandbox.ScenarioSelectOK, []string{"account"}, true},
		{sandbox.ScenarioSelectUnverified, []string{"account"}, false},
		{sandbox.ScenarioSelectCancel, []string{"cancel"}, false},
	} {
		t.Run(string(tt.scenario), func(t *testing.T) {
			res, err := client.SelectAccount(context.Background(), trustly.SelectAccountParams{NotificationURL: m.URL,
				EndUserID: "player-8", MessageID: uuid.NewString(), Country: "FI", Locale: "fi_FI",
				Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxScenario": string(tt.scenario)}})
			if err != nil {
				t.Fatal(err)
			}
			env.WaitIdle(t) // every notification planned, and no other
			got := m.ForOrder(res.OrderID)
			if !slices.Equal(sandboxtest.Methods(got), tt.want) {
				t.Fatalf("notifications %v, want %v", sandboxtest.Methods(got), tt.want)
			}
			if a, ok := got[0].Data.(*trustly.AccountData); ok {
				if a.Verified != tt.verified || a.Attributes["clearinghouse"] != "FINLAND" || a.Attributes["personid"] == "" {
					t.Errorf("account = %+v, want verified %t in FINLAND", a, tt.verified)
				}
			}
		})
	}
}

func TestPayoutScenarios(t *testing.T) {
	env := sandboxtest.Start(t)
	ctx := context.Background()
	client := env.Client(t)
	m := sandboxtest.NewMerchant(t, env)
	acc, err := client.RegisterAccount(ctx, trustly.RegisterAccountParams{EndUserID: "player-9", ClearingHouse: "SWEDEN",
		BankNumber: "6112", AccountNumber: "69706212", Firstname: "Åsa", Lastname: "Öberg"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		scenario sandbox.Scenario
		want     []string
		state    string
		balance  int64
	}{
		{"", []string{"payoutconfirmation"}, "CONFIRMED", -2500},
		{sandbox.ScenarioPayoutConfirmed, []string{"payoutconfirmation"}, "CONFIRMED", -2500},
		{sandbox.ScenarioPayoutBounce, []string{"payoutconfirmation", "credit"}, "RETURNED", 0},
		{sandbox.ScenarioPayoutFailed, []string{"payoutfailed", "credit"}, "FAILED", 0},
		{sandbox.ScenarioMerchantUnreachable, []string{"payoutconfirmation"}, "CONFIRMED", -2500},
	} {
		t.Run("scenario "+string(tt.scenario), func(t *testing.T) {
			before := sekBalance(t, client)
			p := trustly.AccountPayoutParams{NotificationURL: m.URL, EndUserID: "player-9", MessageID: uuid.NewString(),
				AccountID: acc.AccountID, Amount: "25.00", Currency: "SEK", ShopperStatement: "Test Casino"}
			if tt.scenario != "" {
				p.Extra = map[string]string{"SandboxScenario": string(tt.scenario)}
			}
			res, err := client.AccountPayout(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			env.WaitIdle(t) // every notification planned, and no other
			got := m.ForOrder(res.OrderID)
			if !slices.Equal(sandboxtest.Methods(got), tt.want) {
				t.Fatalf("notifications %v, want %v", sandboxtest.Methods(got), tt.want)
			}
			for _, n := range got {
				d, ok := n.Data.(*trustly.PayoutData)
				if ok && (d.Amount != "25.00" || d.MessageID != p.MessageID || d.EndUserID != p.EndUserID) {
					t.Errorf("%s = %+v", n.Method, d)
				}
				if ok && n.Method == trustly.MethodPayoutFailed && (d.ErrorCode == "" || d.ErrorMessage == "") {
					t.Errorf("payoutfailed without errorcode/errormessage: %+v", d)
				}
			}
			ws, err := client.GetWithdrawals(ctx, trustly.GetWithdrawalsParams{OrderID: res.OrderID})
			if err != nil || len(ws) != 1 || ws[0].TransferState != tt.state {
				t.Errorf("GetWithdrawals = %+v, %v; want %s", ws, err, tt.state)
			}
			if d := sekBalance(t, client) - before; d != tt.balance {
				t.Errorf("merchant balance changed by %d, want %d", d, tt.balance)
			}
		})
	}
	t.Run("rejected", func(t *testing.T) {
		before := sekBalance(t, client)
		_, err := client.AccountPayout(ctx, trustly.AccountPayoutParams{NotificationURL: m.URL, EndUserID: "player-9",
			MessageID: "rejected-1", AccountID: acc.AccountID, Amount: "25.00", Currency: "SEK",
			Extra: map[string]string{"SandboxScenario": string(sandbox.ScenarioPayoutRejected)}})
		if err == nil || !strings.Contains(err.Error(), trustly.ErrRefused.Error()) {
			t.Fatalf("payout-rejected: %v, want ErrRefused", err)
		}
		if d := sekBalance(t, client) - before; d != 0 {
			t.Errorf("merchant balance changed by %d, want 0", d)
		}
	})
}

func TestPayNPlay(t *testing.T) {
	env := sandboxtest.Start(t)
	ctx := context.Background()
	client := env.Client(t)
	m := sandboxtest.NewMerchant(t, env)
	var answers sync.Map // messageid → trustly.Answer
	m.Answer = func(n *trustly.Notification, _ int) (trustly.Answer, int, bool) {
		if n.Method == trustly.MethodKYC {
			a, _ := answers.Load(n.Data.(*trustly.KYCData).MessageID)
			return a.(trustly.Answer), http.StatusOK, true
		}
		return trustly.Answer{Status: trustly.StatusOK}, http.StatusOK, true
	}
	for _, tt := range []struct {
		name   string
		amount string
		answer trustly.Answer
		want   []string
		credit string
	}{
		{"continue", "100.00", trustly.Answer{Status: trustly.StatusContinue}, []string{"kyc", "pending", "credit", "account"}, "100.00"},
		{"continue with limit", "100.00", trustly.Answer{Status: trustly.StatusContinue, Limit: "60.00"}, []string{"kyc", "pending", "credit", "account"}, "60.00"},
		{"finish", "100.00", trustly.Answer{Status: trustly.StatusFinish}, []string{"kyc", "cancel"}, ""},
		{"login only", "", trustly.Answer{Status: trustly.StatusContinue}, []string{"kyc"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := uuid.NewString()
			answers.Store(id, tt.answer)
			res, err := client.Deposit(ctx, trustly.DepositParams{NotificationURL: m.URL, EndUserID: "pnp-" + id,
				MessageID: id, Currency: "SEK", Amount: tt.amount, RequestKYC: true, Country: "SE",
				Extra: map[string]string{"SandboxAutoComplete": "1"}})
			if err != nil {
				t.Fatal(err)
			}
			env.WaitIdle(t) // every notification planned, and no other
			got := m.ForOrder(res.OrderID)
			if !slices.Equal(sandboxtest.Methods(got), tt.want) {
				t.Fatalf("notifications %v, want %v", sandboxtest.Methods(got), tt.want)
			}
			kyc := got[0].Data.(*trustly.KYCData)
			if kyc.Abort || kyc.Attributes["personid"] != "SE197901311246" || kyc.Attributes["dob"] != "1979-01-31" ||
				kyc.Attributes["firstname"] != "Åsa" {
				t.Errorf("kyc = %+v", kyc)
			}
			if tt.credit != "" {
				if c := got[2].Data.(*trustly.TransferData); c.Amount != tt.credit {
					t.Errorf("credit amount %s, want %s", c.Amount, tt.credit)
				}
			}
		})
	}
	t.Run("timeout", func(t *testing.T) {
		env := sandboxtest.Start(t, func(c *sandbox.Config) { c.KYCTimeout = 100 * time.Millisecond })
		m := sandboxtest.NewMerchant(t, env)
		m.Answer = func(n *trustly.Notification, _ int) (trustly.Answer, int, bool) {
			if n.Method == trustly.MethodKYC {
				return trustly.Answer{}, http.StatusServiceUnavailable, false
			}
			return trustly.Answer{Status: trustly.StatusOK}, http.StatusOK, true
		}
		res, err := env.Client(t).Deposit(ctx, trustly.DepositParams{NotificationURL: m.URL, EndUserID: "pnp-x",
			MessageID: "pnp-timeout", Currency: "SEK", Amount: "10.00", RequestKYC: true,
			Extra: map[string]string{"SandboxAutoComplete": "1"}})
		if err != nil {
			t.Fatal(err)
		}
		env.WaitIdle(t) // the kyc timed out and its consequences went out
		got := sandboxtest.Methods(m.ForOrder(res.OrderID))
		if len(got) < 2 || got[len(got)-1] != "cancel" || slices.Index(got, "cancel") != len(got)-1 ||
			slices.ContainsFunc(got[:len(got)-1], func(m string) bool { return m != "kyc" }) {
			t.Fatalf("notifications %v; want unanswered kyc attempts, then one cancel", got)
		}
	})
}

// TestRetry: a merchant that fails twice and then answers gets the same
// notification three times and then no more; a signed FAILED with HTTP 500 counts.
func TestRetry(t *testing.T) {
	env := sandboxtest.Start(t)
	m := sandboxtest.NewMerchant(t, env)
	m.Answer = func(n *trustly.Notification, count int) (trustly.Answer, int, bool) {
		switch {
		case count <= 2:
			return trustly.Answer{}, http.StatusBadGateway, false
		case n.Method == trustly.MethodCredit:
			return trustly.Answer{Status: trustly.StatusFailed}, http.StatusInternalServerError, true
		}
		return trustly.Answer{Status: trustly.StatusOK}, http.StatusOK, true
	}
	res, err := env.Client(t).Deposit(context.Background(), trustly.DepositParams{NotificationURL: m.URL, EndUserID: "p",
		MessageID: "retry-1", Currency: "SEK", Amount: "10.00", Extra: map[string]string{"SandboxAutoComplete": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	env.WaitIdle(t) // answered, or retried to the end of the schedule
	counts := map[string]int{}
	uuids := map[string]map[string]bool{}
	for _, n := range m.ForOrder(res.OrderID) {
		counts[n.ID()]++
		if uuids[n.ID()] == nil {
			uuids[n.ID()] = map[string]bool{}
		}
		uuids[n.ID()][n.UUID] = true
	}
	if len(counts) != 3 {
		t.Fatalf("%d notifications, want 3 (pending, credit, account)", len(counts))
	}
	for id, c := range counts {
		if c != 3 || len(uuids[id]) != 1 {
			t.Errorf("notification %s: %d deliveries with %d uuids, want 3 with 1", id, c, len(uuids[id]))
		}
	}
}

// TestRestart: deliveries pending when the sandbox stops go out after New on the
// same data directory, with the same notificationid.
func TestRestart(t *testing.T) {
	first := sandboxtest.Start(t, func(c *sandbox.Config) {
		c.RetrySchedule = []time.Duration{300 * time.Millisecond}
	})
	m := sandboxtest.NewMerchant(t, first)
	var down atomic.Bool
	down.Store(true)
	m.Answer = func(n *trustly.Notification, _ int) (trustly.Answer, int, bool) {
		if down.Load() {
			return trustly.Answer{}, http.StatusServiceUnavailable, false
		}
		return trustly.Answer{Status: trustly.StatusOK}, http.StatusOK, true
	}
	res, err := first.Client(t).Deposit(context.Background(), trustly.DepositParams{NotificationURL: m.URL, EndUserID: "p",
		MessageID: "restart-1", Currency: "SEK", Amount: "10.00",
		Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxScenario": "deposit-cancel"}})
	if err != nil {
		t.Fatal(err)
	}
	got := m.WaitFor(t, res.OrderID, 1, 5*time.Second)
	first.Server.Close()
	if err := first.Sandbox.Close(); err != nil {
		t.Fatal(err)
	}
	down.Store(false)
	cfg := first.Config
	cfg.RetrySchedule = []time.Duration{10 * time.Millisecond}
	second := sandboxtest.StartWith(t, cfg)
	if !second.TrustlyKey.Equal(first.TrustlyKey) {
		t.Fatal("the restarted sandbox has another key")
	}
	second.WaitIdle(t)
	all := m.ForOrder(res.OrderID)
	if len(all) != 2 || all[1].ID() != got[0].ID() || all[1].Method != "cancel" {
		t.Fatalf("after restart: %v; want the same cancel %s again", sandboxtest.Methods(all), got[0].ID())
	}
}

func TestChaosDuplicate(t *testing.T) {
	env := sandboxtest.Start(t, func(c *sandbox.Config) { c.Chaos.Duplicate = true })
	m := sandboxtest.NewMerchant(t, env)
	res, err := env.Client(t).Deposit(context.Background(), trustly.DepositParams{NotificationURL: m.URL, EndUserID: "p",
		MessageID: "chaos-1", Currency: "SEK", Amount: "10.00", Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxShuffle": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	env.WaitIdle(t)
	counts := map[string]int{}
	all := m.ForOrder(res.OrderID)
	for _, n := range all {
		counts[n.Method]++
	}
	if len(all) != 6 || counts["pending"] != 2 || counts["credit"] != 2 || counts["account"] != 2 {
		t.Errorf("deliveries per method %v, want each twice", counts)
	}
}

// TestSlowAPIPayout: the client times out on a slow-api AccountPayout, the payout
// exists anyway, and a retry with the same MessageID gets 637; PayoutCalls counts both.
func TestSlowAPIPayout(t *testing.T) {
	env := sandboxtest.Start(t, func(c *sandbox.Config) { c.SlowAPIDelay = 500 * time.Millisecond })
	m := sandboxtest.NewMerchant(t, env)
	ctx := context.Background()
	client := env.Client(t)
	acc, err := client.RegisterAccount(ctx, trustly.RegisterAccountParams{EndUserID: "p", ClearingHouse: "SWEDEN",
		BankNumber: "6112", AccountNumber: "69706212", Firstname: "A", Lastname: "B"})
	if err != nil {
		t.Fatal(err)
	}
	impatient, err := trustly.NewClient(trustly.Config{URL: env.APIURL, Username: env.Username, Password: env.Password,
		PrivateKey: env.MerchantKey, TrustlyKey: env.TrustlyKey, HTTP: &http.Client{Timeout: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	p := trustly.AccountPayoutParams{NotificationURL: m.URL, EndUserID: "p", MessageID: "slow-1", AccountID: acc.AccountID,
		Amount: "10.00", Currency: "SEK", Extra: map[string]string{"SandboxScenario": "slow-api"}}
	if _, err := impatient.AccountPayout(ctx, p); err == nil {
		t.Fatal("slow-api answered before the client's timeout")
	}
	p.Extra = nil
	if _, err := client.AccountPayout(ctx, p); !trustly.IsCode(err, trustly.CodeDuplicateMessageID) {
		t.Fatalf("retry with the same MessageID: %v, want 637", err)
	}
	if n := env.Sandbox.PayoutCalls("slow-1"); n != 2 {
		t.Errorf("PayoutCalls = %d, want 2", n)
	}
	if n := env.Sandbox.PayoutCalls("never"); n != 0 {
		t.Errorf("PayoutCalls of an unknown MessageID = %d", n)
	}
	env.WaitIdle(t)
	var got []string
	for _, r := range m.Received() {
		if d, ok := r.Notification.Data.(*trustly.PayoutData); ok && d.MessageID == "slow-1" {
			got = append(got, r.Notification.Method)
		}
	}
	if !slices.Equal(got, []string{"payoutconfirmation"}) {
		t.Fatalf("notifications for the timed-out payout %v; want one payoutconfirmation", got)
	}
}
