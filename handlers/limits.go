package handlers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// Sentences about deposit limits shown by the pages here.
const (
	msgLimitUnreadable = "Enter each limit as an amount such as 500 or 99.50, or leave it empty for none."
	msgLimitsSaved     = "Your deposit limits are saved. A lower limit applies at once; a higher one from the time shown under Waiting."
)

// limitLabels name the periods' limits for people.
var limitLabels = map[limits.Period]string{limits.Day: "Daily limit", limits.Week: "Weekly limit", limits.Month: "Monthly limit"}

// limitsPage shows the player's deposit limits. ?first=1 (from the cashier, before
// a first deposit the market requires limits for) adds the sentence asking for them.
func limitsPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		st, err := svc.DepositLimits(c.UserContext(), currentPlayer(c))
		if err != nil {
			return err
		}
		return render(c, views.Limits(limitsView(c, st, nil, "")))
	}
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
				problem = models.Problemf(string(per), msgLimitUnreadable)
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
			return render(c, views.Limits(limitsView(c, st, typed, problem.Message)))
		}
		if err := setFlash(c, msgLimitsSaved); err != nil {
			return err
		}
		return c.Redirect("/limits", fiber.StatusSeeOther)
	}
}

// limitsView fills the limits page from st; typed, when not nil, is what the
// player typed, shown again with problem.
func limitsView(c *fiber.Ctx, st limits.Status, typed map[limits.Period]string, problem string) views.LimitsPage {
	pol := st.Policy
	page := views.LimitsPage{Chrome: chrome(c), Currency: st.Currency, Rules: limitRules(pol), Notice: st.Notice(),
		Problem: problem}
	if c.Query("first") != "" && len(st.Missing) > 0 {
		page.Intro = st.Refusal(models.Money{Minor: 1, Currency: st.Currency})
	}
	for _, ps := range st.Periods {
		row := views.LimitRow{Period: string(ps.Period), Label: limitLabels[ps.Period], Limit: "None",
			Used: ps.Used.Display(), Required: pol.RequireOne || slices.Contains(pol.Required, ps.Period)}
		if ps.Own {
			row.Value = ps.Limit.String()
		}
		if ps.Limit.Positive() {
			row.Limit = ps.Limit.Display()
			if !ps.Own {
				row.Limit += " (default)"
			}
			row.Left = models.Money{Minor: max(ps.Left.Minor, 0), Currency: st.Currency}.Display()
			if !pol.Rolling {
				row.Until = pol.FormatTime(ps.End)
			}
		}
		if p := ps.Pending; p != nil {
			row.Value = ""
			if p.AmountMinor > 0 {
				row.Value = p.Amount().String()
			}
			row.Pending = limitText(p.Amount()) + " from " + pol.FormatTime(p.EffectiveAt)
		}
		if typed != nil {
			row.Value = typed[ps.Period]
		}
		page.Rows = append(page.Rows, row)
	}
	for _, h := range st.History {
		page.History = append(page.History, views.LimitChangeRow{Asked: pol.FormatTime(h.RequestedAt), Label: limitLabels[h.Period],
			From: limitText(models.Money{Minor: h.PreviousMinor, Currency: h.Currency}), To: limitText(h.Amount()),
			Effective: pol.FormatTime(h.EffectiveAt), Waiting: h.Pending(st.At)})
	}
	return page
}

// limitText is a limit for people: "500,00 SEK", or "None" for 0.
func limitText(m models.Money) string {
	if !m.Positive() {
		return "None"
	}
	return m.Display()
}

// limitRules says the market's policy in a sentence or two.
func limitRules(p limits.Policy) string {
	var b strings.Builder
	if p.Rolling {
		b.WriteString("Your limits count the last 24 hours, 7 days and 30 days. ")
	} else {
		fmt.Fprintf(&b, "Your limits count calendar days, weeks from Monday and months, in %s time. ", p.Zone)
	}
	if p.Net {
		b.WriteString("Payouts are taken off your deposits (net deposits). ")
	}
	fmt.Fprintf(&b, "Lowering a limit applies at once; raising or removing one applies after %s", raiseDelay(p.RaiseDelay))
	if p.RaiseAfterPeriod {
		b.WriteString(", and not before the period running then has ended")
	}
	b.WriteString(".")
	return b.String()
}

// raiseDelay is a raise delay for people: "72 hours", "7 days".
func raiseDelay(d time.Duration) string {
	switch h := int64(d / time.Hour); {
	case d == 0:
		return "no delay"
	case h%24 == 0 && h >= 120:
		return fmt.Sprintf("%d days", h/24)
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", h)
	}
	return d.String()
}
