package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// The deposit flow: the cashier page's form posts the amount, deposit starts the
// order with Trustly and sends the player to the checkout page, which frames
// Trustly's checkout (or, on small screens, redirects to it). Trustly then sends the
// whole window to /deposit/success or /deposit/fail. Those pages only show the
// order's state; notifications alone book money (API.md §9).

// Sentences about deposits shown by the pages here.
const (
	msgAmountUnreadable = "Enter an amount such as 100 or 99.50."
	msgBlockedReturned  = "A deposit of %s was returned by your bank. Deposits and payouts are paused until your balance is back above zero."
	msgBlocked          = "Your balance is below zero. Deposits and payouts are paused until it is back above zero."
	msgBankCheck        = "When you deposit, your bank tells us through Trustly who holds the account. It must be you: if " +
		"the bank identity is someone else's (another name, date of birth or identity number), or belongs to a person " +
		"under 18 or excluded from gambling, the deposit stops before any money moves."
)

// cashierPage is the signed-in player's home: balance, a notice when they are
// blocked, and the deposit form. ?amount= fills the form (from the fail page's
// "Try again").
func cashierPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// A market that requires deposit limits asks for them before the first deposit.
		if st, err := svc.DepositLimits(c.UserContext(), currentPlayer(c)); err != nil {
			return err
		} else if len(st.Missing) > 0 {
			return c.Redirect("/limits?first=1", fiber.StatusSeeOther)
		}
		page, err := cashierView(c, svc, views.DepositForm{Amount: c.Query("amount")})
		if err != nil {
			return err
		}
		return render(c, views.Cashier(page))
	}
}

// cashierView fills the cashier page for the current player around form.
func cashierView(c *fiber.Ctx, svc *cashier.Service, form views.DepositForm) (views.CashierPage, error) {
	player := currentPlayer(c)
	sum, err := svc.Summary(c.UserContext(), player)
	if err != nil {
		return views.CashierPage{}, err
	}
	form.Currency = player.Currency
	form.Min, form.Max, form.Limits = amountBounds(sum.Limits.MinDeposit, sum.Limits.MaxDeposit)
	for _, m := range sum.Limits.QuickPicks {
		form.QuickPicks = append(form.QuickPicks, views.QuickPick{Value: m.String(), Label: shortAmount(m)})
	}
	form.Amount = typedAmount(form.Amount)
	// The deposit limits: the form's max is what they leave, and a sentence says so.
	st, err := svc.DepositLimits(c.UserContext(), player)
	if err != nil {
		return views.CashierPage{}, err
	}
	if st.Limited {
		if st.Remaining.Minor < sum.Limits.MaxDeposit.Minor {
			form.Max = models.Money{Minor: max(st.Remaining.Minor, 0), Currency: player.Currency}.String()
		}
		form.LimitNote = st.Headroom()
	}
	form.LimitNotice = st.Notice()
	page := views.CashierPage{Chrome: chrome(c), Name: player.Name(), Balance: sum.Wallet.Display(), Deposit: form,
		Blocked: blockedNotice(sum)}
	if svc.Config().PayNPlay.Enabled(player.Country) {
		page.BankCheck = msgBankCheck
	}
	page.Deposit.Disabled = sum.Blocked
	if page.OnBreak, err = onBreakNotice(c, svc, player); err != nil {
		return views.CashierPage{}, err
	}
	page.Deposit.Disabled = page.Deposit.Disabled || page.OnBreak != ""
	return page, nil
}

// blockedNotice explains a balance below zero by the newest deposit the bank
// returned; it is empty when the player is not blocked.
func blockedNotice(sum cashier.Summary) string {
	switch {
	case !sum.Blocked:
		return ""
	case sum.ReturnedDeposit != nil:
		return fmt.Sprintf(msgBlockedReturned, sum.ReturnedDeposit.Amount.Display())
	}
	return msgBlocked
}

// amountBounds is an amount form's limits: decimal text for the input's min and
// max, and the range for people, "10,00 SEK to 10 000,00 SEK".
func amountBounds(lo, hi models.Money) (minText, maxText, text string) {
	return lo.String(), hi.String(), lo.Display() + " to " + hi.Display()
}

// typedAmount is what the player typed as an amount, to show again in the form;
// anything longer than 32 bytes is not an amount anyone typed and is dropped.
func typedAmount(s string) string {
	if len(s) > 32 {
		return ""
	}
	return s
}

// shortAmount is a quick pick's label: "100 SEK", or "99,50 SEK" with cents.
func shortAmount(m models.Money) string {
	if m.Minor%100 == 0 {
		return strings.Replace(m.Display(), ",00", "", 1)
	}
	return m.Display()
}

// deposit starts a deposit of the amount typed (or the quick pick pressed) and
// sends the player to its checkout. clientIP is the player's address as the login
// limiter sees it, which Trustly wants in the Deposit call.
func deposit(svc *cashier.Service, clientIP func(*fiber.Ctx) string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		player, raw := currentPlayer(c), c.FormValue("amount")
		if pick := c.FormValue("pick"); pick != "" {
			raw = pick
		}
		amount, err := models.ParseMoney(raw, player.Currency)
		if err != nil {
			return depositRefused(c, svc, raw, models.Problemf("amount", msgAmountUnreadable))
		}
		order, err := svc.StartDeposit(c.UserContext(), player, amount, clientIP(c))
		if problem := asProblem(err); problem != nil {
			return depositRefused(c, svc, raw, problem)
		}
		if err != nil {
			return err
		}
		return c.Redirect("/deposit/checkout?order="+url.QueryEscape(order.MessageID), fiber.StatusSeeOther)
	}
}

// depositRefused shows the cashier page again with what was typed and one sentence
// on what to fix.
func depositRefused(c *fiber.Ctx, svc *cashier.Service, typed string, problem *models.Problem) error {
	page, err := cashierView(c, svc, views.DepositForm{Amount: strings.TrimSpace(typed), Problem: problem.Message})
	if err != nil {
		return err
	}
	c.Status(fiber.StatusUnprocessableEntity)
	return render(c, views.Cashier(page))
}

// depositOrder is the signed-in player's deposit named by ?order=. Another
// player's order, or no order, is "page not found", so ids cannot be probed.
func depositOrder(c *fiber.Ctx, svc *cashier.Service) (models.Order, error) {
	order, err := svc.OrderByMessageID(c.UserContext(), currentPlayer(c), c.Query("order"))
	switch {
	case errors.Is(err, cashier.ErrOrderNotFound) || (err == nil && order.Kind != models.OrderDeposit):
		return models.Order{}, errNotFound
	case err != nil:
		return models.Order{}, err
	}
	return order, nil
}

// resultURL is the page that shows a deposit's or an account selection's state:
// the fail page for an order that failed, the success page otherwise.
func resultURL(order models.Order) string {
	page := "/deposit/"
	if order.Kind == models.OrderSelectAccount {
		page = "/accounts/"
	}
	if order.Status == models.OrderFailed {
		return page + "fail?order=" + url.QueryEscape(order.MessageID)
	}
	return page + "success?order=" + url.QueryEscape(order.MessageID)
}

// depositCheckout shows Trustly's checkout for a started deposit. An order past
// that point (paid, cancelled, credited) goes to its result page instead.
func depositCheckout(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		order, err := depositOrder(c, svc)
		if err != nil {
			return err
		}
		if order.Status != models.OrderStarted || order.CheckoutURL == "" || abandoned(order, svc.Now()) {
			return c.Redirect(resultURL(order), fiber.StatusSeeOther)
		}
		amount := order.Amount.Display()
		return render(c, views.Checkout(views.CheckoutPage{
			Chrome:  chrome(c),
			Heading: "Deposit " + amount,
			Lead:    "Choose your bank and approve the payment. Trustly moves the money straight from your bank account.",
			Checkout: views.TrustlyCheckout{URL: order.CheckoutURL,
				Title: "Trustly: deposit " + amount + " from your bank"},
			BackURL:   "/cashier",
			BackLabel: "Back to the cashier",
		}))
	}
}

// depositResult is where Trustly returns the player: SuccessURL (success true) or
// FailURL. Neither proves anything about the payment; the page shows the order's
// state as notifications left it, and books nothing. On the fail page an order
// Trustly has not reported on yet reads "Not completed", not "Waiting for the
// bank": the player has just left the checkout without paying.
func depositResult(svc *cashier.Service, success bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d, err := playerDeposit(c, svc)
		if err != nil {
			return err
		}
		state := orderState(d, svc.Now(), !success)
		page := views.DepositResultPage{Chrome: chrome(c), Success: success, Title: resultTitle(success, state.Phase),
			Amount: d.Order.Amount.Display(), State: state, RetryURL: "/cashier?amount=" + url.QueryEscape(d.Order.Amount.String())}
		if d.Order.KYCOutcome == models.KYCFinish {
			page.Refused = d.Order.KYCMessage
		}
		return render(c, views.DepositResult(page))
	}
}

// Headings of a deposit's result page, by phase; the page's script changes the
// heading as the phase changes.
const (
	msgTitleProcessing = "Processing your deposit"
	msgTitleCredited   = "Your deposit is in your balance"
	msgTitleFailed     = "Your deposit was not completed"
	msgTitleReturned   = "Your deposit was returned by your bank"
)

// resultTitle is the result page's heading for an order in phase, reached
// through SuccessURL (success) or FailURL.
func resultTitle(success bool, phase string) string {
	switch phase {
	case views.PhaseCredited:
		return msgTitleCredited
	case views.PhaseFailed:
		return msgTitleFailed
	case views.PhaseReturned:
		return msgTitleReturned
	}
	if success {
		return msgTitleProcessing
	}
	return msgTitleFailed
}

// orderStatus is the JSON the result pages poll.
type orderStatus struct {
	Status  string `json:"status"`          // models.OrderStatus: "credited"
	Text    string `json:"text"`            // in words: "In your balance"
	Phase   string `json:"phase"`           // views.Phase…: which explanation to show
	Balance string `json:"balance"`         // the wallet now: "100,00 SEK"
	Title   string `json:"title,omitempty"` // the page's heading: "Your deposit is in your balance"
}

// depositStatus answers the result pages' polling with the order's state;
// ?page=fail is the fail page asking.
func depositStatus(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d, err := playerDeposit(c, svc)
		if err != nil {
			return err
		}
		fail := c.Query("page") == "fail"
		state := orderState(d, svc.Now(), fail)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(orderStatus{Status: string(d.Order.Status), Text: state.Status, Phase: state.Phase, Balance: state.Balance,
			Title: resultTitle(!fail, state.Phase)})
	}
}

// playerDeposit is the signed-in player's deposit named by ?order=, with their
// wallet. Another player's order, or no order, is "page not found".
func playerDeposit(c *fiber.Ctx, svc *cashier.Service) (cashier.Deposit, error) {
	d, err := svc.Deposit(c.UserContext(), currentPlayer(c), c.Query("order"))
	return d, orderNotFound(err)
}

// orderState is a deposit's state for its result page, with the wallet's
// balance; failPage is the page of Trustly's FailURL.
func orderState(d cashier.Deposit, now time.Time, failPage bool) views.OrderState {
	s := views.OrderState{Status: statusText(d.Order, now), Phase: phase(d.Order, now), Balance: d.Wallet.Display(),
		StatusURL: "/deposit/status?order=" + url.QueryEscape(d.Order.MessageID)}
	if failPage {
		s.StatusURL += "&page=fail"
		if s.Phase == views.PhaseWaiting && d.Order.Status != models.OrderPending {
			s.Status = msgNotCompleted
		}
	}
	return s
}
