package handlers

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
)

// englishWord is a word of at least three letters: a text of a page in another
// language that holds one and is also, word for word, a text of the same page in
// English was not translated.
var englishWord = regexp.MustCompile(`[A-Za-z]{3,}`)

// sameInEveryLanguage are texts a page shows as they are in English: names (of
// Trustly, of the languages in the picker, of the test player and their bank),
// codes (SEK, IBAN), and, by language, words that are English words too.
var sameInEveryLanguage = map[string]map[string]bool{
	"": {"Trustly": true, "English": true, "Svenska": true, "Suomi": true, "Eesti": true, "Nederlands": true,
		"Åsa Öberg-Lindqvist": true, "words@example.com": true, "Handelsbanken": true, "Handelsbanken **706212": true},
	"sv": {"Status": true, "Period": true, "Finland": true, "Finland (EUR)": true},
	"nl": {"Status": true, "Finland": true, "Finland (EUR)": true, "SEK 100": true, "SEK 250": true, "SEK 500": true},
	"fi": {"Latvia": true, "Latvia (EUR)": true},
}

// code is a currency or account code, the same in every language.
var code = regexp.MustCompile(`^[A-Z]{3,4}$`)

// playerVisit is one request a player's browser makes, and what it is called.
type playerVisit struct {
	name string
	who  *testClient
	do   func(cl *testClient) *testResponse
	json []string // the fields of a JSON answer that the page's script shows
}

// TestNoEnglishOnPlayerPages visits every player page (and the error pages, the
// refused forms and the checkout frame's page) in English and then in each other
// language, and fails on a text the page shows in English in the other language:
// a text node or an attribute people read (visibleTexts) that holds an English word
// and is, word for word, one of the same request's texts in English. A literal in a
// view, a sentence built in Go that does not go through the translator, and a
// message missing from a file all show this way. The <title> is one of the texts.
func TestNoEnglishOnPlayerPages(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) {
		withPayNPlay(t, "FI=hybrid")(s)
		s.Web.LoginLimit, s.Web.OrderLimit, s.Web.OrderLimitPerIP = 1000, 1000, 1000
	}})
	cl, player := lv.signedIn("words@example.com")
	first := lv.startDeposit(cl, "1000")
	lv.checkoutAction(first, "confirm")
	lv.waitStatus(first, models.OrderCredited)
	acc := lv.waitAccount(player, models.AccountFromDeposit)
	deposit := lv.startDeposit(cl, "100") // left in its checkout
	payout := requestPayout(t, cl, "20", acc.ID)
	selection := cl.submit("/bank-accounts/select", nil).wantStatus(http.StatusSeeOther).Header.Get("Location")
	visitor := lv.client()
	payNPlay := startPayNPlay(visitor, "FI", "100") // left in its checkout
	onBreak, _ := lv.signedIn("break@example.com")
	ended := lv.player("ended@example.com")
	current := lang.Default // the language texts is reading
	onBreak.submit("/breaks/confirm", url.Values{"kind": {"time-out-7d"}}).wantRedirect("/breaks")
	// limited is a browser of another app that refuses every sign-in after the first.
	ta := newTestApp(t, func(s *testSetup) { s.Web.LoginLimit = 1 })
	limited := ta.client()
	limited.submit("/login", url.Values{"email": {"nobody@example.com"}, "password": {"wrong password"}})

	get := func(path string) func(cl *testClient) *testResponse {
		return func(cl *testClient) *testResponse { return cl.get(path) }
	}
	submit := func(path string, form url.Values) func(cl *testClient) *testResponse {
		return func(cl *testClient) *testResponse { return cl.submit(path, form) }
	}
	var visits []playerVisit
	for _, path := range []string{"/", "/?market=FI", "/?market=NL", "/login", "/register", "/no-such-page",
		"/login?next=%2Fcashier", "/paynplay/checkout?order=" + payNPlay, cashier.PayNPlayFailPath + "?order=" + payNPlay,
		cashier.PayNPlaySuccessPath + "?order=" + payNPlay} {
		visits = append(visits, playerVisit{path, visitor, get(path), nil})
	}
	for _, path := range []string{"/cashier", "/payout", "/history", "/bank-accounts", "/bank-accounts/new",
		"/bank-accounts/new?country=FI", "/profile", "/breaks", "/limits", "/deposit/checkout?order=" + deposit,
		"/deposit/success?order=" + first, "/deposit/fail?order=" + deposit, "/payouts/" + strconv.FormatInt(payout, 10),
		"/payouts/999999", selection, strings.Replace(selection, "/bank-accounts/checkout", "/accounts/success", 1),
		strings.Replace(selection, "/bank-accounts/checkout", "/accounts/fail", 1), "/no-such-page"} {
		visits = append(visits, playerVisit{path, cl, get(path), nil})
	}
	visits = append(visits,
		playerVisit{"deposit below the limits", cl, submit("/deposit", url.Values{"amount": {"1"}}), nil},
		playerVisit{"deposit not an amount", cl, submit("/deposit", url.Values{"amount": {"abc"}}), nil},
		playerVisit{"payout above the balance", cl, submit("/payout", url.Values{"amount": {"5000"}, "account": {strconv.FormatInt(acc.ID, 10)}}), nil},
		playerVisit{"payout to no account", cl, submit("/payout", url.Values{"amount": {"20"}, "account": {"999999"}}), nil},
		playerVisit{"limits not an amount", cl, submit("/limits", url.Values{"day": {"x"}}), nil},
		playerVisit{"break confirmation", cl, submit("/breaks", url.Values{"kind": {"time-out-24h"}}), nil},
		playerVisit{"bank details refused", cl, submit("/bank-accounts/new", url.Values{"country": {"SE"}, "bank": {"x"}}), nil},
		playerVisit{"IBAN of another country", cl, submit("/bank-accounts/new", url.Values{"country": {"FI"}, "account": {"SE4550000000058398257466"}}), nil},
		playerVisit{"password too short", cl, submit("/profile/password", url.Values{"current": {"x"}, "password": {"x"}, "confirm": {"y"}}), nil},
		playerVisit{"form without a CSRF token", cl, func(cl *testClient) *testResponse {
			return cl.post("/deposit", url.Values{"amount": {"100"}})
		}, nil},
		playerVisit{"a form's path asked for", cl, get("/logout"), nil},
		playerVisit{"body too large", cl, func(cl *testClient) *testResponse {
			return tooLarge(t, lv, cl, "/deposit")
		}, nil},
		playerVisit{"register refused", visitor, submit("/register", url.Values{"email": {"not an email"}, "password": {"x"}}), nil},
		playerVisit{"register in no market", visitor, submit("/register", url.Values{"email": {"new@example.com"},
			"password": {testPassword}, "name": {"Anna Svensson"}, "country": {"XX"}}), nil},
		playerVisit{"login refused", visitor, submit("/login", url.Values{"email": {"nobody@example.com"}, "password": {"wrong password"}}), nil},
		playerVisit{"Pay N Play below the limits", visitor, submit("/paynplay/deposit", url.Values{"market": {"FI"}, "amount": {"1"}}), nil},
		playerVisit{"Pay N Play in no market", visitor, submit("/paynplay/login", url.Values{"market": {"XX"}}), nil},
		playerVisit{"signed out", visitor, get("/cashier"), nil},
		playerVisit{"language unknown", visitor, submit("/language", url.Values{"lang": {"xx"}}), nil},
		playerVisit{"the cashier on a break", onBreak, get("/cashier"), nil},
		playerVisit{"the breaks page on a break", onBreak, get("/breaks"), nil},
		playerVisit{"a deposit on a break", onBreak, submit("/deposit", url.Values{"amount": {"100"}}), nil},
		playerVisit{"a second break", onBreak, submit("/breaks/confirm", url.Values{"kind": {"time-out-24h"}}), nil},
		playerVisit{"a session ended elsewhere", visitor, func(*testClient) *testResponse {
			x := lv.client()
			x.signIn(ended.Email, testPassword)
			x.submit("/language", url.Values{"lang": {current}, "back": {"/cashier"}})
			if err := lv.Svc.EndSessions(t.Context(), ended.ID); err != nil {
				t.Fatal(err)
			}
			return x.get(x.get("/cashier").wantStatus(http.StatusSeeOther).Header.Get("Location"))
		}, nil},
		playerVisit{"deposit's status", cl, get("/deposit/status?order=" + deposit), []string{"text", "title", "amount", "credited", "balance"}},
		playerVisit{"payout's status", cl, get("/payouts/" + strconv.FormatInt(payout, 10) + "/status"), []string{"state"}},
		playerVisit{"account selection's status", cl, get(strings.Replace(selection, "/bank-accounts/checkout", "/accounts/status", 1)), []string{"text"}},
		playerVisit{"too many sign-ins", limited, submit("/login", url.Values{"email": {"nobody@example.com"}, "password": {"wrong password"}}), nil},
	)

	texts := func(language string) [][]string {
		current = language
		for _, who := range []*testClient{visitor, cl, onBreak, limited} {
			who.submit("/language", url.Values{"lang": {language}, "back": {"/"}})
		}
		out := make([][]string, len(visits))
		for i, v := range visits {
			r := v.do(v.who)
			if r.Status >= 300 && r.Status < 400 {
				if loc := r.Header.Get("Location"); loc != "" {
					r = v.who.get(loc)
				}
			}
			if v.json != nil {
				var answer map[string]any
				if err := json.Unmarshal([]byte(r.Body), &answer); err != nil {
					t.Fatalf("%s: %d %v\n%s", v.name, r.Status, err, r.Body)
				}
				for _, field := range v.json {
					s, _ := answer[field].(string)
					out[i] = append(out[i], s)
				}
				continue
			}
			if !strings.Contains(r.Body, `<html lang="`+language+`"`) {
				t.Errorf("%s in %s: the page is not marked lang=%q", v.name, language, language)
			}
			visibleTexts(r.parse(), &out[i])
			for j, s := range out[i] {
				out[i][j] = strings.Join(strings.Fields(s), " ")
			}
		}
		return out
	}
	english := texts(lang.Default)
	for _, l := range lang.Languages[1:] {
		for i, page := range texts(l.Code) {
			inEnglish := map[string]bool{}
			for _, s := range english[i] {
				inEnglish[s] = true
			}
			for _, s := range page {
				same := sameInEveryLanguage[""][s] || sameInEveryLanguage[l.Code][s] || code.MatchString(s) ||
					strings.HasPrefix(s, "<") // a <noscript> in the head, which the parser reads as text
				if inEnglish[s] && englishWord.MatchString(s) && !same {
					t.Errorf("%s in %s shows %q", visits[i].name, l.Code, s)
				}
			}
		}
	}
}

// tooLarge posts to path as cl over lv's listener, with cl's cookies and a
// Content-Length over the app's BodyLimit: the server refuses it before the app's
// routes run, and app.Test gives an error instead of its page. No body is sent,
// so the refusal cannot race a client still writing one.
func tooLarge(t *testing.T, lv *liveApp, cl *testClient, path string) *testResponse {
	t.Helper()
	var cookies []string
	for _, c := range cl.Jar.Cookies(cl.base) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(lv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	raw := "POST " + path + " HTTP/1.1\r\nHost: cashier.test\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
		"Cookie: " + strings.Join(cookies, "; ") + "\r\nContent-Length: 9999999\r\n\r\n"
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("POST %s: %d, %v; want 413", path, resp.StatusCode, err)
	}
	return &testResponse{t: t, Status: resp.StatusCode, Header: resp.Header, Body: string(body), what: "POST " + path}
}

// TestServerErrorInThePagesLanguage: the page of a failure inside (the database
// gone, a panic) is in the browser's language, as every other error page is,
// though the player cannot be read: its title, its sentence and <html lang>.
func TestServerErrorInThePagesLanguage(t *testing.T) {
	ta := newTestApp(t)
	cl := ta.client()
	cl.signUp("anna@example.com")
	cl.submit("/language", url.Values{"lang": {"fi"}, "back": {"/cashier"}}).wantRedirect("/cashier")
	fi := lang.For("fi", nil)

	handleError := errorHandler(ta.Deps.Log)
	mw := newMiddleware(ta.Deps, handleError)
	boom := fiber.New(fiber.Config{ErrorHandler: handleError})
	boom.Use(mw.requestID, mw.recoverPanics)
	boom.Get("/boom", func(c *fiber.Ctx) error { panic("boom") })
	panicked := *cl
	panicked.app = boom

	if err := store.Close(ta.DB); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*testResponse{
		"database gone": cl.get("/cashier").wantStatus(http.StatusInternalServerError),
		"panic":         panicked.get("/boom").wantStatus(http.StatusInternalServerError),
	} {
		if got, want := r.text("error-title"), fi.T("error.title.generic"); got != want {
			t.Errorf("%s: title %q; want %q", name, got, want)
		}
		if got, want := r.text("error-message"), fi.T("error.generic"); got != want {
			t.Errorf("%s: sentence %q; want %q", name, got, want)
		}
		if !strings.Contains(r.Body, `<html lang="fi"`) {
			t.Errorf("%s: the page is not marked lang=\"fi\"", name)
		}
	}
}
