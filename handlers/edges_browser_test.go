package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox"
)

// Browser tests of the rough edges a first-time player met: what fits on a phone
// and what the amount field accepts.

// overflow is the JavaScript that lists the elements wider than the screen (or
// than the scrolling box around a table): their data-testid, or tag name.
const overflow = `(function(){
	var out = [], width = document.documentElement.clientWidth;
	if (document.documentElement.scrollWidth > width) out.push("page " + document.documentElement.scrollWidth + " > " + width);
	document.querySelectorAll(".table-wrap").forEach(function(w){
		if (w.scrollWidth > w.clientWidth) out.push((w.firstElementChild.getAttribute("data-testid") || "table") + " " + w.scrollWidth + " > " + w.clientWidth);
	});
	return out; })()`

// TestBrowserPhoneFits: on a 360 px phone the history's tables show every column
// without scrolling sideways, and the sandbox checkout's steps fit the screen.
func TestBrowserPhoneFits(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)

	email := "jon@example.com"
	b.do("register", b.register(email)...)
	lv.fund(lv.signedInAs(email), "1000")
	lv.startDeposit(lv.signedInAs(email), "250")
	b.do("use a phone-sized screen", chromedp.EmulateViewport(360, 780))
	b.do("open the history", chromedp.Navigate(lv.URL+"/history"), chromedp.WaitVisible(id("orders")))
	b.snap("history-phone")
	if wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflow)); err != nil || len(wide) > 0 {
		t.Errorf("on a phone the history is cut off: %v (%v)", wide, err)
	}

	b.do("start a deposit", b.depositSteps("100")...)
	b.do("wait for the checkout in the whole window", chromedp.WaitVisible(id("bank-next")))
	steps := []struct {
		name   string
		action chromedp.Action[chromedp.Void]
		next   string
	}{
		{"bank", chromedp.Click(id("bank-next")), "person-se-adult"},
		{"login", chromedp.Click(id("person-se-adult")), "login"},
		{"account", chromedp.Click(id("login")), "account-next"},
		{"options", chromedp.Click(id("account-next")), "scenario"},
	}
	for _, s := range steps {
		b.do("checkout step "+s.name, s.action, chromedp.WaitVisible(id(s.next)))
		if wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflow)); err != nil || len(wide) > 0 {
			t.Errorf("the checkout after step %s is wider than the phone: %v (%v)", s.name, wide, err)
		}
	}
	b.snap("checkout-options-phone")
}

// TestBrowserAmountField: the amount field refuses "1e3" in the browser (a
// number field took it and the server refused it), and takes "99,50"; amounts
// outside the limits (10 to 10 000 SEK) are refused before the form is sent.
func TestBrowserAmountField(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	b.do("register", b.register("kai@example.com")...)
	for _, tt := range []struct {
		typed string
		valid bool
	}{{"1e3", false}, {"99,50", true}, {"1 250.00", true}, {"10 000,01", false}, {"9,99", false}} {
		b.do("type "+tt.typed, chromedp.Evaluate[chromedp.Void](`document.getElementById("amount").value = ""`), chromedp.SendKeys(id("amount"), tt.typed))
		var value string
		valid, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("amount").checkValidity()`))
		if err == nil {
			value, err = chromedp.Run(b.ctx, chromedp.Value(id("amount")))
		}
		if err != nil || valid != tt.valid || value != tt.typed {
			t.Errorf("typed %q: the field holds %q, valid %t (%v); want it as typed, valid %t", tt.typed, value, valid, err, tt.valid)
		}
	}
}

// brokenWords is the JavaScript that lists the words of the page that a line
// break cuts in the middle (not after a hyphen or a slash), or that reach past
// their table cell or the screen: "broken Sissemak|se", "overflows Tühistatud".
// Text clipped out of sight (for screen readers only, as the headings of a
// table whose rows stack) is not looked at. A token that is not a word (an email, an IBAN, a masked personal number: it
// holds a digit or an @) may break where it is wider than its line can be: the
// box it is in, or for a table cell the table's container, as a table must not
// squeeze a column narrower than its tokens.
const brokenWords = `(function(){
	var out = [], width = document.documentElement.clientWidth;
	var notWord = /[@\d]/;
	function room(el) {
		var box = el.closest("td, th");
		if (box) { box = box.closest("table").parentElement; }
		else { box = el; while (box.parentElement && /^(inline|contents)$/.test(getComputedStyle(box).display)) box = box.parentElement; }
		var cs = getComputedStyle(box);
		return box.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
	}
	function clipped(el) {
		for (var a = el; a; a = a.parentElement) {
			var cs = getComputedStyle(a);
			if (cs.position === "absolute" && cs.clip !== "auto") return true;
		}
		return false;
	}
	var walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), n;
	while ((n = walk.nextNode())) {
		var el = n.parentElement;
		if (!el || !el.getClientRects().length || el.closest(".visually-hidden, script, style, option") || clipped(el)) continue;
		var box = el.closest("td, th"), right = box ? box.getBoundingClientRect().right : width;
		var re = /\S+/g, m;
		while ((m = re.exec(n.data))) {
			var rects = [], wide = 0;
			for (var i = 0; i < m[0].length; i++) {
				var r = document.createRange();
				r.setStart(n, m.index + i); r.setEnd(n, m.index + i + 1);
				var rc = r.getClientRects()[0];
				rects.push(rc && rc.width > 0 ? rc : null);
				if (rc) wide += rc.width;
			}
			var mayBreak = notWord.test(m[0]) && wide > room(el) + 0.5, top = null;
			for (var i = 0; i < rects.length; i++) {
				var rc = rects[i];
				if (!rc) continue;
				if (rc.right > right + 0.5 || rc.right > width + 0.5) { out.push("overflows " + m[0]); break; }
				if (top !== null && rc.top > top + 2 && !mayBreak && !/[-\/\u00ad\u2013]/.test(m[0][i-1])) {
					out.push("broken " + m[0].slice(0, i) + "|" + m[0].slice(i)); break;
				}
				top = rc.top;
			}
		}
	}
	return out; })()`

// TestBrowserPhoneWordsWhole: on a 360 px phone no word of the history (its
// deposits and withdrawals, every state's words) or of the cashier page is cut in
// the middle or runs off its cell or the screen, in Estonian, whose words are
// long ("Sissemakse", "Tühistatud"), and in every other language.
func TestBrowserPhoneWordsWhole(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)

	email := "mari@example.com"
	b.do("register", b.register(email)...)
	cl := lv.signedInAs(email)
	lv.fund(cl, "1000")
	lv.checkoutAction(lv.startDeposit(cl, "250"), "cancel")
	lv.startDeposit(cl, "100")
	account := lv.waitAccount(lv.playerByEmail(email), models.AccountFromDeposit)
	requestPayout(t, cl, "300", account.ID)
	b.do("use a phone-sized screen", chromedp.EmulateViewport(360, 780))
	for _, code := range []string{"et", "en", "sv", "fi", "nl"} {
		b.chooseLanguage(code)
		for _, path := range []string{"/history", "/cashier"} {
			b.do("open "+path+" in "+code, chromedp.Navigate(lv.URL+path), chromedp.WaitReady("main"))
			b.wordsWhole(path, code)
		}
	}
}

// wordsWhole reports the words of the page shown (what, in language code) that a
// line break cuts or that run off their cell or the screen (brokenWords), and
// what is wider than the screen (overflow).
func (b *browser) wordsWhole(what, code string) {
	b.t.Helper()
	b.snap("words-" + code + "-" + strings.Trim(strings.NewReplacer("/", "-", "?", "-", "=", "-", " ", "-").Replace(what), "-"))
	if bad, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](brokenWords)); err != nil || len(bad) > 0 {
		b.t.Errorf("%s in %s on a phone: %q (%v); want every word whole and on screen", what, code, bad, err)
	}
	if wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflow)); err != nil || len(wide) > 0 {
		b.t.Errorf("%s in %s on a phone is cut off: %v (%v)", what, code, wide, err)
	}
}

// TestBrowserPhoneWordsWholeEverywhere: on a 360 px phone no word is cut in the
// middle or runs off its cell or the screen on any page a visitor or a signed-in
// player reaches, in every language: the start pages of a hybrid, a pure and a
// password-only market, sign-in and registration, a Pay N Play refusal (under
// 18) and the refusal of a self-excluded player's sign-in; then signed in the
// payouts and a payout, bank accounts (chosen with Trustly and typed, with a
// Swedish account and an IBAN), the bank details forms, an account's result pages
// (verifying, added, nothing added), the deposit's result pages (in the balance,
// not paid, waiting), limits and their history, breaks with a past one, the
// break's confirmation, the profile, and the reality check notice; last a Pay N
// Play player's profile, with the form to choose an email and a password and,
// 15 minutes after the bank login, the sentence that stands in for it.
func TestBrowserPhoneWordsWholeEverywhere(t *testing.T) {
	clock := &testClock{now: time.Now()}
	register := exclusions.Sandbox()
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) {
		withPayNPlay(t, "FI=hybrid,NL=pure")(s)
		s.Cashier.Exclusions = register
		s.Cashier.Now = clock.Now
		s.Cashier.Config.RealityCheck = map[string]time.Duration{"SE": 30 * time.Minute}
	}})
	b := newBrowserFor(t, lv, 8*browserTimeout)
	b.do("use a phone-sized screen", chromedp.EmulateViewport(360, 780))

	// A visitor: a minor refused by Pay N Play, and an excluded player's sign-in.
	b.do("deposit & play 100 as a minor", chromedp.Navigate(lv.URL+"/?market=FI"), chromedp.WaitVisible(id("deposit-play-form")),
		chromedp.SendKeys(id("amount"), "100"), chromedp.Click(id("deposit-play")), chromedp.WaitVisible(id("sandbox-banner")))
	b.do("log in to the bank as Aino, under 18", bankLogin("fi-minor")...)
	b.waitLocation("/paynplay/")
	b.do("the refusal", chromedp.WaitVisible(id("refusal")))
	refused := b.location()[len(lv.URL):]
	if _, err := lv.Svc.Register(context.Background(), models.Registration{Email: "anna@example.com", Password: testPassword,
		FirstName: "Anna", LastName: "Svensson", Country: "SE", PersonID: "197901311246"}); err != nil {
		t.Fatal(err)
	}
	register.Entries = append(register.Entries, exclusions.FakeEntry{Country: "SE", PersonID: "197901311246"})
	for _, code := range []string{"et", "en", "sv", "fi", "nl"} {
		b.chooseLanguage(code)
		for _, path := range []string{"/?market=FI", "/?market=NL", "/?market=SE", "/login", "/register", refused} {
			b.do("open "+path+" in "+code, chromedp.Navigate(lv.URL+path), chromedp.WaitReady("main"))
			b.wordsWhole(path, code)
		}
		b.do("sign in as Anna, excluded", chromedp.Navigate(lv.URL+"/login"), chromedp.WaitVisible(id("login-form")),
			chromedp.SendKeys(id("email"), "anna@example.com"), chromedp.SendKeys(id("password"), testPassword),
			chromedp.Click(id("login-submit")), chromedp.WaitVisible(id("refused-title")))
		b.wordsWhole("excluded sign-in", code)
	}

	email := "mari@example.com"
	b.do("register", b.registerAs(email, "Åsa", "Öberg", "19900101-1239")...)
	cl := lv.signedInAs(email)
	lv.fund(cl, "1000")
	mari := lv.playerByEmail(email)
	account := lv.waitAccount(mari, models.AccountFromDeposit)
	credited := latestOrder(t, lv, mari, models.OrderDeposit)
	cancelled := lv.startDeposit(cl, "250")
	lv.checkoutAction(cancelled, "cancel")
	waiting := lv.startDeposit(cl, "100")
	payout := requestPayout(t, cl, "300", account.ID)
	requestPayout(t, cl, "120.50", account.ID)
	cl.submit("/bank-accounts/new", url.Values{"country": {"SE"}, "bank": {"6112"}, "account": {"6970 6212"}}).wantRedirect("/bank-accounts")
	cl.submit("/bank-accounts/new", url.Values{"country": {"FI"}, "account": {"FI21 1234 5600 0007 85"}}).wantRedirect("/bank-accounts")
	selects := make([]string, 2)
	for i := range selects {
		r := cl.submit("/bank-accounts/select", nil).wantStatus(http.StatusSeeOther)
		q, _ := url.ParseQuery(strings.TrimPrefix(r.Header.Get("Location"), "/bank-accounts/checkout?"))
		selects[i] = q.Get("order")
	}
	lv.checkoutAction(selects[0], "confirm")
	lv.waitStatus(selects[0], models.OrderAccountAdded)
	cl.submit("/limits", url.Values{"day": {"500"}, "week": {"2000"}, "month": {"5000"}}).wantRedirect("/limits")
	cl.submit("/limits", url.Values{"day": {"900"}, "week": {"2000"}, "month": {"5000"}}).wantRedirect("/limits")
	past := clock.Now().Add(-30 * 24 * time.Hour)
	ended := past.Add(7 * 24 * time.Hour)
	if err := lv.DB.Create(&breaks.Break{PlayerID: mari.ID, Kind: breaks.TimeOut7d, StartsAt: past, EndsAt: &ended, CreatedAt: past}).Error; err != nil {
		t.Fatal(err)
	}

	paths := []string{"/payout", "/payouts/" + strconv.FormatInt(payout, 10), "/bank-accounts", "/bank-accounts/new",
		"/bank-accounts/new?country=FI", "/accounts/success?order=" + selects[0], "/accounts/success?order=" + selects[1],
		"/accounts/fail?order=" + selects[1], "/deposit/success?order=" + credited, "/deposit/fail?order=" + cancelled,
		"/deposit/success?order=" + waiting, "/limits", "/breaks", "/profile", "/no-such-page"}
	for _, code := range []string{"et", "en", "sv", "fi", "nl"} {
		b.chooseLanguage(code)
		for _, path := range paths {
			b.do("open "+path+" in "+code, chromedp.Navigate(lv.URL+path), chromedp.WaitReady("main"))
			b.wordsWhole(path, code)
		}
		b.do("choose the longest break", chromedp.Navigate(lv.URL+"/breaks"), chromedp.WaitVisible(id("break-form")),
			chromedp.Click(id("kind-"+string(breaks.ExclusionEver))), chromedp.Click(id("break-next")),
			chromedp.WaitVisible(id("break-confirm-text")))
		b.wordsWhole("break confirmation", code)
	}

	clock.Advance(31 * time.Minute)
	for _, code := range []string{"et", "en", "sv", "fi", "nl"} {
		b.chooseLanguage(code)
		b.do("the reality check in "+code, chromedp.Navigate(lv.URL+"/cashier"), chromedp.WaitVisible(id("reality-check")))
		b.wordsWhole("reality check", code)
	}

	// A bank-only player of the hybrid market (FI) on the profile page: with the
	// form to choose an email and a password just after logging in with the bank
	// (and the deposit's page offering it), and with the sentence that stands in
	// for it once the window is over.
	b.do("log out", chromedp.Navigate(lv.URL+"/profile"), chromedp.WaitVisible(id("logout")),
		chromedp.Click(id("logout")), chromedp.WaitVisible(id("login-form")))
	b.do("deposit & play 100 as Matti", chromedp.Navigate(lv.URL+"/?market=FI"), chromedp.WaitVisible(id("deposit-play-form")),
		chromedp.SendKeys(id("amount"), "100"), chromedp.Click(id("deposit-play")), chromedp.WaitVisible(id("sandbox-banner")))
	b.do("log in to the bank as Matti", bankLogin("fi-adult")...)
	b.do("pay", payAfterKYC()...)
	b.waitLocation("/deposit/success")
	result := b.location()[len(lv.URL):]
	for _, shown := range []string{"sign-in-form", "sign-in-window"} {
		for _, code := range []string{"et", "en", "sv", "fi", "nl"} {
			b.chooseLanguage(code)
			b.do("the profile in "+code, chromedp.Navigate(lv.URL+"/profile"), chromedp.WaitVisible(id(shown)))
			b.wordsWhole("profile with "+shown, code)
			if shown == "sign-in-form" { // the deposit's page offers the form meanwhile
				b.do("the deposit's page in "+code, chromedp.Navigate(lv.URL+result), chromedp.WaitVisible(id("finish-sign-in")))
				b.wordsWhole("deposit's page with the offer of an email and password", code)
			}
		}
		clock.Advance(cashier.BankSignInWindow + time.Second)
	}
}

// heldRegister is a self-exclusion register that answers at once for the persons
// it lists (excluded) and keeps every other question until the test ends, so
// their Pay N Play kyc stays undecided: the cashier is still asking when Trustly
// gives up waiting and sends the visitor back.
type heldRegister struct {
	listed  *exclusions.Fake
	release chan struct{}
}

func (h heldRegister) Check(ctx context.Context, p exclusions.Person) (exclusions.Result, error) {
	if res, err := h.listed.Check(ctx, p); err != nil || res.Excluded {
		return res, err
	}
	select {
	case <-h.release:
		return exclusions.Result{Register: "held", Reference: "held:none"}, nil
	case <-ctx.Done():
		return exclusions.Result{}, ctx.Err()
	}
}

// TestBrowserPhoneWordsWholePayNPlay: on a 360 px phone no word is cut in the
// middle or runs off on the Pay N Play pages between the start page and the
// player's first page, in every language: the checkout page of "Deposit & play"
// and of "Log in with your bank" (framed on wide screens; on a phone the note
// shown while the whole window goes to Trustly, and without script the link),
// and the page that waits for the kyc decision after the bank login, for a
// deposit and for a login, and the refusal of a person the national register
// excludes ("You cannot play here"). The visitor reaches the waiting page as one would
// when the register is slow: the sandbox's checkout waits a second for the
// cashier's kyc answer (its login step's option), gives up and sends the window
// back while the cashier still asks the register.
func TestBrowserPhoneWordsWholePayNPlay(t *testing.T) {
	held := heldRegister{listed: exclusions.Sandbox(), release: make(chan struct{})}
	lv := startLive(t, liveOptions{
		Setup: func(s *testSetup) {
			withPayNPlay(t, "SE=pure")(s)
			s.Cashier.Exclusions = held
			s.Cashier.RegisterTimeout = time.Hour
		},
		// The sandbox stops waiting for the held answer after a second (its
		// deliverer gives up, then the kyc's wait runs out); the cancel that
		// follows would end the waiting, so it comes later.
		Sandbox: func(c *sandbox.Config) { c.DeliveryTimeout, c.NotifyDelay = time.Second, time.Hour },
	})
	t.Cleanup(func() { close(held.release) })
	b := newBrowserFor(t, lv, 8*browserTimeout)

	b.do("use a wide screen", chromedp.EmulateViewport(1000, 780))
	b.depositAndPlay("SE", "100")
	depositCheckout := b.location()[len(lv.URL):]
	b.do("log in with the bank", chromedp.Navigate(lv.URL+"/?market=SE"), chromedp.WaitVisible(id("bank-login-form")),
		chromedp.Click(id("bank-login")), chromedp.WaitVisible(id("checkout-frame")))
	b.waitLocation("/paynplay/checkout")
	loginCheckout := b.location()[len(lv.URL):]

	codes := []string{"et", "en", "sv", "fi", "nl"}
	for _, code := range codes {
		b.chooseLanguage(code)
		for _, path := range []string{depositCheckout, loginCheckout} {
			// Opened on a phone the page goes to Trustly at once: it is opened wide
			// and seen at a phone's width, without script and then as the phone
			// shows it while it goes.
			b.do("open "+path+" in "+code, chromedp.EmulateViewport(1000, 780), chromedp.Navigate(lv.URL+path),
				chromedp.WaitVisible(id("checkout-title")), chromedp.EmulateViewport(360, 780))
			b.wordsWhole(path+" without script", code)
			b.do("going to Trustly", chromedp.Evaluate[chromedp.Void](`document.querySelector(".checkout").classList.add("redirecting")`))
			b.wordsWhole(path, code)
		}
	}

	// A browser remembers its last three orders: these two come after.
	b.do("use a phone-sized screen", chromedp.EmulateViewport(360, 780))
	waitKYC := func(what string, start ...chromedp.Action[chromedp.Void]) string {
		b.do(what, append(start, chromedp.WaitVisible(id("bank-next")), chromedp.Click(id("bank-next")),
			chromedp.WaitVisible(id("person-se-adult")), chromedp.Click(id("person-se-adult")),
			chromedp.SendKeys(id("kyc-timeout"), "1s"), chromedp.Click(id("login")))...)
		b.waitLocation("/paynplay/fail")
		b.do("the waiting page", chromedp.WaitVisible(id("paynplay-waiting")))
		return b.location()[len(lv.URL):]
	}
	depositWaits := waitKYC("deposit & play 100 on a phone", chromedp.Navigate(lv.URL+"/?market=SE"),
		chromedp.WaitVisible(id("deposit-play-form")), chromedp.SendKeys(id("amount"), "100"), chromedp.Click(id("deposit-play")))
	loginWaits := waitKYC("log in with the bank on a phone", chromedp.Navigate(lv.URL+"/?market=SE"),
		chromedp.WaitVisible(id("bank-login-form")), chromedp.Click(id("bank-login")))
	for _, code := range codes {
		b.chooseLanguage(code)
		for _, path := range []string{depositWaits, loginWaits} {
			b.do("open "+path+" in "+code, chromedp.Navigate(lv.URL+path), chromedp.WaitVisible(id("paynplay-waiting")))
			b.wordsWhole(path, code)
		}
	}

	// A person the register lists is refused at once: "You cannot play here".
	b.do("deposit & play 100 as Sven, excluded", chromedp.Navigate(lv.URL+"/?market=SE"), chromedp.WaitVisible(id("deposit-play-form")),
		chromedp.SendKeys(id("amount"), "100"), chromedp.Click(id("deposit-play")))
	b.do("log in to the bank as Sven", bankLogin("se-excluded")...)
	b.waitLocation("/paynplay/")
	b.do("the refusal", chromedp.WaitVisible(id("refusal")))
	refused := b.location()[len(lv.URL):]
	for _, code := range codes {
		b.chooseLanguage(code)
		b.do("open "+refused+" in "+code, chromedp.Navigate(lv.URL+refused), chromedp.WaitVisible(id("refusal")))
		b.wordsWhole("excluded "+refused, code)
	}
}

// TestBrowserPhoneWordsWholeErrors: on a 360 px phone no word is cut in the
// middle or runs off on the error pages a visitor meets, in every language:
// "page not found" (a missing route), "Not allowed" (403: a form whose cookie has
// gone), "Too many attempts" (429) for an account's
// failed sign-ins ("Wait 15 minutes") and for an address's ("Wait a minute"), and
// "Something went wrong" (500: the database is gone). Each language's visitor
// comes from an address of its own (through the trusted proxy), as the limits
// per address last a minute.
func TestBrowserPhoneWordsWholeErrors(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) {
		s.Cashier.Config.SignInFailures = 2
		s.Web.LoginLimit = 5
		s.Web.TrustedProxies = []string{"127.0.0.0/8"}
	}})
	b := newBrowserFor(t, lv, 6*browserTimeout)
	b.do("use a phone-sized screen", chromedp.EmulateViewport(360, 780))
	from := func(addr string) {
		b.do("come from "+addr, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"X-Forwarded-For": addr}})
			return err
		}))
	}
	signIn := func(email string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{chromedp.Navigate(lv.URL + "/login"), chromedp.WaitVisible(id("login-form")),
			chromedp.SendKeys(id("email"), email), chromedp.SendKeys(id("password"), "not the password"),
			chromedp.Evaluate[chromedp.Void](`document.body.setAttribute("data-sent", "")`),
			chromedp.Click(id("login-submit")), chromedp.WaitReady("body:not([data-sent]) main")}
	}
	// tooMany signs in as email with a wrong password until an error page's
	// sentence is the one wanted: an account's limit names its 15 minutes, an
	// address's says "a minute" in words.
	tooMany := func(email string, perAccount bool) {
		for range 8 {
			b.do("sign in as "+email, signIn(email)...)
			if b.has("error-message") && strings.Contains(b.text("error-message"), "15") == perAccount {
				return
			}
		}
		t.Fatalf("signing in as %s: no 429 page for the account (%t); the last: %s", email, perAccount, b.location())
	}
	codes := []string{"et", "en", "sv", "fi", "nl"}
	for i, code := range codes {
		from("203.0.113." + strconv.Itoa(i+1))
		b.chooseLanguage(code)
		b.do("a missing page in "+code, chromedp.Navigate(lv.URL+"/no-such-page"), chromedp.WaitVisible(id("error-title")))
		b.wordsWhole("404", code)
		b.do("sign in with a form whose cookie has gone", chromedp.Navigate(lv.URL+"/login"), chromedp.WaitVisible(id("login-form")),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, network.DeleteCookies, network.DeleteCookiesParams{Name: "cashier_csrf", URL: lv.URL})
				return err
			}),
			chromedp.SendKeys(id("email"), "anna@example.com"), chromedp.SendKeys(id("password"), testPassword),
			chromedp.Click(id("login-submit")), chromedp.WaitVisible(id("error-title")))
		b.wordsWhole("403 form expired", code)
		tooMany("guess-"+code+"@example.com", true)
		b.wordsWhole("429 for an account", code)
		tooMany("guess-"+code+"@example.com", false)
		b.wordsWhole("429 for an address", code)
	}

	if err := store.Close(lv.DB); err != nil {
		t.Fatal(err)
	}
	for i, code := range codes {
		from("203.0.113." + strconv.Itoa(i+11))
		b.chooseLanguage(code)
		b.do("sign in without a database", append(signIn("anna@example.com"), chromedp.WaitVisible(id("request-id")))...)
		b.wordsWhole("500", code)
	}
}

// languagePicker is the JavaScript that measures the footer's language picker:
// the width of its select and how far apart (px, top to top) its label, select
// and button are.
const languagePicker = `(function(){
	var f = document.querySelector("[data-testid=language-form]");
	var l = f.querySelector("label"), s = f.querySelector("select"), b = f.querySelector("button");
	var tops = [l, s, b].map(function(e){ var r = e.getBoundingClientRect(); return r.top + r.height / 2; });
	return [s.getBoundingClientRect().width, Math.max.apply(null, tops) - Math.min.apply(null, tops)]; })()`

// TestBrowserLanguagePickerFits: the footer's language picker is one line, its
// label, the select as wide as its languages and the button side by side, on a
// desktop and on a phone. The forms' rule made every select as wide as its box,
// so on a desktop the picker was a select across the whole window between its
// label above and its button below.
func TestBrowserLanguagePickerFits(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	for _, width := range []int64{1280, 360} {
		b.do("open the landing page at "+strconv.FormatInt(width, 10)+" px", chromedp.EmulateViewport(width, 800),
			chromedp.Navigate(lv.URL+"/"), chromedp.WaitVisible(id("language")))
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](languagePicker))
		if err != nil {
			t.Fatal(err)
		}
		if selectWidth, apart := got[0], got[1]; selectWidth > 250 || apart > 10 {
			b.snap("language-picker-" + strconv.FormatInt(width, 10))
			t.Errorf("at %d px the language select is %.0f px wide and its label, select and button %.0f px apart; want at most 250 px, on one line",
				width, selectWidth, apart)
		}
	}
}
