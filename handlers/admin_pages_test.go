package handlers

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
	"gorm.io/gorm"
)

// rowIDs are the order ids of a transactions page, in page order.
func rowIDs(t *testing.T, r *testResponse) []int64 {
	t.Helper()
	var ids []int64
	for _, n := range r.byTestID("tx-row") {
		id, err := strconv.ParseInt(attr(n, "data-order"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestAdminTransactionsCSV: the export is a streamed CSV attachment (no
// Content-Length: written as it is read) of exactly the filtered orders, newest
// first, more than one read batch of them, with times in the member's zone and
// text that a spreadsheet would run as a formula defused.
func TestAdminTransactionsCSV(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
	const n = 3*exportBatch + 13
	storetest.SeedOrders(t, ta.DB, "x-", n, 10, 0)
	ta.DB.Model(&models.Order{}).Where("message_id = ?", "x-3").Update("flag", "=HYPERLINK(\"http://evil\")")
	// x-6 was credited with 2.50 on its order of 7.00.
	ta.DB.Model(&models.Order{}).Where("message_id = ?", "x-6").Updates(map[string]any{"credited_at": time.Now(), "credited_minor": 250})

	r := cl.get("/admin/transactions.csv?kind=deposit&tz=Europe%2FStockholm").wantStatus(http.StatusOK)
	switch {
	case r.Header.Get("Content-Type") != "text/csv; charset=utf-8":
		t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
	case !strings.HasPrefix(r.Header.Get("Content-Disposition"), `attachment; filename="transactions-`):
		t.Errorf("Content-Disposition %q", r.Header.Get("Content-Disposition"))
	case r.Header.Get("Content-Length") != "":
		t.Errorf("Content-Length %q: the export was buffered, not streamed", r.Header.Get("Content-Length"))
	case r.Header.Get("Cache-Control") != "no-store":
		t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	records, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(records[0], ",") != strings.Join(csvHeader, ",") {
		t.Errorf("header %v", records[0])
	}
	rows := records[1:]
	want := 0
	for i := 1; i <= n; i++ {
		if i%3 == 0 {
			want++
		}
	}
	if len(rows) != want || want <= exportBatch {
		t.Fatalf("%d rows; want the %d deposits (more than one batch of %d)", len(rows), want, exportBatch)
	}
	last := int64(1 << 62)
	for _, row := range rows {
		id, _ := strconv.ParseInt(row[0], 10, 64)
		if row[2] != "deposit" || id >= last {
			t.Fatalf("row %v after order %d; want deposits, newest first, each once", row, last)
		}
		last = id
	}
	// The oldest deposit, x-3, was created at SeedStart + 3 s: 01:00:03 in Stockholm.
	oldest := rows[len(rows)-1]
	if oldest[1] != "2026-01-01 01:00:03+01:00" || oldest[4] != "4.00" || oldest[5] != "SEK" || oldest[8] != "x-3" ||
		oldest[10] != `'=HYPERLINK("http://evil")` {
		t.Errorf("oldest row %q; want x-3 at 01:00:03 Stockholm time, 4.00 SEK, its flag defused", oldest)
	}
	if next := rows[len(rows)-2]; next[8] != "x-6" || next[11] != "2.50" || oldest[11] != "" {
		t.Errorf("rows %q and %q; want x-6 credited 2.50, x-3 not credited", next, oldest)
	}
	if r := cl.get("/admin/transactions.csv?kind=withdraw"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown kind: %d; want 422", r.Status)
	}
}

// TestAdminTransactionsListCredited: the list and the order page show beside a
// deposit's amount asked what its credit booked, where the two differ, and only there.
func TestAdminTransactionsListCredited(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
	storetest.SeedOrders(t, ta.DB, "c-", 9, 1, 0)
	// c-6 (7.00 EUR) was credited 2.50; c-3 (4.00 SEK) exactly what it asked.
	ta.DB.Model(&models.Order{}).Where("message_id = ?", "c-6").Updates(map[string]any{"credited_at": time.Now(), "credited_minor": 250})
	ta.DB.Model(&models.Order{}).Where("message_id = ?", "c-3").Updates(map[string]any{"credited_at": time.Now(), "credited_minor": 400})
	var short models.Order
	ta.DB.Where("message_id = ?", "c-6").Take(&short)

	r := cl.get("/admin/transactions?kind=deposit").wantStatus(http.StatusOK)
	credited := r.byTestID("tx-credited")
	if len(credited) != 1 {
		t.Fatalf("%d credited lines; want 1, for c-6 alone", len(credited))
	}
	row := credited[0]
	for row != nil && attr(row, "data-testid") != "tx-row" {
		row = row.Parent
	}
	want := strings.Join(strings.Fields("credited "+models.Money{Minor: 250, Currency: "EUR"}.Display()), " ")
	if got := strings.Join(strings.Fields(textOf(credited[0])), " "); row == nil ||
		attr(row, "data-order") != strconv.FormatInt(short.ID, 10) || got != want {
		t.Errorf("credited line %q; want %q in c-6's row (order %d)", got, want, short.ID)
	}
	// The order page says the same; c-3's, credited what it asked, has no such line.
	r = cl.get("/admin/orders/" + strconv.FormatInt(short.ID, 10)).wantStatus(http.StatusOK)
	if got := strings.Join(strings.Fields(r.text("order-credited")), " "); "credited "+got != want {
		t.Errorf("order page: credited %q; want %q", got, want)
	}
	var exact models.Order
	ta.DB.Where("message_id = ?", "c-3").Take(&exact)
	if r := cl.get("/admin/orders/" + strconv.FormatInt(exact.ID, 10)).wantStatus(http.StatusOK); r.has("order-credited") {
		t.Errorf("c-3's order page shows a credited amount: %q", r.text("order-credited"))
	}
}

// TestAdminTransactionsPages: following "Older" from the first page gives every
// order once, newest first, while new orders arrive between pages; the filter
// stays on every page; the search finds an order by Trustly's orderid; the
// totals page sums the filter.
func TestAdminTransactionsPages(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
	storetest.SeedOrders(t, ta.DB, "p-", 3*txPageSize+7, 4, 0)
	var want []int64
	ta.DB.Model(&models.Order{}).Where("kind = ?", "payout").Order("id DESC").Pluck("id", &want)

	r := cl.get("/admin/transactions/totals?kind=deposit&currency=SEK&to=2026-01-01").wantStatus(http.StatusOK)
	var count, sum int64
	for i := int64(1); i <= 3*txPageSize+7; i++ {
		if i%3 == 0 && i%2 == 1 {
			count++
			sum += (i%1000 + 1) * 100
		}
	}
	wantSum := strings.Join(strings.Fields(models.Money{Minor: sum, Currency: "SEK"}.Display()), " ")
	if r.text("total-count") != strconv.FormatInt(count, 10) || strings.Join(strings.Fields(r.text("total-sum")), " ") != wantSum {
		t.Errorf("totals %s orders, %s; want %d, %s", r.text("total-count"), r.text("total-sum"), count, wantSum)
	}

	var got []int64
	path := "/admin/transactions?kind=payout"
	for page := 0; path != ""; page++ {
		r := cl.get(path).wantStatus(http.StatusOK)
		got = append(got, rowIDs(t, r)...)
		path = ""
		if r.has("tx-next") {
			path = attr(r.byTestID("tx-next")[0], "href")
			if !strings.Contains(path, "kind=payout") {
				t.Fatalf("next page %q loses the filter", path)
			}
		}
		storetest.SeedOrders(t, ta.DB, "q"+strconv.Itoa(page)+"-", 5, 4, time.Hour)
	}
	if len(got) != len(want) {
		t.Fatalf("pages gave %d payouts; want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("page row %d is order %d; want %d (no duplicates, no gaps)", i, got[i], want[i])
		}
	}

	r = cl.get("/admin/transactions?q=p-t17").wantStatus(http.StatusOK)
	if ids := rowIDs(t, r); len(ids) != 1 || r.text("tx-kind") != "Account selection" {
		t.Errorf("search by Trustly orderid: %v %q; want the one order p-17", ids, r.text("tx-kind"))
	}
	if r := cl.get("/admin/transactions?player=abc"); r.Status != http.StatusUnprocessableEntity || !r.has("problem") {
		t.Errorf("player abc: %d; want 422 with a problem", r.Status)
	}

}

// TestAdminBlockPlayer: an operator blocks a player with a reason: the player's
// session, and a copy of its cookie, are refused at once; signing in again is
// refused with a sentence; a deposit is refused; each change is one audit row and
// the profile shows the state and the notes.
func TestAdminBlockPlayer(t *testing.T) {
	ta := newTestApp(t)
	pl, player := ta.signedIn("anna@example.com")
	copied := ta.client()
	copied.setCookie(sessionCookie, pl.cookie(sessionCookie).Value)
	copied.get("/cashier").wantStatus(http.StatusOK)
	op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	viewer, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
	audits := func(event staff.Event) int64 {
		var n int64
		ta.DB.Model(&staff.Audit{}).Where("player_id = ? AND event = ?", player.ID, event).Count(&n)
		return n
	}
	path := playerPath(player.ID)
	if r := viewer.get(path); r.has("block-form") || r.has("note-form") {
		t.Error("a viewer is offered to block or write notes")
	}
	viewer.submit(path+"/block", url.Values{"reason": {"x"}}).wantStatus(http.StatusForbidden)

	op.submit(path+"/block", url.Values{}).wantRedirect(path)
	if audits(staff.EventPlayerBlocked) != 0 || op.get(path).text("flash") != "Say why the player is blocked." {
		t.Fatal("blocking without a reason was done, or not explained")
	}
	op.submit(path+"/block", url.Values{"reason": {"chargebacks"}}).wantRedirect(path)
	pl.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	copied.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	r := ta.client().submit("/login", url.Values{"email": {"anna@example.com"}, "password": {testPassword}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Your account is blocked") {
		t.Errorf("a blocked player signing in: %d; want 422 saying the account is blocked", r.Status)
	}
	if _, err := ta.Svc.StartDeposit(context.Background(), player, models.Money{Minor: 10000, Currency: "SEK"}, "127.0.0.1"); err == nil ||
		!strings.Contains(err.Error(), "blocked") {
		t.Errorf("a blocked player's deposit: %v; want refused", err)
	}
	page := op.get(path)
	if !page.has("player-blocked") || !page.has("unblock-form") || audits(staff.EventPlayerBlocked) != 1 {
		t.Errorf("after blocking: blocked shown %t, %d audit rows; want shown and 1", page.has("player-blocked"), audits(staff.EventPlayerBlocked))
	}

	op.submit(path+"/notes", url.Values{"note": {"called the player"}}).wantRedirect(path)
	op.submit(path+"/notes", url.Values{"note": {"  "}}).wantRedirect(path)
	if got := op.get(path).text("player-note"); !strings.Contains(got, "op@example.com: called the player") || audits(staff.EventPlayerNote) != 1 {
		t.Errorf("note %q, %d audit rows; want the note and 1 row", got, audits(staff.EventPlayerNote))
	}
	op.submit(path+"/unblock", url.Values{"reason": {"settled"}}).wantRedirect(path)
	op.submit(path+"/unblock", url.Values{"reason": {"settled"}}).wantRedirect(path) // sent twice
	op.submit(path+"/unblock", url.Values{"reason": {"again"}}).wantStatus(http.StatusConflict)
	if audits(staff.EventPlayerUnblocked) != 1 {
		t.Errorf("%d unblock audit rows; want 1", audits(staff.EventPlayerUnblocked))
	}
	pl.signIn("anna@example.com", testPassword)
	pl.get("/cashier").wantStatus(http.StatusOK)
	if r := op.get("/admin/players?q=anna@example.com"); len(r.byTestID("player-row")) != 1 {
		t.Errorf("search by email found %d players; want 1", len(r.byTestID("player-row")))
	}
	op.get("/admin/players/999999").wantStatus(http.StatusNotFound)
}

// TestAdminFlaggedResolution: a flagged order and a notification for an unknown
// order are listed until resolved with a note (one audit row each); the order
// keeps showing the resolution; a new flag puts it back on the list.
func TestAdminFlaggedResolution(t *testing.T) {
	ta := newTestApp(t)
	op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	storetest.SeedOrders(t, ta.DB, "f-", 3, 1, 0)
	var order models.Order
	ta.DB.Where("message_id = ?", "f-2").Take(&order)
	ta.DB.Model(&order).Update("flag", "credit for another amount")
	now := time.Now().UTC()
	n := models.Notification{NotificationID: "n-unknown", Method: "credit", UUID: "u", TrustlyOrderID: "987",
		Raw: `{"method":"credit"}`, Answer: `{"result":"OK"}`, Status: "OK", Deliveries: 3, ReceivedAt: now, LastDeliveryAt: now}
	ta.DB.Create(&n)

	list := op.get(flaggedPath).wantStatus(http.StatusOK)
	if ids := rowIDs(t, list); len(ids) != 1 || ids[0] != order.ID || len(list.byTestID("unmatched")) != 1 {
		t.Fatalf("flagged list: orders %v, %d unmatched; want order %d and 1", ids, len(list.byTestID("unmatched")), order.ID)
	}
	count := func() int64 {
		var c int64
		ta.DB.Model(&staff.Audit{}).Where("event = ?", staff.EventFlagResolved).Count(&c)
		return c
	}
	op.submit(orderPath(order.ID)+"/resolve", url.Values{"note": {""}}).wantRedirect(orderPath(order.ID))
	if count() != 0 {
		t.Fatal("a resolution without a note was recorded")
	}
	op.submit(orderPath(order.ID)+"/resolve", url.Values{"note": {"bank rounding; booked as Trustly said"}}).wantRedirect(orderPath(order.ID))
	op.submit(orderPath(order.ID)+"/resolve", url.Values{"note": {"twice"}}).wantStatus(http.StatusConflict)
	nid := strconv.FormatInt(n.ID, 10)
	op.submit("/admin/notifications/"+nid+"/resolve", url.Values{"note": {"test message from Trustly"}}).wantRedirect(flaggedPath)
	if count() != 2 {
		t.Errorf("%d resolution audit rows; want 2", count())
	}
	list = op.get(flaggedPath)
	if len(rowIDs(t, list)) != 0 || list.has("unmatched") {
		t.Error("resolved items are still listed")
	}
	page := op.get(orderPath(order.ID))
	if !strings.Contains(page.text("order-resolution"), "bank rounding") || page.has("resolve-form") {
		t.Errorf("order page resolution %q; want it shown, with no form", page.text("order-resolution"))
	}
	ta.DB.Model(&order).Update("flag", "credit for another amount; second credit")
	if ids := rowIDs(t, op.get(flaggedPath)); len(ids) != 1 {
		t.Errorf("a new flag after the resolution: %v listed; want the order back", ids)
	}
	op.submit("/admin/notifications/999999/resolve", url.Values{"note": {"x"}}).wantStatus(http.StatusNotFound)
}

// TestAdminTransactionsDatedPages: with a date range, following "Older" from the
// first page gives every order of the range once, newest first by creation time
// with ties by id (ids out of creation order: orders seeded later with earlier
// times), while new orders arrive between pages; each next page carries the range
// and a cursor of time and id; a cursor of the other kind is a page that does not
// exist.
func TestAdminTransactionsDatedPages(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
	storetest.SeedOrders(t, ta.DB, "p-", 2*txPageSize+7, 4, 0)
	storetest.SeedOrders(t, ta.DB, "r-", 60, 4, 40*time.Second) // two orders in each of 60 seconds
	storetest.SeedOrders(t, ta.DB, "s-", 10, 4, -48*time.Hour)  // outside the range
	var orders []models.Order
	ta.DB.Select("id", "created_at").Where("created_at >= ?", storetest.SeedStart).Find(&orders)
	slices.SortFunc(orders, func(a, b models.Order) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	var want []int64
	for _, o := range orders {
		want = append(want, o.ID)
	}

	var got []int64
	path := "/admin/transactions?from=2026-01-01&to=2026-01-01&tz=UTC"
	for page := 0; path != ""; page++ {
		r := cl.get(path).wantStatus(http.StatusOK)
		got = append(got, rowIDs(t, r)...)
		path = ""
		if r.has("tx-next") {
			path = attr(r.byTestID("tx-next")[0], "href")
			u, err := url.Parse(path)
			if err != nil {
				t.Fatal(err)
			}
			if q := u.Query(); q.Get("from") != "2026-01-01" || q.Get("to") != "2026-01-01" ||
				!regexp.MustCompile(`^[0-9]+_[0-9]+$`).MatchString(q.Get("before")) {
				t.Fatalf("next page %q; want the range and a cursor <time>_<id>", path)
			}
		}
		storetest.SeedOrders(t, ta.DB, "q"+strconv.Itoa(page)+"-", 5, 4, time.Hour)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages gave %d orders\n%v\nwant %d, newest first, ties by id (no duplicates, no gaps)\n%v", len(got), got, len(want), want)
	}

	for _, path := range []string{"/admin/transactions?from=2026-01-01&before=12", "/admin/transactions?before=1767225600000000000_12",
		"/admin/transactions?from=2026-01-01&before=x_12", "/admin/transactions?from=2026-01-01&before=1767225600000000000_0"} {
		if r := cl.get(path); r.Status != http.StatusUnprocessableEntity || !r.has("problem") {
			t.Errorf("%s: %d; want 422 with a problem", path, r.Status)
		}
	}
}

// TestAdminTransactionsCSVTimesNameTheirOffset: the export's times, in the
// member's zone, carry their UTC offset, since the file says nowhere else which
// zone they are in: two orders an hour apart in the hour that Stockholm's clocks
// go back (2026-10-25, 02:30 local twice) read differently, and so do winter's
// +01:00 and summer's +02:00.
func TestAdminTransactionsCSVTimesNameTheirOffset(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
	// Order 1 of each call is created at SeedStart + 1 s + offset.
	at := func(utc time.Time) time.Duration { return utc.Sub(storetest.SeedStart) - time.Second }
	storetest.SeedOrders(t, ta.DB, "first-", 1, 1, at(time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)))
	storetest.SeedOrders(t, ta.DB, "second-", 1, 1, at(time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)))
	storetest.SeedOrders(t, ta.DB, "summer-", 1, 1, at(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)))

	r := cl.get("/admin/transactions.csv?tz=Europe%2FStockholm").wantStatus(http.StatusOK)
	records, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, row := range records[1:] {
		got[row[8]] = row[1]
	}
	want := map[string]string{"first-1": "2026-10-25 02:30:00+02:00", "second-1": "2026-10-25 02:30:00+01:00",
		"summer-1": "2026-07-01 14:00:00+02:00"}
	if !maps.Equal(got, want) {
		t.Errorf("created by messageid %v; want %v", got, want)
	}
}

// TestAdminOrderTimesNameTheirZone: every time on an order's page is in the
// member's zone and says which: the calls to Trustly, the notifications, the
// ledger transfers, the audit rows and the resolutions of its flags, as its
// creation and its timeline already did.
func TestAdminOrderTimesNameTheirZone(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	_, player, _ := funded(t, lv, "anna@example.com", "800")
	var deposit models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	lv.DB.Model(&deposit).Update("flag", "needs a look")
	op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
	const zone = "Europe/Helsinki"
	op.get(transactionsPath + "?tz=" + url.QueryEscape(zone)).wantStatus(http.StatusOK)
	op.submit(orderPath(deposit.ID)+"/resolve", url.Values{"note": {"looked"}}).wantRedirect(orderPath(deposit.ID))

	page := op.get(orderPath(deposit.ID)).wantStatus(http.StatusOK)
	var headings []string
	for _, n := range page.find(func(n *html.Node) bool { return slices.Contains([]string{"th", "dt", "h2"}, n.Data) }) {
		headings = append(headings, strings.Join(strings.Fields(textOf(n)), " "))
	}
	for _, want := range []string{"Created", "Timeline", "When", "Received", "Audit"} {
		if !slices.Contains(headings, want+" ("+zone+")") {
			t.Errorf("headings %q; want %q", headings, want+" ("+zone+")")
		}
	}
	for _, bare := range []string{"When", "Received", "Audit"} {
		if slices.Contains(headings, bare) {
			t.Errorf("heading %q names no zone", bare)
		}
	}
	if got := page.text("order-resolution"); !strings.Contains(got, "("+zone+")") {
		t.Errorf("resolution %q; want its time's zone named", got)
	}
}

// TestAdminAuditTimesInStaffZone: the audit page shows its times in the member's
// time zone and names it, and reads its date range in that zone, as the
// transactions list does and as the order page lists the same audit rows; it was
// in UTC days, which its filter did not say.
func TestAdminAuditTimesInStaffZone(t *testing.T) {
	ta := newTestApp(t)
	op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	// 20:00 UTC on 10 January is 09:00 on 11 January in Auckland.
	row := staff.Audit{At: time.Date(2026, 1, 10, 20, 0, 0, 0, time.UTC), Event: staff.EventFlagResolved, OrderID: 4711,
		Reason: "late evening"}
	if err := ta.DB.Create(&row).Error; err != nil {
		t.Fatal(err)
	}
	const zone = "Pacific/Auckland"
	for _, tt := range []struct {
		query string
		want  bool
	}{{"from=2026-01-11&to=2026-01-11", true}, {"from=2026-01-10&to=2026-01-10", false}} {
		r := op.get("/admin/audit?order=4711&" + tt.query + "&tz=" + url.QueryEscape(zone)).wantStatus(http.StatusOK)
		var cells []string
		for _, n := range r.find(func(n *html.Node) bool { return n.Data == "th" || n.Data == "td" }) {
			cells = append(cells, textOf(n))
		}
		if !slices.Contains(cells, "When ("+zone+")") {
			t.Errorf("%s: headings %q; want %q", tt.query, cells, "When ("+zone+")")
		}
		if got := slices.Contains(cells, "2026-01-11 09:00:00"); got != tt.want {
			t.Errorf("%s: cells %q; want the row at 2026-01-11 09:00:00 %t", tt.query, cells, tt.want)
		}
	}
}

// TestAdminTotalsAccountSelectionNoMoney: the totals of account selections say
// they move no money, as their rows do on the list, the order page and the
// approvals queue, instead of a sum of 0,00 that reads as payments of nothing.
func TestAdminTotalsAccountSelectionNoMoney(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
	storetest.SeedOrders(t, ta.DB, "p-", 12, 4, 0)
	sums := map[string]string{}
	for _, n := range cl.get(transactionsPath + "/totals").wantStatus(http.StatusOK).byTestID("total-row") {
		sums[attr(n, "data-kind")] = (&testResponse{t: t, doc: n, what: "total row"}).text("total-sum")
	}
	if got := sums[string(models.OrderSelectAccount)]; got != noMoneyText {
		t.Errorf("account selections' sum %q; want %q", got, noMoneyText)
	}
	if got := sums[string(models.OrderDeposit)]; got == "" || got == noMoneyText {
		t.Errorf("deposits' sum %q; want an amount", got)
	}
}

// TestAdminTransactionsAmountNeedsCurrency: an amount means something only in its
// currency (100 SEK is about 9 EUR), so the amount filter without a currency is
// refused with a sentence saying to choose one, on the list, the totals and the
// export alike, instead of matching 100 SEK and 100 EUR together; with a currency
// it matches that currency's orders only.
func TestAdminTransactionsAmountNeedsCurrency(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
	storetest.SeedOrders(t, ta.DB, "a-", 10, 4, 0)
	ta.DB.Model(&models.Order{}).Where("message_id = ?", "a-1").Updates(map[string]any{"amount_minor": 10000, "amount_currency": "SEK"})
	ta.DB.Model(&models.Order{}).Where("message_id = ?", "a-4").Updates(map[string]any{"amount_minor": 10000, "amount_currency": "EUR"})
	var sek int64
	ta.DB.Model(&models.Order{}).Where("message_id = ?", "a-1").Pluck("id", &sek)

	for _, q := range []string{"min=100", "max=100", "min=100&max=100", "min=100&kind=payout"} {
		r := cl.get("/admin/transactions?" + q)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.text("problem"), "currency") || len(rowIDs(t, r)) != 0 {
			t.Errorf("?%s: %d, %q, rows %v; want 422 asking for a currency and no rows", q, r.Status, r.text("problem"), rowIDs(t, r))
		}
		if r := cl.get("/admin/transactions/totals?" + q); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.text("problem"), "currency") {
			t.Errorf("totals ?%s: %d, %q; want 422 asking for a currency", q, r.Status, r.text("problem"))
		}
		if r := cl.get("/admin/transactions.csv?" + q); r.Status == http.StatusOK {
			t.Errorf("export ?%s: 200; want it refused", q)
		}
	}
	r := cl.get("/admin/transactions?currency=SEK&min=100&max=100").wantStatus(http.StatusOK)
	if ids := rowIDs(t, r); len(ids) != 1 || ids[0] != sek {
		t.Errorf("100 SEK: rows %v; want only order %d", ids, sek)
	}
	// Without an amount, no currency is needed.
	cl.get("/admin/transactions?kind=payout").wantStatus(http.StatusOK)
}

// TestAdminListsTimesNameTheirZone: the lists the per-page tests above leave out
// (transactions, players, flagged) name the member's zone over their times too,
// and no time column of theirs is bare, so every back-office time says its zone
// (the reports and reconciliation say UTC, TestReportsAndReconcileNameUTCDays).
func TestAdminListsTimesNameTheirZone(t *testing.T) {
	ta := newTestApp(t)
	op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	storetest.SeedOrders(t, ta.DB, "z-", 3, 1, 0)
	ta.DB.Model(&models.Order{}).Where("message_id = ?", "z-1").Update("flag", "needs a look")
	p := ta.player("zoe@example.com")
	const zone = "Pacific/Auckland"
	op.get(transactionsPath + "?tz=" + url.QueryEscape(zone)).wantStatus(http.StatusOK)
	for _, tt := range []struct{ path, heading string }{
		{transactionsPath, "Created"},
		{flaggedPath, "Created"},
		{"/admin/players?q=" + url.QueryEscape(p.Email), "Since"},
	} {
		r := op.get(tt.path).wantStatus(http.StatusOK)
		var headings []string
		for _, n := range r.find(func(n *html.Node) bool { return n.Data == "th" }) {
			headings = append(headings, strings.Join(strings.Fields(textOf(n)), " "))
		}
		if !slices.Contains(headings, tt.heading+" ("+zone+")") {
			t.Errorf("%s: headings %q; want %q", tt.path, headings, tt.heading+" ("+zone+")")
		}
		for _, bare := range []string{"Created", "Since", "When", "Received", "Date"} {
			if slices.Contains(headings, bare) {
				t.Errorf("%s: heading %q names no zone", tt.path, bare)
			}
		}
	}
}

// TestPlayerSearchLongWords: a search longer than the 254 bytes read is cut
// between characters, so a long name in any script finds what its first 254 bytes
// find and shows them again in the search box; cut inside a character it was no
// text, which PostgreSQL refused with 500.
func TestPlayerSearchLongWords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		op, _ := ta.staffSignedIn("op@example.com", staff.RoleViewer)
		term := "a" + strings.Repeat("ö", 200) // byte 254 is inside an "ö"
		r := op.get("/admin/players?q=" + url.QueryEscape(term)).wantStatus(http.StatusOK)
		if got := r.value("player-q"); !utf8.ValidString(got) || len(got) != 253 || !strings.HasPrefix(term, got) {
			t.Errorf("search box holds %d bytes, valid %t; want the first 253 bytes of what was typed", len(got), utf8.ValidString(got))
		}
	})
}

// TestAdminBlockTwiceSaysSo: blocking a player someone blocked already (from
// another tab, or another member at the same time) says it was blocked already,
// and by whom, rather than that it is now, writes nothing and shows back the
// reason typed, which nothing records (409); likewise unblocking one who is not
// blocked. The same form sent twice goes back as before. Each change is one audit
// row.
func TestAdminBlockTwiceSaysSo(t *testing.T) {
	ta := newTestApp(t)
	_, player := ta.signedIn("anna@example.com")
	op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	path := playerPath(player.ID)
	audits := func() int64 {
		var n int64
		ta.DB.Model(&staff.Audit{}).Where("player_id = ?", player.ID).Count(&n)
		return n
	}
	for _, tt := range []struct {
		action, reason, said string
		audits               int64
		moot                 bool // answered 409 with the reason shown back, not recorded
	}{
		{"/unblock", "not blocked", "The player was not blocked; nothing changed.", 0, true},
		{"/block", "chargebacks", "The player is blocked and signed out everywhere.", 1, false},
		{"/block", "chargebacks", "The player was blocked already; nothing changed.", 1, false}, // sent twice
		{"/block", "chargebacks, from another tab", "The player was blocked already, by op@example.com; nothing changed.", 1, true},
		{"/unblock", "settled", "The player is unblocked.", 2, false},
		{"/unblock", "settled, from another tab", "The player was unblocked already, by op@example.com; nothing changed.", 2, true},
	} {
		res := op.submit(path+tt.action, url.Values{"reason": {tt.reason}})
		got, shown := "", ""
		if tt.moot {
			res.wantStatus(http.StatusConflict)
			got, shown = res.text("flash"), res.text("not-recorded-text")
		} else {
			res.wantRedirect(path)
			got = op.get(path).text("flash")
		}
		if got != tt.said || audits() != tt.audits || tt.moot && shown != tt.reason {
			t.Errorf("%s (%s): %q, %d audit rows, shown back %q; want %q, %d", tt.action, tt.reason, got, audits(), shown, tt.said, tt.audits)
		}
	}
}

// TestAdminPlayerOrdersMore: a player's page lists their newest orders only
// (cashier.PlayerOrdersShown); when they have more it says so and links to all of
// them under Transactions, filtered by the player, where the older ones are. With
// as many orders as are shown, it says nothing of more.
func TestAdminPlayerOrdersMore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		other := ta.player("other@example.com")
		p := ta.player("anna@example.com")
		viewer, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		storetest.SeedOrders(t, ta.DB, "x-", cashier.PlayerOrdersShown, 1, 0)
		storetest.SeedOrders(t, ta.DB, "y-", 3, 1, time.Hour) // the other player's
		ta.DB.Model(&models.Order{}).Where("message_id LIKE ?", "x-%").Update("player_id", p.ID)
		ta.DB.Model(&models.Order{}).Where("message_id LIKE ?", "y-%").Update("player_id", other.ID)

		r := viewer.get(playerPath(p.ID)).wantStatus(http.StatusOK)
		if n := len(r.byTestID("tx-row")); n != cashier.PlayerOrdersShown || r.has("player-orders-more") {
			t.Errorf("%d orders: %d rows, notice %q; want them all and no notice", cashier.PlayerOrdersShown, n, r.text("player-orders-more"))
		}

		var oldest models.Order
		ta.DB.Where("message_id = ?", "x-1").Take(&oldest)
		storetest.SeedOrders(t, ta.DB, "z-", 1, 1, 2*time.Hour)
		ta.DB.Model(&models.Order{}).Where("message_id = ?", "z-1").Update("player_id", p.ID)
		r = viewer.get(playerPath(p.ID)).wantStatus(http.StatusOK)
		ids := rowIDs(t, r)
		want := fmt.Sprintf("Only the %d newest orders are listed here: all of them under Transactions.", cashier.PlayerOrdersShown)
		if len(ids) != cashier.PlayerOrdersShown || slices.Contains(ids, oldest.ID) || r.text("player-orders-more") != want {
			t.Fatalf("%d orders: %d rows (oldest shown %t), notice %q; want the %d newest and %q",
				cashier.PlayerOrdersShown+1, len(ids), slices.Contains(ids, oldest.ID), r.text("player-orders-more"), cashier.PlayerOrdersShown, want)
		}
		links := r.find(func(n *html.Node) bool { return n.Data == "a" && attr(n, "data-testid") == "player-orders-all" })
		if len(links) != 1 {
			t.Fatalf("%d links to all the player's orders; want 1", len(links))
		}
		var listed []int64
		for next := attr(links[0], "href"); next != ""; {
			page := viewer.get(next).wantStatus(http.StatusOK)
			listed = append(listed, rowIDs(t, page)...)
			next = ""
			if older := page.byTestID("tx-next"); len(older) > 0 {
				next = attr(older[0], "href")
			}
		}
		var theirs []int64
		ta.DB.Model(&models.Order{}).Where("player_id = ?", p.ID).Order("id DESC").Pluck("id", &theirs)
		if !slices.Equal(listed, theirs) {
			t.Errorf("the link %q lists %v; want the player's %d orders %v", attr(links[0], "href"), listed, len(theirs), theirs)
		}
	})
}

// TestPlayerSearchSaysMore: a search lists the newest players it finds, at most
// cashier.PlayersFound; when it finds more it says so, and says how to narrow it,
// rather than let the list pass for all of them (without a search, the page lists
// the newest players and says there are more). A search that finds nobody says
// so too, and one that finds exactly as many as are listed says nothing of more.
func TestPlayerSearchSaysMore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		viewer, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		add := func(from, to int) {
			for i := from; i <= to; i++ {
				p := models.Player{EndUserID: fmt.Sprintf("p-many-%d", i), Email: fmt.Sprintf("many%d@example.com", i),
					FirstName: "Karin", LastName: "Andersson", Country: "SE", Currency: "SEK", CreatedAt: time.Now()}
				if err := ta.DB.Create(&p).Error; err != nil {
					t.Fatal(err)
				}
			}
		}
		add(1, cashier.PlayersFound)
		r := viewer.get("/admin/players?q=andersson").wantStatus(http.StatusOK)
		if n := len(r.byTestID("player-row")); n != cashier.PlayersFound || r.has("players-more") || r.has("players-none") {
			t.Errorf("%d players found: %d rows, more %t, none %t; want them all and no notice", cashier.PlayersFound, n,
				r.has("players-more"), r.has("players-none"))
		}
		add(cashier.PlayersFound+1, cashier.PlayersFound+1)
		r = viewer.get("/admin/players?q=andersson").wantStatus(http.StatusOK)
		want := fmt.Sprintf("More players match than the %d newest listed here: narrow the search (an email, a personid, more of the name) to find the others.", cashier.PlayersFound)
		if n := len(r.byTestID("player-row")); n != cashier.PlayersFound || !r.has("players-more") || r.text("players-more") != want {
			t.Errorf("%d players found: %d rows, more %t; want %d and %q", cashier.PlayersFound+1, n, r.has("players-more"), cashier.PlayersFound, want)
		}
		r = viewer.get("/admin/players").wantStatus(http.StatusOK)
		want = fmt.Sprintf("There are more players than the %d newest listed here: search to find the others.", cashier.PlayersFound)
		if n := len(r.byTestID("player-row")); n != cashier.PlayersFound || !r.has("players-more") || r.text("players-more") != want {
			t.Errorf("no search, %d players: %d rows, more %t; want %d and %q", cashier.PlayersFound+1, n, r.has("players-more"), cashier.PlayersFound, want)
		}
		r = viewer.get("/admin/players?q=nobody-at-all").wantStatus(http.StatusOK)
		if len(r.byTestID("player-row")) != 0 || !r.has("players-none") || r.text("players-none") != "No player matches." || r.has("players-more") {
			t.Errorf("a search finding nobody: rows %d, none %t; want \"No player matches.\"", len(r.byTestID("player-row")), r.has("players-none"))
		}
	})
}

// TestAdminOrderEmptySectionsSayNone: a section of an order's page with nothing
// in it says so in a sentence (no call made, no notification received, no
// transfer booked, nothing done by staff) instead of showing a table's headings
// over no row, or a heading over nothing; one with something shows its table.
func TestAdminOrderEmptySectionsSayNone(t *testing.T) {
	ta := newTestApp(t)
	player := ta.player("anna@example.com")
	order := models.Order{PlayerID: player.ID, Kind: models.OrderDeposit, Status: models.OrderStarted,
		MessageID: models.NewMessageID(models.OrderDeposit), Amount: models.Money{Minor: 10000, Currency: "SEK"}}
	if err := ta.DB.Create(&order).Error; err != nil {
		t.Fatal(err)
	}
	op, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	page := op.get(orderPath(order.ID)).wantStatus(http.StatusOK)
	for none, table := range map[string]string{"order-calls-none": "order-calls", "order-notifications-none": "order-notifications",
		"order-transfers-none": "order-transfers", "order-audit-none": "order-audit"} {
		if !page.has(none) || page.has(table) {
			t.Errorf("an order with no %s: sentence %t, table %t; want the sentence alone", table, page.has(none), page.has(table))
		}
	}

	call := models.APICall{OrderID: order.ID, PlayerID: player.ID, Method: "Deposit", Request: `{}`, Response: `{}`, At: time.Now().UTC()}
	if err := ta.DB.Create(&call).Error; err != nil {
		t.Fatal(err)
	}
	page = op.get(orderPath(order.ID)).wantStatus(http.StatusOK)
	if page.has("order-calls-none") || !page.has("order-calls") {
		t.Errorf("an order with a call: sentence %t, table %t; want the table alone", page.has("order-calls-none"), page.has("order-calls"))
	}
}
