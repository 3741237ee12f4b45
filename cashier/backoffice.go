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
	"unicode/utf8"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
)

// The back office's order detail, players and the flagged list. Reads check that
// the member may view the back office; each change is one transaction with its
// one audit row, the acting member read again inside it (actor).

// msgPlayerBlocked is what a blocked player is told when they try to sign in,
// deposit, add an account or withdraw.
const msgPlayerBlocked = "Your account is blocked, so you cannot sign in, deposit or withdraw. Please contact support."

// ErrNotificationNotFound means no notification has the given id.
var ErrNotificationNotFound = errors.New("notification not found")

// ErrResolvedAlready is in the error of a resolution asked for an item another
// resolution took first (resolvedAlready), beside the *models.Problem saying who.
var ErrResolvedAlready = errors.New("resolved already")

// resolvedAlready is the error refusing a resolution of what (“The flags of order
// 5 were”) that the latest of the resolutions where selects resolved already:
// ErrResolvedAlready and the sentence naming the member who did, for the member
// whose note, sent from a page read before, nothing records. The error carries
// that resolution (resolvedError), so that resolve can tell the same member's
// same form sent again (a double click) from another's.
func resolvedAlready(tx *gorm.DB, what string, where string, args ...any) error {
	var r staff.Resolution
	if err := tx.Where(where, args...).Order("id DESC").Limit(1).Find(&r).Error; err != nil {
		return err
	}
	return &resolvedError{r: r, problem: models.Problemf("", fmt.Sprintf("%s resolved already, by %s.", what, r.StaffEmail))}
}

// resolvedError is resolvedAlready's error: ErrResolvedAlready and the
// *models.Problem saying who, about resolution r.
type resolvedError struct {
	r       staff.Resolution
	problem *models.Problem
}

func (e *resolvedError) Error() string   { return ErrResolvedAlready.Error() + ": " + e.problem.Error() }
func (e *resolvedError) Unwrap() []error { return []error{ErrResolvedAlready, e.problem} }

// maxNote is the longest note or resolution staff may write, in characters.
const maxNote = 2000

// TimelineEvent is one applied event of an order.
type TimelineEvent struct {
	Name string // "credited"
	At   time.Time
}

// OrderDetail is everything staff see about one order.
type OrderDetail struct {
	Order  models.Order
	Player models.Player // zero when the order has no player yet
	// Parent is a refund's deposit; zero for other kinds.
	Parent models.Order
	// Refunds are a deposit's refunds, oldest first: Trustly knows them by the
	// deposit's orderid, but their calls, notifications and audit rows are theirs.
	Refunds       []models.Order
	Timeline      []TimelineEvent
	Calls         []models.APICall      // oldest first
	Notifications []models.Notification // oldest first
	// Unmatched are the notifications kept as unknown (OrderID nil: their
	// messageid was another order's, or none) that name the order's Trustly
	// orderid, oldest first: applied to no order, and the order's flag says so.
	// None for an order without an orderid.
	Unmatched []models.Notification
	// Refused are the notifications refused for their data whose messageid is the
	// order's, newest first, at most FlaggedShown: nothing of them was applied.
	Refused []RefusedRow
	// Verified says, per notification ID, whether its raw body verifies with
	// Trustly's key now: every stored one did when it arrived, so false means the
	// row was changed since, or the key was.
	Verified    map[int64]bool
	Transfers   []models.Transfer  // with their entries, oldest first
	Resolutions []staff.Resolution // oldest first
	Audit       []staff.Audit      // newest first
	Unresolved  bool               // it has flags no resolution covers
	// Approvers are who approved a payout that needs two approvals so far.
	Approvers []staff.Member
	// Refusal is why the member who asked may not approve a payout waiting for
	// approval (standingRefusal, then approvalRefusal), the sentence ApprovePayout
	// would refuse them with; nil when they may, and for other orders.
	Refusal *models.Problem
	// DenyRefusal is why they may not deny it (denyRefusal), as DenyPayout would
	// refuse them; nil when they may, and for other orders.
	DenyRefusal *models.Problem
	// BelowZero is, on the page of a payout waiting for approval, the order whose
	// booking last took the player's wallet below zero, or deeper (belowZeroCauses),
	// which Refusal names; nil otherwise.
	BelowZero *models.Order
	// RefundedTwice is, on a debited deposit's page and on the page of each of its
	// refunds whose money has not come back, what reached the payer twice; its Twice
	// is zero otherwise.
	RefundedTwice RefundedTwice
	// Refundable is what may still be refunded of a deposit (as RefundFormFor
	// reads it): zero for one not credited or refunded in full, and for other kinds.
	Refundable models.Money
	// RefundableRead is false when Refundable could not be read (the credit's
	// ledger entries are not as they should be).
	RefundableRead bool
}

// RefundedTwice explains a debited deposit's wallet: its debit takes back what it
// credited, and its refunds whose money has not come back (sent or still in
// flight) took part of that already, so together they took Twice more than it
// credited from the player's balance: money the payer gets back twice, by a
// refund and by the bank's return of the deposit. Both are booked as Trustly
// reported them (bookDebit, RefundDeposit), which is right, and leaves the
// balance Twice lower than before the deposit.
type RefundedTwice struct {
	Debited, Refunded, Twice models.Money
}

// refundedTwice is RefundedTwice for deposit dep; Twice is zero unless dep was
// credited and debited and its refunds and debit together take more than it
// credited.
func refundedTwice(tx *gorm.DB, dep *models.Order) (RefundedTwice, error) {
	none := models.Money{Currency: dep.Amount.Currency}
	r := RefundedTwice{Debited: none, Refunded: none, Twice: none}
	if dep.Kind != models.OrderDeposit || dep.CreditedAt == nil || dep.DebitedAt == nil {
		return r, nil
	}
	_, refunded, err := refundable(tx, dep)
	if err != nil {
		return r, err
	}
	credited, err := walletEntry(tx, dep, "credit")
	if err != nil {
		return r, err
	}
	r.Debited.Minor, r.Refunded = dep.DebitedMinor, refunded
	r.Twice.Minor = min(max(refunded.Minor+dep.DebitedMinor-credited.Minor, 0), refunded.Minor)
	return r, nil
}

// Timeline lists the order's applied events in time order: its creation and each
// *At field that is set, a Pay N Play order's kyc decision ("kyc CONTINUE") and
// what it held until then among them.
func Timeline(o models.Order) []TimelineEvent {
	events := []TimelineEvent{{"created", o.CreatedAt}}
	for _, e := range []struct {
		name string
		at   *time.Time
	}{{"failed", o.FailedAt}, {"started", o.StartedAt}, {"pending", o.PendingAt}, {"credit held", o.CreditHeldAt},
		{"debit held", o.DebitHeldAt}, {"kyc " + o.KYCOutcome, o.KYCAt}, {"credited", o.CreditedAt},
		{"debited", o.DebitedAt}, {"cancelled", o.CancelledAt}, {"approved", o.ApprovedAt}, {"denied", o.DeniedAt},
		{"outcome unknown", o.OutcomeUnknownAt}, {"checking", o.CheckingAt}, {"sent", o.SentAt},
		{"confirmed", o.ConfirmedAt}, {"payout failed", o.PayoutFailedAt}, {"released", o.ReleasedAt},
		{"returned", o.ReturnedAt}, {"abandoned", o.AbandonedAt}, {"account added", o.AccountAddedAt},
		{"signed in", o.SignedInAt}, {"kyc overdue", o.KYCOverdueAt}, {"credit overdue", o.CreditOverdueAt}} {
		if e.at != nil {
			events = append(events, TimelineEvent{e.name, *e.at})
		}
	}
	for i := 1; i < len(events); i++ { // insertion sort: a handful of events, stable
		for j := i; j > 0 && events[j].At.Before(events[j-1].At); j-- {
			events[j], events[j-1] = events[j-1], events[j]
		}
	}
	return events
}

// OrderDetail reads one order with everything about it, in one read-only
// transaction; ErrOrderNotFound when there is none.
func (s *Service) OrderDetail(ctx context.Context, by staff.Member, orderID int64) (OrderDetail, error) {
	m, err := s.actor(ctx, s.db, by, staff.ActionView)
	if err != nil {
		return OrderDetail{}, err
	}
	var d OrderDetail
	err = readTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", orderID).Limit(1).Find(&d.Order).Error; err != nil {
			return err
		}
		if d.Order.ID == 0 {
			return ErrOrderNotFound
		}
		o := d.Order
		d.Timeline = Timeline(o)
		if o.PlayerID != 0 {
			if err := tx.Where("id = ?", o.PlayerID).Limit(1).Find(&d.Player).Error; err != nil {
				return err
			}
		}
		if o.ParentID != 0 {
			if err := tx.Where("id = ?", o.ParentID).Limit(1).Find(&d.Parent).Error; err != nil {
				return err
			}
		}
		if o.Kind == models.OrderPayout {
			var err error
			if d.Approvers, err = approvers(tx, o.ID); err != nil {
				return err
			}
			if o.Status == models.OrderAwaitingApproval {
				d.DenyRefusal = denyRefusal(m, d.Player)
				balance, err := ledger.New(tx).Balance(ctx, models.PlayerWallet(o.PlayerID), o.Amount.Currency)
				if err != nil {
					return err
				}
				var account models.BankAccount
				if err := tx.Where("id = ?", o.BankAccountID).Limit(1).Find(&account).Error; err != nil {
					return err
				}
				if balance.Minor < 0 {
					if d.BelowZero, err = belowZeroCause(ctx, tx, o.PlayerID, o.Amount.Currency); err != nil {
						return err
					}
				}
				d.Refusal = standingRefusal(d.Player.Blocked, balance, d.BelowZero, account)
				if d.Refusal == nil {
					if _, d.Refusal, err = s.approvalRefusal(tx, m, o, s.now()); err != nil {
						return err
					}
				}
			}
		}
		if o.Kind == models.OrderDeposit {
			if err := tx.Where("parent_id = ? AND kind = ?", o.ID, models.OrderRefund).Order("id").Find(&d.Refunds).Error; err != nil {
				return err
			}
		}
		var err error
		switch {
		case o.Kind == models.OrderDeposit:
			d.RefundedTwice, err = refundedTwice(tx, &o)
			// A credited deposit whose credit the ledger does not hold as it should
			// is for staff to look into on this page: it shows, the refund form
			// says what is wrong.
			if left, _, rerr := refundable(tx, &o); rerr == nil {
				d.Refundable, d.RefundableRead = left, true
			}
		case o.Kind == models.OrderRefund && o.ReleasedAt == nil && o.ReturnedAt == nil && d.Parent.ID != 0:
			d.RefundedTwice, err = refundedTwice(tx, &d.Parent)
		}
		if err != nil {
			return err
		}
		if d.Calls, err = apiCalls(ctx, tx, o.ID); err != nil {
			return err
		}
		if err := tx.Where("order_id = ?", o.ID).Order("id").Find(&d.Notifications).Error; err != nil {
			return err
		}
		if o.TrustlyOrderID != "" {
			// Read through the partial index of unmatched notifications
			// (idx_notifications_unmatched), which holds only those.
			if err := tx.Where("order_id IS NULL AND trustly_order_id = ?", o.TrustlyOrderID).Order("id").Find(&d.Unmatched).Error; err != nil {
				return err
			}
		}
		var refused []models.RefusedNotification
		if err := tx.Where("message_id = ?", o.MessageID).Order("id DESC").Limit(FlaggedShown).Find(&refused).Error; err != nil {
			return err
		}
		if d.Refused, err = refusedRows(tx, refused); err != nil {
			return err
		}
		d.Verified = map[int64]bool{}
		for _, n := range slices.Concat(d.Notifications, d.Unmatched) {
			// ErrBadData comes after the signature verified: a row an older
			// version kept in a shape this one refuses is still Trustly's.
			_, err := trustly.ParseNotification([]byte(n.Raw), s.trustlyKey)
			d.Verified[n.ID] = err == nil || errors.Is(err, trustly.ErrBadData)
		}
		if err := orderTransfers(tx, o).Preload("Entries").Order("id").Find(&d.Transfers).Error; err != nil {
			return err
		}
		if err := tx.Where("order_id = ?", o.ID).Order("id").Find(&d.Resolutions).Error; err != nil {
			return err
		}
		d.Unresolved = o.Flag != ""
		for _, r := range d.Resolutions {
			if r.Flag == o.Flag {
				d.Unresolved = false
			}
		}
		d.Audit, err = staff.List(ctx, tx, staff.Filter{OrderID: o.ID, Limit: 100})
		return err
	})
	if err != nil {
		return OrderDetail{}, fmt.Errorf("order detail %d: %w", orderID, err)
	}
	return d, nil
}

// orderTransfers selects the transfers of o, whose references are all
// "<kind>:<id>:<event>" (models.Order.Reference), from an index of the reference.
// SQLite's LIKE ignores case and so reads every transfer; its text compares
// bytewise, so a range on the unique index is exactly the prefix. PostgreSQL's
// LIKE reads idx_transfers_reference_prefix, whose order is bytewise whatever the
// database's collation (store.postgresIndexes).
func orderTransfers(tx *gorm.DB, o models.Order) *gorm.DB {
	prefix := string(o.Kind) + ":" + strconv.FormatInt(o.ID, 10) + ":"
	if tx.Dialector.Name() == "postgres" {
		pattern := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(prefix) + "%"
		return tx.Model(&models.Transfer{}).Where("reference LIKE ?", pattern)
	}
	// The smallest text above every text that starts with prefix: its last byte, ':', plus one.
	end := prefix[:len(prefix)-1] + string(prefix[len(prefix)-1]+1)
	return tx.Model(&models.Transfer{}).Where("reference >= ? AND reference < ?", prefix, end)
}

// PlayerProfile is everything staff see about one player.
type PlayerProfile struct {
	Player   models.Player
	Wallet   models.Money
	Reserved models.Money // set aside for payouts in flight
	Accounts []models.BankAccount
	Orders   []models.Order // newest first, at most PlayerOrdersShown
	// MoreOrders says the player has more orders than Orders holds: the older
	// ones are only under Transactions.
	MoreOrders bool
	// DepositOrderIDs are the Trustly orderids of the deposits of the refunds
	// among Orders, by the deposit's id: Trustly knows a refund by its deposit's.
	DepositOrderIDs map[int64]string
	Notes           []staff.Note // newest first
	RG              PlayerRG
	// BelowZero is the order whose booking last took the wallet below zero, or
	// deeper (belowZeroCauses); nil when the wallet is not below zero, or no such
	// booking is known.
	BelowZero *models.Order
}

// PlayersFound is how many players a search lists at most.
const PlayersFound = 50

// SearchPlayers finds players by id, email, personid, EndUserID or a part of
// their name, at most PlayersFound, newest first; more says it found more.
func (s *Service) SearchPlayers(ctx context.Context, by staff.Member, term string) (players []models.Player, more bool, err error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionView); err != nil {
		return nil, false, err
	}
	term = strings.TrimSpace(term)
	q := s.db.WithContext(ctx).Model(&models.Player{})
	if term != "" {
		persons := personIDTerms(term)
		cond := s.db.Where("email IN ?", models.EmailForms(models.NormalEmail(term))).Or("person_id IN ?", persons).
			Or("end_user_id = ?", term).
			Or(`LOWER(first_name || ' ' || last_name) LIKE ? ESCAPE '\'`, "%"+likeEscape(norm.NFC.String(strings.ToLower(term)))+"%")
		if id, err := strconv.ParseInt(term, 10, 64); err == nil && id > 0 {
			cond = cond.Or("id = ?", id)
		}
		holders, err := accountHolders(s.db.WithContext(ctx), persons)
		if err != nil {
			return nil, false, fmt.Errorf("search players: %w", err)
		}
		if len(holders) > 0 {
			cond = cond.Or("id IN ?", holders)
		}
		q = q.Where(cond)
	}
	if err := q.Order("id DESC").Limit(PlayersFound + 1).Find(&players).Error; err != nil {
		return nil, false, fmt.Errorf("search players: %w", err)
	}
	if len(players) > PlayersFound {
		return players[:PlayersFound], true, nil
	}
	return players, false, nil
}

// personIDTerms are the stored personids ("SE198001011234", see models.Player)
// a search term may mean: the term itself in upper case, and the stored form of
// each country's personid the term reads as, written as people write one
// ("19800101-1234", "198001011234", FI's "131052-308t"), so that staff find a
// player by a number read from a letter or on the phone.
func personIDTerms(term string) []string {
	terms := []string{strings.ToUpper(term)}
	for _, country := range []string{"SE", "FI", "EE"} {
		if id, err := paynplay.ParsePersonID(country, term); err == nil && !slices.Contains(terms, id.String()) {
			terms = append(terms, id.String())
		}
	}
	return terms
}

// accountHoldersShown bounds accountHolders: an identity number names one
// person, whose accounts a handful of players at most have saved.
const accountHoldersShown = 10

// accountHoldersQuery reads the players one of whose bank accounts the bank named
// as held by a person of persons (personIDTerms; bank_accounts.person_id, from an
// account notification), by the index on person_id, at most accountHoldersShown.
func accountHoldersQuery(db *gorm.DB, persons []string) *gorm.DB {
	return db.Model(&models.BankAccount{}).Distinct("player_id").Where("person_id IN ?", persons).Limit(accountHoldersShown)
}

// accountHolders are the ids of accountHoldersQuery: staff find a player by an
// identity number their bank named though the player's own personid is empty
// (or another).
func accountHolders(db *gorm.DB, persons []string) ([]int64, error) {
	var ids []int64
	if err := accountHoldersQuery(db, persons).Pluck("player_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("bank accounts' holders: %w", err)
	}
	return ids, nil
}

// likeEscape makes LIKE read %, _ and \ in a search term as themselves, in a
// pattern that names \ as its escape character (ESCAPE '\'). The clause is
// needed on both databases: PostgreSQL's LIKE escapes with a backslash unless
// told otherwise, SQLite's with nothing, so without it a backslash typed in a
// search meant one thing on each.
func likeEscape(term string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(term)
}

// PlayerOrdersShown is how many of a player's newest orders their profile holds.
const PlayerOrdersShown = 50

// PlayerProfile reads one player's profile in one read-only transaction;
// ErrPlayerNotFound when there is none.
func (s *Service) PlayerProfile(ctx context.Context, by staff.Member, playerID int64) (PlayerProfile, error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionView); err != nil {
		return PlayerProfile{}, err
	}
	var p PlayerProfile
	err := readTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", playerID).Limit(1).Find(&p.Player).Error; err != nil {
			return err
		}
		if p.Player.ID == 0 {
			return ErrPlayerNotFound
		}
		l := ledger.New(tx)
		var err error
		if p.Wallet, err = l.Balance(ctx, models.PlayerWallet(p.Player.ID), p.Player.Currency); err != nil {
			return err
		}
		if p.Reserved, err = l.Balance(ctx, models.PlayerReserved(p.Player.ID), p.Player.Currency); err != nil {
			return err
		}
		if p.Wallet.Minor < 0 {
			if p.BelowZero, err = belowZeroCause(ctx, tx, p.Player.ID, p.Player.Currency); err != nil {
				return err
			}
		}
		if err := tx.Where("player_id = ?", p.Player.ID).Order("id").Find(&p.Accounts).Error; err != nil {
			return err
		}
		if err := tx.Where("player_id = ?", p.Player.ID).Order("id DESC").Limit(PlayerOrdersShown + 1).Find(&p.Orders).Error; err != nil {
			return err
		}
		if len(p.Orders) > PlayerOrdersShown {
			p.Orders, p.MoreOrders = p.Orders[:PlayerOrdersShown], true
		}
		if p.DepositOrderIDs, err = depositOrderIDs(tx, p.Orders); err != nil {
			return err
		}
		if p.RG, err = s.playerRG(ctx, tx, p.Player); err != nil {
			return err
		}
		return tx.Where("player_id = ?", p.Player.ID).Order("id DESC").Find(&p.Notes).Error
	})
	if err != nil {
		return PlayerProfile{}, fmt.Errorf("player profile %d: %w", playerID, err)
	}
	return p, nil
}

// SetPlayerBlocked blocks a player on an operator's word, or unblocks them. A
// blocked player cannot sign in, deposit, add an account or withdraw, and every
// session they had ends at once (SessionVersion). Blocking needs a reason (a
// *models.Problem without one); blocking a blocked player, or unblocking one not
// blocked, changes nothing and writes no audit row, and changed says which it was
// (the player read under its row lock, so of two members blocking at once one
// blocks and the other is told it was done).
func (s *Service) SetPlayerBlocked(ctx context.Context, by staff.Member, playerID int64, blocked bool, reason string) (p models.Player, changed bool, err error) {
	reason = strings.TrimSpace(reason)
	if blocked && reason == "" {
		return models.Player{}, false, models.Problemf("reason", "Say why the player is blocked.")
	}
	if utf8.RuneCountInString(reason) > 500 {
		return models.Player{}, false, models.Problemf("reason", "Keep the reason to 500 characters or fewer.")
	}
	err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
		changed = false // a retried transaction starts again
		actor, err := s.actor(ctx, tx, by, staff.ActionBlockPlayer)
		if err != nil {
			return err
		}
		if err := forUpdate(tx).Where("id = ?", playerID).Limit(1).Find(&p).Error; err != nil {
			return err
		}
		if p.ID == 0 {
			return ErrPlayerNotFound
		}
		if p.Blocked == blocked {
			return nil
		}
		if refusal := UnblockRefusal(actor, p); !blocked && refusal != nil {
			return refusal
		}
		if refusal := BlockRefusal(actor, p); blocked && refusal != nil {
			return refusal
		}
		p.Blocked, changed = blocked, true
		event := staff.EventPlayerUnblocked
		if blocked {
			p.SessionVersion++
			event = staff.EventPlayerBlocked
		}
		if err := tx.Model(&models.Player{}).Where("id = ?", p.ID).
			Updates(map[string]any{"blocked": p.Blocked, "session_version": p.SessionVersion}).Error; err != nil {
			return err
		}
		return staff.Record(ctx, tx, s.now().UTC(), staff.Audit{Event: event, PlayerID: p.ID,
			Before: staff.JSON(map[string]any{"blocked": !blocked}), After: staff.JSON(map[string]any{"blocked": blocked}),
			Reason: reason}.By(actor))
	})
	if err != nil {
		return models.Player{}, false, fmt.Errorf("set player %d blocked %t: %w", playerID, blocked, err)
	}
	if changed {
		s.log.LogAttrs(ctx, slog.LevelInfo, "player blocked changed", slog.Int64("player_id", playerID),
			slog.Bool("blocked", blocked), slog.Int64("by", by.ID))
	}
	return p, changed, nil
}

// UnblockRefusal is why the staff member m may not unblock player p, or nil: p
// is their own player account (ownAccount), which another member blocked, and
// lifting a block of one's own account is the conflict of interest that keeps
// them from deciding their own payouts. SetPlayerBlocked refuses with it and
// writes nothing; the player's page shows it in place of the unblock form.
func UnblockRefusal(m staff.Member, p models.Player) *models.Problem {
	return ownAccountRefusal(m, p, msgOwnAccountUnblock)
}

// msgOwnAccountUnblock refuses the unblocking of a member's own player account.
const msgOwnAccountUnblock = "You cannot unblock this player: it is the player account with your email address. " +
	"Another member must decide it."

// BlockRefusal is why the staff member m may not block player p, or nil: p is
// their own player account (ownAccount). A block decides whether the player may
// sign in, deposit and be paid out, and whether their waiting payouts may be
// approved; a member's own account is for another member to decide, either
// way. SetPlayerBlocked refuses with it and writes nothing; the player's page
// shows it in place of the block form.
func BlockRefusal(m staff.Member, p models.Player) *models.Problem {
	return ownAccountRefusal(m, p, msgOwnAccountBlock)
}

// msgOwnAccountBlock refuses the blocking of a member's own player account.
const msgOwnAccountBlock = "You cannot block this player: it is the player account with your email address. " +
	"Another member must decide it."

// NoteRefusal is why the staff member m may not write a note about player p, or
// nil: p is their own player account (ownAccount). Notes are what other
// members read before they decide about the player (a payout, a block, a
// flag), so a member's own would speak for themselves. AddPlayerNote refuses
// with it and writes nothing; the player's page shows it in place of the note
// form.
func NoteRefusal(m staff.Member, p models.Player) *models.Problem {
	return ownAccountRefusal(m, p, msgOwnAccountNote)
}

// msgOwnAccountNote refuses a note about a member's own player account.
const msgOwnAccountNote = "You cannot write a note about this player: it is the player account with your email address. " +
	"Another member must write it."

// ResolveRefusal is why the staff member m may not resolve a flag about player
// p (a flagged order of theirs, a flagged deposit-limit raise), or nil: p is
// their own player account (ownAccount). A flag asks another pair of eyes to
// look; resolving one's own is the conflict of interest that keeps a member
// from deciding their own payouts. The resolutions refuse with it and write
// nothing; the order page and the flagged list show it in place of the forms.
func ResolveRefusal(m staff.Member, p models.Player) *models.Problem {
	return ownAccountRefusal(m, p, msgOwnAccountResolve)
}

// msgOwnAccountResolve refuses the resolution of a flag about a member's own
// player account.
const msgOwnAccountResolve = "You cannot resolve this flag: it is about the player account with your email address. " +
	"Another member must resolve it."

// AddPlayerNote adds a note about a player; notes are never changed or removed.
// A member's note about their own player account is refused (NoteRefusal).
func (s *Service) AddPlayerNote(ctx context.Context, by staff.Member, playerID int64, text string) (staff.Note, error) {
	text = strings.TrimSpace(text)
	if err := checkNote(text); err != nil {
		return staff.Note{}, err
	}
	var note staff.Note
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error {
		actor, err := s.actor(ctx, tx, by, staff.ActionBlockPlayer)
		if err != nil {
			return err
		}
		var player models.Player
		if err := tx.Model(&models.Player{}).Select("id", "email").Where("id = ?", playerID).Limit(1).Find(&player).Error; err != nil {
			return err
		}
		if player.ID == 0 {
			return ErrPlayerNotFound
		}
		if refusal := NoteRefusal(actor, player); refusal != nil {
			return refusal
		}
		now := s.now().UTC()
		note = staff.Note{PlayerID: playerID, StaffID: actor.ID, StaffEmail: actor.Email, Text: text, At: now}
		if err := tx.Create(&note).Error; err != nil {
			return err
		}
		return staff.Record(ctx, tx, now, staff.Audit{Event: staff.EventPlayerNote, PlayerID: playerID,
			After: staff.JSON(map[string]any{"note_id": note.ID}), Reason: text}.By(actor))
	})
	if err != nil {
		return staff.Note{}, fmt.Errorf("note on player %d: %w", playerID, err)
	}
	return note, nil
}

func checkNote(text string) error {
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return models.Problemf("note", "Write a note.")
	case n > maxNote:
		return models.Problemf("note", fmt.Sprintf("Keep the note to %d characters or fewer.", maxNote))
	}
	return nil
}

// refuseBlocked returns a *models.Problem when the player is blocked, read from
// the database rather than from the caller's copy.
func (s *Service) refuseBlocked(ctx context.Context, player models.Player) error {
	blocked, err := playerBlocked(s.db.WithContext(ctx), player.ID)
	if err != nil {
		return err
	}
	if player.Blocked || blocked {
		return PlayerBlocked()
	}
	return nil
}

// playerBlocked reads whether staff blocked the player (models.Player.Blocked) on
// db, which may be a transaction locking the row (forUpdate); a player not found
// is not blocked.
func playerBlocked(db *gorm.DB, playerID int64) (bool, error) {
	var blocked []bool
	if err := db.Model(&models.Player{}).Where("id = ?", playerID).Limit(1).Pluck("blocked", &blocked).Error; err != nil {
		return false, fmt.Errorf("player %d blocked: %w", playerID, err)
	}
	return len(blocked) == 1 && blocked[0], nil
}

// Flagged is the list staff work through: orders with flags no resolution covers,
// and notifications for orders we do not know, not yet resolved.
type Flagged struct {
	Orders        []TxRow               // newest first
	Notifications []models.Notification // newest first
	Raises        []FlaggedRaise        // deposit-limit raises, newest first
	// Refused are the notifications signed by Trustly and refused for their data
	// (models.RefusedNotification) that no resolution covers (newestRefused),
	// newest first by their first delivery.
	Refused []RefusedRow
	// MoreOrders, MoreNotifications and MoreRaises say that older ones wait beyond
	// the FlaggedShown listed: resolving those listed brings them up, and
	// MoreRefused the same of the refused notifications no resolution covers.
	MoreOrders, MoreNotifications, MoreRaises, MoreRefused bool

	// ResolvedRefused are the refused notifications a resolution covers
	// (resolvedRefused), the latest resolution first, at most
	// ResolvedRefusedShown; MoreResolvedRefused says older ones were resolved
	// too. Those naming no order of ours are shown nowhere else.
	ResolvedRefused     []RefusedRow
	MoreResolvedRefused bool
}

// RefusedRow is a refused notification as staff read it: the Trustly orderid
// and messageid its body names, as far as they read as text ("" otherwise), and
// OrderID, the order whose messageid that is (0 when none of ours).
type RefusedRow struct {
	models.RefusedNotification
	TrustlyOrderID string
	OrderID        int64
	// Resolution is the latest resolution of it, nil when none: on the flagged
	// list, one made before it was delivered again.
	Resolution *staff.Resolution
}

// newestRefused is the query of the refused notifications no resolution covers,
// the newest first, read through idx_refused_notifications_received so that a
// bounded read stays bounded however many were kept. A resolution covers the
// deliveries it saw: the same body delivered again since is still being refused
// (Trustly has not given up on it), so it waits again.
func newestRefused(tx *gorm.DB) *gorm.DB {
	seen := tx.Model(&staff.Resolution{}).Select("1").Where(refusedCovered)
	return tx.Model(&models.RefusedNotification{}).Where("NOT EXISTS (?)", seen).Order("received_at DESC, id DESC")
}

// refusedCovered is when a resolution (flag_resolutions) covers a refused
// notification: it names it, at the deliveries it has now. newestRefused lists
// those none covers, resolvedRefused those one does.
const refusedCovered = "flag_resolutions.refused_notification_id = refused_notifications.id" +
	" AND flag_resolutions.deliveries = refused_notifications.deliveries"

// ResolvedRefusedShown is how many resolved refused notifications the flagged
// list holds at most: the latest resolutions. Older ones are in the audit log.
const ResolvedRefusedShown = 50

// resolvedRefused reads the refused notifications a resolution covers now
// (refusedCovered: the deliveries it saw are all there are, so none waits), the
// latest resolution first, at most limit, with their rows as the waiting ones
// read (refusedRows). One naming no order of ours shows nowhere else but in the
// audit log. They are read through the resolutions' index on
// refused_notification_id, bounded by the refused notifications ever resolved,
// not by the orders'.
func resolvedRefused(tx *gorm.DB, limit int) ([]RefusedRow, error) {
	var refused []models.RefusedNotification
	err := tx.Model(&models.RefusedNotification{}).Select("refused_notifications.*").
		Joins("JOIN flag_resolutions ON " + refusedCovered).Where("flag_resolutions.refused_notification_id > 0").
		Order("flag_resolutions.at DESC, flag_resolutions.id DESC").Limit(limit).Find(&refused).Error
	if err != nil {
		return nil, err
	}
	return refusedRows(tx, refused)
}

// refusedRows reads the Trustly orderid each of refused names from its body, and
// the orders of ours their messageids name, by the orders' unique messageid.
func refusedRows(tx *gorm.DB, refused []models.RefusedNotification) ([]RefusedRow, error) {
	rows := make([]RefusedRow, len(refused))
	var ids []string
	if len(refused) > 0 {
		refusedIDs := make([]int64, len(refused))
		for i, n := range refused {
			refusedIDs[i] = n.ID
		}
		var rs []staff.Resolution
		if err := tx.Where("refused_notification_id IN ?", refusedIDs).Order("id").Find(&rs).Error; err != nil {
			return nil, fmt.Errorf("resolutions of refused notifications: %w", err)
		}
		latest := map[int64]*staff.Resolution{}
		for i := range rs {
			latest[rs[i].RefusedNotificationID] = &rs[i]
		}
		for i, n := range refused {
			rows[i].Resolution = latest[n.ID]
		}
	}
	for i, n := range refused {
		_, _, orderID, messageID := refusedNames([]byte(n.Raw))
		rows[i].RefusedNotification, rows[i].TrustlyOrderID = n, orderID
		if rows[i].MessageID == "" {
			rows[i].MessageID = messageID // a row kept before the column was
		}
		if rows[i].MessageID != "" {
			ids = append(ids, rows[i].MessageID)
		}
	}
	if len(ids) == 0 {
		return rows, nil
	}
	var orders []models.Order
	if err := tx.Model(&models.Order{}).Select("id", "message_id").Where("message_id IN ?", ids).Find(&orders).Error; err != nil {
		return nil, fmt.Errorf("orders of refused notifications: %w", err)
	}
	byMessage := map[string]int64{}
	for _, o := range orders {
		byMessage[o.MessageID] = o.ID
	}
	for i := range rows {
		rows[i].OrderID = byMessage[rows[i].MessageID]
	}
	return rows, nil
}

// FlaggedShown is how many flagged orders, and unmatched notifications, the
// flagged list holds at most.
const FlaggedShown = 200

// FlaggedList reads the unresolved flagged orders and unmatched notifications,
// and the notifications refused for their data, at most FlaggedShown of each,
// the newest, and whether more wait; and the refused notifications resolved, at
// most ResolvedRefusedShown.
func (s *Service) FlaggedList(ctx context.Context, by staff.Member) (Flagged, error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionView); err != nil {
		return Flagged{}, err
	}
	var f Flagged
	var orders []models.Order
	err := readTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := unresolvedOrders(tx).Order("id DESC").Limit(FlaggedShown + 1).Find(&orders).Error; err != nil {
			return err
		}
		if err := unresolvedUnmatched(tx).Order("id DESC").Limit(FlaggedShown + 1).Find(&f.Notifications).Error; err != nil {
			return err
		}
		var refused []models.RefusedNotification
		if err := newestRefused(tx).Limit(FlaggedShown + 1).Find(&refused).Error; err != nil {
			return err
		}
		if f.MoreRefused = len(refused) > FlaggedShown; f.MoreRefused {
			refused = refused[:FlaggedShown]
		}
		var err error
		if f.Refused, err = refusedRows(tx, refused); err != nil {
			return err
		}
		if f.Raises, err = flaggedRaises(tx, FlaggedShown+1); err != nil {
			return err
		}
		// The refused notifications resolved, apart from those waiting.
		if f.ResolvedRefused, err = resolvedRefused(tx, ResolvedRefusedShown+1); err != nil {
			return err
		}
		if f.MoreResolvedRefused = len(f.ResolvedRefused) > ResolvedRefusedShown; f.MoreResolvedRefused {
			f.ResolvedRefused = f.ResolvedRefused[:ResolvedRefusedShown]
		}
		return nil
	})
	if err != nil {
		return Flagged{}, fmt.Errorf("flagged list: %w", err)
	}
	if f.MoreOrders = len(orders) > FlaggedShown; f.MoreOrders {
		orders = orders[:FlaggedShown]
	}
	if f.MoreNotifications = len(f.Notifications) > FlaggedShown; f.MoreNotifications {
		f.Notifications = f.Notifications[:FlaggedShown]
	}
	if f.MoreRaises = len(f.Raises) > FlaggedShown; f.MoreRaises {
		f.Raises = f.Raises[:FlaggedShown]
	}
	if f.Orders, err = s.withEmails(ctx, orders); err != nil {
		return Flagged{}, err
	}
	return f, nil
}

// unresolvedOrders is the query of orders with a flag no resolution covers: the
// flagged list's orders, read through idx_orders_flagged.
func unresolvedOrders(tx *gorm.DB) *gorm.DB {
	resolved := tx.Model(&staff.Resolution{}).Select("1").
		Where("flag_resolutions.order_id = orders.id AND flag_resolutions.flag = orders.flag")
	return tx.Model(&models.Order{}).Where("flag <> ''").Where("NOT EXISTS (?)", resolved)
}

// unresolvedUnmatched is the query of notifications stored for an order we do
// not know that no resolution covers: the flagged list's notifications, read
// through idx_notifications_unmatched. A resolution covers the flag it saw, as an
// order's does: another body refused under the notificationid since
// (Service.known) brings it back.
func unresolvedUnmatched(tx *gorm.DB) *gorm.DB {
	seen := tx.Model(&staff.Resolution{}).Select("1").
		Where("flag_resolutions.notification_id = notifications.id AND flag_resolutions.flag = notifications.flag")
	return tx.Model(&models.Notification{}).Where("order_id IS NULL").Where("NOT EXISTS (?)", seen)
}

// ResolveOrderFlags records that staff looked at an order's flags, with a note.
// The resolution covers the flags the order has now. An order without flags, or
// whose flags are resolved already, is a *models.Problem.
func (s *Service) ResolveOrderFlags(ctx context.Context, by staff.Member, orderID int64, note string) (staff.Resolution, error) {
	return s.resolve(ctx, by, note, func(tx *gorm.DB, r *staff.Resolution) (int64, error) {
		var order models.Order
		if err := forUpdate(tx).Where("id = ?", orderID).Limit(1).Find(&order).Error; err != nil {
			return 0, err
		}
		if order.ID == 0 {
			return 0, ErrOrderNotFound
		}
		var n int64
		if err := tx.Model(&staff.Resolution{}).Where("order_id = ? AND flag = ?", order.ID, order.Flag).Count(&n).Error; err != nil {
			return 0, err
		}
		if n > 0 && order.Flag != "" {
			return 0, resolvedAlready(tx, fmt.Sprintf("The flags of order %d were", order.ID), "order_id = ? AND flag = ?", order.ID, order.Flag)
		}
		if order.Flag == "" {
			return 0, models.Problemf("", "This order has no flag waiting to be resolved.")
		}
		r.OrderID, r.Flag = order.ID, order.Flag
		return order.PlayerID, nil
	})
}

// ResolveNotification records that staff looked at a notification for an unknown
// order, with a note. One resolved already with the flag it has now, or one whose
// order is known, is a *models.Problem; one whose flag changed since it was
// resolved (another body refused under its notificationid) is resolved again. The notification's row is locked, as an order's and a limit
// change's are, so that of members resolving it at once one writes.
func (s *Service) ResolveNotification(ctx context.Context, by staff.Member, notificationID int64, note string) (staff.Resolution, error) {
	return s.resolve(ctx, by, note, func(tx *gorm.DB, r *staff.Resolution) (int64, error) {
		var n models.Notification
		if err := forUpdate(tx).Where("id = ?", notificationID).Limit(1).Find(&n).Error; err != nil {
			return 0, err
		}
		if n.ID == 0 {
			return 0, ErrNotificationNotFound
		}
		var done int64
		if err := tx.Model(&staff.Resolution{}).Where("notification_id = ? AND flag = ?", n.ID, n.Flag).Count(&done).Error; err != nil {
			return 0, err
		}
		if done > 0 {
			return 0, resolvedAlready(tx, fmt.Sprintf("Notification %d was", n.ID), "notification_id = ? AND flag = ?", n.ID, n.Flag)
		}
		if n.OrderID != nil {
			return 0, models.Problemf("", "This notification has nothing waiting to be resolved.")
		}
		r.NotificationID, r.Flag = n.ID, n.Flag
		return 0, nil
	})
}

// ResolveRefusedNotification records that staff looked at a notification refused
// for its data (models.RefusedNotification), with a note, as a flagged order's
// flags are resolved (staff.ActionResolveFlag). The resolution covers the
// deliveries counted now: one resolved already at that count is refused naming
// who (ErrResolvedAlready); one delivered again since it was resolved is still
// being refused by us, waits again and is resolved again. The row is locked so
// that of members resolving it at once one writes, and a delivery counted at the
// same moment (keepRefused's upsert) comes before or after, never between.
func (s *Service) ResolveRefusedNotification(ctx context.Context, by staff.Member, refusedID int64, note string) (staff.Resolution, error) {
	return s.resolve(ctx, by, note, func(tx *gorm.DB, r *staff.Resolution) (int64, error) {
		var n models.RefusedNotification
		if err := forUpdate(tx).Where("id = ?", refusedID).Limit(1).Find(&n).Error; err != nil {
			return 0, err
		}
		if n.ID == 0 {
			return 0, ErrNotificationNotFound
		}
		var done int64
		if err := tx.Model(&staff.Resolution{}).Where("refused_notification_id = ? AND deliveries = ?", n.ID, n.Deliveries).Count(&done).Error; err != nil {
			return 0, err
		}
		if done > 0 {
			return 0, resolvedAlready(tx, fmt.Sprintf("Refused notification %d was", n.ID), "refused_notification_id = ? AND deliveries = ?", n.ID, n.Deliveries)
		}
		r.RefusedNotificationID, r.Deliveries, r.Flag = n.ID, n.Deliveries, n.Reason
		return 0, nil
	})
}

// resolve writes one resolution that find fills in, with its audit row.
func (s *Service) resolve(ctx context.Context, by staff.Member, note string, find func(tx *gorm.DB, r *staff.Resolution) (playerID int64, err error)) (staff.Resolution, error) {
	note = strings.TrimSpace(note)
	if err := checkNote(note); err != nil {
		return staff.Resolution{}, err
	}
	var r staff.Resolution
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error {
		actor, err := s.actor(ctx, tx, by, staff.ActionResolveFlag)
		if err != nil {
			return err
		}
		playerID, err := find(tx, &r)
		if err != nil {
			return err
		}
		var player models.Player
		if err := tx.Select("id", "email").Where("id = ?", playerID).Limit(1).Find(&player).Error; err != nil {
			return fmt.Errorf("player %d: %w", playerID, err)
		}
		if refusal := ResolveRefusal(actor, player); refusal != nil {
			return refusal
		}
		now := s.now().UTC()
		r.Note, r.StaffID, r.StaffEmail, r.At = note, actor.ID, actor.Email, now
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return staff.Record(ctx, tx, now, staff.Audit{Event: staff.EventFlagResolved, OrderID: r.OrderID, PlayerID: playerID,
			After: staff.JSON(map[string]any{"resolution_id": r.ID, "notification_id": r.NotificationID,
				"limit_change_id": r.LimitChangeID, "refused_notification_id": r.RefusedNotificationID,
				"deliveries": r.Deliveries, "flag": r.Flag}),
			Reason: note}.By(actor))
	})
	var problem *models.Problem
	var already *resolvedError
	switch {
	case errors.As(err, &already) && already.r.StaffID == by.ID && already.r.Note == note:
		// The same member's same note sent again (a double click, a reload of the
		// form's answer): what they asked for is recorded, once.
		return already.r, nil
	case errors.Is(err, ErrResolvedAlready):
		return staff.Resolution{}, err
	case errors.As(err, &problem):
		return staff.Resolution{}, problem
	case err != nil:
		return staff.Resolution{}, fmt.Errorf("resolve: %w", err)
	}
	return r, nil
}
