package cashier

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// FailedCallsWithin is how far back the back office's home counts the calls to
// Trustly that failed.
const FailedCallsWithin = 24 * time.Hour

// BackOfficeHome is what the back office's start page tells a member at a glance:
// what waits for staff, what is overdue and how the day goes. Each figure counts
// the items a back-office list shows, read as that list reads them.
type BackOfficeHome struct {
	// MayDecide and MayResolve say whether the member's role may approve and deny
	// payouts (staff.ActionDecidePayout) and resolve flags (staff.ActionResolveFlag):
	// what waits is theirs to act on, or another member's.
	MayDecide, MayResolve bool
	// Waiting is the payouts waiting for approval, per currency (sorted).
	Waiting []CurrencyCount
	// FlaggedOrders, Unmatched and FlaggedRaises count what the flagged list
	// (FlaggedList) holds: orders whose flag no one resolved, notifications for
	// orders we do not know and flagged deposit-limit raises. Each is counted up to
	// FlaggedShown+1: more than FlaggedShown reads as "more than FlaggedShown".
	FlaggedOrders, Unmatched, FlaggedRaises int
	// Refused counts the notifications refused for their data that the flagged
	// list shows (newestRefused), up to FlaggedShown+1 as the others.
	Refused int
	// TrustlyErrors and TransportErrors count the calls to Trustly that failed
	// since FailedSince (FailedCallsWithin before now), by their outcome as the
	// calls' list filters them (CallRefused, CallTransport).
	TrustlyErrors, TransportErrors int
	FailedSince                    time.Time
	// SilentDeposits counts, per status (started, created), the deposits the
	// janitor abandons when it next comes by (silentCheckouts): no word from
	// Trustly a CheckoutExpiry after they were made, or their call unanswered a
	// ResumeAfter after. CheckoutExpiry is the service's.
	SilentDeposits map[models.OrderStatus]int
	CheckoutExpiry time.Duration
	// UnansweredPayouts counts, per status (requested, sending), the payouts whose
	// AccountPayout has no answer and whose last attempt started a ResumeAfter ago
	// or more, which ResumePayouts resends; CheckingPayouts those checking, which
	// settlePayouts looks for in Trustly's ledger. ResumeAfter is the service's.
	UnansweredPayouts map[models.OrderStatus]int
	CheckingPayouts   int
	ResumeAfter       time.Duration
	// Today is the deposits credited and the payouts sent today (the UTC day of
	// Day), per currency (sorted), as DailyVolumes sums them; currencies that moved
	// nothing today are left out.
	Today []DayVolume
	Day   time.Time // midnight UTC of today
}

// CurrencyCount is how many orders of one currency, and their sum.
type CurrencyCount struct {
	Count int
	Sum   models.Money
}

// BackOfficeHome reads the back office's home for a member who may view the
// back office, in one read transaction (readTx), so that its figures are of one
// moment. Each statement reads an index bounded by what it counts, not by the
// orders' history (TestBackOfficeHomePlans): the waiting payouts, the unresolved
// flags, the failed calls of the last day, the orders in the statuses counted,
// today's ledger transfers.
func (s *Service) BackOfficeHome(ctx context.Context, by staff.Member) (BackOfficeHome, error) {
	m, err := s.actor(ctx, s.db, by, staff.ActionView)
	if err != nil {
		return BackOfficeHome{}, err
	}
	now := s.now().UTC()
	h := BackOfficeHome{MayDecide: staff.Can(m.Role, staff.ActionDecidePayout), MayResolve: staff.Can(m.Role, staff.ActionResolveFlag),
		FailedSince: now.Add(-FailedCallsWithin), CheckoutExpiry: s.cfg.checkoutExpiry(), ResumeAfter: s.cfg.resumeAfter(), Day: day(now),
		SilentDeposits: map[models.OrderStatus]int{}, UnansweredPayouts: map[models.OrderStatus]int{}}
	err = readTx(ctx, s.db, func(tx *gorm.DB) error {
		// The payouts' statuses are read by status alone (idx_orders_status_created),
		// grouped by kind: they are a refund's too, and the kinds' index holds every
		// payout ever made.
		var waiting []struct {
			Kind     models.OrderKind
			Currency string
			N        int
			Minor    int64
		}
		if err := tx.Model(&models.Order{}).Select("kind, amount_currency AS currency, COUNT(*) AS n, SUM(amount_minor) AS minor").
			Where("status = ?", models.OrderAwaitingApproval).Group("kind, amount_currency").Scan(&waiting).Error; err != nil {
			return fmt.Errorf("payouts awaiting approval: %w", err)
		}
		for _, w := range waiting {
			if w.Kind == models.OrderPayout {
				h.Waiting = append(h.Waiting, CurrencyCount{Count: w.N, Sum: models.Money{Minor: w.Minor, Currency: w.Currency}})
			}
		}
		slices.SortFunc(h.Waiting, func(a, b CurrencyCount) int { return cmp.Compare(a.Sum.Currency, b.Sum.Currency) })

		for _, c := range []struct {
			n    *int
			q    *gorm.DB
			what string
		}{
			{&h.FlaggedOrders, unresolvedOrders(tx), "flagged orders"},
			{&h.Unmatched, unresolvedUnmatched(tx), "unmatched notifications"},
			{&h.FlaggedRaises, unresolvedRaises(tx), "flagged limit raises"},
			{&h.Refused, newestRefused(tx), "refused notifications"},
		} {
			if err := countUpTo(tx, c.q, FlaggedShown+1, c.n); err != nil {
				return fmt.Errorf("%s: %w", c.what, err)
			}
		}

		for _, c := range []struct {
			n       *int
			outcome CallOutcome
		}{{&h.TrustlyErrors, CallRefused}, {&h.TransportErrors, CallTransport}} {
			var n int64
			q := outcomeWhere(tx.Model(&models.APICall{}), c.outcome, 0).Where("at >= ?", h.FailedSince)
			if err := q.Count(&n).Error; err != nil {
				return fmt.Errorf("failed calls: %w", err)
			}
			*c.n = int(n)
		}

		var silent []struct {
			Status models.OrderStatus
			N      int
		}
		if err := s.silentCheckouts(tx, now).Where("kind || '' = ?", models.OrderDeposit).Select("status, COUNT(*) AS n").
			Group("status").Scan(&silent).Error; err != nil {
			return fmt.Errorf("silent deposits: %w", err)
		}
		for _, r := range silent {
			h.SilentDeposits[r.Status] += r.N
		}
		var unanswered []struct {
			Kind   models.OrderKind
			Status models.OrderStatus
			N      int
		}
		if err := tx.Model(&models.Order{}).Select("kind, status, COUNT(*) AS n").
			Where("status IN ?", []models.OrderStatus{models.OrderRequested, models.OrderSending, models.OrderChecking}).
			Where("(status = ? OR attempted_at IS NULL OR attempted_at <= ?)", models.OrderChecking, now.Add(-h.ResumeAfter)).
			Group("kind, status").Scan(&unanswered).Error; err != nil {
			return fmt.Errorf("unanswered payouts: %w", err)
		}
		for _, u := range unanswered {
			switch {
			case u.Kind != models.OrderPayout:
			case u.Status == models.OrderChecking:
				h.CheckingPayouts += u.N
			default:
				h.UnansweredPayouts[u.Status] += u.N
			}
		}

		vols, err := dailyVolumes(ctx, tx, h.Day, h.Day.AddDate(0, 0, 1))
		if err != nil {
			return err
		}
		for _, v := range vols {
			if v[0].Deposits.Minor != 0 || v[0].Payouts.Minor != 0 {
				h.Today = append(h.Today, v[0])
			}
		}
		slices.SortFunc(h.Today, func(a, b DayVolume) int { return cmp.Compare(a.Deposits.Currency, b.Deposits.Currency) })
		return nil
	})
	if err != nil {
		return BackOfficeHome{}, fmt.Errorf("back office home: %w", err)
	}
	return h, nil
}

// countUpTo counts the rows of q, at most limit: a count that stops where the
// list it stands for stops, so that it reads no more than the list would.
func countUpTo(tx *gorm.DB, q *gorm.DB, limit int, n *int) error {
	var got int64
	if err := tx.Table("(?) AS counted", q.Select("1").Limit(limit)).Count(&got).Error; err != nil {
		return err
	}
	*n = int(got)
	return nil
}
