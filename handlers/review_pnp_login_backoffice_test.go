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
	"golang.org/x/net/html"
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
	for _, tt := range []struct {
		path           string
		login, deposit bool // listed
	}{
		{transactionsPath, true, true},
		{playerPath(lo.PlayerID), true, true},
		{transactionsPath + "?kind=deposit", false, true},
		{transactionsPath + "?kind=" + string(cashier.TxLogin), true, false},
	} {
		rows := rowsOf(tt.path)
		if got, ok := rows[lo.ID]; ok != tt.login || ok && got != (cells{"Bank login", "deposit", noMoneyText}) {
			t.Errorf("%s: the login reads %+v (listed %t); want %+v listed %t", tt.path, got, ok, cells{"Bank login", "deposit", noMoneyText}, tt.login)
		}
		if got, ok := rows[dep.ID]; ok != tt.deposit || ok && (got.kind != "Deposit" || got.amount == noMoneyText || !strings.Contains(got.amount, "100")) {
			t.Errorf("%s: the deposit reads %+v (listed %t); want a Deposit of 100 listed %t", tt.path, got, ok, tt.deposit)
		}
	}
	list := fin.get(transactionsPath + "?kind=" + string(cashier.TxLogin)).wantStatus(http.StatusOK)
	if got := list.value("filter-kind"); got != string(cashier.TxLogin) {
		t.Errorf("the kind filter of ?kind=login: %q selected; want %q", got, cashier.TxLogin)
	}
	choices := map[string]string{}
	for _, n := range (&testResponse{t: t, doc: list.byTestID("filter-kind")[0], what: "kind filter"}).find(func(n *html.Node) bool {
		return n.Data == "option"
	}) {
		choices[attr(n, "value")] = textOf(n)
	}
	if choices[string(cashier.TxLogin)] != "Bank login" || choices["deposit"] != "Deposit" {
		t.Errorf("the kind filter offers %q; want Bank login (login) apart from Deposit (deposit)", choices)
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
		"message_id", "trustly_order_id", "flag", "credited", "deposit_trustly_order_id", "kind_name", "status_name"}
	if !slices.Equal(records[0], header) {
		t.Errorf("export header %q; want %q", records[0], header)
	}
	exported := map[string][]string{}
	for _, rec := range records[1:] {
		exported[rec[0]] = rec
	}
	if rec := exported[strconv.FormatInt(lo.ID, 10)]; len(rec) != len(header) || rec[2] != "deposit" || rec[4] != "" || rec[5] != "SEK" || rec[13] != loginLabel {
		t.Errorf("export: the login %q; want kind deposit, an empty amount, currency SEK, named Bank login", rec)
	}
	if rec := exported[strconv.FormatInt(dep.ID, 10)]; len(rec) != len(header) || rec[4] != "100.00" {
		t.Errorf("export: the deposit %q; want amount 100.00", rec)
	}
	// The export of a kind reads the list's filter: the logins alone, the deposits alone.
	for kind, want := range map[string]int64{"deposit": dep.ID, string(cashier.TxLogin): lo.ID} {
		records, err := csv.NewReader(strings.NewReader(fin.get(transactionsPath + ".csv?kind=" + kind).wantStatus(http.StatusOK).Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, rec := range records[1:] {
			ids = append(ids, rec[0])
		}
		if !slices.Equal(ids, []string{strconv.FormatInt(want, 10)}) {
			t.Errorf("export of kind %s: orders %q; want %d alone", kind, ids, want)
		}
	}

	totalsOf := func(query string) map[string][3]string {
		t.Helper()
		totals := map[string][3]string{}
		for _, n := range fin.get(transactionsPath + "/totals" + query).wantStatus(http.StatusOK).byTestID("total-row") {
			r := &testResponse{t: t, doc: n, what: "total row"}
			kind := r.text("total-kind")
			if _, twice := totals[kind]; twice {
				t.Errorf("totals: two rows of %q", kind)
			}
			totals[kind] = [3]string{r.text("total-count"), r.text("total-sum"), r.text("total-credited")}
		}
		return totals
	}
	if got := totalsOf("?kind=deposit"); len(got) != 1 || got["Deposit"][0] != "1" {
		t.Errorf("totals of the deposits: %q; want the one deposit alone, no bank login", got)
	}
	if got := totalsOf("?kind=" + string(cashier.TxLogin)); len(got) != 1 || got["Bank login"] != [3]string{"1", noMoneyText, "—"} {
		t.Errorf("totals of the bank logins: %q; want the one login alone", got)
	}
	totals := totalsOf("")
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
