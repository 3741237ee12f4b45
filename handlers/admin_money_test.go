package handlers

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"golang.org/x/net/html"
)

// TestRefundFormOperatorLeft: an operator's refund form shows what operators may
// still refund of the deposit (the default limit of 1 000 SEK in all, less what
// is refunded, at most what is refundable), and a refund past it comes back with
// the reason and nothing refunded. A finance member's form shows no limit.
func TestRefundFormOperatorLeft(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	cl, player, _ := funded(t, lv, "anna@example.com", "2000")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	small := lv.waitStatus(lv.startDeposit(cl, "300"), models.OrderCredited)
	op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
	op.staffReauth(testPassword, "")
	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
	fin.staffReauth(testPassword, "")
	refunds := func() int64 {
		return lv.countRows(&models.Order{}, "parent_id = ? AND kind = ?", deposit.ID, models.OrderRefund)
	}
	limit := func(left string) string {
		return "Operators may refund up to 1 000,00 SEK of a deposit in all; " + left + " SEK more of this one."
	}

	for _, step := range []struct {
		by     *testClient
		amount string // refunded first, if any
		want   string // the limit the form then shows the operator
	}{
		{nil, "", limit("1 000,00")},
		{op, "600", limit("400,00")},
		{fin, "1000", limit("0,00")}, // 1 600 refunded: 400 refundable, none by an operator
	} {
		if step.by != nil {
			step.by.submit(refundPath(deposit.ID), url.Values{"amount": {step.amount}}).wantRedirect(refundPath(deposit.ID))
		}
		if got := op.get(refundPath(deposit.ID)).wantStatus(http.StatusOK).text("refund-limit"); got != step.want {
			t.Errorf("after %s: limit %q; want %q", step.amount, got, step.want)
		}
	}
	if fin.get(refundPath(deposit.ID)).has("refund-limit") {
		t.Error("a finance member's refund form shows the operators' limit")
	}
	if got, want := op.get(refundPath(small.ID)).text("refund-limit"), limit("300,00"); got != want {
		t.Errorf("deposit of 300: limit %q; want %q", got, want)
	}

	r := op.submit(refundPath(deposit.ID), url.Values{"amount": {"0.01"}}).wantStatus(http.StatusUnprocessableEntity)
	want := "Refunds of a deposit by operators are limited to 1 000,00 SEK in all; 1 600,00 SEK of this deposit " +
		"is refunded already, so an operator may refund at most 0,00 SEK more."
	if got := r.text("refund-problem"); got != want || r.value("refund-amount-input") != "0.01" {
		t.Errorf("operator past the limit: %q, amount %q; want %q and the amount typed", got, r.value("refund-amount-input"), want)
	}
	if n := refunds(); n != 2 {
		t.Errorf("%d refunds of the deposit; want 2", n)
	}
}

// TestReviewRefundFormSentTwice (review-c): the refund form carries its refund's
// token, and the same form sent twice (a double click, a browser resending it)
// makes one refund: Trustly's Refund has no MessageID, so a second call would pay
// the player's bank twice.
func TestReviewRefundFormSentTwice(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	_, player, _ := funded(t, lv, "anna@example.com", "2000")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
	fin.staffReauth(testPassword, "")
	token := fin.get(refundPath(deposit.ID)).wantStatus(http.StatusOK).value("refund-token")
	if token == "" {
		t.Fatal("the refund form has no token")
	}
	for range 2 {
		fin.submit(refundPath(deposit.ID), url.Values{"amount": {"300"}, "token": {token}}).wantRedirect(refundPath(deposit.ID))
	}
	if n := lv.countRows(&models.Order{}, "parent_id = ? AND kind = ?", deposit.ID, models.OrderRefund); n != 1 {
		t.Errorf("%d refunds of the deposit after sending one form twice; want 1", n)
	}
	if again := fin.get(refundPath(deposit.ID)).value("refund-token"); again == token {
		t.Error("a new refund form has the token of the last one")
	}
}

// TestRefundFormKeptAcrossReauth: a refund form sent without a recent
// re-authentication sends the member to confirm their password, and back to the
// form, which shows once the amount, reason and token they sent; the action itself
// is not repeated, and another deposit's form stays empty. What was sent waits in
// the sealed staff cookie: no URL of the way, and no Location header, holds the
// amount, the reason or the token. Sent then, as often as it is, the form makes one
// refund, with that token as its MessageID. A form kept while its token made a
// refund (sent again from another tab) comes back new and empty.
func TestRefundFormKeptAcrossReauth(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	cl, player, _ := funded(t, lv, "anna@example.com", "2000")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	other := lv.waitStatus(lv.startDeposit(cl, "300"), models.OrderCredited)
	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
	refunds := func() []models.Order {
		var rs []models.Order
		lv.DB.Where("parent_id = ? AND kind = ?", deposit.ID, models.OrderRefund).Order("id").Find(&rs)
		return rs
	}
	token := fin.get(refundPath(deposit.ID)).wantStatus(http.StatusOK).value("refund-token")
	sent := url.Values{"amount": {"300.50"}, "reason": {"paid twice & asked for it back"}, "token": {token}}
	// private fails the test when u, as it is or unescaped, holds a value sent.
	private := func(what, u string) {
		t.Helper()
		plain := u
		for range 3 {
			if p, err := url.QueryUnescape(plain); err == nil {
				plain = p
			}
		}
		for _, v := range []string{sent.Get("amount"), sent.Get("reason"), token} {
			if strings.Contains(u, v) || strings.Contains(plain, v) {
				t.Errorf("%s %q holds %q from the form", what, u, v)
				return
			}
		}
	}
	// location is r's Location header, checked with private.
	location := func(r *testResponse) string {
		t.Helper()
		loc := r.Header.Get("Location")
		private("Location of "+r.what, loc)
		return loc
	}

	r := fin.submit(refundPath(deposit.ID), sent).wantStatus(http.StatusSeeOther)
	reauth, err := url.Parse(location(r))
	if err != nil || reauth.Path != "/admin/reauth" {
		t.Fatalf("refund without a recent re-authentication sent to %q; want /admin/reauth", r.Header.Get("Location"))
	}
	next := reauth.Query().Get("next")
	if next != refundPath(deposit.ID) {
		t.Errorf("next %q; want the form's own address %q", next, refundPath(deposit.ID))
	}
	private("the re-authentication page's URL", reauth.String())
	private("the re-authentication page", fin.get(reauth.String()).wantStatus(http.StatusOK).Body)
	fin.submit("/admin/reauth", url.Values{"password": {"not my password"}, "next": {next}}).
		wantStatus(http.StatusUnprocessableEntity)
	if got := location(fin.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {next}})); got != next {
		t.Fatalf("after the re-authentication: to %q; want %q", got, next)
	}
	if n := len(refunds()); n != 0 {
		t.Fatalf("%d refunds after the re-authentication alone; want 0", n)
	}

	empty := func(when string, form *testResponse, old string) {
		t.Helper()
		if form.value("refund-amount-input") != "" || form.value("refund-reason") != "" || form.value("refund-token") == old {
			t.Errorf("%s: amount %q, reason %q, token %q; want a new, empty form", when,
				form.value("refund-amount-input"), form.value("refund-reason"), form.value("refund-token"))
		}
	}
	empty("another deposit's form", fin.get(refundPath(other.ID)).wantStatus(http.StatusOK), token)
	form := fin.get(next).wantStatus(http.StatusOK)
	for _, f := range []struct{ testid, want string }{
		{"refund-amount-input", sent.Get("amount")}, {"refund-reason", sent.Get("reason")}, {"refund-token", token},
	} {
		if got := form.value(f.testid); got != f.want {
			t.Errorf("form after the re-authentication: %s %q; want %q", f.testid, got, f.want)
		}
	}
	empty("the form shown again", fin.get(next).wantStatus(http.StatusOK), token)
	again := url.Values{"amount": {form.value("refund-amount-input")}, "reason": {form.value("refund-reason")},
		"token": {form.value("refund-token")}}
	for range 2 {
		location(fin.submit(refundPath(deposit.ID), again).wantRedirect(refundPath(deposit.ID)))
	}
	if rs := refunds(); len(rs) != 1 || rs[0].MessageID != token || rs[0].Amount.Minor != 30050 {
		t.Fatalf("refunds %+v; want one of 300.50 with the form's token %s", rs, token)
	}
	empty("the form after its refund", fin.get(next).wantStatus(http.StatusOK), token)

	// Another member's form, kept, and then sent again from the page still open
	// once they confirmed: it makes its refund, and the kept copy comes back empty.
	fin2, _ := lv.staffSignedIn("fin2@example.com", staff.RoleFinance)
	token2 := fin2.get(next).wantStatus(http.StatusOK).value("refund-token")
	twice := url.Values{"amount": {"100"}, "reason": {"sent from two tabs"}, "token": {token2}}
	fin2.submit(next, twice).wantRedirect("/admin/reauth?next=" + url.QueryEscape(next))
	fin2.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {next}}).wantRedirect(next)
	fin2.submit(next, twice).wantRedirect(next)
	empty("the kept form after its token's refund", fin2.get(next).wantStatus(http.StatusOK), token2)
	if rs := refunds(); len(rs) != 2 || rs[1].MessageID != token2 {
		t.Errorf("refunds %+v; want a second with the token %s", rs, token2)
	}
}

// TestRefundFormNotKeptByTheBrowser: the refund form is not stored by the
// browser, and its amount and reason are not restored into it: after a refund,
// Back shows a new, empty form (TestBrowserRefundBackShowsEmptyForm), never the
// last one's amount and reason beside a new token.
func TestRefundFormNotKeptByTheBrowser(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	_, player, _ := funded(t, lv, "anna@example.com", "500")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
	r := fin.get(refundPath(deposit.ID)).wantStatus(http.StatusOK)
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q; want no-store", got)
	}
	for _, testid := range []string{"refund-amount-input", "refund-reason"} {
		if n := r.byTestID(testid); len(n) != 1 || attr(n[0], "autocomplete") != "off" {
			t.Errorf("%s: autocomplete not off", testid)
		}
	}
}

// TestOrderPageRefundsAndDeposit: a deposit's order page lists its refunds, each
// linked, with amount and state, and a refund's order page names and links the
// deposit it refunds. A refund has no Trustly orderid of its own (Trustly knows it
// by the deposit's), and its notifications and audit row are on its own page, so
// without the links staff could not get from one to the other; its page shows the
// deposit's orderid, labelled as the deposit's, where it showed none.
func TestOrderPageRefundsAndDeposit(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	_, player, _ := funded(t, lv, "anna@example.com", "2000")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
	fin.staffReauth(testPassword, "")
	fin.submit(refundPath(deposit.ID), url.Values{"amount": {"300"}}).wantRedirect(refundPath(deposit.ID))
	var refund models.Order
	if err := lv.DB.Where("parent_id = ? AND kind = ?", deposit.ID, models.OrderRefund).Take(&refund).Error; err != nil {
		t.Fatal(err)
	}
	viewer, _ := lv.staffSignedIn("viewer@example.com", staff.RoleViewer)
	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }

	r := viewer.get(orderPath(deposit.ID)).wantStatus(http.StatusOK)
	rows := r.byTestID("order-refund-row")
	if len(rows) != 1 {
		t.Fatalf("deposit's page: %d refund rows; want 1", len(rows))
	}
	row := &testResponse{t: t, doc: rows[0], what: "refund row"}
	links := row.byTestID("order-refund-link")
	if len(links) != 1 || attr(links[0], "href") != orderPath(refund.ID) {
		t.Errorf("refund row links %d; want one to %s", len(links), orderPath(refund.ID))
	}
	if got, want := words(row.text("order-refund-amount")), words(refund.Amount.Display()); got != want {
		t.Errorf("refund row amount %q; want %q", got, want)
	}

	r = viewer.get(orderPath(refund.ID)).wantStatus(http.StatusOK)
	parent := r.byTestID("order-parent")
	if len(parent) != 1 || attr(parent[0], "href") != orderPath(deposit.ID) {
		t.Errorf("refund's page: %d links to its deposit; want one to %s", len(parent), orderPath(deposit.ID))
	}
	// Trustly's orderid of the refund is its deposit's, and says so.
	if deposit.TrustlyOrderID == "" {
		t.Fatal("the deposit has no Trustly orderid")
	}
	for _, tt := range []struct {
		page         int64
		label, value string
	}{{refund.ID, "Trustly orderid (of the deposit)", deposit.TrustlyOrderID}, {deposit.ID, "Trustly orderid", deposit.TrustlyOrderID}} {
		r := viewer.get(orderPath(tt.page))
		if label, value := words(r.text("order-trustly-id-label")), r.text("order-trustly-id"); label != tt.label || value != tt.value {
			t.Errorf("order %d: %q %q; want %q %q", tt.page, label, value, tt.label, tt.value)
		}
	}
}

// TestAdminTransactionsRefunds: refunds are orders of the transactions list, so
// its kind filter offers them: kind=refund lists exactly the refunds, and its CSV
// export holds them. The filter refused "refund" as an unknown kind, so finance
// could list refunds only by reading every order.
func TestAdminTransactionsRefunds(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	_, player, _ := funded(t, lv, "anna@example.com", "2000")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
	fin.staffReauth(testPassword, "")
	fin.submit(refundPath(deposit.ID), url.Values{"amount": {"300"}}).wantRedirect(refundPath(deposit.ID))
	var refund models.Order
	if err := lv.DB.Where("parent_id = ? AND kind = ?", deposit.ID, models.OrderRefund).Take(&refund).Error; err != nil {
		t.Fatal(err)
	}

	r := fin.get(transactionsPath + "?kind=refund").wantStatus(http.StatusOK)
	if got := rowIDs(t, r); !slices.Equal(got, []int64{refund.ID}) {
		t.Errorf("kind=refund lists %v; want the refund %d", got, refund.ID)
	}
	if got := fin.get(transactionsPath).wantStatus(http.StatusOK).find(func(n *html.Node) bool {
		return n.Data == "option" && attr(n, "value") == string(models.OrderRefund)
	}); len(got) != 1 {
		t.Errorf("the kind filter offers refund %d times; want once", len(got))
	}
	records, err := csv.NewReader(strings.NewReader(fin.get(transactionsPath + ".csv?kind=refund").wantStatus(http.StatusOK).Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 || records[1][0] != strconv.FormatInt(refund.ID, 10) || records[1][2] != "refund" {
		t.Errorf("CSV of kind=refund: %q; want the header and the refund %d", records, refund.ID)
	}
}

// TestTransactionsRefundTrustlyOrderID: Trustly knows a refund by its deposit's
// orderid, the refund having none of its own; its row in the transactions list
// and among the player's orders on their page showed an empty Trustly orderid. It shows the deposit's, marked as the
// deposit's, while the deposit's row shows its own unmarked. The CSV keeps
// trustly_order_id the order's own (empty for the refund: one order per orderid,
// as readers keying on it expect) and gives the deposit's in a last column
// deposit_trustly_order_id, empty for other kinds.
func TestTransactionsRefundTrustlyOrderID(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	_, player, _ := funded(t, lv, "anna@example.com", "2000")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	if deposit.TrustlyOrderID == "" {
		t.Fatal("the deposit has no Trustly orderid")
	}
	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
	fin.staffReauth(testPassword, "")
	fin.submit(refundPath(deposit.ID), url.Values{"amount": {"300"}}).wantRedirect(refundPath(deposit.ID))
	var refund models.Order
	if err := lv.DB.Where("parent_id = ? AND kind = ?", deposit.ID, models.OrderRefund).Take(&refund).Error; err != nil {
		t.Fatal(err)
	}
	if refund.TrustlyOrderID != "" {
		t.Fatalf("the refund has an orderid of its own %q", refund.TrustlyOrderID)
	}

	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	rows := map[string]*testResponse{}
	for _, page := range []string{transactionsPath, playerPath(player.ID)} {
		for _, n := range fin.get(page).wantStatus(http.StatusOK).byTestID("tx-row") {
			rows[page+" "+attr(n, "data-order")] = &testResponse{t: t, doc: n, what: page + " row " + attr(n, "data-order")}
		}
	}
	for _, tt := range []struct {
		page, name string
		order      int64
		ofDeposit  bool
	}{{transactionsPath, "refund", refund.ID, true}, {transactionsPath, "deposit", deposit.ID, false},
		{playerPath(player.ID), "refund", refund.ID, true}, {playerPath(player.ID), "deposit", deposit.ID, false}} {
		r := rows[tt.page+" "+strconv.FormatInt(tt.order, 10)]
		if r == nil {
			t.Fatalf("%s %d not in %s", tt.name, tt.order, tt.page)
		}
		if got := r.text("tx-trustly-id"); got != deposit.TrustlyOrderID {
			t.Errorf("%s, %s's row: Trustly orderid %q; want the deposit's %q", tt.page, tt.name, got, deposit.TrustlyOrderID)
		}
		switch marked := r.has("tx-trustly-id-of-deposit"); {
		case marked != tt.ofDeposit:
			t.Errorf("%s, %s's row: marked as the deposit's %t; want %t", tt.page, tt.name, marked, tt.ofDeposit)
		case marked && words(r.text("tx-trustly-id-of-deposit")) != "(of the deposit)":
			t.Errorf("%s, %s's row: marked %q; want (of the deposit)", tt.page, tt.name, r.text("tx-trustly-id-of-deposit"))
		}
	}

	records, err := csv.NewReader(strings.NewReader(fin.get(transactionsPath + ".csv").wantStatus(http.StatusOK).Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	last, ok := col["deposit_trustly_order_id"]
	if !ok || last != 12 || col["trustly_order_id"] != 9 {
		t.Fatalf("CSV header %q; want trustly_order_id 10th and deposit_trustly_order_id 13th, as before", records[0])
	}
	exported := map[string][]string{}
	for _, rec := range records[1:] {
		exported[rec[0]] = rec
	}
	for _, tt := range []struct {
		name         string
		order        int64
		own, deposit string
	}{{"refund", refund.ID, "", deposit.TrustlyOrderID}, {"deposit", deposit.ID, deposit.TrustlyOrderID, ""}} {
		rec := exported[strconv.FormatInt(tt.order, 10)]
		if len(rec) != len(records[0]) || rec[col["trustly_order_id"]] != tt.own || rec[last] != tt.deposit {
			t.Errorf("CSV, the %s: %q; want trustly_order_id %q, deposit_trustly_order_id %q", tt.name, rec, tt.own, tt.deposit)
		}
	}
}

// TestRefundFormShowsCredited: a deposit Trustly credited with less than it asked
// shows on its refund form what its credit booked beside the amount asked, so
// that "Deposited 8 000,00 SEK" does not stand beside "Refundable 2 000,00 SEK"
// unexplained; a deposit credited what it asked shows no such line.
func TestRefundFormShowsCredited(t *testing.T) {
	ta := newTestApp(t)
	players, orders := notifyOrders(t, ta.DB, 1, 2, func(i int) int64 { return 800000 })
	short, exact := orders[0], orders[1]
	credit := func(o models.Order, amount string) {
		ta.apply(signNote(t, testTrustlyKey(), trustly.MethodCredit, strconv.FormatInt(7_100_000_000+o.ID, 10), uuid.NewString(), o,
			players[0].EndUserID, map[string]any{"amount": amount}).raw)
	}
	credit(short, "2000.00")
	credit(exact, "8000.00")
	fin, _ := ta.staffSignedIn("fin@example.com", staff.RoleFinance)
	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	sek := func(major int64) string { return words(models.Money{Minor: major * 100, Currency: "SEK"}.Display()) }

	r := fin.get(refundPath(short.ID)).wantStatus(http.StatusOK)
	for _, f := range []struct{ testid, want string }{
		{"refund-deposited", sek(8000)}, {"refund-credited", sek(2000)}, {"refundable", sek(2000)},
	} {
		if got := words(r.text(f.testid)); got != f.want {
			t.Errorf("deposit credited 2 000 of 8 000: %s %q; want %q", f.testid, got, f.want)
		}
	}
	if r := fin.get(refundPath(exact.ID)).wantStatus(http.StatusOK); r.has("refund-credited") {
		t.Errorf("deposit credited what it asked shows a credited line %q", r.text("refund-credited"))
	}
}

// TestRefundFormTimesNameTheirZone: a deposit's refund form lists its refunds'
// times in the member's time zone and names it, as the deposit's order page lists
// the same refunds; they were in UTC there, so one refund read two times an hour
// or more apart on the two pages.
func TestRefundFormTimesNameTheirZone(t *testing.T) {
	ta := newTestApp(t)
	players, orders := notifyOrders(t, ta.DB, 1, 1, func(i int) int64 { return 800000 })
	deposit := orders[0]
	ta.apply(signNote(t, testTrustlyKey(), trustly.MethodCredit, strconv.FormatInt(7_100_000_000+deposit.ID, 10), uuid.NewString(),
		deposit, players[0].EndUserID, map[string]any{"amount": "8000.00"}).raw)
	refund := models.Order{MessageID: "ref-1", Kind: models.OrderRefund, PlayerID: deposit.PlayerID, ParentID: deposit.ID,
		Amount: models.Money{Minor: 10000, Currency: "SEK"}, Status: models.OrderConfirmed, CreatedAt: time.Now()}
	if err := ta.DB.Create(&refund).Error; err != nil {
		t.Fatal(err)
	}
	fin, _ := ta.staffSignedIn("fin@example.com", staff.RoleFinance)
	const zone = "Pacific/Auckland" // never UTC's offset
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}

	var got [2][]string // the refund form's, the order page's
	for i, tt := range []struct{ path, table string }{
		{refundPath(deposit.ID) + "?tz=" + url.QueryEscape(zone), "refunds"},
		{orderPath(deposit.ID), "order-refunds"},
	} {
		r := fin.get(tt.path).wantStatus(http.StatusOK)
		tables := r.byTestID(tt.table)
		if len(tables) != 1 {
			t.Fatalf("%s: no table %s", tt.path, tt.table)
		}
		for _, n := range (&testResponse{t: t, doc: tables[0], what: tt.table}).find(func(n *html.Node) bool {
			return n.Data == "th" || n.Data == "td"
		}) {
			got[i] = append(got[i], textOf(n))
		}
	}
	for i, page := range []string{"refund form", "order page"} {
		if !slices.Contains(got[i], "Created ("+zone+")") || !slices.Contains(got[i], timeIn(refund.CreatedAt, loc)) {
			t.Errorf("%s's refunds %q; want the heading %q over %q", page, got[i], "Created ("+zone+")", timeIn(refund.CreatedAt, loc))
		}
	}
}

// TestReportsAndReconcileNameUTCDays: the reports and reconciliation forms read
// their days as UTC days (dayRange), unlike the other back-office pages, which
// read the member's zone, so each form says so; the reconciliation's said nothing,
// and the reports' said it only under a chart, not when no chart is drawn.
func TestReportsAndReconcileNameUTCDays(t *testing.T) {
	ta := newTestApp(t)
	fin, _ := ta.staffSignedIn("fin@example.com", staff.RoleFinance)
	for _, tt := range []struct{ path, form string }{
		{"/admin/reports?from=2020-01-01&to=2020-01-02&tz=Europe%2FStockholm", "reports-form"},
		{"/admin/reports/reconciliation", "reconcile-form"},
	} {
		r := fin.get(tt.path).wantStatus(http.StatusOK)
		forms := r.byTestID(tt.form)
		if len(forms) != 1 {
			t.Fatalf("%s: no form %s", tt.path, tt.form)
		}
		if got := textOf(forms[0]); !strings.Contains(got, "UTC days") {
			t.Errorf("%s: form %q; want it to say its days are UTC days", tt.path, got)
		}
	}
}

// TestOrderPageDebitAfterRefund: a deposit of 2 000 SEK, 300 of it refunded and
// confirmed, then debited in full by the bank: the wallet is 300 below zero, as
// booked, and both the deposit's page and the refund's say why, with the amounts;
// the deposit's page said nothing before the debit.
func TestOrderPageDebitAfterRefund(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	_, player, _ := funded(t, lv, "anna@example.com", "2000")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
	fin.staffReauth(testPassword, "")
	fin.submit(refundPath(deposit.ID), url.Values{"amount": {"300"}}).wantRedirect(refundPath(deposit.ID))
	var refund models.Order
	if err := lv.DB.Where("parent_id = ? AND kind = ?", deposit.ID, models.OrderRefund).Take(&refund).Error; err != nil {
		t.Fatal(err)
	}
	lv.waitStatus(refund.MessageID, models.OrderConfirmed)
	lv.Sandbox.WaitIdle(t)
	viewer, _ := lv.staffSignedIn("viewer@example.com", staff.RoleViewer)
	if r := viewer.get(orderPath(deposit.ID)).wantStatus(http.StatusOK); r.has("order-refunded-twice") {
		t.Errorf("before the debit the deposit's page explains %q", r.text("order-refunded-twice"))
	}

	debit := signNote(t, lv.Sandbox.Config.Key, trustly.MethodDebit, "3300000001", uuid.NewString(), deposit, player.EndUserID, nil)
	if _, err := lv.Svc.HandleNotification(t.Context(), debit.raw); err != nil {
		t.Fatal(err)
	}
	if w, err := lv.Svc.Wallet(t.Context(), player); err != nil || w.Minor != -30000 {
		t.Fatalf("wallet after the debit: %d, %v; want -30000", w.Minor, err)
	}
	words := func(s string) string { return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ") }
	for _, tt := range []struct {
		page int64
		want string
	}{
		{deposit.ID, "The bank took back 2 000,00 SEK of this deposit (a debit) after 300,00 SEK of it had been refunded to the payer: " +
			"300,00 SEK goes back to the payer twice, by a refund and by the bank's return of the deposit. Both are booked as Trustly " +
			"reported them, so the player's balance is 300,00 SEK lower than before the deposit, below zero unless they held other " +
			"money. Settle it with the player; a refund that comes back from the bank (a credit) returns its money to the balance."},
		{refund.ID, "The bank took back 2 000,00 SEK of this refund's deposit (a debit) after it and the deposit's other refunds, " +
			"300,00 SEK in all, were made: 300,00 SEK goes back to the payer twice, by a refund and by the bank's return of the " +
			"deposit. Both are booked as Trustly reported them, so the player's balance is 300,00 SEK lower than before the deposit, " +
			"below zero unless they held other money. Settle it with the player; if this refund comes back from the bank (a credit), " +
			"its money returns to the balance."},
	} {
		r := viewer.get(orderPath(tt.page)).wantStatus(http.StatusOK)
		if got := words(r.text("order-refunded-twice")); got != tt.want {
			t.Errorf("order %d explains:\n%q\nwant\n%q", tt.page, got, tt.want)
		}
	}
}

// TestOrderPageRefundedInFull: a credited deposit's page offers Refund to finance
// while something of it is left to refund; once refunds take all of it, the page
// says it is refunded in full instead of offering a form that can only say so.
func TestOrderPageRefundedInFull(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	_, player, _ := funded(t, lv, "anna@example.com", "2000")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)
	fin.staffReauth(testPassword, "")
	fin.submit(refundPath(deposit.ID), url.Values{"amount": {"300"}}).wantRedirect(refundPath(deposit.ID))
	if r := fin.get(orderPath(deposit.ID)).wantStatus(http.StatusOK); !r.has("order-refund") || r.has("order-refunded-in-full") {
		t.Error("a deposit with 1 700 left to refund: want the Refund link and no refunded-in-full sentence")
	}
	fin.submit(refundPath(deposit.ID), url.Values{"amount": {"1700"}}).wantRedirect(refundPath(deposit.ID))
	r := fin.get(orderPath(deposit.ID)).wantStatus(http.StatusOK)
	if r.has("order-refund") {
		t.Error("a deposit refunded in full still offers Refund")
	}
	if got := strings.Join(strings.Fields(r.text("order-refunded-in-full")), " "); got != "Refunded in full: nothing of this deposit is left to refund." {
		t.Errorf("refunded-in-full sentence %q", got)
	}
}
