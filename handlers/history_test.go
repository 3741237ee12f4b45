package handlers

import (
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
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
}

func TestStatusWords(t *testing.T) {
	c := testCtx(t)
	for _, tt := range []struct {
		kind   models.OrderKind
		status models.OrderStatus
		want   string
		phase  string
	}{
		{models.OrderDeposit, models.OrderCreated, "Starting", "waiting"},
		{models.OrderDeposit, models.OrderStarted, "Waiting for the bank", "waiting"},
		{models.OrderDeposit, models.OrderPending, "Processing", "waiting"},
		{models.OrderDeposit, models.OrderCredited, "In your balance", "credited"},
		{models.OrderDeposit, models.OrderFailed, "Cancelled — nothing was charged", "failed"},
		{models.OrderDeposit, models.OrderDebited, "Returned by your bank", "returned"},
		{models.OrderDeposit, "something-new", "something-new", "waiting"},
	} {
		o := models.Order{Kind: tt.kind, Status: tt.status}
		if got, ph := statusText(c, o), phase(o); got != tt.want || ph != tt.phase {
			t.Errorf("%s %s = %q, %s; want %q, %s", tt.kind, tt.status, got, ph, tt.want, tt.phase)
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
