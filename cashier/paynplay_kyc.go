package cashier

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Rules of the kyc decision that only the cashier can check (the others are in
// cashier/paynplay). Their values are stored with orders and never change.
const (
	ruleNotPayNPlay     paynplay.Rule = "not-pay-n-play"     // a kyc for an order that did not ask for one → FINISH, not stored (applyKYC)
	ruleEndUserMismatch paynplay.Rule = "enduserid-mismatch" // the kyc names another enduserid than the order sent → FINISH
	ruleWalletCurrency  paynplay.Rule = "wallet-currency"    // the player's wallet is in another currency than the deposit → FINISH
)

// The sentences of the cashier's own kyc refusals, in English and as message ids.
const msgWalletCurrency = "Your bank account is in another country than the one you chose here. Please choose your country and try again. No money was moved."

var (
	textWalletCurrency = models.Text{ID: "kyc." + string(ruleWalletCurrency)}
	textPayNPlayEnded  = models.Text{ID: "kyc.ended"}
)

// errKYCStale means what a kyc decision was taken on changed before its write
// transaction: another kyc created or linked the player meanwhile. The decision is
// taken again on fresh data.
var errKYCStale = errors.New("kyc decision taken on stale data")

// kycTries bounds how often HandleNotification takes a kyc decision again after
// errKYCStale.
const kycTries = 4

// kycPrep is a kyc decision taken before the write lock, and what it was taken on,
// which the write transaction checks again.
type kycPrep struct {
	orderID  int64
	playerID int64 // the order's PlayerID when read
	knownID  int64 // the player the identity belonged to when read; 0 for none
	decision paynplay.Decision
	stored   bool // the order had a decision already: it is answered again, unchanged
	// allowance is what the decision read of the deposit limits (nil when it read
	// nothing), read again in the transaction that stores it (applyKYC).
	allowance *allowanceRead
	// otherPerson, of a kyc for an order decided before, says how it names
	// another person than the one the order's CONTINUE gave it to ("" when it
	// does not): it is answered FINISH, not the stored CONTINUE (otherPerson).
	otherPerson string
}

// otherPerson says how kyc d, for an order whose kyc said CONTINUE before and gave
// it a player, names another person than that player ("" when it names them, or
// nothing readable): another personid, or, without one (NL, whose kycentityid may
// change), other names or another date of birth. Trustly sends one kyc per order;
// a second one about someone else must not be let on with the first one's
// CONTINUE, which would let that person's money into the first one's wallet.
func otherPerson(db *gorm.DB, order models.Order, d *trustly.KYCData) (string, error) {
	if order.KYCOutcome != models.KYCContinue || order.PlayerID == 0 {
		return "", nil
	}
	id, err := paynplay.ParseIdentity(paynplay.FromKYC(d))
	if err != nil {
		return "", nil
	}
	var p models.Player
	if err := db.Select("id", "person_id", "first_name", "last_name", "date_of_birth").Where("id = ?", order.PlayerID).
		Take(&p).Error; err != nil {
		return "", fmt.Errorf("player %d: %w", order.PlayerID, err)
	}
	switch {
	case !id.PersonID.IsZero() && id.PersonID.String() != p.PersonID:
		return fmt.Sprintf("personid %.32q, not player %d's", id.PersonID.String(), p.ID), nil
	case id.PersonID.IsZero() && (models.NameKey(id.FirstName, id.LastName) != models.NameKey(p.FirstName, p.LastName) || id.DOB != p.DateOfBirth):
		return fmt.Sprintf("%.64q born %s, not player %d", id.FirstName+" "+id.LastName, id.DOB, p.ID), nil
	}
	return "", nil
}

// allowanceRead is one paynplay.Limits call of a kyc decision and its answer.
type allowanceRead struct {
	inner    paynplay.Limits
	who      paynplay.Depositor
	currency string
	answer   paynplay.Allowance
	called   bool
}

// DepositAllowance asks inner and keeps the question and the answer.
func (a *allowanceRead) DepositAllowance(ctx context.Context, who paynplay.Depositor, currency string) (paynplay.Allowance, error) {
	answer, err := a.inner.DepositAllowance(ctx, who, currency)
	if err == nil {
		a.who, a.currency, a.answer, a.called = who, currency, answer, true
	}
	return answer, err
}

// limitsIn is a paynplay.Limits that can also answer inside a transaction:
// limits.Service.
type limitsIn interface {
	DepositAllowanceIn(ctx context.Context, tx *gorm.DB, who paynplay.Depositor, currency string) (paynplay.Allowance, error)
}

// stillAllowed reports whether the deposit limits, read in tx, still leave what
// the decision read: two kyc decisions for one player taken at the same time
// each saw the whole of what was left, and the second to be stored must be taken
// again. A Limits that cannot read in a transaction is not asked again.
func (a *allowanceRead) stillAllowed(ctx context.Context, tx *gorm.DB) (bool, error) {
	in, ok := a.inner.(limitsIn)
	if !a.called || !ok {
		return true, nil
	}
	now, err := in.DepositAllowanceIn(ctx, tx, a.who, a.currency)
	if err != nil {
		return false, err
	}
	return now.Same(a.answer), nil
}

// answer is the kyc answer to sign: FINISH when the order is unknown.
func (p *kycPrep) answer() trustly.Answer {
	if p == nil {
		return trustly.Answer{Status: trustly.StatusFinish}
	}
	return p.decision.Answer()
}

// prepareKYC takes the kyc decision outside any write lock: the register may take
// up to its timeout while the player waits in the checkout, and must never hold up
// SQLite's writer. It reads the order (nil prep when unknown), the player who
// started it and the player the identity belongs to, and runs paynplay's Rules. An
// order decided before gets its stored decision again.
func (s *Service) prepareKYC(ctx context.Context, n *trustly.Notification, d *trustly.KYCData) (*kycPrep, error) {
	var order models.Order
	db := s.db.WithContext(ctx)
	if err := db.Where("trustly_order_id = ?", n.OrderID()).Limit(1).Find(&order).Error; err != nil {
		return nil, err
	}
	if order.ID == 0 && d.MessageID != "" {
		if err := db.Where("message_id = ? AND trustly_order_id IN ?", d.MessageID, []string{"", n.OrderID()}).
			Limit(1).Find(&order).Error; err != nil {
			return nil, err
		}
	}
	if order.ID == 0 {
		return nil, nil
	}
	prep := &kycPrep{orderID: order.ID, playerID: order.PlayerID}
	// The player reads these two as the checkout's end: they are ours to fix.
	finish := func(rule paynplay.Rule, detail string) *kycPrep {
		prep.decision = paynplay.Decision{Outcome: paynplay.Finish, Message: msgPayNPlayEnded, Text: textPayNPlayEnded,
			Reasons: []paynplay.Reason{{Rule: rule, Detail: detail}}}
		return prep
	}
	if order.Kind != models.OrderDeposit || !order.PayNPlay {
		// Answered FINISH and never stored on the order (applyKYC).
		return finish(ruleNotPayNPlay, fmt.Sprintf("a %s order sent without RequestKYC", order.Kind)), nil
	}
	if order.KYCAt != nil {
		prep.stored = true
		prep.decision = storedDecision(order)
		other, err := otherPerson(db, order, d)
		if err != nil {
			return nil, err
		}
		prep.otherPerson = other
		return prep, nil
	}
	if order.EndUserID != "" && d.EndUserID != order.EndUserID {
		return finish(ruleEndUserMismatch, fmt.Sprintf("kyc enduserid %.64q", d.EndUserID)), nil
	}

	in := paynplay.Input{KYC: paynplay.FromKYC(d), Amount: order.Amount, Currency: order.Amount.Currency, LoginOnly: order.LoginOnly}
	var started, known *models.Player
	var bankPerson string // the identity number of a person no player here has
	if order.PlayerID != 0 {
		var p models.Player
		if err := db.Where("id = ?", order.PlayerID).Take(&p).Error; err != nil {
			return nil, fmt.Errorf("player %d: %w", order.PlayerID, err)
		}
		started = &p
		if in.Started, _ = s.decisionPlayer(ctx, p); in.Started == nil {
			return nil, fmt.Errorf("wallet of player %d unreadable", p.ID)
		}
	}
	if id, err := paynplay.ParseIdentity(in.KYC); err == nil {
		if known, err = findKnown(db, id); err != nil {
			return nil, err
		}
		if known != nil {
			prep.knownID = known.ID
			if in.Known, err = s.decisionPlayer(ctx, *known); err != nil {
				return nil, err
			}
			// A login of a player the register excludes opens a withdraw-only
			// session while they have money here (paynplay.RuleWithdrawOnly).
			if order.LoginOnly {
				if in.Known.MoneyLeft, err = s.moneyLeft(ctx, *known); err != nil {
					return nil, err
				}
			}
		}
		if known == nil && started == nil {
			alike, err := lookalikes(db, id)
			if err != nil {
				return nil, err
			}
			for _, p := range alike {
				dp, err := s.decisionPlayer(ctx, p)
				if err != nil {
					return nil, err
				}
				in.Lookalikes = append(in.Lookalikes, dp)
			}
		}
		if known == nil {
			bankPerson = id.PersonID.String()
		}
	}
	rules := s.rules
	prep.allowance = &allowanceRead{inner: rules.Limits}
	if rules.Limits != nil {
		rules.Limits = prep.allowance
	}
	prep.decision = rules.Decide(ctx, in)
	if prep.decision.Outcome == paynplay.Continue && !order.LoginOnly && bankPerson != "" {
		// A person no player here has by their kyc may be one a bank account of a
		// password player named (twinOnBreak): that account's break holds this
		// deposit, as it holds the deposits of every account of the person. A login
		// moves no money, and the account it opens is held by the same rule.
		startedID := int64(0)
		if started != nil {
			startedID = started.ID
		}
		twin, err := twinOnBreak(ctx, db, models.Player{ID: startedID, PersonID: bankPerson}, s.now())
		if err != nil {
			return nil, err
		}
		if twin != 0 {
			problem, d := twinProblem(), &prep.decision
			d.Outcome, d.Limit, d.Message, d.Text = paynplay.Finish, models.Money{}, problem.Message, models.Text{ID: problem.ID, Args: problem.Args}
			d.Reasons = append(d.Reasons, paynplay.Reason{Rule: paynplay.RuleOnBreak,
				Detail: fmt.Sprintf("player %d, another account of the person (a bank account's holder), is on a break", twin)})
		}
	}
	if prep.decision.Outcome == paynplay.Continue && !order.LoginOnly {
		// The money goes to one wallet, in the wallet's currency: the player's, or a
		// new player's of the identity's market.
		target, currency := known, ""
		if target == nil {
			target = started
		}
		if target != nil {
			currency = target.Currency
		} else {
			currency = models.Markets[prep.decision.Identity.Country].Currency
		}
		if currency != order.Amount.Currency {
			d := &prep.decision
			d.Outcome, d.Limit, d.Message, d.Text = paynplay.Finish, models.Money{}, msgWalletCurrency, textWalletCurrency
			d.Reasons = append(d.Reasons, paynplay.Reason{Rule: ruleWalletCurrency,
				Detail: fmt.Sprintf("wallet in %q, deposit in %s", currency, order.Amount.Currency)})
		}
	}
	return prep, nil
}

// decisionPlayer is what the kyc decision knows of p; blocked is blocked by staff
// (models.Player.Blocked) or a wallet below zero (a returned deposit), and OnBreak
// the break from play p took.
func (s *Service) decisionPlayer(ctx context.Context, p models.Player) (*paynplay.Player, error) {
	walletBlocked, err := s.Blocked(ctx, p)
	if err != nil {
		return nil, err
	}
	blocked := p.Blocked || walletBlocked
	onBreak, onBreakText, err := s.onBreak(ctx, p)
	if err != nil {
		return nil, err
	}
	// Another account with p's names and date of birth on a break holds p's
	// deposits too, as it does the deposit form's (refuseTwinOnBreak), with the
	// same sentence.
	var twin int64
	if onBreak == "" {
		if twin, err = twinOnBreak(ctx, s.db, p, s.now()); err != nil {
			return nil, err
		}
		if twin != 0 {
			problem := twinProblem()
			onBreak, onBreakText = problem.Message, models.Text{ID: problem.ID, Args: problem.Args}
		}
	}
	return &paynplay.Player{ID: p.ID, PersonID: p.PersonID, KYCEntityID: p.KYCEntityID, FirstName: p.FirstName,
		LastName: p.LastName, DOB: p.DateOfBirth, Blocked: blocked, OnBreak: onBreak, OnBreakText: onBreakText,
		TwinOnBreak: twin}, nil
}

// findKnown is the player an identity belongs to: by personid in SE, FI and EE; in
// NL, which has none, by kycentityid, a hint the decision checks against the
// player's name and date of birth (and which never matches a player who has a
// personid). nil for a new person.
func findKnown(db *gorm.DB, id paynplay.Identity) (*models.Player, error) {
	var q *gorm.DB
	switch {
	case !id.PersonID.IsZero():
		q = db.Where("person_id = ?", id.PersonID.String())
	case id.KYCEntityID != "":
		q = db.Where("kyc_entity_id = ?", id.KYCEntityID)
	default:
		return nil, nil
	}
	var p models.Player
	if err := q.Order("id").Limit(1).Find(&p).Error; err != nil {
		return nil, fmt.Errorf("find player by identity: %w", err)
	}
	if p.ID == 0 {
		return nil, nil
	}
	return &p, nil
}

// lockIdentity holds, until tx ends, the identity's key (its personid, else its
// kycentityid) against every other kyc transaction that would find or make its
// player: on PostgreSQL a transaction-scoped advisory lock, after which findKnown
// reads what the transaction before it committed. Without it, two kyc at once for
// one new Dutch person (two browsers, two orders) each found no player by the
// kycentityid, which no unique index guards (Trustly warns it may change, and
// lookalikes may share a name), and each made one. A personid has its unique
// index, yet is held alike. SQLite serializes every write transaction already.
func lockIdentity(tx *gorm.DB, id paynplay.Identity) error {
	key := id.PersonID.String()
	if id.PersonID.IsZero() {
		key = id.KYCEntityID
	}
	if key == "" || tx.Dialector.Name() != "postgres" {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "pay n play identity "+key).Error; err != nil {
		return fmt.Errorf("lock the identity's player: %w", err)
	}
	return nil
}

// blockedSince reports whether known (read in tx) or the player with id started
// (0: none), read again in tx, is blocked as the decision reads it
// (decisionPlayer): by staff (playerBlocked), or by a wallet below zero, which a
// debit of a returned deposit may have left while the decision was taken.
func blockedSince(ctx context.Context, tx *gorm.DB, known *models.Player, started int64) (bool, error) {
	var ids []int64
	if known != nil {
		if known.Blocked {
			return true, nil
		}
		ids = append(ids, known.ID)
	}
	if started != 0 && (known == nil || known.ID != started) {
		if blocked, err := playerBlocked(tx, started); err != nil || blocked {
			return blocked, err
		}
		ids = append(ids, started)
	}
	for _, id := range ids {
		var p models.Player
		if err := tx.Select("id", "currency").Where("id = ?", id).Take(&p).Error; err != nil {
			return false, fmt.Errorf("player %d: %w", id, err)
		}
		if below, err := walletBelowZero(ctx, tx, p); err != nil || below {
			return below, err
		}
	}
	return false, nil
}

// onBreakSince reports whether the player known (nil: none) or the one who started
// the deposit order is on a break now, or another account with their names and
// date of birth is (twinOnBreak), read in tx; false for a Pay N Play login, which a
// break does not stop.
func onBreakSince(ctx context.Context, tx *gorm.DB, known *models.Player, order *models.Order, now time.Time) (bool, error) {
	if order.LoginOnly {
		return false, nil
	}
	var players []models.Player
	if known != nil {
		players = append(players, *known)
	}
	if order.PlayerID != 0 && (known == nil || known.ID != order.PlayerID) {
		var p models.Player
		if err := tx.Where("id = ?", order.PlayerID).Take(&p).Error; err != nil {
			return false, fmt.Errorf("player %d: %w", order.PlayerID, err)
		}
		players = append(players, p)
	}
	for _, p := range players {
		if _, on, err := breaks.Current(ctx, tx, p.ID, now); err != nil || on {
			return on, err
		}
		if twin, err := twinOnBreak(ctx, tx, p, now); err != nil || twin != 0 {
			return twin != 0, err
		}
	}
	return false, nil
}

// maxLookalikes bounds how many players the decision reads as lookalikes.
const maxLookalikes = 20

// lookalikes are the players without a personid the kyc decision compares a new
// person with (paynplay.Input.Lookalikes), who may be this person under another
// key: for an identity without a personid (NL), those of its country and date of
// birth under another kycentityid; for one with a personid that no player has yet,
// those of its country and names (models.NameKey) with its date of birth or none
// stored, password players who registered without an identity number (FI asks
// none; SE accounts from before the personnummer was asked). The decision compares
// names and dates of birth as for any player without a personid. They are in id
// order; of more than maxLookalikes, any maxLookalikes.
//
// "No personid" is written
//
//	COALESCE(person_id, '') = ''
//
// since SQLite would read person_id IS NULL through the unique index on
// person_id, every player without one, rather than idx_players_country_dob or
// idx_players_country_name.
func lookalikes(db *gorm.DB, id paynplay.Identity) ([]models.Player, error) {
	q := db.Where("country = ? AND COALESCE(person_id, '') = ''", id.Country)
	switch keys := paynplay.NameKeys(id.FirstName, id.LastName); {
	case id.PersonID.IsZero() && id.DOB != "":
		q = q.Where("date_of_birth = ? AND (kyc_entity_id IS NULL OR kyc_entity_id <> ?)", id.DOB, id.KYCEntityID)
	case !id.PersonID.IsZero() && len(keys) > 0:
		q = q.Where("name_key IN ? AND date_of_birth IN ?", keys, []string{id.DOB, ""})
	default:
		return nil, nil
	}
	var ps []models.Player
	if err := q.Limit(maxLookalikes).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("lookalikes of a %s identity: %w", id.Country, err)
	}
	slices.SortFunc(ps, func(a, b models.Player) int { return cmp.Compare(a.ID, b.ID) })
	return ps, nil
}

// storedDecision is the decision an order holds, to answer a later kyc for it.
func storedDecision(o models.Order) paynplay.Decision {
	if o.KYCOutcome != models.KYCContinue {
		text, _ := o.KYCRefusal()
		return paynplay.Decision{Outcome: paynplay.Finish, Message: o.KYCMessage, Text: text}
	}
	return paynplay.Decision{Outcome: paynplay.Continue, Limit: o.KYCLimit()}
}

// applyKYC carries out a kyc decision on the locked order, in the notification's
// transaction: it stores the decision with its reasons, and after CONTINUE finds
// or creates the player, links the identity to them, makes the order theirs and
// books what was held for the player (bank accounts, a credit, a debit). It fails with
// errKYCStale when the order or the identity's player changed since prep was taken.
//
// An order decides once: a later kyc for it (another notificationid) gets the
// stored answer and changes nothing, so a replayed or late kyc never creates a
// second player.
func (s *Service) applyKYC(ctx context.Context, tx *gorm.DB, order *models.Order, prep *kycPrep, now time.Time, log *slog.Logger) (trustly.Answer, error) {
	// log names the order's player if it had one (orderLog); the decision may
	// give it one, which its line then names.
	hadPlayer := order.PlayerID != 0
	if prep == nil || prep.orderID != order.ID {
		return trustly.Answer{}, errKYCStale
	}
	if !order.PayNPlay || order.Kind != models.OrderDeposit {
		// Trustly sends a kyc only for a Deposit that asked for one (RequestKYC).
		// One for any other order, signed however correctly (misrouted, or a
		// reshaped copy), decides nothing there: a stored FINISH would put a
		// refusal on a password player's credited deposit's result page. It is
		// answered FINISH, so Trustly stops delivering it, kept with the order,
		// and the order is flagged for staff, as other unexpected notifications are.
		order.AddFlag(models.FlagKindUnexpected, fmt.Sprintf("unexpected kyc notification for a %s order, not a Pay N Play deposit", order.Kind))
		log.Warn("alert: kyc for an order that is not a Pay N Play deposit; answered FINISH, nothing decided", "kind", order.Kind)
		return trustly.Answer{Status: trustly.StatusFinish}, nil
	}
	if order.KYCAt != nil {
		if !prep.stored {
			return trustly.Answer{}, errKYCStale
		}
		if prep.otherPerson != "" {
			order.AddFlag(models.FlagKindNotForOrder, "a second kyc names another person ("+prep.otherPerson+"): answered FINISH, the order's decision kept")
			log.Error("alert: second kyc for an order names another person; answered FINISH", "why", prep.otherPerson)
			return trustly.Answer{Status: trustly.StatusFinish}, nil
		}
		log.Info("kyc for an order decided before: answered as then", "kyc", order.KYCOutcome)
		return storedDecision(*order).Answer(), nil
	}
	if prep.stored || order.PlayerID != prep.playerID {
		return trustly.Answer{}, errKYCStale
	}
	if prep.decision.Outcome == paynplay.Continue {
		// Before anything else this transaction locks (the deposit limits lock the
		// player's row): every kyc transaction takes the identity's lock first, so
		// two of them never wait for each other's other lock.
		if err := lockIdentity(tx, prep.decision.Identity); err != nil {
			return trustly.Answer{}, err
		}
	}
	if prep.allowance != nil && prep.decision.Outcome == paynplay.Continue && !order.LoginOnly {
		if ok, err := prep.allowance.stillAllowed(ctx, tx); err != nil {
			return trustly.Answer{}, fmt.Errorf("deposit limits: %w", err)
		} else if !ok {
			return trustly.Answer{}, errKYCStale
		}
	}
	d := prep.decision
	order.KYCOutcome = string(d.Outcome)
	order.KYCLimitMinor = d.Limit.Minor
	order.KYCMessage = clip(d.Message, 500)
	text, err := models.EncodeText(d.Text, 1000)
	if err != nil {
		// The English sentence stands in: a page never fails over a refusal's words.
		log.Error("kyc refusal not stored as a message id", "err", err)
	}
	order.KYCText = text
	// The sign-in of this order is withdraw-only (PayNPlayResult): the register
	// excludes the player, whom the login lets in only to take their money out.
	order.KYCWithdrawOnly = clip(d.WithdrawOnly(), 100)
	reasons := make([]string, len(d.Reasons))
	for i, r := range d.Reasons {
		reasons[i] = string(r.Rule) + ": " + strings.ReplaceAll(r.Detail, "\n", " ")
	}
	order.KYCReasons = clip(strings.Join(reasons, "\n"), 2000)
	// A person who may already be a player under another kycentityid, or a
	// password player without a personid: staff decide whether the accounts are
	// one person's (the Flagged page).
	for _, r := range d.Reasons {
		if r.Rule == paynplay.RuleLookalike || r.Rule == paynplay.RuleLookalikeClosed {
			order.AddFlag(models.FlagKindSecondAccount, "possibly a second account of one person: "+clip(r.Detail, 200))
		}
	}
	setOnce(&order.KYCAt, now)
	// After the decision is on the order: a held credit is booked only once the
	// order says CONTINUE.
	if d.Outcome == paynplay.Continue {
		known, err := findKnown(tx, d.Identity)
		if err != nil {
			return trustly.Answer{}, err
		}
		if (known == nil) != (prep.knownID == 0) || (known != nil && known.ID != prep.knownID) {
			return trustly.Answer{}, errKYCStale
		}
		// Staff may have blocked the player, or a returned deposit put their
		// wallet below zero, while the decision was taken outside the write lock
		// (the register can take seconds): it is taken again.
		if blocked, err := blockedSince(ctx, tx, known, order.PlayerID); err != nil || blocked {
			return trustly.Answer{}, cmp.Or(err, errKYCStale)
		}
		// Likewise a break the player took meanwhile, which stops a deposit (a login
		// lets them in to withdraw).
		if onBreak, err := onBreakSince(ctx, tx, known, order, now); err != nil || onBreak {
			return trustly.Answer{}, cmp.Or(err, errKYCStale)
		}
		if err := s.identify(ctx, tx, order, known, d.Identity, now, log); err != nil {
			return trustly.Answer{}, err
		}
	}
	if d.Outcome != paynplay.Continue && (order.CreditHeldAt != nil || order.DebitHeldAt != nil) {
		// Refresh flags the order with what staff should do with it.
		log.Error("alert: credit or debit held for a refused Pay N Play order; nothing booked",
			"credit_held", order.CreditHeldAt != nil, "debit_held", order.DebitHeldAt != nil)
	}
	if !hadPlayer && order.PlayerID != 0 {
		log = log.With("player_id", order.PlayerID)
	}
	log.Info("kyc decided", "summary", d.Summary())
	return d.Answer(), nil
}

// identify makes the order known's, or, for a new person, a new player's, and
// stores the bank's identity with that player. The player who started the order
// (order.PlayerID, hybrid) is known's when set: the decision refused any other
// combination. Then the order books what it held (bookHeld).
func (s *Service) identify(ctx context.Context, tx *gorm.DB, order *models.Order, known *models.Player, id paynplay.Identity, now time.Time, log *slog.Logger) error {
	var player models.Player
	switch {
	case known != nil:
		player = *known
		if order.PlayerID == 0 { // log names the order's player otherwise (orderLog)
			log = log.With("player_id", player.ID)
		}
	case order.PlayerID != 0:
		if err := tx.Where("id = ?", order.PlayerID).Take(&player).Error; err != nil {
			return fmt.Errorf("player %d: %w", order.PlayerID, err)
		}
	default:
		market := models.Markets[id.Country]
		player = models.Player{EndUserID: order.EndUserID, FirstName: id.FirstName, LastName: id.LastName,
			Country: id.Country, Currency: market.Currency, Role: models.RolePlayer, PersonID: id.PersonID.String(),
			KYCEntityID: id.KYCEntityID, DateOfBirth: id.DOB, Street: id.Street, Zipcode: id.Zipcode, City: id.City,
			KYCAt: &now, CreatedAt: now}
		if player.Currency == "" { // not a market we serve; the decision refused it unless Pay N Play is on there
			player.Currency = order.Amount.Currency
		}
		if err := tx.Create(&player).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return errKYCStale // another kyc created this person meanwhile
			}
			return fmt.Errorf("create player: %w", err)
		}
		log = log.With("player_id", player.ID)
		log.Info("pay n play player created")
	}
	if known != nil || order.PlayerID != 0 {
		update := map[string]any{"first_name": id.FirstName, "last_name": id.LastName,
			"name_key": models.NameKey(id.FirstName, id.LastName), "date_of_birth": id.DOB, "name_key_fold": models.NameFold, "kyc_entity_id": id.KYCEntityID,
			"street": id.Street, "zipcode": id.Zipcode, "city": id.City, "kyc_at": now}
		if player.PersonID == "" && !id.PersonID.IsZero() {
			update["person_id"] = id.PersonID.String()
			log.Info("player linked to a bank identity")
		}
		if err := tx.Model(&models.Player{}).Where("id = ?", player.ID).Updates(update).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return errKYCStale
			}
			return fmt.Errorf("store identity of player %d: %w", player.ID, err)
		}
	}
	order.PlayerID = player.ID
	return s.bookHeld(ctx, tx, order, now, log)
}

// bookHeld applies what arrived for an order before its kyc said CONTINUE: the
// bank accounts of its account notifications (apply saved none then, whether or
// not the order's player was known), then its held credit, which books its held
// debit right after it (bookCredit), so that the debit takes back no more than the
// credit gave (bookDebit). A debit held with no credit stays held until a credit
// comes (debitDeposit): the player never got anything to take back.
func (s *Service) bookHeld(ctx context.Context, tx *gorm.DB, order *models.Order, now time.Time, log *slog.Logger) error {
	var rows []models.Notification
	if err := tx.Where("order_id = ? AND method = ?", order.ID, trustly.MethodAccount).Order("id").Find(&rows).Error; err != nil {
		return fmt.Errorf("held accounts: %w", err)
	}
	for _, row := range rows {
		n, err := trustly.ParseNotification([]byte(row.Raw), s.trustlyKey)
		switch {
		case errors.Is(err, trustly.ErrBadData):
			// Stored by an older version, which took a shape this one refuses (an
			// accountid with a control character): no account is saved from it.
			log.Error("alert: held account notification no longer fits Trustly's format; no account saved",
				"held_notification_id", row.NotificationID, "err", err)
			continue
		case err != nil:
			return fmt.Errorf("held notification %s: %w", row.NotificationID, err)
		}
		if d, ok := n.Data.(*trustly.AccountData); ok {
			if _, err := s.saveAccount(tx, log.With("held_notification_id", row.NotificationID), order, d, now); err != nil {
				return err
			}
		}
	}
	if order.CreditHeldAt != nil && order.CreditedAt == nil {
		amount, err := s.heldAmount(tx, order, trustly.MethodCredit, order.HeldCreditID, log)
		if err != nil {
			return err
		}
		// The held debit, if any, right after it (bookHeldDebit).
		return s.bookCredit(ctx, tx, amount, order, now, log)
	}
	return nil
}

// heldAmount reads the amount of the credit or debit (method) notification id
// that order held; creditDeposit and debitDeposit checked it when they held it.
// Only that one: another stored for the order may have been refused, or a second
// one. An order that held a credit before its notificationid was kept (id "")
// takes the first credit stored for it.
func (s *Service) heldAmount(tx *gorm.DB, order *models.Order, method, id string, log *slog.Logger) (models.Money, error) {
	amount, err := s.heldNotification(tx, order, method, id)
	if err == nil {
		// notification_id is the kyc's, which books it.
		log.Info("held "+method+" booked after the kyc", "held_notification_id", id)
	}
	return amount, err
}

// heldNotification reads the amount of the credit or debit (method) notification
// id that order held, as heldAmount does, without booking anything: the held
// credit of a refused order is what its return gives back (ReturnHeldOnce).
func (s *Service) heldNotification(tx *gorm.DB, order *models.Order, method, id string) (models.Money, error) {
	q := tx.Where("order_id = ? AND method = ?", order.ID, method)
	if id != "" {
		q = q.Where("notification_id = ?", id)
	}
	var row models.Notification
	if err := q.Order("id").Limit(1).Find(&row).Error; err != nil {
		return models.Money{}, fmt.Errorf("held %s: %w", method, err)
	}
	if row.ID == 0 {
		return models.Money{}, fmt.Errorf("order %d has a held %s but no %s notification %q", order.ID, method, method, id)
	}
	n, err := trustly.ParseNotification([]byte(row.Raw), s.trustlyKey)
	if err != nil {
		return models.Money{}, fmt.Errorf("held %s %s: %w", method, row.NotificationID, err)
	}
	d, ok := n.Data.(*trustly.TransferData)
	if !ok {
		return models.Money{}, fmt.Errorf("held %s %s is not a transfer", method, row.NotificationID)
	}
	return transferAmount(method, d)
}

// holdCredit keeps a credit that came before the kyc said CONTINUE for a Pay N Play
// order: the money may be neither the player's (unknown yet) nor anyone's (a
// refused identity). creditDeposit checked what it can now; the kyc that names the
// player books this one (bookHeld), once, and after FINISH Refresh flags it for
// staff to return to the payer.
func holdCredit(d *trustly.TransferData, amount models.Money, order *models.Order, now time.Time, log *slog.Logger) {
	if order.KYCOutcome == models.KYCFinish {
		log.Error("alert: credit for a refused Pay N Play order held", "amount", amount.String())
	} else {
		// Debug: HandleNotification's "notification applied" is the event's info line.
		log.Debug("credit held until the kyc names the player", "amount", amount.String())
	}
	order.HeldCreditID = d.NotificationID
	setOnce(&order.CreditHeldAt, now)
}

// holdDebit keeps a debit that came before its deposit's credit was booked: before
// any credit, or, for a Pay N Play order, before the kyc said CONTINUE, like
// holdCredit a credit. It is answered OK, "we took it back" (API.md §5.3): nothing
// of the deposit stays booked, since the credit, when it is booked (by its own
// notification, or by the kyc that books it held), books this debit right after
// it (bookCredit), and without a credit, or after FINISH, neither is booked: the
// player never got the money, so nothing is taken from their wallet, and a held
// credit is no longer the payer's to be returned. Refresh flags a debit held
// without a credit for staff.
func holdDebit(d *trustly.TransferData, amount models.Money, order *models.Order, now time.Time, log *slog.Logger) {
	switch {
	case order.KYCOutcome == models.KYCFinish:
		log.Error("alert: debit for a refused Pay N Play order held; nothing booked", "amount", amount.String())
	case order.CreditHeldAt == nil:
		log.Error("alert: debit before any credit held; nothing booked until a credit comes", "amount", amount.String())
	default:
		log.Warn("debit held until the kyc names the player", "amount", amount.String())
	}
	if !heldForKYC(order) {
		// Before the credit, not the kyc: what it will take back, no more than the
		// amount asked, counts as taken back already (limits.Counts, and the credit
		// that books it: flagCreditPastLimit), as a debit booked after its credit.
		order.DebitedMinor = min(amount.Minor, order.Expected().Minor)
	}
	order.HeldDebitID = d.NotificationID
	setOnce(&order.DebitHeldAt, now)
}

// accountHolderCheck compares an account notification's holder name with the
// order's player outside Pay N Play markets, where no kyc proves who pays: a
// mismatch is flagged for the back office, not refused (names are written many
// ways). Pay N Play markets have the kyc decision instead.
func (s *Service) accountHolderCheck(tx *gorm.DB, order *models.Order, d *trustly.AccountData, log *slog.Logger) error {
	holder := d.Attributes["name"]
	if holder == "" || order.PlayerID == 0 {
		return nil
	}
	var p models.Player
	if err := tx.Select("id", "first_name", "last_name", "country").Where("id = ?", order.PlayerID).Take(&p).Error; err != nil {
		return fmt.Errorf("player %d: %w", order.PlayerID, err)
	}
	if s.cfg.PayNPlay.Enabled(p.Country) || paynplay.HolderIs(holder, p.FirstName, p.LastName) {
		return nil
	}
	order.AddFlag(models.FlagKindHolderName, fmt.Sprintf("bank account %s holder %q is not the player's name", d.AccountID, clip(holder, 100)))
	log.Warn("account holder name differs from the player's; flagged for the back office", "account_id", d.AccountID)
	return nil
}

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
