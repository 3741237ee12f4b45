package handlers

import (
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// Sentences about deposit limits shown by the pages here, in English; the pages
// show them in the player's language through the message ids next to them.
const (
	msgLimitUnreadable = "Enter each limit as an amount such as 500 or 99.50, or leave it empty for none."                               // limits.unreadable
	msgLimitZero       = "A limit must be more than zero: leave the field empty for none. To stop deposits for a while, take a break."   // limits.zero
	msgLimitsSaved     = "Your deposit limits are saved. A lower limit applies at once; a higher one from the time shown under Waiting." // limits.saved
)

// limitLabel names a period's limit for people: "Daily limit".
func limitLabel(c *fiber.Ctx, p limits.Period) string { return tr(c, "limits.label."+string(p)) }

// text is a limits sentence in the request's language; "" when it has no id.
func text(c *fiber.Ctx, t models.Text) string {
	if t.ID == "" {
		return ""
	}
	return tr(c, t.ID, t.Args...)
}

// limitsPage shows the player's deposit limits. ?first=1 (from the cashier, before
// a first deposit the market requires limits for) adds the sentence asking for them.
func limitsPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		st, err := svc.DepositLimits(c.UserContext(), currentPlayer(c))
		if err != nil {
			return err
		}
		return render(c, views.Limits(limitsView(c, st, keptLimits(c), "")))
	}
}

// keptLimits is what the player typed in the limits form sent with a session
// that had ended (redirectToLogin keeps it in the query), nil when there is none.
func keptLimits(c *fiber.Ctx) map[limits.Period]string {
	var typed map[limits.Period]string
	for _, per := range limits.Periods {
		if v := c.Query(string(per)); v != "" {
			if typed == nil {
				typed = map[limits.Period]string{}
			}
			typed[per] = typedAmount(v)
		}
	}
	return typed
}

// setLimits records the limits typed in the form: an empty field asks for no
// limit of the player's own.
func setLimits(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		player := currentPlayer(c)
		typed, wanted := map[limits.Period]string{}, map[limits.Period]int64{}
		var problem *models.Problem
		for _, per := range limits.Periods {
			raw := strings.TrimSpace(c.FormValue(string(per)))
			typed[per] = typedAmount(raw)
			if raw == "" {
				wanted[per] = 0
				continue
			}
			m, err := models.ParseMoney(raw, player.Currency)
			if err != nil {
				problem = models.ProblemT(string(per), "limits.unreadable", msgLimitUnreadable)
				continue
			}
			if m.Minor == 0 {
				// 0 is how the service asks for no limit (an empty field), while a
				// player who types it means no deposits: refused, not a removal.
				problem = models.ProblemT(string(per), "limits.zero", msgLimitZero)
				continue
			}
			wanted[per] = m.Minor
		}
		if problem == nil {
			_, err := svc.SetDepositLimits(c.UserContext(), player, wanted)
			if problem = asProblem(err); problem == nil && err != nil {
				return err
			}
		}
		if problem != nil {
			st, err := svc.DepositLimits(c.UserContext(), player)
			if err != nil {
				return err
			}
			c.Status(fiber.StatusUnprocessableEntity)
			page := limitsView(c, st, typed, problemText(c, problem))
			page.Field = problem.Field
			return render(c, views.Limits(page))
		}
		if err := setFlash(c, tr(c, "limits.saved")); err != nil {
			return err
		}
		return c.Redirect("/limits", fiber.StatusSeeOther)
	}
}

// limitsView fills the limits page from st; typed, when not nil, is what the
// player typed, shown again with problem.
func limitsView(c *fiber.Ctx, st limits.Status, typed map[limits.Period]string, problem string) views.LimitsPage {
	pol := st.Policy
	page := views.LimitsPage{Chrome: chrome(c), Currency: st.Currency, Rules: limitRules(c, pol), Notice: text(c, st.NoticeText()),
		Problem: problem}
	if c.Query("first") != "" && len(st.Missing) > 0 {
		page.Intro = text(c, st.RefusalText(models.Money{Minor: 1, Currency: st.Currency}))
	}
	// RequireOne asks for any one period's limit, so no field is required on its
	// own; with Required periods as well, those fields already say it.
	if pol.RequireOne && len(pol.Required) == 0 {
		page.OneRequired = tr(c, "limits.required_one")
	}
	for _, ps := range st.Periods {
		row := views.LimitRow{Period: string(ps.Period), Label: limitLabel(c, ps.Period), Limit: tr(c, "limits.none"),
			Used: money(c, ps.Used), Required: slices.Contains(pol.Required, ps.Period)}
		if ps.Own {
			row.Value = loc(c).Input(ps.Limit)
		}
		if ps.Limit.Positive() {
			row.Limit = money(c, ps.Limit)
			if !ps.Own {
				row.Limit = tr(c, "limits.default", "Limit", ps.Limit)
			}
			row.Left = money(c, models.Money{Minor: max(ps.Left.Minor, 0), Currency: st.Currency})
			if !pol.Rolling {
				row.Until = loc(c).Time(ps.End)
			}
		}
		if p := ps.Pending; p != nil {
			row.Value = ""
			if p.AmountMinor > 0 {
				row.Value = loc(c).Input(p.Amount())
			}
			row.Pending = tr(c, "limits.pending", "Limit", limitText(c, p.Amount()), "When", p.EffectiveAt)
		}
		if typed != nil {
			row.Value = typed[ps.Period]
		}
		page.Rows = append(page.Rows, row)
	}
	for _, h := range st.History {
		page.History = append(page.History, views.LimitChangeRow{Asked: loc(c).Time(h.RequestedAt), Label: limitLabel(c, h.Period),
			From: limitText(c, models.Money{Minor: h.PreviousMinor, Currency: h.Currency}), To: limitText(c, h.Amount()),
			Effective: loc(c).Time(h.EffectiveAt), Waiting: h.Pending(st.At)})
	}
	return page
}

// limitText is a limit for people: "500,00 kr", or "None" for 0.
func limitText(c *fiber.Ctx, m models.Money) string {
	if !m.Positive() {
		return tr(c, "limits.none")
	}
	return money(c, m)
}

// limitRules says the market's policy in a sentence or two.
func limitRules(c *fiber.Ctx, p limits.Policy) string {
	var parts []string
	if p.Rolling {
		parts = append(parts, tr(c, "limits.rules.rolling"))
	} else {
		parts = append(parts, tr(c, "limits.rules.calendar", "Zone", zoneText(c, p.Zone)))
	}
	if p.Net {
		parts = append(parts, tr(c, "limits.rules.net"))
	}
	id := "limits.rules.raise"
	if p.RaiseAfterPeriod {
		id = "limits.rules.raise_after_period"
	}
	if p.RaiseDelay == 0 {
		id += "_now"
	}
	parts = append(parts, tr(c, id, "Delay", raiseDelay(c, p.RaiseDelay)))
	return strings.Join(parts, " ")
}

// zoneText is a limit policy's time zone as the sentence about it names it in
// the request's language: "Swedish time" for Europe/Stockholm, and the zone's
// IANA name only for a zone an operator configured that has no name of its own
// in the message files ("the time zone America/Toronto").
func zoneText(c *fiber.Ctx, zone *time.Location) string {
	name := "UTC"
	if zone != nil {
		name = zone.String()
	}
	if id := "limits.zone." + name; tr(c, id) != id {
		return tr(c, id)
	}
	return tr(c, "limits.zone.other", "Zone", name)
}

// raiseDelay is a raise delay for people: "72 hours", "7 days".
func raiseDelay(c *fiber.Ctx, d time.Duration) string {
	switch h := int64(d / time.Hour); {
	case h%24 == 0 && h >= 120:
		return loc(c).N("duration.days", int(h/24))
	case d%time.Hour == 0:
		return loc(c).N("duration.hours", int(h))
	}
	return loc(c).N("duration.minutes", int(d/time.Minute))
}
