package cashier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// Responsible gaming: the national self-exclusion register is asked when a
// password player registers, each time they sign in and each time a signed-in
// player starts a deposit, in the markets that have one (RegisterMarkets), through
// the same Exclusions checker as Pay N Play's kyc decision. A register that does
// not answer in time, or cannot be read, fails closed: no account, no sign-in, no
// deposit. Payouts never ask it: an excluded player may still take their money out,
// and one with money here signs in withdraw-only for that (Access).

// RegisterMarkets are the markets with a national self-exclusion register, and
// what a registration there must give for the register to find the person:
// Spelpaus (SE) by personnummer, the Estonian register (EE) by isikukood, CRUKS (NL)
// by name and date of birth (a BSN is not asked: its use is restricted by law).
var RegisterMarkets = map[string]RegisterNeeds{
	"SE": {PersonID: true},
	"EE": {PersonID: true},
	"NL": {DateOfBirth: true},
}

// RegisterNeeds is what a market's register needs besides the name.
type RegisterNeeds struct {
	PersonID    bool // a national identity number, checked with paynplay.ParsePersonID
	DateOfBirth bool
}

// DefaultRegisterTimeout bounds one register check at registration, sign-in and
// the start of a deposit when Deps.RegisterTimeout is zero.
const DefaultRegisterTimeout = 5 * time.Second

// Errors of the register checks; both come wrapped with a *models.Problem whose
// sentence tells the player.
var (
	// ErrExcluded means the register says the person is excluded from gambling.
	ErrExcluded = errors.New("excluded by the national self-exclusion register")
	// ErrRegisterUnavailable means the register gave no answer to trust in time:
	// the person may not play until it does.
	ErrRegisterUnavailable = errors.New("self-exclusion register did not answer")
)

// Sentences shown to players about the national registers.
const (
	msgExcluded            = "You are registered as excluded from gambling (%s), so you cannot open an account, log in or play here."
	msgExcludedDeposit     = "You are registered as excluded from gambling (%s), so you cannot deposit or play here. No money was moved; you can still withdraw your balance."
	msgRegisterUnavailable = "We could not check the national self-exclusion register just now, so you cannot play yet. Nothing was changed; please try again in a few minutes."
	msgRegisterIncomplete  = "We need your personal identity number to check the national self-exclusion register before you play; please contact support."
	msgPersonIDNeeded      = "Enter your personal identity number (%s): %s players are checked against the national self-exclusion register."
	msgDateOfBirthNeeded   = "Enter your date of birth such as 1985-02-28: players in %s are checked against the national self-exclusion register."
)

// personIDNames name each register market's identity number for people.
var personIDNames = map[string]string{"SE": "personnummer, such as 19850202-1119", "EE": "isikukood, such as 37505050004"}

// registrationIdentity reads what r's market register needs. It returns the
// personid in PersonID.String() form ("" when none) and the date of birth, from the
// personid where it encodes one. Outside RegisterMarkets, or without a checker, it
// keeps nothing of what was typed there.
func (s *Service) registrationIdentity(r models.Registration) (personID, dob string, err error) {
	needs, ok := RegisterMarkets[r.Country]
	if !ok || s.exclusions == nil {
		return "", "", nil
	}
	market := models.Markets[r.Country].Name
	if needs.PersonID {
		if r.PersonID == "" {
			return "", "", models.ProblemT("person_id", "problem.person_id_needed", fmt.Sprintf(msgPersonIDNeeded, personIDNames[r.Country], market), "Name", models.Text{ID: "person_id_name." + r.Country}, "Market", models.CountryName(r.Country))
		}
		id, err := paynplay.ParsePersonID(r.Country, r.PersonID)
		if err != nil {
			return "", "", models.ProblemT("person_id", "problem.person_id_needed", fmt.Sprintf(msgPersonIDNeeded, personIDNames[r.Country], market), "Name", models.Text{ID: "person_id_name." + r.Country}, "Market", models.CountryName(r.Country))
		}
		return id.String(), id.BirthDate(), nil
	}
	if needs.DateOfBirth && r.DateOfBirth == "" {
		return "", "", models.ProblemT("date_of_birth", "problem.date_of_birth_needed", fmt.Sprintf(msgDateOfBirthNeeded, market), "Market", models.CountryName(r.Country))
	}
	return "", r.DateOfBirth, nil
}

// registerPerson is the register's view of a player.
func registerPerson(p models.Player) exclusions.Person {
	person := exclusions.Person{Country: p.Country, FirstName: p.FirstName, LastName: p.LastName, DOB: p.DateOfBirth}
	if id, err := paynplay.ParsePersonID("", p.PersonID); err == nil {
		person.PersonID = id.Number
	}
	return person
}

// checkRegister asks the national register about the player of a register market
// (no one elsewhere, and no one without a checker). It fails closed: an excluded
// person fails with ErrExcluded, and anything but a clear "not excluded" within
// the register timeout with ErrRegisterUnavailable, each with the sentence for the
// player. A checker that ignores its context is not waited for past the timeout.
// when names the moment for the log; at "deposit" the excluded person's sentence
// refuses the deposit and says a withdrawal is still open.
//
// It reads nothing from the database and must be called outside any transaction:
// the register is a network call.
func (s *Service) checkRegister(ctx context.Context, p models.Player, when string) error {
	if _, ok := RegisterMarkets[p.Country]; !ok || s.exclusions == nil {
		return nil
	}
	person := registerPerson(p)
	ctx, cancel := context.WithTimeout(ctx, s.registerTimeout)
	defer cancel()
	type answer struct {
		res exclusions.Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := s.exclusions.Check(ctx, person)
		done <- answer{res, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-ctx.Done():
		a.err = fmt.Errorf("%w: %w", exclusions.ErrUnavailable, ctx.Err())
	}
	log := s.log.With("player_id", p.ID, "person", person, "at", when)
	switch {
	case errors.Is(a.err, exclusions.ErrIncomplete):
		log.Warn("self-exclusion register not asked: identity incomplete", "err", a.err)
		return fmt.Errorf("%w: %w", ErrRegisterUnavailable, models.ProblemT("", "problem.register_incomplete", msgRegisterIncomplete))
	case a.err != nil:
		log.Warn("self-exclusion register did not answer; refused", "err", a.err)
		return fmt.Errorf("%w: %w", ErrRegisterUnavailable, models.ProblemT("", "problem.register_unavailable", msgRegisterUnavailable))
	case a.res.Excluded:
		log.LogAttrs(ctx, slog.LevelInfo, "refused: self-excluded in the national register",
			slog.String("register", a.res.Register), slog.String("reference", a.res.Reference))
		id, msg := "problem.excluded", msgExcluded
		if when == "deposit" {
			id, msg = "problem.excluded_deposit", msgExcludedDeposit
		}
		english, shown := exclusions.Shown(a.res.Register, p.Country)
		return fmt.Errorf("%w: %w", excludedBy{a.res.Register, a.res.Reference}, models.ProblemT("", id, fmt.Sprintf(msg, english), "Register", shown))
	}
	return nil
}

// excludedBy is checkRegister's ErrExcluded, naming the register that said so and
// its reference for the answer ("" from a session's Access).
type excludedBy struct{ register, reference string }

func (e excludedBy) Error() string { return ErrExcluded.Error() + " (" + e.register + ")" }
func (e excludedBy) Unwrap() error { return ErrExcluded }

// Access is what a sign-in opens. The zero Access is a full sign-in.
type Access struct {
	// WithdrawOnly marks the sign-in of a player the national register excludes:
	// they may withdraw their balance, follow their payouts and see their history
	// and profile, and start no deposit. It holds for the session: only a new
	// sign-in that the register allows opens a full one.
	WithdrawOnly bool
	// Register names the register that excludes the player ("Spelpaus", or
	// "fake" for the sandbox's), as it answered, for logs and the session; a
	// player reads it as RegisterShown says. "" when WithdrawOnly is false.
	Register string
}

// RegisterShown is Register as the player, of country, reads it in the notice
// (exclusions.Shown): the argument of a translated message.
func (a Access) RegisterShown(country string) any {
	_, shown := exclusions.Shown(a.Register, country)
	return shown
}

// ExcludedDeposit is the refusal of a deposit in a withdraw-only session of a
// player of country, the sentence of a deposit the register refuses, decided from
// the session alone: no register is asked, so a register that is down opens
// nothing.
func (a Access) ExcludedDeposit(country string) error {
	english, shown := exclusions.Shown(a.Register, country)
	return fmt.Errorf("%w: %w", excludedBy{register: a.Register}, models.ProblemT("", "problem.excluded_deposit",
		fmt.Sprintf(msgExcludedDeposit, english), "Register", shown))
}

// withdrawOnly decides a sign-in that checkRegister refused with refusal: a
// player the register excludes who still has money here (moneyLeft) is let in
// withdraw-only, so that an exclusion never holds their balance back; anyone
// else, and every other refusal (a register that does not answer fails closed,
// as before), stays refused with refusal.
func (s *Service) withdrawOnly(ctx context.Context, player models.Player, refusal error) (Access, error) {
	var excluded excludedBy
	if !errors.As(refusal, &excluded) {
		return Access{}, refusal
	}
	left, err := s.moneyLeft(ctx, player)
	switch {
	case err != nil:
		return Access{}, err
	case !left:
		return Access{}, refusal
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "signed in withdraw-only: self-excluded in the national register",
		slog.Int64("player_id", player.ID), slog.String("register", excluded.register))
	return Access{WithdrawOnly: true, Register: excluded.register}, nil
}

// payoutsUnderway are the statuses of a payout whose money is not settled yet:
// it may still come back to the wallet, or the player may cancel it. A confirmed
// payout is not among them: the bank said it paid, and only a credit undoes that
// (API.md §5.3), which puts the money in the wallet, where moneyLeft sees it; were
// it counted, every player who ever withdrew would have money here for good.
var payoutsUnderway = []models.OrderStatus{models.OrderAwaitingApproval, models.OrderRequested, models.OrderSending,
	models.OrderChecking, models.OrderSent}

// moneyLeft reports whether the player has money here to take out or follow: a
// balance above zero, a payout underway, or a payout or refund the bank failed
// whose money is still to come back (BankFailedNotBack: a payoutfailed, or
// GetWithdrawals' failed state of a sent or confirmed one, before Trustly's
// credit), which the player is told "will come back to your balance". That last
// is one read of at most one row from idx_orders_player_bank_failed, which holds
// only such orders, however many payouts the player had confirmed.
func (s *Service) moneyLeft(ctx context.Context, player models.Player) (bool, error) {
	var left bool
	err := readTx(ctx, s.db, func(tx *gorm.DB) error {
		wallet, err := ledger.New(tx).Balance(ctx, models.PlayerWallet(player.ID), player.Currency)
		if err != nil || wallet.Minor > 0 {
			left = err == nil
			return err
		}
		var n int64
		err = tx.Model(&models.Order{}).Where("player_id = ? AND kind = ? AND status IN ?", player.ID, models.OrderPayout,
			payoutsUnderway).Limit(1).Count(&n).Error
		if err != nil || n > 0 {
			left = err == nil
			return err
		}
		var failed []int64
		err = bankFailedOf(tx, player.ID).Pluck("id", &failed).Error
		left = err == nil && len(failed) > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("money left of player %d: %w", player.ID, err)
	}
	return left, nil
}

// bankFailedOf is the query of the player's first payout or refund the bank
// failed whose money is not back yet (store.BankFailedWhere), on
// idx_orders_player_bank_failed.
func bankFailedOf(tx *gorm.DB, playerID int64) *gorm.DB {
	return tx.Model(&models.Order{}).Where("player_id = ? AND "+store.BankFailedWhere, playerID).Limit(1)
}
