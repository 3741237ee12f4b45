package handlers

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
)

// TestSelectAccountNoAmountForStaff: an account selection moves no money, and
// staff read it so everywhere, as a Pay N Play bank login: "no money moves" in
// the transactions list and on its order page, a totals row that sums no money
// and credits nothing, and in the CSV an empty amount cell (the currency kept),
// where it exported 0.00, which a program adds up as a payment of nothing.
func TestSelectAccountNoAmountForStaff(t *testing.T) {
	a := newTestApp(t)
	_, p := a.signedIn("anna@example.com")
	now := time.Now().UTC()
	sel := models.Order{MessageID: models.NewMessageID(models.OrderSelectAccount), Kind: models.OrderSelectAccount,
		PlayerID: p.ID, Amount: models.Money{Currency: "SEK"}, TrustlyOrderID: "1000000201",
		StartedAt: &now, AccountAddedAt: &now, CreatedAt: now}
	dep := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit,
		PlayerID: p.ID, Amount: models.Money{Minor: 10000, Currency: "SEK"}, TrustlyOrderID: "1000000202",
		StartedAt: &now, CreatedAt: now}
	for _, o := range []*models.Order{&sel, &dep} {
		o.Refresh()
		if err := a.DB.Create(o).Error; err != nil {
			t.Fatal(err)
		}
	}
	fin, _ := a.staffSignedIn("fin@example.com", staff.RoleFinance)

	amounts := map[int64]string{}
	for _, n := range fin.get(transactionsPath).wantStatus(http.StatusOK).byTestID("tx-row") {
		id, _ := strconv.ParseInt(attr(n, "data-order"), 10, 64)
		amounts[id] = strings.Join(strings.Fields((&testResponse{t: t, doc: n, what: "row"}).text("tx-amount")), " ")
	}
	if amounts[sel.ID] != noMoneyText || !strings.Contains(amounts[dep.ID], "100") {
		t.Errorf("transactions: the selection's amount %q, the deposit's %q; want %q and 100", amounts[sel.ID], amounts[dep.ID], noMoneyText)
	}
	if got := fin.get(orderPath(sel.ID)).wantStatus(http.StatusOK).text("order-amount"); got != noMoneyText {
		t.Errorf("the selection's order page: amount %q; want %q", got, noMoneyText)
	}

	records, err := csv.NewReader(strings.NewReader(fin.get(transactionsPath + ".csv").wantStatus(http.StatusOK).Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string][]string{}
	for _, rec := range records[1:] {
		exported[rec[0]] = rec
	}
	if rec := exported[strconv.FormatInt(sel.ID, 10)]; len(rec) != len(records[0]) || rec[2] != "selectaccount" || rec[4] != "" || rec[5] != "SEK" || rec[11] != "" || rec[12] != "" || rec[13] != "Account selection" {
		t.Errorf("export: the selection %q; want kind selectaccount (named Account selection), an empty amount, currency SEK, nothing credited", rec)
	}
	if rec := exported[strconv.FormatInt(dep.ID, 10)]; len(rec) != len(records[0]) || rec[4] != "100.00" {
		t.Errorf("export: the deposit %q; want amount 100.00", rec)
	}

	totals := map[string][2]string{}
	for _, n := range fin.get(transactionsPath + "/totals").wantStatus(http.StatusOK).byTestID("total-row") {
		r := &testResponse{t: t, doc: n, what: "total row"}
		totals[r.text("total-kind")] = [2]string{r.text("total-sum"), r.text("total-credited")}
	}
	if got := totals["Account selection"]; got != [2]string{noMoneyText, "—"} {
		t.Errorf("totals: the selections' row %q; want %q summed, nothing credited", got, noMoneyText)
	}
}
