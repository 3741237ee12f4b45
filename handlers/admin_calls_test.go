package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
	"gorm.io/gorm"
)

// callsOnPage are the methods, outcomes and hrefs of the rows of a calls page.
func callsOnPage(r *testResponse) (methods, outcomes, links []string) {
	for _, n := range r.byTestID("call-method") {
		methods = append(methods, textOf(n))
	}
	for _, n := range r.byTestID("call-outcome") {
		outcomes = append(outcomes, textOf(n))
	}
	for _, n := range r.find(func(n *html.Node) bool { return n.Data == "a" }) {
		if h := attr(n, "href"); strings.HasPrefix(h, "/admin/orders/") || strings.HasPrefix(h, "/admin/players/") {
			links = append(links, h)
		}
	}
	return methods, outcomes, links
}

// TestAdminCallsPage: /admin/api-calls lists every call kept to Trustly, newest
// first, those about no order too (a Balance, a RegisterAccount), with the order
// and player linked where there is one, the outcome in words and the request and
// answer in a collapsed <details>; the navigation links to it; each filter
// (method, outcome, Trustly's code, player, order, days in the member's zone)
// narrows it, and an odd value is a sentence with 422; a viewer sees it, a
// signed-out visitor and a player are sent to the staff sign-in. On both
// databases.
func TestAdminCallsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		viewer, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		base := time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC) // 09:00 on 11 March in Auckland
		calls := []models.APICall{
			{Method: "Deposit", OrderID: 4711, PlayerID: 42, Request: `{"MessageID":"m-4711"}`, Response: `{"orderid":"8888"}`, LatencyMS: 120, At: base},
			{Method: "RegisterAccount", PlayerID: 43, Request: `{"EndUserID":"u-43"}`, Response: `{"accountid":"9999"}`, LatencyMS: 80, At: base.Add(time.Hour)},
			{Method: "Balance", Request: `{}`, Response: `[{"currency":"SEK","balance":"10.00"}]`, LatencyMS: 40, At: base.Add(2 * time.Hour)},
			{Method: "Balance", Request: `{}`, Error: "balance: dial tcp: connection refused", LatencyMS: 3, At: base.Add(3 * time.Hour)},
			{Method: "AccountPayout", OrderID: 4712, PlayerID: 42, Request: `{"MessageID":"m-4712"}`, ErrorCode: 616,
				Error: "trustly error 616: ERROR_INVALID_PARAMETERS", LatencyMS: 90, At: base.AddDate(0, 0, 2)},
		}
		if err := db.Create(&calls).Error; err != nil {
			t.Fatal(err)
		}

		r := viewer.get("/admin/api-calls").wantStatus(http.StatusOK)
		methods, outcomes, links := callsOnPage(r)
		if want := []string{"AccountPayout", "Balance", "Balance", "RegisterAccount", "Deposit"}; !slices.Equal(methods, want) {
			t.Errorf("methods %q; want %q, newest first", methods, want)
		}
		if want := []string{"Trustly error 616", "Transport error", "OK", "OK", "OK"}; !slices.Equal(outcomes, want) {
			t.Errorf("outcomes %q; want %q", outcomes, want)
		}
		if want := []string{"/admin/orders/4712", "/admin/players/42", "/admin/players/43", "/admin/orders/4711", "/admin/players/42"}; !slices.Equal(links, want) {
			t.Errorf("links %q; want %q", links, want)
		}
		if n := len(r.byTestID("call-details")); n != 5 || hasAttr(r.byTestID("call-details")[0], "open") {
			t.Errorf("%d <details>; want 5, collapsed", n)
		}
		if !strings.Contains(r.Body, "m-4711") || !strings.Contains(r.Body, "connection refused") || !strings.Contains(r.Body, `&#34;balance&#34;:&#34;10.00&#34;`) {
			t.Errorf("page lacks a request, an error or an answer:\n%s", r.Body)
		}
		inNav := r.find(func(n *html.Node) bool {
			if n.Data != "a" || attr(n, "href") != "/admin/api-calls" {
				return false
			}
			for p := n.Parent; p != nil; p = p.Parent {
				if attr(p, "data-testid") == "admin-nav" {
					return true
				}
			}
			return false
		})
		if len(inNav) == 0 {
			t.Error("the back office's navigation does not link /admin/api-calls")
		}

		const zone = "Pacific/Auckland"
		for _, tt := range []struct {
			query string
			want  []string
		}{
			{"method=Balance", []string{"Balance", "Balance"}},
			{"outcome=ok", []string{"Balance", "RegisterAccount", "Deposit"}},
			{"outcome=transport", []string{"Balance"}},
			{"outcome=trustly", []string{"AccountPayout"}},
			{"code=616", []string{"AccountPayout"}},
			{"code=617", nil},
			{"player=42", []string{"AccountPayout", "Deposit"}},
			{"order=4711", []string{"Deposit"}},
			{"from=2026-03-11&to=2026-03-11&tz=" + url.QueryEscape(zone), []string{"Balance", "Balance", "RegisterAccount", "Deposit"}},
			{"from=2026-03-10&to=2026-03-10&tz=" + url.QueryEscape(zone), nil},
			{"method=Balance&outcome=ok", []string{"Balance"}},
		} {
			r := viewer.get("/admin/api-calls?" + tt.query).wantStatus(http.StatusOK)
			if got, _, _ := callsOnPage(r); !slices.Equal(got, tt.want) {
				t.Errorf("%s: methods %q; want %q", tt.query, got, tt.want)
			}
		}
		if got := viewer.get("/admin/api-calls?tz=" + url.QueryEscape(zone)).text("call-row"); !strings.Contains(got, "2026-03-13 09:00:00") {
			t.Errorf("newest row %q; want its time in %s, 2026-03-13 09:00:00", got, zone)
		}
		for _, q := range []string{"method=Login", "outcome=maybe", "code=abc", "code=616&outcome=ok", "player=-1", "order=x", "from=2026-13-01", "before=0"} {
			r := viewer.get("/admin/api-calls?" + q).wantStatus(http.StatusUnprocessableEntity)
			if !strings.Contains(r.Body, `class="problem"`) {
				t.Errorf("%s: 422 without a sentence", q)
			}
		}

		player, _ := ta.signedIn("anna@example.com")
		for name, cl := range map[string]*testClient{"visitor": ta.client(), "player": player} {
			r := cl.get("/admin/api-calls")
			if loc := r.Header.Get("Location"); r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/login") || strings.Contains(r.Body, "m-4711") {
				t.Errorf("%s: %d to %q; want 303 to /admin/login", name, r.Status, loc)
			}
		}
	})
}

// TestAdminCallsPaged: the calls page lists 50 calls and links the older ones,
// with the filter kept, until the last page, without a gap or a repeat.
func TestAdminCallsPaged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		viewer, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		base := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		var calls []models.APICall
		for i := range 120 {
			method := "GetWithdrawals"
			if i%2 == 1 {
				method = "Deposit"
			}
			calls = append(calls, models.APICall{Method: method, OrderID: int64(i + 1), Request: `{"n":` + strconv.Itoa(i) + `}`,
				At: base.Add(time.Duration(i/3) * time.Second)}) // three calls in each second
		}
		if err := db.Create(&calls).Error; err != nil {
			t.Fatal(err)
		}
		var seen []string
		next, pages := "/admin/api-calls?method=Deposit", 0
		for next != "" {
			r := viewer.get(next).wantStatus(http.StatusOK)
			pages++
			for _, n := range r.byTestID("call-order") {
				seen = append(seen, textOf(n))
			}
			next = ""
			if r.has("calls-next") {
				next = attr(r.byTestID("calls-next")[0], "href")
				if !strings.Contains(next, "method=Deposit") {
					t.Fatalf("next page %q; want the filter kept", next)
				}
			}
		}
		var want []string
		for i := 119; i >= 0; i-- {
			if i%2 == 1 {
				want = append(want, strconv.Itoa(i+1))
			}
		}
		if pages != 2 || !slices.Equal(seen, want) {
			t.Errorf("%d pages listing orders %q; want 2 listing %q", pages, seen, want)
		}
	})
}
