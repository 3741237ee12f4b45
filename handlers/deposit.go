package handlers

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// The deposit flow: the cashier page's form posts the amount, deposit starts the
// order with Trustly and sends the player to the checkout page, which frames
// Trustly's checkout (or, on small screens, redirects to it). Trustly then sends the
// whole window to /deposit/success or /deposit/fail. Those pages only show the
// order's state; notifications alone book money (API.md §9).

// msgAmountUnreadable is the problem of an amount that is not one.
const msgAmountUnreadable = "Enter an amount such as 100 or 99.50."

// amountUnreadable is the Problem of a typed amount that is not an amount.
func amountUnreadable() *models.Problem {
	return models.ProblemT("amount", "problem.amount_unreadable", msgAmountUnreadable)
}

// cashierPage is the signed-in player's home: balance, a notice when they are
// blocked, and the deposit form (in a withdraw-only session, the notice saying
// why there is none, and the way to the payout). ?amount= fills the form (from the fail page's
// "Try again"). Everything it shows is read in one read transaction (svc.Home).
func cashierPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		home, err := svc.Home(c.UserContext(), currentPlayer(c))
		if err != nil {
			return err
		}
		// A market that requires deposit limits asks for them before the first
		// deposit; a withdraw-only session makes none.
		if len(home.DepositLimits.Missing) > 0 && !access(c).WithdrawOnly {
			return c.Redirect("/limits?first=1", fiber.StatusSeeOther)
		}
		return render(c, views.Cashier(cashierView(c, svc, home, views.DepositForm{Amount: c.Query("amount")})))
	}
}

// cashierView fills the cashier page for the current player around form, from
// what svc.Home read.
func cashierView(c *fiber.Ctx, svc *cashier.Service, home cashier.Home, form views.DepositForm) views.CashierPage {
	player, sum, st := currentPlayer(c), home.Summary, home.DepositLimits
	form.Currency = player.Currency
	// The form's max, and its hint, are what the deposit limits leave when that is
	// less (Home.DepositMax), and a sentence says so.
	hi := home.DepositMax()
	hint := hi
	if hint.Minor < sum.Limits.MinDeposit.Minor {
		hint = sum.Limits.MaxDeposit // nothing fits: the sentence says what is left
	}
	form.Min, _, form.Limits = amountBounds(c, sum.Limits.MinDeposit, hint)
	form.Max = hi.String()
	for _, m := range sum.Limits.QuickPicks {
		form.QuickPicks = append(form.QuickPicks, views.QuickPick{Value: m.String(), Typed: loc(c).Input(m), Label: loc(c).Whole(m)})
	}
	form.Amount = typedAmount(form.Amount)
	form.Token = models.NewMessageID(models.OrderDeposit)
	if st.Limited {
		form.LimitNote = text(c, st.HeadroomText())
	}
	form.Range = amountRange(c, sum.Limits.MinDeposit, hi)
	form.LimitNotice = text(c, st.NoticeText())
	page := views.CashierPage{Chrome: chrome(c), Name: player.Name(), Balance: money(c, sum.Wallet), Deposit: form,
		Blocked: blockedNotice(c, sum)}
	switch {
	case !svc.Config().PayNPlay.Enabled(player.Country):
	case paynplay.HasPersonID(player.Country):
		page.BankCheck = tr(c, "deposit.bank_check")
	default: // NL: the bank gives no identity number to compare
		page.BankCheck = tr(c, "deposit.bank_check_without_person_id")
	}
	if home.Break != nil {
		page.OnBreak = breakSentence(loc(c), *home.Break)
	}
	page.Deposit.Disabled = sum.Blocked || page.OnBreak != ""
	if a := access(c); a.WithdrawOnly {
		page.WithdrawOnly = tr(c, "rg.withdraw_only", "Register", a.RegisterShown(currentPlayer(c).Country))
	}
	for _, o := range home.Underway {
		page.Underway = append(page.Underway, underwayLine(c, o))
	}
	return page
}

// underwayLine is a line of the cashier page's money underway (cashier.Home's
// Underway), in the history's words for the order's state: a started deposit is
// waiting for the bank, a pending one is being processed (statusWords), a sent
// payout is on its way (cashier.PayoutTextOnItsWay). It links to the page that
// follows the order: a deposit's result page, which polls its state, or the
// payout's page.
func underwayLine(c *fiber.Ctx, o models.Order) views.UnderwayLine {
	switch {
	case o.Kind == models.OrderPayout:
		return views.UnderwayLine{Text: tr(c, "cashier.underway.payout_sent", "Amount", o.Amount), Link: payoutURL(o.ID)}
	case o.Status == models.OrderPending:
		return views.UnderwayLine{Text: tr(c, "cashier.underway.deposit_pending", "Amount", o.Brings()), Link: resultURL(o)}
	}
	return views.UnderwayLine{Text: tr(c, "cashier.underway.deposit_started", "Amount", o.Brings()), Link: resultURL(o)}
}

// blockedNotice explains a balance below zero by the order that took it there
// (cashier.Summary.BelowZero): a deposit the bank returned, or a payout paid
// after its cancel gave the money back, which was taken back again; or says only
// that it is below zero when no such order is known. It is empty when the player
// is not blocked.
func blockedNotice(c *fiber.Ctx, sum cashier.Summary) string {
	switch {
	case !sum.Blocked:
		return ""
	case sum.BelowZero == nil:
	case sum.BelowZero.Kind == models.OrderDeposit:
		return tr(c, "deposit.blocked_returned", "Amount", sum.BelowZero.Brings())
	case sum.BelowZero.Kind == models.OrderPayout:
		return tr(c, "deposit.blocked_payout", "Amount", sum.BelowZero.Amount)
	}
	return tr(c, "deposit.blocked")
}

// amountBounds is an amount form's limits: decimal text for the input's min and
// max, and the range for people, "10,00 kr – 10 000,00 kr".
func amountBounds(c *fiber.Ctx, lo, hi models.Money) (minText, maxText, text string) {
	return lo.String(), hi.String(), tr(c, "common.range", "Min", lo, "Max", hi)
}

// amountRange is the sentence the browser shows for an amount outside the
// input's min and max, with both
// written in the page's language: "Ange ett belopp från 10,00 kr till
// 10 000,00 kr.", never "10.00".
func amountRange(c *fiber.Ctx, lo, hi models.Money) string {
	return tr(c, "amount.range", "Min", lo, "Max", hi)
}

// typedAmount is what the player typed as an amount, to show again in the form;
// anything longer than 32 bytes is not an amount anyone typed and is dropped.
func typedAmount(s string) string {
	if len(s) > 32 {
		return ""
	}
	return s
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
			return depositRefused(c, svc, raw, amountUnreadable())
		}
		// The form's token starts one deposit however often the form is sent: a
		// second time goes to the checkout the first started.
		order, err := svc.StartDepositOnce(pageContext(c), player, c.FormValue("token"), amount, clientIP(c))
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
//
// A refusal for the amount started no order: the player's order limit does not
// count it.
func depositRefused(c *fiber.Ctx, svc *cashier.Service, typed string, problem *models.Problem) error {
	if problem.Field == "amount" {
		noOrderStarted(c)
	}
	home, err := svc.Home(c.UserContext(), currentPlayer(c))
	if err != nil {
		return err
	}
	typed = typedAmount(strings.TrimSpace(typed))
	page := cashierView(c, svc, home, views.DepositForm{Amount: typed, Problem: problemText(c, problem), Field: problem.Field})
	// The reality check's Continue goes back to the cashier with the amount, not
	// to the form's address, which has no page of its own.
	page.RealityCheckNext = "/cashier"
	if typed != "" {
		page.RealityCheckNext += "?amount=" + url.QueryEscape(typed)
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
// the fail page for an order that failed or was refused, the success page
// otherwise.
func resultURL(order models.Order) string {
	page := "/deposit/"
	if order.Kind == models.OrderSelectAccount {
		page = "/accounts/"
	}
	if order.Status == models.OrderFailed || order.Status == models.OrderRefusedHeld || order.Status == models.OrderRefusedReturned {
		return page + "fail" + orderQuery(order)
	}
	return page + "success" + orderQuery(order)
}

// depositCheckout shows Trustly's checkout for a started deposit. An order past
// that point (paid, cancelled, credited) goes to its result page instead, and a
// player who took a break since starting it goes to the cashier, which shows the
// break: no deposit is made during one. So does a player another account of whose
// names and date of birth took one, with the deposit form's sentence for it.
func depositCheckout(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		order, err := depositOrder(c, svc)
		if err != nil {
			return err
		}
		switch _, onBreak, err := svc.CurrentBreak(c.UserContext(), currentPlayer(c)); {
		case err != nil:
			return err
		case onBreak:
			return c.Redirect("/cashier", fiber.StatusSeeOther)
		}
		if err := svc.RefuseTwinOnBreak(c.UserContext(), currentPlayer(c)); err != nil {
			problem := asProblem(err)
			if problem == nil {
				return err
			}
			if err := setFlash(c, problemText(c, problem)); err != nil {
				return err
			}
			return c.Redirect("/cashier", fiber.StatusSeeOther)
		}
		if order.Status != models.OrderStarted || order.CheckoutURL == "" || svc.CheckoutAbandoned(order) {
			return c.Redirect(resultURL(order), fiber.StatusSeeOther)
		}
		if page, ok := returnedFrom(c, order); ok {
			return c.Redirect(page, fiber.StatusSeeOther)
		}
		return render(c, views.Checkout(views.CheckoutPage{
			Chrome:  chrome(c),
			Heading: tr(c, "deposit.checkout.heading", "Amount", order.Amount),
			Lead:    tr(c, "deposit.checkout.lead"),
			Checkout: views.TrustlyCheckout{URL: order.CheckoutURL,
				Title: tr(c, "deposit.checkout.frame", "Amount", order.Amount)},
			BackURL:   "/cashier",
			BackLabel: tr(c, "common.back_to_cashier"),
		}))
	}
}

// depositResult is where Trustly returns the player: SuccessURL (success true) or
// FailURL. Neither proves anything about the payment; the page shows the order's
// state as notifications left it, and books nothing. On the fail page an order
// Trustly has not reported on yet reads "Not completed", not "Waiting for the
// bank": the player has just left the checkout without paying. A Pay N Play bank
// login's order, which moves no money, sends the player to the cashier.
func depositResult(svc *cashier.Service, success bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d, err := playerDeposit(c, svc)
		if err != nil {
			return err
		}
		if d.Order.LoginOnly { // a bank login, not a deposit: nothing to show here
			return c.Redirect("/cashier", fiber.StatusSeeOther)
		}
		if err := cameBack(c, d.Order); err != nil {
			return err
		}
		state := orderState(c, d, svc.CheckoutAbandoned(d.Order), !success)
		page := views.DepositResultPage{Chrome: chrome(c), Success: success, Title: resultTitle(c, success, state.Phase),
			Amount: money(c, d.Order.Brings()), Credited: creditedText(c, d.Order), Held: heldText(c, d.Order), State: state,
			RetryURL: "/cashier?amount=" + url.QueryEscape(loc(c).Input(d.Order.Amount))}
		if d.Order.Expected() != d.Order.Amount {
			page.Chosen = money(c, d.Order.Amount)
		}
		if d.Order.KYCOutcome == models.KYCFinish {
			page.Refused = kycMessage(c, d.Order)
		}
		if state.Phase == views.PhaseWaiting {
			page.RefreshIn = noScriptRefresh(d.Order.CreatedAt, svc.Now())
		}
		if canSetPassword(c, svc) {
			page.SignIn = tr(c, "deposit.result.sign_in", "Minutes", int(cashier.BankSignInWindow/time.Minute))
		}
		return render(c, views.DepositResult(page))
	}
}

// cameBack records that this browser was shown order's result page (the success
// or the fail page), which Trustly's checkout sends it to when it is done: Back
// from there leads to the order's checkout page, which then shows this result
// page again (returnedFrom), not the checkout a second time, where an order whose
// notifications had not come looked unpaid (TestBackFromResultShowsNoCheckout).
// The session keeps the newest maxReturned orders' pages.
func cameBack(c *fiber.Ctx, order models.Order) error {
	v, page := session(c), c.Path()+orderQuery(order)
	pages := strings.Fields(v.Returned)
	if len(pages) > 0 && pages[len(pages)-1] == page {
		return nil
	}
	pages = slices.DeleteFunc(pages, func(p string) bool { return pageOf(p, order) })
	pages = append(pages, page)
	v.Returned = strings.Join(pages[max(0, len(pages)-maxReturned):], " ")
	return saveSession(c, v)
}

// maxReturned is how many orders' result pages a session remembers (cameBack).
const maxReturned = 3

// returnedFrom is the result page of order this browser was shown (cameBack), and
// whether it was.
func returnedFrom(c *fiber.Ctx, order models.Order) (string, bool) {
	for _, page := range strings.Fields(session(c).Returned) {
		if pageOf(page, order) {
			return page, true
		}
	}
	return "", false
}

// orderQuery is the query of order's result page as cameBack remembers it:
// "?order=" and its MessageID, escaped.
func orderQuery(order models.Order) string { return "?order=" + url.QueryEscape(order.MessageID) }

// pageOf reports whether page, one cameBack remembered, is a result page of
// order: it ends with order's orderQuery, whichever path it has (the success or
// the fail page, a deposit's or an account selection's).
func pageOf(page string, order models.Order) bool { return strings.HasSuffix(page, orderQuery(order)) }

// A result page that waits for an order (a deposit's money, an account chosen
// with Trustly) says it updates by itself: its script asks for the order's state
// for ten minutes. Without script it reloads itself every noScriptEvery seconds
// for as long, counted from the order's start (views.Chrome.RefreshIn).
const (
	noScriptEvery = 5
	noScriptWait  = 10 * time.Minute
)

// noScriptRefresh is the RefreshIn of a result page waiting for an order started
// at started: noScriptEvery, or 0 once noScriptWait is over.
func noScriptRefresh(started, now time.Time) int {
	if now.Sub(started) > noScriptWait {
		return 0
	}
	return noScriptEvery
}

// heldText is what a refused deposit whose bank sent the money all the same says
// of that money: that it will be returned (models.OrderRefusedHeld), or that it
// was (models.OrderRefusedReturned); "" for any other order.
func heldText(c *fiber.Ctx, order models.Order) string {
	switch order.Status {
	case models.OrderRefusedHeld:
		return tr(c, "deposit.result.held")
	case models.OrderRefusedReturned:
		return tr(c, "deposit.result.held_returned")
	}
	return ""
}

// resultTitle is the result page's heading for an order in phase, reached
// through SuccessURL (success) or FailURL; the page's script changes it as the
// phase changes.
func resultTitle(c *fiber.Ctx, success bool, phase string) string {
	switch phase {
	case views.PhaseCredited:
		return tr(c, "deposit.result.title_credited")
	case views.PhaseFailed, views.PhaseHeld:
		return tr(c, "deposit.result.title_fail")
	case views.PhaseReturned:
		return tr(c, "deposit.result.title_returned")
	}
	if success {
		return tr(c, "deposit.result.title_success")
	}
	return tr(c, "deposit.result.title_fail")
}

// creditedText is the result page's sentence for a credited deposit, with what
// its credit booked (or, before the credit, what it is expected to bring).
func creditedText(c *fiber.Ctx, order models.Order) string {
	return tr(c, "deposit.result.credited", "Amount", order.Brings())
}

// orderStatus is the JSON the result pages poll.
type orderStatus struct {
	Status  string `json:"status"`          // models.OrderStatus: "credited"
	Text    string `json:"text"`            // in words: "In your balance"
	Phase   string `json:"phase"`           // views.Phase…: which explanation to show
	Balance string `json:"balance"`         // the wallet now: "100,00 SEK"
	Title   string `json:"title,omitempty"` // the page's heading: "Your deposit is in your balance"
	// Amount is the deposit's amount as its page shows it (Order.Brings), and
	// Credited the credited phase's sentence with it: a credit of another amount
	// than expected changes both on a page open since before it came.
	Amount   string `json:"amount"`
	Credited string `json:"credited"`
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
		state := orderState(c, d, svc.CheckoutAbandoned(d.Order), fail)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(orderStatus{Status: string(d.Order.Status), Text: state.Status, Phase: state.Phase, Balance: state.Balance,
			Title: resultTitle(c, !fail, state.Phase), Amount: money(c, d.Order.Brings()), Credited: creditedText(c, d.Order)})
	}
}

// playerDeposit is the signed-in player's deposit named by ?order=, with their
// wallet. Another player's order, or no order, is "page not found".
func playerDeposit(c *fiber.Ctx, svc *cashier.Service) (cashier.Deposit, error) {
	d, err := svc.Deposit(c.UserContext(), currentPlayer(c), c.Query("order"))
	return d, orderNotFound(err)
}

// orderState is a deposit's state for its result page, with the wallet's
// balance; abandoned is whether its checkout is (cashier.Service.CheckoutAbandoned),
// failPage whether this is the page of Trustly's FailURL.
func orderState(c *fiber.Ctx, d cashier.Deposit, abandoned, failPage bool) views.OrderState {
	s := views.OrderState{Status: statusText(c, d.Order, abandoned), Phase: phase(d.Order, abandoned), Balance: money(c, d.Wallet),
		StatusURL: "/deposit/status?order=" + url.QueryEscape(d.Order.MessageID)}
	if failPage {
		s.StatusURL += "&page=fail"
		if s.Phase == views.PhaseWaiting && d.Order.Status != models.OrderPending {
			s.Status = tr(c, "deposit.status.not_completed")
		}
	}
	return s
}
