package cashier

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Sentences shown to players about Pay N Play.
const (
	msgPayNPlayOff       = "Paying and playing with your bank is not offered in %s."
	msgPayNPlayLogin     = "Logging in with your bank is not offered in %s; deposit to play instead."
	msgPayNPlayFailed    = "Trustly could not start your bank login just now. No money was moved; please try again in a moment."
	msgPayNPlayNoAccount = "Payouts go back to the bank account you deposited from, and we do not know it yet. Make a deposit first."
	// The form named an account that has gone since: removed, or a payout to it
	// failed at the bank. The player did deposit, and in the pure model has no
	// other account to choose nor one to add by hand.
	msgPayNPlayAccountRemoved = "Withdrawals go back to the bank account you last deposited from, and it has been removed from your bank accounts. Make a deposit from your account again first."
	msgPayNPlayAccountFailed  = "A payout to the bank account you last deposited from failed at the bank. Withdrawals go back to the account you deposit from: make a deposit from your correct account first."
	// The player deposited, but the account notification said verified "0": the
	// account waits for the bank, and support can refund the deposits meanwhile.
	msgPayNPlayAccountUnverified = "Withdrawals go back to the bank account you last deposited from, and your bank has not verified it yet. You can withdraw once it is verified; if that takes long, please contact support."
	msgPayNPlayEnded             = "The checkout ended before it was completed. No money was moved."
)

// Pay N Play return paths: the checkout sends the player to one of these with
// ?order=<MessageID>, as it does for deposits.
const (
	PayNPlaySuccessPath = "/paynplay/success"
	PayNPlayFailPath    = "/paynplay/fail"
)

// StartPayNPlay starts a Pay N Play order (API.md §8) for a visitor who is not
// signed in: a Deposit with RequestKYC "1", answered by a kyc notification that
// decides who the player is. The order has no player yet (PlayerID 0) and sends a
// fresh opaque EndUserID; the kyc that says CONTINUE finds the player by their bank
// identity, or creates them, and the order becomes theirs. A signed-in player of a
// Pay N Play market deposits with StartDeposit, which asks for the kyc too and
// pre-fills their identity number and account (returningParams).
//
// amount nil is a login-only order (the pure model's "Log in with your bank"): no
// Amount is sent and no money moves. country is the visitor's market (it picks the
// currency and Trustly's locale).
//
// It fails with a *models.Problem when the market does not offer Pay N Play (or,
// for a login, is not pure), when the amount is outside the deposit limits or in
// another currency, or when Trustly refuses or does not answer. The caller must
// bind the returned order's MessageID to the browser's session before redirecting
// to its CheckoutURL: PayNPlayResult signs in only whoever holds it.
func (s *Service) StartPayNPlay(ctx context.Context, amount *models.Money, country, ip string) (models.Order, error) {
	market, ok := models.Markets[country]
	mode := s.cfg.PayNPlay.For(country)
	switch {
	case !ok || mode == paynplay.ModeOff:
		name := country
		if ok {
			name = market.Name
		}
		return models.Order{}, models.ProblemT("", "problem.paynplay_off", fmt.Sprintf(msgPayNPlayOff, name), "Market", models.CountryName(country))
	case amount == nil && mode != paynplay.ModePure:
		return models.Order{}, models.ProblemT("", "problem.paynplay_login", fmt.Sprintf(msgPayNPlayLogin, market.Name), "Market", models.CountryName(country))
	}
	currency := market.Currency
	order := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit,
		PayNPlay: true, LoginOnly: amount == nil, Amount: models.Money{Currency: currency}, EndUserID: models.NewEndUserID(),
		Market: country}
	if amount != nil {
		limits := s.cfg.LimitsFor(currency)
		switch {
		case amount.Currency != currency:
			return models.Order{}, models.ProblemT("amount", "problem.deposit_currency", fmt.Sprintf(msgDepositCurrency, currency), "Currency", currency)
		case amount.Minor < limits.MinDeposit.Minor || amount.Minor > limits.MaxDeposit.Minor:
			return models.Order{}, models.ProblemT("amount", "problem.deposit_limits", fmt.Sprintf(msgDepositLimits, limits.MinDeposit.Display(), limits.MaxDeposit.Display()), "Min", limits.MinDeposit, "Max", limits.MaxDeposit)
		}
		order.Amount = *amount
	}
	params := trustly.DepositParams{
		NotificationURL:   s.cfg.NotificationURL(),
		Currency:          currency,
		Country:           country,
		Locale:            models.TrustlyLocale(models.LanguageFrom(ctx), country),
		ShopperStatement:  s.cfg.ShopperStatement,
		IP:                ip,
		URLTarget:         trustly.TargetTop,
		IntegrationModule: s.cfg.IntegrationModule,
		RequestKYC:        true,
		Extra:             s.cfg.SandboxExtra,
	}
	if amount != nil {
		params.Amount = amount.String()
	}
	params.EndUserID, params.MessageID = order.EndUserID, order.MessageID
	return s.startCheckout(ctx, order, msgPayNPlayFailed, func(back func(string) string) (string, string, error) {
		params.SuccessURL, params.FailURL = back(PayNPlaySuccessPath), back(PayNPlayFailPath)
		res, err := recorded(ctx, s, aboutMessage(order), s.trustly.Deposit, params)
		return res.OrderID, res.URL, err
	})
}

// returningParams adds what Trustly's checkout may pre-fill for a known player
// (API.md §8): the national identity number (in SE unchangeable, so the player
// cannot log in as someone else) and the account they last deposited from.
func (s *Service) returningParams(ctx context.Context, player models.Player, params *trustly.DepositParams) error {
	if player.PersonID != "" {
		if id, err := paynplay.ParsePersonID("", player.PersonID); err == nil {
			params.NationalIdentificationNumber = id.Number
			params.UnchangeableNationalIdentificationNumber = id.Country == "SE"
		}
	}
	account, ok, err := depositAccount(ctx, s.db, player.ID)
	if err != nil {
		return err
	}
	if ok {
		params.AccountID = account.AccountID
	}
	return nil
}

// depositAccount is the verified bank account the player most recently deposited
// from (an account notification of a deposit), which closed-loop payouts go to:
// the latest updated_at, which saveAccount writes and a payout's failure does not
// (markPayoutFailure).
func depositAccount(ctx context.Context, db *gorm.DB, playerID int64) (models.BankAccount, bool, error) {
	var account models.BankAccount
	err := db.WithContext(ctx).Where("player_id = ? AND source = ? AND verified = ? AND removed = ?",
		playerID, models.AccountFromDeposit, true, false).Order("updated_at DESC, id DESC").Limit(1).Find(&account).Error
	if err != nil {
		return models.BankAccount{}, false, fmt.Errorf("deposit account of player %d: %w", playerID, err)
	}
	return account, account.ID != 0, nil
}

// DepositAccountWaiting is the bank account the player most recently deposited
// from whose account notification said verified "0" (not removed), when they have
// no verified one: the money came, but the bank has not verified the account, so
// a pure market's withdrawal page and PayNPlayPayout say that it waits, rather
// than that the account is not known yet.
func (s *Service) DepositAccountWaiting(ctx context.Context, player models.Player) (models.BankAccount, bool, error) {
	var account models.BankAccount
	err := s.db.WithContext(ctx).Where("player_id = ? AND source = ? AND verified = ? AND removed = ?",
		player.ID, models.AccountFromDeposit, false, false).Order("updated_at DESC, id DESC").Limit(1).Find(&account).Error
	if err != nil {
		return models.BankAccount{}, false, fmt.Errorf("unverified deposit accounts of player %d: %w", player.ID, err)
	}
	return account, account.ID != 0, nil
}

// DepositAccountRemoved reports whether the player has removed a verified account
// they deposited from: with none left, a pure market's withdrawal page and
// PayNPlayPayout say so, rather than that the account is not known yet.
func (s *Service) DepositAccountRemoved(ctx context.Context, player models.Player) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.BankAccount{}).Where("player_id = ? AND source = ? AND verified = ? AND removed = ?",
		player.ID, models.AccountFromDeposit, true, true).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("removed deposit accounts of player %d: %w", player.ID, err)
	}
	return n > 0, nil
}

// PayNPlayState is where a Pay N Play order stands for the page the checkout
// returns to.
type PayNPlayState string

const (
	PayNPlayWaiting PayNPlayState = "waiting" // no kyc decision yet: show "one moment" and ask again
	PayNPlayRefused PayNPlayState = "refused" // the kyc said FINISH, or the checkout ended with no kyc: Message says why; no one signs in
	// PayNPlayReady: the kyc said CONTINUE: Player is who the bank identified. It
	// stays so when the player then abandoned the deposit (a cancel, before or
	// after the browser came back): the kyc decides who is let in, before money
	// moves (API.md §8), and the deposit's page says it was not completed; were
	// a cancel to refuse it, the same abandonment would sign in or not as the
	// cancel and the browser raced.
	PayNPlayReady PayNPlayState = "ready"
	// PayNPlayExpired: the kyc said CONTINUE, but no browser was signed in by the
	// order within Config.CheckoutExpiry of the decision; no one signs in now (the player logs
	// in with the bank again). A deposit's money is the player's all the same.
	PayNPlayExpired PayNPlayState = "expired"
)

// PayNPlayOutcome is what the page after a Pay N Play checkout needs.
type PayNPlayOutcome struct {
	Order models.Order
	State PayNPlayState
	// Message is the sentence for the player when State is PayNPlayRefused.
	Message string
	// Market is the market whose start page the order's pages lead back to: the one
	// it was started from (Order.Market), or for an order from before that was kept
	// what orderMarket derives; "" when nothing tells (the start page then picks).
	Market string
	// Player is set only when State is PayNPlayReady: the player the kyc identified
	// (found or created), whom the order now belongs to. For a deposit the money may
	// still be on its way (Order.Status); for a login-only order the login is done.
	Player *models.Player
	// Access is what the sign-in opens when State is PayNPlayReady: withdraw-only
	// for a login the kyc let in although the register excludes the player
	// (paynplay.RuleWithdrawOnly), as Authenticate's for a password player; the
	// zero Access, a full session, otherwise.
	Access Access
}

// SignInClaim is what ClaimPayNPlaySignIn found.
type SignInClaim string

const (
	SignInClaimed SignInClaim = "claimed" // this request signs the browser in
	SignInUsed    SignInClaim = "used"    // the order signed a browser in before: nobody now
	SignInExpired SignInClaim = "expired" // never claimed, and its kyc decision is older than Config.CheckoutExpiry: nobody now
)

// signInWindow is how long after its kyc decision a Pay N Play order may still
// sign its browser in: Config.CheckoutExpiry (CASHIER_CHECKOUT_EXPIRY, 30 minutes).
// The kyc comes while the player is in Trustly's checkout, right after the bank
// login, and the checkout ends with the browser at the return URL; a checkout URL
// lives at most 30 minutes (API.md §9), so a browser that comes back later is not
// the checkout's own return but whoever sits at that browser now (a tab closed
// after the bank app, a redirect lost, a shared computer). It counts from the
// decision, not from the order, so a player slow at the bank within the checkout's
// life still has the whole window; an order without a decision time counts from
// its creation. Whatever the decision's time, the order signs in only within
// twice the window of its creation (signInOrderAge): a kyc comes during the
// checkout, so one decided later than the checkout's life is a late delivery
// (Trustly retrying after an answer was lost, the cashier down), and whoever opens
// the return URL then in the browser that started the order is not the checkout's
// return either.
func (s *Service) signInWindow() time.Duration { return s.cfg.checkoutExpiry() }

// signInOrderAge is how old a Pay N Play order may be and still sign its browser
// in: the checkout's life, in which its kyc comes, and signInWindow after it.
func (s *Service) signInOrderAge() time.Duration { return 2 * s.signInWindow() }

// signInOver reports whether order can no longer sign a browser in at now because
// its kyc decision (or, without one, the order) is older than signInWindow, or the
// order older than signInOrderAge. The claim's UPDATE says the same in SQL.
func (s *Service) signInOver(order models.Order, now time.Time) bool {
	from := order.CreatedAt
	if order.KYCAt != nil {
		from = *order.KYCAt
	}
	return now.Sub(from) > s.signInWindow() || now.Sub(order.CreatedAt) > s.signInOrderAge()
}

// ClaimPayNPlaySignIn records that the Pay N Play order orderID signs its browser
// in now (SignInClaimed). An order signs in once (SignInUsed after that): the
// binding to the browser that started it lives in that browser's cookie, and a
// copy of the cookie taken before the sign-in stays valid; without this claim it
// would sign the player in again, in any browser, even after they logged out. And
// only within Config.CheckoutExpiry of its kyc decision, and twice that of the
// order however late its kyc came (signInWindow; SignInExpired after that): the
// cookie lives 12 hours from its last write, far longer than any checkout. One
// conditional UPDATE holds both, so that of two requests at once only one signs
// in, and no instance of the cashier signs in late, whatever it read before.
//
// A login (LoginOnly) it signs in is done: its status, derived by Refresh in the
// claim's transaction, under the row the UPDATE locked, becomes signed-in
// (models.OrderSignedIn), whatever the janitor or a cancel made it before.
func (s *Service) ClaimPayNPlaySignIn(ctx context.Context, orderID int64) (SignInClaim, error) {
	now := s.now().UTC()
	claimed := false
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error {
		claimed = false
		res := tx.Model(&models.Order{}).
			Where("id = ? AND pay_n_play = ? AND signed_in_at IS NULL", orderID, true).
			Where("COALESCE(kyc_at, created_at) >= ?", now.Add(-s.signInWindow())).
			Where("created_at >= ?", now.Add(-s.signInOrderAge())).
			Update("signed_in_at", now)
		if res.Error != nil || res.RowsAffected != 1 {
			return res.Error
		}
		claimed = true
		var o models.Order
		if err := tx.Where("id = ?", orderID).Take(&o).Error; err != nil {
			return err
		}
		before := o
		o.Refresh()
		return saveChanges(tx, &before, &o)
	})
	if err != nil {
		return "", fmt.Errorf("claim the sign-in of order %d: %w", orderID, err)
	}
	if claimed {
		return SignInClaimed, nil
	}
	// Not claimed: either it was before, or it is too late. signed_in_at is only
	// ever set, so what it says now is why.
	var used int64
	if err := s.db.WithContext(ctx).Model(&models.Order{}).Where("id = ? AND signed_in_at IS NOT NULL", orderID).
		Count(&used).Error; err != nil {
		return "", fmt.Errorf("claim the sign-in of order %d: %w", orderID, err)
	}
	if used > 0 {
		return SignInUsed, nil
	}
	return SignInExpired, nil
}

// PayNPlayResult reports the Pay N Play order with messageID (the order parameter of
// its return URL), or ErrOrderNotFound for an unknown id or an order that is not Pay
// N Play. It signs no one in: the handler signs the browser in as Player only when
// State is PayNPlayReady AND that browser's session holds this messageID, bound
// when the browser started the order. A URL alone, which anyone may copy, must
// never sign anyone in.
func (s *Service) PayNPlayResult(ctx context.Context, messageID string) (PayNPlayOutcome, error) {
	var out PayNPlayOutcome
	now := s.now().UTC()
	err := readTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.Where("message_id = ? AND kind = ? AND pay_n_play = ?", messageID, models.OrderDeposit, true).
			Limit(1).Find(&out.Order).Error; err != nil {
			return err
		}
		if out.Order.ID == 0 {
			return ErrOrderNotFound
		}
		o := &out.Order
		switch {
		case o.KYCOutcome == models.KYCFinish:
			out.State, out.Message = PayNPlayRefused, o.KYCMessage
		case o.KYCOutcome == models.KYCContinue && o.PlayerID != 0 && o.SignedInAt == nil && s.signInOver(*o, now):
			out.State = PayNPlayExpired
		case o.KYCOutcome == models.KYCContinue && o.PlayerID != 0:
			var p models.Player
			if err := tx.Where("id = ?", o.PlayerID).Take(&p).Error; err != nil {
				return fmt.Errorf("player %d: %w", o.PlayerID, err)
			}
			out.State, out.Player = PayNPlayReady, &p
			if o.KYCWithdrawOnly != "" {
				out.Access = Access{WithdrawOnly: true, Register: o.KYCWithdrawOnly}
			}
		case o.Status == models.OrderFailed || o.CheckoutOver(s.checkoutCutoff(now)):
			// A kyc that never came waits for nothing once no one is at the bank.
			out.State, out.Message = PayNPlayRefused, msgPayNPlayEnded
		default:
			out.State = PayNPlayWaiting
		}
		var err error
		out.Market, err = s.orderMarket(tx, *o, out.Player)
		return err
	})
	switch {
	case errors.Is(err, ErrOrderNotFound):
		return PayNPlayOutcome{}, fmt.Errorf("pay n play order %s: %w", messageID, ErrOrderNotFound)
	case err != nil:
		return PayNPlayOutcome{}, fmt.Errorf("pay n play order %s: %w", messageID, err)
	}
	return out, nil
}

// orderMarket is the market a Pay N Play order was started from. An order from
// before Order.Market was kept tells it by its player's country once its kyc named
// one (player, or loaded), else by its currency when one Pay N Play market alone
// has it (SEK: Sweden), else by the one market of that currency with Pay N Play on
// now; "" when that still leaves a choice (EUR in Finland and the Netherlands).
func (s *Service) orderMarket(tx *gorm.DB, order models.Order, player *models.Player) (string, error) {
	if order.Market != "" {
		return order.Market, nil
	}
	if player == nil && order.PlayerID != 0 {
		var p models.Player
		if err := tx.Select("id", "country").Where("id = ?", order.PlayerID).Limit(1).Find(&p).Error; err != nil {
			return "", fmt.Errorf("market of player %d: %w", order.PlayerID, err)
		}
		player = &p
	}
	if player != nil {
		if _, ok := models.Markets[player.Country]; ok {
			return player.Country, nil
		}
	}
	var all, enabled []string
	for _, c := range paynplay.Markets {
		if models.Markets[c].Currency != order.Amount.Currency {
			continue
		}
		all = append(all, c)
		if s.cfg.PayNPlay.Enabled(c) {
			enabled = append(enabled, c)
		}
	}
	switch {
	case len(all) == 1:
		return all[0], nil
	case len(enabled) == 1:
		return enabled[0], nil
	}
	return "", nil
}

// PayNPlayPayout pays amount out to the bank account the player last deposited
// from (closed loop, the pure model): one AccountPayout, no choice of account. It
// is RequestPayoutOnce to that account with the form's token, with its checks and
// approval limit; without a verified deposit account it fails with a
// *models.Problem that says why: none yet, one the bank has not verified yet, the
// one the form named removed since, or a payout to it failed at the bank since (a
// form loaded before).
func (s *Service) PayNPlayPayout(ctx context.Context, player models.Player, token string, amount models.Money) (models.Order, error) {
	account, ok, err := depositAccount(ctx, s.db, player.ID)
	if err != nil {
		return models.Order{}, fmt.Errorf("pay n play payout: %w", err)
	}
	switch {
	case ok && account.PayoutFailure != "":
		return models.Order{}, models.ProblemT("", "problem.paynplay_account_failed", msgPayNPlayAccountFailed)
	case !ok:
		_, waiting, err := s.DepositAccountWaiting(ctx, player)
		if err != nil {
			return models.Order{}, fmt.Errorf("pay n play payout: %w", err)
		}
		if waiting {
			return models.Order{}, models.ProblemT("", "problem.paynplay_account_unverified", msgPayNPlayAccountUnverified)
		}
		removed, err := s.DepositAccountRemoved(ctx, player)
		switch {
		case err != nil:
			return models.Order{}, fmt.Errorf("pay n play payout: %w", err)
		case removed:
			return models.Order{}, models.ProblemT("", "problem.paynplay_account_removed", msgPayNPlayAccountRemoved)
		}
		return models.Order{}, models.ProblemT("", "problem.paynplay_no_account", msgPayNPlayNoAccount)
	}
	return s.RequestPayoutOnce(ctx, player, token, account.ID, amount)
}
