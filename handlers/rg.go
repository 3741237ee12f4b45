package handlers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// Responsible gaming pages: the refusal of a person the national register lists
// (or that could not be asked), the take-a-break pages, and the reality check in
// the frame of every signed-in page.

// playRefused renders the page for a registration or sign-in the national
// self-exclusion register stopped; ok is false when err is not such a refusal.
func playRefused(c *fiber.Ctx, err error) (ok bool, rerr error) {
	page := views.PlayRefusedPage{Chrome: chrome(c)}
	switch {
	case errors.Is(err, cashier.ErrExcluded):
		c.Status(fiber.StatusForbidden)
		page.Title = "You cannot play here"
	case errors.Is(err, cashier.ErrRegisterUnavailable):
		c.Status(fiber.StatusServiceUnavailable)
		page.Title = "We could not check the register"
	default:
		return false, nil
	}
	if p := asProblem(err); p != nil {
		page.Message = p.Message
	}
	return true, render(c, views.PlayRefused(page))
}

// breakChoices are the breaks offered, as the player reads them.
var breakChoices = map[breaks.Kind]string{
	breaks.TimeOut24h:    "24 hours",
	breaks.TimeOut7d:     "7 days",
	breaks.TimeOut30d:    "30 days",
	breaks.Exclusion6m:   "6 months (self-exclusion)",
	breaks.ExclusionEver: "Permanently (self-exclusion)",
}

// breaksView fills the take-a-break page for the current player.
func breaksView(c *fiber.Ctx, svc *cashier.Service, problem string) (views.BreaksPage, error) {
	player := currentPlayer(c)
	page := views.BreaksPage{Chrome: chrome(c), Problem: problem}
	current, ok, err := svc.CurrentBreak(c.UserContext(), player)
	if err != nil {
		return page, err
	}
	if ok {
		page.Current = cashier.BreakSentence(current)
	}
	for _, k := range breaks.Kinds {
		page.Kinds = append(page.Kinds, views.BreakChoice{Value: string(k), Label: breakChoices[k]})
	}
	history, err := svc.Breaks(c.UserContext(), player)
	if err != nil {
		return page, err
	}
	for _, b := range history {
		row := views.BreakRow{Kind: b.Kind.Label(), Start: b.StartsAt.UTC().Format("2006-01-02 15:04") + " UTC", End: "never"}
		if !b.Permanent() {
			row.End = cashier.BreakEnd(b)
		}
		page.History = append(page.History, row)
	}
	return page, nil
}

// breaksPage shows the break in force, the breaks on offer and the history.
func breaksPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		page, err := breaksView(c, svc, "")
		if err != nil {
			return err
		}
		return render(c, views.Breaks(page))
	}
}

// breakConfirmPage is the confirmation step: it changes nothing, and shows what
// the chosen break means and until when, taken now.
func breakConfirmPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		kind := breaks.Kind(c.FormValue("kind"))
		if !kind.Valid() {
			page, err := breaksView(c, svc, "Choose how long your break lasts.")
			if err != nil {
				return err
			}
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.Breaks(page))
		}
		until := "ever again"
		if end, ok := kind.End(svc.Now()); ok {
			until = "until " + cashier.BreakEnd(breaks.Break{EndsAt: &end})
		}
		return render(c, views.BreakConfirm(views.BreakConfirmPage{Chrome: chrome(c), Kind: string(kind),
			Label: kind.Label(), Until: until}))
	}
}

// takeBreak starts the confirmed break. There is no route that ends one.
func takeBreak(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		b, err := svc.TakeBreak(c.UserContext(), currentPlayer(c), breaks.Kind(c.FormValue("kind")))
		if problem := asProblem(err); problem != nil {
			page, err := breaksView(c, svc, problem.Message)
			if err != nil {
				return err
			}
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.Breaks(page))
		}
		if err != nil {
			return err
		}
		if err := setFlash(c, "Your break has started. "+cashier.BreakSentence(b)); err != nil {
			return err
		}
		return c.Redirect("/breaks", fiber.StatusSeeOther)
	}
}

// realityCheckKey holds the service for realityCheckChrome, set by requirePlayer.
const realityCheckKey = "handlers.realityCheck"

// realityCheckChrome adds the reality check to a signed-in page's frame: the
// notice when one is due, otherwise the seconds until it is, for the page to
// reload itself then (not on the checkout pages, which a reload would interrupt).
// The session remembers when the player signed in and last acknowledged; a session
// from before either was kept starts counting at its first page.
func realityCheckChrome(c *fiber.Ctx, ch *views.Chrome) error {
	svc, _ := c.Locals(realityCheckKey).(*cashier.Service)
	player := currentPlayer(c)
	if svc == nil || player.ID == 0 || svc.Config().RealityCheckInterval(player.Country) <= 0 {
		return nil
	}
	s := session(c)
	if s.SignedInAt == 0 {
		now := svc.Now().Unix()
		s.SignedInAt, s.CheckedAt = now, now
		if err := saveSession(c, s); err != nil {
			return err
		}
	}
	rc, err := svc.RealityCheck(c.UserContext(), player, time.Unix(s.SignedInAt, 0), time.Unix(s.CheckedAt, 0))
	if err != nil {
		return err
	}
	switch {
	case rc.Due:
		ch.RealityCheck = &views.RealityCheckNotice{Spent: duration(rc.Spent), Deposits: rc.Deposits.Display(),
			Payouts: rc.Payouts.Display(), Net: rc.Net.Display()}
	case c.Method() == fiber.MethodGet && !strings.HasSuffix(c.Path(), "/checkout"):
		ch.RealityCheckIn = int((rc.DueIn + time.Second - 1) / time.Second)
	}
	return nil
}

// duration is d for people, in whole minutes: "1 hour 5 minutes".
func duration(d time.Duration) string {
	m := int(d / time.Minute)
	h, m := m/60, m%60
	plural := func(n int, unit string) string {
		if n == 1 {
			return fmt.Sprintf("1 %s", unit)
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case h == 0:
		return plural(m, "minute")
	case m == 0:
		return plural(h, "hour")
	}
	return plural(h, "hour") + " " + plural(m, "minute")
}

// realityCheckAck acknowledges the reality check: the next one is due an interval
// from now. It goes back to the page the notice was on.
func realityCheckAck(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s := session(c)
		now := svc.Now().Unix()
		if s.SignedInAt == 0 {
			s.SignedInAt = now
		}
		s.CheckedAt = now
		if err := saveSession(c, s); err != nil {
			return err
		}
		return c.Redirect(localPath(c.FormValue("next")), fiber.StatusSeeOther)
	}
}

// onBreakNotice is the cashier page's sentence about the player's break; "" when
// none.
func onBreakNotice(c *fiber.Ctx, svc *cashier.Service, player models.Player) (string, error) {
	b, ok, err := svc.CurrentBreak(c.UserContext(), player)
	if err != nil || !ok {
		return "", err
	}
	return cashier.BreakSentence(b), nil
}
