package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
	"gorm.io/gorm"
)

// TestAdminHomeCountsWaiting: the home page's link to the approvals says how
// many payouts wait and their sum (cashier.BackOfficeHome), one less once one is
// denied, and is gone with the last.
func TestAdminHomeCountsWaiting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) { s.Cashier.DB = db }})
		cl, _, acc := funded(t, lv, "anna@example.com", "8000")
		first := requestPayout(t, cl, "6000", acc.ID)
		second := requestPayout(t, cl, "1000", acc.ID) // waits too: 7 000 within 24 hours
		viewer, _ := lv.staffSignedIn("viewer@example.com", staff.RoleViewer)
		op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
		sek := func(major int64) string { return models.Money{Minor: major * 100, Currency: "SEK"}.Display() }
		if got, want := spaced(viewer.get("/admin").text("approvals-link")), spaced("Payouts waiting for approval: 2 ("+sek(7000)+")"); got != want {
			t.Errorf("home page: %q; want %q", got, want)
		}
		op.submit(denyPath(first), url.Values{"reason": {"no"}}).wantRedirect(approvalsPath)
		if got, want := spaced(viewer.get("/admin").text("approvals-link")), spaced("Payouts waiting for approval: 1 ("+sek(1000)+")"); got != want {
			t.Errorf("home page after a denial: %q; want %q", got, want)
		}
		op.submit(denyPath(second), url.Values{"reason": {"no"}}).wantRedirect(approvalsPath)
		if viewer.get("/admin").has("approvals-link") {
			t.Error("home page with no payout waiting links to the approvals; want no figure of nothing")
		}
	})
}

// TestAdminHomePerRole: the home page of each role. With nothing to show it
// says so in sentences, not zeros. With payouts waiting, a flagged order and
// failed calls, an operator (and finance, and an owner) finds the payouts and the
// flag among what waits for them, a viewer, who may act on neither, among what
// waits for other members; every role sees the failed calls and today's money;
// and every figure links to a page the member opens, filtered where the page has
// a filter.
func TestAdminHomePerRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) { s.Cashier.DB = db }})
		clients := map[staff.Role]*testClient{}
		for _, role := range staff.Roles {
			clients[role], _ = lv.staffSignedIn(string(role)+"@example.com", role)
		}
		for role, cl := range clients {
			r := cl.get("/admin").wantStatus(http.StatusOK)
			for _, id := range []string{"home-yours-empty", "home-overdue-empty", "home-today-empty"} {
				if !r.has(id) {
					t.Errorf("%s, nothing to show: no %s\n%s", role, id, r.Body)
				}
			}
			if r.has("approvals-link") || r.has("home-others") {
				t.Errorf("%s, nothing to show: figures of nothing\n%s", role, r.Body)
			}
		}

		cl, player, acc := funded(t, lv, "anna@example.com", "8000")
		requestPayout(t, cl, "6000", acc.ID)
		if err := db.Model(&models.Order{}).Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).
			Update("flag", "looked odd").Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&models.APICall{Method: "Deposit", Request: "{}", ErrorCode: 616, Error: "ERROR_INVALID_CREDENTIALS",
			At: time.Now().UTC()}).Error; err != nil {
			t.Fatal(err)
		}
		for _, role := range staff.Roles {
			r := clients[role].get("/admin").wantStatus(http.StatusOK)
			acts := role != staff.RoleViewer
			for _, id := range []string{"approvals-link", "home-flagged-orders"} {
				if in := within(r, "home-yours", id); in != acts {
					t.Errorf("%s: %s among what waits for them %t; want %t\n%s", role, id, in, acts, r.Body)
				}
				if in := within(r, "home-others", id); in == acts {
					t.Errorf("%s: %s among what waits for others %t; want %t", role, id, in, !acts)
				}
			}
			if r.has("home-yours-empty") == acts {
				t.Errorf("%s: says nothing waits for them: %t", role, r.has("home-yours-empty"))
			}
			if got := r.text("home-trustly-errors"); !strings.HasPrefix(got, "1 call to Trustly answered with an error") {
				t.Errorf("%s: failed calls read %q", role, got)
			}
			deposits, payouts := models.Money{Minor: 800000, Currency: "SEK"}, models.Money{Currency: "SEK"}
			if got, want := spaced(r.text("home-today-row")), spaced("SEK"+deposits.Display()+payouts.Display()); got != want {
				t.Errorf("%s: today reads %q; want %q", role, got, want)
			}
			links := map[string]string{"approvals-link": approvalsPath, "home-flagged-orders": "/admin/flagged",
				"home-trustly-errors": "/admin/api-calls?outcome=trustly", "home-today-link": ""}
			for id, want := range links {
				href := attr(r.byTestID(id)[0], "href")
				if want != "" && href != want {
					t.Errorf("%s: %s links to %q; want %q", role, id, href, want)
				}
				clients[role].get(href).wantStatus(http.StatusOK)
			}
			if day := time.Now().UTC().Format(time.DateOnly); attr(r.byTestID("home-today-link")[0], "href") != "/admin/reports?from="+day+"&to="+day {
				t.Errorf("%s: today's link %q; want the reports of %s", role, attr(r.byTestID("home-today-link")[0], "href"), day)
			}
		}
	})
}

// spaced is s with every run of spaces, no-break ones too, one space.
func spaced(s string) string { return strings.Join(strings.Fields(s), " ") }

// within reports whether the element with data-testid id is inside the one with
// data-testid outer.
func within(r *testResponse, outer, id string) bool {
	for _, o := range r.byTestID(outer) {
		var found bool
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if attr(n, "data-testid") == id {
				found = true
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(o)
		if found {
			return true
		}
	}
	return false
}

// TestHomeLinksOnlyWhatRoleOpens: the home shows a figure only when the page it
// links to opens for the member's role, as the route table says (mayOpen): the
// reconciliation is finance's, the staff page the owner's, an address no route
// serves no one's.
func TestHomeLinksOnlyWhatRoleOpens(t *testing.T) {
	for _, tt := range []struct {
		href string
		role staff.Role
		want bool
	}{
		{"/admin/approvals", staff.RoleViewer, true},
		{"/admin/api-calls?outcome=transport", staff.RoleViewer, true},
		{"/admin/reports/reconciliation?currency=SEK", staff.RoleOperator, false},
		{"/admin/reports/reconciliation?currency=SEK", staff.RoleFinance, true},
		{"/admin/staff", staff.RoleFinance, false},
		{"/admin/staff", staff.RoleOwner, true},
		{"/admin/nowhere", staff.RoleOwner, false},
	} {
		if got := mayOpen(tt.role, tt.href); got != tt.want {
			t.Errorf("mayOpen(%s, %q) = %t; want %t", tt.role, tt.href, got, tt.want)
		}
	}
}
