package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/lang"
	"golang.org/x/net/html"
	"gorm.io/gorm"
)

// visitorNav is what a visitor's header offers: the paths it links to, and the
// market and words of its "Log in with your bank" form ("" when it has none).
type visitorNav struct {
	links             []string
	bankMarket, words string
}

func navOf(t *testing.T, r *testResponse) visitorNav {
	t.Helper()
	navs := r.byTestID("nav")
	if len(navs) != 1 {
		t.Fatalf("%d navigations; want 1\n%s", len(navs), r.Body)
	}
	nav := &testResponse{t: t, doc: navs[0], what: "nav"}
	var out visitorNav
	for _, a := range nav.find(func(n *html.Node) bool { return n.Data == "a" }) {
		out.links = append(out.links, attr(a, "href"))
	}
	for _, f := range nav.find(func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == "/paynplay/login" }) {
		form := &testResponse{t: t, doc: f, what: "bank login"}
		for _, in := range form.find(func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "market" }) {
			out.bankMarket = attr(in, "value")
		}
		out.words = form.text("nav-bank-login")
	}
	return out
}

// TestVisitorHeaderOffersTheMarketsWayIn: a visitor's header offers the ways in
// the market of the page has. In a pure Pay N Play market (SE here) there is no
// registration and no password (the registration form leaves the market out, and
// its players have no password to log in with): the header offers "Log in with
// your bank" for that market, on its start page and on the page a refused
// checkout returns to, in the page's language, and the button starts the bank
// login; it offers "Log in" and "Register" nowhere there. In a hybrid market (FI)
// and one without Pay N Play (DE) it offers "Log in" and "Register", as before.
func TestVisitorHeaderOffersTheMarketsWayIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-minor"},
			Setup: func(s *testSetup) {
				withPayNPlay(t, "SE=pure,FI=hybrid")(s)
				s.Cashier.DB = db
			}})
		passwords := []string{"/login", "/register"}
		for _, code := range []string{"en", "sv"} {
			cl := lv.client()
			cl.submit("/language", url.Values{"lang": {code}, "back": {"/"}}).wantRedirect("/")
			bank := lang.For(code, nil).T("paynplay.bank_login")
			refused := startPayNPlay(cl, "SE", "100")
			if out := lv.waitDecision(refused); out.State != cashier.PayNPlayRefused {
				t.Fatalf("the minor's deposit: %s; want refused", out.State)
			}
			for _, tt := range []struct {
				path string
				bank string // the market of the header's bank login; "" for Log in and Register
			}{
				{"/?market=SE", "SE"},
				{cashier.PayNPlayFailPath + "?order=" + url.QueryEscape(refused), "SE"},
				{"/?market=FI", ""},
				{"/?market=DE", ""},
			} {
				nav := navOf(t, cl.get(tt.path).wantStatus(http.StatusOK))
				offersPasswords := slices.Contains(nav.links, "/login") || slices.Contains(nav.links, "/register")
				if tt.bank != "" && (nav.bankMarket != tt.bank || nav.words != bank || offersPasswords) {
					t.Errorf("%s, %s: header links %q, bank login for %q reading %q; want only %q for %s", code, tt.path,
						nav.links, nav.bankMarket, nav.words, bank, tt.bank)
				}
				if tt.bank == "" && (nav.bankMarket != "" || !slices.Equal(nav.links, passwords)) {
					t.Errorf("%s, %s: header links %q, bank login for %q; want %q and no bank login", code, tt.path,
						nav.links, nav.bankMarket, passwords)
				}
			}
		}
		// The header's button is the bank login of its market.
		cl := lv.client()
		if nav := navOf(t, cl.get("/?market=SE").wantStatus(http.StatusOK)); nav.bankMarket != "" {
			r := cl.submit("/paynplay/login", url.Values{"market": {nav.bankMarket}}).wantStatus(http.StatusSeeOther)
			loc, _ := url.Parse(r.Header.Get("Location"))
			if loc.Path != "/paynplay/checkout" {
				t.Fatalf("the header's bank login: to %q; want /paynplay/checkout", r.Header.Get("Location"))
			}
			if o := lv.order(loc.Query().Get("order")); !o.LoginOnly || o.Market != "SE" {
				t.Errorf("the header's bank login started %+v; want a login-only order in SE", o)
			}
		}
	})
}
