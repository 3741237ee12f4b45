package cashier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trustly-cashier/cashier/cashier/reconcile"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Reports for the back office: our balance at Trustly, the reconciliation of
// Trustly's AccountLedger with our ledger, and daily deposits and payouts.

// BalanceEvery is how often Trustly's Balance may be asked (API.md §4.8);
// TrustlyBalance answers from the database in between.
const BalanceEvery = 15 * time.Minute

// balanceClaimFor is how long a call to Balance may take: a claim younger than
// that without an answer is a call under way, an older one a call that brought no
// answer.
const balanceClaimFor = time.Minute

// msgBalanceBusy is TrustlyBalance's answer when another instance is asking
// Trustly for the first time.
const msgBalanceBusy = "Trustly's balance is being asked for right now; reload the page in a moment."

// msgBalanceUnanswered is TrustlyBalance's answer, with no answer kept, within
// BalanceEvery of a call that brought none: when it was made, and when Trustly
// may be asked again.
const msgBalanceUnanswered = "Trustly did not answer when last asked for our balance, at %s; it may be asked again at %s."

// TrustlyBalance is our balance at Trustly per currency, and when Trustly was
// asked: at most once per BalanceEvery whoever asks, on whichever instance. The
// last answer is kept in the database (models.TrustlyPoll); the instance that asks
// next claims the row first with a conditional UPDATE, and the others answer
// from the last answer meanwhile. A claim counts as a call whether or not an
// answer came: a failed call, or one of an instance that stopped while asking,
// may have reached Trustly, so nobody asks again within BalanceEvery of it. It is
// for members who may reconcile.
func (s *Service) TrustlyBalance(ctx context.Context, by staff.Member) ([]trustly.AccountBalance, time.Time, error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionReconcile); err != nil {
		return nil, time.Time{}, err
	}
	s.balanceMu.Lock()
	defer s.balanceMu.Unlock()
	const method = "Balance"
	now := s.now().UTC().Truncate(time.Microsecond) // as PostgreSQL keeps it, so every instance shows the same time
	db := s.db.WithContext(ctx)
	err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.TrustlyPoll{Method: method}).Error
	var claim *gorm.DB
	if err == nil {
		claim = db.Model(&models.TrustlyPoll{}).
			Where("method = ? AND (asked_at IS NULL OR asked_at <= ?) AND (claimed_at IS NULL OR claimed_at <= ?)",
				method, now.Add(-BalanceEvery), now.Add(-BalanceEvery)).
			Update("claimed_at", now)
		err = claim.Error
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("trustly balance: %w", err)
	}
	if claim.RowsAffected == 0 {
		// Asked within BalanceEvery, or being asked by another instance right now.
		var last models.TrustlyPoll
		if err := db.Where("method = ?", method).Take(&last).Error; err != nil {
			return nil, time.Time{}, fmt.Errorf("trustly balance: %w", err)
		}
		switch {
		case last.AskedAt == nil && last.ClaimedAt != nil && now.Sub(*last.ClaimedAt) >= balanceClaimFor:
			at := last.ClaimedAt.UTC()
			return nil, time.Time{}, models.Problemf("", fmt.Sprintf(msgBalanceUnanswered,
				at.Format(time.DateTime+" UTC"), at.Add(BalanceEvery).Format(time.DateTime+" UTC")))
		case last.AskedAt == nil:
			return nil, time.Time{}, models.Problemf("", msgBalanceBusy)
		}
		var rows []trustly.AccountBalance
		if err := json.Unmarshal([]byte(last.Answer), &rows); err != nil {
			return nil, time.Time{}, fmt.Errorf("trustly balance: stored answer: %w", err)
		}
		return rows, last.AskedAt.UTC(), nil
	}

	// Kept as an APICall row of no order and no player (the row has no column for
	// the member who asked: the log line of a failure names them).
	rows, err := recorded(ctx, s, callAbout{}, func(ctx context.Context, _ trustly.BalanceParams) ([]trustly.AccountBalance, error) {
		return s.trustly.Balance(ctx)
	}, trustly.BalanceParams{})
	if err == nil {
		sort.Slice(rows, func(i, j int) bool { return rows[i].Currency < rows[j].Currency })
	}
	answer, jerr := json.Marshal(rows)
	var uerr error
	if err == nil && jerr == nil { // claimed_at stays: the call, answered or not, holds the next one back
		uerr = s.db.WithContext(context.WithoutCancel(ctx)).Model(&models.TrustlyPoll{}).Where("method = ?", method).
			Updates(map[string]any{"asked_at": now, "answer": string(answer)}).Error
	}
	switch {
	case err != nil:
		s.log.Warn("Trustly balance failed", "err", err, "staff_id", by.ID)
		return nil, time.Time{}, fmt.Errorf("trustly balance: %w", err)
	case jerr != nil:
		return nil, time.Time{}, fmt.Errorf("trustly balance: %w", jerr)
	case uerr != nil:
		s.log.Warn("Trustly balance not kept; the next request asks again", "err", uerr)
	}
	return rows, now, nil
}

// Reconciliation is Trustly's AccountLedger for a currency and a date range set
// against our ledger's movements of money at Trustly in the same range.
type Reconciliation struct {
	Currency   string
	From, To   time.Time // UTC days; To is exclusive, as we read Trustly's ToDate (API.md §13)
	Ours       int       // our entries in the range
	Trustly    int       // Trustly's entries in the range, Other included
	Mismatches []reconcile.Mismatch
	// Explained are Trustly's entries missing in our ledger by design: a refused
	// deposit's held credit returned to the payer, and its return (heldKnown).
	Explained []reconcile.Mismatch
	// Other are Trustly's entries that name no order (an opening balance, a fee):
	// shown, not matched.
	Other []reconcile.Entry
}

// Reconcile lists every entry missing on either side, or different in amount,
// between Trustly's AccountLedger for currency from the day from up to the day to
// (exclusive) and our transfers through trustly:clearing created in those UTC
// days; entries match by messageid (Trustly's orderid where there is none) and
// amount (reconcile.Match). It is a finance action; Trustly's ledger is asked
// each time. Each run is recorded in the audit before Trustly is asked
// (staff.EventReconcileStarted: who, the currency and days), and a run whose row
// cannot be written asks nothing and ends in ErrNotRecorded; its outcome is
// recorded after (staff.EventReconciled: what it found, and whether it ran to its
// end), and an outcome that cannot be written ends in an error too.
func (s *Service) Reconcile(ctx context.Context, by staff.Member, currency string, from, to time.Time) (Reconciliation, error) {
	actor, err := s.actor(ctx, s.db, by, staff.ActionReconcile)
	if err != nil {
		return Reconciliation{}, err
	}
	from, to = day(from), day(to)
	after := map[string]any{"currency": currency, "from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly)}
	if err := s.auditRead(ctx, actor, staff.EventReconcileStarted, after); err != nil {
		return Reconciliation{}, fmt.Errorf("reconcile %s: %w: %w", currency, ErrNotRecorded, err)
	}
	r, err := s.reconcile(ctx, by, currency, from, to)
	after["complete"] = err == nil
	if err == nil {
		after["ours"], after["trustly"], after["mismatches"], after["explained"] = r.Ours, r.Trustly, len(r.Mismatches), len(r.Explained)
	}
	if aerr := s.auditRead(ctx, actor, staff.EventReconciled, after); aerr != nil {
		return Reconciliation{}, errors.Join(err, aerr)
	}
	return r, err
}

// reconcile is Reconcile's work, on whole UTC days.
func (s *Service) reconcile(ctx context.Context, by staff.Member, currency string, from, to time.Time) (Reconciliation, error) {
	r := Reconciliation{Currency: currency, From: from, To: to}
	// Kept as an APICall row of no order and no player, as Balance's is (the log
	// line of a failure names the member who asked).
	rows, err := recorded(ctx, s, callAbout{}, s.trustly.AccountLedger, trustly.AccountLedgerParams{Currency: currency,
		FromDate: from.Format(time.DateOnly), ToDate: to.Format(time.DateOnly)})
	if err != nil {
		s.log.Warn("AccountLedger failed; nothing reconciled", "currency", currency, "err", err, "staff_id", by.ID)
		return Reconciliation{}, fmt.Errorf("reconcile %s: %w", currency, err)
	}
	var theirs []reconcile.Entry
	for _, row := range rows {
		amount, err := models.ParseDecimal(row.Amount, row.Currency)
		if err != nil {
			return Reconciliation{}, fmt.Errorf("reconcile %s: Trustly's entry for order %s: %w", currency, row.OrderID, err)
		}
		at, _ := trustly.ParseTimestamp(row.Datestamp)
		e := reconcile.Entry{MessageID: row.MessageID, OrderID: row.OrderID, Amount: amount, At: at,
			What: strings.TrimSpace(row.TransactionType + " " + row.AccountName)}
		if e.Key() == "" {
			r.Other = append(r.Other, e)
			continue
		}
		theirs = append(theirs, e)
	}
	ours, err := s.clearingEntries(ctx, currency, from, to)
	if err != nil {
		return Reconciliation{}, fmt.Errorf("reconcile %s: %w", currency, err)
	}
	r.Ours, r.Trustly = len(ours), len(rows)
	r.Mismatches = reconcile.Match(ours, theirs)
	known, held, err := s.heldKnown(ctx, r.Mismatches)
	if err != nil {
		return Reconciliation{}, fmt.Errorf("reconcile %s: %w", currency, err)
	}
	r.Mismatches, r.Explained = reconcile.Explain(r.Mismatches, known)
	for i, m := range r.Mismatches {
		if held[m.Key] && m.Kind == reconcile.OnlyTrustly && m.Trustly.Amount.Minor > 0 {
			r.Mismatches[i].Note = noteHeld
		}
	}
	s.log.Info("reconciled", "currency", currency, "from", from.Format(time.DateOnly), "to", to.Format(time.DateOnly),
		"ours", r.Ours, "trustly", r.Trustly, "mismatches", len(r.Mismatches), "explained", len(r.Explained), "staff_id", by.ID)
	return r, nil
}

// Notes on Trustly's entries of held money, which our ledger never has.
const (
	noteHeld         = "credit held for a refused deposit, not returned: return it to the payer"
	noteHeldReturned = "credit held for a refused deposit, returned to the payer (order %d)"
	noteReturn       = "return of a refused deposit's held credit to the payer (order %d)"
)

// heldKnown lists, for the refused deposits among ms's entries only Trustly
// has whose credit is held (refused-held or refused-returned), the entries
// Trustly lists of their held money, which is in no wallet and so never in our
// ledger: each return sent (money out), and the held credit itself while a
// return of it is sent and has neither failed nor come back (the deposit
// refused-returned). A held credit not returned is not known, nor is a credit
// bringing a return back: each is a difference staff must act on (the money is
// held). held names the refused-held deposits' keys.
func (s *Service) heldKnown(ctx context.Context, ms []reconcile.Mismatch) (known []reconcile.Known, held map[string]bool, err error) {
	var keys []string
	for _, m := range ms {
		if m.Kind == reconcile.OnlyTrustly && !slices.Contains(keys, m.Key) {
			keys = append(keys, m.Key)
		}
	}
	held = map[string]bool{}
	if len(keys) == 0 {
		return nil, held, nil
	}
	err = readTx(ctx, s.db, func(tx *gorm.DB) error {
		var deps []models.Order
		if err := tx.Where("kind = ? AND message_id IN ? AND status IN ?", models.OrderDeposit, keys,
			[]models.OrderStatus{models.OrderRefusedHeld, models.OrderRefusedReturned}).Order("id").Find(&deps).Error; err != nil {
			return fmt.Errorf("refused deposits holding money: %w", err)
		}
		for _, dep := range deps {
			if dep.Status == models.OrderRefusedHeld {
				held[dep.MessageID] = true
			}
			var returns []models.Order
			if err := tx.Where("parent_id = ? AND kind = ? AND returns_held = ?", dep.ID, models.OrderRefund, true).
				Order("id").Find(&returns).Error; err != nil {
				return fmt.Errorf("returns of deposit %d: %w", dep.ID, err)
			}
			for _, ret := range returns {
				if ret.SentAt == nil {
					continue // never carried out: nothing at Trustly
				}
				out := ret.Amount
				out.Minor = -out.Minor
				known = append(known, reconcile.Known{Key: dep.MessageID, Amount: out, Note: fmt.Sprintf(noteReturn, ret.ID)})
				if ret.PayoutFailedAt == nil && ret.CreditedAt == nil && ret.ReturnedAt == nil && ret.ReleasedAt == nil {
					// The return that makes the deposit refused-returned
					// (syncHeldReturned); no other is open (openReturns).
					known = append(known, reconcile.Known{Key: dep.MessageID, Amount: ret.Amount, Note: fmt.Sprintf(noteHeldReturned, ret.ID)})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return known, held, nil
}

// clearingRow is one entry on trustly:clearing with its transfer.
type clearingRow struct {
	Reference string
	CreatedAt time.Time
	Minor     int64
}

// clearingEntries are our transfers through trustly:clearing in currency created
// in [from, to), as Trustly sees them: the clearing entry's amount negated (a
// deposit's credit leaves clearing for a wallet, which is money in at Trustly),
// named by the order's MessageID and Trustly orderid, a refund's by its deposit's.
func (s *Service) clearingEntries(ctx context.Context, currency string, from, to time.Time) ([]reconcile.Entry, error) {
	var rows []clearingRow
	err := s.db.WithContext(ctx).Table("entries").Select("transfers.reference, transfers.created_at, entries.minor").
		Joins("JOIN transfers ON transfers.id = entries.transfer_id").
		Where("entries.account = ? AND transfers.currency = ? AND transfers.created_at >= ? AND transfers.created_at < ?",
			models.TrustlyClearing, currency, from.AddDate(0, 0, -1), to.AddDate(0, 0, 1)).
		Order("transfers.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("our clearing entries: %w", err)
	}
	rows = slices.DeleteFunc(rows, func(r clearingRow) bool { return !within(r.CreatedAt, from, to) })
	ids := map[int64]bool{}
	for _, r := range rows {
		if id, ok := referenceOrder(r.Reference); ok {
			ids[id] = true
		}
	}
	orders, err := ordersWithParents(ctx, s.db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]reconcile.Entry, 0, len(rows))
	for _, r := range rows {
		e := reconcile.Entry{Amount: models.Money{Minor: -r.Minor, Currency: currency}, At: r.CreatedAt, What: r.Reference}
		if id, ok := referenceOrder(r.Reference); ok {
			if o, ok := orders[id]; ok {
				named := o
				if o.Kind == models.OrderRefund {
					named = orders[o.ParentID]
				}
				e.MessageID, e.OrderID = named.MessageID, named.TrustlyOrderID
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// referenceOrder reads the order id from a transfer reference "kind:id:event".
func referenceOrder(ref string) (int64, bool) {
	parts := strings.Split(ref, ":")
	if len(parts) != 3 {
		return 0, false
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	return id, err == nil
}

// ordersWithParents loads the orders with ids, and the deposits of refunds among
// them, by id.
func ordersWithParents(ctx context.Context, db *gorm.DB, ids map[int64]bool) (map[int64]models.Order, error) {
	out := map[int64]models.Order{}
	for len(ids) > 0 {
		list := make([]int64, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		var orders []models.Order
		if err := db.WithContext(ctx).Where("id IN ?", list).Find(&orders).Error; err != nil {
			return nil, fmt.Errorf("orders of entries: %w", err)
		}
		ids = map[int64]bool{}
		for _, o := range orders {
			out[o.ID] = o
			if _, ok := out[o.ParentID]; o.ParentID != 0 && !ok {
				ids[o.ParentID] = true
			}
		}
	}
	return out, nil
}

// DayVolume is what moved through Trustly on one UTC day in one currency.
type DayVolume struct {
	Day      time.Time // midnight UTC
	Deposits models.Money
	Payouts  models.Money // refunds not included
}

// DailyVolumes sums, per currency and UTC day from the day from up to the day to
// (exclusive), the deposits credited and the payouts sent, as booked in our
// ledger; every day of the range is listed, zero or not, for each currency that
// moved money in it. Currencies are sorted.
func (s *Service) DailyVolumes(ctx context.Context, by staff.Member, from, to time.Time) (map[string][]DayVolume, error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionView); err != nil {
		return nil, err
	}
	return dailyVolumes(ctx, s.db, from, to)
}

// dailyVolumes is DailyVolumes on db, which may be a transaction: the reports
// page's chart and the home page's today (BackOfficeHome) sum the same way.
func dailyVolumes(ctx context.Context, db *gorm.DB, from, to time.Time) (map[string][]DayVolume, error) {
	from, to = day(from), day(to)
	var rows []struct {
		Reference string
		Currency  string
		CreatedAt time.Time
		Minor     int64
	}
	err := db.WithContext(ctx).Table("entries").
		Select("transfers.reference, transfers.currency, transfers.created_at, entries.minor").
		Joins("JOIN transfers ON transfers.id = entries.transfer_id").
		Where("entries.account = ? AND transfers.created_at >= ? AND transfers.created_at < ?", models.TrustlyClearing,
			from.AddDate(0, 0, -1), to.AddDate(0, 0, 1)).
		Where("transfers.reference LIKE ? OR transfers.reference LIKE ?", "deposit:%:credit", "payout:%:send").
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("daily volumes: %w", err)
	}
	out := map[string][]DayVolume{}
	days := int(to.Sub(from).Hours() / 24)
	for _, r := range rows {
		// The rows of the day on each side are read, not counted (within): a
		// currency that moved money only there has no chart.
		vols, ok := out[r.Currency]
		if !ok && within(r.CreatedAt, from, to) {
			vols = make([]DayVolume, days)
			for i := range vols {
				zero := models.Money{Currency: r.Currency}
				vols[i] = DayVolume{Day: from.AddDate(0, 0, i), Deposits: zero, Payouts: zero}
			}
			out[r.Currency] = vols
		}
		if !within(r.CreatedAt, from, to) {
			continue
		}
		i := int(day(r.CreatedAt).Sub(from).Hours() / 24)
		if strings.HasPrefix(r.Reference, "deposit:") {
			vols[i].Deposits.Minor -= r.Minor // the credit leaves clearing
		} else {
			vols[i].Payouts.Minor += r.Minor
		}
	}
	return out, nil
}

// within reports whether from ≤ t < to. The queries above ask for a day more on
// each side and filter here: SQLite compares times as text, which is exact only
// between times written with the same UTC offset.
func within(t, from, to time.Time) bool {
	return !t.Before(from) && t.Before(to)
}

// day is midnight UTC of t's UTC day.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
