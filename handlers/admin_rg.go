package handlers

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// resolveLimitRaise resolves a flagged deposit-limit raise with a note and goes
// back to the flagged list.
func resolveLimitRaise(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := paramID(c)
		_, err := svc.ResolveLimitRaise(c.UserContext(), currentStaff(c), id, c.FormValue("note"))
		return resolved(c, err, flaggedPage(svc), flaggedPath, fmt.Sprintf("The limit raise %d is resolved.", id))
	}
}

// playerRG fills the responsible-gaming part of a player's back-office page.
func playerRG(page *views.AdminPlayerPage, p models.Player, rg cashier.PlayerRG, zone *time.Location) {
	if b := rg.Break; b != nil {
		page.BreakNow = b.Kind.Label() + breakUntil(*b, zone)
	}
	for _, b := range rg.Breaks {
		row := views.AdminBreakRow{Kind: b.Kind.Label(), Start: timeIn(b.StartsAt, zone), End: "never ends",
			InForce: rg.Break != nil && rg.Break.ID == b.ID}
		if b.EndsAt != nil {
			row.End = timeIn(*b.EndsAt, zone)
		}
		page.Breaks = append(page.Breaks, row)
	}
	st := rg.Limits
	for _, ps := range st.Periods {
		row := views.AdminLimitRow{Period: string(ps.Period), Limit: "none", Used: ps.Used.Display()}
		if ps.Limit.Positive() {
			row.Limit, row.Left = ps.Limit.Display(), ps.Left.Display()
			if !ps.Own {
				row.Limit += " (the market's default)"
			}
		}
		if c := ps.Pending; c != nil {
			row.Waiting = limitAmount(c.Amount()) + " from " + timeIn(c.EffectiveAt, zone)
		}
		page.Limits = append(page.Limits, row)
	}
	missing := make([]string, len(st.Missing))
	for i, m := range st.Missing {
		missing[i] = string(m)
	}
	if len(missing) > 0 {
		sep := ", "
		if st.Policy.RequireOne {
			sep = " or "
		}
		page.LimitsMissing = strings.Join(missing, sep)
	}
	for _, c := range st.History {
		var r *staff.Resolution
		if res, ok := rg.Resolutions[c.ID]; ok {
			r = &res
		}
		page.LimitChanges = append(page.LimitChanges, limitChangeRow(c, p.Email, r, st.At, zone))
	}
}

// breakUntil is " until <time> (<zone>)" for a break that ends, ", for good" for
// a permanent one.
func breakUntil(b breaks.Break, zone *time.Location) string {
	if b.EndsAt == nil {
		return ", for good"
	}
	return " until " + timeIn(*b.EndsAt, zone) + " (" + zone.String() + ")"
}

// limitChangeRow is one deposit-limit change for the back office, resolved by r
// when r is not nil; at is now, to tell a change still waiting.
func limitChangeRow(c limits.Change, email string, r *staff.Resolution, at time.Time, zone *time.Location) views.AdminLimitChangeRow {
	row := views.AdminLimitChangeRow{ID: strconv.FormatInt(c.ID, 10), PlayerID: strconv.FormatInt(c.PlayerID, 10), Player: email,
		Period: string(c.Period), Amount: limitAmount(c.Amount()),
		Previous:  limitAmount(models.Money{Minor: c.PreviousMinor, Currency: c.Currency}),
		Requested: timeIn(c.RequestedAt, zone), Effective: timeIn(c.EffectiveAt, zone), Flag: c.Flag, Pending: c.Pending(at)}
	if row.Player == "" {
		row.Player = "#" + row.PlayerID
	}
	if r != nil {
		row.Resolved = r.StaffEmail + " at " + timeIn(r.At, zone) + " (" + zone.String() + "): " + r.Note
	}
	return row
}

// limitAmount is a limit for staff: "none" for 0.
func limitAmount(m models.Money) string {
	if !m.Positive() {
		return "none"
	}
	return m.Display()
}
