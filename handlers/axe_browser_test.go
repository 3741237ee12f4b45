package handlers

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
)

// Accessibility: every player page is checked with axe-core (the npm package,
// installed by .ci/run into .cache/axe) at desktop and phone widths, and must
// have no serious or critical violation.

// axeScript is axe.min.js: $AXE_CORE, or .cache/axe at the top of the checkout.
// Without it the test is skipped, unless CI=true, where it fails, as a missing
// Chromium does.
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("AXE_CORE")
	if path == "" {
		path = filepath.Join("..", ".cache", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		msg := "axe-core not found at " + path + ": npm install --prefix .cache/axe axe-core@4.14.1 (or set AXE_CORE)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true)")
		}
		t.Skip(msg)
	}
	return string(b)
}

// axeRun is axe.run over the page, for WCAG 2.1 A and AA and axe's best
// practices, without descending into frames (Trustly's checkout is not ours);
// it answers the serious and critical violations, one line each.
const axeRun = `axe.run(document, {iframes: false, resultTypes: ["violations"],
	runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
	.then(function(r){ return r.violations.filter(function(v){ return v.impact === "serious" || v.impact === "critical"; })
		.map(function(v){ return v.impact + " " + v.id + ": " + v.help + " at " +
			v.nodes.slice(0, 3).map(function(n){ return n.target.join(" "); }).join(", "); }); })`

// checkAxe opens each path at desktop and phone widths and reports what axe finds.
func (b *browser) checkAxe(script string, paths ...string) {
	b.t.Helper()
	b.checkAxeAt(script, []int64{1280, 390}, paths...)
}

// checkAxeInOtherLanguages chooses each language but English with the page's
// language picker and checks paths at desktop width (the phone width's layout
// does not change with the language; English is checked at both), then goes
// back to English.
func (b *browser) checkAxeInOtherLanguages(script string, paths ...string) {
	b.t.Helper()
	for _, l := range lang.Languages[1:] {
		b.chooseLanguage(l.Code)
		b.checkAxeAt(script, []int64{1280}, paths...)
	}
	b.chooseLanguage(lang.Default)
}

// chooseLanguage picks code in the language picker of the error page, which
// every visitor and player sees, and waits for the page in that language.
func (b *browser) chooseLanguage(code string) {
	b.t.Helper()
	b.do("choose "+code, chromedp.Navigate(b.lv.URL+"/no-such-page"), chromedp.WaitReady(id("language-form")),
		chromedp.SetValue(id("language"), code), chromedp.Submit(id("language-form")),
		chromedp.WaitReady(`html[lang="`+code+`"]`))
}

// checkAxeAt opens each path at each width and reports what axe finds.
func (b *browser) checkAxeAt(script string, widths []int64, paths ...string) {
	b.t.Helper()
	for _, width := range widths {
		b.do("width", chromedp.EmulateViewport(width, 900))
		for _, path := range paths {
			b.do("open "+path, chromedp.Navigate(b.lv.URL+path), chromedp.WaitReady("main"))
			if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`)); err != nil {
				b.t.Fatal(err)
			}
			found, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](script+";\n"+axeRun, chromedp.EvalAwaitPromise))
			if err != nil {
				b.t.Fatalf("axe on %s: %v", path, err)
			}
			for _, v := range found {
				b.t.Errorf("%s at %d px in %s: %s", path, width, b.pageLanguage(), v)
			}
		}
	}
	b.do("desktop width", chromedp.EmulateViewport(1280, 900))
}

// TestBrowserAccessibility walks every player page a new player sees: the start,
// sign-in and registration pages, then signed in the cashier, a deposit's
// checkout, success and fail pages, the history, bank accounts and their forms,
// a withdrawal, the profile, breaks and deposit limits, and the error page; in
// English at desktop and phone widths, in every other language at desktop width.
func TestBrowserAccessibility(t *testing.T) {
	script := axeScript(t)
	lv := startLive(t, liveOptions{})
	b := newBrowserFor(t, lv, 8*browserTimeout)

	visitor := []string{"/", "/login", "/register", "/no-such-page"}
	b.checkAxe(script, visitor...)
	b.checkAxeInOtherLanguages(script, visitor...)

	email := "lea@example.com"
	b.do("register", b.register(email)...)
	cl := lv.signedInAs(email)
	lv.fund(cl, "1000")
	lea := lv.playerByEmail(email)
	acc := lv.waitAccount(lea, models.AccountFromDeposit)
	credited := latestOrder(t, lv, lea, models.OrderDeposit)
	cancelled := lv.startDeposit(cl, "100")
	lv.checkoutAction(cancelled, "cancel")
	lv.waitStatus(cancelled, models.OrderFailed)
	started := lv.startDeposit(cl, "200")
	b.withdraw("300", acc.Descriptor)
	payout := b.location()[len(lv.URL):]

	player := []string{"/cashier", "/deposit/checkout?order=" + started, "/deposit/success?order=" + credited,
		"/deposit/fail?order=" + cancelled, "/history", "/bank-accounts", "/bank-accounts/new", "/bank-accounts/new?country=FI",
		"/payout", payout, "/profile", "/breaks", "/limits", "/no-such-page"}
	b.checkAxe(script, player...)
	b.checkAxeInOtherLanguages(script, player...)
}

// latestOrder is the MessageID of the player's newest order of kind.
func latestOrder(t *testing.T, lv *liveApp, player models.Player, kind models.OrderKind) string {
	t.Helper()
	var o models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, kind).Order("id DESC").Take(&o).Error; err != nil {
		t.Fatal(err)
	}
	return o.MessageID
}

// pageLanguage is the lang attribute of the page shown.
func (b *browser) pageLanguage() string {
	code, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil {
		return "?"
	}
	return code
}
