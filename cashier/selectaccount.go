package cashier

import (
	"context"
	"errors"
	"fmt"

	"github.com/trustly-cashier/cashier/internal/failpoint"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
)

// Sentences shown to players about adding an account with Trustly.
const (
	// msgSelectFailed is shown when Trustly does not start an account selection.
	msgSelectFailed = "Trustly could not start adding your bank account just now; please try again in a moment."
	msgSelectForm   = "This form is out of date; open the bank accounts page again."
)

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
	return s.startSelectAccount(ctx, player, models.NewMessageID(models.OrderSelectAccount), ip)
}

// StartSelectAccountOnce is StartSelectAccount for an "Add account with Trustly"
// form that carries token, an account selection's MessageID made when the form
// was shown, which becomes the selection's: the same form sent again (a double
// click, the back button, a retry) returns the selection it started, once its
// checkout is there, or as it stands now (its account added, or abandoned when
// the process making its SelectAccount call stopped), and starts nothing more. An
// empty token is a new one; a token of another shape, or another order's, fails
// with a *models.Problem (once).
func (s *Service) StartSelectAccountOnce(ctx context.Context, player models.Player, token, ip string) (models.Order, error) {
	order, _, err := s.once(ctx, player, selectForm, token, func(messageID string) (models.Order, error) {
		return s.startSelectAccount(ctx, player, messageID, ip)
	})
	return order, err
}

// startSelectAccount is StartSelectAccount with the order's MessageID.
func (s *Service) startSelectAccount(ctx context.Context, player models.Player, messageID, ip string) (models.Order, error) {
	if err := s.refuseBlocked(ctx, player); err != nil {
		return models.Order{}, err
	}
	order := models.Order{MessageID: messageID, Kind: models.OrderSelectAccount,
		PlayerID: player.ID, Amount: models.Money{Currency: player.Currency}}
	return s.startCheckout(ctx, order, msgSelectFailed, func(back func(string) string) (string, string, error) {
		failpoint.Hit("selectaccount.before_call")
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
		failpoint.Hit("selectaccount.after_call")
		return res.OrderID, res.URL, err
	})
}

// SelectedAccount is what the page behind /accounts/success?order=<MessageID>
// shows: the player's account-selection order, and the bank account its account
// notification saved, or nil while Trustly is still verifying it. An order that
// failed (refused, or cancelled by the player) will get no account. A messageID
// that is not one of the player's account selections is ErrOrderNotFound.
//
// An account the player had removed is theirs again once they select it again
// (saveAccount; TestSelectAccountAddsARemovedAccountAgain).
func (s *Service) SelectedAccount(ctx context.Context, player models.Player, messageID string) (models.Order, *models.BankAccount, error) {
	order, err := s.OrderByMessageID(ctx, player, messageID)
	if err != nil {
		return models.Order{}, nil, err
	}
	if order.Kind != models.OrderSelectAccount {
		return models.Order{}, nil, fmt.Errorf("order %s: %w", messageID, ErrOrderNotFound)
	}
	// The account notification is stored with the order it names; it was verified
	// when it arrived, so it is decoded as stored, by the parser that verified it:
	// the envelope may carry keys the signature does not cover (a "PARAMS" beside
	// "params", which encoding/json would read as well), and only the signed data
	// counts.
	var n models.Notification
	err = s.db.WithContext(ctx).Where("order_id = ? AND method = ?", order.ID, trustly.MethodAccount).Order("id").Limit(1).Find(&n).Error
	if err != nil || n.ID == 0 {
		return order, nil, err
	}
	stored, err := trustly.DecodeNotification([]byte(n.Raw))
	if errors.Is(err, trustly.ErrBadData) {
		// Stored by an older version, which took a shape this one refuses (an
		// accountid with a control character, a space at an end): no account is
		// shown from it, and the page reads the order as it stands.
		s.log.Error("alert: account notification of an account selection no longer fits Trustly's format; no account shown",
			"order_id", order.ID, "notification_id", n.NotificationID, "err", err)
		return order, nil, nil
	}
	if err != nil {
		return order, nil, fmt.Errorf("order %s: read account notification %s: %w", messageID, n.NotificationID, err)
	}
	d, ok := stored.Data.(*trustly.AccountData)
	if !ok || d.AccountID == "" {
		return order, nil, fmt.Errorf("order %s: account notification %s names no account", messageID, n.NotificationID)
	}
	var account models.BankAccount
	err = s.db.WithContext(ctx).Where("player_id = ? AND account_id = ?", player.ID, d.AccountID).Limit(1).Find(&account).Error
	if err != nil || account.ID == 0 {
		return order, nil, err
	}
	return order, &account, nil
}
