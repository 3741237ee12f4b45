package handlers

import (
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// Bank accounts: the player's saved accounts, which payouts go to. They come from
// deposits by themselves; the player can add one with Trustly (SelectAccount: a
// checkout like a deposit's, then /accounts/success or /accounts/fail) or by typing
// it (RegisterAccount), and remove any. Only the account notification saves an
// account chosen with Trustly; the result pages show whether it has come.

// bankAccountsPage lists the player's saved accounts.
func bankAccountsPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return renderBankAccounts(c, svc, "")
	}
}

// renderBankAccounts shows the accounts page, with problem (status 422) when
// there is one.
func renderBankAccounts(c *fiber.Ctx, svc *cashier.Service, problem string) error {
	accounts, err := svc.BankAccounts(c.UserContext(), currentPlayer(c))
	if err != nil {
		return err
	}
	page := views.BankAccountsPage{Chrome: chrome(c), Problem: problem,
		ClosedLoop:  modeOf(svc, currentPlayer(c).Country) == paynplay.ModePure,
		SelectToken: models.NewMessageID(models.OrderSelectAccount)}
	for _, a := range accounts {
		page.Accounts = append(page.Accounts, accountRow(c, a))
	}
	if problem != "" {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return render(c, views.BankAccounts(page))
}

// accountRow is a bank account for people, in the player's language.
func accountRow(c *fiber.Ctx, a models.BankAccount) views.BankAccountRow {
	bank, label := a.BankName(), a.Label()
	if a.Bank == "" {
		bank = tr(c, "accounts.bank_account")
		if a.Number() == "" {
			label = bank
		}
	}
	row := views.BankAccountRow{ID: strconv.FormatInt(a.ID, 10), Bank: bank, Number: a.Number(),
		Label: label, Verified: a.Verified}
	if a.PayoutFailure != "" {
		row.PayoutFailed = tr(c, "accounts.payout_failed", "Reason", payoutFailureText(c, a.PayoutFailure))
	} else {
		row.Waiting = !cashier.PayoutReady(a)
	}
	if id, ok := sourceIDs[a.Source]; ok {
		row.Source = tr(c, id)
	}
	return row
}

// sourceIDs are the message ids saying how we learned of an account; with "_note"
// appended, the same as a note beside a choice.
var sourceIDs = map[models.AccountSource]string{
	models.AccountFromDeposit:         "accounts.source.deposit",
	models.AccountFromSelectAccount:   "accounts.source.select",
	models.AccountFromRegisterAccount: "accounts.source.typed",
}

// removeBankAccount hides one of the player's accounts. Another player's account,
// or none, is "page not found", and so is any account in a pure Pay N Play
// market, which refuseInPure answers before and the service refuses too
// (cashier.ErrKeptInPure). One of theirs removed already answers as its removal
// did: the form sent again (a double click without script, a retry) finds the
// account removed by the first sending.
func removeBankAccount(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, ok := pathID(c.Params("id"))
		if !ok {
			return errNotFound
		}
		account, err := svc.RemoveBankAccount(c.UserContext(), currentPlayer(c), id)
		switch {
		case errors.Is(err, cashier.ErrBankAccountNotFound) || errors.Is(err, cashier.ErrKeptInPure):
			return errNotFound // not theirs, or kept by a pure market
		case err != nil:
			return err
		}
		if err := setFlash(c, tr(c, "accounts.removed", "Account", accountRow(c, account).Label)); err != nil {
			return err
		}
		return c.Redirect("/bank-accounts", fiber.StatusSeeOther)
	}
}

// selectAccount starts "Add account with Trustly" and sends the player to its
// checkout. The form's token starts one selection however often the form is
// sent: a second time goes to the checkout the first started, which sends a
// selection past it to its result page.
func selectAccount(svc *cashier.Service, clientIP func(*fiber.Ctx) string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		order, err := svc.StartSelectAccountOnce(pageContext(c), currentPlayer(c), c.FormValue("token"), clientIP(c))
		if problem := asProblem(err); problem != nil {
			return renderBankAccounts(c, svc, problemText(c, problem))
		}
		if err != nil {
			return err
		}
		return c.Redirect("/bank-accounts/checkout?order="+url.QueryEscape(order.MessageID), fiber.StatusSeeOther)
	}
}

// selectCheckout shows Trustly's checkout for a started account selection; one
// past that point (failed, or its account saved) goes to its result page.
func selectCheckout(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		order, account, err := selectedAccount(c, svc)
		if err != nil {
			return err
		}
		if order.Status != models.OrderStarted || order.CheckoutURL == "" || account != nil {
			return c.Redirect(resultURL(order), fiber.StatusSeeOther)
		}
		if page, ok := returnedFrom(c, order); ok {
			return c.Redirect(page, fiber.StatusSeeOther)
		}
		return render(c, views.Checkout(views.CheckoutPage{
			Chrome:    chrome(c),
			Heading:   tr(c, "accounts.add"),
			Lead:      tr(c, "accounts.checkout.lead"),
			Checkout:  views.TrustlyCheckout{URL: order.CheckoutURL, Title: tr(c, "accounts.checkout.frame")},
			BackURL:   "/bank-accounts",
			BackLabel: tr(c, "accounts.back"),
		}))
	}
}

// accountResult is where Trustly returns the player from choosing an account:
// SuccessURL (success true) or FailURL. It shows whether the account notification
// has come, and books nothing.
func accountResult(svc *cashier.Service, success bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		order, account, err := selectedAccount(c, svc)
		if err != nil {
			return err
		}
		if err := cameBack(c, order); err != nil {
			return err
		}
		page := views.AccountResultPage{Chrome: chrome(c), Success: success}
		page.Phase, page.Status, page.Token = accountState(order, account, success)
		page.Status = tr(c, page.Status)
		if account != nil {
			row := accountRow(c, *account)
			page.Account = &row
		}
		if page.Phase == views.AccountVerifying && success {
			page.PollURL = "/accounts/status?order=" + url.QueryEscape(order.MessageID)
			page.RefreshIn = noScriptRefresh(order.CreatedAt, svc.Now())
		}
		return render(c, views.AccountResult(page))
	}
}

// accountStatus answers the success page's polling.
func accountStatus(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		order, account, err := selectedAccount(c, svc)
		if err != nil {
			return err
		}
		phase, text, token := accountState(order, account, true)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(fiber.Map{"token": token, "phase": phase, "text": tr(c, text)})
	}
}

// selectedAccount is the signed-in player's account selection named by ?order=
// and the account it saved, if any. Another player's order, or another kind, is
// "page not found".
func selectedAccount(c *fiber.Ctx, svc *cashier.Service) (models.Order, *models.BankAccount, error) {
	order, account, err := svc.SelectedAccount(c.UserContext(), currentPlayer(c), c.Query("order"))
	if errors.Is(err, cashier.ErrOrderNotFound) {
		return models.Order{}, nil, errNotFound
	}
	return order, account, err
}

// accountState is an account selection's phase, the message id of its words, and
// a token that changes whenever what the result page shows does.
func accountState(order models.Order, account *models.BankAccount, success bool) (phase, text, token string) {
	switch {
	case account != nil:
		phase, text = views.AccountAdded, "accounts.state.added"
		token = phase + ":" + strconv.FormatBool(account.Verified)
		return phase, text, token
	case order.Status == models.OrderAccountAdded:
		// Its account notification was applied, though its account is not found
		// to show: it was added, and there is nothing to wait for.
		phase, text = views.AccountAdded, "accounts.state.added"
	case order.Status == models.OrderFailed || order.Status == models.OrderAbandoned || !success:
		// An abandoned selection (the janitor: its checkout expired, or its call was
		// never answered) will get no account, unless one comes after all.
		phase, text = views.AccountFailed, "accounts.state.failed"
	default:
		phase, text = views.AccountVerifying, "accounts.state.verifying"
	}
	return phase, text, phase
}

// payoutCountries are the markets whose bank accounts players may type: Sweden
// and the IBAN markets, by name.
var payoutCountries = func() []views.Country {
	var out []views.Country
	for code, m := range models.Markets {
		if code == "SE" || models.UsesIBAN(code) {
			out = append(out, views.Country{Code: code, Name: m.Name, Currency: m.Currency})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}()

// ibanExamples are a well-formed IBAN of each market, grouped as people write
// them, for the form's placeholder and hint.
var ibanExamples = map[string]string{
	"DE": "DE89 3704 0044 0532 0130 00",
	"DK": "DK50 0040 0440 1162 43",
	"EE": "EE38 2200 2210 2014 5685",
	"ES": "ES91 2100 0418 4502 0005 1332",
	"FI": "FI21 1234 5600 0007 85",
	"LT": "LT12 1000 0111 0100 1000",
	"LV": "LV80 BANK 0000 4351 9500 1",
	"NL": "NL91 ABNA 0417 1643 00",
	"NO": "NO93 8601 1117 947",
}

// conversion is the foreign-currency warning, long and short, for payouts in
// currency to a bank account in country; "" when that country's currency is
// currency (or unknown).
func conversion(c *fiber.Ctx, currency, country string) (long, short string) {
	m, ok := models.Markets[country]
	if !ok || m.Currency == currency {
		return "", ""
	}
	return tr(c, "accounts.conversion", "Currency", currency, "Country", loc(c).Country(country), "BankCurrency", m.Currency),
		tr(c, "accounts.conversion_short", "Currency", currency, "BankCurrency", m.Currency)
}

// payoutFailureIDs is the message id of the bank's payoutfailed error codes; any
// other code reads as payout.failure.other.
var payoutFailureIDs = map[string]string{
	"incorrect_account_number": "payout.failure.incorrect_account_number",
}

// payoutFailureText is a payoutfailed error code in the player's words.
func payoutFailureText(c *fiber.Ctx, code string) string {
	if id, ok := payoutFailureIDs[code]; ok {
		return tr(c, id)
	}
	return tr(c, "payout.failure.other")
}

// bankDetailsView lays out the bank details form for country, with what was typed.
func bankDetailsView(c *fiber.Ctx, country, bank, account string, problem *models.Problem) views.BankDetailsPage {
	player := currentPlayer(c)
	l := loc(c)
	countries := make([]views.Country, len(payoutCountries))
	for i, pc := range payoutCountries {
		countries[i] = pc
		countries[i].Name = l.Country(pc.Code)
	}
	sortCountries(l, countries)
	p := views.BankDetailsPage{Chrome: chrome(c), Country: country, Countries: countries, Holder: player.Name(),
		Bank: bank, Account: account, Token: models.NewRegistrationToken()}
	if problem != nil {
		p.Problem, p.Field = l.Problem(problem), problem.Field
	}
	p.Conversion, _ = conversion(c, player.Currency, country)
	if country == "SE" {
		p.BankLabel, p.BankHint, p.BankPlaceholder = l.T("details.clearing"), l.T("details.clearing_hint"), "6112"
		p.AccountLabel, p.AccountHint, p.AccountPlaceholder = l.T("details.account"), l.T("details.account_hint"), "69706212"
		return p
	}
	example := ibanExamples[country]
	length := len(strings.ReplaceAll(example, " ", ""))
	p.IBAN, p.AccountLabel, p.AccountPlaceholder = true, "IBAN", example
	p.AccountHint = l.T("details.iban_hint", "Country", country, "Length", length)
	return p
}

// payoutCountry is the market the bank details form shows: the one asked for
// when players may type accounts there, else the player's own, else Sweden.
func payoutCountry(asked, own string) string {
	for _, try := range []string{asked, own} {
		if try == "SE" || (try != "" && models.UsesIBAN(try)) {
			if _, ok := models.Markets[try]; ok {
				return try
			}
		}
	}
	return "SE"
}

// bankDetailsPage is the bank details form for ?country= or the player's
// country; ?bank= fills in a Swedish clearing number typed in a form sent with a
// session that had ended (redirectToLogin).
func bankDetailsPage(c *fiber.Ctx) error {
	country := payoutCountry(strings.ToUpper(c.Query("country")), currentPlayer(c).Country)
	bank := ""
	if country == "SE" {
		bank = typedAmount(c.Query("bank"))
	}
	return render(c, views.BankDetails(bankDetailsView(c, country, bank, "", nil)))
}

// registerBankAccount saves typed bank details with Trustly's RegisterAccount.
// Details that do not validate come back with what to fix, and nothing is sent.
// The form's token registers them once however often the form is sent: a second
// time shows the first's result. A form shown again after a refusal has a new
// token, for the details corrected.
func registerBankAccount(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		player := currentPlayer(c)
		asked := c.FormValue("country")
		country := payoutCountry(asked, player.Country)
		bank, typed := strings.TrimSpace(c.FormValue("bank")), strings.TrimSpace(c.FormValue("account"))
		if len(bank) > 64 || len(typed) > 64 {
			bank, typed = "", "" // not a bank account anyone typed
		}
		if asked != country {
			return bankDetailsRefused(c, country, bank, typed,
				models.ProblemT("country", "problem.bank_country", "Choose the country of your bank from the list."))
		}
		account, err := svc.RegisterBankAccountOnce(c.UserContext(), player, c.FormValue("token"), country, bank, typed)
		if problem := asProblem(err); problem != nil {
			return bankDetailsRefused(c, country, bank, typed, problem)
		}
		if err != nil {
			return err
		}
		flash := tr(c, "accounts.added", "Account", accountRow(c, account).Label)
		if account.Known {
			flash = tr(c, "accounts.known", "Account", accountRow(c, account).Label)
		}
		if note, _ := conversion(c, player.Currency, country); note != "" {
			flash += " " + note
		}
		if err := setFlash(c, flash); err != nil {
			return err
		}
		return c.Redirect("/bank-accounts", fiber.StatusSeeOther)
	}
}

func bankDetailsRefused(c *fiber.Ctx, country, bank, account string, problem *models.Problem) error {
	c.Status(fiber.StatusUnprocessableEntity)
	return render(c, views.BankDetails(bankDetailsView(c, country, bank, account, problem)))
}
