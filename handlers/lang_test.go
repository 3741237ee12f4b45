package handlers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
)

// rawID is what a message id looks like when a page shows it instead of its text:
// lower-case words joined by dots ("deposit.title", "break.kind.time-out-7d").
var rawID = regexp.MustCompile(`(^|[^@\w.])([a-z][a-z_]*(?:\.[a-z0-9_-]+)+)`)

// visibleTexts are the page's text nodes and the attributes people read
// (accessible names, confirmations, placeholders, titles), without scripts.
func visibleTexts(n *html.Node, out *[]string) {
	if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style") {
		return
	}
	if n.Type == html.TextNode {
		*out = append(*out, n.Data)
	}
	for _, a := range n.Attr {
		switch a.Key {
		case "aria-label", "title", "data-confirm", "placeholder", "alt":
			*out = append(*out, a.Val)
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		visibleTexts(c, out)
	}
}

// TestNoPageShowsAMessageID renders every player page in every language and
// fails on text shaped like a message id: a T call whose id no file has, or a
// typo, shows the id itself. It also checks the page says which language it is.
func TestNoPageShowsAMessageID(t *testing.T) {
	ta := newTestApp(t)
	for _, l := range lang.Languages {
		t.Run(l.Code, func(t *testing.T) {
			visitor := ta.client()
			visitor.submit("/language", url.Values{"lang": {l.Code}, "back": {"/"}}).wantRedirect("/")
			cl, _ := ta.signedIn(l.Code + "@example.com")
			cl.submit("/language", url.Values{"lang": {l.Code}, "back": {"/cashier"}}).wantRedirect("/cashier")
			pages := map[*testClient][]string{
				visitor: {"/", "/login", "/register", "/no-such-page"},
				cl: {"/cashier", "/payout", "/history", "/bank-accounts", "/bank-accounts/new", "/bank-accounts/new?country=FI",
					"/profile", "/breaks", "/limits"},
			}
			for who, paths := range pages {
				for _, path := range paths {
					r := who.get(path)
					if r.Status != http.StatusOK && r.Status != http.StatusNotFound {
						t.Errorf("%s: status %d", path, r.Status)
						continue
					}
					if !strings.Contains(r.Body, `<html lang="`+l.Code+`"`) {
						t.Errorf("%s is not marked lang=%q", path, l.Code)
					}
					var texts []string
					visibleTexts(r.parse(), &texts)
					for _, s := range texts {
						for _, m := range rawID.FindAllStringSubmatch(s, -1) {
							t.Errorf("%s in %s shows %q", path, l.Code, m[2])
						}
					}
				}
			}
			// A problem from the cashier, translated: an amount below the limits.
			r := cl.submit("/deposit", url.Values{"amount": {"1"}}).wantStatus(http.StatusUnprocessableEntity)
			if got, en := r.text("problem"), "Choose an amount from"; (l.Code == "en") != strings.HasPrefix(got, en) {
				t.Errorf("deposit problem in %s: %q", l.Code, got)
			}
		})
	}
}

// TestLanguageChoice: the player's choice wins over the browser's, the browser's
// Accept-Language over the default, a browser asking for languages we do not speak
// gets the market's, and a request asking for none gets English.
func TestLanguageChoice(t *testing.T) {
	ta := newTestApp(t)
	cl, anna := ta.signedIn("anna@example.com") // Sweden
	lang := func(accept string) string {
		req := cl.request(http.MethodGet, "/cashier", nil)
		if accept != "" {
			req.Header.Set("Accept-Language", accept)
		}
		r := cl.do(req).wantStatus(http.StatusOK)
		return r.text("language-current")
	}
	for _, tt := range []struct{ accept, want string }{
		{"", "en"}, {"fi-FI,fi;q=0.9", "fi"}, {"de-DE,fr;q=0.5", "sv"}, {"nl", "nl"},
	} {
		if got := lang(tt.accept); got != tt.want {
			t.Errorf("Accept-Language %q: page in %q; want %q", tt.accept, got, tt.want)
		}
	}
	cl.submit("/language", url.Values{"lang": {"et"}, "back": {"/cashier"}}).wantRedirect("/cashier")
	if p, _ := ta.Svc.Player(t.Context(), anna.ID); p.Language != "et" {
		t.Errorf("the player's language is %q after choosing et", p.Language)
	}
	if got := lang("fi"); got != "et" {
		t.Errorf("after choosing Estonian the page is in %q with a Finnish browser", got)
	}
	cl.setCookie(langCookie, "nl") // a visitor's choice made in this browser before
	if got := lang("fi"); got != "et" {
		t.Errorf("the signed-in player's choice lost to the browser's cookie: page in %q", got)
	}
	cl.submit("/language", url.Values{"lang": {"xx"}}).wantStatus(http.StatusUnprocessableEntity)
	cl.post("/language", url.Values{"lang": {"sv"}}).wantStatus(http.StatusForbidden)
	if p, _ := ta.Svc.Player(t.Context(), anna.ID); p.Language != "et" {
		t.Errorf("the player's language is %q after refused choices; want et", p.Language)
	}
}

// TestLanguageChosenBeforeRegistering: a visitor who picks their language and then
// registers has chosen it for the account: signed in on another device (a phone,
// a browser whose Accept-Language is English or absent), their pages are in that
// language, as for a choice made with the picker after signing in. A visitor who
// chose none leaves the browser to decide, and a registration of an email that
// has an account (answered as a new one) changes nothing of that account's.
func TestLanguageChosenBeforeRegistering(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.LoginLimit = 1000 })
	player := func(email string) models.Player {
		t.Helper()
		var p models.Player
		if err := ta.DB.Where("email = ?", email).Take(&p).Error; err != nil {
			t.Fatalf("player %s: %v", email, err)
		}
		return p
	}
	for _, l := range lang.Languages {
		email := "chose-" + l.Code + "@example.com"
		cl := ta.client()
		cl.submit("/language", url.Values{"lang": {l.Code}, "back": {"/register"}}).wantRedirect("/register")
		cl.signUp(email)
		if got := cl.get("/cashier").wantStatus(http.StatusOK).text("language-current"); got != l.Code {
			t.Errorf("chose %s and registered: the cashier is in %q", l.Code, got)
		}
		phone := ta.client()
		phone.signIn(email, testPassword)
		req := phone.request(http.MethodGet, "/cashier", nil)
		req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
		if got := phone.do(req).wantStatus(http.StatusOK).text("language-current"); got != l.Code {
			t.Errorf("chose %s and registered: on another device with an English browser the cashier is in %q", l.Code, got)
		}
		if p := player(email); p.Language != l.Code {
			t.Errorf("chose %s and registered: the player's language is %q", l.Code, p.Language)
		}
	}
	none := ta.client()
	none.signUp("chose-none@example.com")
	if p := player("chose-none@example.com"); p.Language != "" {
		t.Errorf("no language chosen: the player's language is %q; want none (the browser decides)", p.Language)
	}
	again := ta.client()
	again.submit("/language", url.Values{"lang": {"nl"}, "back": {"/register"}})
	again.submit("/register", url.Values{"email": {"chose-fi@example.com"}, "password": {testPassword}, "first_name": {"Anna"},
		"last_name": {"Andersson"}, "country": {"SE"}}).wantRedirect("/login")
	if p := player("chose-fi@example.com"); p.Language != "fi" {
		t.Errorf("a registration of an existing account's email changed its language to %q; want fi", p.Language)
	}
}

// TestLanguageChosenBeforeDepositAndPlay: a visitor who picks their language and
// then opens their account with "Deposit & play" has chosen it for the account, as
// one who registers has: their next bank login, from another browser asking for
// English, signs them in to pages in that language.
func TestLanguageChosenBeforeDepositAndPlay(t *testing.T) {
	lv := startPayNPlayLive(t, "FI=hybrid", "fi-adult", nil)
	visitor := lv.client()
	visitor.submit("/language", url.Values{"lang": {"fi"}, "back": {"/"}}).wantRedirect("/")
	first := startPayNPlay(visitor, "FI", "50")
	lv.waitDecision(first)
	visitor.get(cashier.PayNPlaySuccessPath + "?order=" + url.QueryEscape(first)).wantStatus(http.StatusSeeOther)
	player := lv.order(first).PlayerID
	if p, err := lv.Svc.Player(t.Context(), player); err != nil || p.Language != "fi" {
		t.Errorf("chose fi and made an account with Deposit & play: its language is %q, %v; want fi", p.Language, err)
	}
	phone := lv.client()
	second := startPayNPlay(phone, "FI", "20")
	lv.waitDecision(second)
	req := phone.request(http.MethodGet, cashier.PayNPlaySuccessPath+"?order="+url.QueryEscape(second), nil)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	r := phone.do(req)
	for i := 0; i < 3 && r.Status == http.StatusSeeOther; i++ {
		req = phone.request(http.MethodGet, r.Header.Get("Location"), nil)
		req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
		r = phone.do(req)
	}
	if got := r.wantStatus(http.StatusOK).text("language-current"); got != "fi" {
		t.Errorf("the next Deposit & play from an English browser: the page is in %q; want fi", got)
	}
}

// TestKYCMessage: a Pay N Play refusal is shown in the page's language and time
// zone when its order holds the message id; an order from before, which holds
// only the English sentence, is translated when the sentence is one of the
// messages word for word and shown as stored otherwise. A "kyc." refusal says
// "No money was moved" in the page's language, but a held order's (refused, yet
// the bank sent the money, which goes back) and a returned one's: its page says
// so, and the refusal no word of money.
func TestKYCMessage(t *testing.T) {
	until := time.Date(2026, 3, 29, 23, 31, 0, 0, time.UTC)
	stored := func(text models.Text, english string) models.Order {
		s, err := models.EncodeText(text, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return models.Order{KYCOutcome: models.KYCFinish, KYCText: s, KYCMessage: english}
	}
	held := func(o models.Order) models.Order {
		o.Status = models.OrderRefusedHeld
		return o
	}
	returned := func(o models.Order) models.Order {
		o.Status = models.OrderRefusedReturned
		return o
	}
	onBreak := models.Text{ID: "breaks.on_break", Args: []any{"Kind", models.Text{ID: "break.kind.time-out-7d"}, "Until", until}}
	for _, tt := range []struct {
		name, code string
		zone       *time.Location
		order      models.Order
		want       string
	}{
		{"self-excluded", "sv", time.UTC, stored(models.Text{ID: "kyc.self-excluded", Args: []any{"Register", "Spelpaus"}}, "English"),
			"Du är registrerad som avstängd från spel (Spelpaus), så du kan inte spela här. Inga pengar flyttades."},
		{"on a break, a Finnish player", "fi", lang.Zone("FI"), stored(onBreak, "English"),
			"Valitsit jakson: 7 päivän tauko, joten talletukset ja pelaaminen on keskeytetty 30.3.2026 klo 02.31 EEST asti. Nostot eivät muutu."},
		{"on a break, a Swedish visitor: the player's market's time", "en", time.UTC,
			stored(models.Text{ID: onBreak.ID, Args: append(slices.Clone(onBreak.Args), "Country", "SE")}, "English"),
			"You chose a 7-day time-out, so deposits and play are paused until 30 Mar 2026, 01:31 CEST. Withdrawals are not affected."},
		{"wallet in another currency", "nl", time.UTC, stored(models.Text{ID: "kyc.wallet-currency"}, "English"),
			"Je bankrekening staat in een ander land dan het land dat je hier hebt gekozen. Kies je land en probeer het opnieuw. Er is geen geld overgemaakt."},
		{"an id no file has", "sv", time.UTC, stored(models.Text{ID: "kyc.no-such-rule"}, "The English sentence."), "The English sentence."},
		{"an old row of a plain rule", "sv", time.UTC, models.Order{KYCOutcome: models.KYCFinish,
			KYCMessage: "You must be 18 or older to play. No money was moved."}, "Du måste vara minst 18 år för att spela. Inga pengar flyttades."},
		{"an old row of the checkout's end", "et", time.UTC, models.Order{KYCOutcome: models.KYCFinish,
			KYCMessage: "The checkout ended before it was completed. No money was moved."}, "Makse lõppes enne, kui see lõpetati. Raha ei liikunud."},
		{"an old row naming a register", "sv", time.UTC, models.Order{KYCOutcome: models.KYCFinish,
			KYCMessage: "You are registered as excluded from gambling (Spelpaus), so you cannot play here. No money was moved."},
			"You are registered as excluded from gambling (Spelpaus), so you cannot play here. No money was moved."},
		{"an old row on a break", "sv", time.UTC, models.Order{KYCOutcome: models.KYCFinish,
			KYCMessage: "You chose a 7-day time-out, so deposits and play are paused until 2026-03-29 23:31 UTC. Withdrawals are not affected."},
			"You chose a 7-day time-out, so deposits and play are paused until 2026-03-29 23:31 UTC. Withdrawals are not affected."},
		{"an old row saying what to do after it", "fi", time.UTC, models.Order{KYCOutcome: models.KYCFinish,
			KYCMessage: "We could not read your identity from your bank. No money was moved; please contact support."},
			"Emme saaneet henkilöllisyyttäsi luettua pankiltasi. Ota yhteyttä asiakastukeen. Rahaa ei siirretty."},
		{"no decision", "sv", time.UTC, models.Order{}, "Betalningen avslutades innan den var klar. Inga pengar flyttades."},
		// The bank sent the money all the same: the page says it goes back, so the
		// refusal says nothing of money.
		{"held", "sv", time.UTC, held(stored(models.Text{ID: "kyc.self-excluded", Args: []any{"Register", "Spelpaus"}}, "English")),
			"Du är registrerad som avstängd från spel (Spelpaus), så du kan inte spela här."},
		{"held, an old row of a plain rule", "et", time.UTC, held(models.Order{KYCOutcome: models.KYCFinish,
			KYCMessage: "You must be 18 or older to play. No money was moved."}), "Mängimiseks pead olema vähemalt 18-aastane."},
		{"held, an old row naming a register", "sv", time.UTC, held(models.Order{KYCOutcome: models.KYCFinish,
			KYCMessage: "You are registered as excluded from gambling (Spelpaus), so you cannot play here. No money was moved."}),
			"You are registered as excluded from gambling (Spelpaus), so you cannot play here."},
		{"held, an old row saying what to do after it", "en", time.UTC, held(models.Order{KYCOutcome: models.KYCFinish,
			KYCMessage: "We cannot open play here for this bank identity just now. No money was moved; please contact support."}),
			"We cannot open play here for this bank identity just now. Please contact support."},
		{"held, an id no file has", "nl", time.UTC, held(stored(models.Text{ID: "kyc.no-such-rule"}, "The English sentence. No money was moved.")),
			"The English sentence."},
		// Staff returned it to the payer: money moved all the same.
		{"returned", "sv", time.UTC, returned(stored(models.Text{ID: "kyc.self-excluded", Args: []any{"Register", "Spelpaus"}}, "English")),
			"Du är registrerad som avstängd från spel (Spelpaus), så du kan inte spela här."},
		{"returned, an old row of a plain rule", "en", time.UTC, returned(models.Order{KYCOutcome: models.KYCFinish,
			KYCMessage: "You must be 18 or older to play. No money was moved."}), "You must be 18 or older to play."},
	} {
		app := fiber.New()
		app.Get("/", func(c *fiber.Ctx) error {
			c.Locals(localizerKey, localized{l: lang.For(tt.code, tt.zone)})
			return c.SendString(kycMessage(c, tt.order))
		})
		resp, err := app.Test(httptest.NewRequest(http.MethodGet, "/", nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if got := string(body); got != tt.want {
			t.Errorf("%s: %q; want %q", tt.name, got, tt.want)
		}
	}
}

// TestAmountRangeInThePagesLanguage: the sentence the browser shows for an amount
// outside the form's limits (data-range) writes them as the page writes amounts,
// "10,00 kr" in Swedish, not as the decimal text of data-min and data-max.
func TestAmountRangeInThePagesLanguage(t *testing.T) {
	o := fundingOptions()
	o.Setup = withPayNPlay(t, "FI=hybrid")
	lv := startLive(t, o)
	cl, _, _ := funded(t, lv, "range@example.com", "1000") // Sweden, SEK, with a bank account
	cl.submit("/language", url.Values{"lang": {"sv"}, "back": {"/cashier"}}).wantRedirect("/cashier")
	visitor := lv.client()
	visitor.submit("/language", url.Values{"lang": {"fi"}, "back": {"/"}}).wantRedirect("/")
	for _, tt := range []struct {
		who        *testClient
		path, want string
	}{
		{cl, "/cashier", "Ange ett belopp från 10,00\u00a0kr till 10\u00a0000,00\u00a0kr."},
		{cl, "/payout", "Ange ett belopp från 10,00\u00a0kr till 10\u00a0000,00\u00a0kr."},
		{visitor, "/?market=FI", "Anna summa väliltä 10,00\u00a0€–10\u00a0000,00\u00a0€."},
	} {
		r := tt.who.get(tt.path).wantStatus(http.StatusOK)
		amount := r.byTestID("amount")
		if len(amount) != 1 {
			t.Errorf("%s: %d amount fields", tt.path, len(amount))
			continue
		}
		if got := attr(amount[0], "data-range"); got != tt.want {
			t.Errorf("%s: data-range %q; want %q", tt.path, got, tt.want)
		}
		if got := attr(amount[0], "data-min"); got != "10.00" {
			t.Errorf("%s: data-min %q; want the decimal text 10.00", tt.path, got)
		}
	}
}

// TestEveryMemoIsTranslated: every memo cashier books on a player's wallet (the
// English literals of its models.Move calls and memo choices) is read in the
// player's language in the history, not shown as booked.
func TestEveryMemoIsTranslated(t *testing.T) {
	files, err := filepath.Glob("../cashier/*.go")
	if err != nil {
		t.Fatal(err)
	}
	move := regexp.MustCompile(`models\.Move\([^,]+, "([^"]+)"`)
	choice := regexp.MustCompile(`memo\(\w+, "([^"]+)", "([^"]+)"\)`)
	var memos []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range move.FindAllStringSubmatch(string(b), -1) {
			memos = append(memos, m[1])
		}
		for _, m := range choice.FindAllStringSubmatch(string(b), -1) {
			memos = append(memos, m[1], m[2])
		}
	}
	if len(memos) < 10 {
		t.Fatalf("found %d memos in cashier; the patterns no longer match its code", len(memos))
	}
	for _, memo := range memos {
		for _, l := range lang.Languages[1:] {
			if got := memoText(lang.For(l.Code, nil), memo); got == memo {
				t.Errorf("memo %q reads in English in %s", memo, l.Code)
			}
		}
	}
}

// TestLanguageChoiceKeepsThePage: the language picker, a form that works without
// script (a select and a submit button), goes back to the page it was chosen on:
// a page got, with its query; an error page, without it (the query may name
// another player's order, which a page not found never shows); a page shown for
// a form sent (a refusal, the break's confirmation), the form's own page, with
// what was typed in its query as after signing in again, so the player is not
// sent to the cashier or the start page from the form they were filling in.
func TestLanguageChoiceKeepsThePage(t *testing.T) {
	ta := newTestApp(t, withPayNPlay(t, "FI=hybrid"))
	cl, _ := ta.signedIn("back@example.com")
	visitor := ta.client()
	get := func(path string) func(cl *testClient) *testResponse {
		return func(cl *testClient) *testResponse { return cl.get(path) }
	}
	submit := func(path string, form url.Values) func(cl *testClient) *testResponse {
		return func(cl *testClient) *testResponse { return cl.submit(path, form) }
	}
	for _, tt := range []struct {
		name string
		who  *testClient
		do   func(cl *testClient) *testResponse
		back string
	}{
		{"a page with its query", cl, get("/bank-accounts/new?country=FI"), "/bank-accounts/new?country=FI"},
		{"the start page of a market", visitor, get("/?market=FI"), "/?market=FI"},
		{"a page not found", cl, get("/no-such-page?x=1"), "/no-such-page"},
		{"another player's order", cl, get("/deposit/checkout?order=dep-someone-elses"), "/deposit/checkout"},
		{"a deposit refused", cl, submit("/deposit", url.Values{"amount": {"1"}}), "/cashier?amount=1"},
		{"a payout refused", cl, submit("/payout", url.Values{"amount": {"20"}, "account": {"999999"}}), "/payout?account=999999&amount=20"},
		{"limits refused", cl, submit("/limits", url.Values{"day": {"x"}}), "/limits?day=x"},
		{"bank details refused", cl, submit("/bank-accounts/new", url.Values{"country": {"SE"}, "bank": {"x"}}), "/bank-accounts/new?bank=x&country=SE"},
		{"a break to confirm", cl, submit("/breaks", url.Values{"kind": {"time-out-24h"}}), "/breaks"},
		{"a form expired", cl, func(cl *testClient) *testResponse { return cl.post("/payout", url.Values{"amount": {"20"}}) }, "/payout?amount=20"},
		{"a registration refused", visitor, submit("/register", url.Values{"email": {"not an email"}}), "/register"},
		{"a sign-in refused", visitor, submit("/login", url.Values{"email": {"nobody@example.com"}, "password": {"wrong password"},
			"next": {"/payout"}}), "/login?next=%2Fpayout"},
		{"Deposit & play refused", visitor, submit("/paynplay/deposit", url.Values{"market": {"FI"}, "amount": {"1"}}), "/?amount=1&market=FI"},
	} {
		r := tt.do(tt.who)
		form := r.byTestID("language-form")
		if len(form) != 1 {
			t.Errorf("%s: %d language forms (status %d)", tt.name, len(form), r.Status)
			continue
		}
		sub := &testResponse{t: t, doc: form[0], what: tt.name}
		if !sub.has("language") || !sub.has("language-submit") {
			t.Errorf("%s: the language form has no choice or no button to send it without script", tt.name)
		}
		back := sub.find(func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "back" })
		if len(back) != 1 {
			t.Errorf("%s: %d back fields", tt.name, len(back))
			continue
		}
		if got := attr(back[0], "value"); got != tt.back {
			t.Errorf("%s: the language form goes back to %q; want %q", tt.name, got, tt.back)
			continue
		}
		tt.who.submit("/language", url.Values{"lang": {"fi"}, "back": {tt.back}}).wantRedirect(tt.back)
		tt.who.submit("/language", url.Values{"lang": {"en"}, "back": {"/"}})
	}
}

// TestTryAgainInThePagesLanguage: a failed deposit's "Try again" fills the
// cashier's amount field as the page's language types amounts ("150,50" in
// Swedish, as the limits form and the placeholder write them), not with the
// decimal point of the order's text; English keeps "150.50", and the amount
// filled in is read back as the same amount.
func TestTryAgainInThePagesLanguage(t *testing.T) {
	lv := startLive(t, autoComplete("deposit-cancel"))
	cl, _ := lv.signedIn("retry@example.com")
	for _, tt := range []struct{ lang, href, value string }{
		{"en", "/cashier?amount=150.50", "150.50"},
		{"sv", "/cashier?amount=150%2C50", "150,50"},
		{"nl", "/cashier?amount=150%2C50", "150,50"},
	} {
		cl.submit("/language", url.Values{"lang": {tt.lang}, "back": {"/cashier"}}).wantRedirect("/cashier")
		id := lv.startDeposit(cl, "150.50")
		lv.waitStatus(id, models.OrderFailed)
		retry := cl.get("/deposit/fail?order=" + id).wantStatus(http.StatusOK).byTestID("try-again")
		if len(retry) != 1 || attr(retry[0], "href") != tt.href {
			var hrefs []string
			for _, n := range retry {
				hrefs = append(hrefs, attr(n, "href"))
			}
			t.Errorf("%s: Try again links to %q; want %s", tt.lang, hrefs, tt.href)
			continue
		}
		if got := cl.get(tt.href).value("amount"); got != tt.value {
			t.Errorf("%s: Try again fills in %q; want %q", tt.lang, got, tt.value)
		}
		if o := lv.order(lv.startDeposit(cl, tt.value)); o.Amount.Minor != 15050 {
			t.Errorf("%s: the amount filled in starts a deposit of %d minor units; want 15050", tt.lang, o.Amount.Minor)
		}
	}
}
