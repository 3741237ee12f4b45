package handlers

// Browser tests drive Chromium (sandboxtest.Browser) against a liveApp:
//
//	lv := startLive(t, liveOptions{Sandbox: playerPace})
//	b := newBrowser(t, lv)                         // skips without Chromium, unless CI=true
//	b.do("register", b.register("anna@example.com")...)
//	b.do("deposit", b.depositSteps("100.00")...)   // ends on the checkout page
//	frame := b.checkoutFrame()                     // the framed checkout, a target of its own
//	b.doIn(frame, "pay", payInCheckout("deposit-ok")...)
//	b.waitLocation("/deposit/success")
//	b.waitText("order-status", "In your balance")
//
// A failing test leaves a full-page screenshot in its t.TempDir() and logs the
// path; with CASHIER_SCREENSHOTS=dir, b.snap(name) also saves one there on
// purpose, to look at the pages.

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
)

// browserTimeout bounds one browser test.
const browserTimeout = 30 * time.Second

// playerPace slows the sandbox's notifications to a person's pace: the first
// comes a second after the checkout, the rest 300 ms apart, so the result page is
// seen before the money arrives and must update by itself.
func playerPace(c *sandbox.Config) {
	c.NotifyDelay = time.Second
	c.StepDelay = 300 * time.Millisecond
}

// id is the selector for a data-testid.
var id = sandboxtest.TestID

// browser is one Chromium tab on a liveApp.
type browser struct {
	t   *testing.T
	ctx context.Context
	lv  *liveApp
}

// newBrowser starts Chromium for the test (1280 × 900) and takes a screenshot
// into t.TempDir() if the test fails.
func newBrowser(t *testing.T, lv *liveApp) *browser {
	t.Helper()
	return newBrowserFor(t, lv, browserTimeout)
}

// newBrowserFor is newBrowser for a test that may take up to timeout.
func newBrowserFor(t *testing.T, lv *liveApp, timeout time.Duration) *browser {
	t.Helper()
	b := &browser{t: t, ctx: sandboxtest.Browser(t, timeout), lv: lv}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		// The test's context may have run out; the tab is still open.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(b.ctx), 5*time.Second)
		defer cancel()
		loc := b.lastLocation()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Logf("no screenshot of %s: %v", loc, err)
			return
		}
		path := filepath.Join(t.TempDir(), "failure.png")
		if err := os.WriteFile(path, png, 0o644); err == nil {
			t.Logf("screenshot of %s at failure: %s", loc, path)
		}
	})
	return b
}

// do runs steps in the tab and fails the test, saying what it was doing, at the
// first error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.doIn(b.ctx, what, steps...)
}

// doIn runs steps in ctx: the tab, or a frame from checkoutFrame.
func (b *browser) doIn(ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s (at %s): %v", what, b.lastLocation(), err)
	}
}

// lastLocation is the tab's URL for a failure message, read even when the test's
// context has run out (it then read as "", and a timeout said nowhere where it
// had waited).
func (b *browser) lastLocation() string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(b.ctx), 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown: " + err.Error()
	}
	return loc
}

// text is the trimmed text of the element with data-testid testid.
func (b *browser) text(testid string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(id(testid)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", testid, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

// value is the current value of the form field with data-testid testid.
func (b *browser) value(testid string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Value(id(testid)))
	if err != nil {
		b.t.Fatalf("value of %s: %v", testid, err)
	}
	return v
}

// location is the tab's URL.
func (b *browser) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return loc
}

// waitText waits until the element with data-testid testid reads want (spaces
// normalized), as a person waits for a page to update.
func (b *browser) waitText(testid, want string) {
	b.t.Helper()
	q, _ := json.Marshal(`[data-testid="` + testid + `"]`)
	expr := `(function(){ var e = document.querySelector(` + string(q) + `);
		return e ? e.textContent.replace(/\s+/g, " ").trim() : null; })()`
	var got string
	b.eventually(testid+" reads "+strconv.Quote(want), func() (bool, error) {
		var err error
		got, err = chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
		return got == want, err
	}, func() string { return "it reads " + strconv.Quote(got) })
}

// waitLocation waits until the whole tab (not a frame) shows the cashier's path,
// with any query.
func (b *browser) waitLocation(path string) {
	b.t.Helper()
	var loc string
	b.eventually("the tab shows "+path, func() (bool, error) {
		var err error
		loc, err = chromedp.Run(b.ctx, chromedp.Location())
		return strings.HasPrefix(loc, b.lv.URL+path), err
	}, func() string { return "it shows " + loc })
}

// waitLoaded waits until the tab's page has finished loading (document.readyState
// "complete"), for a page the test reached by a click or a script rather than by
// chromedp.Navigate, which waits for it. Text on a page can be read while it still
// loads its deferred scripts, but Chromium renumbers the page's nodes when its
// DOMContentLoaded comes (DOM.documentUpdated), and a click on a node found
// before then fails with "Could not find node with given id".
func (b *browser) waitLoaded() {
	b.t.Helper()
	var state string
	b.eventually("the page has loaded", func() (bool, error) {
		var err error
		state, err = chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.readyState`))
		return state == "complete", err
	}, func() string { return "it is " + state })
}

// eventually calls check every 50 ms for up to 15 s until it reports true. Errors
// count as "not yet": a page that is navigating cannot answer.
func (b *browser) eventually(what string, check func() (bool, error), last func() string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := check()
		if ok && err == nil {
			return
		}
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			b.t.Fatalf("waited in vain until %s (at %s): %s (%v)", what, b.lastLocation(), last(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// snap saves a screenshot of the tab as name.png in $CASHIER_SCREENSHOTS, when set.
func (b *browser) snap(name string) {
	b.t.Helper()
	dir := os.Getenv("CASHIER_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

// register opens an account through the registration form, in Sweden (SEK), signs
// in on the login page it is sent to, and ends on the cashier page.
func (b *browser) register(email string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(b.lv.URL + "/register"),
		chromedp.WaitVisible(id("register-form")),
		chromedp.SendKeys(id("email"), email),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.SendKeys(id("first-name"), "Åsa"),
		chromedp.SendKeys(id("last-name"), "Öberg"),
		chromedp.SetValue(id("country"), "SE"),
		chromedp.Click(id("register-submit")),
		chromedp.WaitVisible(id("login-form")),
		// The sign-in page has the email just registered in its field.
		chromedp.WaitVisible(`[data-testid="email"][value="` + email + `"]`),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("deposit-form")),
	}
}

// depositSteps types amount on the cashier page and starts the deposit.
func (b *browser) depositSteps(amount string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(b.lv.URL + "/cashier"),
		chromedp.WaitVisible(id("amount")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("amount").value = ""`),
		chromedp.SendKeys(id("amount"), amount),
		chromedp.Click(id("deposit-submit")),
	}
}

// checkoutFrame waits for the framed checkout and returns a context for it. The
// checkout is on another site (liveApp.CheckoutOrigin), so Chromium runs it as a
// target of its own: the context attaches to that target, and detaches rather
// than closing it when the test ends (STACK.md).
func (b *browser) checkoutFrame() context.Context {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		infos, err := chromedp.Targets(b.ctx)
		if err != nil {
			b.t.Fatalf("list targets: %v", err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, b.lv.CheckoutOrigin+"/checkout/") {
				ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
				b.t.Cleanup(cancel)
				return ctx
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no checkout frame from %s among %d targets (at %s)", b.lv.CheckoutOrigin, len(infos), b.location())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// payInCheckout clicks through the sandbox's checkout as the Swedish adult test
// person and confirms with scenario. It works in the frame and in the whole tab.
func payInCheckout(scenario string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(id("bank-next")),
		chromedp.Click(id("bank-next")),
		chromedp.WaitVisible(id("person-se-adult")),
		chromedp.Click(id("person-se-adult")),
		chromedp.Click(id("login")),
		chromedp.WaitVisible(id("account-next")),
		chromedp.Click(id("account-next")),
		chromedp.WaitVisible(id("scenario")),
		chromedp.SetValue(id("scenario"), scenario),
		chromedp.Click(id("confirm")),
	}
}

// cancelInCheckout presses the sandbox checkout's Cancel on its first step.
func cancelInCheckout() []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(id("bank-next")),
		chromedp.Click(id("cancel")),
	}
}

// has reports whether an element with data-testid testid is on the page now.
func (b *browser) has(testid string) bool {
	b.t.Helper()
	q, _ := json.Marshal(`[data-testid="` + testid + `"]`)
	found, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector(`+string(q)+`) !== null`))
	if err != nil {
		b.t.Fatal(err)
	}
	return found
}

// scriptOff turns JavaScript off in the tab (the pages it then loads run none of
// theirs); a framed checkout, a target of its own, keeps its own.
func scriptOff() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
}

// doubleClick double-clicks the element with data-testid testid as a person does:
// two presses of the mouse 100 ms apart, the second counted as a double click. On a
// submit button each press sends the form; the page shows the answer to the second.
func doubleClick(testid string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(`[data-testid="` + testid + `"]`)
	center := `(function(){ var e = document.querySelector(` + string(q) + `); e.scrollIntoView({block: "center"});
		var r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		at, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](center))
		if err != nil {
			return err
		}
		if _, err := chromedp.Run(ctx, chromedp.MouseClickXY(at[0], at[1])); err != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
		_, err = chromedp.Run(ctx, chromedp.MouseClickXY(at[0], at[1], chromedp.ClickCount(2)))
		return err
	})
}

// slowNetwork makes every answer take at least latency to arrive, as on a phone
// far from the server: a second click then comes before the first one's page.
func slowNetwork(latency time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Latency: float64(latency.Milliseconds()), DownloadThroughput: -1, UploadThroughput: -1}}})
		return err
	})
}
