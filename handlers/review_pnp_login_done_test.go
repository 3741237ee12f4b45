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

// TestPayNPlayLoginSignedInForStaff: a "Log in with your bank" through the
// sandbox whose kyc said CONTINUE and whose browser signed in reads "Signed in"
// for staff, where it read "Checkout started" (then "Abandoned"): in the
// transactions list and its filter, on the player's page and on the order page,
// whose timeline has the sign-in; the CSV keeps the code, signed-in.
func TestPayNPlayLoginSignedInForStaff(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	cl := lv.client()
	login := startPayNPlay(cl, "SE", "")
	lv.waitDecision(login)
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(login)).wantRedirect("/cashier")
	var order models.Order
	if err := lv.DB.Where("message_id = ?", login).Take(&order).Error; err != nil {
		t.Fatal(err)
	}
	if order.Status != models.OrderSignedIn || !order.LoginOnly || order.SignedInAt == nil {
		t.Fatalf("the login after its sign-in: %s, login only %t, signed in %v; want signed-in", order.Status, order.LoginOnly, order.SignedInAt)
	}
	id := strconv.FormatInt(order.ID, 10)
	fin, _ := lv.staffSignedIn("fin@example.com", staff.RoleFinance)

	for _, path := range []string{transactionsPath, transactionsPath + "?status=signed-in", playerPath(order.PlayerID)} {
		r := fin.get(path).wantStatus(http.StatusOK)
		found := false
		for _, n := range r.byTestID("tx-row") {
			if attr(n, "data-order") != id {
				continue
			}
			found = true
			row := &testResponse{t: t, doc: n, what: "row"}
			if got := row.text("tx-status"); got != "Signed in" {
				t.Errorf("%s: the login reads %q; want %q", path, got, "Signed in")
			}
			if got := attr(row.byTestID("tx-status")[0], "title"); got != "signed-in" {
				t.Errorf("%s: the login's status code %q; want signed-in in the cell's title", path, got)
			}
		}
		if !found {
			t.Errorf("%s does not list the login", path)
		}
	}
	r := fin.get(transactionsPath + "?status=signed-in").wantStatus(http.StatusOK)
	if ids := rowIDs(t, r); !slices.Equal(ids, []int64{order.ID}) {
		t.Errorf("filtered by status=signed-in: %v; want [%d]", ids, order.ID)
	}
	var labels []string
	for _, o := range (&testResponse{t: t, doc: r.byTestID("filter-status")[0], what: "filter"}).find(func(n *html.Node) bool { return n.Data == "option" }) {
		if attr(o, "value") == "signed-in" {
			labels = append(labels, textOf(o))
		}
	}
	if !slices.Equal(labels, []string{"Signed in"}) {
		t.Errorf("the status filter's option signed-in reads %q; want [Signed in]", labels)
	}

	page := fin.get(orderPath(order.ID)).wantStatus(http.StatusOK)
	if got := page.text("order-status"); got != "Signed in" {
		t.Errorf("the order page reads %q; want Signed in", got)
	}
	var events []string
	for _, n := range page.byTestID("timeline-event") {
		events = append(events, textOf(n))
	}
	if !slices.ContainsFunc(events, func(e string) bool { return strings.HasSuffix(e, ": signed in") }) {
		t.Errorf("the order's timeline %q lacks the sign-in", events)
	}

	records, err := csv.NewReader(strings.NewReader(fin.get(transactionsPath + ".csv").wantStatus(http.StatusOK).Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	exported := false
	for _, rec := range records[1:] {
		if rec[0] == id {
			exported = true
			if got := [2]string{rec[2], rec[3]}; got != [2]string{"deposit", "signed-in"} {
				t.Errorf("export: the login %q; want the codes deposit, signed-in", got)
			}
		}
	}
	if !exported {
		t.Error("the export lacks the login")
	}
}

// TestPayNPlayLoginIsNotADepositResult: a bank login is not a deposit, so its
// order's deposit result pages (reachable only by typing their address) send the
// signed-in player to the cashier instead of showing a 0.00 deposit read by its
// status code ("signed-in", which has no words for players).
func TestPayNPlayLoginIsNotADepositResult(t *testing.T) {
	lv := startPayNPlayLive(t, "pure", "se-adult", nil)
	cl := lv.client()
	login := startPayNPlay(cl, "SE", "")
	lv.waitDecision(login)
	cl.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(login)).wantRedirect("/cashier")
	for _, path := range []string{"/deposit/success", "/deposit/fail"} {
		cl.get(path + "?order=" + url.QueryEscape(login)).wantRedirect("/cashier")
	}
}
