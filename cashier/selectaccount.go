package cashier

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
)

// msgSelectFailed is shown when Trustly does not start an account selection.
const msgSelectFailed = "Trustly could not start adding your bank account just now; please try again in a moment."

// StartSelectAccount creates an account-selection order ("Add account with
// Trustly") and asks Trustly's SelectAccount for its checkout. It returns the
// order, started with a CheckoutURL to send the player to, or a *models.Problem
// when Trustly refuses or does not answer (the order is then failed, and the player
// may try again with a new one). No money moves.
//
// The player comes back to BaseURL/accounts/success?order=<MessageID> (or
// /accounts/fail), but only the account notification that follows, possibly
// later, saves the account: SelectedAccount tells the page whether it has come.
func (s *Service) StartSelectAccount(ctx context.Context, player models.Player, ip string) (models.Order, error) {
	if err := s.refuseBlocked(ctx, player); err != nil {
		return models.Order{}, err
	}
	order := models.Order{MessageID: models.NewMessageID(models.OrderSelectAccount), Kind: models.OrderSelectAccount,
		PlayerID: player.ID, Amount: models.Money{Currency: player.Currency}}
	return s.startCheckout(ctx, order, msgSelectFailed, func(back func(string) string) (string, string, error) {
		res, err := recorded(ctx, s, aboutMessage(order), s.trustly.SelectAccount, trustly.SelectAccountParams{
			NotificationURL: s.cfg.NotificationURL(),
			EndUserID:       player.EndUserID,
			MessageID:       order.MessageID,
			Locale:          player.Locale(ctx),
			Country:         player.Country,
			Firstname:       player.FirstName,
			Lastname:        player.LastName,
			Email:           player.Email,
			IP:              ip,
			SuccessURL:      back("/accounts/success"),
			FailURL:         back("/accounts/fail"),
			URLTarget:       trustly.TargetTop,
			Extra:           s.cfg.SandboxExtra,
		})
		return res.OrderID, res.URL, err
	})
}

// SelectedAccount is what the page behind /accounts/success?order=<MessageID>
// shows: the player's account-selection order, and the bank account its account
// notification saved, or nil while Trustly is still verifying it. An order that
// failed (refused, or cancelled by the player) will get no account. A messageID
// that is not one of the player's account selections is ErrOrderNotFound.
//
// An account the player had removed stays removed when they select it again; they
// can register its details to show it again.
func (s *Service) SelectedAccount(ctx context.Context, player models.Player, messageID string) (models.Order, *models.BankAccount, error) {
	order, err := s.OrderByMessageID(ctx, player, messageID)
	if err != nil {
		return models.Order{}, nil, err
	}
	if order.Kind != models.OrderSelectAccount {
		return models.Order{}, nil, fmt.Errorf("order %s: %w", messageID, ErrOrderNotFound)
	}
	// The account notification is stored with the order it names; it was verified
	// when it arrived, so its accountid can be read as stored.
	var n models.Notification
	err = s.db.WithContext(ctx).Where("order_id = ? AND method = ?", order.ID, trustly.MethodAccount).Order("id").Limit(1).Find(&n).Error
	if err != nil || n.ID == 0 {
		return order, nil, err
	}
	var body struct {
		Params struct {
			Data struct {
				AccountID string `json:"accountid"`
			} `json:"data"`
		} `json:"params"`
	}
	if err := json.Unmarshal([]byte(n.Raw), &body); err != nil || body.Params.Data.AccountID == "" {
		return order, nil, fmt.Errorf("order %s: read account notification %s: %v", messageID, n.NotificationID, err)
	}
	var account models.BankAccount
	err = s.db.WithContext(ctx).Where("player_id = ? AND account_id = ?", player.ID, body.Params.Data.AccountID).Limit(1).Find(&account).Error
	if err != nil || account.ID == 0 {
		return order, nil, err
	}
	return order, &account, nil
}
