package handlers

import (
	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
)

// routes lists every URL the cashier answers, in matching order, with what each
// handler needs. Pages for signed-in players take requirePlayer(svc) before their
// handler, back-office pages requireAdmin(svc); a handler reads the player with
// currentPlayer(c).
func routes(app *fiber.App, svc *cashier.Service, mw *middleware) {
	player, admin := requirePlayer(svc), requireAdmin(svc)

	app.Use("/static", mw.static)

	// Trustly's servers: no session, no CSRF token, no login limiter. The token in
	// the path is a secret; the handler also verifies Trustly's signature.
	app.Post(notifyPath, notify(svc))

	// Everything below is for browsers: sessions, and a CSRF token on every form.
	app.Use(mw.session, mw.csrf)

	app.Get("/", home)
	app.Get("/register", registerPage)
	app.Post("/register", mw.loginLimit, register(svc))
	app.Get("/login", loginPage)
	app.Post("/login", mw.loginLimit, login(svc))
	app.Post("/logout", logout)

	app.Get("/cashier", player, cashierPage(svc))
	app.Post("/deposit", player, deposit(svc, mw.clientIP))
	app.Get("/deposit/checkout", player, depositCheckout(svc))
	app.Get("/deposit/success", player, depositResult(svc, true))
	app.Get("/deposit/fail", player, depositResult(svc, false))
	app.Get("/deposit/status", player, depositStatus(svc))
	app.Get("/history", player, historyPage(svc))

	app.Get("/admin", admin, adminHome)

	app.Use(notFound)
}
