package handlers

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
)

// TestBrowserSelfExcludedCannotRegisterOrLogIn: with the sandbox's register, Sven
// Spelpaus (a self-excluded test person) opens no account at registration, and is
// told what any registration is told (the personnummer is only typed, so the page
// must not say who is excluded); a player who excluded themselves after
// registering is refused at sign-in, with the password, and told why.
func TestBrowserSelfExcludedCannotRegisterOrLogIn(t *testing.T) {
	register := exclusions.Sandbox()
	lv := startLive(t, liveOptions{Setup: func(s *testSetup) { s.Cashier.Exclusions = register }})
	b := newBrowser(t, lv)

	b.do("register as Sven Spelpaus",
		chromedp.Navigate(lv.URL+"/register"),
		chromedp.WaitVisible(id("register-form")),
		chromedp.SendKeys(id("email"), "sven@example.com"),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.SendKeys(id("first-name"), "Sven"),
		chromedp.SendKeys(id("last-name"), "Spelpaus"),
		chromedp.SetValue(id("country"), "SE"),
		chromedp.SendKeys(id("person-id"), "19850202-1119"),
		chromedp.Click(id("register-submit")),
		chromedp.WaitVisible(id("login-form")))
	if got := b.text("flash"); got != "Thank you for registering. Sign in with your email and password." {
		t.Errorf("registration answered %q; want the answer of every registration", got)
	}
	var n int64
	if lv.DB.Model(&models.Player{}).Where("email = ?", "sven@example.com").Count(&n); n != 0 {
		t.Errorf("%d accounts for the excluded person; want none", n)
	}

	// Anna registers while not excluded, then excludes herself in Spelpaus.
	if _, err := lv.Svc.Register(context.Background(), models.Registration{Email: "anna@example.com", Password: testPassword,
		FirstName: "Anna", LastName: "Svensson", Country: "SE", PersonID: "197901311246"}); err != nil {
		t.Fatal(err)
	}
	register.Entries = append(register.Entries, exclusions.FakeEntry{Country: "SE", PersonID: "197901311246"})
	b.do("log in as Anna",
		chromedp.Navigate(lv.URL+"/login"),
		chromedp.WaitVisible(id("login-form")),
		chromedp.SendKeys(id("email"), "anna@example.com"),
		chromedp.SendKeys(id("password"), testPassword),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("refused-title")))
	if got := b.text("refused-message"); !strings.HasPrefix(got, "You are registered as excluded from gambling") {
		t.Errorf("sign-in message %q; want the sentence about the register", got)
	}
	b.do("open the cashier", chromedp.Navigate(lv.URL+"/cashier"), chromedp.WaitVisible(id("login-form")))
}

// TestBrowserTimeOutStopsDeposits: a player takes a 7-day time-out on the break
// page, confirming it; the cashier then says until when, the deposit form is
// disabled, and a deposit sent anyway is refused with the same sentence.
func TestBrowserTimeOutStopsDeposits(t *testing.T) {
	lv := startLive(t, liveOptions{})
	b := newBrowser(t, lv)
	b.do("register", b.register("asa@example.com")...)

	b.do("choose a 7-day time-out",
		chromedp.Navigate(lv.URL+"/breaks"),
		chromedp.WaitVisible(id("break-form")),
		chromedp.Click(id("kind-time-out-7d")),
		chromedp.Click(id("break-next")),
		chromedp.WaitVisible(id("break-confirm-form")))
	if got := b.text("break-confirm-text"); !strings.Contains(got, "a 7-day time-out") {
		t.Errorf("confirmation %q; want the 7-day time-out", got)
	}
	b.do("confirm", chromedp.Click(id("break-confirm")), chromedp.WaitVisible(id("break-current")))

	var player models.Player
	if err := lv.DB.Where("email = ?", "asa@example.com").Take(&player).Error; err != nil {
		t.Fatal(err)
	}
	br, ok, err := lv.Svc.CurrentBreak(context.Background(), player)
	if err != nil || !ok {
		t.Fatalf("break in force %t, %v; want one", ok, err)
	}
	// The Swedish player reads the end in Stockholm time.
	want := lang.For(lang.Default, lang.Zone("SE")).T("breaks.on_break", "Kind", cashier.BreakKindText(br.Kind), "Until", cashier.BreakEndTime(br))
	if got := b.text("break-current"); !strings.HasPrefix(got, want) {
		t.Errorf("break page %q; want %q", got, want)
	}

	b.do("open the cashier", chromedp.Navigate(lv.URL+"/cashier"), chromedp.WaitVisible(id("on-break")))
	if got := b.text("on-break"); !strings.HasPrefix(got, want) {
		t.Errorf("cashier notice %q; want %q", got, want)
	}
	disabled, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="deposit-form"] fieldset').disabled`))
	if err != nil || !disabled {
		t.Errorf("deposit form disabled %t (%v); want disabled", disabled, err)
	}
	b.do("send a deposit anyway",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="deposit-form"] fieldset').disabled = false`),
		chromedp.SetValue(id("amount"), "100.00"),
		chromedp.Click(id("deposit-submit")),
		chromedp.WaitVisible(id("problem")))
	if got := b.text("problem"); !strings.HasPrefix(got, want) {
		t.Errorf("deposit refused with %q; want %q", got, want)
	}
	var orders int64
	if lv.DB.Model(&models.Order{}).Where("player_id = ?", player.ID).Count(&orders); orders != 0 {
		t.Errorf("%d orders; want none started during the time-out", orders)
	}
}
