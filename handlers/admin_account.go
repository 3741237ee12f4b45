package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// Staff sign-in, sign-out and re-authentication. Sign-in and sign-out are the
// back office's only routes outside the staff route table (routes.go).

// adminLoginPage is the staff sign-in form; a signed-in member goes on to next.
func adminLoginPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		next := c.Query("next")
		m, err := signedInStaff(c, svc)
		if err != nil {
			return err
		}
		if m.ID != 0 {
			return c.Redirect(localAdminPath(next), fiber.StatusSeeOther)
		}
		if next != "" {
			next = localAdminPath(next)
		}
		return render(c, views.AdminLogin(views.AdminLoginPage{AdminChrome: adminChrome(c), Next: next}))
	}
}

// adminLogin signs a staff member in, with their code when they have a second
// factor, and sends them where they were going. The browser is remembered as a
// known device of the member's (known_device.go).
func adminLogin(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		email, next := c.FormValue("email"), c.FormValue("next")
		withKnownDevice(c, staffDeviceCookie)
		m, err := svc.AuthenticateStaff(c.UserContext(), email, c.FormValue("password"), c.FormValue("code"))
		if problem := asProblem(err); problem != nil {
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.AdminLogin(views.AdminLoginPage{AdminChrome: adminChrome(c), Email: email,
				Next: localAdminPath(next), Problem: problem.Message}))
		}
		if err != nil {
			return err
		}
		if err := signInStaff(c, m); err != nil {
			return err
		}
		if err := rememberDevice(c, staffDeviceCookie, "/admin/login", m.Email); err != nil {
			return err
		}
		return c.Redirect(localAdminPath(next), fiber.StatusSeeOther)
	}
}

// adminLogout ends the member's staff sessions everywhere. A cookie already ended
// changes nothing. No back-office token of the session works any more: they are
// bound to its ID, and a copy of its cookie is refused (liveSession).
func adminLogout(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, err := signedInStaff(c, svc)
		if err != nil {
			return err
		}
		if m.ID != 0 {
			if err := svc.EndStaffSessions(c.UserContext(), m); err != nil {
				return err
			}
		}
		dropStaffSession(c)
		if err := setFlash(c, "You are signed out of the back office."); err != nil {
			return err
		}
		csrfTokenFor(c, staffCSRF) // a token of the browser's session now, not the staff one's
		return c.Redirect("/admin/login", fiber.StatusSeeOther)
	}
}

// staffSessionContext is the request's context naming the staff session a
// password check comes from (cashier.WithSession): the check is refused by that
// session's budget of failed sign-ins, not by the member's shared one.
func staffSessionContext(c *fiber.Ctx) context.Context {
	return cashier.WithSession(c.UserContext(), staffSession(c).ID)
}

// staffSessionsEnded drops this browser's staff session when err says the check
// used up the session's budget and ended every session of the member's
// (cashier.SignInsLimited.SessionsEnded).
func staffSessionsEnded(c *fiber.Ctx, err error) {
	if limited := (*cashier.SignInsLimited)(nil); errors.As(err, &limited) && limited.SessionsEnded {
		dropStaffSession(c)
	}
}

// reauthPage asks for the password (and code) again before a sensitive action.
func reauthPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return render(c, views.AdminReauth(reauthView(c, localAdminPath(c.Query("next")), "")))
	}
}

func reauthView(c *fiber.Ctx, next, problem string) views.AdminReauthPage {
	p := views.AdminReauthPage{AdminChrome: adminChrome(c), Next: next, Problem: problem,
		NeedsCode: currentStaff(c).TOTPEnabled}
	if p.NeedsCode {
		p.CodeHint = " and a code from your app"
	}
	return p
}

// reauth checks the password (and code) and counts it for five minutes
// (requireRecentAuth), then goes back to the page the action was on.
func reauth(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		next := localAdminPath(c.FormValue("next"))
		err := svc.Reauthenticate(staffSessionContext(c), currentStaff(c), c.FormValue("password"), c.FormValue("code"))
		staffSessionsEnded(c, err)
		if problem := asProblem(err); problem != nil {
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.AdminReauth(reauthView(c, next, problem.Message)))
		}
		if err != nil {
			return err
		}
		if err := markReauthenticated(c); err != nil {
			return err
		}
		return c.Redirect(next, fiber.StatusSeeOther)
	}
}

// staffPasswordPage is the member's form to change their own password.
func staffPasswordPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return render(c, views.AdminPassword(staffPasswordView(c, "")))
	}
}

func staffPasswordView(c *fiber.Ctx, problem string) views.AdminPasswordPage {
	m := currentStaff(c)
	return views.AdminPasswordPage{AdminChrome: adminChrome(c), NeedsCode: m.TOTPEnabled, Temporary: m.MustChangePassword,
		Min: models.MinStaffPassword, Max: models.MaxPassword, Problem: problem}
}

// changeStaffPassword changes the member's password on their current one (and code).
// Every session of theirs ends, and this one is signed in again with the new
// version, so the member stays signed in here only.
func changeStaffPassword(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, err := svc.ChangeStaffPassword(staffSessionContext(c), currentStaff(c), c.FormValue("current"), c.FormValue("code"),
			c.FormValue("password"))
		staffSessionsEnded(c, err)
		if problem := asProblem(err); problem != nil {
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.AdminPassword(staffPasswordView(c, problem.Message)))
		}
		if err != nil {
			return err
		}
		if err := signInStaffAgain(c, m); err != nil {
			return err
		}
		if err := setFlash(c, "Your password is changed. Your other sessions have ended."); err != nil {
			return err
		}
		return c.Redirect("/admin", fiber.StatusSeeOther)
	}
}

// adminHome is the back office's start page: what waits for the member, what
// is late and how the day goes (cashier.BackOfficeHome, homePage).
func adminHome(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m := currentStaff(c)
		h, err := svc.BackOfficeHome(c.UserContext(), m)
		if err != nil {
			return err
		}
		return render(c, views.Admin(homePage(adminChrome(c), m, h)))
	}
}

// homeFigure is one figure of what waits: its words, the list it links to and
// the action that acting on its items takes.
type homeFigure struct {
	testID, href, text string
	act                staff.Action
}

// homePage words h for member m. A figure of nothing is left out, and so is a
// figure whose list m's role may not open (mayOpen); one whose items m's role
// may not act on is among the others'.
func homePage(ch views.AdminChrome, m staff.Member, h cashier.BackOfficeHome) views.AdminPage {
	p := views.AdminPage{AdminChrome: ch, Email: m.Email, Role: string(m.Role), Day: h.Day.Format(time.DateOnly)}
	var waiting []homeFigure
	if n, sums := 0, []string{}; len(h.Waiting) > 0 {
		for _, w := range h.Waiting {
			n += w.Count
			sums = append(sums, w.Sum.Display())
		}
		waiting = append(waiting, homeFigure{"approvals-link", approvalsPath,
			fmt.Sprintf("Payouts waiting for approval: %d (%s)", n, strings.Join(sums, ", ")), staff.ActionDecidePayout})
	}
	for _, f := range []struct {
		n         int
		testID    string
		one, many string
	}{
		{h.FlaggedOrders, "home-flagged-orders", "flagged order not resolved", "flagged orders not resolved"},
		{h.Unmatched, "home-unmatched", "notification for an unknown order waiting", "notifications for unknown orders waiting"},
		{h.FlaggedRaises, "home-flagged-raises", "flagged deposit-limit raise waiting", "flagged deposit-limit raises waiting"},
		{h.Refused, "home-refused", "notification refused for its data", "notifications refused for their data"},
	} {
		if f.n > 0 {
			waiting = append(waiting, homeFigure{f.testID, "/admin/flagged", countText(f.n, cashier.FlaggedShown, f.one, f.many),
				staff.ActionResolveFlag})
		}
	}
	for _, f := range waiting {
		if !mayOpen(m.Role, f.href) {
			continue
		}
		fig := views.HomeFigure{TestID: f.testID, Href: f.href, Text: f.text}
		if staff.Can(m.Role, f.act) {
			p.Yours = append(p.Yours, fig)
		} else {
			p.Others = append(p.Others, fig)
		}
	}

	minutes := func(d time.Duration) string { return strconv.Itoa(int(d/time.Minute)) + " minutes" }
	for _, f := range []struct {
		n    int
		fig  views.HomeFigure
		text string
	}{
		{h.TrustlyErrors, views.HomeFigure{TestID: "home-trustly-errors", Href: "/admin/api-calls?outcome=" + string(cashier.CallRefused)},
			countText(h.TrustlyErrors, 0, "call", "calls") + " to Trustly answered with an error in the last 24 hours"},
		{h.TransportErrors, views.HomeFigure{TestID: "home-transport-errors", Href: "/admin/api-calls?outcome=" + string(cashier.CallTransport)},
			countText(h.TransportErrors, 0, "call", "calls") + " to Trustly that got no answer (transport error) in the last 24 hours"},
		{h.SilentDeposits[models.OrderStarted], views.HomeFigure{TestID: "home-silent-deposits", Href: transactionsPath + "?kind=deposit&status=" + string(models.OrderStarted)},
			countText(h.SilentDeposits[models.OrderStarted], 0, "deposit", "deposits") + " with no word from Trustly " + minutes(h.CheckoutExpiry) +
				" after the checkout began, not yet marked abandoned by the janitor"},
		{h.SilentDeposits[models.OrderCreated], views.HomeFigure{TestID: "home-unanswered-deposits", Href: transactionsPath + "?kind=deposit&status=" + string(models.OrderCreated)},
			countText(h.SilentDeposits[models.OrderCreated], 0, "deposit", "deposits") + " whose Deposit call had no answer " + minutes(h.ResumeAfter) +
				" after it, not yet marked abandoned by the janitor"},
		{h.UnansweredPayouts[models.OrderRequested], views.HomeFigure{TestID: "home-unanswered-payouts", Href: transactionsPath + "?kind=payout&status=" + string(models.OrderRequested)},
			countText(h.UnansweredPayouts[models.OrderRequested], 0, "payout", "payouts") + " whose AccountPayout call had no answer " + minutes(h.ResumeAfter) +
				" after it, for the janitor to send again"},
		{h.UnansweredPayouts[models.OrderSending], views.HomeFigure{TestID: "home-sending-payouts", Href: transactionsPath + "?kind=payout&status=" + string(models.OrderSending)},
			countText(h.UnansweredPayouts[models.OrderSending], 0, "payout", "payouts") + " whose AccountPayout outcome is unknown " + minutes(h.ResumeAfter) +
				" after the last call, for the janitor to send again"},
		{h.CheckingPayouts, views.HomeFigure{TestID: "home-checking-payouts", Href: transactionsPath + "?kind=payout&status=" + string(models.OrderChecking)},
			countText(h.CheckingPayouts, 0, "payout", "payouts") + " being checked with Trustly, which may or may not have paid"},
	} {
		if f.n > 0 && mayOpen(m.Role, f.fig.Href) {
			f.fig.Text = f.text
			p.Overdue = append(p.Overdue, f.fig)
		}
	}

	if link := "/admin/reports?from=" + p.Day + "&to=" + p.Day; mayOpen(m.Role, link) {
		p.TodayLink = link
		for _, d := range h.Today {
			p.Today = append(p.Today, views.HomeDay{Currency: d.Deposits.Currency, Deposits: d.Deposits.Display(), Payouts: d.Payouts.Display()})
		}
	}
	return p
}

// countText is "1 flagged order", "3 flagged orders", or "more than 200 …" when
// n passed shown, the most the list counts (0: no such bound).
func countText(n, shown int, one, many string) string {
	switch {
	case shown > 0 && n > shown:
		return fmt.Sprintf("More than %d %s", shown, many)
	case n == 1:
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// mayOpen reports whether a member of role may open the back-office page at
// href (its query aside): the role the route table (adminRoutes) asks of a GET
// of that path. An address no route serves is opened by no one.
func mayOpen(role staff.Role, href string) bool {
	path, _, _ := strings.Cut(href, "?")
	for _, r := range adminRoutes() {
		if r.Method == fiber.MethodGet && r.Path == path {
			return staff.Can(role, r.Action)
		}
	}
	return false
}
