package cashier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// The back office's transactions: every order of every player in one list, newest
// first, filtered, a page at a time, with totals and an export. Pages are keyset
// pages, so a page is read from an index whatever its depth, and no row is shown
// twice or skipped while orders are created. Without a date range the list is in
// id order (BeforeID), and new orders land above the first page. With a date range
// it is in (CreatedAt, ID) order (BeforeAt and BeforeID), so the range is read from
// a created_at index instead of walking the id index back to it. Ids need not grow
// with CreatedAt (it is the service's clock, and instances have their own), hence
// a cursor of both: an order created meanwhile with a CreatedAt below the cursor is
// shown once, on a later page. CreatedAt never changes once written.

// TxLogin is the kind filter's choice of Pay N Play bank logins: deposit orders
// sent without an amount (Order.LoginOnly), which move no money. It is no order's
// kind: the filter's OrderDeposit selects the deposits that are not logins, and
// TxLogin the logins.
const TxLogin models.OrderKind = "login"

// TxKinds lists the order kinds the transactions page offers as a filter, with
// the bank logins (TxLogin) apart from the deposits.
var TxKinds = []models.OrderKind{models.OrderDeposit, TxLogin, models.OrderPayout, models.OrderRefund, models.OrderSelectAccount}

// TxStatuses lists every order status, for the filter.
var TxStatuses = []models.OrderStatus{models.OrderCreated, models.OrderStarted, models.OrderPending, models.OrderCredited,
	models.OrderDebited, models.OrderFailed, models.OrderRefusedHeld, models.OrderRefusedReturned, models.OrderAbandoned, models.OrderAccountAdded, models.OrderSignedIn, models.OrderAwaitingApproval, models.OrderRequested, models.OrderSending,
	models.OrderChecking, models.OrderSent, models.OrderConfirmed, models.OrderCancelled}

// TxFilter selects orders; zero fields select everything.
type TxFilter struct {
	Kind     models.OrderKind // a kind, or TxLogin; OrderDeposit selects no login
	Status   models.OrderStatus
	PlayerID int64
	Currency string
	From, To time.Time // CreatedAt ≥ From and < To
	// MinMinor and MaxMinor bound the amount in minor units, inclusive; nil: no bound.
	MinMinor, MaxMinor *int64
	Flagged            bool // only orders with a flag
	// Search finds an order by our id, our MessageID or Trustly's orderid, or a
	// player's orders by their email or personid.
	Search string
	// BeforeID and BeforeAt are the keyset: the ID and CreatedAt of the last order
	// of the page before. Without a date range only BeforeID counts (orders with a
	// smaller id); with one (From or To) both do (orders before it in (CreatedAt,
	// ID) order), and a BeforeID needs its BeforeAt.
	BeforeID int64
	BeforeAt time.Time
	Limit    int // at most this many; 0 or more than 1 000 means 50
}

// Dated reports whether f has a date range, which puts its list in (CreatedAt,
// ID) order.
func (f TxFilter) Dated() bool { return !f.From.IsZero() || !f.To.IsZero() }

// TxRow is one order in the list, with its player's email ("" when the order has
// no player yet).
type TxRow struct {
	models.Order
	PlayerEmail string
	// DepositTrustlyOrderID is a refund's deposit's Trustly orderid, by which
	// Trustly knows the refund (it has none of its own); "" for other kinds.
	DepositTrustlyOrderID string
}

// TxTotal sums the orders of one currency and kind a filter selects, Pay N Play
// bank logins (Login) apart from the deposits: they are deposit orders that ask
// for no money and book none, and counted among the deposits they would read as
// deposits of nothing. Returns of held money (Returns) are apart from the
// refunds likewise: refund orders that give back money no wallet ever had, they
// would swell the refunds with money no player was refunded.
type TxTotal struct {
	Currency string
	Kind     models.OrderKind
	Login    bool // Pay N Play bank logins (Order.LoginOnly): Sum and Credited are zero
	Returns  bool // returns of held money (Order.ReturnsHeld): refund orders of no player's money, not refunds
	Count    int64
	Sum      models.Money // the orders' amounts, as asked
	// Credited is, for deposits, what their credits booked to wallets, as Trustly
	// said (Order.CreditedMinor; the amount asked for a credit booked before that
	// was kept), which may differ from Sum; zero for other kinds.
	Credited models.Money
}

// Transactions lists the orders f selects, newest first, for a member who may view
// the back office.
func (s *Service) Transactions(ctx context.Context, by staff.Member, f TxFilter) ([]TxRow, error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionView); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	return s.transactions(ctx, f)
}

func (s *Service) transactions(ctx context.Context, f TxFilter) ([]TxRow, error) {
	q, err := s.txPage(ctx, f)
	if err != nil {
		return nil, err
	}
	var orders []models.Order
	if err := q.Find(&orders).Error; err != nil {
		return nil, fmt.Errorf("transactions: %w", err)
	}
	return s.withEmails(ctx, orders)
}

// txPage is the query of one page of f: its orders in keyset order, after the
// cursor, at most f.Limit.
func (s *Service) txPage(ctx context.Context, f TxFilter) (*gorm.DB, error) {
	if !f.Dated() {
		q, err := s.txQuery(ctx, f)
		if err != nil {
			return nil, err
		}
		if f.BeforeID > 0 {
			q = q.Where("id < ?", f.BeforeID)
		}
		return q.Order("id DESC").Limit(f.Limit), nil
	}
	if f.BeforeID > 0 && f.BeforeAt.IsZero() {
		return nil, errors.New("transactions: a page of a date range needs the time of the order before it")
	}
	// One upper bound on created_at, the tighter: SQLite reads an index range up to
	// one of them and filters by the other, which on a deep page would read every
	// row between the two again.
	at := f.BeforeAt.UTC()
	cursor := f.BeforeID > 0 && (f.To.IsZero() || at.Before(f.To))
	if cursor {
		f.To = time.Time{} // implied: created_at ≤ at < To
	}
	q, err := s.txQuery(ctx, f)
	if err != nil {
		return nil, err
	}
	if cursor {
		q = q.Where("created_at <= ? AND (created_at < ? OR id < ?)", at, at, f.BeforeID)
	}
	return q.Order("created_at DESC, id DESC").Limit(f.Limit), nil
}

// withEmails adds each order's player email, with one query for the page, and
// each refund's deposit's Trustly orderid, with one more when the page has refunds.
func (s *Service) withEmails(ctx context.Context, orders []models.Order) ([]TxRow, error) {
	ids := make([]int64, 0, len(orders))
	seen := map[int64]bool{}
	for _, o := range orders {
		if o.PlayerID != 0 && !seen[o.PlayerID] {
			seen[o.PlayerID] = true
			ids = append(ids, o.PlayerID)
		}
	}
	db := s.db.WithContext(ctx)
	emails, err := playerEmails(db, ids)
	if err != nil {
		return nil, fmt.Errorf("transactions: %w", err)
	}
	orderIDs, err := depositOrderIDs(db, orders)
	if err != nil {
		return nil, fmt.Errorf("transactions: %w", err)
	}
	rows := make([]TxRow, len(orders))
	for i, o := range orders {
		rows[i] = TxRow{Order: o, PlayerEmail: emails[o.PlayerID]}
		if o.Kind == models.OrderRefund {
			rows[i].DepositTrustlyOrderID = orderIDs[o.ParentID]
		}
	}
	return rows, nil
}

// txQuery is the orders query of f, without its page.
func (s *Service) txQuery(ctx context.Context, f TxFilter) (*gorm.DB, error) {
	q := s.db.WithContext(ctx).Model(&models.Order{})
	switch f.Kind {
	case "":
	case models.OrderDeposit, TxLogin:
		// A bank login is a deposit order; each choice reads the kind's index and
		// keeps its own.
		q = q.Where("kind = ? AND login_only = ?", models.OrderDeposit, f.Kind == TxLogin)
	default:
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.PlayerID != 0 {
		q = q.Where("player_id = ?", f.PlayerID)
	}
	if f.Currency != "" {
		q = q.Where("amount_currency = ?", f.Currency)
	}
	if !f.From.IsZero() {
		q = q.Where("created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("created_at < ?", f.To.UTC())
	}
	if f.MinMinor != nil {
		q = q.Where("amount_minor >= ?", *f.MinMinor)
	}
	if f.MaxMinor != nil {
		q = q.Where("amount_minor <= ?", *f.MaxMinor)
	}
	if f.Flagged {
		q = q.Where("flag <> ''") // as written in the partial index idx_orders_flagged
	}
	if term := strings.TrimSpace(f.Search); term != "" {
		// The players first, by their unique keys, so the orders query is an OR of
		// indexed equalities.
		// Then those whose bank account names the person (accountHolders), by the
		// index on bank_accounts.person_id.
		var players []int64
		persons := personIDTerms(term)
		err := s.db.WithContext(ctx).Model(&models.Player{}).
			Where("email IN ? OR person_id IN ?", models.EmailForms(models.NormalEmail(term)), persons).Limit(10).Pluck("id", &players).Error
		if err != nil {
			return nil, fmt.Errorf("transactions: search players: %w", err)
		}
		holders, err := accountHolders(s.db.WithContext(ctx), persons)
		if err != nil {
			return nil, fmt.Errorf("transactions: search players: %w", err)
		}
		for _, id := range holders {
			if !slices.Contains(players, id) {
				players = append(players, id)
			}
		}
		// A refund has no Trustly orderid of its own: Trustly knows it by its
		// deposit's, which its row shows, so that orderid finds the deposit's
		// refunds too (by the index on parent_id).
		var deposits []int64
		err = s.db.WithContext(ctx).Model(&models.Order{}).Where("trustly_order_id = ? AND kind = ?", term, models.OrderDeposit).
			Limit(10).Pluck("id", &deposits).Error
		if err != nil {
			return nil, fmt.Errorf("transactions: search deposits: %w", err)
		}
		cond := s.db.Where("message_id = ?", term).Or("trustly_order_id = ?", term)
		if len(deposits) > 0 {
			cond = cond.Or("parent_id IN ?", deposits)
		}
		if id, err := strconv.ParseInt(term, 10, 64); err == nil && id > 0 {
			cond = cond.Or("id = ?", id)
		}
		if len(players) > 0 {
			cond = cond.Or("player_id IN ?", players)
		}
		q = q.Where(cond)
	}
	return q, nil
}

// TransactionTotals counts and sums the orders f selects (its page aside), per
// currency and kind, with Pay N Play bank logins and returns of held money on
// rows of their own.
func (s *Service) TransactionTotals(ctx context.Context, by staff.Member, f TxFilter) ([]TxTotal, error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionView); err != nil {
		return nil, err
	}
	q, err := s.txQuery(ctx, f)
	if err != nil {
		return nil, err
	}
	var sums []struct {
		AmountCurrency string
		Kind           models.OrderKind
		LoginOnly      bool
		ReturnsHeld    bool
		N              int64
		Total          int64
		Credited       int64
	}
	err = q.Select("amount_currency, kind, login_only, returns_held, COUNT(*) AS n, COALESCE(SUM(amount_minor), 0) AS total, " +
		"COALESCE(SUM(CASE WHEN kind = '" + string(models.OrderDeposit) + "' AND credited_at IS NOT NULL THEN " +
		bookedMinorSQL + " ELSE 0 END), 0) AS credited").
		Group("amount_currency, kind, login_only, returns_held").Order("amount_currency, kind, login_only, returns_held").Scan(&sums).Error
	if err != nil {
		return nil, fmt.Errorf("transaction totals: %w", err)
	}
	out := make([]TxTotal, len(sums))
	for i, r := range sums {
		out[i] = TxTotal{Currency: r.AmountCurrency, Kind: r.Kind, Login: r.LoginOnly, Returns: r.ReturnsHeld, Count: r.N,
			Sum:      models.Money{Minor: r.Total, Currency: r.AmountCurrency},
			Credited: models.Money{Minor: r.Credited, Currency: r.AmountCurrency}}
	}
	return out, nil
}

// bookedMinorSQL is, in SQL, what an order moved in minor units: a credited
// deposit's CreditedMinor (what its credit booked, as Trustly said), or else its
// amount as asked, as models.Order.Credited has it.
const bookedMinorSQL = "CASE WHEN credited_minor > 0 THEN credited_minor ELSE amount_minor END"

// ErrNotRecorded is a reading of data out (an export, a reconciliation run)
// whose audit row could not be written before it began: nothing was read out.
var ErrNotRecorded = errors.New("not recorded in the audit, so not begun")

// ExportTransactions hands every order f selects to each, newest first, batch
// rows at a time, as BeginExport and Export.Run do: only one batch is held in
// memory, and each is read with the keyset of the one before, so orders created
// meanwhile are neither repeated nor skipped. It stops at the first error of each.
func (s *Service) ExportTransactions(ctx context.Context, by staff.Member, f TxFilter, batch int, each func([]TxRow) error) error {
	e, err := s.BeginExport(ctx, by, f)
	if err != nil {
		return err
	}
	return e.Run(ctx, batch, each)
}

// Export is an export of the transactions begun: its start is in the audit.
type Export struct {
	s      *Service
	actor  staff.Member
	f      TxFilter
	filter map[string]any
}

// BeginExport records in the audit that by exports the orders f selects
// (staff.EventExportStarted: who, the filter), as the players' emails they hold
// are personal data, before any row is read: a crash, a kill or a failing write
// later leaves the export on record. When that row cannot be written nothing may
// be exported, and the error is ErrNotRecorded.
func (s *Service) BeginExport(ctx context.Context, by staff.Member, f TxFilter) (*Export, error) {
	actor, err := s.actor(ctx, s.db, by, staff.ActionView)
	if err != nil {
		return nil, err
	}
	filter := exportFilter(f)
	if err := s.auditRead(ctx, actor, staff.EventExportStarted, map[string]any{"export": "transactions.csv", "filter": filter}); err != nil {
		return nil, fmt.Errorf("export transactions: %w: %w", ErrNotRecorded, err)
	}
	return &Export{s: s, actor: actor, f: f, filter: filter}, nil
}

// Run hands every order of the export to each (see ExportTransactions), once.
// However it ends, it records the outcome in the audit (staff.EventExported):
// who, the filter, how many rows were handed out and whether it ran to its end;
// an outcome that cannot be written ends in an error.
func (e *Export) Run(ctx context.Context, batch int, each func([]TxRow) error) error {
	n, err := e.s.exportTransactions(ctx, e.f, batch, each)
	after := map[string]any{"export": "transactions.csv", "filter": e.filter, "rows": n, "complete": err == nil}
	return errors.Join(err, e.s.auditRead(ctx, e.actor, staff.EventExported, after))
}

// exportTransactions is ExportTransactions' loop; n is how many rows each was
// handed and took.
func (s *Service) exportTransactions(ctx context.Context, f TxFilter, batch int, each func([]TxRow) error) (n int, err error) {
	if batch <= 0 || batch > 1000 {
		batch = 500
	}
	f.Limit = batch
	for {
		rows, err := s.transactions(ctx, f)
		if err != nil {
			return n, err
		}
		if len(rows) == 0 {
			return n, nil
		}
		if err := each(rows); err != nil {
			return n, err
		}
		n += len(rows)
		if len(rows) < batch {
			return n, nil
		}
		f.BeforeID, f.BeforeAt = rows[len(rows)-1].ID, rows[len(rows)-1].CreatedAt
	}
}

// exportFilter is f as the audit row of its export names it: the fields set, by
// the names of the transactions page's form, times in UTC.
func exportFilter(f TxFilter) map[string]any {
	m := map[string]any{}
	set := func(k string, v any, ok bool) {
		if ok {
			m[k] = v
		}
	}
	set("kind", f.Kind, f.Kind != "")
	set("status", f.Status, f.Status != "")
	set("player", f.PlayerID, f.PlayerID != 0)
	set("currency", f.Currency, f.Currency != "")
	set("from", f.From.UTC().Format(time.RFC3339), !f.From.IsZero())
	set("to", f.To.UTC().Format(time.RFC3339), !f.To.IsZero())
	set("min_minor", f.MinMinor, f.MinMinor != nil)
	set("max_minor", f.MaxMinor, f.MaxMinor != nil)
	set("flagged", true, f.Flagged)
	set("search", f.Search, f.Search != "")
	return m
}

// depositOrderIDs reads the Trustly orderid of the deposit of each refund among
// orders from db, in one query, by the deposit's id; none when there is no refund.
func depositOrderIDs(db *gorm.DB, orders []models.Order) (map[int64]string, error) {
	var deposits []int64
	for _, o := range orders {
		if o.Kind == models.OrderRefund && o.ParentID != 0 {
			deposits = append(deposits, o.ParentID)
		}
	}
	orderIDs := make(map[int64]string, len(deposits))
	if len(deposits) == 0 {
		return orderIDs, nil
	}
	var parents []models.Order
	if err := db.Select("id", "trustly_order_id").Where("id IN ?", deposits).Find(&parents).Error; err != nil {
		return nil, fmt.Errorf("refunds' deposits: %w", err)
	}
	for _, p := range parents {
		orderIDs[p.ID] = p.TrustlyOrderID
	}
	return orderIDs, nil
}

// playerEmails reads the email of each player of ids (distinct) from db, by id.
func playerEmails(db *gorm.DB, ids []int64) (map[int64]string, error) {
	emails := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return emails, nil
	}
	var players []models.Player
	if err := db.Select("id", "email").Where("id IN ?", ids).Find(&players).Error; err != nil {
		return nil, fmt.Errorf("players' emails: %w", err)
	}
	for _, p := range players {
		emails[p.ID] = p.Email
	}
	return emails, nil
}

// auditRead records that actor read data out (an export, a reconciliation run
// against Trustly's ledger) as event, with after, in a transaction of its own
// that a cancelled request does not stop; a row that cannot be written is an
// error line and the error.
func (s *Service) auditRead(ctx context.Context, actor staff.Member, event staff.Event, after map[string]any) error {
	err := writeTx(context.WithoutCancel(ctx), s.db, func(tx *gorm.DB) error {
		return staff.Record(ctx, tx, s.now().UTC(), staff.Audit{Event: event, After: staff.JSON(after)}.By(actor))
	})
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "read not recorded in the audit", slog.String("event", string(event)),
			slog.Int64("staff_id", actor.ID), slog.String("err", err.Error()))
	}
	return err
}
