package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/views"
)

// Staff sessions are separate from players': their own cookie, only sent to
// /admin, SameSite=Strict, ended after StaffSettings.Idle without a request and
// staffMaxAge after sign-in however active, and checked against the staff account
// on every request, so that logout, disabling and a role change (each raises the
// account's SessionVersion) end them at once, on every instance. A browser may hold a player session and a staff session; the
// one never opens the other's pages.

const (
	staffCookie = "cashier_staff"
	// staffMaxAge bounds a staff session however active it is, in seconds from
	// sign-in (staffValues.SignedIn). The cookie codecs' own limit counts from the
	// cookie's last encoding, which every request renews: it bounds nothing alone.
	staffMaxAge = 12 * 60 * 60
	// reauthWindow is how long a re-authentication (requireRecentAuth) counts.
	reauthWindow = 5 * time.Minute
	// maxKeptField is the longest field a kept form keeps (keptForm), in UTF-16
	// code units as a form's maxlength counts them: the reasons' 500. A form with a
	// longer field, which our pages do not send, is not kept.
	maxKeptField = 500
	// maxKeptBytes bounds a kept form's JSON, so that the staff cookie stays well
	// under the browsers' 4 KB a cookie (sealing takes it to about 16/9 of its size):
	// a reason the form allows fits, unless JSON escapes much of it ("&" is six
	// bytes), and then the form is not kept.
	maxKeptBytes = 2000
)

// StaffSettings configure staff sessions.
type StaffSettings struct {
	// Idle is how long a staff session lasts without a request; 0 means 15 minutes.
	Idle time.Duration
	// RequireTOTP sends a member without a second factor to enrol before any other
	// back-office page (CASHIER_ADMIN_2FA=required).
	RequireTOTP bool
	// Now is the clock staff sessions read; nil means time.Now.
	Now func() time.Time
	// Zone is the time zone back-office pages show times in until a member picks
	// another (staffZone); nil means UTC (CASHIER_ADMIN_TZ).
	Zone *time.Location
}

func (s StaffSettings) withDefaults() StaffSettings {
	if s.Idle == 0 {
		s.Idle = 15 * time.Minute
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Zone == nil {
		s.Zone = time.UTC
	}
	return s
}

// staffValues is what the staff cookie holds.
type staffValues struct {
	StaffID int64      // 0: no staff member is signed in
	Role    staff.Role // the role at sign-in; a changed role ends the session
	Version int64      // the member's SessionVersion at sign-in
	ID      string     // random, new at every sign-in; back-office CSRF tokens are bound to it
	Seen    int64      // unix time of the last request: the idle timeout counts from it
	// SignedIn is the unix time of the sign-in: staffMaxAge counts from it, and no
	// request moves it. A cookie without it (from an older version) has ended.
	SignedIn int64
	Reauth   int64 // unix time of the last re-authentication; 0: none
	// Kept is the form last sent without a recent re-authentication, for the page
	// the member comes back to (keptForm); nil when there is none.
	Kept *keptForm `json:",omitempty"`
	// TOTPPending is the second-factor secret the enrolment page showed, sealed for
	// the member (cashier.Service.TOTPEnrolment), until a code from it turns it on;
	// "" when none was shown. Every sign-in starts without it.
	TOTPPending string `json:",omitempty"`
}

// keptForm is a form sent without a recent re-authentication (requireRecentAuth):
// the action is not done, and the page the member comes back to after confirming
// their password shows the form again as it was sent (takeKeptForm), to be sent
// again. It travels sealed in the staff cookie, never in a URL, so that what staff
// type (a refund's reason may name a player's circumstances) stays out of browser
// history, access logs and Referer headers. A session keeps one, the latest sent,
// until its page shows it once; sign-out and every sign-in start without it.
type keptForm struct {
	Action string            // the path the form was sent to: "/admin/orders/12/refund"
	Values map[string]string // the fields that come back, by name; never a password
}

// sentForm is this request's form, sent to action, with the fields named (those
// sent empty are left out).
func sentForm(c *fiber.Ctx, action string, fields ...string) keptForm {
	f := keptForm{Action: action, Values: map[string]string{}}
	for _, name := range fields {
		if v := c.FormValue(name); v != "" {
			f.Values[name] = v
		}
	}
	return f
}

// fits reports whether f is small enough to keep: no field longer than
// maxKeptField, and at most maxKeptBytes of JSON in all.
func (f keptForm) fits() bool {
	for _, v := range f.Values {
		n := 0
		for _, r := range v {
			n += utf16.RuneLen(r)
		}
		if n > maxKeptField {
			return false
		}
	}
	b, err := json.Marshal(f)
	return err == nil && len(b) <= maxKeptBytes
}

// keepForm keeps f in the session in place of the form kept before, if any; an
// empty form, or one that does not fit, is not kept.
func keepForm(c *fiber.Ctx, f keptForm) error {
	v := staffSession(c)
	v.Kept = nil // one form at a time: the latest sent
	if len(f.Values) > 0 && f.fits() {
		v.Kept = &f
	}
	return saveStaffSession(c, v)
}

// takeKeptForm returns the kept form when match accepts the path it was sent to,
// and removes it from the session: a page shows it once. Otherwise it returns an
// empty form and keeps it.
func takeKeptForm(c *fiber.Ctx, match func(action string) bool) (keptForm, error) {
	v := staffSession(c)
	if v.Kept == nil || !match(v.Kept.Action) {
		return keptForm{}, nil
	}
	var kept keptForm
	kept, v.Kept = *v.Kept, nil
	return kept, saveStaffSession(c, v)
}

// Locals keys of this file.
const (
	staffValuesKey = "handlers.staffSession"
	staffKey       = "handlers.staff"
)

// staffSession returns this request's staff cookie values, empty when there is
// none or it does not decode.
func staffSession(c *fiber.Ctx) staffValues {
	if v, ok := c.Locals(staffValuesKey).(staffValues); ok {
		return v
	}
	var v staffValues
	if s := storeOf(c); s != nil {
		if raw := c.Cookies(staffCookie); raw != "" {
			if err := securecookie.DecodeMulti(staffCookie, raw, &v, s.staffCodecs...); err != nil {
				v = staffValues{}
			}
		}
	}
	c.Locals(staffValuesKey, v)
	return v
}

// saveStaffSession writes v into the staff cookie.
func saveStaffSession(c *fiber.Ctx, v staffValues) error {
	s := storeOf(c)
	if s == nil {
		return nil
	}
	encoded, err := securecookie.EncodeMulti(staffCookie, v, s.staffCodecs...)
	if err != nil {
		return err
	}
	c.Locals(staffValuesKey, v)
	c.Cookie(s.staffCookie(encoded, false))
	return nil
}

// dropStaffSession deletes the staff cookie in this browser.
func dropStaffSession(c *fiber.Ctx) {
	c.Locals(staffValuesKey, staffValues{})
	c.Locals(staffKey, nil)
	if s := storeOf(c); s != nil {
		c.Cookie(s.staffCookie("", true))
	}
}

func (s *sessionStore) staffCookie(value string, expire bool) *fiber.Cookie {
	o := s.store.Options
	ck := &fiber.Cookie{Name: staffCookie, Value: value, Path: "/admin", Domain: o.Domain, Secure: o.Secure,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, SessionOnly: true}
	if expire {
		ck.SessionOnly, ck.MaxAge, ck.Expires = false, -1, time.Unix(0, 0)
	}
	return ck
}

// signInStaff starts a fresh staff session for m.
func signInStaff(c *fiber.Ctx, m staff.Member) error {
	now := storeOf(c).staff.Now().Unix()
	return startStaffSession(c, m, now, now)
}

// signInStaffAgain signs this browser in again for m after a change of theirs
// that ended all their sessions (a new SessionVersion: a password change, a second
// factor turned on). The session's lifetime still counts from its first sign-in,
// so that such changes do not lengthen it.
func signInStaffAgain(c *fiber.Ctx, m staff.Member) error {
	now := storeOf(c).staff.Now().Unix()
	signedIn := staffSession(c).SignedIn
	if signedIn == 0 {
		signedIn = now
	}
	return startStaffSession(c, m, signedIn, now)
}

// startStaffSession saves a new staff session for m, with a new ID: the
// back-office CSRF tokens of the browser's session before do not work in it, and
// the response carries a token of the new one.
func startStaffSession(c *fiber.Ctx, m staff.Member, signedIn, now int64) error {
	c.Locals(staffKey, m)
	if err := saveStaffSession(c, staffValues{StaffID: m.ID, Role: m.Role, Version: m.SessionVersion,
		ID: newSessionID(), Seen: now, SignedIn: signedIn}); err != nil {
		return err
	}
	csrfTokenFor(c, staffCSRF)
	return nil
}

// signedInStaff loads the session's staff member once per request; zero when
// nobody is signed in. A session idle too long, signed in more than staffMaxAge
// ago, or whose member is gone, disabled, has another role or had their sessions
// ended since, is ended. A live session's idle clock restarts; its sign-in time
// does not move.
func signedInStaff(c *fiber.Ctx, svc *cashier.Service) (staff.Member, error) {
	if m, ok := c.Locals(staffKey).(staff.Member); ok {
		return m, nil
	}
	v := staffSession(c)
	if v.StaffID == 0 {
		return staff.Member{}, nil
	}
	settings := storeOf(c).staff
	now := settings.Now()
	if now.Sub(time.Unix(v.Seen, 0)) > settings.Idle {
		dropStaffSession(c)
		// The sign-in page the member is sent to says why (adminChrome shows it).
		return staff.Member{}, setFlash(c, "You were signed out after "+idleText(settings.Idle)+" without activity.")
	}
	if v.SignedIn == 0 {
		// A session of an older version, whose sign-in time nobody knows.
		dropStaffSession(c)
		return staff.Member{}, nil
	}
	if now.Unix()-v.SignedIn > staffMaxAge {
		dropStaffSession(c)
		// The sign-in page says this end too, apart from the idle one.
		return staff.Member{}, setFlash(c, "You were signed out "+idleText(staffMaxAge*time.Second)+" after signing in; please sign in again.")
	}
	m, err := svc.StaffMember(c.UserContext(), v.StaffID)
	switch {
	case errors.Is(err, staff.ErrNotFound) || (err == nil && (m.Disabled || m.Role != v.Role || m.SessionVersion != v.Version)):
		dropStaffSession(c)
		return staff.Member{}, nil
	case err != nil:
		return staff.Member{}, err
	}
	v.Seen = now.Unix()
	if err := saveStaffSession(c, v); err != nil {
		return staff.Member{}, err
	}
	c.Locals(staffKey, m)
	return m, nil
}

// idleText is a staff idle timeout in words: "15 minutes", "1 hour 30 minutes";
// one not in whole minutes as Go writes it ("1m30s").
func idleText(d time.Duration) string {
	if d%time.Minute != 0 {
		return d.String()
	}
	unit := func(n int64, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + many
	}
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return unit(m, "minute", "minutes")
	case m == 0:
		return unit(h, "hour", "hours")
	}
	return unit(h, "hour", "hours") + " " + unit(m, "minute", "minutes")
}

// requireStaff lets through only a signed-in staff member whose role may do
// action, and puts them in c.Locals for currentStaff. A visitor without a staff
// session (a player's session does not count) is sent to the staff sign-in, and
// back here afterwards; a member whose role may not do action gets 403. With
// StaffSettings.RequireTOTP, a member without a second factor is sent to enrol
// first, except on their own pages (staff.ActionSelf).
func requireStaff(svc *cashier.Service, action staff.Action) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, err := signedInStaff(c, svc)
		switch {
		case err != nil:
			return err
		case m.ID == 0:
			return redirectToStaffLogin(c)
		case m.MustChangePassword && action != staff.ActionSelf:
			return c.Redirect("/admin/password", fiber.StatusSeeOther)
		case storeOf(c).staff.RequireTOTP && !m.TOTPEnabled && action != staff.ActionSelf:
			return c.Redirect("/admin/2fa", fiber.StatusSeeOther)
		case !staff.Can(m.Role, action):
			return &roleRefused{role: m.Role, action: action}
		}
		return c.Next()
	}
}

// roleRefused is a back-office route refused to a member whose role may not do
// its action: the error handler answers 403 with its sentence, which says what
// was refused and which roles may, where "no access to this page" said neither,
// also after a button that is no page.
type roleRefused struct {
	role   staff.Role
	action staff.Action
}

func (e *roleRefused) Error() string {
	return fmt.Sprintf("role %s may not %s", e.role, e.action)
}

// message is the sentence staff read: "Your role, viewer, may not resolve flags.
// Roles that may: operator, finance, owner."
func (e *roleRefused) message() string {
	var may []string
	for _, r := range staff.Roles {
		if staff.Can(r, e.action) {
			may = append(may, string(r))
		}
	}
	words := actionWords[e.action]
	if words == "" {
		words = "do this"
	}
	return fmt.Sprintf("Your role, %s, may not %s. Roles that may: %s.", e.role, words, strings.Join(may, ", "))
}

// currentStaff is the signed-in staff member on routes behind requireStaff.
func currentStaff(c *fiber.Ctx) staff.Member {
	m, _ := c.Locals(staffKey).(staff.Member)
	return m
}

func redirectToStaffLogin(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet {
		return c.Redirect("/admin/login", fiber.StatusSeeOther)
	}
	return c.Redirect("/admin/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
}

// localAdminPath returns next when it is a back-office path on this site, else
// /admin.
func localAdminPath(next string) string {
	p := localPath(next)
	if p != "/admin" && !strings.HasPrefix(p, "/admin/") && !strings.HasPrefix(p, "/admin?") {
		return "/admin"
	}
	return p
}

// reauthNeeded is the error requireRecentAuth returns; the error handler answers
// it with a redirect to the re-authentication page.
type reauthNeeded struct{ next string }

func (e *reauthNeeded) Error() string { return "re-authentication needed" }

// requireRecentAuth returns nil when the signed-in staff member confirmed their
// password (and code, when enrolled) on /admin/reauth within the last five
// minutes. Otherwise it keeps sent, the form as it was sent (sentForm), in the
// session for the page back to show again (keptForm), and returns an error that
// sends the member to confirm, and back to that page afterwards (a local /admin
// path, such as the form the action came from: the action itself is not
// repeated). back carries no form values. Handlers call it before a refund or an
// approval above the second threshold, once they know the action needs it; routes
// that always need it are listed in needsReauth (routes.go).
func requireRecentAuth(c *fiber.Ctx, back string, sent keptForm) error {
	v := staffSession(c)
	now := storeOf(c).staff.Now()
	if v.StaffID != 0 && v.Reauth != 0 && now.Sub(time.Unix(v.Reauth, 0)) <= reauthWindow {
		return nil
	}
	if err := keepForm(c, sent); err != nil {
		return err
	}
	return &reauthNeeded{next: localAdminPath(back)}
}

// requirePasswordTyped returns nil when the signed-in staff member typed their
// password in the last five minutes, at sign-in or on /admin/reauth; otherwise an
// error that sends them to re-authenticate and then to back. Turning on a second
// factor needs it: a session alone, taken from a member without one, must neither
// see the secret of the app the member is to enrol nor enrol an app of its own,
// which would end the member's other sessions and keep them from signing in again.
// Just after signing in, as CASHIER_ADMIN_2FA=required sends a member to enrol,
// the password is fresh and nothing more is asked.
func requirePasswordTyped(c *fiber.Ctx, back string) error {
	v := staffSession(c)
	typed := max(v.Reauth, v.SignedIn)
	if v.StaffID != 0 && typed != 0 && storeOf(c).staff.Now().Sub(time.Unix(typed, 0)) <= reauthWindow {
		return nil
	}
	return &reauthNeeded{next: localAdminPath(back)}
}

// recentAuth lets a request through only after a recent re-authentication
// (requireRecentAuth); without one it keeps the fields named keep of the form sent
// and sends the member to re-authenticate and then back to the page back. routes
// puts it before the forms listed in needsReauth.
func recentAuth(back string, keep []string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := requireRecentAuth(c, back, sentForm(c, c.Path(), keep...)); err != nil {
			return err
		}
		return c.Next()
	}
}

// markReauthenticated records a successful re-authentication in the session.
func markReauthenticated(c *fiber.Ctx) error {
	v := staffSession(c)
	v.Reauth = storeOf(c).staff.Now().Unix()
	return saveStaffSession(c, v)
}

// adminChrome is what the back-office frame needs from this request; it consumes
// the one-time message.
func adminChrome(c *fiber.Ctx) views.AdminChrome {
	ch := adminChromeKeep(c)
	ch.Flash = takeFlash(c)
	if n, ok := c.Locals(notRecordedKey{}).(notRecorded); ok {
		ch.Flash, ch.NotRecorded, ch.NotRecordedLabel = n.message, n.text, n.label
	}
	return ch
}

// notRecorded is what the page a moot form came from says in place of its flash
// (moot).
type notRecorded struct{ message, label, text string }

type notRecordedKey struct{}

// moot answers a back-office form that another member's action made moot (a
// payout decided, a flag resolved by someone else first): page, the handler of
// the page the form came from, renders it with 409 and message, which says who
// acted, and label and text, what the member typed (a reason, a note) and nothing
// recorded, shown back so that it is not lost without a word; a redirect's flash
// could not carry a note of 2 000 characters in the session's cookie.
func moot(c *fiber.Ctx, page fiber.Handler, message, label, text string) error {
	return shownBack(c, fiber.StatusConflict, page, message, label, text)
}

// refused answers a back-office form the service refused with message (a
// *models.Problem's sentence: the player was blocked since the page was read, the
// member may not approve a payout to their own account, an order has no flag to
// resolve), which changed nothing. When the member typed text (a reason, a note:
// label says which, "Your reason, not recorded:"), page, the handler of the page
// the form came from, renders it with 422, message and the text shown back, so
// that it is not lost without a word as in a redirect, whose flash could not carry
// a note of 2 000 characters; with nothing typed it goes back to back with message.
func refused(c *fiber.Ctx, page fiber.Handler, back, message, label, text string) error {
	if strings.TrimSpace(text) == "" {
		if err := setFlash(c, message); err != nil {
			return err
		}
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	return shownBack(c, fiber.StatusUnprocessableEntity, page, message, label, text)
}

// shownBack renders page with status, message in place of its flash, and text
// under label (moot, refused).
func shownBack(c *fiber.Ctx, status int, page fiber.Handler, message, label, text string) error {
	c.Locals(notRecordedKey{}, notRecorded{message: message, label: label, text: strings.TrimSpace(text)})
	c.Status(status)
	return page(c)
}

// adminChromeKeep is adminChrome without consuming the one-time message.
func adminChromeKeep(c *fiber.Ctx) views.AdminChrome {
	ch := views.AdminChrome{CSRF: csrfToken(c), Current: c.Path()}
	if m := currentStaff(c); m.ID != 0 {
		ch.Email, ch.Role, ch.Owner = m.Email, string(m.Role), staff.Can(m.Role, staff.ActionManageStaff)
	}
	return ch
}
