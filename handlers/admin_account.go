package handlers

import (
	"context"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
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
// changes nothing.
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

// adminHome is the back office's start page.
func adminHome(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m := currentStaff(c)
		waiting, err := svc.PayoutsAwaitingApprovalCount(c.UserContext(), m)
		if err != nil {
			return err
		}
		return render(c, views.Admin(views.AdminPage{AdminChrome: adminChrome(c), Email: m.Email, Role: string(m.Role),
			Waiting: strconv.Itoa(waiting)}))
	}
}
