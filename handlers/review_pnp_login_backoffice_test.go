package handlers

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
)

// TestPayNPlayLoginNoAmountForStaff: a "Log in with your bank" through the
// sandbox, signed in or refused, moves no money, and staff read it so: its kind
// reads "Bank login" (the code deposit kept in the cell's title) and its amount
// "no money moves" in the transactions list, on the player's page and on the
// order page, where they read "Deposit" of "0,00 SEK", a deposit of nothing. The
// CSV keeps its columns and the code deposit, with an empty amount cell instead
// of 0.00. The totals count logins on a row of their own, "Bank login", which
// sums no money, never among the deposits. A refused login's order page says why
// the kyc refused it. The player whose login was refused reads the refusal, with
// no amount, and the login is nobody's order, so no history lists it.
func TestPayNPlayLoginNoAmountForStaff(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	cl := lv.client()
	login := startPayNPlay(cl, "SE", "")
	lv.waitDecision(login)
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(login)).wantRedirect("/cashier")
	deposit := startPayNPlay(lv.client(), "SE", "100")
	lv.waitDecision(deposit)
	read := func(app *testApp, mid string) models.Order {
		t.Helper()
		var o models.Order
		if err := app.DB.Where("message_id = ?", mid).Take(&o).Error; err != nil {
			t.Fatal(err)
		}
		return o
	}
	lo, dep := read(lv.testApp, login), read(lv.testApp, deposit)
	if !lo.LoginOnly || lo.Status != models.OrderSignedIn || dep.LoginOnly {
		t.Fatalf("the login: login only %t, %s; the deposit: login only %t; want a signed-in login and a deposit", lo.LoginOnly, lo.Status, dep.LoginOnly)
	}
	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)

	type cells struct{ kind, code, amount string }
	rowsOf := func(path string) map[int64]cells {
		t.Helper()
		out := map[int64]cells{}
		for _, n := range fin.get(path).wantStatus(http.StatusOK).byTestID("tx-row") {
			id, _ := strconv.ParseInt(attr(n, "data-order"), 10, 64)
			row := &testResponse{t: t, doc: n, what: "row"}
			out[id] = cells{row.text("tx-kind"), attr(row.byTestID("tx-kind")[0], "title"),
				strings.Join(strings.Fields(row.text("tx-amount")), " ")}
		}
		return out
	}
	for _, path := range []string{transactionsPath, transactionsPath + "?kind=deposit", playerPath(lo.PlayerID)} {
		rows := rowsOf(path)
		if got, want := rows[lo.ID], (cells{"Bank login", "deposit", noMoneyText}); got != want {
			t.Errorf("%s: the login reads %+v; want %+v", path, got, want)
		}
		if got := rows[dep.ID]; got.kind != "Deposit" || got.amount == noMoneyText || !strings.Contains(got.amount, "100") {
			t.Errorf("%s: the deposit reads %+v; want a Deposit of 100", path, got)
		}
	}
	page := fin.get(orderPath(lo.ID)).wantStatus(http.StatusOK)
	if got := page.text("order-amount"); got != noMoneyText {
		t.Errorf("the login's order page: amount %q; want %q", got, noMoneyText)
	}
	if got := page.text("order-title"); !strings.HasPrefix(got, "Bank login ") {
		t.Errorf("the login's order page: title %q; want it to start with Bank login", got)
	}

	records, err := csv.NewReader(strings.NewReader(fin.get(transactionsPath + ".csv").wantStatus(http.StatusOK).Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"order_id", "created", "kind", "status", "amount", "currency", "player_id", "player_email",
		"message_id", "trustly_order_id", "flag", "credited"}
	if !slices.Equal(records[0], header) {
		t.Errorf("export header %q; want %q", records[0], header)
	}
	exported := map[string][]string{}
	for _, rec := range records[1:] {
		exported[rec[0]] = rec
	}
	if rec := exported[strconv.FormatInt(lo.ID, 10)]; len(rec) != len(header) || rec[2] != "deposit" || rec[4] != "" || rec[5] != "SEK" {
		t.Errorf("export: the login %q; want kind deposit, an empty amount, currency SEK", rec)
	}
	if rec := exported[strconv.FormatInt(dep.ID, 10)]; len(rec) != len(header) || rec[4] != "100.00" {
		t.Errorf("export: the deposit %q; want amount 100.00", rec)
	}

	totals := map[string][3]string{}
	for _, n := range fin.get(transactionsPath + "/totals").wantStatus(http.StatusOK).byTestID("total-row") {
		r := &testResponse{t: t, doc: n, what: "total row"}
		kind := r.text("total-kind")
		if _, twice := totals[kind]; twice {
			t.Errorf("totals: two rows of %q", kind)
		}
		totals[kind] = [3]string{r.text("total-count"), r.text("total-sum"), r.text("total-credited")}
	}
	if got := totals["Bank login"]; got != [3]string{"1", noMoneyText, "—"} {
		t.Errorf("totals: bank logins %q; want 1 login, %q, nothing credited", got, noMoneyText)
	}
	if got := totals["Deposit"]; got[0] != "1" || !strings.Contains(got[1], "100") {
		t.Errorf("totals: deposits %q; want the one deposit of 100, no login among them", got)
	}

	// Refused: under 18.
	minor := startPayNPlayLive(t, "pure", "se-minor", nil)
	mcl := minor.client()
	refused := startPayNPlay(mcl, "SE", "")
	if out := minor.waitDecision(refused); out.State != cashier.PayNPlayRefused {
		t.Fatalf("the minor's login: %s; want refused", out.State)
	}
	ro := read(minor.testApp, refused)
	if ro.Status != models.OrderFailed || ro.PlayerID != 0 {
		t.Fatalf("the refused login: %s, player %d; want failed and nobody's", ro.Status, ro.PlayerID)
	}
	for _, path := range []string{cashier.PayNPlayFailPath, cashier.PayNPlaySuccessPath} {
		r := mcl.get(path + "?order=" + url.QueryEscape(refused)).wantStatus(http.StatusOK)
		if r.text("refusal") == "" || strings.Contains(r.Body, "0,00") || strings.Contains(r.Body, "0.00") {
			t.Errorf("%s of the refused login: refusal %q; want the refusal and no amount\n%s", path, r.text("refusal"), r.Body)
		}
	}
	mfin, _ := minor.staffSignedIn("fin@example.com", staff.RoleFinance)
	rpage := mfin.get(orderPath(ro.ID)).wantStatus(http.StatusOK)
	if got := rpage.text("order-amount"); got != noMoneyText {
		t.Errorf("the refused login's order page: amount %q; want %q", got, noMoneyText)
	}
	if got := rpage.text("order-reason"); !strings.Contains(got, "refused") || !strings.Contains(got, "18") {
		t.Errorf("the refused login's order page: reason %q; want the kyc's refusal, under 18", got)
	}
}
