package handlers

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// Payouts: the withdrawal form posts an amount and one of the player's saved
// accounts; RequestPayout reserves the money and sends it, and the player follows
// it on /payouts/<id>. Only Trustly's notifications change a payout after that;
// "Check with the bank" asks GetWithdrawals for words to show, at most every 15
// minutes.

// msgChooseAccount is the problem of a payout form sent without an account.
const msgChooseAccount = "Choose the bank account to withdraw to."

// payoutPage is the withdrawal form and the player's payouts; ?amount= and
// ?account= fill in the form (a form sent with a session that had ended).
func payoutPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		page, err := payoutView(c, svc, views.PayoutForm{Amount: c.Query("amount"),
			Accounts: []views.AccountChoice{{ID: c.Query("account"), Checked: true}}})
		if err != nil {
			return err
		}
		return render(c, views.Payout(page))
	}
}

// payoutView fills the withdrawal page for the current player around form.
func payoutView(c *fiber.Ctx, svc *cashier.Service, form views.PayoutForm) (views.PayoutPage, error) {
	player := currentPlayer(c)
	sum, err := svc.PayoutSummary(c.UserContext(), player)
	if err != nil {
		return views.PayoutPage{}, err
	}
	limits := sum.Limits
	form.Currency = player.Currency
	form.Min, form.Max, form.Limits = amountBounds(c, limits.MinPayout, limits.MaxPayout)
	form.Range = amountRange(c, limits.MinPayout, limits.MaxPayout)
	// Said whatever the largest payout: the payouts of 24 hours count together
	// (cashier.PayoutWindow), so several may pass the approval limit.
	form.Approval = tr(c, "payout.approval_above", "Amount", limits.ApprovalAbove)
	chosen := ""
	for _, a := range form.Accounts {
		if a.Checked {
			chosen = a.ID
		}
	}
	form.Accounts = nil
	if modeOf(svc, player.Country) == paynplay.ModePure {
		form.ClosedLoop = true
		if a, ok := latestDepositAccount(sum.Accounts); ok {
			form.DepositAccount = a.Label()
		} else {
			// The account is not offered when a payout to it failed: the player
			// deposited, and is told so rather than to make a first deposit.
			all, err := svc.BankAccounts(c.UserContext(), player)
			if err != nil {
				return views.PayoutPage{}, err
			}
			if a, ok := latestDepositAccount(all); ok && a.PayoutFailure != "" {
				form.DepositAccountFailed = tr(c, "paynplay.account_failed", "Account", a.Label(),
					"Reason", payoutFailureText(c, a.PayoutFailure))
			} else if a, waiting, err := svc.DepositAccountWaiting(c.UserContext(), player); err != nil {
				return views.PayoutPage{}, err
			} else if waiting {
				// Nor while the bank has not verified it: the money came from it.
				form.DepositAccountFailed = tr(c, "paynplay.account_unverified", "Account", a.Label())
			} else if removed, err := svc.DepositAccountRemoved(c.UserContext(), player); err != nil {
				return views.PayoutPage{}, err
			} else if removed {
				// Nor when the player removed it: they deposited, and are told so.
				form.DepositAccountFailed = tr(c, "problem.paynplay_account_removed")
			}
		}
		sum.Accounts = nil
	}
	for _, a := range sum.Accounts {
		row := accountRow(c, a)
		note := tr(c, sourceIDs[a.Source]+"_note")
		if a.Verified {
			note = tr(c, "accounts.verified_note")
		}
		if _, short := conversion(c, player.Currency, models.ClearingHouseCountry(a.ClearingHouse)); short != "" {
			note += "; " + short
		}
		form.Accounts = append(form.Accounts, views.AccountChoice{ID: row.ID, Label: row.Label, Note: note,
			Checked: row.ID == chosen || len(sum.Accounts) == 1})
	}
	form.Amount = typedAmount(form.Amount)
	form.Token = models.NewMessageID(models.OrderPayout)
	page := views.PayoutPage{Chrome: chrome(c), Balance: money(c, sum.Withdrawable), Form: form,
		Blocked: blockedNotice(c, sum.Summary)}
	page.Form.Disabled = sum.Blocked
	for _, p := range sum.Payouts {
		page.Payouts = append(page.Payouts, views.PayoutRow{ID: strconv.FormatInt(p.Order.ID, 10),
			Link: payoutURL(p.Order.ID), Date: loc(c).Time(p.Order.CreatedAt), Amount: money(c, p.Order.Amount),
			Account: accountRow(c, p.Account).Label, State: payoutStateText(c, p.Order), Phase: payoutPhase(p.State)})
	}
	return page, nil
}

// latestDepositAccount is the verified account the player most recently deposited
// from among accounts, the one PayNPlayPayout pays to (to name it on the form).
func latestDepositAccount(accounts []models.BankAccount) (models.BankAccount, bool) {
	var latest models.BankAccount
	for _, a := range accounts {
		if a.Source != models.AccountFromDeposit || !a.Verified || a.Removed {
			continue
		}
		if latest.ID == 0 || a.UpdatedAt.After(latest.UpdatedAt) || (a.UpdatedAt.Equal(latest.UpdatedAt) && a.ID > latest.ID) {
			latest = a
		}
	}
	return latest, latest.ID != 0
}

// payoutURL is the page of one payout.
func payoutURL(id int64) string { return "/payouts/" + strconv.FormatInt(id, 10) }

// payoutPhase groups a payout's state (cashier.PayoutStateText) for its colour.
func payoutPhase(state string) string {
	switch state {
	case cashier.PayoutTextPaid:
		return views.PayoutPhasePaid
	case cashier.PayoutTextBankFailed:
		return views.PayoutPhaseFailed
	case cashier.PayoutTextReturned, cashier.PayoutTextNotSent, cashier.PayoutTextDenied, cashier.PayoutTextCancelled:
		return views.PayoutPhaseBack
	}
	return views.PayoutPhaseWaiting
}

// payoutRequest asks for a payout of the amount typed to the account chosen and
// shows it; a request that is not allowed comes back with what to fix. The form's
// token makes one payout however often the form is sent: a second time shows the
// payout the first made.
func payoutRequest(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		player, raw, account := currentPlayer(c), strings.TrimSpace(c.FormValue("amount")), c.FormValue("account")
		token := c.FormValue("token")
		amount, err := models.ParseMoney(raw, player.Currency)
		if err != nil {
			return payoutRefused(c, svc, raw, account, amountUnreadable())
		}
		if modeOf(svc, player.Country) == paynplay.ModePure {
			// Closed loop: the account the player deposited from, whatever the form says.
			order, err := svc.PayNPlayPayout(c.UserContext(), player, token, amount)
			if problem := asProblem(err); problem != nil {
				return payoutRefused(c, svc, raw, "", problem)
			}
			if err != nil {
				return err
			}
			return c.Redirect(payoutURL(order.ID), fiber.StatusSeeOther)
		}
		id, err := strconv.ParseInt(account, 10, 64)
		if err != nil {
			return payoutRefused(c, svc, raw, account, models.ProblemT("account", "problem.choose_account", msgChooseAccount))
		}
		order, err := svc.RequestPayoutOnce(c.UserContext(), player, token, id, amount)
		if problem := asProblem(err); problem != nil {
			return payoutRefused(c, svc, raw, account, problem)
		}
		if err != nil {
			return err
		}
		return c.Redirect(payoutURL(order.ID), fiber.StatusSeeOther)
	}
}

// payoutRefused shows the withdrawal page again with what was typed and one
// sentence on what to fix.
//
// A refusal for the amount started no order: the player's order limit does not
// count it.
func payoutRefused(c *fiber.Ctx, svc *cashier.Service, amount, account string, problem *models.Problem) error {
	if problem.Field == "amount" {
		noOrderStarted(c)
	}
	form := views.PayoutForm{Amount: amount, Problem: problemText(c, problem), Field: problem.Field,
		Accounts: []views.AccountChoice{{ID: account, Checked: true}}}
	page, err := payoutView(c, svc, form)
	if err != nil {
		return err
	}
	c.Status(fiber.StatusUnprocessableEntity)
	return render(c, views.Payout(page))
}

// playerPayout is the signed-in player's payout named by the :id parameter;
// another player's, or none, is "page not found".
func playerPayout(c *fiber.Ctx, svc *cashier.Service) (cashier.Payout, error) {
	id, err := payoutID(c)
	if err != nil {
		return cashier.Payout{}, err
	}
	p, err := svc.Payout(c.UserContext(), currentPlayer(c), id)
	return p, orderNotFound(err)
}

// payoutID is the :id parameter; anything but a number written canonically
// (pathID) is "page not found".
func payoutID(c *fiber.Ctx) (int64, error) {
	id, ok := pathID(c.Params("id"))
	if !ok {
		return 0, errNotFound
	}
	return id, nil
}

// orderNotFound turns cashier.ErrOrderNotFound (another player's order, or none)
// into "page not found", and leaves any other error as it is.
func orderNotFound(err error) error {
	if errors.Is(err, cashier.ErrOrderNotFound) {
		return errNotFound
	}
	return err
}

// payoutDetail shows one payout.
func payoutDetail(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := payoutID(c)
		if err != nil {
			return err
		}
		d, err := svc.PayoutDetail(c.UserContext(), currentPlayer(c), id)
		if err != nil {
			return orderNotFound(err)
		}
		o := d.Order
		l := loc(c)
		page := views.PayoutDetailPage{Chrome: chrome(c), ID: strconv.FormatInt(o.ID, 10), Amount: l.Money(o.Amount),
			Account: accountRow(c, d.Account).Label, State: payoutStateText(c, o), Phase: payoutPhase(d.State),
			Balance: l.Money(d.Withdrawable), Token: payoutToken(d.Payout), CanCancel: o.Status == models.OrderAwaitingApproval}
		fact := func(label, testid string, t *time.Time) {
			if t != nil {
				page.Facts = append(page.Facts, views.Fact{Label: l.T(label), Value: l.Time(*t), TestID: testid})
			}
		}
		fact("payout.fact.requested", "payout-requested", &o.CreatedAt)
		fact("payout.fact.approved", "payout-approved", o.ApprovedAt)
		fact("payout.fact.sent", "payout-sent", o.SentAt)
		fact("payout.fact.confirmed", "payout-confirmed", o.ConfirmedAt)
		fact("payout.fact.bank_failed", "payout-bank-failed", o.PayoutFailedAt)
		if o.PayoutFailedAt != nil {
			page.Facts = append(page.Facts, views.Fact{Label: l.T("payout.fact.why"),
				Value: payoutFailureText(c, cashier.PayoutFailureCode(o)), TestID: "payout-failure"})
		}
		if o.ReturnedAt != nil {
			fact("payout.fact.back", "payout-back", o.ReturnedAt)
		} else {
			fact("payout.fact.back", "payout-back", o.ReleasedAt)
		}
		page.CanCheck, page.CheckWait = d.Checkable, d.CheckWait
		if t := o.TransferCheckedAt; t != nil {
			page.Checked = l.T("payout.checked", "When", *t)
			if d.CheckWait {
				page.Checked += " " + l.T("payout.check_again", "When", l.Clock(d.NextCheck))
			}
		}
		if o.ReturnedAt == nil && o.ReleasedAt == nil {
			page.PollURL = payoutURL(o.ID) + "/status"
		}
		return render(c, views.PayoutDetail(page))
	}
}

// payoutToken changes whenever what a payout's page shows does.
func payoutToken(p cashier.Payout) string { return string(p.Order.Status) + "|" + p.State }

// payoutStatus answers the payout page's polling.
func payoutStatus(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := playerPayout(c, svc)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(fiber.Map{"token": payoutToken(p), "state": payoutStateText(c, p.Order), "phase": payoutPhase(p.State)})
	}
}

// payoutCheck asks Trustly for the payout's transfer state ("Check with the
// bank"), which cashier does at most every 15 minutes, and says which happened.
func payoutCheck(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := payoutID(c)
		if err != nil {
			return err
		}
		check, err := svc.CheckPayout(c.UserContext(), currentPlayer(c), id)
		if err != nil {
			return orderNotFound(err)
		}
		l := loc(c)
		message := l.T("payout.nothing_to_check")
		switch t := check.Order.TransferCheckedAt; {
		case check.Asked:
			message = l.T("payout.checked_now")
		case t != nil:
			message = l.T("payout.checked_recently", "At", l.Clock(*t), "Next", l.Clock(check.NextCheck))
		}
		if err := setFlash(c, message); err != nil {
			return err
		}
		return c.Redirect(payoutURL(check.Order.ID), fiber.StatusSeeOther)
	}
}

// payoutCancel takes back a payout that waits for approval. Another player's
// payout, or none, is "page not found".
func payoutCancel(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := payoutID(c)
		if err != nil {
			return err
		}
		_, err = svc.CancelPayout(c.UserContext(), currentPlayer(c), id)
		message := tr(c, "payout.cancelled")
		switch problem := asProblem(err); {
		case problem != nil:
			message = problemText(c, problem)
		case errors.Is(err, cashier.ErrOrderNotFound):
			return errNotFound
		case err != nil:
			return err
		}
		if err := setFlash(c, message); err != nil {
			return err
		}
		return c.Redirect(payoutURL(id), fiber.StatusSeeOther)
	}
}
