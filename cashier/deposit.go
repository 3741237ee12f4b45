package cashier

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/internal/failpoint"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Sentences shown to players about deposits.
const (
	msgDepositCurrency = "Deposits are made in your wallet's currency, %s."
	msgDepositLimits   = "Choose an amount from %s to %s."
	msgDepositFailed   = "Trustly could not start your deposit just now. No money was moved; please try again in a moment."
	msgDepositForm     = "This deposit form is out of date; open the cashier page again."
)

// StartDeposit creates a deposit order for amount and asks Trustly for its
// checkout. It returns the order, started with a CheckoutURL to send the player
// to, or a *models.Problem for the player: an amount outside the limits or in
// another currency, a blocked player (negative wallet), the player's deposit limits
// (not set where the market requires them, or leaving less than amount; the order
// reserves its headroom as it is created), or Trustly refusing or not answering
// (see startCheckout). Only notifications move money, never the result
// of this call.
//
// In a market with a national self-exclusion register it asks the register first,
// as sign-in does (checkRegister): an excluded player fails with ErrExcluded, a
// register without an answer with ErrRegisterUnavailable, and no order is created
// and Trustly is not called. The player stays signed in, to withdraw.
func (s *Service) StartDeposit(ctx context.Context, player models.Player, amount models.Money, ip string) (models.Order, error) {
	return s.startDeposit(ctx, player, models.NewMessageID(models.OrderDeposit), amount, ip)
}

// StartDepositOnce is StartDeposit for a deposit form that carries token, a
// deposit MessageID made when the form was shown, which becomes the deposit's: the
// same form sent again (a double click, a browser sending it twice) returns the
// deposit it started, once its checkout is there, and starts nothing more, so no
// second order holds the deposit limits' headroom until it expires. An empty token
// is a new one; a token of another shape, or another order's, fails with a
// *models.Problem (once).
func (s *Service) StartDepositOnce(ctx context.Context, player models.Player, token string, amount models.Money, ip string) (models.Order, error) {
	order, _, err := s.once(ctx, player, depositForm, token, func(messageID string) (models.Order, error) {
		return s.startDeposit(ctx, player, messageID, amount, ip)
	})
	return order, err
}

// depositRangeProblem is the refusal of a deposit of amount outside the cashier's
// range r. The player's own deposit limits may leave less than the range's top, as
// the deposit form's hint says then: a deposit above the range is told what the
// limits leave (or that they are reached), and one below it the range up to what
// they leave, so that no sentence invites an amount the limits refuse.
func (s *Service) depositRangeProblem(ctx context.Context, player models.Player, amount models.Money, r Limits) error {
	top := r.MaxDeposit
	st, err := s.DepositLimits(ctx, player)
	if err != nil {
		return fmt.Errorf("start deposit: %w", err)
	}
	if why := st.RefusalText(top); why.ID != "" {
		if amount.Minor > top.Minor {
			return models.ProblemT("amount", why.ID, st.Refusal(top), why.Args...)
		}
		if st.Limited && st.Remaining.Minor >= r.MinDeposit.Minor {
			top = st.Remaining
		}
	}
	return models.ProblemT("amount", "problem.deposit_limits", fmt.Sprintf(msgDepositLimits, r.MinDeposit.Display(), top.Display()),
		"Min", r.MinDeposit, "Max", top)
}

// startDeposit is StartDeposit with the order's MessageID.
func (s *Service) startDeposit(ctx context.Context, player models.Player, messageID string, amount models.Money, ip string) (models.Order, error) {
	limits := s.cfg.LimitsFor(player.Currency)
	switch {
	case amount.Currency != player.Currency:
		return models.Order{}, models.ProblemT("amount", "problem.deposit_currency", fmt.Sprintf(msgDepositCurrency, player.Currency), "Currency", player.Currency)
	case amount.Minor < limits.MinDeposit.Minor || amount.Minor > limits.MaxDeposit.Minor:
		return models.Order{}, s.depositRangeProblem(ctx, player, amount, limits)
	}
	if err := s.refuseBlocked(ctx, player); err != nil {
		return models.Order{}, err
	}
	blocked, err := s.Blocked(ctx, player)
	if err != nil {
		return models.Order{}, fmt.Errorf("start deposit: %w", err)
	}
	if blocked {
		cause, err := belowZeroCause(ctx, s.db, player.ID, player.Currency)
		if err != nil {
			return models.Order{}, fmt.Errorf("start deposit: %w", err)
		}
		return models.Order{}, belowZeroProblem("problem.deposit_blocked", cause)
	}
	// A player signed in for up to 12 hours may have excluded themselves since: the
	// national register is asked again before any money is taken, and before the
	// transaction, as it is a network call.
	if err := s.checkRegister(ctx, player, "deposit"); err != nil {
		return models.Order{}, fmt.Errorf("start deposit: %w", err)
	}
	// In a Pay N Play market every deposit asks for a kyc, a password player's too,
	// so that the same rules guard it: a bank identity that is not the player's, a
	// minor's account or a self-excluded person is refused before money moves.
	pnp := s.cfg.PayNPlay.Enabled(player.Country)
	order := models.Order{MessageID: messageID, Kind: models.OrderDeposit,
		PlayerID: player.ID, Amount: amount, EndUserID: player.EndUserID, PayNPlay: pnp}
	// The deposit limits' headroom is reserved in the transaction that creates the
	// order (limits.Service.Reserve), with the player's row locked; a break from
	// play the player took stops deposits, read there too, so that a break taken at
	// the same moment (TakeBreak locks the row as well) either comes first and
	// refuses this deposit or comes after it.
	reserve := func(tx *gorm.DB, at time.Time) error {
		if err := s.limits.Reserve(ctx, tx, player, amount, at); err != nil {
			return err
		}
		switch b, on, err := breaks.Current(ctx, tx, player.ID, at); {
		case err != nil:
			return err
		case on:
			return breakProblem(b)
		}
		return refuseTwinOnBreak(ctx, tx, s.log, player, at)
	}
	return s.startCheckoutWith(ctx, order, reserve, msgDepositFailed, func(back func(string) string) (string, string, error) {
		params := trustly.DepositParams{
			NotificationURL:   s.cfg.NotificationURL(),
			EndUserID:         player.EndUserID,
			MessageID:         order.MessageID,
			Currency:          amount.Currency,
			Amount:            amount.String(),
			Firstname:         player.FirstName,
			Lastname:          player.LastName,
			Email:             player.Email,
			Country:           player.Country,
			Locale:            player.Locale(ctx),
			ShopperStatement:  s.cfg.ShopperStatement,
			IP:                ip,
			SuccessURL:        back("/deposit/success"),
			FailURL:           back("/deposit/fail"),
			URLTarget:         trustly.TargetTop,
			IntegrationModule: s.cfg.IntegrationModule,
			RequestKYC:        pnp,
			Extra:             s.cfg.SandboxExtra,
		}
		if pnp {
			if err := s.returningParams(ctx, player, &params); err != nil {
				return "", "", err
			}
		}
		failpoint.Hit("deposit.before_call")
		res, err := recorded(ctx, s, aboutMessage(order), s.trustly.Deposit, params)
		failpoint.Hit("deposit.after_call")
		return res.OrderID, res.URL, err
	})
}

// problemIDs are the message ids of the sentences chosen at run time: a failed
// checkout's, a refused payout's.
var problemIDs = map[string]string{
	msgDepositFailed:    "problem.deposit_failed",
	msgSelectFailed:     "problem.select_failed",
	msgPayNPlayFailed:   "problem.paynplay_failed",
	msgPayoutRefused:    "problem.payout_refused",
	msgPayoutBadAccount: "problem.payout_bad_account",
}

// startCheckout runs what every order with a Trustly checkout (Deposit,
// SelectAccount) goes through. The order row is committed first, so every
// notification Trustly might send finds it; then call asks Trustly for the
// checkout, given a function that builds our return URLs for the order. When the
// call fails or times out the order is left failed and the player gets problem
// (marked errCheckoutFailed: the order is this call's own): the
// call is never repeated, and an order Trustly did create after all expires with a
// cancel (API.md §6.1). On success the order records Trustly's orderid and the
// checkout URL, under the lock notifications take, so one that overtook the result
// is never overwritten.
func (s *Service) startCheckout(ctx context.Context, order models.Order, problem string,
	call func(back func(path string) string) (trustlyOrderID, checkoutURL string, err error)) (models.Order, error) {
	return s.startCheckoutWith(ctx, order, nil, problem, call)
}

// startCheckoutWith is startCheckout with reserve, when not nil, run first in the
// transaction that creates the order, at the order's CreatedAt; its
// *models.Problem refuses the order, which is then never created.
func (s *Service) startCheckoutWith(ctx context.Context, order models.Order, reserve func(tx *gorm.DB, at time.Time) error, problem string,
	call func(back func(path string) string) (trustlyOrderID, checkoutURL string, err error)) (models.Order, error) {
	order.CreatedAt = s.now().UTC()
	order.Refresh()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if reserve != nil {
			if err := reserve(tx, order.CreatedAt); err != nil {
				return err
			}
		}
		return tx.Create(&order).Error
	})
	var refused *models.Problem
	if errors.As(err, &refused) {
		return models.Order{}, refused
	}
	if err != nil {
		return models.Order{}, fmt.Errorf("start %s: create order: %w", order.Kind, err)
	}
	log := s.log.With("order_id", order.ID, "message_id", order.MessageID, "player_id", order.PlayerID, "kind", order.Kind)

	base := strings.TrimRight(s.cfg.BaseURL, "/")
	back := func(path string) string { return base + path + "?order=" + url.QueryEscape(order.MessageID) }
	trustlyOrderID, checkoutURL, err := call(back)
	// The player may have gone; the order's outcome is recorded regardless.
	ctx = context.WithoutCancel(ctx)
	if err != nil {
		var te *trustly.Error
		if errors.As(err, &te) {
			log = log.With("trustly_code", te.Code, "trustly_message", te.Message, "trustly_signed", te.Signed)
		}
		log.Error("checkout not started", "err", err, "outcome_unknown", errors.Is(err, trustly.ErrOutcomeUnknown))
		if _, ferr := s.changeOrder(ctx, order.ID, order.Kind, func(_ *gorm.DB, o *models.Order, now time.Time) error {
			setOnce(&o.FailedAt, now)
			return nil
		}); ferr != nil {
			return models.Order{}, fmt.Errorf("start %s: mark order %d failed: %w", order.Kind, order.ID, ferr)
		}
		return models.Order{}, fmt.Errorf("%w: %w", errCheckoutFailed, models.ProblemT("", problemIDs[problem], problem))
	}
	order, err = s.changeOrder(ctx, order.ID, order.Kind, func(_ *gorm.DB, o *models.Order, now time.Time) error {
		takeResultOrderID(o, trustlyOrderID, log)
		o.CheckoutURL = checkoutURL
		setOnce(&o.StartedAt, now)
		return nil
	})
	if err != nil {
		return models.Order{}, fmt.Errorf("start %s: save order %d: %w", order.Kind, order.ID, err)
	}
	log.Info("checkout started", "trustly_order_id", trustlyOrderID, "status", order.Status)
	return order, nil
}

// changeOrder changes one order of kind under the lock notifications take and saves
// it with its status refreshed; change may also write through tx (ledger
// transfers), all in one transaction.
func (s *Service) changeOrder(ctx context.Context, id int64, kind models.OrderKind, change func(tx *gorm.DB, o *models.Order, now time.Time) error) (models.Order, error) {
	var order models.Order
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := forUpdate(tx).Where("id = ? AND kind = ?", id, kind).Take(&order).Error; err != nil {
			return err
		}
		if err := change(tx, &order, s.now().UTC()); err != nil {
			return err
		}
		order.Refresh()
		return tx.Save(&order).Error
	})
	return order, err
}
