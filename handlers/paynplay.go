package handlers

import (
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// Pay N Play (API.md §8): a visitor starts "Deposit & play" (an amount) or, in a
// pure market, "Log in with your bank" (no amount) on the landing page. The order
// is bound to this browser's session before the browser goes to the checkout
// (framed on wide screens, the whole window on phones, as deposits). Trustly sends
// the window back to /paynplay/success or /paynplay/fail; that page signs the
// browser in only when this browser started the order AND the kyc decision said
// CONTINUE. The URL alone signs in nobody: anyone may copy it.

// Sentences about Pay N Play shown by the pages here, in English (the message
// files have them in every language).
const (
	msgChooseMarket  = "Choose the country you play from."
	msgNoPasswordsIn = "In %s you play by logging in with your bank: choose \"Deposit & play\" on the start page instead of opening an account."
)

// modeOf is the Pay N Play model of the market country.
func modeOf(svc *cashier.Service, country string) paynplay.Mode {
	return svc.Config().PayNPlay.For(country)
}

// headerBankLogin is the market whose bank login a visitor's header offers on a
// page of market (views.Chrome.BankLogin): market when it is pure Pay N Play,
// where there is no registration and no password to log in with; "" otherwise.
func headerBankLogin(svc *cashier.Service, market string) string {
	if market != "" && modeOf(svc, market) == paynplay.ModePure {
		return market
	}
	return ""
}

// anyPayNPlay reports whether some market offers Pay N Play, which makes the
// market matter on the landing page.
func anyPayNPlay(svc *cashier.Service) bool {
	for _, c := range paynplay.Markets {
		if svc.Config().PayNPlay.Enabled(c) {
			return true
		}
	}
	return false
}

// landing is the start page: signed-in players go to the cashier; visitors see
// what the site is and the ways in that the chosen market (?market=SE) allows.
// Without a choice it is the market this browser last logged in with the bank in
// (a player who logged out, or comes back), else the default one.
func landing(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if session(c).PlayerID != 0 {
			return c.Redirect("/cashier", fiber.StatusSeeOther)
		}
		market := c.Query("market")
		if last, bank := bankWayIn(c); market == "" && bank {
			market = last
		}
		if _, ok := models.Markets[market]; !ok {
			market = defaultCountry
		}
		return render(c, views.Landing(landingView(c, svc, market, views.DepositForm{Amount: c.Query("amount")}, "")))
	}
}

// startPage is the start page of market ("/?market=FI"), where a Pay N Play
// order's pages lead back to; "/" for "", where the start page picks the market.
func startPage(market string) string {
	if market == "" {
		return "/"
	}
	return "/?market=" + url.QueryEscape(market)
}

// landingView fills the landing page for market around the Deposit & play form
// and a problem of "Log in with your bank".
func landingView(c *fiber.Ctx, svc *cashier.Service, market string, form views.DepositForm, problem string) views.LandingPage {
	m := models.Markets[market]
	p := views.LandingPage{Chrome: chrome(c), Market: market, MarketName: m.Name, Mode: string(modeOf(svc, market)),
		PersonID: paynplay.HasPersonID(market), Problem: problem}
	if anyPayNPlay(svc) {
		p.Markets = countries(c)
		p.Home = startPage(market)
	}
	p.BankLogin = headerBankLogin(svc, market)
	limits := svc.Config().LimitsFor(m.Currency)
	form.Currency = m.Currency
	form.Min, form.Max, form.Limits = amountBounds(c, limits.MinDeposit, limits.MaxDeposit)
	form.Range = amountRange(c, limits.MinDeposit, limits.MaxDeposit)
	for _, q := range limits.QuickPicks {
		form.QuickPicks = append(form.QuickPicks, views.QuickPick{Value: q.String(), Typed: loc(c).Input(q), Label: loc(c).Whole(q)})
	}
	form.Amount = typedAmount(form.Amount)
	p.Deposit = form
	return p
}

// payNPlayStart starts a Pay N Play order for a visitor: "Deposit & play" with the
// amount typed (or the quick pick pressed), or with login a login-only order. The
// order is bound to this browser's session before the browser is sent to its
// checkout. A signed-in player deposits from the cashier instead.
func payNPlayStart(svc *cashier.Service, clientIP func(*fiber.Ctx) string, login bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		player, err := signedInPlayer(c, svc)
		if err != nil {
			return err
		}
		if player.ID != 0 {
			return c.Redirect("/cashier", fiber.StatusSeeOther)
		}
		market, raw := c.FormValue("market"), strings.TrimSpace(c.FormValue("amount"))
		if pick := c.FormValue("pick"); pick != "" {
			raw = pick
		}
		refuse := func(p *models.Problem) error {
			form, problem := views.DepositForm{Amount: raw}, ""
			if login {
				problem = problemText(c, p)
			} else {
				form.Problem, form.Field = problemText(c, p), p.Field
			}
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.Landing(landingView(c, svc, market, form, problem)))
		}
		if _, ok := models.Markets[market]; !ok {
			market = defaultCountry
			return refuse(models.ProblemT("market", "problem.choose_market", msgChooseMarket))
		}
		var amount *models.Money
		if !login {
			m, err := models.ParseMoney(raw, models.Markets[market].Currency)
			if err != nil {
				return refuse(amountUnreadable())
			}
			amount = &m
		}
		order, err := svc.StartPayNPlay(pageContext(c), amount, market, clientIP(c))
		if problem := asProblem(err); problem != nil {
			return refuse(problem)
		}
		if err != nil {
			return err
		}
		if err := bindPayNPlay(c, order.MessageID); err != nil {
			return err
		}
		return c.Redirect("/paynplay/checkout?order="+url.QueryEscape(order.MessageID), fiber.StatusSeeOther)
	}
}

// boundOutcome is the Pay N Play order named by ?order=, for the browser that
// started it only: any other browser gets "page not found", as for an unknown id.
func boundOutcome(c *fiber.Ctx, svc *cashier.Service) (cashier.PayNPlayOutcome, error) {
	id := c.Query("order")
	if !boundPayNPlay(c, id) {
		return cashier.PayNPlayOutcome{}, errNotFound
	}
	out, err := svc.PayNPlayResult(c.UserContext(), id)
	if errors.Is(err, cashier.ErrOrderNotFound) {
		return cashier.PayNPlayOutcome{}, errNotFound
	}
	return out, err
}

// signedInBy is where a browser goes that the Pay N Play order id signed in
// already (a reload, the other return URL, Back from the page it signed in on):
// the binding went with the sign-in, so only the player the order signed in, still
// signed in here, goes on to its result page (ok). Anyone else, and a browser that
// still holds the binding, is not ok and goes the usual way.
func signedInBy(c *fiber.Ctx, svc *cashier.Service, id string) (to string, ok bool, err error) {
	if id == "" || boundPayNPlay(c, id) {
		return "", false, nil
	}
	player, err := signedInPlayer(c, svc)
	if err != nil || player.ID == 0 {
		return "", false, err
	}
	out, err := svc.PayNPlayResult(c.UserContext(), id)
	if err != nil || out.Player == nil || out.Player.ID != player.ID {
		return "", false, nil // an unknown order is boundOutcome's "not found"
	}
	return afterSignIn(out.Order), true, nil
}

// payNPlayCheckout shows Trustly's checkout of a Pay N Play order this browser
// started; an order past that point, or whose checkout ended, goes to its result
// page.
func payNPlayCheckout(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		// Back from the page the order signed in on.
		switch to, ok, err := signedInBy(c, svc, c.Query("order")); {
		case err != nil:
			return err
		case ok:
			return c.Redirect(to, fiber.StatusSeeOther)
		}
		out, err := boundOutcome(c, svc)
		if err != nil {
			return err
		}
		order := out.Order
		// Its checkout ended (the kyc refused it, or it was left until the URL no
		// longer works): the result page says so.
		ended := out.State == cashier.PayNPlayRefused || out.State == cashier.PayNPlayExpired
		if order.Status != models.OrderStarted || order.CheckoutURL == "" || ended {
			return c.Redirect(payNPlayResultURL(order), fiber.StatusSeeOther)
		}
		page := views.CheckoutPage{Chrome: chrome(c), BackURL: startPage(out.Market), BackLabel: tr(c, "common.back_to_start"),
			Heading: tr(c, "paynplay.bank_login"),
			Lead:    tr(c, "paynplay.checkout.login_lead"),
			Checkout: views.TrustlyCheckout{URL: order.CheckoutURL,
				Title: tr(c, "paynplay.checkout.login_frame")}}
		page.Home, page.BankLogin = page.BackURL, headerBankLogin(svc, out.Market)
		if !order.LoginOnly {
			page.Heading = tr(c, "paynplay.checkout.heading", "Amount", order.Amount)
			page.Lead = tr(c, "paynplay.checkout.lead")
			page.Checkout.Title = tr(c, "paynplay.checkout.frame", "Amount", order.Amount)
		}
		return render(c, views.Checkout(page))
	}
}

// payNPlayResultURL is the page a Pay N Play order's checkout returns to.
func payNPlayResultURL(order models.Order) string {
	path := cashier.PayNPlaySuccessPath
	if order.Status == models.OrderFailed || order.Status == models.OrderRefusedHeld || order.Status == models.OrderRefusedReturned {
		path = cashier.PayNPlayFailPath
	}
	return path + "?order=" + url.QueryEscape(order.MessageID)
}

// afterSignIn is where a browser signed in by a Pay N Play order goes: a login to
// the cashier, a deposit to its result page, which follows the money (the fail
// page for a deposit the player abandoned after the kyc let them in).
func afterSignIn(order models.Order) string {
	if order.LoginOnly {
		return "/cashier"
	}
	return resultURL(order)
}

// payNPlayReturn is SuccessURL and FailURL of Pay N Play orders. It signs the
// browser in as the player the bank identified only when this browser started the
// order (bound in its session) and the kyc decision said CONTINUE; a refusal is
// shown with its reason, and before the decision the page waits and asks again.
// Either URL may come first or never (API.md §9), so both do the same.
func payNPlayReturn(svc *cashier.Service, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Query("order")
		// Signed in by this order already: a reload, or the other return URL.
		switch to, ok, err := signedInBy(c, svc, id); {
		case err != nil:
			return err
		case ok:
			return c.Redirect(to, fiber.StatusSeeOther)
		}
		out, err := boundOutcome(c, svc)
		if err != nil {
			return err
		}
		page := views.PayNPlayResultPage{Login: out.Order.LoginOnly, Phase: views.PayNPlayWaiting,
			StatusURL: "/paynplay/status?order=" + url.QueryEscape(id), RetryURL: startPage(out.Market)}
		if !out.Order.LoginOnly {
			page.Amount = money(c, out.Order.Amount)
		}
		switch out.State {
		case cashier.PayNPlayReady:
			// Signed in meanwhile (a password in another tab) as someone else than
			// the person the bank named: their session stays, and the order's login
			// is left unused; the page says where the money went, naming no one.
			current, err := signedInPlayer(c, svc)
			if err != nil {
				return err
			}
			if current.ID != 0 && current.ID != out.Player.ID {
				log.LogAttrs(c.UserContext(), slog.LevelInfo, "pay n play sign-in skipped: the browser is signed in as another player",
					slog.Int64("order_id", out.Order.ID), slog.Int64("player_id", current.ID), slog.String("request_id", requestID(c)))
				// A bank login moved no money: its sentence speaks of no deposit.
				message := "paynplay.other_account"
				if out.Order.LoginOnly {
					message = "paynplay.other_account_login"
				}
				return signInRefused(c, page, headerBankLogin(svc, out.Market), tr(c, message), fiber.StatusConflict)
			}
			// Blocked by staff since the kyc let them in: a session would end at the
			// next page, saying to log in with the bank again, which refuses them.
			if out.Player.Blocked {
				log.LogAttrs(c.UserContext(), slog.LevelInfo, "pay n play sign-in refused: the player is blocked",
					slog.Int64("order_id", out.Order.ID), slog.Int64("player_id", out.Player.ID), slog.String("request_id", requestID(c)))
				return signInRefused(c, page, headerBankLogin(svc, out.Market), problemText(c, cashier.PlayerBlocked()), fiber.StatusForbidden)
			}
			// Once per order, and soon after its kyc: a copy of this browser's cookie
			// from before the sign-in still holds the binding, and the cookie outlives
			// the checkout by hours.
			claim, err := svc.ClaimPayNPlaySignIn(c.UserContext(), out.Order.ID)
			if err != nil {
				return err
			}
			if claim != cashier.SignInClaimed {
				return refuseSignIn(c, log, page, out.Order, headerBankLogin(svc, out.Market), claim)
			}
			before := session(c)
			// A player with no language of their own (one this Deposit & play just
			// made) takes the one this browser chose with the picker, as a
			// registration does: their next bank login, from any browser, keeps it.
			if code := c.Cookies(langCookie); !lang.Supported(out.Player.Language) && lang.Supported(code) {
				if err := svc.SetLanguage(c.UserContext(), out.Player.ID, code); err != nil {
					return err
				}
				out.Player.Language = code
			}
			// A login the kyc let in although the register excludes the player opens
			// a withdraw-only session, as a password player's sign-in does.
			if err := signIn(c, *out.Player, out.Access); err != nil {
				return err
			}
			log.LogAttrs(c.UserContext(), slog.LevelInfo, "pay n play sign-in", slog.Int64("order_id", out.Order.ID),
				slog.Int64("player_id", out.Player.ID), slog.Bool("login_only", out.Order.LoginOnly),
				slog.String("request_id", requestID(c)))
			if out.Access.WithdrawOnly {
				log.LogAttrs(c.UserContext(), slog.LevelInfo, "signed in withdraw-only: self-excluded in the national register",
					slog.Int64("player_id", out.Player.ID), slog.String("register", out.Access.Register),
					slog.Int64("order_id", out.Order.ID), slog.String("request_id", requestID(c)))
			}
			// The session began with the deposit that signed it in: its reality check
			// counts from that deposit, and counts it. A session of the same player's
			// that began before keeps its times.
			v := session(c)
			v.SignedInAt, v.CheckedAt = out.Order.CreatedAt.Unix(), out.Order.CreatedAt.Unix()
			if before.PlayerID == out.Player.ID && before.SignedInAt != 0 && before.SignedInAt < v.SignedInAt {
				v.SignedInAt, v.CheckedAt = before.SignedInAt, before.CheckedAt
			}
			v.BankAt = svc.Now().Unix() // this browser's bank login: SetPassword's window opens
			v.PayNPlay = strings.Join(slices.DeleteFunc(strings.Fields(v.PayNPlay), func(m string) bool { return m == id }), " ")
			v.Flash = welcome(c, *out.Player)
			if err := saveSession(c, v); err != nil {
				return err
			}
			return c.Redirect(afterSignIn(out.Order), fiber.StatusSeeOther)
		case cashier.PayNPlayExpired:
			return refuseSignIn(c, log, page, out.Order, headerBankLogin(svc, out.Market), cashier.SignInExpired)
		case cashier.PayNPlayRefused:
			page.Phase, page.Message = views.PayNPlayRefused, kycMessage(c, out.Order)
			page.Ended = out.Order.KYCOutcome != models.KYCFinish
			page.Held = heldText(c, out.Order)
		}
		page.Chrome = chrome(c)
		page.Home, page.BankLogin = page.RetryURL, headerBankLogin(svc, out.Market)
		return render(c, views.PayNPlayResult(page))
	}
}

// refuseSignIn shows the page of a Pay N Play order whose kyc said CONTINUE but
// that signs this browser in no more (claim): it signed a browser in before
// (cashier.SignInUsed, 409: a copy of the cookie, or the browser whose first answer
// was lost), or its login expired (cashier.SignInExpired, 410: whoever sits at the
// browser this long after the checkout may be anyone). Either way it says how to
// get in: log in with the bank again. A deposit's money is not touched by it.
func refuseSignIn(c *fiber.Ctx, log *slog.Logger, page views.PayNPlayResultPage, order models.Order, bank string, claim cashier.SignInClaim) error {
	status, message, why := fiber.StatusGone, "paynplay.sign_in_expired", "the login expired"
	if claim == cashier.SignInUsed {
		status, message, why = fiber.StatusConflict, "paynplay.sign_in_used", "the order signed in before"
	}
	log.LogAttrs(c.UserContext(), slog.LevelWarn, "pay n play sign-in refused: "+why,
		slog.Int64("order_id", order.ID), slog.String("ip", c.IP()), slog.String("request_id", requestID(c)))
	return signInRefused(c, page, bank, loc(c).T(message), status)
}

// signInRefused answers with status and page as the page of a Pay N Play login
// that signs this browser in to no one, message saying why, with the ways in:
// the start page and logging in with the bank again (bank).
func signInRefused(c *fiber.Ctx, page views.PayNPlayResultPage, bank, message string, status int) error {
	page.Phase, page.Login, page.Amount = views.PayNPlayRefused, true, ""
	page.Message = message
	page.Chrome = chrome(c)
	page.Home, page.BankLogin = page.RetryURL, bank
	c.Status(status)
	return render(c, views.PayNPlayResult(page))
}

// welcome greets a player the bank just signed in.
func welcome(c *fiber.Ctx, p models.Player) string {
	name := p.FirstName
	if name == "" {
		name = p.Name()
	}
	return tr(c, "paynplay.welcome", "Name", name)
}

// payNPlayStatus answers the waiting page's polling with the order's state
// ("waiting", "refused" or "ready"), for the browser that started it only.
func payNPlayStatus(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		out, err := boundOutcome(c, svc)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(fiber.Map{"state": string(out.State)})
	}
}

// refuseInPure guards the pages a pure Pay N Play market hides: bank details typed
// by hand, "Add account with Trustly" (SelectAccount) and Remove. Its players are
// paid out to the account they deposited from, and nothing else: a removed one
// could be added back only by a deposit, which a player on a break, at a limit or
// self-excluded cannot make, and their balance would stay here.
func refuseInPure(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if modeOf(svc, currentPlayer(c).Country) == paynplay.ModePure {
			return errNotFound
		}
		return c.Next()
	}
}

// profilePage shows the player who they are to us, with the identity their bank
// gave through Trustly's kyc.
func profilePage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return renderProfile(c, svc, nil)
	}
}

// changePassword changes the player's password on their current one, from the
// profile page. Every session of theirs ends, and this one is signed in again with
// the new version, so the player stays signed in here only. A wrong current
// password that used up the account's budget of failed sign-ins ended every
// session of the player's (cashier.SignInsLimited.SessionsEnded): this browser is
// signed out too, and shown the wait. The check is refused by the budget of this
// session (cashier.WithSession), not by the account's, which a guesser at /login
// can use up.
func changePassword(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := cashier.WithSession(c.UserContext(), session(c).ID) // refused by this session's budget
		p, err := svc.ChangePassword(ctx, currentPlayer(c), c.FormValue("current"), c.FormValue("password"))
		var limited *cashier.SignInsLimited
		if errors.As(err, &limited) && limited.SessionsEnded {
			signOut(c)
		}
		if problem := asProblem(err); problem != nil {
			c.Status(fiber.StatusUnprocessableEntity)
			return renderProfile(c, svc, problem)
		}
		if err != nil {
			return err
		}
		// The session stays what it was: a withdraw-only one does not open by a new password.
		if err := signIn(c, p, access(c)); err != nil {
			return err
		}
		if err := setFlash(c, tr(c, "profile.password_changed")); err != nil {
			return err
		}
		return c.Redirect("/profile", fiber.StatusSeeOther)
	}
}

// setPassword gives a player without a password (a Pay N Play player of a
// hybrid market) an email and a password to sign in with at /login, from the
// profile page; refuseInPure keeps it out of pure markets, where the bank is the
// only way in. As on a password change, every session of theirs ends and this one
// is signed in again with the new version, keeping what it was (withdraw-only
// stays so). A refused form comes back with the email as typed; past
// cashier.BankSignInWindow after this session's bank login (session BankAt) it is
// refused (403) with the sentence the page shows instead of the form.
func setPassword(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		email := c.FormValue("email")
		ctx := cashier.WithBankSignIn(c.UserContext(), bankSignIn(c))
		p, err := svc.SetPassword(ctx, currentPlayer(c), email, c.FormValue("password"), c.FormValue("password_again"))
		if problem := asProblem(err); problem != nil {
			c.Status(fiber.StatusUnprocessableEntity)
			if problem.ID == cashier.BankLoginOld().ID {
				c.Status(fiber.StatusForbidden)
			}
			return renderProfile(c, svc, problem, email)
		}
		if err != nil {
			return err
		}
		if err := signIn(c, p, access(c)); err != nil {
			return err
		}
		if err := setFlash(c, tr(c, "profile.sign_in_set")); err != nil {
			return err
		}
		return c.Redirect("/profile", fiber.StatusSeeOther)
	}
}

// bankSignIn is when this session's bank login was (session BankAt); the zero time
// for a session without one.
func bankSignIn(c *fiber.Ctx) time.Time {
	if at := session(c).BankAt; at != 0 {
		return time.Unix(at, 0)
	}
	return time.Time{}
}

// canSetPassword reports whether the profile page offers the signed-in player
// the form to choose an email and a password now: a player without a password
// outside pure Pay N Play markets, within cashier.BankSignInWindow of this
// session's bank login. The page a "Deposit & play" signs in to offers it too, so
// that a player who left it before (or whose window closed) finds it again after
// their next bank login.
func canSetPassword(c *fiber.Ctx, svc *cashier.Service) bool {
	p := currentPlayer(c)
	return p.PasswordHash == "" && modeOf(svc, p.Country) != paynplay.ModePure && svc.BankSignInRecent(bankSignIn(c))
}

// renderProfile shows the profile page, with problem (if not nil) above the
// password form and its field marked (the form to change it, or to choose an
// email and a password, then with signInEmail, the email typed).
func renderProfile(c *fiber.Ctx, svc *cashier.Service, problem *models.Problem, signInEmail ...string) error {
	p := currentPlayer(c)
	mode := modeOf(svc, p.Country)
	page := views.ProfilePage{Chrome: chrome(c), Name: p.Name(), Email: p.Email, Country: p.Country,
		Currency: p.Currency, Mode: string(mode), HasPassword: p.PasswordHash != "",
		CanSetPassword: p.PasswordHash == "" && mode != paynplay.ModePure}
	if problem != nil {
		page.PasswordProblem, page.PasswordField = problemText(c, problem), problem.Field
	}
	if page.CanSetPassword && !svc.BankSignInRecent(bankSignIn(c)) {
		// The form would be refused: say when it is offered, and how to get there.
		page.CanSetPassword, page.BankLoginOld = false, problemText(c, cashier.BankLoginOld())
		if page.PasswordProblem == page.BankLoginOld {
			page.BankLoginOld = "" // the form's refusal says it already
		}
	}
	if len(signInEmail) > 0 {
		page.SignInEmail = signInEmail[0]
	}
	if _, ok := models.Markets[p.Country]; ok {
		page.Country = loc(c).Country(p.Country)
	}
	if p.KYCAt != nil || p.PersonID != "" || p.DateOfBirth != "" {
		id := &views.BankIdentity{PersonID: maskPersonID(p.PersonID), DateOfBirth: p.DateOfBirth,
			Address: joinNonEmpty(", ", p.Street, joinNonEmpty(" ", p.Zipcode, p.City))}
		if p.KYCAt != nil {
			id.Confirmed = loc(c).Time(*p.KYCAt)
		}
		page.Bank = id
	}
	return render(c, views.Profile(page))
}

// maskPersonID shows a national identity number with its last four characters
// hidden ("SE19790131****"): enough for the player to recognise, too little to
// copy from a screen over their shoulder.
func maskPersonID(id string) string {
	if len(id) <= 6 {
		return id
	}
	return id[:len(id)-4] + "****"
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
