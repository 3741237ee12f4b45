package handlers

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// defaultCountry is preselected on an empty registration form.
const defaultCountry = "SE"

// countries lists models.Markets by name in the page's language for the country
// select, except those skip reports true for.
func countries(c *fiber.Ctx, skip ...func(code string) bool) []views.Country {
	list := make([]views.Country, 0, len(models.Markets))
	for code, m := range models.Markets {
		if len(skip) > 0 && skip[0](code) {
			continue
		}
		list = append(list, views.Country{Code: code, Name: loc(c).Country(code), Currency: m.Currency})
	}
	sortCountries(loc(c), list)
	return list
}

// sortCountries puts list in the order of l's language's alphabet, not of the
// names' bytes, which put "Šveits" after "Ungari" on an Estonian page
// (TestCountriesCollated).
func sortCountries(l *lang.Localizer, list []views.Country) {
	slices.SortFunc(list, func(a, b views.Country) int { return l.Compare(a.Name, b.Name) })
}

// registerForm is the registration page showing r as typed; the password is never
// sent back. Markets of the pure Pay N Play model are not offered: their players
// have no password.
func registerForm(c *fiber.Ctx, svc *cashier.Service, r models.Registration, problem *models.Problem) views.RegisterPage {
	pure := func(code string) bool { return modeOf(svc, code) == paynplay.ModePure }
	p := views.RegisterPage{Chrome: chrome(c), Email: r.Email, FirstName: r.FirstName, LastName: r.LastName,
		Country: r.Country, Countries: countries(c, pure), PersonID: r.PersonID, DateOfBirth: r.DateOfBirth}
	if _, ok := models.Markets[p.Country]; !ok || pure(p.Country) {
		p.Country = ""
		if len(p.Countries) > 0 {
			p.Country = p.Countries[0].Code
		}
		for _, c := range p.Countries {
			if c.Code == defaultCountry {
				p.Country = defaultCountry
			}
		}
	}
	p.Currency = models.Markets[p.Country].Currency
	if problem != nil {
		p.Problem, p.Field = problemText(c, problem), problem.Field
	}
	return p
}

func registerPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if session(c).PlayerID != 0 {
			return c.Redirect("/cashier", fiber.StatusSeeOther)
		}
		return render(c, views.Register(registerForm(c, svc, models.Registration{Country: defaultCountry}, nil)))
	}
}

// msgRegistered answers every registration that validates, whether the email was
// new or already had an account, so that the form does not tell anyone who has an
// account here.
const msgRegistered = "Thank you for registering. Sign in with your email and password."

// register opens an account and sends the person to sign in. The email or
// identity number of an existing account, and the identity of a person the
// national register excludes, get the same answer and open nothing (the service
// tells the owner, or writes the refusal to the audit trail): the identity is
// only typed, so the answer must not tell anyone about that person.
func register(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r := models.Registration{Email: c.FormValue("email"), Password: c.FormValue("password"),
			FirstName: c.FormValue("first_name"), LastName: c.FormValue("last_name"), Country: c.FormValue("country"),
			PersonID: c.FormValue("person_id"), DateOfBirth: c.FormValue("date_of_birth")}
		if code := c.Cookies(langCookie); lang.Supported(code) {
			r.Language = code // chosen with the picker: the account's from now on
		}
		var err error
		if m, ok := models.Markets[r.Country]; ok && modeOf(svc, r.Country) == paynplay.ModePure {
			err = models.ProblemT("country", "paynplay.no_passwords", fmt.Sprintf(msgNoPasswordsIn, m.Name),
				"Market", models.CountryName(r.Country))
		} else {
			_, err = svc.Register(c.UserContext(), r)
		}
		// No account opened for a reason the registrant may not learn (the email or
		// number has an account; the person is excluded in the national register:
		// anyone can type another's number): the answer of a new account.
		if errors.Is(err, cashier.ErrNotOpened) {
			err = nil
		}
		if ok, err := playRefused(c, err); ok {
			return err
		}
		if problem := asProblem(err); problem != nil {
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.Register(registerForm(c, svc, r, problem)))
		}
		if err != nil {
			return err
		}
		// The sign-in page's field gets what was typed, whether or not an account
		// was opened: it tells the registrant nothing new.
		v := session(c)
		v.Flash, v.LoginEmail = tr(c, "register.done"), clipEmail(strings.TrimSpace(r.Email))
		if err := saveSession(c, v); err != nil {
			return err
		}
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
}

func loginPage(c *fiber.Ctx) error {
	next := c.Query("next")
	if session(c).PlayerID != 0 {
		return c.Redirect(localPath(next), fiber.StatusSeeOther)
	}
	if next != "" {
		next = localPath(next)
	}
	email := takeLoginEmail(c)
	return render(c, views.Login(views.LoginPage{Chrome: chrome(c), Email: email, Next: next}))
}

// clipEmail is email, or "" when it is longer than an email can be (a cookie
// keeps it until the sign-in page shows it).
func clipEmail(email string) string {
	if len(email) > 254 {
		return ""
	}
	return email
}

// login signs a player in and sends them where they were going; a player the
// national register excludes, who still has money here, is signed in withdraw-only
// and sent to the cashier page, which says so. The browser is remembered as a known
// device of the player's (known_device.go).
func login(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		email, next := c.FormValue("email"), c.FormValue("next")
		withKnownDevice(c, deviceCookie)
		player, access, err := svc.Authenticate(c.UserContext(), email, c.FormValue("password"))
		if ok, err := playRefused(c, err); ok {
			return err
		}
		if problem := asProblem(err); problem != nil {
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.Login(views.LoginPage{Chrome: chrome(c), Email: email, Next: next, Problem: problemText(c, problem)}))
		}
		if err != nil {
			return err
		}
		if err := signIn(c, player, access); err != nil {
			return err
		}
		if err := rememberDevice(c, deviceCookie, "/login", player.Email); err != nil {
			return err
		}
		if access.WithdrawOnly {
			// The cashier page says why deposits are closed, and leads to the payout.
			return c.Redirect("/cashier", fiber.StatusSeeOther)
		}
		return c.Redirect(localPath(next), fiber.StatusSeeOther)
	}
}

// logout ends the player's sessions everywhere, not only in this browser: a copy
// of the cookie, or another device, is signed out too. A cookie already ended
// changes nothing, so an old copy cannot sign the player out again and again.
func logout(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		player, err := signedInPlayer(c, svc)
		if err != nil {
			return err
		}
		if player.ID != 0 {
			if err := svc.EndSessions(c.UserContext(), player.ID); err != nil {
				return err
			}
		}
		if player.ID != 0 && player.PasswordHash == "" {
			return signedOut(c, "/") // a Pay N Play player logs in again with their bank, from the start page
		}
		return signedOut(c, "/login")
	}
}

// signedOut ends the session in this browser and says so on the page to sign in
// again (endSession): the browser's session gets a new ID, so no CSRF token of the
// signed-in session works for any form, a visitor's either, while a form still
// open in another tab leads to signing in and back to it, not to "form expired".
func signedOut(c *fiber.Ctx, to string) error {
	if err := endSession(c, tr(c, "session.signed_out")); err != nil {
		return err
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}
