package handlers

import (
	"net/url"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
)

// historyPage lists the player's orders and the movements of their wallet, newest
// first, each movement with the balance right after it.
func historyPage(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h, err := svc.History(c.UserContext(), currentPlayer(c))
		if err != nil {
			return err
		}
		page, now := views.HistoryPage{Chrome: chrome(c), Balance: h.Wallet.Display()}, svc.Now()
		for _, o := range h.Orders {
			row := views.OrderRow{MessageID: o.MessageID, Date: dateText(o.CreatedAt), Kind: kindText(o.Kind),
				Amount: o.Amount.Display(), Status: statusText(o, now), Phase: phase(o, now), Flags: flagTexts(o)}
			if o.Kind == models.OrderDeposit {
				row.Link = resultURL(o)
				if o.Status == models.OrderStarted && !abandoned(o, now) {
					row.Link = "/deposit/checkout?order=" + url.QueryEscape(o.MessageID)
				}
			}
			if o.Kind == models.OrderPayout {
				row.Link = payoutURL(o.ID)
			}
			if o.Kind == models.OrderSelectAccount {
				row.Amount = "" // choosing an account moves no money
			}
			page.Orders = append(page.Orders, row)
		}
		for _, m := range h.Movements {
			money := models.Money{Minor: m.Minor, Currency: m.Currency}
			sign := ""
			if m.Minor > 0 {
				sign = "+"
			}
			page.Movements = append(page.Movements, views.MovementRow{Date: dateText(m.CreatedAt), Memo: m.Memo,
				Amount: sign + money.Display(), Balance: m.After.Display(), Credit: m.Minor > 0})
		}
		return render(c, views.History(page))
	}
}

// dateText is a time for the history: "2026-01-20 14:42 UTC".
func dateText(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// clockText is a time of day for the payout pages: "14:42 UTC".
func clockText(t time.Time) string { return t.UTC().Format("15:04 UTC") }

// kindText names an order's kind for players.
func kindText(k models.OrderKind) string {
	switch k {
	case models.OrderDeposit:
		return "Deposit"
	case models.OrderPayout:
		return "Withdrawal"
	case models.OrderSelectAccount:
		return "Bank account"
	case models.OrderRefund:
		return "Refund"
	}
	return string(k)
}

// statusWords is every deposit and account-selection status in the player's
// words: with statusText, the one place that says how a status reads. The result
// pages, their JSON and the history all use it.
var statusWords = map[models.OrderKind]map[models.OrderStatus]string{
	models.OrderDeposit: {
		models.OrderCreated:   "Starting",
		models.OrderStarted:   "Waiting for the bank",
		models.OrderPending:   "Processing",
		models.OrderCredited:  "In your balance",
		models.OrderFailed:    "Cancelled — nothing was charged",
		models.OrderDebited:   "Returned by your bank",
		models.OrderAbandoned: "Not completed — nothing was charged",
	},
	models.OrderSelectAccount: {
		models.OrderCreated: "Starting",
		models.OrderStarted: "Waiting for the bank",
		models.OrderPending: "Processing",
		models.OrderFailed:  "Cancelled",
	},
}

// Sentences for a checkout that ended without a word from Trustly: the player came
// back through FailURL, or the checkout page has expired.
const (
	msgNotCompleted = "Not completed — nothing was charged"
	msgExpired      = "Not completed — the bank page has closed and nothing was charged"
)

// checkoutLife is how long Trustly's checkout URL can be used (10–30 minutes,
// API.md §4.1), after which the janitor marks a silent deposit abandoned:
// until it comes by, a deposit still waiting for its checkout after this long
// reads as abandoned too, whether or not a cancel ever comes.
const checkoutLife = cashier.CheckoutExpiry

// abandoned reports whether order's checkout was abandoned: the janitor said so
// (models.OrderAbandoned), or the order is still waiting for its checkout after
// the checkout can no longer be used, before the janitor came by.
func abandoned(order models.Order, now time.Time) bool {
	waiting := order.Status == models.OrderCreated || order.Status == models.OrderStarted
	return !order.MovesOut() && (order.Status == models.OrderAbandoned || (waiting && now.Sub(order.CreatedAt) > checkoutLife))
}

// statusText is order's status in the player's words; a payout's (and a
// refund's, which moves money the same way) comes from cashier.PayoutStateText,
// which also reads the bank's transfer state. A checkout abandoned reads as not
// completed rather than waiting for ever.
func statusText(order models.Order, now time.Time) string {
	if order.MovesOut() {
		return cashier.PayoutStateText(order)
	}
	if abandoned(order, now) {
		return msgExpired
	}
	if s, ok := statusWords[order.Kind][order.Status]; ok {
		return s
	}
	return string(order.Status)
}

// phase groups order's status into the explanations its result page shows; an
// abandoned checkout is over, as a cancelled one is.
func phase(order models.Order, now time.Time) string {
	if abandoned(order, now) {
		return views.PhaseFailed
	}
	switch order.Status {
	case models.OrderCredited:
		return views.PhaseCredited
	case models.OrderDebited:
		return views.PhaseReturned
	case models.OrderFailed:
		return views.PhaseFailed
	}
	return views.PhaseWaiting
}

// flagWords says the flags players may see in plain words; any other flag reads
// as flagReview.
var flagWords = map[string]string{
	models.FlagCancelAfterCredit: "Trustly reported a cancellation after the money arrived; the deposit stands.",
	models.FlagDebitNoCredit:     "Your bank took back money that had not reached your balance; our team is checking it.",
}

const flagReview = "Our team is checking this order; you do not need to do anything."

// flagTexts lists order's flags in plain words, each sentence once.
func flagTexts(order models.Order) []string {
	seen := map[string]bool{}
	for f := range order.Flags() {
		text, ok := flagWords[f]
		if !ok {
			text = flagReview
		}
		seen[text] = true
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
