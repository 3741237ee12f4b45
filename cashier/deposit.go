package cashier

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Sentences shown to players about deposits.
const (
	msgDepositCurrency = "Deposits are made in your wallet's currency, %s."
	msgDepositLimits   = "Choose an amount from %s to %s."
	msgDepositBlocked  = "Your balance is below zero because your bank returned a deposit. Deposits and withdrawals are paused until it is settled; please contact support."
	msgDepositFailed   = "Trustly could not start your deposit just now. No money was moved; please try again in a moment."
)

// StartDeposit creates a deposit order for amount and asks Trustly for its
// checkout. It returns the order, started with a CheckoutURL to send the player
// to, or a *models.Problem for the player: an amount outside the limits or in
// another currency, a blocked player (negative wallet), or Trustly refusing or not
// answering.
//
// The order row is committed before Trustly is called, so every notification
// Trustly might send finds it. When the call fails or times out the order is left
// failed and the player may simply try again: a deposit is never resent, and an
// order Trustly did create after all expires with a cancel (API.md §6.1). Only
// notifications move money, never the result of this call.
func (s *Service) StartDeposit(ctx context.Context, player models.Player, amount models.Money, ip string) (models.Order, error) {
	limits := s.cfg.LimitsFor(player.Currency)
	switch {
	case amount.Currency != player.Currency:
		return models.Order{}, models.Problemf("amount", fmt.Sprintf(msgDepositCurrency, player.Currency))
	case amount.Minor < limits.MinDeposit.Minor || amount.Minor > limits.MaxDeposit.Minor:
		return models.Order{}, models.Problemf("amount", fmt.Sprintf(msgDepositLimits, limits.MinDeposit.Display(), limits.MaxDeposit.Display()))
	}
	blocked, err := s.Blocked(ctx, player)
	if err != nil {
		return models.Order{}, fmt.Errorf("start deposit: %w", err)
	}
	if blocked {
		return models.Order{}, models.Problemf("", msgDepositBlocked)
	}

	order := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit,
		PlayerID: player.ID, Amount: amount, CreatedAt: s.now().UTC()}
	order.Refresh()
	if err := s.db.WithContext(ctx).Create(&order).Error; err != nil {
		return models.Order{}, fmt.Errorf("start deposit: create order: %w", err)
	}
	log := s.log.With("order_id", order.ID, "message_id", order.MessageID, "player_id", player.ID)

	base := strings.TrimRight(s.cfg.BaseURL, "/")
	back := "?order=" + url.QueryEscape(order.MessageID)
	res, err := s.trustly.Deposit(ctx, trustly.DepositParams{
		NotificationURL:   s.cfg.NotificationURL(),
		EndUserID:         player.EndUserID,
		MessageID:         order.MessageID,
		Currency:          amount.Currency,
		Amount:            amount.String(),
		Firstname:         player.FirstName,
		Lastname:          player.LastName,
		Email:             player.Email,
		Country:           player.Country,
		Locale:            player.Locale(),
		ShopperStatement:  s.cfg.ShopperStatement,
		IP:                ip,
		SuccessURL:        base + "/deposit/success" + back,
		FailURL:           base + "/deposit/fail" + back,
		URLTarget:         trustly.TargetTop,
		IntegrationModule: s.cfg.IntegrationModule,
		Extra:             s.cfg.SandboxExtra,
	})
	// The player may have gone; the order's outcome is recorded regardless.
	ctx = context.WithoutCancel(ctx)
	if err != nil {
		var te *trustly.Error
		if errors.As(err, &te) {
			log = log.With("trustly_code", te.Code, "trustly_message", te.Message, "trustly_signed", te.Signed)
		}
		log.Error("deposit not started", "err", err, "outcome_unknown", errors.Is(err, trustly.ErrOutcomeUnknown))
		if _, ferr := s.updateOrder(ctx, order.ID, func(o *models.Order, now time.Time) { setOnce(&o.FailedAt, now) }); ferr != nil {
			return models.Order{}, fmt.Errorf("start deposit: mark order %d failed: %w", order.ID, ferr)
		}
		return models.Order{}, models.Problemf("", msgDepositFailed)
	}
	order, err = s.updateOrder(ctx, order.ID, func(o *models.Order, now time.Time) {
		switch o.TrustlyOrderID {
		case "":
			o.TrustlyOrderID = res.OrderID
		case res.OrderID:
		default:
			log.Error("alert: a notification for this order named another Trustly orderid than Deposit's result",
				"trustly_order_id", res.OrderID, "notified_trustly_order_id", o.TrustlyOrderID)
		}
		o.CheckoutURL = res.URL
		setOnce(&o.StartedAt, now)
	})
	if err != nil {
		return models.Order{}, fmt.Errorf("start deposit: save order %d: %w", order.ID, err)
	}
	log.Info("deposit started", "trustly_order_id", res.OrderID, "status", order.Status)
	return order, nil
}

// updateOrder changes one order under the same lock notifications take, so a
// notification that overtook the Deposit result is never overwritten, and saves it
// with its status refreshed.
func (s *Service) updateOrder(ctx context.Context, id int64, change func(o *models.Order, now time.Time)) (models.Order, error) {
	var order models.Order
	unlock := writeLock(s.db)
	defer unlock()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := forUpdate(tx).Where("id = ?", id).Take(&order).Error; err != nil {
			return err
		}
		change(&order, s.now().UTC())
		order.Refresh()
		return tx.Save(&order).Error
	})
	return order, err
}
