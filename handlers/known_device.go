package handlers

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
	"github.com/trustly-cashier/cashier/cashier"
)

// Known devices: a browser that signs in gets a cookie naming the account, and its
// sign-ins to that account later count in a budget of their own
// (cashier.KnownDevice), so that a guesser who used up the account's budget of
// failed sign-ins (CASHIER_LOGIN_LIMIT_PER_ACCOUNT) does not keep its owner out.
// The cookie is signed and encrypted with the session keys, under its own name, so
// neither a player's nor a staff member's can be read as the other's; it is sent
// only to its sign-in form, and it outlives signing out: it says where the browser
// signed in, not who is signed in.
const (
	deviceCookie      = "cashier_device"       // a player's, sent to /login
	staffDeviceCookie = "cashier_staff_device" // a staff member's, sent to /admin/login
	deviceMaxAge      = 365 * 24 * 60 * 60     // a year from the sign-in that gave it
)

// deviceValues is what a known-device cookie holds.
type deviceValues struct {
	Account string // the account's email
	ID      string // random, new at every sign-in
	Issued  int64  // Unix seconds; the cookie is not read deviceMaxAge after
}

// withKnownDevice puts the browser's known-device cookie called name into the
// request's context for the sign-in the request is (cashier.WithKnownDevice). A
// missing, tampered, expired or other cookie is no device: the sign-in counts in
// its account's shared budget.
func withKnownDevice(c *fiber.Ctx, name string) {
	s, raw := storeOf(c), c.Cookies(name)
	if s == nil || raw == "" {
		return
	}
	var v deviceValues
	if err := securecookie.DecodeMulti(name, raw, &v, s.deviceCodecs...); err != nil {
		return
	}
	if s.now().Unix()-v.Issued > deviceMaxAge {
		return
	}
	c.SetUserContext(cashier.WithKnownDevice(c.UserContext(), cashier.KnownDevice{Account: v.Account, ID: v.ID}))
}

// rememberDevice gives the browser, just signed in to the account of email at the
// form at path, a new known-device cookie called name for it, replacing the one it
// had: one account's per browser and form.
func rememberDevice(c *fiber.Ctx, name, path, email string) error {
	s := storeOf(c)
	if s == nil {
		return nil
	}
	encoded, err := securecookie.EncodeMulti(name, deviceValues{Account: email, ID: newSessionID(), Issued: s.now().Unix()}, s.deviceCodecs...)
	if err != nil {
		return err
	}
	o := s.store.Options
	c.Cookie(&fiber.Cookie{Name: name, Value: encoded, Path: path, Domain: o.Domain, MaxAge: deviceMaxAge, Secure: o.Secure,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode})
	return nil
}
