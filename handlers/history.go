package handlers

import (
	"net/url"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/lang"
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
		l := loc(c)
		page := views.HistoryPage{Chrome: chrome(c), Balance: l.Money(h.Wallet)}
		for _, o := range h.Orders {
			abandoned := svc.CheckoutAbandoned(o)
			row := views.OrderRow{MessageID: o.MessageID, Date: l.Time(o.CreatedAt), Kind: l.T("kind." + string(o.Kind)),
				Amount: l.Money(o.Amount), Status: statusText(c, o, abandoned), Phase: phase(o, abandoned), Flags: flagTexts(c, o)}
			if o.Kind == models.OrderDeposit {
				row.Amount = l.Money(o.Brings())
				row.Link = resultURL(o)
				if o.Status == models.OrderStarted && !abandoned {
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
			amount := models.Money{Minor: m.Minor, Currency: m.Currency}
			page.Movements = append(page.Movements, views.MovementRow{Date: l.Time(m.CreatedAt), Memo: memoText(l, m.Memo),
				Amount: l.Signed(amount), Balance: l.Money(m.After), Credit: m.Minor > 0})
		}
		return render(c, views.History(page))
	}
}

// dateText is a time for the back office: "2026-01-20 14:42 UTC". Players read
// times in their language and zone (lang.Localizer.Time).
func dateText(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// memoIDs are the message ids of the ledger's memos (cashier books them in
// English); a memo not listed is shown as it is.
var memoIDs = map[string]string{
	"Deposit via Trustly":          "memo.deposit",
	"Deposit returned by the bank": "memo.deposit_returned",
	"Deposit returned by the bank: the part above its credit given back": "memo.deposit_returned_excess",
	"Payout reserved":                       "memo.payout_reserved",
	"Payout via Trustly":                    "memo.payout",
	"Payout not sent: back to your balance": "memo.payout_released",
	"Payout returned by the bank":           "memo.payout_returned",
	"Payout paid by the bank after all: taken back from your balance": "memo.payout_retaken",
	"Refund of a deposit reserved":                                    "memo.refund_reserved",
	"Refund via Trustly":                                              "memo.refund",
	"Refund not sent: back to your balance":                           "memo.refund_released",
	"Refund returned by the bank":                                     "memo.refund_returned",
	"Refund paid by the bank after all: taken back from your balance": "memo.refund_retaken",
}

// memoText is a ledger memo in the player's language.
func memoText(l *lang.Localizer, memo string) string {
	if id, ok := memoIDs[memo]; ok {
		return l.T(id)
	}
	return memo
}

// statusWords is the message id of every deposit and account-selection status in
// the player's words: with statusText, the one place that says how a status
// reads. The result pages, their JSON and the history all use it.
var statusWords = map[models.OrderKind]map[models.OrderStatus]string{
	models.OrderDeposit: {
		models.OrderCreated:   "status.starting",
		models.OrderStarted:   "status.waiting_bank",
		models.OrderPending:   "status.processing",
		models.OrderCredited:  "status.credited",
		models.OrderFailed:    "status.deposit_failed",
		models.OrderDebited:   "status.debited",
		models.OrderAbandoned: "status.abandoned",
		// Refused by the kyc, yet the payer's bank sent the money: held, to be
		// returned to it, never in the balance.
		models.OrderRefusedHeld: "status.refused_held",
		// Its money returned to the payer since (staff sent it back).
		models.OrderRefusedReturned: "status.refused_returned",
	},
	models.OrderSelectAccount: {
		models.OrderCreated: "status.starting",
		models.OrderStarted: "status.waiting_bank",
		models.OrderPending: "status.processing",
		models.OrderFailed:  "status.cancelled",
		// The result page's words: the account is among the player's bank accounts.
		models.OrderAccountAdded: "accounts.state.added",
	},
}

// payoutWords is the message id of each of cashier.PayoutStateText's sentences.
var payoutWords = map[string]string{
	cashier.PayoutTextAwaitingApproval: "payout.state.awaiting_approval",
	cashier.PayoutTextSending:          "payout.state.sending",
	cashier.PayoutTextChecking:         "payout.state.checking",
	cashier.PayoutTextOnItsWay:         "payout.state.on_its_way",
	cashier.PayoutTextPaid:             "payout.state.paid",
	cashier.PayoutTextBankFailed:       "payout.state.bank_failed",
	cashier.PayoutTextReturned:         "payout.state.returned",
	cashier.PayoutTextRefused:          "payout.state.refused",
	cashier.PayoutTextNotSent:          "payout.state.not_sent",
	cashier.PayoutTextDenied:           "payout.state.denied",
	cashier.PayoutTextCancelled:        "payout.state.cancelled",
}

// statusText is order's status in the player's words; a payout's (and a
// refund's, which moves money the same way) comes from cashier.PayoutStateText,
// which also reads the bank's transfer state. A checkout abandoned
// (cashier.Service.CheckoutAbandoned: the janitor said so, or its checkout's life
// is over before the janitor came by) reads as not completed rather than waiting
// for ever, whether or not a cancel ever comes.
func statusText(c *fiber.Ctx, order models.Order, abandoned bool) string {
	if order.MovesOut() {
		return payoutStateText(c, order)
	}
	if abandoned {
		return tr(c, "deposit.status.expired")
	}
	if id, ok := statusWords[order.Kind][order.Status]; ok {
		return tr(c, id)
	}
	return string(order.Status)
}

// payoutStateText is cashier.PayoutStateText in the player's language.
func payoutStateText(c *fiber.Ctx, order models.Order) string {
	s := cashier.PayoutStateText(order)
	if id, ok := payoutWords[s]; ok {
		return tr(c, id)
	}
	return s
}

// phase groups order's status into the explanations its result page shows; an
// abandoned checkout (cashier.Service.CheckoutAbandoned) is over, as a cancelled
// one is.
func phase(order models.Order, abandoned bool) string {
	if abandoned {
		return views.PhaseFailed
	}
	switch order.Status {
	case models.OrderCredited, models.OrderAccountAdded:
		return views.PhaseCredited
	case models.OrderDebited:
		return views.PhaseReturned
	case models.OrderFailed:
		return views.PhaseFailed
	case models.OrderRefusedHeld, models.OrderRefusedReturned:
		return views.PhaseHeld
	}
	return views.PhaseWaiting
}

// flagWords is the message id of the flags players may see in plain words; any
// other flag reads as flagReview.
var flagWords = map[string]string{
	models.FlagCancelAfterCredit: "flag.cancel_after_credit",
	models.FlagDebitNoCredit:     "flag.debit_no_credit",
	models.FlagDebitHeld:         "flag.debit_no_credit",
	models.FlagDebitCancelled:    "flag.debit_no_credit",
}

const flagReview = "flag.review"

// flagTexts lists order's flags in plain words, each sentence once.
func flagTexts(c *fiber.Ctx, order models.Order) []string {
	seen := map[string]bool{}
	for f := range order.Flags() {
		id, ok := flagWords[f]
		if !ok {
			id = flagReview
		}
		seen[tr(c, id)] = true
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
