package handlers

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

const approvalsPath = "/admin/approvals"

// approvePath and denyPath are where a payout's approve and deny forms are sent.
func approvePath(id int64) string {
	return approvalsPath + "/" + strconv.FormatInt(id, 10) + "/approve"
}
func denyPath(id int64) string { return approvalsPath + "/" + strconv.FormatInt(id, 10) + "/deny" }

// approvalsPage is the queue of payouts waiting for staff, oldest first, its times
// in the member's zone (staffZone), as on every back-office page. After a
// re-authentication the approve form the member sent comes back once with its
// reason (approvePayout keeps it in the session).
func approvalsPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, zone := currentStaff(c), staffZone(c)
		kept, err := takeKeptForm(c, func(action string) bool { return strings.HasPrefix(action, approvalsPath+"/") })
		if err != nil {
			return err
		}
		queue, err := svc.ApprovalQueue(c.UserContext(), m)
		if err != nil {
			return err
		}
		page := views.AdminApprovalsPage{AdminChrome: adminChrome(c), Zone: zone.String(),
			CanDecide: staff.Can(m.Role, staff.ActionDecidePayout)}
		if !page.CanDecide {
			page.CannotDecide = (&roleRefused{role: m.Role, action: staff.ActionDecidePayout}).message()
		}
		for _, a := range queue {
			o := a.Order
			row := views.ApprovalRow{OrderID: strconv.FormatInt(o.ID, 10), Amount: o.Amount.Display(), Window: windowText(o),
				Player:    fmt.Sprintf("%s <%s> (#%d)", a.Player.Name(), a.Player.Email, a.Player.ID),
				Requested: timeIn(o.CreatedAt, zone), Account: a.Account.Label(), TwoPerson: a.TwoPerson, Blocked: a.Player.Blocked}
			if kept.Action == approvePath(o.ID) {
				row.ApproveReason = kept.Values["reason"]
			}
			row.FirstApproval = firstApproval(a.Approvers)
			if a.Refusal != nil {
				row.CannotApprove = a.Refusal.Message
				row.BelowZero, row.BelowZeroWhy = belowZero(a.BelowZero)
			}
			if a.DenyRefusal != nil {
				row.CannotDeny = a.DenyRefusal.Message
			}
			for _, h := range a.History {
				past := views.ApprovalHistory{Date: timeIn(h.CreatedAt, zone), Kind: orderKindLabel(h), KindCode: string(h.Kind),
					Amount: amountText(h), State: orderStatusLabel(h), StateCode: string(h.Status)}
				if m, ok := h.Credited(); ok && m != h.Amount {
					past.Credited = m.Display()
				}
				row.History = append(row.History, past)
			}
			page.Rows = append(page.Rows, row)
		}
		return render(c, views.AdminApprovals(page))
	}
}

// windowText is the sum a payout's approval was decided on (models.Order.Window),
// for staff, when the player's other payouts of the 24 hours before it counted in
// it; "" when its amount was all there was, and for other kinds.
func windowText(o models.Order) string {
	if o.Kind != models.OrderPayout || o.WindowMinor <= o.Amount.Minor {
		return ""
	}
	return o.Window().Display()
}

// firstApproval says who approved a payout that needs two approvals so far:
// ": approved once, by ops@example.com", or "". Whether the member looking may
// approve it is the service's to say (cashier.Approval.Refusal).
func firstApproval(approvers []staff.Member) (text string) {
	for _, by := range approvers {
		text = ": approved once, by " + by.Email
	}
	return text
}

// approvePayout approves a payout. One that needs two approvals needs a recent
// re-authentication first (requireRecentAuth): without one the member confirms
// their password and comes back to the page they approved from (decisionBack),
// the form with the reason they sent, to send it again. The first approval leaves
// it waiting for a second staff member.
func approvePayout(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, id := currentStaff(c), paramID(c)
		p, err := svc.PayoutForStaff(c.UserContext(), m, id)
		if err != nil {
			return adminOrderErr(err)
		}
		if svc.NeedsTwoApprovals(p.Order) {
			if err := requireRecentAuth(c, decisionBack(c, id), sentForm(c, approvePath(id), "reason")); err != nil {
				return err
			}
		}
		order, err := svc.ApprovePayout(c.UserContext(), m, id, c.FormValue("reason"))
		if err != nil {
			return decidedOrMoot(c, svc, id, err, "approval")
		}
		msg := fmt.Sprintf("Payout %d approved and sent.", id)
		switch {
		case order.Status == models.OrderAwaitingApproval:
			msg = fmt.Sprintf("Your approval of payout %d is recorded; a second staff member must approve it.", id)
		case order.DecidedBy != m.ID:
			// Approved by someone else before this form came: ApprovePayout changed
			// nothing and sent nothing.
			return mootDecision(c, svc, order, "approval")
		case order.Status == models.OrderSending || order.Status == models.OrderChecking:
			// AccountPayout got no answer: ResumePayouts asks again with its MessageID.
			msg = fmt.Sprintf("Payout %d approved; Trustly's answer did not come, so it is being checked; it is never sent twice.", id)
		}
		return decided(c, id, nil, msg)
	}
}

// denyPayout denies a payout with a reason; its money goes back to the wallet.
func denyPayout(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, id, reason := currentStaff(c), paramID(c), strings.TrimSpace(c.FormValue("reason"))
		if reason == "" {
			return decided(c, id, models.Problemf("reason", "Say why the payout is denied."), "")
		}
		order, err := svc.DenyPayout(c.UserContext(), m, id, reason)
		switch {
		case err != nil:
			return decidedOrMoot(c, svc, id, err, "denial")
		case order.DecidedBy != m.ID:
			// Denied by someone else before this form came: DenyPayout changed
			// nothing, and this reason is not the one kept.
			return mootDecision(c, svc, order, "denial")
		}
		return decided(c, id, nil, fmt.Sprintf("Payout %d denied; the money is back in the player's balance.", id))
	}
}

// decidedOrMoot answers a decision (what: "approval", "denial") on payout id
// that failed with err. A payout still waiting was refused this member (the
// player was blocked since the page was read, the payout is to their own
// account, …): the page the form came from says why and shows back the reason
// typed (refused), which nothing records, or, when none was, as decided does; the
// member's own first of two approvals sent again is recorded already and goes
// back as decided does. A payout this member's approval sent, which Trustly
// refused, is said so. One that no longer waits otherwise (another member decided
// it, or the player cancelled it, since the member's page was read) is answered
// by mootDecision.
func decidedOrMoot(c *fiber.Ctx, svc *cashier.Service, id int64, err error, what string) error {
	problem := asProblem(err)
	if problem == nil {
		return decided(c, id, err, "")
	}
	m := currentStaff(c)
	p, rerr := svc.PayoutForStaff(c.UserContext(), m, id)
	if rerr != nil {
		return adminOrderErr(rerr)
	}
	o := p.Order
	o.Refresh()
	switch {
	case o.Status == models.OrderAwaitingApproval && problem.ID == "problem.second_approver":
		return decided(c, id, err, "")
	case o.Status == models.OrderAwaitingApproval:
		return refused(c, decisionPage(c, svc, id), decisionBack(c, id), problem.Message, "Your reason, not recorded:", c.FormValue("reason"))
	case what == "approval" && o.ApprovedAt != nil && o.DecidedBy == m.ID:
		// This approval sent the payout, and Trustly refused it (sendPayout): the
		// approval and its reason are recorded, the money is back in the wallet.
		refusal := ""
		if o.Reason != "" {
			refusal = " (" + o.Reason + ")"
		}
		return decided(c, id, nil, fmt.Sprintf("Payout %d approved, but Trustly refused it%s: it failed, and the money is back in the player's balance.", id, refusal))
	}
	return mootDecision(c, svc, o, what)
}

// decisionPage is the handler of the page a decision on payout id came from
// (decisionBack): its order page or the approvals queue.
func decisionPage(c *fiber.Ctx, svc *cashier.Service, id int64) fiber.Handler {
	if decisionBack(c, id) == orderPath(id) {
		return orderPage(svc)
	}
	return approvalsPage(svc)
}

// mootDecision answers a decision (what: "approval", "denial") on payout o that
// another member's decision, or the player's cancel, made moot: the page the form
// came from says who decided it and shows back the reason typed (moot), which
// nothing records: "Payout 5 was denied already, by first@example.com; your
// approval changed nothing."
func mootDecision(c *fiber.Ctx, svc *cashier.Service, o models.Order, what string) error {
	var done string
	switch {
	case o.DeniedAt != nil || o.ApprovedAt != nil:
		by, err := svc.StaffMember(c.UserContext(), o.DecidedBy)
		if err != nil {
			return err
		}
		verb := "approved"
		if o.DeniedAt != nil {
			verb = "denied"
		}
		done = fmt.Sprintf("was %s already, by %s", verb, by.Email)
	case o.CancelledAt != nil:
		done = "was cancelled by the player"
	default:
		done = "is no longer waiting for approval: " + statusLabel(o.Status)
	}
	return moot(c, decisionPage(c, svc, o.ID), fmt.Sprintf("Payout %d %s; your %s changed nothing.", o.ID, done, what),
		"Your reason, not recorded:", c.FormValue("reason"))
}

// decisionBack is the page a decision on payout id goes back to: its order page
// when the form came from there (the field "back" is exactly that page's path),
// else the approvals queue. Nothing else is read from "back", so it can send no
// one to another site or page.
func decisionBack(c *fiber.Ctx, id int64) string {
	if c.FormValue("back") == orderPath(id) {
		return orderPath(id)
	}
	return approvalsPath
}

// decided goes back where the decision on payout id came from (decisionBack)
// with msg, or with the problem's sentence.
func decided(c *fiber.Ctx, id int64, err error, msg string) error {
	if problem := asProblem(err); problem != nil {
		msg = problem.Message
	} else if err != nil {
		return adminOrderErr(err)
	}
	if err := setFlash(c, msg); err != nil {
		return err
	}
	return c.Redirect(decisionBack(c, id), fiber.StatusSeeOther)
}

// adminOrderErr turns an unknown order into a 404.
func adminOrderErr(err error) error {
	if errors.Is(err, cashier.ErrOrderNotFound) {
		return errNotFound
	}
	return err
}

// paramID is the :id path parameter, or 0 (which matches nothing) when it is not a
// positive number written canonically (pathID).
func paramID(c *fiber.Ctx) int64 {
	if id, ok := pathID(c.Params("id")); ok {
		return id
	}
	return 0
}

// pathID reads an id of a path: a positive number in digits, without a sign or a
// leading zero, so that one page has one address (/payouts/04 and /payouts/+4 are
// no pages, where strconv.ParseInt read both as /payouts/4).
func pathID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0 && strconv.FormatInt(id, 10) == s
}

// belowZero is the order that took a player's balance below zero
// (cashier.PlayerProfile.BelowZero), for staff: its id and what it did; "", ""
// for none.
func belowZero(o *models.Order) (id, why string) {
	switch {
	case o == nil:
		return "", ""
	case o.Kind == models.OrderPayout:
		why = "a payout the bank paid after it had been cancelled, its money taken back"
	default:
		why = "a deposit the bank returned"
	}
	return strconv.FormatInt(o.ID, 10), why
}
