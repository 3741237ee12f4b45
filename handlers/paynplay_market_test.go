package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
)

// The market of a Pay N Play order: the pages of an order that ends without
// signing the visitor in lead back to the start page of the market they started
// from, not to the default one's.

// wantBackToMarket checks that the link testID on page goes to market's start
// page, and that the start page it opens is that market's, with its ways in.
func wantBackToMarket(t *testing.T, cl *testClient, page *testResponse, testID, market string) {
	t.Helper()
	links := page.byTestID(testID)
	if len(links) != 1 {
		t.Fatalf("%s: %d links %q; want one\n%s", page.what, len(links), testID, page.Body)
	}
	href := attr(links[0], "href")
	if want := "/?market=" + market; href != want {
		t.Errorf("%s: %s goes to %q; want %q", page.what, testID, href, want)
	}
	start := cl.get(href).wantStatus(http.StatusOK)
	if got := start.value("market"); got != market {
		t.Errorf("%s: %s opens the start page of market %q; want %s", page.what, testID, got, market)
	}
	if !start.has("deposit-play-form") {
		t.Errorf("%s: %s opens a start page without \"Deposit & play\"", page.what, testID)
	}
	// The site's name in the header leads there too, from the order's page and
	// from the start page itself.
	for _, p := range []*testResponse{page, start} {
		if got := attr(p.byTestID("brand")[0], "href"); got != "/?market="+market {
			t.Errorf("%s: the header's link goes to %q; want /?market=%s", p.what, got, market)
		}
	}
}

// TestPayNPlayRefusalBackToItsMarket: a visitor refused by the kyc (here under
// 18) in Finland, Estonia or the Netherlands was sent "Back to the start page" of
// Sweden, the default market: with Sweden's ways in and amounts in SEK, and,
// with Sweden's Pay N Play off as here, no way back in with the bank at all. The
// order records the market it was started from, and both return URLs lead back
// to it. So did the site's name in the header, there and on the start page.
func TestPayNPlayRefusalBackToItsMarket(t *testing.T) {
	for _, tt := range []struct{ market, person string }{
		{"FI", "fi-minor"}, {"EE", "ee-minor"}, {"NL", "nl-minor"},
	} {
		t.Run(tt.market, func(t *testing.T) {
			lv := startPayNPlayLive(t, "FI=pure,EE=hybrid,NL=pure", tt.person, nil)
			cl := lv.client()
			id := startPayNPlay(cl, tt.market, "100")
			if out := lv.waitDecision(id); out.State != cashier.PayNPlayRefused {
				t.Fatalf("decision %s; want refused", out.State)
			}
			for _, path := range []string{cashier.PayNPlayFailPath, cashier.PayNPlaySuccessPath} {
				page := cl.get(path + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK)
				if !page.has("refusal") {
					t.Fatalf("%s: no refusal\n%s", path, page.Body)
				}
				wantBackToMarket(t, cl, page, "back-to-start", tt.market)
			}
		})
	}
}

// TestPayNPlayCheckoutAndCancelBackToItsMarket: the checkout page of a Finnish
// "Deposit & play" and, after Cancel, its "Your deposit was not completed" led
// back to Sweden's start page.
func TestPayNPlayCheckoutAndCancelBackToItsMarket(t *testing.T) {
	lv := startPayNPlayLive(t, "FI=pure,NL=hybrid", "", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "FI", "100")
	checkout := cl.get("/paynplay/checkout?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK)
	wantBackToMarket(t, cl, checkout, "checkout-back", "FI")
	lv.checkoutAction(id, "cancel")
	lv.waitStatus(id, models.OrderFailed)
	page := cl.get(cashier.PayNPlayFailPath + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK)
	wantBackToMarket(t, cl, page, "back-to-start", "FI")
}

// TestPayNPlayUsedSignInBackToItsMarket: a Finnish bank login whose sign-in was
// used already (a copy of the cookie, or a lost first answer) says to log in with
// the bank again, and its link led to Sweden's start page, where SE is off here.
func TestPayNPlayUsedSignInBackToItsMarket(t *testing.T) {
	lv := startPayNPlayLive(t, "FI=pure", "fi-adult", nil)
	cl := lv.client()
	id := startPayNPlay(cl, "FI", "")
	lv.waitDecision(id)
	bound := cl.cookie(sessionCookie).Value
	success := cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(id)
	cl.get(success).wantRedirect("/cashier")
	copied := lv.client()
	copied.setCookie(sessionCookie, bound)
	page := copied.get(success).wantStatus(http.StatusConflict)
	wantBackToMarket(t, copied, page, "back-to-start", "FI")
}

// TestLandingIdentitySentencePerMarket: the start page says what the bank tells
// us with "Deposit & play". It promised a national identity number in every
// market, also in the Netherlands, where Dutch banks give none (API.md §5.5:
// personid exists only in SE, FI and EE): there it names what they do give, in
// every language.
func TestLandingIdentitySentencePerMarket(t *testing.T) {
	ta := newTestApp(t, withPayNPlay(t, "pure"))
	idWord := map[string]string{"en": "identity number", "sv": "personnummer", "fi": "henkilötunnu",
		"et": "isikukood", "nl": "identiteitsnummer"}
	english := map[string]string{
		"SE": `With "Deposit & play" your bank tells us who you are: your name, date of birth, address and national identity number. You must be 18 or older and not excluded from gambling; otherwise the checkout stops before any money moves.`,
		"NL": `With "Deposit & play" your bank tells us who you are: your name, date of birth and address. You must be 18 or older and not excluded from gambling; otherwise the checkout stops before any money moves.`,
	}
	for _, l := range lang.Languages {
		cl := ta.client()
		cl.setCookie(langCookie, l.Code)
		for _, market := range []string{"SE", "FI", "EE", "NL"} {
			got := cl.get("/?market=" + market).wantStatus(http.StatusOK).text("paynplay-terms")
			if want, ok := english[market]; ok && l.Code == "en" && got != want {
				t.Errorf("en %s: %q; want %q", market, got, want)
			}
			if has, want := strings.Contains(got, idWord[l.Code]), market != "NL"; has != want {
				t.Errorf("%s %s: names the identity number (%q) %t; want %t: %q", l.Code, market, idWord[l.Code], has, want, got)
			}
		}
	}
}

// TestBankCheckSentencePerMarket: the cashier page tells a password player of a
// Pay N Play market that the bank identity must be theirs, "another name, date of
// birth or identity number" stopping the deposit, in the Netherlands too, where
// the bank gives no identity number to compare: there it names name and date of
// birth only, in every language.
func TestBankCheckSentencePerMarket(t *testing.T) {
	ta := newTestApp(t, withPayNPlay(t, "hybrid"))
	idWord := map[string]string{"en": "identity number", "sv": "personnummer", "fi": "henkilötunnu",
		"et": "isikukood", "nl": "identiteitsnummer"}
	se := ta.client()
	ta.player("se@example.com")
	se.signIn("se@example.com", testPassword)
	if _, err := ta.Svc.Register(t.Context(), models.Registration{Email: "nl@example.com", Password: testPassword,
		FirstName: "Jan", LastName: "de Vries", Country: "NL", DateOfBirth: "1975-07-14"}); err != nil {
		t.Fatal(err)
	}
	nl := ta.client()
	nl.signIn("nl@example.com", testPassword)
	for _, l := range lang.Languages {
		for _, tt := range []struct {
			market string
			cl     *testClient
		}{{"SE", se}, {"NL", nl}} {
			tt.cl.setCookie(langCookie, l.Code)
			got := tt.cl.get("/cashier").wantStatus(http.StatusOK).text("bank-check")
			if has, want := strings.Contains(got, idWord[l.Code]), tt.market != "NL"; has != want {
				t.Errorf("%s %s: names the identity number (%q) %t; want %t: %q", l.Code, tt.market, idWord[l.Code], has, want, got)
			}
		}
	}
}
