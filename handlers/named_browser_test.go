package handlers

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
)

// TestBrowserFirstDepositAsTheNamedPerson: a player who is none of the sandbox's
// test persons registers and makes a first deposit through the framed checkout,
// logging in as whoever it selects. It selects the person the cashier named, so
// the bank account saved is in the player's name and the deposit is not flagged.
// The login step offered only the test persons: the account was Åsa
// Öberg-Lindqvist's, the order flagged holder-name and the history said "Our
// team is checking this order" on the first, ordinary deposit.
func TestBrowserFirstDepositAsTheNamedPerson(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowser(t, lv)
	email := "anna@example.com"
	b.do("register as Anna Andersson", b.registerAs(email, "Anna", "Andersson", nextSEPersonID())...)
	b.do("start the deposit", b.depositSteps("100")...)
	b.do("wait for the checkout", chromedp.WaitVisible(id("checkout-frame")))
	frame := b.checkoutFrame()
	b.doIn(frame, "choose the bank", chromedp.WaitVisible(id("bank-next")), chromedp.Click(id("bank-next")),
		chromedp.WaitVisible(id("person-named")))
	selected, err := chromedp.Run(frame, chromedp.Evaluate[bool](`document.querySelector('[data-testid="person-named"]').checked`))
	if err != nil || !selected {
		t.Fatalf("the person the merchant named is not selected at the login (%v)", err)
	}
	label, err := chromedp.Run(frame, chromedp.Evaluate[string](`document.querySelector('[data-testid="person-named"]').parentElement.textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(label), " "); got != "Anna Andersson (the person the merchant named)" {
		t.Errorf("the named person reads %q", got)
	}
	b.doIn(frame, "log in as the selected person and pay",
		chromedp.Click(id("login")),
		chromedp.WaitVisible(id("account-next")),
		chromedp.Click(id("account-next")),
		chromedp.WaitVisible(id("confirm")),
		chromedp.Click(id("confirm")))
	b.waitLocation("/deposit/success")
	b.waitText("order-status", "In your balance")

	player := lv.playerByEmail(email)
	acc := lv.waitAccount(player, models.AccountFromDeposit)
	var order models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&order).Error; err != nil {
		t.Fatal(err)
	}
	if order.Flag != "" {
		t.Errorf("the first deposit is flagged: %q", order.Flag)
	}
	var n models.Notification
	if err := lv.DB.Where("order_id = ? AND method = ?", order.ID, trustly.MethodAccount).Take(&n).Error; err != nil {
		t.Fatalf("the deposit's account notification: %v", err)
	}
	d, err := trustly.DecodeNotification([]byte(n.Raw))
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := d.Data.(*trustly.AccountData); !ok || a.AccountID != acc.AccountID || a.Attributes["name"] != "Anna Andersson" {
		t.Errorf("bank account %s saved from account notification %+v; want one of Anna Andersson's", acc.AccountID, d.Data)
	}
	b.do("open the history", chromedp.Navigate(lv.URL+"/history"), chromedp.WaitVisible(id("order-status")))
	if b.has("order-flag") {
		t.Errorf("the history shows the first deposit with %q", b.text("order-flag"))
	}
}

// TestBrowserFirstDepositAsANamedTestPerson: a player named as one of the
// sandbox's test persons (Lars Nilsson, se-adult2) clicks through a first
// deposit. The login step selects that test person as the person the cashier
// named, listed once, so the bank account saved is in the player's name and the
// deposit is not flagged. It offered no named person then and selected the
// country's adult, Åsa Öberg-Lindqvist: the order was flagged holder-name.
func TestBrowserFirstDepositAsANamedTestPerson(t *testing.T) {
	lv := startLive(t, liveOptions{Sandbox: playerPace})
	b := newBrowser(t, lv)
	email := "lars@example.com"
	b.do("register as Lars Nilsson", b.registerAs(email, "Lars", "Nilsson", nextSEPersonID())...)
	b.do("start the deposit", b.depositSteps("100")...)
	b.do("wait for the checkout", chromedp.WaitVisible(id("checkout-frame")))
	frame := b.checkoutFrame()
	b.doIn(frame, "choose the bank", chromedp.WaitVisible(id("bank-next")), chromedp.Click(id("bank-next")),
		chromedp.WaitVisible(id("person-se-adult2")))
	offered, err := chromedp.Run(frame, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('input[name="person"]')].map(e => e.value + (e.checked ? "*" : ""))`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(offered, " "); got != "se-adult2* se-adult se-minor se-excluded" {
		t.Errorf("the login step offers %q; want se-adult2 first and selected (*), then the three other SE test persons", got)
	}
	label, err := chromedp.Run(frame, chromedp.Evaluate[string](`document.querySelector('[data-testid="person-se-adult2"]').parentElement.textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(label), " "); got != "Lars Nilsson, born 1990-06-15 (the person the merchant named)" {
		t.Errorf("the named test person reads %q", got)
	}
	b.doIn(frame, "log in as the selected person and pay",
		chromedp.Click(id("login")),
		chromedp.WaitVisible(id("account-next")),
		chromedp.Click(id("account-next")),
		chromedp.WaitVisible(id("confirm")),
		chromedp.Click(id("confirm")))
	b.waitLocation("/deposit/success")
	b.waitText("order-status", "In your balance")

	player := lv.playerByEmail(email)
	acc := lv.waitAccount(player, models.AccountFromDeposit)
	var order models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&order).Error; err != nil {
		t.Fatal(err)
	}
	if order.Flag != "" {
		t.Errorf("the first deposit is flagged: %q", order.Flag)
	}
	var n models.Notification
	if err := lv.DB.Where("order_id = ? AND method = ?", order.ID, trustly.MethodAccount).Take(&n).Error; err != nil {
		t.Fatalf("the deposit's account notification: %v", err)
	}
	d, err := trustly.DecodeNotification([]byte(n.Raw))
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := d.Data.(*trustly.AccountData); !ok || a.AccountID != acc.AccountID || a.Attributes["name"] != "Lars Nilsson" {
		t.Errorf("bank account %s saved from account notification %+v; want one of Lars Nilsson's", acc.AccountID, d.Data)
	}
}
