package handlers

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// The language of a page: the one the signed-in player chose (kept on the
// player), else the one a visitor chose (the lang cookie), else the browser's
// Accept-Language when it names one of lang.Languages; a browser asking only for
// languages we do not speak gets the player's market's, and one asking for none
// (a test client, a script) gets English. Times are in the zone of the player's
// market, UTC for visitors.

// langCookie keeps a visitor's choice of language for a year.
const langCookie = "cashier_lang"

// localizerKey is the Locals key of the request's *lang.Localizer.
const localizerKey = "handlers.localizer"

// loc is the request's Localizer, worked out once per request, and again once
// the signed-in player is known (middleware may ask before requirePlayer ran).
func loc(c *fiber.Ctx) *lang.Localizer {
	kept, ok := c.Locals(localizerKey).(localized)
	if ok && kept.player { // the player's own: nothing more to look up (a page asks ≈ 10 times)
		return kept.l
	}
	player, signedIn := c.Locals(playerKey).(models.Player)
	if ok && !signedIn {
		return kept.l
	}
	code, zone := pageLanguage(c, player, signedIn), time.UTC
	if signedIn {
		zone = lang.Zone(player.Country)
	}
	l := lang.For(code, zone)
	c.Locals(localizerKey, localized{l: l, player: signedIn})
	return l
}

// localized is the Localizer kept for a request, and whether the player's choice
// was known when it was worked out.
type localized struct {
	l      *lang.Localizer
	player bool
}

// pageLanguage picks the request's language as the package comment says.
func pageLanguage(c *fiber.Ctx, player models.Player, signedIn bool) string {
	if signedIn && lang.Supported(player.Language) {
		return player.Language
	}
	if code := c.Cookies(langCookie); lang.Supported(code) {
		return code
	}
	header := c.Get(fiber.HeaderAcceptLanguage)
	if code, ok := lang.Match(header); ok {
		return code
	}
	if header != "" && signedIn {
		return lang.MarketLanguage(player.Country)
	}
	return lang.Default
}

// tr is the message id in the request's language (lang.Localizer.T).
func tr(c *fiber.Ctx, id string, args ...any) string { return loc(c).T(id, args...) }

// money is an amount as the request's language writes it: "100,00 kr".
func money(c *fiber.Ctx, m models.Money) string { return loc(c).Money(m) }

// problemText is a Problem's sentence in the request's language.
func problemText(c *fiber.Ctx, p *models.Problem) string { return loc(c).Problem(p) }

// pageContext is the request's context carrying the page's language, for the
// Locale of the Trustly calls a handler makes (models.Player.Locale).
func pageContext(c *fiber.Ctx) context.Context {
	return models.WithLanguage(c.UserContext(), loc(c).Code)
}

// setLangCookie keeps code as the browser's language for a year.
func setLangCookie(c *fiber.Ctx, code string) {
	secure := false
	if s := storeOf(c); s != nil {
		secure = s.store.Options.Secure
	}
	c.Cookie(&fiber.Cookie{Name: langCookie, Value: code, Path: "/", MaxAge: 365 * 24 * 60 * 60,
		Secure: secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

// setLanguage is the language picker's POST: it keeps the choice on the
// signed-in player and, for everyone, in the lang cookie, then goes back to the
// page it was sent from (a local path; the cashier or the start page otherwise).
func setLanguage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		code := c.FormValue("lang")
		if !lang.Supported(code) {
			return models.ProblemT("lang", "lang.unknown", "Choose one of the languages listed.")
		}
		player, err := signedInPlayer(c, svc)
		if err != nil {
			return err
		}
		if player.ID != 0 {
			if err := svc.SetLanguage(c.UserContext(), player.ID, code); err != nil {
				return err
			}
		}
		setLangCookie(c, code)
		next := c.FormValue("back")
		if next == "" {
			next = "/"
			if player.ID != 0 {
				next = "/cashier"
			}
		}
		return c.Redirect(localPath(next), fiber.StatusSeeOther)
	}
}

// errorIDs are the message ids of the error pages' English titles and sentences
// (app.go), for players; the back office keeps English.
var errorIDs = map[string]string{
	"Something went wrong":               "error.title.generic",
	"Request refused":                    "error.title.refused",
	"Bad request":                        "error.title.400",
	"Not allowed":                        "error.title.403",
	"Page not found":                     "error.title.404",
	"Too large":                          "error.title.413",
	"Please check":                       "error.title.422",
	"Too many attempts":                  "error.title.429",
	genericMessage:                       "error.generic",
	errFormExpired.Message:               "error.form_expired",
	errSignedInAgain.Message:             "error.signed_in_again",
	errTooManyAttempts.Message:           "error.too_many_attempts",
	errTooManyOrders.Message:             "error.too_many_orders",
	errForbidden.Message:                 "error.forbidden",
	errNotFound.Message:                  "error.not_found",
	statusMessages[400]:                  "error.bad_request",
	statusMessages[403]:                  "error.no_access",
	statusMessages[413]:                  "error.too_large",
	"This request could not be handled.": "error.unhandled",
}

// translateError puts an error page's title and sentence in the player's
// language; a Problem's own message id wins.
func translateError(c *fiber.Ctx, page *views.ErrorPage, problem *models.Problem) {
	if id, ok := errorIDs[page.Title]; ok {
		page.Title = tr(c, id)
	}
	if problem != nil && problem.Message == page.Message {
		page.Message = problemText(c, problem)
	} else if id, ok := errorIDs[page.Message]; ok {
		page.Message = tr(c, id)
	}
}

// kycMessage is why a Pay N Play order was refused, in the player's language:
// the kyc decision's message id with its arguments (the register's name, the end
// of a break, written in the page's language and time zone), or the checkout's
// end when there was no decision. A "kyc." refusal is followed by "No money was
// moved." (kyc.no_money) unless the bank sent the money all the same
// (models.OrderRefusedHeld, and models.OrderRefusedReturned once staff sent it
// back), which the page says in a sentence of its own; the others (a break, a deposit limit) are the deposit
// form's sentences, which speak of no money. An order decided before the id was
// stored has only its English sentence: one that is word for word a "kyc."
// message of the English file (followed by "No money was moved") is translated,
// any other (one naming a register or a break's end) is shown as stored, and so
// is the English of an id no message file has; a held order's is shown without
// the words that no money moved.
func kycMessage(c *fiber.Ctx, order models.Order) string {
	held := order.Status == models.OrderRefusedHeld || order.Status == models.OrderRefusedReturned
	withMoney := func(id, reason string) string {
		if held || !strings.HasPrefix(id, "kyc.") {
			return reason
		}
		return reason + " " + tr(c, "kyc.no_money")
	}
	if t, ok := order.KYCRefusal(); ok {
		l := loc(c)
		// A refusal naming the player's market (a break's end) is written in its
		// time zone: the page is usually a visitor's, in UTC.
		for i := 0; i+1 < len(t.Args); i += 2 {
			if country, ok := t.Args[i+1].(string); ok && t.Args[i] == "Country" && models.Markets[country].Currency != "" {
				l = lang.For(l.Code, lang.Zone(country))
			}
		}
		if s := l.T(t.ID, t.Args...); s != t.ID {
			return withMoney(t.ID, s)
		}
		return storedKYCMessage(order.KYCMessage, held)
	}
	if order.KYCMessage == "" {
		return withMoney("kyc.ended", tr(c, "kyc.ended"))
	}
	if id, ok := oldKYCSentences()[withoutNoMoney(order.KYCMessage)]; ok {
		return withMoney(id, tr(c, id))
	}
	return storedKYCMessage(order.KYCMessage, held)
}

// storedKYCMessage is a refusal's English sentence as stored, shown as it is;
// a held order's (held) without the words that no money moved.
func storedKYCMessage(s string, held bool) string {
	if held {
		s = withoutNoMoney(s)
	}
	return s
}

// noMoneyEnglish is kyc.no_money's English without its period, as the English
// refusals stored before their ids held it: at the end ("… No money was
// moved.") or before what to do ("… No money was moved; please contact
// support.").
const noMoneyEnglish = "No money was moved"

// withoutNoMoney is the stored English refusal s without noMoneyEnglish: "X. No
// money was moved; please contact support." becomes "X. Please contact
// support.", as the English message file writes it.
func withoutNoMoney(s string) string {
	if before, after, ok := strings.Cut(s, " "+noMoneyEnglish+"; "); ok && after != "" {
		return before + " " + strings.ToUpper(after[:1]) + after[1:]
	}
	if before, ok := strings.CutSuffix(s, " "+noMoneyEnglish+"."); ok {
		return before
	}
	return s
}

// oldKYCSentences maps the English of every "kyc." refusal without placeholders
// to its id, for the refusals stored before their ids were (without the words
// that no money moved: withoutNoMoney).
var oldKYCSentences = sync.OnceValue(func() map[string]string {
	ids, err := lang.IDs(lang.Default)
	if err != nil {
		panic(err) // the message files are embedded; the lang tests read them
	}
	en, out := lang.For(lang.Default, nil), map[string]string{}
	for _, id := range ids {
		if s := en.T(id); strings.HasPrefix(id, "kyc.") && id != "kyc.no_money" && !strings.Contains(s, "<no value>") {
			out[s] = id
		}
	}
	return out
})
