package handlers

import (
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
)

// routes lists every URL the cashier answers, in matching order, with what each
// handler needs. Pages for signed-in players take requirePlayer(svc) before their
// handler, and a handler reads the player with currentPlayer(c). Back-office
// pages are listed in adminRoutes, each with the staff.Action it needs.
func routes(app *fiber.App, svc *cashier.Service, mw *middleware) {
	player := requirePlayer(svc)
	// startsOrder guards a request that starts an order, and a call to Trustly: a
	// signed-in player, past guards, within the order limits.
	startsOrder := func(h fiber.Handler, guards ...fiber.Handler) []fiber.Handler {
		return slices.Concat([]fiber.Handler{player}, guards, mw.orderLimit, []fiber.Handler{h})
	}
	// playing guards what a withdraw-only session (a player the national register
	// excludes) may not do: deposit. Payouts, bank accounts, history, the profile,
	// limits, breaks and signing out stay open to it (rg.go).
	playing := refuseWithdrawOnly(svc)

	app.Use("/static", mw.static)

	// Trustly's servers: no session, no CSRF token, no login limiter. The token in
	// the path is a secret; the handler also verifies Trustly's signature.
	app.Post(notifyPath, notify(svc, mw.log, mw.clientIP))

	// Probes for the load balancer (watch.go): no session, no CSRF.
	app.Get(healthPath, healthz)
	app.Get(readyPath, readyz(svc, mw.log))

	// Everything below is for browsers: sessions, queries and forms of text only
	// (readableInput), and a CSRF token on every form.
	app.Use(mw.session, readableInput, mw.csrf)

	// Pay N Play (issue 9): the landing page and the bank's way in. A visitor's
	// order is bound to their browser's session, and the return page signs in only
	// that browser (paynplay.go). Orders started here have no player yet, so only
	// the per-IP order limit applies. In a pure market the pages that add a bank
	// account, and the form that removes one (the account deposited from is where
	// payouts go, and none can be added back), are refused before their handlers
	// below run.
	app.Get("/", landing(svc))
	app.Post("/paynplay/deposit", mw.orderLimit[0], payNPlayStart(svc, mw.clientIP, false))
	app.Post("/paynplay/login", mw.orderLimit[0], payNPlayStart(svc, mw.clientIP, true))
	app.Get("/paynplay/checkout", payNPlayCheckout(svc))
	app.Get(cashier.PayNPlaySuccessPath, payNPlayReturn(svc, mw.log))
	app.Get(cashier.PayNPlayFailPath, payNPlayReturn(svc, mw.log))
	app.Get("/paynplay/status", payNPlayStatus(svc))
	app.Get("/profile", player, profilePage(svc))
	app.Post("/profile/password", player, mw.passwordLimit, mw.withClientIP, changePassword(svc))
	app.Post("/profile/sign-in", player, refuseInPure(svc), mw.passwordLimit, setPassword(svc))
	for _, path := range []string{"/bank-accounts/select", "/bank-accounts/checkout", "/bank-accounts/new", "/bank-accounts/:id/remove"} {
		app.All(path, player, refuseInPure(svc))
	}

	// The language picker at the foot of every page (lang.go).
	app.Post("/language", setLanguage(svc))

	app.Get("/register", registerPage(svc))
	app.Post("/register", mw.loginLimit, register(svc))
	app.Get("/login", loginPage)
	app.Post("/login", mw.loginLimit, mw.withClientIP, login(svc))
	app.Post("/logout", logout(svc))

	app.Get("/cashier", player, cashierPage(svc))
	app.Post("/deposit", startsOrder(deposit(svc, mw.clientIP), playing, realityCheckFirst(svc))...)
	app.Get("/deposit/checkout", player, playing, depositCheckout(svc))
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
	app.Get("/limits", player, limitsPage(svc))
	app.Post("/limits", player, setLimits(svc))
	app.Get("/payout", player, payoutPage(svc))
	app.Post("/payout", startsOrder(payoutRequest(svc))...)
	app.Get("/payouts/:id", player, payoutDetail(svc))
	app.Get("/payouts/:id/status", player, payoutStatus(svc))
	app.Post("/payouts/:id/check", player, payoutCheck(svc))
	app.Post("/payouts/:id/cancel", player, payoutCancel(svc))

	// Responsible gaming: breaks from play (no route ends one) and the reality check.
	app.Get("/breaks", player, breaksPage(svc))
	app.Post("/breaks", player, breakConfirmPage(svc))
	app.Post("/breaks/confirm", player, takeBreak(svc))
	app.Post("/reality-check", player, realityCheckAck(svc))

	// The back office: staff sign in on their own page, with their own session.
	app.Get("/admin/login", adminLoginPage(svc))
	app.Post("/admin/login", mw.loginLimit, mw.withClientIP, adminLogin(svc))
	app.Post("/admin/logout", adminLogout(svc))
	for _, r := range adminRoutes() {
		chain := []fiber.Handler{requireStaff(svc, r.Action)}
		if r.Method == fiber.MethodPost && checksPassword[r.Path] {
			chain = append(chain, mw.passwordLimit, mw.withClientIP)
		}
		if back := needsReauth[r.Path]; r.Method == fiber.MethodPost && back != "" {
			chain = append(chain, recentAuth(back, keptAcrossReauth[r.Path]))
		}
		app.Add(r.Method, r.Path, append(chain, r.Handler(svc))...)
	}

	app.Use(notFound)
}

// checksPassword are the back-office forms that check the signed-in member's
// password again: passwordLimit bounds their tries per member, and the service
// logs their failures with the client's address (withClientIP), as sign-in's.
var checksPassword = map[string]bool{"/admin/password": true, "/admin/reauth": true}

// needsReauth are the back-office forms that do nothing without a re-authentication
// in the last five minutes (recentAuth), each with the page the member goes back to
// after it. Every change to staff accounts is here, so that a stolen owner session
// alone cannot create an owner, nor take over another's account by resetting its
// second factor or password. Handlers whose requests only sometimes need one ask
// themselves (refunds, approvals: requireRecentAuth).
var needsReauth = map[string]string{
	"/admin/staff":               staffPath,
	"/admin/staff/:id/role":      staffPath,
	"/admin/staff/:id/disable":   staffPath,
	"/admin/staff/:id/enable":    staffPath,
	"/admin/staff/:id/reset-2fa": staffPath,
	"/admin/staff/:id/password":  staffPath,
}

// keptAcrossReauth are the fields of needsReauth's forms that come back filled on
// the page after the re-authentication (keptForm): what the member typed or chose,
// never a password, which they type again.
var keptAcrossReauth = map[string][]string{
	"/admin/staff": {"email", "role"},
}

// adminRoute is one back-office URL behind a staff sign-in: requireStaff lets
// through only staff whose role may do Action (staff.Can).
type adminRoute struct {
	Method, Path string
	Action       staff.Action
	Handler      func(svc *cashier.Service) fiber.Handler
}

// adminRoutes lists every back-office URL but sign-in and sign-out. Add new
// back-office pages here: TestAdminRoutes walks this list with every role.
func adminRoutes() []adminRoute {
	get, post := fiber.MethodGet, fiber.MethodPost
	return []adminRoute{
		{get, "/admin", staff.ActionView, adminHome},
		{get, "/admin/reauth", staff.ActionSelf, reauthPage},
		{post, "/admin/reauth", staff.ActionSelf, reauth},
		{get, "/admin/2fa", staff.ActionSelf, totpPage},
		{post, "/admin/2fa", staff.ActionSelf, totpConfirm},
		{get, "/admin/password", staff.ActionSelf, staffPasswordPage},
		{post, "/admin/password", staff.ActionSelf, changeStaffPassword},

		{get, "/admin/approvals", staff.ActionView, approvalsPage},
		{post, "/admin/approvals/:id/approve", staff.ActionDecidePayout, approvePayout},
		{post, "/admin/approvals/:id/deny", staff.ActionDecidePayout, denyPayout},

		{get, "/admin/audit", staff.ActionView, auditPage},
		// Every call made to Trustly, about an order or not (admin_calls.go).
		{get, "/admin/api-calls", staff.ActionView, callsPage},

		// Transactions, orders, players, flagged (admin_transactions.go,
		// admin_orders.go, admin_players.go; responsible gaming: admin_rg.go).
		{get, "/admin/transactions", staff.ActionView, transactionsPage},
		{get, "/admin/transactions/totals", staff.ActionView, transactionTotals},
		{get, "/admin/transactions.csv", staff.ActionView, transactionsCSV},
		{get, "/admin/orders/:id", staff.ActionView, orderPage},
		{post, "/admin/orders/:id/resolve", staff.ActionResolveFlag, resolveOrder},
		{get, "/admin/flagged", staff.ActionView, flaggedPage},
		{post, "/admin/notifications/:id/resolve", staff.ActionResolveFlag, resolveNotification},
		{post, "/admin/limit-changes/:id/resolve", staff.ActionResolveFlag, resolveLimitRaise},
		{post, "/admin/refused/:id/resolve", staff.ActionResolveFlag, resolveRefused},
		{get, "/admin/players", staff.ActionView, playersPage},
		{get, "/admin/players/:id", staff.ActionView, playerPage},
		{post, "/admin/players/:id/block", staff.ActionBlockPlayer, setPlayerBlocked(true)},
		{post, "/admin/players/:id/unblock", staff.ActionBlockPlayer, setPlayerBlocked(false)},
		{post, "/admin/players/:id/notes", staff.ActionBlockPlayer, addPlayerNote},

		// Refunds and reports (admin_money.go). The order detail page links to the
		// refund form.
		{get, "/admin/orders/:id/refund", staff.ActionRefund, refundPage},
		{post, "/admin/orders/:id/refund", staff.ActionRefund, refundDeposit},
		// A refused-held deposit's held credit returned to the payer, from its order page.
		{post, "/admin/orders/:id/return", staff.ActionRefund, returnHeld},
		{get, "/admin/reports", staff.ActionView, reportsPage},
		{get, "/admin/reports/reconciliation", staff.ActionReconcile, reconcilePage},

		{get, "/admin/staff", staff.ActionManageStaff, staffPage},
		{post, "/admin/staff", staff.ActionManageStaff, createStaff},
		{post, "/admin/staff/:id/role", staff.ActionManageStaff, changeStaffRole},
		{post, "/admin/staff/:id/disable", staff.ActionManageStaff, setStaffDisabled(true)},
		{post, "/admin/staff/:id/enable", staff.ActionManageStaff, setStaffDisabled(false)},
		{post, "/admin/staff/:id/reset-2fa", staff.ActionManageStaff, resetStaffTOTP},
		{post, "/admin/staff/:id/password", staff.ActionManageStaff, setStaffPassword},
	}
}
