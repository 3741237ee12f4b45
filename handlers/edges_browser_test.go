package handlers

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/models"
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
const brokenWords = `(function(){
	var out = [], width = document.documentElement.clientWidth;
	var walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), n;
	while ((n = walk.nextNode())) {
		var el = n.parentElement;
		if (!el || !el.getClientRects().length || el.closest(".visually-hidden, script, style, option")) continue;
		var box = el.closest("td, th"), right = box ? box.getBoundingClientRect().right : width;
		var re = /\S+/g, m;
		while ((m = re.exec(n.data))) {
			var top = null;
			for (var i = 0; i < m[0].length; i++) {
				var r = document.createRange();
				r.setStart(n, m.index + i); r.setEnd(n, m.index + i + 1);
				var rc = r.getClientRects()[0];
				if (!rc || rc.width === 0) continue;
				if (rc.right > right + 0.5 || rc.right > width + 0.5) { out.push("overflows " + m[0]); break; }
				if (top !== null && rc.top > top + 2 && !/[-\/\u00ad\u2013]/.test(m[0][i-1])) {
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
			b.snap("words-" + code + strings.ReplaceAll(path, "/", "-"))
			if bad, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](brokenWords)); err != nil || len(bad) > 0 {
				t.Errorf("%s in %s on a phone: %q (%v); want every word whole and on screen", path, code, bad, err)
			}
			if wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](overflow)); err != nil || len(wide) > 0 {
				t.Errorf("%s in %s on a phone is cut off: %v (%v)", path, code, wide, err)
			}
		}
	}
}
