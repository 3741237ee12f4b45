package handlers

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/cashier/limits"
)

// withLimitPolicies gives the live app the built-in deposit-limit policies.
func withLimitPolicies(s *testSetup) { s.Cashier.Config.LimitPolicy = limits.Builtin() }

// registerOnly registers a Swedish player and signs in, without waiting for the
// cashier page (a market that requires limits shows the limits page first).
func (b *browser) registerOnly(email string) []chromedp.Action[chromedp.Void] {
	steps := b.register(email)
	return steps[:len(steps)-1]
}

// TestBrowserLimitsBeforeFirstDeposit: a Swedish player who signs in for the first
// time is sent from the cashier to the limits page, with a sentence asking for
// limits before the first deposit (the page, with its sentence over the fields,
// passes axe); once one is set, the cashier takes deposits and says what the
// limit leaves.
func TestBrowserLimitsBeforeFirstDeposit(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: withLimitPolicies})
	b := newBrowser(t, lv)

	b.do("register and sign in", b.registerOnly("lina@example.com")...)
	b.do("land on the limits page", chromedp.WaitVisible(id("limits-form")))
	b.waitLocation("/limits")
	if got, want := b.text("limits-intro"), "Set your deposit limits before you deposit: a limit for at least one of a day, a week or a month."; got != want {
		t.Errorf("intro %q; want %q", got, want)
	}
	b.snap("limits-first")
	b.checkAxe(axeScript(t), "/limits") // with the sentence over the fields asking for one limit
	b.do("open the cashier anyway", chromedp.Navigate(lv.URL+"/cashier"), chromedp.WaitVisible(id("limits-form")))
	b.waitLocation("/limits")

	b.do("set a daily limit of 1 000 SEK", chromedp.SendKeys(id("limit-input-day"), "1000"),
		chromedp.Click(id("limits-submit")), chromedp.WaitVisible(id("flash")))
	if got := b.text("limit-day-limit"); got != "SEK 1,000.00" {
		t.Errorf("daily limit shown %q; want SEK 1,000.00", got)
	}
	if b.has("limits-intro") {
		t.Error("the page still asks for limits after one was set")
	}
	b.do("go to the cashier", chromedp.Click(id("limits-to-cashier")), chromedp.WaitVisible(id("deposit-form")))
	if got, want := b.text("deposit-limit-note"), "Your daily deposit limit leaves SEK 1,000.00 now. Your limits"; got != want {
		t.Errorf("limit note %q; want %q", got, want)
	}
}

// TestBrowserDepositAboveLimit: a deposit above what the limit leaves (a pending
// deposit counts) is refused with the amount still allowed, and the form's max
// is that amount.
func TestBrowserDepositAboveLimit(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: withLimitPolicies})
	b := newBrowser(t, lv)

	b.do("register and sign in", b.registerOnly("nils@example.com")...)
	b.do("set a daily limit of 600 SEK", chromedp.WaitVisible(id("limits-form")),
		chromedp.SendKeys(id("limit-input-day"), "600"), chromedp.Click(id("limits-submit")), chromedp.WaitVisible(id("flash")))
	b.do("start a deposit of 250 SEK", b.depositSteps("250")...)
	b.do("see the checkout", chromedp.WaitVisible(id("checkout-frame")))

	b.do("back to the cashier", chromedp.Navigate(lv.URL+"/cashier"), chromedp.WaitVisible(id("deposit-form")))
	if got, want := b.text("deposit-limit-note"), "Your daily deposit limit leaves SEK 350.00 now. Your limits"; got != want {
		t.Errorf("limit note with 250 SEK pending %q; want %q", got, want)
	}
	max, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=amount]").dataset.max`))
	if err != nil || max != "350.00" {
		t.Errorf("amount max %q (%v); want 350.00", max, err)
	}
	// The form's max stops a larger amount in the browser; without JavaScript a
	// quick pick sends its amount unchecked, and the server refuses it.
	b.do("turn JavaScript off", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}), chromedp.Reload(), chromedp.WaitVisible(id("deposit-form")))
	b.do("press the 500 SEK quick pick", chromedp.Click(id("pick-500.00")), chromedp.WaitVisible(id("problem")))
	if got, want := b.text("problem"), "Your daily deposit limit leaves SEK 350.00 now; deposit at most that amount."; got != want {
		t.Errorf("refusal %q; want %q", got, want)
	}
	b.snap("deposit-above-limit")
	b.do("see the limits page", chromedp.Navigate(lv.URL+"/limits"), chromedp.WaitVisible(id("limits-table")))
	if used, left := b.text("limit-day-used"), b.text("limit-day-left"); used != "SEK 250.00" || !strings.HasPrefix(left, "SEK 350.00") {
		t.Errorf("limits page: used %q, left %q; want SEK 250.00 and SEK 350.00", used, left)
	}
}

// TestBrowserLimitsPhoneWaitingOnlyWhenSomethingWaits: on a 360 px phone, where
// the limits' rows stack, a period with a raise waiting shows "Waiting" beside
// it, and a period with nothing waiting shows no empty "Waiting" line; screen
// readers still find that row's waiting cell, empty, under its column, as on a
// wide screen, where the column stays.
func TestBrowserLimitsPhoneWaitingOnlyWhenSomethingWaits(t *testing.T) {
	lv := startLive(t, liveOptions{Setup: withLimitPolicies})
	b := newBrowser(t, lv)
	email := "vera@example.com"
	b.do("register", b.registerOnly(email)...)
	cl := lv.signedInAs(email)
	cl.submit("/limits", url.Values{"day": {"500"}, "week": {"2000"}, "month": {"5000"}}).wantRedirect("/limits")
	cl.submit("/limits", url.Values{"day": {"900"}, "week": {"2000"}, "month": {"5000"}}).wantRedirect("/limits")

	// shown is the pending cell of a period as drawn: its height and its text.
	shown := func(period string) (float64, string) {
		t.Helper()
		type drawn struct {
			Height float64 `json:"height"`
			Text   string  `json:"text"`
		}
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[drawn](`(function(){
			var td = document.querySelector('[data-testid="limit-`+period+`-pending"]').closest("td"), r = td.getBoundingClientRect();
			return {height: r.height, text: td.innerText.trim()}; })()`))
		if err != nil {
			t.Fatal(err)
		}
		return got.Height, strings.Join(strings.Fields(got.Text), " ")
	}
	// role is what screen readers are told the pending cell of a period is.
	role := func(period string) string {
		t.Helper()
		nodes, err := chromedp.Run(b.ctx, chromedp.Nodes(`[data-testid="limit-`+period+`"] td:last-child`))
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			res, err := cdp.Call(ctx, tg, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{
				BackendNodeID: nodes[0].BackendNodeID, FetchRelatives: new(false)})
			if err == nil && len(res.Nodes) > 0 && !res.Nodes[0].Ignored && res.Nodes[0].Role != nil {
				got = strings.Trim(string(res.Nodes[0].Role.Value), `"`)
			}
			return err
		})); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, width := range []int64{360, 1000} {
		b.do("open the limits", chromedp.EmulateViewport(width, 800), chromedp.Navigate(lv.URL+"/limits"), chromedp.WaitVisible(id("limits-table")))
		if h, text := shown("day"); h < 10 || !strings.Contains(text, "SEK 900.00") || (width == 360) != strings.HasPrefix(text, "Waiting") {
			t.Errorf("%d px: the day's raise is drawn %.0f px high, reading %q; want it shown (beside its heading on a phone)", width, h, text)
		}
		for _, period := range []string{"week", "month"} {
			if h, text := shown(period); width == 360 && h > 1 {
				t.Errorf("%d px: nothing waits for the %s, yet its waiting cell is drawn %.0f px high, reading %q; want it out of sight", width, period, h, text)
			}
			if got := role(period); got != "cell" {
				t.Errorf("%d px: screen readers get the %s's waiting cell as %q; want a cell", width, period, got)
			}
		}
	}
}
