package handlers

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// Staff's own second factor, the owners' staff accounts page and the audit page.

// totpPage shows the member's enrolment: a fresh secret as a QR code, or that it is
// done. The secret is shown, and turned on by totpConfirm, only to a member who
// typed their password in the last five minutes (requirePasswordTyped).
func totpPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !currentStaff(c).TOTPEnabled {
			if err := requirePasswordTyped(c, totpPath); err != nil {
				return err
			}
		}
		return renderTOTP(c, svc, "")
	}
}

// totpPath is the page where a member turns on their second factor.
const totpPath = "/admin/2fa"

func renderTOTP(c *fiber.Ctx, svc *cashier.Service, problem string) error {
	m := currentStaff(c)
	page := views.AdminTOTPPage{AdminChrome: adminChrome(c), Enabled: m.TOTPEnabled,
		Required: storeOf(c).staff.RequireTOTP, Problem: problem}
	if !m.TOTPEnabled {
		// The page is a GET and writes nothing: a new secret waits, sealed, in this
		// staff session until a code from it is typed (totpConfirm).
		v := staffSession(c)
		e, sealed, err := svc.TOTPEnrolment(c.UserContext(), m, v.TOTPPending)
		if err != nil {
			return err
		}
		if sealed != v.TOTPPending {
			v.TOTPPending = sealed
			if err := saveStaffSession(c, v); err != nil {
				return err
			}
		}
		page.QRCode, page.Secret = e.QRCode, e.Secret
	}
	if problem != "" {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return render(c, views.AdminTOTP(page))
}

// totpConfirm turns the second factor on once the member types a code from it.
// Every other session of theirs, opened with the password alone, ends; this one is
// signed in again with the new version.
func totpConfirm(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := requirePasswordTyped(c, totpPath); err != nil {
			return err
		}
		m, err := svc.ConfirmPendingTOTP(c.UserContext(), currentStaff(c), staffSession(c).TOTPPending, c.FormValue("code"))
		if problem := asProblem(err); problem != nil {
			return renderTOTP(c, svc, problem.Message)
		}
		if err != nil {
			return err
		}
		if err := signInStaffAgain(c, m); err != nil {
			return err
		}
		if err := setFlash(c, "Your second factor is on. Your other sessions have ended."); err != nil {
			return err
		}
		return c.Redirect("/admin", fiber.StatusSeeOther)
	}
}

const staffPath = "/admin/staff"

// staffPage lists the staff accounts for owners. After a re-authentication the
// form to add a member comes back once with the email and role sent (recentAuth
// keeps them in the session), the password to be typed again.
func staffPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		kept, err := takeKeptForm(c, func(action string) bool { return action == staffPath })
		if err != nil {
			return err
		}
		return renderStaff(c, svc, kept.Values["email"], kept.Values["role"], "")
	}
}

func renderStaff(c *fiber.Ctx, svc *cashier.Service, email, role, problem string) error {
	m := currentStaff(c)
	list, err := svc.StaffMembers(c.UserContext(), m)
	if err != nil {
		return err
	}
	page := views.AdminStaffPage{AdminChrome: adminChrome(c), Email: email, Role: role, Problem: problem,
		MinPassword: models.MinStaffPassword, MaxPassword: models.MaxPassword}
	if page.Role == "" {
		page.Role = string(staff.RoleViewer)
	}
	for _, r := range staff.Roles {
		page.Roles = append(page.Roles, string(r))
	}
	for _, s := range list {
		row := views.StaffRow{ID: strconv.FormatInt(s.ID, 10), Email: s.Email, Role: string(s.Role), TOTP: "off",
			State: "active", Disabled: s.Disabled, Self: s.ID == m.ID}
		if s.TOTPEnabled {
			row.TOTP = "on"
		}
		if s.Disabled {
			row.State = "disabled"
		}
		page.Rows = append(page.Rows, row)
	}
	if problem != "" {
		c.Status(fiber.StatusUnprocessableEntity)
	}
	return render(c, views.AdminStaff(page))
}

// createStaff adds a staff account on an owner's word.
func createStaff(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		email, role := c.FormValue("email"), c.FormValue("role")
		m, err := svc.CreateStaff(c.UserContext(), currentStaff(c), email, c.FormValue("password"), staff.Role(role))
		if problem := asProblem(err); problem != nil {
			return renderStaff(c, svc, email, role, problem.Message)
		}
		if err != nil {
			return err
		}
		return staffDone(c, m.Email+" can now sign in as "+string(m.Role)+".")
	}
}

// changeStaffRole gives a staff account another role; their sessions end.
func changeStaffRole(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, err := svc.SetStaffRole(c.UserContext(), currentStaff(c), paramID(c), staff.Role(c.FormValue("role")))
		if err != nil {
			return staffProblem(c, svc, err)
		}
		return staffDone(c, m.Email+" is now "+string(m.Role)+".")
	}
}

// setStaffDisabled disables a staff account (ending their sessions) or enables it.
func setStaffDisabled(disabled bool) func(svc *cashier.Service) fiber.Handler {
	return func(svc *cashier.Service) fiber.Handler {
		return func(c *fiber.Ctx) error {
			m, err := svc.SetStaffDisabled(c.UserContext(), currentStaff(c), paramID(c), disabled)
			if err != nil {
				return staffProblem(c, svc, err)
			}
			if disabled {
				return staffDone(c, m.Email+" is disabled and signed out.")
			}
			return staffDone(c, m.Email+" is enabled.")
		}
	}
}

// resetStaffTOTP removes a staff member's second factor, for one who lost their
// authenticator app; their sessions end and they set one up again.
func resetStaffTOTP(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, err := svc.ResetStaffTOTP(c.UserContext(), currentStaff(c), paramID(c))
		if err != nil {
			return staffProblem(c, svc, err)
		}
		return staffDone(c, m.Email+" is signed out and sets up a second factor again at their next sign-in.")
	}
}

// setStaffPassword gives a member who forgot their password a temporary one; their
// sessions end, and they choose their own at their next sign-in.
func setStaffPassword(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, err := svc.SetStaffPassword(c.UserContext(), currentStaff(c), paramID(c), c.FormValue("password"))
		if err != nil {
			return staffProblem(c, svc, err)
		}
		return staffDone(c, m.Email+" has the temporary password you typed: tell them it in person. They choose their own at their next sign-in.")
	}
}

func staffDone(c *fiber.Ctx, msg string) error {
	if err := setFlash(c, msg); err != nil {
		return err
	}
	return c.Redirect(staffPath, fiber.StatusSeeOther)
}

func staffProblem(c *fiber.Ctx, svc *cashier.Service, err error) error {
	if problem := asProblem(err); problem != nil {
		return renderStaff(c, svc, "", "", problem.Message)
	}
	if errors.Is(err, staff.ErrNotFound) {
		return errNotFound
	}
	return err
}

// auditPageSize is how many audit rows a page shows.
const auditPageSize = 50

// auditPage lists audit rows, newest first, filtered by staff member, action,
// order, player and date range, a page at a time: "Older entries" continues below
// the last row shown (keyset pagination by id). Its times and days are in the
// member's zone (staffZone), as on every back-office page.
func auditPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		in := views.AuditFilter{Staff: c.Query("staff"), Event: c.Query("event"), Order: c.Query("order"),
			Player: c.Query("player"), From: c.Query("from"), To: c.Query("to")}
		zone := staffZone(c)
		page := views.AdminAuditPage{AdminChrome: adminChrome(c), Filter: in, Zone: zone.String()}
		for _, e := range staff.Events {
			page.Events = append(page.Events, views.Choice{Value: string(e), Label: eventLabel(e)})
		}
		f, err := auditFilter(in, c.Query("before"), zone)
		if err != nil {
			page.Problem = err.Error()
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.AdminAudit(page))
		}
		f.Limit = auditPageSize + 1
		rows, err := svc.AuditLog(c.UserContext(), currentStaff(c), f)
		if err != nil {
			return err
		}
		if len(rows) > auditPageSize {
			rows = rows[:auditPageSize]
			q := url.Values{}
			for k, v := range map[string]string{"staff": in.Staff, "event": in.Event, "order": in.Order,
				"player": in.Player, "from": in.From, "to": in.To} {
				if v != "" {
					q.Set(k, v)
				}
			}
			q.Set("before", strconv.FormatInt(rows[len(rows)-1].ID, 10))
			page.Next = "/admin/audit?" + q.Encode()
		}
		for _, r := range rows {
			row := views.AuditRow{At: timeIn(r.At, zone), Event: eventLabel(r.Event), EventCode: string(r.Event), Before: r.Before,
				After: r.After, Reason: r.Reason, RequestID: r.RequestID, Who: "system"}
			if r.StaffID != 0 {
				row.Who = r.StaffEmail + " (" + string(r.Role) + ", #" + strconv.FormatInt(r.StaffID, 10) + ")"
			}
			if r.OrderID != 0 {
				row.Order = strconv.FormatInt(r.OrderID, 10)
			}
			if r.PlayerID != 0 {
				row.Player = strconv.FormatInt(r.PlayerID, 10)
			}
			page.Rows = append(page.Rows, row)
		}
		return render(c, views.AdminAudit(page))
	}
}

// auditFilter reads the filter form strictly: ids are positive numbers, the
// action one of staff.Events, dates YYYY-MM-DD in zone (To includes its whole day).
func auditFilter(in views.AuditFilter, before string, zone *time.Location) (staff.Filter, error) {
	var f staff.Filter
	ids := []struct {
		text string
		to   *int64
		name string
	}{{in.Staff, &f.StaffID, "staff id"}, {in.Order, &f.OrderID, "order"}, {in.Player, &f.PlayerID, "player"}, {before, &f.BeforeID, "page"}}
	for _, id := range ids {
		if id.text == "" {
			continue
		}
		n, err := strconv.ParseInt(id.text, 10, 64)
		if err != nil || n <= 0 {
			return f, models.Problemf("", "Enter the "+id.name+" as a number such as 42.")
		}
		*id.to = n
	}
	if in.Event != "" {
		f.Event = staff.Event(in.Event)
		known := false
		for _, e := range staff.Events {
			known = known || e == f.Event
		}
		if !known {
			return f, models.Problemf("", "Choose an action from the list.")
		}
	}
	for _, d := range []struct {
		text string
		to   *time.Time
		add  int
	}{{in.From, &f.From, 0}, {in.To, &f.To, 1}} {
		if d.text == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.text, zone)
		if err != nil {
			return f, models.Problemf("", "Enter dates as YYYY-MM-DD.")
		}
		*d.to = t.AddDate(0, 0, d.add)
	}
	return f, nil
}
