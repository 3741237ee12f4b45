package cashier

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// approvalHistory is how many of the player's latest orders the queue shows beside
// each payout.
const approvalHistory = 5

// Approval is one payout in the approvals queue, with what staff look at before
// deciding.
type Approval struct {
	Payout
	Player    models.Player
	TwoPerson bool           // two different staff members must approve it
	Approvers []staff.Member // who approved it so far (at most one while it waits)
	History   []models.Order // the player's latest other orders, newest first
	// Refusal is why the member who asked may not approve it (standingRefusal, then
	// approvalRefusal), the sentence ApprovePayout would refuse them with; nil when
	// they may.
	Refusal *models.Problem
	// DenyRefusal is why they may not deny it (denyRefusal), the sentence
	// DenyPayout would refuse them with; nil when they may.
	DenyRefusal *models.Problem
	// BelowZero is the order whose booking last took the player's wallet below
	// zero, or deeper (belowZeroCauses): a deposit the bank returned, or a payout
	// or refund paid after its cancel had given the money back; nil when the
	// wallet is not below zero, or no such booking is known.
	BelowZero *models.Order
}

// ApprovalQueue lists the payouts waiting for staff, oldest first, for a member
// who may view the back office. It reads the same few statements however many
// payouts wait: their players, histories, approvals, approvers, wallets and the
// credential changes between the member and the approvers are each read for all
// of them at once (TestApprovalQueueStatements).
func (s *Service) ApprovalQueue(ctx context.Context, by staff.Member) ([]Approval, error) {
	m, err := s.actor(ctx, s.db, by, staff.ActionView)
	if err != nil {
		return nil, err
	}
	payouts, err := s.PayoutsAwaitingApproval(ctx, m)
	if err != nil {
		return nil, err
	}
	out := make([]Approval, 0, len(payouts))
	if len(payouts) == 0 {
		return out, nil
	}
	db := s.db.WithContext(ctx)
	var playerIDs, orderIDs []int64
	wallets := make([]models.LedgerAccount, 0, len(payouts))
	for _, p := range payouts {
		if !slices.Contains(playerIDs, p.Order.PlayerID) {
			playerIDs = append(playerIDs, p.Order.PlayerID)
			wallets = append(wallets, models.PlayerWallet(p.Order.PlayerID))
		}
		orderIDs = append(orderIDs, p.Order.ID)
	}
	var players []models.Player
	if err := db.Where("id IN ?", playerIDs).Find(&players).Error; err != nil {
		return nil, fmt.Errorf("approval queue: players: %w", err)
	}
	byID := make(map[int64]models.Player, len(players))
	for _, p := range players {
		byID[p.ID] = p
	}
	// One statement for every wallet in the queue, not one a payout.
	balances, err := ledger.New(s.db).Balances(ctx, wallets)
	if err != nil {
		return nil, fmt.Errorf("approval queue: %w", err)
	}
	// The causes of wallets below zero, in two statements for all of them, and
	// none while no wallet is below zero.
	var below []belowZeroKey
	for _, p := range payouts {
		k := belowZeroKey{p.Order.PlayerID, p.Order.Amount.Currency}
		if balances[models.PlayerWallet(k.PlayerID)][k.Currency].Minor < 0 && !slices.Contains(below, k) {
			below = append(below, k)
		}
	}
	causes, err := belowZeroCauses(ctx, s.db, below)
	if err != nil {
		return nil, fmt.Errorf("approval queue: %w", err)
	}
	histories, err := latestOrders(db, playerIDs, approvalHistory+1)
	if err != nil {
		return nil, fmt.Errorf("approval queue: %w", err)
	}
	prior, members, err := approvalsOf(db, orderIDs)
	if err != nil {
		return nil, fmt.Errorf("approval queue: %w", err)
	}
	var approverIDs []int64
	for _, m := range members {
		approverIDs = append(approverIDs, m.ID)
	}
	now := s.now()
	changes, err := takenOver(db, m, approverIDs, now)
	if err != nil {
		return nil, fmt.Errorf("approval queue: %w", err)
	}
	for _, p := range payouts {
		a := Approval{Payout: p, TwoPerson: s.NeedsTwoApprovals(p.Order), Player: byID[p.Order.PlayerID]}
		if a.Player.ID == 0 {
			return nil, fmt.Errorf("approval queue: player %d of payout %d: %w", p.Order.PlayerID, p.Order.ID, ErrPlayerNotFound)
		}
		a.DenyRefusal = denyRefusal(m, a.Player)
		wallet := models.PlayerWallet(p.Order.PlayerID)
		balance := balances[wallet][p.Order.Amount.Currency]
		if balance.Minor < 0 {
			a.BelowZero = causes[belowZeroKey{p.Order.PlayerID, p.Order.Amount.Currency}]
		}
		a.Refusal = standingRefusal(a.Player.Blocked, balance, a.BelowZero, p.Account)
		a.History = otherOrders(histories[p.Order.PlayerID], p.Order.ID, approvalHistory)
		for _, v := range prior[p.Order.ID] {
			a.Approvers = append(a.Approvers, members[v.StaffID])
		}
		slices.SortFunc(a.Approvers, func(x, y staff.Member) int { return cmp.Compare(x.ID, y.ID) })
		if a.Refusal == nil {
			_, a.Refusal = s.refuseApproval(m, a.Player, p.Order, prior[p.Order.ID], changes)
		}
		out = append(out, a)
	}
	return out, nil
}

// latestOrders returns the latest n orders of each of the players, newest first,
// in one statement that reads at most n rows a player however long their history.
func latestOrders(db *gorm.DB, playerIDs []int64, n int) (map[int64][]models.Order, error) {
	numbered := db.Model(&models.Order{}).
		Select("orders.*, ROW_NUMBER() OVER (PARTITION BY player_id ORDER BY created_at DESC, id DESC) AS nth").
		Where("player_id IN ?", playerIDs)
	var orders []models.Order
	err := db.Table("(?) AS latest", numbered).Where("nth <= ?", n).Order("player_id, created_at DESC, id DESC").
		Find(&orders).Error
	if err != nil {
		return nil, fmt.Errorf("latest orders of %d players: %w", len(playerIDs), err)
	}
	out := make(map[int64][]models.Order, len(playerIDs))
	for _, o := range orders {
		out[o.PlayerID] = append(out[o.PlayerID], o)
	}
	return out, nil
}

// otherOrders is latest, a player's latest orders newest first, without the order
// id and cut to n: of n+1 of them, n are always left.
func otherOrders(latest []models.Order, id int64, n int) []models.Order {
	out := make([]models.Order, 0, n)
	for _, o := range latest {
		if o.ID != id && len(out) < n {
			out = append(out, o)
		}
	}
	return out
}

// approvalsOf returns the approvals of the payouts orderIDs so far that count
// (approvalCounts), by order, and the staff members who gave them, by id: two
// statements however many payouts.
func approvalsOf(db *gorm.DB, orderIDs []int64) (map[int64][]staff.Approval, map[int64]staff.Member, error) {
	var rows []staff.Approval
	if err := db.Where("order_id IN ?", orderIDs).Order("id").Find(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("approvals of %d payouts: %w", len(orderIDs), err)
	}
	var staffIDs []int64
	for _, a := range rows {
		if !slices.Contains(staffIDs, a.StaffID) {
			staffIDs = append(staffIDs, a.StaffID)
		}
	}
	members, err := membersByID(db, staffIDs)
	if err != nil {
		return nil, nil, fmt.Errorf("approvers of %d payouts: %w", len(orderIDs), err)
	}
	byOrder := map[int64][]staff.Approval{}
	for _, a := range rows {
		if m, ok := members[a.StaffID]; ok && approvalCounts(m) {
			byOrder[a.OrderID] = append(byOrder[a.OrderID], a)
		} else {
			delete(members, a.StaffID)
		}
	}
	return byOrder, members, nil
}

// approvalCounts reports whether an approval the staff member m gave still
// counts as one of a payout's two: while m may decide payouts, enabled and with a
// role that may. A member disabled since, or made a viewer, has no say any more,
// and their approval waiting beside a payout is no longer one of two people's;
// it counts again if they may decide again.
func approvalCounts(m staff.Member) bool {
	return !m.Disabled && staff.Can(m.Role, staff.ActionDecidePayout)
}

// membersByID reads the staff members ids names, by id, in one statement (none
// for no ids); an id no member has is left out.
func membersByID(db *gorm.DB, ids []int64) (map[int64]staff.Member, error) {
	members := make(map[int64]staff.Member, len(ids))
	if len(ids) == 0 {
		return members, nil
	}
	var found []staff.Member
	if err := db.Where("id IN ?", ids).Find(&found).Error; err != nil {
		return nil, err
	}
	for _, m := range found {
		members[m.ID] = m
	}
	return members, nil
}

// approvers are the staff members who approved the payout orderID so far, which
// one that needs two approvals keeps while it waits for the second, and whose
// approvals count (approvalCounts, as approvalsOf reads them), by id.
func approvers(tx *gorm.DB, orderID int64) ([]staff.Member, error) {
	_, members, err := approvalsOf(tx, []int64{orderID})
	if err != nil {
		return nil, err
	}
	out := slices.Collect(maps.Values(members))
	slices.SortFunc(out, func(a, b staff.Member) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// PayoutForStaff returns any player's payout, for a member who may view the back
// office; ErrOrderNotFound when there is none.
func (s *Service) PayoutForStaff(ctx context.Context, by staff.Member, orderID int64) (Payout, error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionView); err != nil {
		return Payout{}, err
	}
	var order models.Order
	err := s.db.WithContext(ctx).Where("id = ? AND kind = ?", orderID, models.OrderPayout).Limit(1).Find(&order).Error
	switch {
	case err != nil:
		return Payout{}, fmt.Errorf("payout %d: %w", orderID, err)
	case order.ID == 0:
		return Payout{}, fmt.Errorf("payout %d: %w", orderID, ErrOrderNotFound)
	}
	out, err := withAccounts(ctx, s.db, []models.Order{order})
	if err != nil {
		return Payout{}, err
	}
	return out[0], nil
}

// credentialWindow is how long a staff account created, a temporary password or a
// reset second factor set by one staff member keeps the member it was set for
// from being the other half of a two-person approval with them (takenOver).
//
// Why a time and not "until the member changed their password themselves": the
// audit does record a member's own change (staff.password_changed, by the member),
// but a temporary password obliges whoever signs in with it to choose a new one
// before any other page (Member.MustChangePassword), so an owner signing in as
// the member makes exactly that change, under the member's name. Nothing recorded
// tells the member's own change from the impostor's. What the data does support is
// when the reset was: a day in which the real member, whose sessions the reset
// ended and whose password no longer works, has come back and noticed. An
// account an owner creates is the same: the owner typed its first password, and
// a day is when the new member has signed in and taken it over.
const credentialWindow = 24 * time.Hour

// Why a member may not approve a payout (approvalRefusal), in English as the whole
// back office is.
const (
	// msgApproverTakenOver and msgApproverTookOver refuse a second approval by a
	// member whose password or second factor the first approver reset shortly
	// before, or who reset the first approver's (takenOver).
	msgApproverTakenOver = "You cannot give the second approval of this payout: the staff member who gave the first " +
		"approval reset your password or second factor in the last 24 hours. Another member must approve it."
	msgApproverTookOver = "You cannot give the second approval of this payout: you reset the password or second factor " +
		"of the staff member who gave the first approval in the last 24 hours. Another member must approve it."
	// msgApproverCreatedBy and msgApproverCreated refuse it to a member whose
	// account the first approver created shortly before, or who created the first
	// approver's (takenOver).
	msgApproverCreatedBy = "You cannot give the second approval of this payout: the staff member who gave the first " +
		"approval created your staff account in the last 24 hours. Another member must approve it."
	msgApproverCreated = "You cannot give the second approval of this payout: you created the staff account of the " +
		"staff member who gave the first approval in the last 24 hours. Another member must approve it."
	// msgApproverEnabledBy and msgApproverEnabled refuse it to a member whose
	// account the first approver enabled shortly before, or who enabled the first
	// approver's (takenOver).
	msgApproverEnabledBy = "You cannot give the second approval of this payout: the staff member who gave the first " +
		"approval enabled your staff account in the last 24 hours. Another member must approve it."
	msgApproverEnabled = "You cannot give the second approval of this payout: you enabled the staff account of the " +
		"staff member who gave the first approval in the last 24 hours. Another member must approve it."
	// msgOwnAccount refuses any approval by a member whose email is the player's
	// (ownAccount).
	msgOwnAccount = "You cannot approve this payout: it is to the player account with your email address. " +
		"Another member must approve it."
	// msgOwnAccountDeny refuses any denial by a member whose email is the player's
	// (denyRefusal).
	msgOwnAccountDeny = "You cannot deny this payout: it is to the player account with your email address. " +
		"Another member must decide it."
)

// standingRefusal is why no staff member may approve a payout now, whoever asks:
// its player was blocked since asking (blocked), their wallet in the payout's
// currency is below zero (balance; cause, the order that took it there, named
// when known: belowZeroProblem), or its bank account was removed or a payout to
// it failed at the bank (account).
// It is the *models.Problem ApprovePayout refuses with, from these three read
// under locks, before asking who approves (approvalRefusal); the approvals queue
// and the payout's order page, which read them too, show the same sentence in
// place of the approve button rather than after it is pressed.
func standingRefusal(blocked bool, balance models.Money, cause *models.Order, account models.BankAccount) *models.Problem {
	switch {
	case blocked:
		return models.ProblemT("", "problem.payout_approve_blocked", msgApproveBlocked)
	case balance.Minor < 0:
		return belowZeroProblem("problem.payout_approve_negative", cause)
	case account.Removed || account.PayoutFailure != "":
		return models.ProblemT("", "problem.payout_approve_account", msgApproveAccount)
	}
	return nil
}

// denyRefusal is why the staff member m may not deny a payout of player: it is to
// their own player account (ownAccount): deciding about one's own money either
// way is the conflict of interest that keeps them from approving it.
// DenyPayout refuses with it and the pages show it in place of the deny button;
// nil when m may.
func denyRefusal(m staff.Member, p models.Player) *models.Problem {
	return ownAccountRefusal(m, p, msgOwnAccountDeny)
}

// approvalRefusal is why the staff member m may not approve the payout o, which
// waits for approval, at now: the *models.Problem ApprovePayout refuses with, or
// nil. The approvals queue and the payout's order page show the same sentence in
// place of the approve button, so that a page never offers an approval the
// service refuses, nor hides one it takes. A member may not approve a payout to
// their own player account (ownAccount), nor, of a payout that needs two
// approvals, give both, or the second when one of them reset the other's
// credentials shortly before (takenOver). first are the members who approved o
// before, which ApprovePayout records the approval beside.
func (s *Service) approvalRefusal(tx *gorm.DB, m staff.Member, o models.Order, now time.Time) (first []int64, refusal *models.Problem, err error) {
	var player models.Player
	if err := tx.Select("id", "email").Where("id = ?", o.PlayerID).Take(&player).Error; err != nil {
		return nil, nil, fmt.Errorf("player %d of payout %d: %w", o.PlayerID, o.ID, err)
	}
	var prior []staff.Approval
	if s.NeedsTwoApprovals(o) {
		byOrder, _, err := approvalsOf(tx, []int64{o.ID})
		if err != nil {
			return nil, nil, err
		}
		prior = byOrder[o.ID]
	}
	others := make([]int64, 0, len(prior))
	for _, a := range prior {
		others = append(others, a.StaffID)
	}
	changes, err := takenOver(tx, m, others, now)
	if err != nil {
		return nil, nil, err
	}
	first, refusal = s.refuseApproval(m, player, o, prior, changes)
	return first, refusal, nil
}

// refuseApproval is approvalRefusal's answer from what it read, which the
// approvals queue reads for all its payouts at once: player is o's (their email
// counts), prior the approvals of o so far, and changes the changes of
// credentials (takenOver) between m and at least the members who gave them. It
// returns the members who approved before, or why m may not approve.
func (s *Service) refuseApproval(m staff.Member, player models.Player, o models.Order, prior []staff.Approval, changes []staff.Audit) (first []int64, refusal *models.Problem) {
	if ownAccount(m, player) {
		return nil, models.Problemf("", msgOwnAccount)
	}
	if !s.NeedsTwoApprovals(o) {
		return nil, nil
	}
	first = make([]int64, 0, len(prior))
	for _, a := range prior {
		if a.StaffID == m.ID {
			return nil, models.ProblemT("", "problem.second_approver", msgSecondApprover)
		}
		first = append(first, a.StaffID)
	}
	// One person with another's password and second factor is not two.
	for _, c := range changes {
		if c.SubjectID == m.ID && slices.Contains(first, c.StaffID) || c.StaffID == m.ID && slices.Contains(first, c.SubjectID) {
			return nil, takeoverRefusal(m, c)
		}
	}
	return first, nil
}

// takeoverRefusal is the sentence refusing m the second approval for the change
// of credentials c (one of takenOver's): it says who made it, m or the first
// approver, and whether it was the account's creation or a reset.
func takeoverRefusal(m staff.Member, c staff.Audit) *models.Problem {
	byM := c.StaffID == m.ID
	switch {
	case c.Event == staff.EventStaffCreated && byM:
		return models.Problemf("", msgApproverCreated)
	case c.Event == staff.EventStaffCreated:
		return models.Problemf("", msgApproverCreatedBy)
	case c.Event == staff.EventStaffEnabled && byM:
		return models.Problemf("", msgApproverEnabled)
	case c.Event == staff.EventStaffEnabled:
		return models.Problemf("", msgApproverEnabledBy)
	case byM:
		return models.Problemf("", msgApproverTookOver)
	}
	return models.Problemf("", msgApproverTakenOver)
}

// ownAccount reports whether the staff member m is, as far as the records link
// them, the player p: nothing links staff to players but the email, compared
// trimmed and in any case. A Pay N Play player may have none, which is nobody's.
func ownAccount(m staff.Member, p models.Player) bool {
	email := models.NormalEmail(p.Email)
	return email != "" && email == models.NormalEmail(m.Email)
}

// ownAccountRefusal is the sentence msg, refusing the staff member m a decision
// about player p, when p is their own player account (ownAccount); nil when it is
// not. Each decision about a member's own money or signals refuses with it
// (denyRefusal, RefundRefusal, ReturnRefusal, BlockRefusal, UnblockRefusal,
// NoteRefusal, ResolveRefusal), in its own words.
func ownAccountRefusal(m staff.Member, p models.Player, msg string) *models.Problem {
	if ownAccount(m, p) {
		return models.Problemf("", msg)
	}
	return nil
}

// takenOver returns the changes of credentials between the member m, approving,
// and first, who approved before, oldest first: within credentialWindow before
// now, one of first created m's account, set a temporary password for m or reset
// m's second factor, or m did so to one of first (who then signed in as them and
// approved first); none when neither did, so the approval of m is another
// person's. Read from the append-only audit, which records each with its author
// (StaffID) and subject. An account added from the command line is the system's
// (StaffID 0), nobody's, and so never one of these.
func takenOver(tx *gorm.DB, m staff.Member, first []int64, now time.Time) (changes []staff.Audit, err error) {
	if len(first) == 0 {
		return nil, nil
	}
	err = tx.Select("id", "staff_id", "subject_id", "event").
		Where("event IN ? AND at > ?", takeoverEvents, now.Add(-credentialWindow).UTC()).
		Where(tx.Where("staff_id IN ? AND subject_id = ?", first, m.ID).Or("staff_id = ? AND subject_id IN ?", m.ID, first)).
		Order("id").Find(&changes).Error
	if err != nil {
		return nil, fmt.Errorf("credential changes between staff %d and %v: %w", m.ID, first, err)
	}
	return changes, nil
}

// takeoverEvents are the audit events after which their author knows the
// subject's credentials (takenOver): the account's creation, with the password
// its author typed, and the two resets.
//
// Enabling an account is one too: a reset made while the subject was disabled is
// a day old by the time they can sign in and notice it, so the day counts from
// the enabling as well (an owner resets a disabled member, waits the day out,
// enables them and signs in as them).
var takeoverEvents = []staff.Event{staff.EventStaffCreated, staff.EventPasswordReset, staff.EventTOTPReset, staff.EventStaffEnabled}
