package handlers

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// The order detail page, the flagged list and resolving flags.

// orderPath is an order's page in the back office.
func orderPath(id int64) string { return "/admin/orders/" + strconv.FormatInt(id, 10) }

// orderPage shows everything about one order and the actions its state allows
// this member. After a re-authentication the approve form the member sent from
// here comes back once with its reason (approvePayout keeps it in the session).
func orderPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, zone := currentStaff(c), staffZone(c)
		d, err := svc.OrderDetail(c.UserContext(), m, paramID(c))
		if err != nil {
			return adminOrderErr(err)
		}
		kept, err := takeKeptForm(c, func(action string) bool {
			return action == approvePath(d.Order.ID) || action == returnPath(d.Order.ID)
		})
		if err != nil {
			return err
		}
		o := d.Order
		page := views.AdminOrderPage{AdminChrome: adminChrome(c), ID: strconv.FormatInt(o.ID, 10), Kind: orderKindLabel(o),
			KindCode: string(o.Kind), Status: orderStatusLabel(o), StatusCode: string(o.Status), Amount: amountText(o),
			MessageID: o.MessageID, TrustlyOrderID: o.TrustlyOrderID, Window: windowText(o),
			Created: timeIn(o.CreatedAt, zone), Reason: o.Reason, Zone: zone.String(), Unresolved: d.Unresolved,
			CanDecide:  o.Status == models.OrderAwaitingApproval && staff.Can(m.Role, staff.ActionDecidePayout),
			CanResolve: d.Unresolved && staff.Can(m.Role, staff.ActionResolveFlag)}
		if refusal := cashier.ResolveRefusal(m, d.Player); page.CanResolve && refusal != nil {
			page.CanResolve, page.CannotResolve = false, refusal.Message
		}
		if o.Status == models.OrderAwaitingApproval {
			page.TwoPerson = svc.NeedsTwoApprovals(o)
			page.FirstApproval = firstApproval(d.Approvers)
			if d.Refusal != nil {
				page.CannotApprove = d.Refusal.Message
				page.BelowZero, page.BelowZeroWhy = belowZero(d.BelowZero)
			}
			if d.DenyRefusal != nil {
				page.CannotDeny = d.DenyRefusal.Message
			}
			if kept.Action == approvePath(o.ID) {
				page.ApproveReason = kept.Values["reason"]
			}
			page.Blocked = d.Player.Blocked
		}
		if o.Reason == "" && o.KYCOutcome == models.KYCFinish {
			page.Reason = kycRefusedText(o)
		}
		if booked, ok := o.Credited(); ok && booked != o.Amount {
			page.Credited = booked.Display()
		}
		if o.Kind == models.OrderDeposit && o.Status == models.OrderCredited && staff.Can(m.Role, staff.ActionRefund) {
			if refusal := cashier.RefundRefusal(m, d.Player); refusal != nil {
				page.CannotRefund = refusal.Message
			} else if !d.RefundableRead || d.Refundable.Minor > 0 {
				page.RefundURL = orderPath(o.ID) + "/refund"
			} else {
				page.RefundedInFull = true
			}
		}
		if o.Status == models.OrderRefusedHeld && staff.Can(m.Role, staff.ActionRefund) {
			var token, reason string
			if kept.Action == returnPath(o.ID) {
				token, reason = kept.Values["token"], kept.Values["reason"]
			}
			f, err := svc.HeldReturnFor(c.UserContext(), m, o.ID, token)
			if err != nil {
				return adminOrderErr(err)
			}
			switch {
			case f.Offered && f.Refused != "":
				page.CannotReturn = f.Refused
			case f.Offered:
				page.ReturnAmount, page.ReturnToken = f.Amount.Display(), f.Token
				if f.Token == token {
					page.ReturnReason = reason
				}
			}
		}
		if d.Player.ID != 0 {
			page.PlayerID = strconv.FormatInt(d.Player.ID, 10)
			page.Player = fmt.Sprintf("%s <%s> (#%d)", d.Player.Name(), d.Player.Email, d.Player.ID)
		}
		if d.Parent.ID != 0 {
			page.ParentID = strconv.FormatInt(d.Parent.ID, 10)
			// Trustly knows a refund by its deposit's orderid; the refund has none
			// of its own.
			if o.TrustlyOrderID == "" {
				page.TrustlyOrderID, page.TrustlyOrderIDOfParent = d.Parent.TrustlyOrderID, true
			}
		}
		page.RefundedTwice = refundedTwiceText(o, d.RefundedTwice)
		for _, r := range d.Refunds {
			page.Refunds = append(page.Refunds, views.RefundRow{ID: strconv.FormatInt(r.ID, 10), Date: timeIn(r.CreatedAt, zone),
				Amount: r.Amount.Display(), State: orderStatusLabel(r), StateCode: string(r.Status), Flag: r.Flag})
		}
		for f := range o.Flags() {
			page.Flags = append(page.Flags, f)
		}
		sort.Strings(page.Flags)
		for _, e := range d.Timeline {
			page.Timeline = append(page.Timeline, views.TimelineRow{Event: e.Name, At: timeIn(e.At, zone)})
		}
		for _, call := range d.Calls {
			row := views.APICallRow{At: timeIn(call.At, zone), Method: call.Method, Request: call.Request,
				Response: call.Response, Error: call.Error, Latency: strconv.FormatInt(call.LatencyMS, 10) + " ms"}
			page.Calls = append(page.Calls, row)
		}
		for _, n := range d.Notifications {
			page.Notifications = append(page.Notifications, notificationRow(n, d.Verified[n.ID], zone))
		}
		for _, n := range d.Unmatched {
			page.Unmatched = append(page.Unmatched, notificationRow(n, d.Verified[n.ID], zone))
		}
		for _, n := range d.Refused {
			page.Refused = append(page.Refused, refusedRow(n, zone))
		}
		for _, t := range d.Transfers {
			row := views.TransferRow{Reference: t.Reference, Memo: t.Memo, At: timeIn(t.CreatedAt, zone)}
			for _, e := range t.Entries {
				row.Entries = append(row.Entries, views.EntryRow{Account: string(e.Account),
					Amount: models.Money{Minor: e.Minor, Currency: t.Currency}.Display()})
			}
			page.Transfers = append(page.Transfers, row)
		}
		for _, r := range d.Resolutions {
			page.Resolutions = append(page.Resolutions, views.ResolutionRow{At: timeIn(r.At, zone), Who: r.StaffEmail,
				Flag: r.Flag, Note: r.Note})
		}
		for _, a := range d.Audit {
			page.Audit = append(page.Audit, views.AuditRow{At: timeIn(a.At, zone), Who: a.StaffEmail, Event: eventLabel(a.Event), EventCode: string(a.Event),
				Reason: a.Reason})
		}
		return render(c, views.AdminOrder(page))
	}
}

// refundedTwiceText explains to staff, on order o's page, a debited deposit's
// refunds that took part of what its debit took back again (r), or is "" when
// there are none.
func refundedTwiceText(o models.Order, r cashier.RefundedTwice) string {
	if r.Twice.Minor <= 0 {
		return ""
	}
	what := fmt.Sprintf("The bank took back %s of this deposit (a debit) after %s of it had been refunded to the payer",
		r.Debited.Display(), r.Refunded.Display())
	back := "a refund that comes back from the bank (a credit) returns its money to the balance."
	if o.Kind == models.OrderRefund {
		what = fmt.Sprintf("The bank took back %s of this refund's deposit (a debit) after it and the deposit's other refunds, %s in all, were made",
			r.Debited.Display(), r.Refunded.Display())
		back = "if this refund comes back from the bank (a credit), its money returns to the balance."
	}
	return fmt.Sprintf("%s: %s goes back to the payer twice, by a refund and by the bank's return of the deposit. "+
		"Both are booked as Trustly reported them, so the player's balance is %[2]s lower than before the deposit, "+
		"below zero unless they held other money. Settle it with the player; %[3]s", what, r.Twice.Display(), back)
}

// notificationRow is a notification for the back office.
func notificationRow(n models.Notification, verified bool, zone *time.Location) views.NotificationRow {
	row := views.NotificationRow{ID: strconv.FormatInt(n.ID, 10), NotificationID: n.NotificationID, Received: timeIn(n.ReceivedAt, zone), Method: n.Method,
		Raw: n.Raw, Verified: "does not verify", Deliveries: strconv.Itoa(n.Deliveries), Answer: n.Answer,
		Status: n.Status, Flag: n.Flag}
	if verified {
		row.Verified = "verified"
	}
	return row
}

// refusedRow words a notification refused for its data for staff.
func refusedRow(r cashier.RefusedRow, zone *time.Location) views.RefusedRow {
	row := views.RefusedRow{ID: strconv.FormatInt(r.ID, 10), First: timeIn(r.ReceivedAt, zone), Last: timeIn(r.LastDeliveryAt, zone),
		NotificationID: r.NotificationID, Method: r.Method, TrustlyOrderID: r.TrustlyOrderID, MessageID: r.MessageID,
		Deliveries: strconv.Itoa(r.Deliveries), Reason: r.Reason, Raw: r.Raw, ResolvePath: refusedResolvePath(r.ID)}
	if res := r.Resolution; res != nil {
		row.Resolved = fmt.Sprintf("%s at %s (%s), after %d deliveries: %s", res.StaffEmail, timeIn(res.At, zone), zone.String(), res.Deliveries, res.Note)
	}
	if r.OrderID != 0 {
		row.OrderID = strconv.FormatInt(r.OrderID, 10)
	}
	return row
}

const flaggedPath = "/admin/flagged"

// flaggedPage lists flagged orders, notifications for unknown orders and flagged
// limit raises that wait for a person, and the notifications refused for their
// data.
func flaggedPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, zone := currentStaff(c), staffZone(c)
		list, err := svc.FlaggedList(c.UserContext(), m)
		if err != nil {
			return err
		}
		page := views.AdminFlaggedPage{AdminChrome: adminChrome(c), Zone: zone.String(), CanResolve: staff.Can(m.Role, staff.ActionResolveFlag)}
		for _, r := range list.Orders {
			page.Orders = append(page.Orders, txRow(r, zone))
		}
		for _, n := range list.Notifications {
			page.Notifications = append(page.Notifications, notificationRow(n, true, zone))
		}
		for _, r := range list.Raises {
			row := limitChangeRow(r.Change, r.PlayerEmail, nil, svc.Now(), zone)
			if refusal := cashier.ResolveRefusal(m, models.Player{ID: r.PlayerID, Email: r.PlayerEmail}); refusal != nil {
				row.CannotResolve = refusal.Message
			}
			page.Raises = append(page.Raises, row)
		}
		for _, n := range list.Refused {
			page.Refused = append(page.Refused, refusedRow(n, zone))
		}
		shown := "the " + strconv.Itoa(cashier.FlaggedShown) + " newest"
		if list.MoreRaises {
			page.MoreRaises = shown
		}
		if list.MoreOrders {
			page.MoreOrders = shown
		}
		if list.MoreNotifications {
			page.MoreNotifications = shown
		}
		if list.MoreRefused {
			page.MoreRefused = shown
		}
		resolvedRefusedRows(&page, list, zone)
		return render(c, views.AdminFlagged(page))
	}
}

// resolvedRefusedRows words the refused notifications resolved for the Flagged
// page's own section of them.
func resolvedRefusedRows(page *views.AdminFlaggedPage, list cashier.Flagged, zone *time.Location) {
	for _, r := range list.ResolvedRefused {
		page.ResolvedRefused = append(page.ResolvedRefused, refusedRow(r, zone))
	}
	if list.MoreResolvedRefused {
		page.MoreResolvedRefused = "the " + strconv.Itoa(cashier.ResolvedRefusedShown) + " latest"
	}
}

// resolveOrder resolves an order's flags with a note and goes back to the order.
func resolveOrder(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := paramID(c)
		_, err := svc.ResolveOrderFlags(c.UserContext(), currentStaff(c), id, c.FormValue("note"))
		return resolved(c, err, orderPage(svc), orderPath(id), fmt.Sprintf("The flags of order %d are resolved.", id))
	}
}

// resolveNotification resolves a notification for an unknown order with a note.
func resolveNotification(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := paramID(c)
		_, err := svc.ResolveNotification(c.UserContext(), currentStaff(c), id, c.FormValue("note"))
		return resolved(c, err, flaggedPage(svc), flaggedPath, fmt.Sprintf("Notification %d is resolved.", id))
	}
}

// refusedResolvePath is where the form resolving refused notification id posts.
func refusedResolvePath(id int64) string {
	return "/admin/refused/" + strconv.FormatInt(id, 10) + "/resolve"
}

// resolveRefused resolves a notification refused for its data with a note and
// goes back to the flagged page.
func resolveRefused(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := paramID(c)
		_, err := svc.ResolveRefusedNotification(c.UserContext(), currentStaff(c), id, c.FormValue("note"))
		return resolved(c, err, flaggedPage(svc), flaggedPath, fmt.Sprintf("Refused notification %d is resolved.", id))
	}
}

// resolved goes back to back with msg. A resolution another member made first
// (cashier.ErrResolvedAlready) is answered by page, the handler of back, with the
// sentence saying who and the note typed shown back (moot); any other refusal (no
// flag waits any more) with its sentence and the note shown back (refused).
func resolved(c *fiber.Ctx, err error, page fiber.Handler, back, msg string) error {
	switch problem := asProblem(err); {
	case problem != nil && errors.Is(err, cashier.ErrResolvedAlready):
		return moot(c, page, problem.Message, "Your note, not recorded:", c.FormValue("note"))
	case problem != nil:
		return refused(c, page, back, problem.Message, "Your note, not recorded:", c.FormValue("note"))
	case errors.Is(err, cashier.ErrNotificationNotFound), errors.Is(err, cashier.ErrLimitChangeNotFound):
		return errNotFound
	case err != nil:
		return adminOrderErr(err)
	}
	if err := setFlash(c, msg); err != nil {
		return err
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

// kycRefusedText is why a Pay N Play order's kyc was answered FINISH, for staff:
// the rules that fired with their details ("kyc refused (FINISH): under-18: …"),
// which may name a date of birth and are never shown to players.
func kycRefusedText(o models.Order) string {
	text := "kyc refused (FINISH)"
	if o.KYCReasons != "" {
		text += ": " + strings.ReplaceAll(o.KYCReasons, "\n", "; ")
	}
	return text
}
