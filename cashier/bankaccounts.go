package cashier

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/internal/failpoint"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// A player's saved bank accounts come from three places (models.AccountSource): the
// account notification of a deposit, the player picking one in a SelectAccount
// checkout (selectaccount.go), and bank details the player typed, registered with
// RegisterAccount. Each is one row per player and Trustly AccountID. Removing an
// account hides it from the player and from payouts; the row stays for the audit
// trail and for the payouts that went to it.
//
// Payouts go only to an account that is PayoutReady. Trustly says of an account
// chosen in its checkout whether the bank verified that the player owns it (the
// account notification's verified, API.md §5.4); one with verified "0" waits for
// a later notification with "1". An account the player typed is registered by us
// with RegisterAccount, which Trustly checks for format only and never verifies
// (§4.4: payouts to typed accounts are our risk, taken knowingly), so it is ready
// at once. An account first learned unverified from a notification stays waiting
// if the player later types the same details: it keeps its first source.

// ErrBankAccountNotFound means the player has no bank account with that id. One of
// another player is not found either.
var ErrBankAccountNotFound = errors.New("bank account not found")

// ErrKeptInPure means a player of a pure Pay N Play market asked to remove a bank
// account. Payouts there go only to the account they last deposited from, and
// none can be added by hand or by SelectAccount: a removed one could come back
// only by a deposit, which a player on a break, at a limit or self-excluded cannot
// make, and their balance would stay here.
var ErrKeptInPure = errors.New("a pure Pay N Play market keeps the account deposited from")

// Sentences shown to players about bank accounts.
const (
	msgAccountRejected = "Trustly does not accept this account number: check it and try again."
	msgAccountFailed   = "We could not save this bank account just now. Nothing was changed; please try again in a moment."
	msgAccountNoName   = "We need your first and last name to register a bank account; please contact support."
	msgAccountForm     = "This bank details form is out of date; open it again."
	// msgAccountUnverified answers a payout to an account that is not PayoutReady.
	msgAccountUnverified = "This bank account is waiting for your bank to verify it. Choose another account, or try again once it is verified."
	// msgAccountPayoutFailed answers a payout to an account a payout already failed to.
	// Adding the same details again gives back the same account, failure and all
	// (RegisterBankAccount), so it names what does work.
	msgAccountPayoutFailed = "A payout to this bank account failed at the bank, so payouts no longer go to it. Choose another account, or add the right account under Bank accounts."
)

// PayoutReady reports whether payouts may go to a: Trustly verified that it is
// the player's, or we registered it ourselves with RegisterAccount, and no payout
// to it has failed at the bank (payoutfailed). A removed account is never
// offered, whatever this says.
func PayoutReady(a models.BankAccount) bool {
	return (a.Verified || a.Source == models.AccountFromRegisterAccount) && a.PayoutFailure == ""
}

// BankAccounts lists the player's bank accounts that were not removed, oldest
// first, including those not yet PayoutReady.
func (s *Service) BankAccounts(ctx context.Context, player models.Player) ([]models.BankAccount, error) {
	return bankAccounts(ctx, s.db, player)
}

// bankAccounts is BankAccounts on db, which may be a transaction.
func bankAccounts(ctx context.Context, db *gorm.DB, player models.Player) ([]models.BankAccount, error) {
	var accounts []models.BankAccount
	err := db.WithContext(ctx).Where("player_id = ? AND removed = ?", player.ID, false).Order("id").Find(&accounts).Error
	if err != nil {
		return nil, fmt.Errorf("bank accounts of player %d: %w", player.ID, err)
	}
	return accounts, nil
}

// RemoveBankAccount hides one of the player's bank accounts: it is no longer
// listed and no payout may go to it. Payouts already on their way to it go on.
// It returns the account as it was before, so Removed says it had been removed
// already, which is harmless. An account the player does not have is
// ErrBankAccountNotFound. In a pure Pay N Play market nothing is removed
// (ErrKeptInPure), whoever asks: the web route refuses first, and this keeps
// every other caller to the same rule.
func (s *Service) RemoveBankAccount(ctx context.Context, player models.Player, id int64) (models.BankAccount, error) {
	if s.cfg.PayNPlay.For(player.Country) == paynplay.ModePure {
		return models.BankAccount{}, fmt.Errorf("remove bank account %d: %w", id, ErrKeptInPure)
	}
	var account models.BankAccount
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("id = ? AND player_id = ?", id, player.ID).Limit(1).Find(&account).Error; err != nil {
			return err
		}
		switch {
		case account.ID == 0:
			return ErrBankAccountNotFound
		case account.Removed:
			return nil
		}
		return tx.Model(&models.BankAccount{}).Where("id = ?", id).
			Updates(map[string]any{"removed": true, "updated_at": s.now().UTC()}).Error
	})
	if err != nil {
		return models.BankAccount{}, fmt.Errorf("remove bank account %d: %w", id, err)
	}
	if !account.Removed {
		s.log.Info("bank account removed", "player_id", player.ID, "bank_account_id", id)
	}
	return account, nil
}

// RegisterBankAccount saves bank details the player typed, for payouts. country
// picks the market's rules (models.ParseBankDetails): for Sweden bank is the
// clearing number and account the rest, for the UK the sort code and account
// number, elsewhere account is the IBAN and bank is ignored. Details that do not
// validate fail with a *models.Problem naming the field, and nothing is sent to
// Trustly. Trustly has the final say on the number (624, also a Problem).
//
// Trustly gives the same AccountID for the same details, so registering them again
// returns the same BankAccount, shown again if the player had removed it, with
// Known set when it was saved and shown already. A payout failure stays: the
// same details would fail again. Trustly
// checks the number's format only, not who owns it: the account is saved as not
// verified.
func (s *Service) RegisterBankAccount(ctx context.Context, player models.Player, country, bank, account string) (models.BankAccount, error) {
	return s.RegisterBankAccountOnce(ctx, player, "", country, bank, account)
}

// RegisterBankAccountOnce is RegisterBankAccount for a bank details form that
// carries token (models.NewRegistrationToken, made when the form was shown),
// recorded (an AccountRegistration) before RegisterAccount is called: the same
// form sent again (a double click, the back button, a retry) waits for the first
// sending's result, up to formWait, and shows it, the account as added or known
// then, or the same *models.Problem, and calls Trustly for nothing; with no
// result by then (the process making the call stopped) it says msgAccountFailed.
// An empty token is a new one; a token of another shape, or another player's,
// fails with a *models.Problem.
func (s *Service) RegisterBankAccountOnce(ctx context.Context, player models.Player, token, country, bank, account string) (models.BankAccount, error) {
	details, err := models.ParseBankDetails(country, bank, account)
	if err != nil {
		return models.BankAccount{}, err
	}
	if player.FirstName == "" || player.LastName == "" {
		return models.BankAccount{}, models.ProblemT("", "problem.account_no_name", msgAccountNoName)
	}
	if err := s.refuseBlocked(ctx, player); err != nil {
		return models.BankAccount{}, err
	}
	if token == "" {
		token = models.NewRegistrationToken()
	} else if !models.IsRegistrationToken(token) {
		return models.BankAccount{}, models.ProblemT("", "problem.account_form", msgAccountForm)
	}
	reg := models.AccountRegistration{Token: token, PlayerID: player.ID, CreatedAt: s.now().UTC()}
	claim := s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "token"}}, DoNothing: true}).Create(&reg)
	switch {
	case claim.Error != nil:
		return models.BankAccount{}, fmt.Errorf("register bank account: record form %s: %w", token, claim.Error)
	case claim.RowsAffected == 0:
		return s.registeredBefore(ctx, player, token)
	}
	a, err := s.registerAccount(ctx, player, details)
	var problem *models.Problem
	done := map[string]any{"done_at": s.now().UTC()}
	switch {
	case errors.As(err, &problem):
		done["problem_id"] = problem.ID
	case err != nil: // the account not saved: a form sent again says so
		done["problem_id"] = "problem.account_failed"
	default:
		done["bank_account_id"], done["known"] = a.ID, a.Known
	}
	werr := s.db.WithContext(context.WithoutCancel(ctx)).Model(&models.AccountRegistration{}).
		Where("id = ? AND done_at IS NULL", reg.ID).Updates(done).Error
	if werr != nil {
		return models.BankAccount{}, errors.Join(err, fmt.Errorf("register bank account: record the result of form %s: %w", token, werr))
	}
	return a, err
}

// registerAccount calls RegisterAccount for details and saves the account.
func (s *Service) registerAccount(ctx context.Context, player models.Player, details models.BankDetails) (models.BankAccount, error) {
	log := s.log.With("player_id", player.ID, "clearing_house", details.ClearingHouse)
	failpoint.Hit("registeraccount.before_call")
	res, err := recorded(ctx, s, aboutPlayer(player), s.trustly.RegisterAccount, trustly.RegisterAccountParams{
		EndUserID:     player.EndUserID,
		ClearingHouse: details.ClearingHouse,
		BankNumber:    details.BankNumber,
		AccountNumber: details.AccountNumber,
		Firstname:     player.FirstName,
		Lastname:      player.LastName,
		Email:         player.Email,
		DateOfBirth:   player.DateOfBirth,
	})
	failpoint.Hit("registeraccount.after_call")
	switch {
	case trustly.IsCode(err, trustly.CodeInvalidBankAccountNumber):
		log.Info("RegisterAccount: Trustly refused the account number")
		return models.BankAccount{}, models.ProblemT("account", "problem.account_rejected", msgAccountRejected)
	case err != nil:
		log.Error("RegisterAccount failed", "err", err, "outcome_unknown", errors.Is(err, trustly.ErrOutcomeUnknown))
		return models.BankAccount{}, models.ProblemT("", "problem.account_failed", msgAccountFailed)
	}

	now := s.now().UTC()
	clearing := res.ClearingHouse
	if clearing == "" {
		clearing = details.ClearingHouse
	}
	a := models.BankAccount{PlayerID: player.ID, AccountID: res.AccountID, Bank: res.Bank, Descriptor: res.Descriptor,
		LastDigits: lastDigits(details.AccountNumber), ClearingHouse: clearing, Source: models.AccountFromRegisterAccount,
		CreatedAt: now, UpdatedAt: now}
	// What is kept of the result fits its columns on both databases, as an account
	// notification's does (saveAccount).
	if !a.Fit() {
		log.Error("alert: RegisterAccount answered an accountid too long to keep; not saved", "characters", utf8.RuneCountInString(res.AccountID))
		return models.BankAccount{}, models.ProblemT("", "problem.account_failed", msgAccountFailed)
	}
	known := false
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&models.BankAccount{}).Where("player_id = ? AND account_id = ? AND removed = ?", player.ID,
			res.AccountID, false).Count(&n).Error; err != nil {
			return err
		}
		known = n > 0
		err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "player_id"}, {Name: "account_id"}},
			DoUpdates: clause.Assignments(map[string]any{
				"bank": keepNonEmpty("bank"), "descriptor": keepNonEmpty("descriptor"), "last_digits": keepNonEmpty("last_digits"),
				"clearing_house": keepNonEmpty("clearing_house"), "removed": false, "updated_at": now,
			}),
		}).Create(&a).Error
		if err != nil {
			return err
		}
		return tx.Where("player_id = ? AND account_id = ?", player.ID, res.AccountID).Take(&a).Error
	})
	if err != nil {
		return models.BankAccount{}, fmt.Errorf("register bank account: save: %w", err)
	}
	log.Info("bank account registered", "bank_account_id", a.ID, "account_id", a.AccountID, "known", known)
	a.Known = known
	return a, nil
}

// registrationProblems are the *models.Problem a registration can end in, by
// message id, to show again to a form sent again.
var registrationProblems = map[string]*models.Problem{
	"problem.account_rejected": models.ProblemT("account", "problem.account_rejected", msgAccountRejected),
	"problem.account_failed":   models.ProblemT("", "problem.account_failed", msgAccountFailed),
}

// registeredBefore is the result of the bank details form whose token an earlier
// sending recorded: the account it saved (as it was then: added, or known), or
// the Problem it ended in. One with no result formWait after it came reads
// msgAccountFailed (nothing saved; a new form saves the account), and is left as
// it is: a call that was only slow records its result when it ends.
func (s *Service) registeredBefore(ctx context.Context, player models.Player, token string) (models.BankAccount, error) {
	reg, _, _, err := sentBefore(ctx, s, func() (models.AccountRegistration, bool, error) {
		var reg models.AccountRegistration
		if err := s.db.WithContext(ctx).Where("token = ?", token).Limit(1).Find(&reg).Error; err != nil {
			return reg, false, err
		}
		if reg.ID != 0 && reg.PlayerID != player.ID {
			return reg, false, models.ProblemT("", "problem.account_form", msgAccountForm)
		}
		return reg, reg.ID != 0, nil
	}, func(r models.AccountRegistration) bool { return r.DoneAt != nil },
		func(r models.AccountRegistration) time.Time { return r.CreatedAt })
	var problem *models.Problem
	switch {
	case errors.As(err, &problem):
		return models.BankAccount{}, problem
	case err != nil:
		return models.BankAccount{}, fmt.Errorf("register bank account: form %s: %w", token, err)
	case reg.ID == 0: // recorded, then gone: never
		return models.BankAccount{}, fmt.Errorf("register bank account: form %s not found", token)
	}
	if reg.DoneAt == nil { // late: the process making its call stopped, or is that slow
		s.log.Warn("bank details form sent again; its RegisterAccount call has no result in time, and is not made twice",
			"player_id", player.ID, "registration_id", reg.ID)
		return models.BankAccount{}, models.ProblemT("", "problem.account_failed", msgAccountFailed)
	}
	s.log.Warn("bank details form sent again; its account is not registered twice", "player_id", player.ID, "registration_id", reg.ID)
	if reg.BankAccountID == nil {
		problem, ok := registrationProblems[reg.ProblemID]
		if !ok {
			return models.BankAccount{}, fmt.Errorf("register bank account: form %s ended in problem %q", token, reg.ProblemID)
		}
		shown := *problem
		return models.BankAccount{}, &shown
	}
	var a models.BankAccount
	if err := s.db.WithContext(ctx).Where("id = ? AND player_id = ?", *reg.BankAccountID, player.ID).Take(&a).Error; err != nil {
		return models.BankAccount{}, fmt.Errorf("register bank account: account of form %s: %w", token, err)
	}
	a.Known = reg.Known
	return a, nil
}

// lastDigits is the end of an account number we were given, as Trustly shows it
// in account notifications: the last six characters.
func lastDigits(number string) string {
	if len(number) <= 6 {
		return number
	}
	return number[len(number)-6:]
}
