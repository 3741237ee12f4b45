package handlers

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/reconcile"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// refundPath is the refund form of deposit id.
func refundPath(id int64) string { return "/admin/orders/" + strconv.FormatInt(id, 10) + "/refund" }

// refundPage shows a deposit's refund form. After a re-authentication the form
// comes back once with what was sent (refundDeposit keeps it in the session),
// while its token has made no refund; otherwise the form is new and empty.
func refundPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := paramID(c)
		kept, err := takeKeptForm(c, func(action string) bool { return action == refundPath(id) })
		if err != nil {
			return err
		}
		token := kept.Values["token"]
		f, err := svc.RefundFormFor(c.UserContext(), currentStaff(c), id, token)
		if err != nil {
			return adminOrderErr(err)
		}
		if f.Token != token {
			return renderRefund(c, f, "", "", "", fiber.StatusOK)
		}
		return renderRefund(c, f, kept.Values["amount"], kept.Values["reason"], "", fiber.StatusOK)
	}
}

// renderRefund renders the refund form f of the :id deposit with what was typed
// and a problem, if any; its refunds' times are in the member's zone, as on the
// deposit's order page.
func renderRefund(c *fiber.Ctx, f cashier.RefundForm, amount, reason, problem string, status int) error {
	zone := staffZone(c)
	p := views.AdminRefundPage{AdminChrome: adminChrome(c), Zone: zone.String(), OrderID: strconv.FormatInt(f.Deposit.ID, 10),
		Player: "#" + strconv.FormatInt(f.Deposit.PlayerID, 10), Deposited: f.Deposit.Amount.Display(),
		State: statusLabel(f.Deposit.Status), StateCode: string(f.Deposit.Status), Refundable: f.Refundable.Display(),
		CanRefund: f.Refundable.Positive() && f.Refused == "", Refused: f.Refused, Amount: amount, Reason: reason, Problem: problem, Token: f.Token,
		RefundedInFull: f.Deposit.Status == models.OrderCredited && !f.Refundable.Positive() && len(f.Refunds) > 0}
	if m, ok := f.Deposit.Credited(); ok && m != f.Deposit.Amount {
		p.Credited = m.Display()
	}
	if !f.Unlimited {
		p.Limit = "Operators may refund up to " + f.OperatorMax.Display() + " of a deposit in all; " +
			f.OperatorLeft.Display() + " more of this one."
	}
	for _, r := range f.Refunds {
		p.Refunds = append(p.Refunds, views.RefundRow{ID: strconv.FormatInt(r.ID, 10), Date: timeIn(r.CreatedAt, zone),
			Amount: r.Amount.Display(), State: orderStatusLabel(r), StateCode: string(r.Status), Flag: r.Flag,
			By: f.RefundedBy[r.ID]})
	}
	c.Status(status)
	return render(c, views.AdminRefund(p))
}

// refundDeposit refunds part or all of the :id deposit, after a recent
// re-authentication (requireRecentAuth), and comes back to the form. Without one
// the member confirms their password first and comes back to the form as they
// sent it, token and all (kept in the session, never in the URL), to send it again.
func refundDeposit(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, id := currentStaff(c), paramID(c)
		raw, reason, token := c.FormValue("amount"), c.FormValue("reason"), c.FormValue("token")
		if err := requireRecentAuth(c, refundPath(id), sentForm(c, refundPath(id), "amount", "reason", "token")); err != nil {
			return err
		}
		f, err := svc.RefundFormFor(c.UserContext(), m, id, token)
		if err != nil {
			return adminOrderErr(err)
		}
		amount, err := models.ParseMoney(raw, f.Deposit.Amount.Currency)
		if err != nil {
			return renderRefund(c, f, raw, reason, "Enter an amount such as 100 or 99.50.", fiber.StatusUnprocessableEntity)
		}
		// The form's token makes the refund once, however often the form is sent.
		refund, err := svc.RefundDepositOnce(c.UserContext(), m, id, token, amount, reason)
		if problem := asProblem(err); problem != nil {
			// Shown again with the token while it made no refund (Trustly refused
			// one it made: that refund is released, and the form gets a new token).
			if f, err = svc.RefundFormFor(c.UserContext(), m, id, token); err != nil {
				return adminOrderErr(err)
			}
			return renderRefund(c, f, raw, reason, problem.Message, fiber.StatusUnprocessableEntity)
		} else if err != nil {
			return adminOrderErr(err)
		}
		msg := fmt.Sprintf("Refund %d of %s sent to Trustly.", refund.ID, refund.Amount.Display())
		if refund.SentAt == nil {
			msg = fmt.Sprintf("Refund %d of %s is reserved; Trustly's answer did not come, so it is being checked.", refund.ID, refund.Amount.Display())
		}
		if err := setFlash(c, msg); err != nil {
			return err
		}
		return c.Redirect(refundPath(id), fiber.StatusSeeOther)
	}
}

// returnPath is where deposit id's order page sends its return of held money.
func returnPath(id int64) string { return orderPath(id) + "/return" }

// returnHeld returns the :id refused-held deposit's held credit to the payer,
// after a recent re-authentication (requireRecentAuth; without one the member
// confirms their password and comes back to the order page with the form as
// sent, token and all), and comes back to the order page with what became of
// it. The form's token makes the return once, however often it is sent.
func returnHeld(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, id := currentStaff(c), paramID(c)
		if err := requireRecentAuth(c, orderPath(id), sentForm(c, returnPath(id), "token", "reason")); err != nil {
			return err
		}
		ret, err := svc.ReturnHeldOnce(c.UserContext(), m, id, c.FormValue("token"), c.FormValue("reason"))
		var msg string
		switch problem := asProblem(err); {
		case problem != nil && ret.ID == 0:
			// Refused before any return was made (the deposit holds nothing to
			// return, a return is open, the form is stale): nothing records the reason.
			return refused(c, orderPage(svc), orderPath(id), problem.Message, "Your reason, not recorded:", c.FormValue("reason"))
		case problem != nil:
			msg = problem.Message // Trustly refused the return made, which keeps the reason
		case err != nil:
			return adminOrderErr(err)
		case ret.SentAt == nil:
			msg = fmt.Sprintf("Return %d of %s: Trustly's answer did not come, so it is being checked; it is never sent twice.", ret.ID, ret.Amount.Display())
		default:
			msg = fmt.Sprintf("Return %d of %s to the payer sent to Trustly.", ret.ID, ret.Amount.Display())
		}
		if err := setFlash(c, msg); err != nil {
			return err
		}
		return c.Redirect(orderPath(id), fiber.StatusSeeOther)
	}
}

// chartDays is how many days the reports chart shows when no range is given.
const chartDays = 30

// reportsPage is the chart of daily deposits and payouts per currency.
func reportsPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m := currentStaff(c)
		now := storeOf(c).staff.Now().UTC()
		p := views.AdminReportsPage{AdminChrome: adminChrome(c), CanReconcile: staff.Can(m.Role, staff.ActionReconcile),
			From: c.Query("from", now.AddDate(0, 0, 1-chartDays).Format(time.DateOnly)), To: c.Query("to", now.Format(time.DateOnly))}
		from, to, err := dayRange(p.From, p.To, 366)
		if err != nil {
			p.Problem = err.Error()
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.AdminReports(p))
		}
		vols, err := svc.DailyVolumes(c.UserContext(), m, from, to)
		if err != nil {
			return err
		}
		currencies := make([]string, 0, len(vols))
		for cur := range vols {
			currencies = append(currencies, cur)
		}
		sort.Strings(currencies)
		for _, cur := range currencies {
			p.Charts = append(p.Charts, volumeChart(cur, vols[cur]))
		}
		return render(c, views.AdminReports(p))
	}
}

// Chart geometry, in SVG user units.
const (
	chartHeight = 220 // bars up to chartHeight-30, labels below
	chartDayW   = 24  // one day: two bars of 9 and a gap
	// chartLabelDays is how many days apart two labels under the bars are at
	// least: a label ("12-07", font-size 10) is about 30 wide, more than a day.
	chartLabelDays = 2
)

// volumeChart lays out one currency's days as pairs of bars scaled to the
// largest amount.
func volumeChart(currency string, days []cashier.DayVolume) views.VolumeChart {
	ch := views.VolumeChart{Currency: currency, Width: max(chartDayW*len(days), 200), Height: chartHeight}
	var top, in, out int64
	for _, d := range days {
		top = max(top, d.Deposits.Minor, d.Payouts.Minor)
		in += d.Deposits.Minor
		out += d.Payouts.Minor
	}
	ch.Top = models.Money{Minor: top, Currency: currency}.Display()
	ch.TotalDeposits = models.Money{Minor: in, Currency: currency}.Display()
	ch.TotalPayouts = models.Money{Minor: out, Currency: currency}.Display()
	base, span := int64(chartHeight-20), int64(chartHeight-30)
	for i, d := range days {
		x := i * chartDayW
		date := d.Day.Format(time.DateOnly)
		for j, bar := range []struct {
			kind, fill string
			amount     models.Money
		}{{"deposits", "#2a8a4a", d.Deposits}, {"payouts", "#2a5fa8", d.Payouts}} {
			h := int64(0)
			if top > 0 {
				h = bar.amount.Minor * span / top
			}
			if bar.amount.Minor > 0 && h == 0 {
				h = 1 // a day with money shows a bar
			}
			ch.Bars = append(ch.Bars, views.ChartBar{X: x + 2 + j*10, Y: int(base - h), W: 9, H: int(h), Fill: bar.fill,
				Kind: bar.kind, Title: date + " " + bar.kind + ": " + bar.amount.Display()})
		}
		// Every seventh day and the last, but not a seventh day too near the
		// last for both labels to fit (chartLabelDays): the last is today's.
		if last := len(days) - 1; i == last || (i%7 == 0 && last-i >= chartLabelDays) {
			ch.Labels = append(ch.Labels, views.ChartLabel{X: x + chartDayW/2, Text: d.Day.Format("01-02")})
		}
	}
	return ch
}

// reconcilePage shows our balance at Trustly and, when the form was sent, the
// reconciliation of a currency's AccountLedger for a range of days.
func reconcilePage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m := currentStaff(c)
		now := storeOf(c).staff.Now().UTC()
		p := views.AdminReconcilePage{AdminChrome: adminChrome(c), Currencies: currencies(),
			Currency: c.Query("currency", "SEK"), From: c.Query("from", now.Format(time.DateOnly)), To: c.Query("to", now.Format(time.DateOnly))}
		balances, at, err := svc.TrustlyBalance(c.UserContext(), m)
		var busy *models.Problem
		switch {
		case errors.Is(err, staff.ErrNotAllowed):
			return err
		case errors.As(err, &busy):
			p.BalanceProblem = busy.Message // another instance is asking Trustly right now, or the last call brought no answer
		case err != nil:
			p.BalanceProblem = "Trustly did not answer with our balance; try again later." // logged by the cashier
		}
		for _, b := range balances {
			shown := b.Balance + " " + b.Currency
			if m, err := models.ParseDecimal(b.Balance, b.Currency); err == nil {
				shown = m.Display()
			}
			p.Balances = append(p.Balances, views.BalanceRow{Currency: b.Currency, Balance: shown})
		}
		p.BalanceAt = dateText(at)
		if c.Query("currency") == "" {
			return render(c, views.AdminReconcile(p))
		}
		from, to, err := dayRange(p.From, p.To, 92)
		if !models.ValidCurrency(p.Currency) {
			err = errors.New("Choose a currency.")
		}
		if err != nil {
			p.Problem = err.Error()
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.AdminReconcile(p))
		}
		r, err := svc.Reconcile(c.UserContext(), m, p.Currency, from, to)
		if err != nil {
			if errors.Is(err, staff.ErrNotAllowed) {
				return err
			}
			if errors.Is(err, cashier.ErrNotRecorded) {
				p.Problem = "The reconciliation was not started: it could not be recorded in the audit, so Trustly was not asked. Try again in a moment." // logged by the cashier
				c.Status(fiber.StatusServiceUnavailable)
				return render(c, views.AdminReconcile(p))
			}
			p.Problem = "Trustly's AccountLedger could not be read; try again later." // logged by the cashier
			c.Status(fiber.StatusBadGateway)
			return render(c, views.AdminReconcile(p))
		}
		p.Ran = true
		p.Summary = fmt.Sprintf("%d entries in our ledger, %d at Trustly, %d differences.", r.Ours, r.Trustly, len(r.Mismatches))
		if len(r.Explained) > 0 {
			p.Summary += fmt.Sprintf(" %d of Trustly's entries explained.", len(r.Explained))
		}
		p.Rows, p.Explained = reconcileRows(r.Mismatches), reconcileRows(r.Explained)
		for _, e := range r.Other {
			p.Other = append(p.Other, views.ReconcileRow{Trustly: e.Amount.Display(), When: dateText(e.At), What: e.What})
		}
		return render(c, views.AdminReconcile(p))
	}
}

// reconcileRows shows the reconciliation's differences, or explained entries.
func reconcileRows(ms []reconcile.Mismatch) []views.ReconcileRow {
	var rows []views.ReconcileRow
	for _, mm := range ms {
		row := views.ReconcileRow{Kind: string(mm.Kind), Key: mm.Key, Note: mm.Note}
		for _, side := range []struct {
			e    *reconcile.Entry
			text *string
		}{{mm.Ours, &row.Ours}, {mm.Trustly, &row.Trustly}} {
			if side.e != nil {
				*side.text = side.e.Amount.Display()
				row.When, row.What = dateText(side.e.At), side.e.What
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// dayRange reads a range of UTC days from form text, to inclusive, at most
// maxDays long; it returns from and the day after to.
func dayRange(fromText, toText string, maxDays int) (from, to time.Time, err error) {
	from, err1 := time.Parse(time.DateOnly, fromText)
	last, err2 := time.Parse(time.DateOnly, toText)
	switch {
	case err1 != nil || err2 != nil:
		return from, to, errors.New("Enter the days as YYYY-MM-DD.")
	case last.Before(from):
		return from, to, errors.New("The last day must not be before the first.")
	case last.Sub(from) >= time.Duration(maxDays)*24*time.Hour:
		return from, to, fmt.Errorf("Choose at most %d days.", maxDays)
	case last.AddDate(0, 0, 1).Year() > 9999:
		// The day after it, the range's end, is in the year 10000, which no
		// YYYY-MM-DD writes: Trustly's AccountLedger would be asked for it.
		return from, to, errors.New("Choose days up to 9999-12-30.")
	}
	return from, last.AddDate(0, 0, 1), nil
}

// currencies are the wallet currencies of the markets, sorted.
func currencies() []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range models.Markets {
		if !seen[m.Currency] {
			seen[m.Currency] = true
			out = append(out, m.Currency)
		}
	}
	sort.Strings(out)
	return out
}
