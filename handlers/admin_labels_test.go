package handlers

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
)

// TestAdminKindsAndStatesInWords: every back-office page that shows an order's
// kind or state reads it in the same words (kindLabel, statusLabel): the approvals
// queue's history, the transactions list and its filter, the totals, the order
// page, the player's page, the flagged list and the refund form, so the same order
// reads the same everywhere. The codes stay where programs or searches need them:
// the filter's values, the CSV export and the cells' title.
func TestAdminKindsAndStatesInWords(t *testing.T) {
	for _, k := range cashier.TxKinds {
		if _, ok := kindLabels[k]; !ok {
			t.Errorf("kind %q has no label", k)
		}
	}
	for _, s := range cashier.TxStatuses {
		if _, ok := statusLabels[s]; !ok {
			t.Errorf("status %q has no label", s)
		}
	}

	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	cl, player, acc := funded(t, lv, "anna@example.com", "8000")
	payout := requestPayout(t, cl, "6000", acc.ID)
	lv.waitPayout(payout, models.OrderAwaitingApproval, nil)
	sel := models.Order{MessageID: "sel-1", Kind: models.OrderSelectAccount, PlayerID: player.ID,
		Amount: models.Money{Currency: "SEK"}, Status: models.OrderPending, CreatedAt: time.Now()}
	if err := lv.DB.Create(&sel).Error; err != nil {
		t.Fatal(err)
	}
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	lv.DB.Model(&models.Order{}).Where("id IN ?", []int64{deposit.ID, payout, sel.ID}).Update("flag", "needs a look")
	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)

	want := map[string][2]string{ // order id: kind, state
		strconv.FormatInt(deposit.ID, 10): {"Deposit", "Credited"},
		strconv.FormatInt(payout, 10):     {"Payout", "Awaiting approval"},
		strconv.FormatInt(sel.ID, 10):     {"Account selection", "Pending"},
	}
	codes := map[string][2]string{
		strconv.FormatInt(deposit.ID, 10): {"deposit", "credited"},
		strconv.FormatInt(payout, 10):     {"payout", "awaiting-approval"},
		strconv.FormatInt(sel.ID, 10):     {"selectaccount", "pending"},
	}
	sub := func(n *html.Node, what string) *testResponse { return &testResponse{t: t, doc: n, what: what} }

	// The lists: transactions, the player's orders, flagged.
	for _, tt := range []struct{ path, table string }{
		{transactionsPath, "tx-rows"},
		{playerPath(player.ID), "player-orders"},
		{flaggedPath, "flagged-orders"},
	} {
		r := fin.get(tt.path).wantStatus(http.StatusOK)
		tables := r.byTestID(tt.table)
		if len(tables) != 1 {
			t.Fatalf("%s: no table %s", tt.path, tt.table)
		}
		seen := 0
		for _, n := range sub(tables[0], tt.table).byTestID("tx-row") {
			id := attr(n, "data-order")
			w, ok := want[id]
			if !ok {
				continue
			}
			seen++
			row := sub(n, "row")
			if got := [2]string{row.text("tx-kind"), row.text("tx-status")}; got != w {
				t.Errorf("%s: order %s reads %q; want %q", tt.path, id, got, w)
			}
			kind, status := row.byTestID("tx-kind"), row.byTestID("tx-status")
			if got := [2]string{attr(kind[0], "title"), attr(status[0], "title")}; got != codes[id] {
				t.Errorf("%s: order %s's codes %q; want %q in the cells' title", tt.path, id, got, codes[id])
			}
		}
		if seen != len(want) {
			t.Errorf("%s: %d of the player's %d orders listed", tt.path, seen, len(want))
		}
	}

	// The filter offers words, and sends codes.
	r := fin.get(transactionsPath + "?kind=selectaccount&status=pending").wantStatus(http.StatusOK)
	for _, tt := range []struct{ select_, value, label string }{
		{"filter-kind", "selectaccount", "Account selection"},
		{"filter-kind", "payout", "Payout"},
		{"filter-status", "awaiting-approval", "Awaiting approval"},
		{"filter-status", "pending", "Pending"},
	} {
		var got []string
		for _, o := range sub(r.byTestID(tt.select_)[0], tt.select_).find(func(n *html.Node) bool { return n.Data == "option" }) {
			if attr(o, "value") == tt.value {
				got = append(got, textOf(o))
			}
		}
		if !slices.Equal(got, []string{tt.label}) {
			t.Errorf("%s option %q reads %q; want %q", tt.select_, tt.value, got, tt.label)
		}
	}
	if ids := rowIDs(t, r); !slices.Equal(ids, []int64{sel.ID}) {
		t.Errorf("filtered by kind=selectaccount&status=pending: %v; want [%d]", ids, sel.ID)
	}

	// The totals name kinds in words.
	var kinds []string
	for _, n := range fin.get(transactionsPath + "/totals").wantStatus(http.StatusOK).byTestID("total-kind") {
		kinds = append(kinds, textOf(n))
	}
	slices.Sort(kinds)
	if w := []string{"Account selection", "Deposit", "Payout"}; !slices.Equal(kinds, w) {
		t.Errorf("totals' kinds %q; want %q", kinds, w)
	}

	// The approvals queue's history of the player's orders.
	var history [][2]string
	for _, n := range fin.get(approvalsPath).wantStatus(http.StatusOK).byTestID("approval-history-row") {
		row := sub(n, "history row")
		history = append(history, [2]string{row.text("history-kind"), row.text("history-state")})
	}
	if w := [][2]string{want[strconv.FormatInt(sel.ID, 10)], want[strconv.FormatInt(deposit.ID, 10)]}; !slices.Equal(history, w) {
		t.Errorf("approvals history %q; want %q", history, w)
	}

	// The order page and the refund form.
	for id, w := range want {
		n, _ := strconv.ParseInt(id, 10, 64)
		page := fin.get(orderPath(n)).wantStatus(http.StatusOK)
		if got, title := page.text("order-status"), page.text("order-title"); got != w[1] || !strings.HasPrefix(title, w[0]+" "+id+":") {
			t.Errorf("order page %s: title %q, state %q; want %q, %q", id, title, got, w[0]+" "+id+": …", w[1])
		}
	}
	if got := fin.get(refundPath(deposit.ID)).wantStatus(http.StatusOK).text("refund-state"); got != "Credited" {
		t.Errorf("refund form's deposit state %q; want %q", got, "Credited")
	}

	// The export keeps the codes.
	records, err := csv.NewReader(strings.NewReader(fin.get(transactionsPath + ".csv").wantStatus(http.StatusOK).Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	exported := 0
	for _, rec := range records[1:] {
		if c, ok := codes[rec[0]]; ok {
			exported++
			if got := [2]string{rec[2], rec[3]}; got != c {
				t.Errorf("export: order %s %q; want the codes %q", rec[0], got, c)
			}
		}
	}
	if exported != len(codes) {
		t.Errorf("export holds %d of the player's %d orders", exported, len(codes))
	}
}

// TestAdminAuditEventsInWords: audit actions read in words, from the same table as
// kinds and states (eventLabel), on the audit page (its rows and its filter's
// choices) and on an order's page; the code stays in the cell's title and in the
// filter's query value, where programs and searches need it.
func TestAdminAuditEventsInWords(t *testing.T) {
	for _, e := range staff.Events {
		l, ok := eventLabels[e]
		if !ok || l == "" || strings.ContainsAny(l, "._") {
			t.Errorf("event %q has no label in words (%q)", e, l)
		}
	}
	ta := newTestApp(t)
	op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	storetest.SeedOrders(t, ta.DB, "e-", 3, 1, 0)
	var order int64
	ta.DB.Model(&models.Order{}).Where("message_id = ?", "e-1").Pluck("id", &order)
	row := staff.Audit{At: time.Now(), Event: staff.EventPayoutFirstVote, OrderID: order, Reason: "checked"}
	if err := ta.DB.Create(&row).Error; err != nil {
		t.Fatal(err)
	}
	const words, code = "First of two approvals", string(staff.EventPayoutFirstVote)
	r := op.get("/admin/audit?event=" + code).wantStatus(http.StatusOK)
	cells := r.byTestID("audit-event")
	if len(cells) != 1 || textOf(cells[0]) != words || attr(cells[0], "title") != code {
		t.Errorf("audit row's action: %d cells, %q title %q; want %q titled %q", len(cells), r.text("audit-event"),
			attr(cells[0], "title"), words, code)
	}
	var chosen, labelled bool
	for _, n := range r.find(func(n *html.Node) bool { return n.Data == "option" }) {
		if attr(n, "value") == code {
			labelled = textOf(n) == words
			chosen = hasAttr(n, "selected")
		}
		if v := attr(n, "value"); v != "" && textOf(n) == v {
			t.Errorf("filter choice %q reads as its code", v)
		}
	}
	if !chosen || !labelled {
		t.Errorf("the filter's choice of %s: chosen %t, reads %q %t", code, chosen, words, labelled)
	}
	o := op.get("/admin/orders/" + strconv.FormatInt(order, 10)).wantStatus(http.StatusOK)
	if got := o.text("order-audit"); !strings.Contains(got, words) || strings.Contains(got, code) {
		t.Errorf("order page's audit %q; want %q, not the code", got, words)
	}
}
