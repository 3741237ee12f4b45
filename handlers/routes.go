package handlers

import (
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
)

// routes lists every URL the cashier answers, in matching order, with what each
// handler needs. Pages for signed-in players take requirePlayer(svc) before their
// handler, back-office pages requireAdmin(svc); a handler reads the player with
// currentPlayer(c).
func routes(app *fiber.App, svc *cashier.Service, mw *middleware) {
	player, admin := requirePlayer(svc), requireAdmin(svc)
	// startsOrder guards a request that starts an order, and a call to Trustly: a
	// signed-in player within the order limits.
	startsOrder := func(h fiber.Handler) []fiber.Handler {
		return slices.Concat([]fiber.Handler{player}, mw.orderLimit, []fiber.Handler{h})
	}

	app.Use("/static", mw.static)

	// Trustly's servers: no session, no CSRF token, no login limiter. The token in
	// the path is a secret; the handler also verifies Trustly's signature.
	app.Post(notifyPath, notify(svc))

	// Everything below is for browsers: sessions, and a CSRF token on every form.
	app.Use(mw.session, mw.csrf)

	// Pay N Play (issue 9): the landing page and the bank's way in. A visitor's
	// order is bound to their browser's session, and the return page signs in only
	// that browser (paynplay.go). Orders started here have no player yet, so only
	// the per-IP order limit applies. In a pure market the pages that add a bank
	// account are refused before their handlers below run.
	app.Get("/", landing(svc))
	app.Post("/paynplay/deposit", mw.orderLimit[0], payNPlayStart(svc, mw.clientIP, false))
	app.Post("/paynplay/login", mw.orderLimit[0], payNPlayStart(svc, mw.clientIP, true))
	app.Get("/paynplay/checkout", payNPlayCheckout(svc))
	app.Get(cashier.PayNPlaySuccessPath, payNPlayReturn(svc, mw.log))
	app.Get(cashier.PayNPlayFailPath, payNPlayReturn(svc, mw.log))
	app.Get("/paynplay/status", payNPlayStatus(svc))
	app.Get("/profile", player, profilePage(svc))
	for _, path := range []string{"/bank-accounts/select", "/bank-accounts/checkout", "/bank-accounts/new"} {
		app.All(path, player, refuseInPure(svc))
	}

	app.Get("/register", registerPage(svc))
	app.Post("/register", mw.loginLimit, register(svc))
	app.Get("/login", loginPage)
	app.Post("/login", mw.loginLimit, login(svc))
	app.Post("/logout", logout(svc))

	app.Get("/cashier", player, cashierPage(svc))
	app.Post("/deposit", startsOrder(deposit(svc, mw.clientIP))...)
	app.Get("/deposit/checkout", player, depositCheckout(svc))
	app.Get("/deposit/success", player, depositResult(svc, true))
	app.Get("/deposit/fail", player, depositResult(svc, false))
	app.Get("/deposit/status", player, depositStatus(svc))
	app.Get("/history", player, historyPage(svc))
	app.Get("/bank-accounts", player, bankAccountsPage(svc))
	app.Post("/bank-accounts/select", startsOrder(selectAccount(svc, mw.clientIP))...)
	app.Get("/bank-accounts/checkout", player, selectCheckout(svc))
	app.Get("/bank-accounts/new", player, bankDetailsPage)
	app.Post("/bank-accounts/new", startsOrder(registerBankAccount(svc))...)
	app.Post("/bank-accounts/:id/remove", player, removeBankAccount(svc))
	app.Get("/accounts/success", player, accountResult(svc, true))
	app.Get("/accounts/fail", player, accountResult(svc, false))
	app.Get("/accounts/status", player, accountStatus(svc))
	app.Get("/payout", player, payoutPage(svc))
	app.Post("/payout", startsOrder(payoutRequest(svc))...)
	app.Get("/payouts/:id", player, payoutDetail(svc))
	app.Get("/payouts/:id/status", player, payoutStatus(svc))
	app.Post("/payouts/:id/check", player, payoutCheck(svc))
	app.Post("/payouts/:id/cancel", player, payoutCancel(svc))

	app.Get("/admin", admin, adminHome)

	app.Use(notFound)
}
