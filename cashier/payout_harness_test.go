package cashier_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// payClock is the time the services of a payEnv read; tests move it forward.
type payClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *payClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *payClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// payEnv is the cashier against a sandbox over real HTTP: the sandbox's API behind
// a proxy that counts calls per method, and a NotificationURL whose handler passes
// every notification to HandleNotification and records it.
type payEnv struct {
	t     *testing.T
	ctx   context.Context
	db    *gorm.DB
	sb    *sandboxtest.Env
	api   string // the proxy's /api/1
	cfg   cashier.Config
	clock *payClock
	svc   *cashier.Service // plain client; deposits and selections complete themselves

	hold atomic.Bool // while set, notifications are answered 503 and Trustly retries (see retryWhileHeld)

	// register is the self-exclusion checker of the services made from here on
	// (exclusions.Sandbox() when nil), with registerTimeout.
	register        exclusions.Exclusions
	registerTimeout time.Duration
	// log is the logger of the services and clients made from here on (payLog()
	// when nil).
	log *slog.Logger

	// The proxy's hands on AccountPayout (and Refund) answers, after the sandbox handled the call:
	// lose closes the connection instead of answering (a kill -9 before booking, or
	// a proxy that timed out), unsigned answers an unsigned error instead, each for
	// as many answers as it counts down; held, while set, receives every answer and
	// the proxy writes it only when its release channel is closed.
	lose, unsigned atomic.Int32
	held           chan heldAnswer
	// before, while set, receives every AccountPayout and Refund call before the
	// sandbox sees it; the proxy passes the call on only when its release channel
	// is closed, and drops it when the caller goes away meanwhile (a process
	// killed with its call on the way, which never reached Trustly).
	before chan heldAnswer
	// holdDeposits puts Deposit answers in the proxy's hands as well, and
	// holdSelects SelectAccount answers, holdRegisters RegisterAccount answers.
	holdDeposits, holdSelects, holdRegisters atomic.Bool

	mu       sync.Mutex
	calls    map[string]int // API calls per method
	received []payNote      // notifications applied, in arrival order
}

// heldAnswer is an AccountPayout answer the proxy holds back.
type heldAnswer struct {
	OrderID string        // Trustly's orderid in the answer ("" for an error)
	Release chan struct{} // close it to let the answer go
}

type payNote struct {
	method, orderID string
	raw             []byte
}

// newPayEnv starts a sandbox (opts change its config) and a Service on db.
func newPayEnv(t *testing.T, db *gorm.DB, opts ...func(*sandbox.Config)) *payEnv {
	t.Helper()
	clock := &payClock{now: time.Now().UTC()}
	// The sandbox times Balance and GetWithdrawals calls with the services' clock,
	// and no test may make one more often than Trustly allows.
	opts = append([]func(*sandbox.Config){func(c *sandbox.Config) { c.LimitNow = clock.Now }}, opts...)
	e := &payEnv{t: t, ctx: context.Background(), db: db, sb: sandboxtest.Start(t, opts...), clock: clock, calls: map[string]int{}}
	t.Cleanup(func() {
		if calls := e.sb.Sandbox.TooOften(); len(calls) > 0 {
			t.Errorf("calls made more often than Trustly allows (API.md §4.6, §4.8): %+v", calls)
		}
	})
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var m struct{ Method string }
		_ = json.Unmarshal(raw, &m)
		e.mu.Lock()
		e.calls[m.Method]++
		held, before := e.held, e.before
		e.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if before != nil && (m.Method == "AccountPayout" || m.Method == "Refund") {
			h := heldAnswer{Release: make(chan struct{})}
			before <- h
			select {
			case <-h.Release:
			case <-r.Context().Done():
				return // the caller is gone: Trustly never sees the call
			}
		}
		if m.Method != "AccountPayout" && m.Method != "Refund" && (m.Method != "Deposit" || !e.holdDeposits.Load()) &&
			(m.Method != "SelectAccount" || !e.holdSelects.Load()) && (m.Method != "RegisterAccount" || !e.holdRegisters.Load()) {
			e.sb.Sandbox.Handler().ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		e.sb.Sandbox.Handler().ServeHTTP(rec, r)
		switch {
		case e.lose.Add(-1) >= 0:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("proxy: %v", err)
				return
			}
			conn.Close()
			return
		case e.unsigned.Add(-1) >= 0:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(trustly.EncodeUnsignedError(trustly.CodeUnknown, "ERROR_UNKNOWN"))
			return
		case held != nil:
			var answer struct {
				Result struct{ Data struct{ OrderID string } }
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &answer)
			h := heldAnswer{OrderID: answer.Result.Data.OrderID, Release: make(chan struct{})}
			held <- h
			select {
			case <-h.Release:
			case <-r.Context().Done():
				return
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(proxy.Close)
	e.api = proxy.URL + "/api/1"
	notify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.hold.Load() {
			http.Error(w, "held by the test", http.StatusServiceUnavailable)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		answer, err := e.svc.HandleNotification(r.Context(), raw)
		switch {
		case errors.Is(err, cashier.ErrBadNotification):
			t.Errorf("sandbox notification refused: %v", err)
			http.Error(w, "bad notification", http.StatusBadRequest)
			return
		case err != nil:
			http.Error(w, "not applied", http.StatusInternalServerError)
			return
		}
		if n, err := trustly.ParseNotification(raw, e.sb.TrustlyKey); err == nil {
			e.mu.Lock()
			e.received = append(e.received, payNote{method: n.Method, orderID: n.OrderID(), raw: raw})
			e.mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
	t.Cleanup(notify.Close)
	e.cfg = payConfig(notify.URL, "tok-payout")
	e.svc = e.service(nil)
	return e
}

// payConfig is a payEnv's cashier configuration: its notification server at
// baseURL, deposits and selections completing by themselves.
func payConfig(baseURL, notifyToken string) cashier.Config {
	return cashier.Config{BaseURL: baseURL, NotifyToken: notifyToken, ShopperStatement: "Casino",
		IntegrationModule: "cashier-test/1", SandboxExtra: map[string]string{"SandboxAutoComplete": "1"},
		Limits: map[string]cashier.Limits{
			"SEK": payLimits("SEK"),
			"EUR": payLimits("EUR"),
		}}
}

// retryWhileHeld is the sandbox option for a test that holds notifications back
// (hold) and then waits for one of them: the sandbox retries an unanswered
// notification every 50 ms until the test binary's deadline (10 minutes without
// one), as Trustly retries for a day (API.md §6.2, §13). sandboxtest's schedule
// gives up after about 140 ms, so without it a hold that lasts longer, as any
// hold may on a loaded machine, loses the notification for good and the wait for
// it times out.
func retryWhileHeld(t *testing.T) func(*sandbox.Config) {
	const every = 50 * time.Millisecond
	budget := 10 * time.Minute
	if d, ok := t.Deadline(); ok {
		budget = time.Until(d)
	}
	return func(c *sandbox.Config) {
		c.RetrySchedule = make([]time.Duration, budget/every+1)
		for i := range c.RetrySchedule {
			c.RetrySchedule[i] = every
		}
	}
}

// payLimits: payouts of 10–10 000, above 5 000 with approval.
func payLimits(currency string) cashier.Limits {
	m := func(major int64) models.Money { return models.Money{Minor: major * 100, Currency: currency} }
	return cashier.Limits{MinDeposit: m(10), MaxDeposit: m(50000), MinPayout: m(10), MaxPayout: m(10000), ApprovalAbove: m(5000)}
}

// service is another Service on the same database, clock and keys, whose Trustly
// client config client may change (a scenario in Extra, a short timeout, another URL).
func (e *payEnv) service(client func(*trustly.Config)) *cashier.Service {
	e.t.Helper()
	log := e.log
	if log == nil {
		log = payLog()
	}
	tc := trustly.Config{URL: e.api, Username: e.sb.Username, Password: e.sb.Password, PrivateKey: e.sb.MerchantKey,
		TrustlyKey: e.sb.TrustlyKey, Env: "sandbox", Logger: log}
	if client != nil {
		client(&tc)
	}
	c, err := trustly.NewClient(tc)
	if err != nil {
		e.t.Fatal(err)
	}
	register := e.register
	if register == nil {
		register = exclusions.Sandbox()
	}
	svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: e.db, Trustly: c, MerchantKey: e.sb.MerchantKey, TrustlyKey: e.sb.TrustlyKey,
		Config: e.cfg, Now: e.clock.Now, Log: log, Exclusions: register, RegisterTimeout: e.registerTimeout})
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// withSandboxExtra is a Service whose Deposit and SelectAccount carry extra.
func (e *payEnv) withSandboxExtra(extra map[string]string) *cashier.Service {
	e.t.Helper()
	cfg := e.cfg
	defer func() { e.cfg = cfg }()
	e.cfg.SandboxExtra = extra
	return e.service(nil)
}

// scenario is a Service whose payouts play a sandbox scenario.
func (e *payEnv) scenario(sc sandbox.Scenario) *cashier.Service {
	return e.service(func(c *trustly.Config) { c.Extra = map[string]string{"SandboxScenario": string(sc)} })
}

// unreachable is a Service whose Trustly calls never arrive: the connection is
// refused, so each outcome is unknown.
func (e *payEnv) unreachable() *cashier.Service {
	e.t.Helper()
	dead := httptest.NewServer(nil)
	dead.Close()
	return e.service(func(c *trustly.Config) { c.URL = dead.URL })
}

// lostRefund is a refund by by of amount of deposit dep whose Refund call never
// reached Trustly: reserved and left sending, its outcome unknown.
func (e *payEnv) lostRefund(by staff.Member, dep models.Order, amount models.Money) models.Order {
	e.t.Helper()
	lost, err := e.unreachable().RefundDeposit(e.ctx, by, dep.ID, amount, "")
	if err != nil || lost.Status != models.OrderSending || lost.OutcomeUnknownAt == nil {
		e.t.Fatalf("call lost: %s, %v; want sending with its outcome unknown", lost.Status, err)
	}
	return lost
}

// refundResult is what a RefundDeposit started by heldRefund returned.
type refundResult struct {
	order models.Order
	err   error
}

// heldRefund starts svc's refund by by of amount of deposit dep and waits until
// its Refund call has reached Trustly, which has carried it out, and its answer is
// held (holdAnswers must have been called): close the returned answer's Release to
// let it go, then read the refund's result from done.
func (e *payEnv) heldRefund(svc *cashier.Service, answers <-chan heldAnswer, by staff.Member, dep models.Order, amount models.Money) (heldAnswer, <-chan refundResult) {
	e.t.Helper()
	done := make(chan refundResult, 1)
	go func() {
		o, err := svc.RefundDeposit(e.ctx, by, dep.ID, amount, "")
		done <- refundResult{o, err}
	}()
	select {
	case h := <-answers:
		return h, done
	case <-time.After(10 * time.Second):
		e.t.Fatal("the Refund call never reached Trustly")
		return heldAnswer{}, nil
	}
}

// rewriting is a service whose Trustly is a peer in front of the sandbox's API:
// it passes every request on and answers with what rewrite makes of the
// sandbox's answer.
func (e *payEnv) rewriting(rewrite func(answer []byte) []byte) *cashier.Service {
	e.t.Helper()
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		resp, err := http.Post(e.api, "application/json", bytes.NewReader(raw))
		if err != nil {
			e.t.Errorf("peer: %v", err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(rewrite(body))
	}))
	e.t.Cleanup(peer.Close)
	return e.service(func(c *trustly.Config) { c.URL = peer.URL })
}

// holdCalls makes the proxy hold every AccountPayout and Refund call before
// Trustly sees it and hand it to the returned channel, until stopped by setting
// e.before to nil.
func (e *payEnv) holdCalls() <-chan heldAnswer {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.before = make(chan heldAnswer)
	return e.before
}

// holdAnswers makes the proxy hold back every AccountPayout answer and hand it to
// the returned channel, until the test ends.
func (e *payEnv) holdAnswers() <-chan heldAnswer {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.held = make(chan heldAnswer)
	return e.held
}

func (e *payEnv) apiCalls(method string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[method]
}

// notes returns the notifications applied for Trustly's orderid.
func (e *payEnv) notes(orderID string) []payNote {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []payNote
	for _, n := range e.received {
		if n.orderID == orderID {
			out = append(out, n)
		}
	}
	return out
}

var paySeq atomic.Int64

// payLog logs warnings and errors, or everything with CASHIER_TEST_LOG=debug.
func payLog() *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("CASHIER_TEST_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// player creates a player of country with names, as Register would.
func (e *payEnv) player(country string) models.Player {
	e.t.Helper()
	n := paySeq.Add(1)
	p := models.Player{EndUserID: fmt.Sprintf("pay-%d-%d", time.Now().UnixNano(), n), Email: fmt.Sprintf("pay%d-%d@example.com", time.Now().UnixNano(), n),
		FirstName: "Anna", LastName: "Svensson", Country: country, Currency: models.Markets[country].Currency,
		Role: models.RolePlayer, CreatedAt: time.Now()}
	if err := e.db.Create(&p).Error; err != nil {
		e.t.Fatal(err)
	}
	return p
}

// admin creates a staff account that may decide payouts.
func (e *payEnv) admin() staff.Member { return e.staff(staff.RoleOperator) }

// staff creates a staff account with role.
func (e *payEnv) staff(role staff.Role) staff.Member {
	e.t.Helper()
	m := staff.Member{Email: fmt.Sprintf("staff%d-%d@example.com", time.Now().UnixNano(), paySeq.Add(1)),
		PasswordHash: "not a bcrypt hash", Role: role, CreatedAt: time.Now()}
	if err := e.db.Create(&m).Error; err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *payEnv) money(p models.Player, major int64) models.Money {
	return models.Money{Minor: major * 100, Currency: p.Currency}
}

// deposit pays major units in through the sandbox and waits for the credit and the
// account notification; it returns the account the deposit came from.
func (e *payEnv) deposit(p models.Player, major int64) models.BankAccount {
	e.t.Helper()
	before := e.balance(models.PlayerWallet(p.ID), p.Currency)
	order, err := e.svc.StartDeposit(e.ctx, p, e.money(p, major), "127.0.0.1")
	if err != nil {
		e.t.Fatalf("start deposit: %v", err)
	}
	var account models.BankAccount
	e.waitFor("deposit credited with its account", func() bool {
		var n int64
		e.db.Model(&models.Notification{}).Where("order_id = ? AND method = ?", order.ID, "account").Count(&n)
		if n == 0 || e.balance(models.PlayerWallet(p.ID), p.Currency) != before+major*100 {
			return false
		}
		accounts, err := e.svc.BankAccounts(e.ctx, p)
		if err != nil || len(accounts) == 0 {
			return false
		}
		account = accounts[len(accounts)-1]
		return true
	})
	return account
}

// waitFor polls cond until it holds, failing after 10 s.
func (e *payEnv) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStatus waits until the order has status want and returns it.
func (e *payEnv) waitStatus(o models.Order, want models.OrderStatus) models.Order {
	e.t.Helper()
	var got models.Order
	e.waitFor(fmt.Sprintf("order %d %s", o.ID, want), func() bool {
		got = e.reload(o)
		return got.Status == want
	})
	return got
}

func (e *payEnv) reload(o models.Order) models.Order {
	e.t.Helper()
	var got models.Order
	if err := e.db.Take(&got, o.ID).Error; err != nil {
		e.t.Fatal(err)
	}
	return got
}

func (e *payEnv) balance(account models.LedgerAccount, currency string) int64 {
	e.t.Helper()
	m, err := ledger.New(e.db).Balance(e.ctx, account, currency)
	if err != nil {
		e.t.Fatal(err)
	}
	return m.Minor
}

// money checks the player's wallet and reservation, and the ledger's invariants.
// awaitingApproval requests a payout of major units of p's currency to account,
// which must wait for approval.
func (e *payEnv) awaitingApproval(p models.Player, account int64, major int64) models.Order {
	e.t.Helper()
	order, err := e.svc.RequestPayout(e.ctx, p, account, e.money(p, major))
	if err != nil {
		e.t.Fatal(err)
	}
	if order.Status != models.OrderAwaitingApproval || cashier.PayoutStateText(order) != cashier.PayoutTextAwaitingApproval {
		e.t.Fatalf("status %s %q, want awaiting-approval", order.Status, cashier.PayoutStateText(order))
	}
	return order
}

func (e *payEnv) wantMoney(p models.Player, wallet, reserved int64) {
	e.t.Helper()
	gotW, gotR := e.balance(models.PlayerWallet(p.ID), p.Currency), e.balance(models.PlayerReserved(p.ID), p.Currency)
	if gotW != wallet || gotR != reserved {
		e.t.Errorf("wallet %d reserved %d; want wallet %d reserved %d", gotW, gotR, wallet, reserved)
	}
	if err := ledger.New(e.db).Audit(e.ctx); err != nil {
		e.t.Error(err)
	}
}

// sandboxPayouts counts the payouts the sandbox executed for messageID: its
// settled AccountPayout transactions in AccountLedger.
func (e *payEnv) sandboxPayouts(messageID, currency string) int {
	e.t.Helper()
	c := e.sb.Client(e.t)
	day := time.Now().UTC()
	rows, err := c.AccountLedger(e.ctx, trustly.AccountLedgerParams{FromDate: day.AddDate(0, 0, -1).Format("2006-01-02"),
		ToDate: day.AddDate(0, 0, 2).Format("2006-01-02"), Currency: currency})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.MessageID == messageID && r.TransactionType == "AccountPayout" {
			n++
		}
	}
	return n
}

// forge is a notification about o signed with the sandbox's key, as Trustly would
// send it; fields override data keys.
func (e *payEnv) forge(method string, o models.Order, p models.Player, fields map[string]any) []byte {
	e.t.Helper()
	data := map[string]any{"notificationid": fmt.Sprintf("%010d", 3000000000+paySeq.Add(1)), "orderid": o.TrustlyOrderID,
		"messageid": o.MessageID, "enduserid": p.EndUserID, "timestamp": trustly.FormatTimestamp(time.Now())}
	switch method {
	case trustly.MethodCredit, trustly.MethodPayoutConfirmation, trustly.MethodPayoutFailed:
		data["amount"] = o.Amount.String()
		data["currency"] = o.Amount.Currency
	}
	switch method {
	case trustly.MethodCredit, trustly.MethodCancel:
		data["attributes"] = map[string]any{}
	case trustly.MethodPayoutFailed:
		data["errorcode"] = "incorrect_account_number"
		data["errormessage"] = "The receiving bank reports that the account number is incorrect"
	}
	if method == trustly.MethodAccount {
		// An account notification has no enduserid and no timestamp (API.md §5.4).
		delete(data, "enduserid")
		delete(data, "timestamp")
	}
	for k, v := range fields {
		data[k] = v
	}
	raw, err := trustly.EncodeNotification(e.sb.Config.Key, method, uuid.NewString(), data)
	if err != nil {
		e.t.Fatal(err)
	}
	return raw
}

// apply passes a notification to the service and checks it was answered OK.
func (e *payEnv) apply(raw []byte) {
	e.t.Helper()
	answer, err := e.svc.HandleNotification(e.ctx, raw)
	if err != nil {
		e.t.Fatalf("notification: %v", err)
	}
	if !strings.Contains(string(answer), `"status":"OK"`) {
		e.t.Fatalf("answer %s, want OK", answer)
	}
}

// wantProblem checks err is a *models.Problem starting with prefix.
func wantProblem(t *testing.T, err error, prefix string) {
	t.Helper()
	var p *models.Problem
	if !errors.As(err, &p) || !strings.HasPrefix(p.Message, prefix) {
		t.Fatalf("got %v; want a Problem starting %q", err, prefix)
	}
}
