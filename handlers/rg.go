package handlers

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/lang"
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
		page.Title = tr(c, "rg.cannot_play")
	case errors.Is(err, cashier.ErrRegisterUnavailable):
		c.Status(fiber.StatusServiceUnavailable)
		page.Title = tr(c, "rg.register_unavailable_title")
	default:
		return false, nil
	}
	if p := asProblem(err); p != nil {
		page.Message = problemText(c, p)
	}
	return true, render(c, views.PlayRefused(page))
}

// refuseWithdrawOnly guards the pages that start or show a deposit's checkout. A
// withdraw-only session (the national register excluded the player at sign-in) is
// refused from the session alone, before any register, order or call to Trustly:
// a deposit form sent gets the cashier page with the register's refusal (422), a
// checkout the cashier page.
func refuseWithdrawOnly(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a := access(c)
		switch {
		case !a.WithdrawOnly:
			return c.Next()
		case c.Method() == fiber.MethodPost:
			return depositRefused(c, svc, c.FormValue("amount"), asProblem(a.ExcludedDeposit(currentPlayer(c).Country)))
		}
		return c.Redirect("/cashier", fiber.StatusSeeOther)
	}
}

// msgRealityCheckFirst refuses a deposit form sent while the reality check is due.
const msgRealityCheckFirst = "Before you deposit, read your reality check above and choose Continue: the amount stays in the form. No deposit was started."

// realityCheckFirst guards the deposit form. The reality check stops play until
// the player has seen their session's time and money and chosen to go on, so a
// deposit form sent while one is due (a page left open since before it was due, a
// second tab) starts nothing: the cashier page comes back with the check, the
// amount as typed and a sentence (422), before any register, order or call to
// Trustly, and before the order limit counts it. Continue leads back to the
// cashier with the amount in the form.
func realityCheckFirst(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s := session(c)
		if s.SignedInAt == 0 || !svc.RealityCheckTimes(currentPlayer(c), time.Unix(s.SignedInAt, 0), time.Unix(s.CheckedAt, 0)).Due {
			return c.Next()
		}
		typed := c.FormValue("amount")
		if pick := c.FormValue("pick"); pick != "" {
			typed = pick
		}
		return depositRefused(c, svc, typed, models.ProblemT("", "problem.reality_check_first", msgRealityCheckFirst))
	}
}

// The breaks offered read as the message "break.choice." + kind; a break taken
// reads as "break.kind." + kind (cashier.BreakKindText).

// breaksView fills the take-a-break page for the current player.
func breaksView(c *fiber.Ctx, svc *cashier.Service, problem string) (views.BreaksPage, error) {
	player := currentPlayer(c)
	l := loc(c)
	page := views.BreaksPage{Chrome: chrome(c), Problem: problem}
	current, ok, err := svc.CurrentBreak(c.UserContext(), player)
	if err != nil {
		return page, err
	}
	if ok {
		page.Current = breakSentence(l, current)
	}
	for _, k := range breaks.Kinds {
		page.Kinds = append(page.Kinds, views.BreakChoice{Value: string(k), Label: l.T("break.choice." + string(k))})
	}
	history, err := svc.Breaks(c.UserContext(), player)
	if err != nil {
		return page, err
	}
	for _, b := range history {
		row := views.BreakRow{Kind: l.T("break.kind." + string(b.Kind)), Start: l.Time(b.StartsAt), End: l.T("breaks.never")}
		if !b.Permanent() {
			row.End = l.Time(cashier.BreakEndTime(b))
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
			page, err := breaksView(c, svc, tr(c, "breaks.choose"))
			if err != nil {
				return err
			}
			page.Field = "kind"
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.Breaks(page))
		}
		l := loc(c)
		label := l.T("break.kind." + string(kind))
		text := l.T("breaks.confirm_forever", "Kind", label)
		if end, ok := kind.End(svc.Now()); ok {
			text = l.T("breaks.confirm", "Kind", label, "Until", cashier.BreakEndTime(breaks.Break{EndsAt: &end}))
		}
		return render(c, views.BreakConfirm(views.BreakConfirmPage{Chrome: chrome(c), Kind: string(kind),
			Token: models.NewBreakToken(), Label: label, Text: text}))
	}
}

// takeBreak starts the confirmed break. The form's token takes one break however
// often the form is sent: a second time answers as the first did. There is no
// route that ends one.
func takeBreak(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		b, err := svc.TakeBreak(c.UserContext(), currentPlayer(c), c.FormValue("token"), breaks.Kind(c.FormValue("kind")))
		if problem := asProblem(err); problem != nil {
			page, err := breaksView(c, svc, problemText(c, problem))
			if err != nil {
				return err
			}
			page.Field = problem.Field
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.Breaks(page))
		}
		if err != nil {
			return err
		}
		if err := setFlash(c, tr(c, "breaks.started")+" "+breakSentence(loc(c), b)); err != nil {
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
		l := loc(c)
		ch.RealityCheck = &views.RealityCheckNotice{Spent: duration(l, rc.Spent), Deposits: l.Money(rc.Deposits),
			Payouts: l.Money(rc.Payouts), Net: l.Money(rc.Net)}
	case c.Method() == fiber.MethodGet && !strings.HasSuffix(c.Path(), "/checkout"):
		ch.RealityCheckIn = int((rc.DueIn + time.Second - 1) / time.Second)
	}
	return nil
}

// duration is d for people, in whole minutes: "1 hour 5 minutes".
func duration(l *lang.Localizer, d time.Duration) string {
	m := int(d / time.Minute)
	h, m := m/60, m%60
	switch {
	case h == 0:
		return l.N("duration.minutes", m)
	case m == 0:
		return l.N("duration.hours", h)
	}
	return l.N("duration.hours", h) + " " + l.N("duration.minutes", m)
}

// breakSentence is cashier.BreakText in the player's language.
func breakSentence(l *lang.Localizer, b breaks.Break) string {
	t := cashier.BreakText(b)
	return l.T(t.ID, t.Args...)
}

// realityCheckAck acknowledges the reality check: the next one is due an interval
// from now. An acknowledgement sent while no check is due (the form replayed by a
// script) changes nothing, so the checks cannot be put off for ever. It goes back
// to the page the notice was on.
func realityCheckAck(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s := session(c)
		now := svc.Now().Unix()
		if s.SignedInAt == 0 {
			s.SignedInAt = now
		}
		rc := svc.RealityCheckTimes(currentPlayer(c), time.Unix(s.SignedInAt, 0), time.Unix(s.CheckedAt, 0))
		if rc.Interval > 0 && !rc.Due {
			return c.Redirect(localPath(c.FormValue("next")), fiber.StatusSeeOther)
		}
		s.CheckedAt = now
		if err := saveSession(c, s); err != nil {
			return err
		}
		return c.Redirect(localPath(c.FormValue("next")), fiber.StatusSeeOther)
	}
}
