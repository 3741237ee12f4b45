package handlers

import (
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// callsPageSize is how many calls to Trustly a page of /admin/api-calls lists.
const callsPageSize = 50

// callOutcomeLabels name each cashier.CallOutcome in the filter.
var callOutcomeLabels = map[cashier.CallOutcome]string{
	cashier.CallAnswered:  "OK",
	cashier.CallRefused:   "Trustly error",
	cashier.CallTransport: "Transport error (no code of Trustly's)",
}

// callsPage lists the calls made to Trustly, about an order or not, newest
// first, filtered and paged as the audit page is.
func callsPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		in := views.CallsFilter{Method: c.Query("method"), Outcome: c.Query("outcome"), Code: c.Query("code"),
			Player: c.Query("player"), Order: c.Query("order"), From: c.Query("from"), To: c.Query("to")}
		zone := staffZone(c)
		page := views.AdminCallsPage{AdminChrome: adminChrome(c), Filter: in, Zone: zone.String(), Methods: cashier.APICallMethods}
		for _, o := range cashier.CallOutcomes {
			page.Outcomes = append(page.Outcomes, views.Choice{Value: string(o), Label: callOutcomeLabels[o]})
		}
		f, err := callsFilter(in, c.Query("before"), zone)
		if err != nil {
			page.Problem = err.Error()
			c.Status(fiber.StatusUnprocessableEntity)
			return render(c, views.AdminCalls(page))
		}
		f.Limit = callsPageSize + 1
		calls, err := svc.APICallsList(c.UserContext(), currentStaff(c), f)
		if err != nil {
			return err
		}
		if len(calls) > callsPageSize {
			calls = calls[:callsPageSize]
			q := url.Values{}
			for k, v := range map[string]string{"method": in.Method, "outcome": in.Outcome, "code": in.Code,
				"player": in.Player, "order": in.Order, "from": in.From, "to": in.To} {
				if v != "" {
					q.Set(k, v)
				}
			}
			q.Set("before", strconv.FormatInt(calls[len(calls)-1].ID, 10))
			page.Next = "/admin/api-calls?" + q.Encode()
		}
		for _, call := range calls {
			row := views.CallRow{At: timeIn(call.At, zone), Method: call.Method, Request: call.Request, Response: call.Response,
				Error: call.Error, Latency: strconv.FormatInt(call.LatencyMS, 10) + " ms"}
			outcome := cashier.OutcomeOf(call)
			row.OutcomeCode = string(outcome)
			switch outcome {
			case cashier.CallAnswered:
				row.Outcome = "OK"
			case cashier.CallRefused:
				row.Outcome = "Trustly error " + strconv.Itoa(call.ErrorCode)
			default:
				row.Outcome = "Transport error"
			}
			if call.OrderID != 0 {
				row.Order, row.OrderURL = strconv.FormatInt(call.OrderID, 10), orderPath(call.OrderID)
			}
			if call.PlayerID != 0 {
				row.Player, row.PlayerURL = strconv.FormatInt(call.PlayerID, 10), playerPath(call.PlayerID)
			}
			page.Rows = append(page.Rows, row)
		}
		return render(c, views.AdminCalls(page))
	}
}

// callsFilter reads the calls filter form strictly: the method one of
// cashier.APICallMethods, the outcome one of cashier.CallOutcomes (a code of
// Trustly's means a Trustly error), ids and the code positive numbers, dates
// YYYY-MM-DD in zone (To includes its whole day).
func callsFilter(in views.CallsFilter, before string, zone *time.Location) (cashier.APICallFilter, error) {
	var f cashier.APICallFilter
	var code int64
	for _, id := range []struct {
		text string
		to   *int64
		name string
	}{{in.Player, &f.PlayerID, "player"}, {in.Order, &f.OrderID, "order"}, {in.Code, &code, "Trustly error code"},
		{before, &f.BeforeID, "page"}} {
		if id.text == "" {
			continue
		}
		n, err := strconv.ParseInt(id.text, 10, 64)
		if err != nil || n <= 0 || (id.to == &code && n > 1<<31-1) {
			return f, models.Problemf("", "Enter the "+id.name+" as a number such as 42.")
		}
		*id.to = n
	}
	if in.Method != "" {
		known := false
		for _, m := range cashier.APICallMethods {
			known = known || m == in.Method
		}
		if !known {
			return f, models.Problemf("", "Choose a method from the list.")
		}
		f.Method = in.Method
	}
	if in.Outcome != "" {
		f.Outcome = cashier.CallOutcome(in.Outcome)
		if _, known := callOutcomeLabels[f.Outcome]; !known {
			return f, models.Problemf("", "Choose an outcome from the list.")
		}
	}
	if code != 0 {
		if f.Outcome != "" && f.Outcome != cashier.CallRefused {
			return f, models.Problemf("", "A Trustly error code goes with the outcome Trustly error, or with any.")
		}
		f.Outcome, f.ErrorCode = cashier.CallRefused, int(code)
	}
	for _, d := range []struct {
		text string
		to   *time.Time
		add  int
	}{{in.From, &f.From, 0}, {in.To, &f.To, 1}} {
		if d.text == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.text, zone)
		if err != nil {
			return f, models.Problemf("", "Enter dates as YYYY-MM-DD.")
		}
		*d.to = t.AddDate(0, 0, d.add)
	}
	return f, nil
}
