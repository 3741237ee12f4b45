package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
	"github.com/valyala/fasthttp"
)

func TestHistoryRows(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, _ := lv.signedIn("anna@example.com")

	empty := cl.get("/history").wantStatus(http.StatusOK)
	if !empty.has("no-orders") || !empty.has("no-movements") {
		t.Error("an empty history does not say so")
	}

	credited := lv.startDeposit(cl, "100")
	lv.checkoutAction(credited, "confirm")
	lv.waitStatus(credited, models.OrderCredited)
	cancelled := lv.startDeposit(cl, "250")
	lv.checkoutAction(cancelled, "cancel")
	lv.waitStatus(cancelled, models.OrderFailed)

	page := cl.get("/history").wantStatus(http.StatusOK)
	rows := page.byTestID("order-row")
	if len(rows) != 2 {
		t.Fatalf("%d order rows; want 2\n%s", len(rows), page.Body)
	}
	cell := func(row int, id string) string {
		t.Helper()
		r := &testResponse{t: t, doc: rows[row], what: "order row"}
		return r.text(id)
	}
	for i, want := range []struct{ order, kind, amount, status string }{
		{cancelled, "Deposit", "SEK 250.00", "Cancelled — nothing was charged"},
		{credited, "Deposit", "SEK 100.00", "In your balance"},
	} {
		if got := attr(rows[i], "data-order"); got != want.order {
			t.Errorf("row %d is order %s; want %s (newest first)", i, got, want.order)
		}
		got := [3]string{cell(i, "order-kind"), cell(i, "order-amount"), cell(i, "order-status")}
		if got != [3]string{want.kind, want.amount, want.status} {
			t.Errorf("row %d = %q; want %q", i, got, [3]string{want.kind, want.amount, want.status})
		}
		if cell(i, "order-date") == "" {
			t.Errorf("row %d has no date", i)
		}
	}

	moves := page.byTestID("movement-row")
	if len(moves) != 1 {
		t.Fatalf("%d movement rows; want 1 (the credit)", len(moves))
	}
	m := &testResponse{t: t, doc: moves[0], what: "movement row"}
	got := [3]string{m.text("movement-memo"), m.text("movement-amount"), m.text("movement-balance")}
	if want := [3]string{"Deposit via Trustly", "+SEK 100.00", "SEK 100.00"}; got != want {
		t.Errorf("movement = %q; want %q", got, want)
	}
	// In Dutch the sign stands where the minus goes, after the currency.
	cl.submit("/language", url.Values{"lang": {"nl"}, "back": {"/history"}}).wantRedirect("/history")
	moves = cl.get("/history").wantStatus(http.StatusOK).byTestID("movement-row")
	m = &testResponse{t: t, doc: moves[0], what: "movement row"}
	if got, want := m.text("movement-amount"), "SEK +100,00"; got != want {
		t.Errorf("movement amount in nl = %q; want %q", got, want)
	}
}

func TestStatusWords(t *testing.T) {
	c := testCtx(t)
	for _, tt := range []struct {
		kind   models.OrderKind
		status models.OrderStatus
		want   string
		phase  string
		age    time.Duration
	}{
		{models.OrderDeposit, models.OrderCreated, "Starting", "waiting", 0},
		{models.OrderDeposit, models.OrderStarted, "Waiting for the bank", "waiting", 0},
		{models.OrderDeposit, models.OrderPending, "Processing", "waiting", 0},
		{models.OrderDeposit, models.OrderCredited, "In your balance", "credited", 0},
		{models.OrderDeposit, models.OrderFailed, "Cancelled — nothing was charged", "failed", 0},
		{models.OrderDeposit, models.OrderDebited, "Returned by your bank", "returned", 0},
		// Refused by the kyc, its credit held to return: never on its way, however old.
		{models.OrderDeposit, models.OrderRefusedHeld, enText("status.refused_held"), "held", 0},
		{models.OrderDeposit, models.OrderRefusedHeld, enText("status.refused_held"), "held", 2 * time.Hour},
		{models.OrderDeposit, "something-new", "something-new", "waiting", 0},
		// A checkout is abandoned once Trustly's checkout URL can no longer be
		// used, 30 minutes after the order, whether or not a cancel comes.
		{models.OrderDeposit, models.OrderStarted, "Waiting for the bank", "waiting", 29 * time.Minute},
		{models.OrderDeposit, models.OrderStarted, enText("deposit.status.expired"), "failed", 31 * time.Minute},
		{models.OrderDeposit, models.OrderCreated, enText("deposit.status.expired"), "failed", 31 * time.Minute},
		{models.OrderDeposit, models.OrderAbandoned, enText("deposit.status.expired"), "failed", 0}, // the janitor's word
		{models.OrderSelectAccount, models.OrderStarted, enText("deposit.status.expired"), "failed", 2 * time.Hour},
		// A selection whose account came is done, however old: it read "Not
		// completed" once the checkout's life was over.
		{models.OrderSelectAccount, models.OrderAccountAdded, "Added to your bank accounts", "credited", 0},
		{models.OrderSelectAccount, models.OrderAccountAdded, "Added to your bank accounts", "credited", 2 * time.Hour},
		{models.OrderSelectAccount, models.OrderAbandoned, enText("deposit.status.expired"), "failed", 2 * time.Hour},
		{models.OrderDeposit, models.OrderPending, "Processing", "waiting", 2 * time.Hour},
		{models.OrderDeposit, models.OrderCredited, "In your balance", "credited", 2 * time.Hour},
	} {
		now := time.Date(2026, 1, 20, 14, 42, 0, 0, time.UTC)
		o := models.Order{Kind: tt.kind, Status: tt.status, CreatedAt: now.Add(-tt.age)}
		abandoned := o.CheckoutOver(now.Add(-cashier.CheckoutExpiry)) // cashier.Service.CheckoutAbandoned at now
		if got, ph := statusText(c, o, abandoned), phase(o, abandoned); got != tt.want || ph != tt.phase {
			t.Errorf("%s %s %s old = %q, %s; want %q, %s", tt.kind, tt.status, tt.age, got, ph, tt.want, tt.phase)
		}
	}
	o := models.Order{Flag: models.FlagCancelAfterCredit + "; credit of 5.00 differs"}
	if got := flagTexts(c, o); len(got) != 2 || got[1] != tr(c, flagWords[models.FlagCancelAfterCredit]) || got[0] != tr(c, flagReview) {
		t.Errorf("flags in words = %q", got)
	}
}

// testCtx is a request context with no headers: English, UTC.
func testCtx(t *testing.T) *fiber.Ctx {
	t.Helper()
	app := fiber.New()
	c := app.AcquireCtx(&fasthttp.RequestCtx{})
	t.Cleanup(func() { app.ReleaseCtx(c) })
	return c
}

// enText is the English text of a message, as the tests' requests (no
// Accept-Language) read it.
func enText(id string, args ...any) string { return lang.For(lang.Default, nil).T(id, args...) }

// TestHistoryAbandonedCheckout: a deposit whose checkout was left open and never
// finished reads "Waiting for the bank" only while Trustly's checkout can still be
// used; after 30 minutes the history says it was not completed, and its link goes
// to the result page, not to the dead checkout.
func TestHistoryAbandonedCheckout(t *testing.T) {
	lv := startLive(t, liveOptions{})
	cl, _ := lv.signedIn("anna@example.com")
	messageID := lv.startDeposit(cl, "100")

	status := func() string {
		t.Helper()
		page := cl.get("/history").wantStatus(http.StatusOK)
		return page.text("order-status")
	}
	if got := status(); got != "Waiting for the bank" {
		t.Fatalf("a fresh checkout reads %q; want Waiting for the bank", got)
	}
	old := time.Now().Add(-31 * time.Minute)
	if err := lv.DB.Model(&models.Order{}).Where("message_id = ?", messageID).Update("created_at", old).Error; err != nil {
		t.Fatal(err)
	}
	expired := enText("deposit.status.expired")
	if got := status(); got != expired {
		t.Errorf("a checkout abandoned 31 minutes ago reads %q; want %q", got, expired)
	}
	cl.get("/deposit/checkout?order=" + messageID).wantRedirect("/deposit/success?order=" + messageID)
	page := cl.get("/deposit/success?order=" + messageID).wantStatus(http.StatusOK)
	if !page.has("try-again") {
		t.Error("the result page of an abandoned checkout offers no Try again")
	}
	if got, title := page.text("order-status"), page.text("result-title"); got != expired || title != enText("deposit.result.title_fail") {
		t.Errorf("its result page reads %q under %q; want %q under the fail title", got, title, expired)
	}
}

// TestAccountStateAbandoned: an account selection the janitor abandoned (its
// checkout expired, or its SelectAccount call was never answered) with no
// account reads "Nothing was added" on its result page, and the page stops
// polling; it read "Verifying your account…" and polled for good. An account
// that came after all is shown as added.
func TestAccountStateAbandoned(t *testing.T) {
	o := models.Order{Kind: models.OrderSelectAccount, Status: models.OrderAbandoned}
	if phase, text, _ := accountState(o, nil, true); phase != views.AccountFailed || text != "accounts.state.failed" {
		t.Errorf("abandoned selection without an account: %s, %s; want %s, accounts.state.failed", phase, text, views.AccountFailed)
	}
	if phase, _, _ := accountState(o, &models.BankAccount{Verified: true}, true); phase != views.AccountAdded {
		t.Errorf("abandoned selection whose account came after all: %s; want %s", phase, views.AccountAdded)
	}
	// Its account notification was applied (account-added), its account not found
	// to show: added, not verifying for good.
	o.Status = models.OrderAccountAdded
	if phase, text, _ := accountState(o, nil, true); phase != views.AccountAdded || text != "accounts.state.added" {
		t.Errorf("selection marked added, no account to show: %s, %s; want %s", phase, text, views.AccountAdded)
	}
	o.Status = models.OrderStarted
	if phase, _, _ := accountState(o, nil, true); phase != views.AccountVerifying {
		t.Errorf("started selection back on the success page: %s; want %s", phase, views.AccountVerifying)
	}
}

// TestHistoryCheckoutExpiryConfigured: the pages take a checkout as abandoned
// after the configured CASHIER_CHECKOUT_EXPIRY (cashier.Config.CheckoutExpiry),
// the same life the janitor abandons it after, not a fixed 30 minutes: with 5
// minutes a checkout 6 minutes old reads not completed on the history, the result
// page and its JSON, and its checkout link leads to the result page, while one 4
// minutes old still reads waiting and can be opened.
func TestHistoryCheckoutExpiryConfigured(t *testing.T) {
	for _, tt := range []struct {
		expiry, age time.Duration
		over        bool
	}{{5 * time.Minute, 6 * time.Minute, true}, {5 * time.Minute, 4 * time.Minute, false}} {
		t.Run(fmt.Sprintf("%s-%s", tt.expiry, tt.age), func(t *testing.T) {
			lv := startLive(t, liveOptions{Setup: func(s *testSetup) { s.Cashier.Config.CheckoutExpiry = tt.expiry }})
			cl, _ := lv.signedIn("anna@example.com")
			messageID := lv.startDeposit(cl, "100")
			if err := lv.DB.Model(&models.Order{}).Where("message_id = ?", messageID).
				Update("created_at", time.Now().Add(-tt.age)).Error; err != nil {
				t.Fatal(err)
			}
			want, phase := "Waiting for the bank", views.PhaseWaiting
			if tt.over {
				want, phase = enText("deposit.status.expired"), views.PhaseFailed
			}
			if got := cl.get("/history").wantStatus(http.StatusOK).text("order-status"); got != want {
				t.Errorf("history: got %q; want %q", got, want)
			}
			var status struct{ Text, Phase string }
			if err := json.Unmarshal([]byte(cl.get("/deposit/status?order="+url.QueryEscape(messageID)).wantStatus(http.StatusOK).Body), &status); err != nil {
				t.Fatal(err)
			}
			if status.Text != want || status.Phase != phase {
				t.Errorf("status JSON: got %q, %s; want %q, %s", status.Text, status.Phase, want, phase)
			}
			r := cl.get("/deposit/checkout?order=" + url.QueryEscape(messageID))
			if tt.over {
				r.wantRedirect("/deposit/success?order=" + messageID)
			} else {
				r.wantStatus(http.StatusOK)
			}
		})
	}
}
