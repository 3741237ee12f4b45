package cashier

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// The notification path of payouts: what Trustly's side says happened to a payout,
// in its notifications and, for a payout whose resend was answered 637, in its
// ledger; and the three transfers that move a reservation's money, each booked at
// most once whatever arrives, in any order.

// applyPayout applies a notification to a payout order (API.md §5.3, §6.3):
// every one of them proves Trustly has the payout, so a payout still reserved is
// booked as sent first; payoutconfirmation and payoutfailed record what the bank
// said; a credit, or a cancel, returns the money to the wallet. Money goes back to
// the wallet exactly once, whatever arrives, in any order. Neither
// payoutconfirmation nor payoutfailed is final: a credit can follow both.
func (s *Service) applyPayout(ctx context.Context, tx *gorm.DB, n *trustly.Notification, order *models.Order, now time.Time, log *slog.Logger) (trustly.Answer, error) {
	ok := trustly.Answer{Status: trustly.StatusOK}
	switch d := n.Data.(type) {
	case *trustly.PayoutData:
		if amount, err := models.ParseDecimal(d.Amount, d.Currency); err != nil || amount != order.Amount {
			order.AddFlag(fmt.Sprintf("%s for %s %s differs from the order's %s", n.Method, d.Amount, d.Currency, order.Amount))
		}
		if err := s.payoutSent(ctx, tx, order, now, log); err != nil {
			return ok, err
		}
		if n.Method == trustly.MethodPayoutConfirmation {
			setOnce(&order.ConfirmedAt, now)
			return ok, nil
		}
		setOnce(&order.PayoutFailedAt, now)
		if order.Reason == "" {
			order.Reason = truncate(fmt.Sprintf("payoutfailed %s: %s", d.ErrorCode, d.ErrorMessage), 500)
		}
		log.Warn("payout failed at the bank; the money returns with Trustly's credit", "error_code", d.ErrorCode, "error_message", d.ErrorMessage)
		return ok, nil
	case *trustly.TransferData:
		if n.Method == trustly.MethodCredit {
			return ok, s.creditPayout(ctx, tx, d, order, now, log)
		}
	case *trustly.CancelData:
		// Whether Trustly cancels payouts is unknown (API.md §13): treat it as a
		// failure that gives the money back, unless it is back already. Like any
		// notification it proves Trustly had the payout, so the money goes back the
		// way it went, send then return, whichever of cancel, credit and the API
		// result comes first.
		setOnce(&order.CancelledAt, now)
		if err := s.payoutSent(ctx, tx, order, now, log); err != nil {
			return ok, err
		}
		return ok, s.payoutReturned(ctx, tx, order, order.Amount, now, log)
	}
	order.AddFlag(fmt.Sprintf("unexpected %s notification for a payout order", n.Method))
	log.Warn("unexpected notification for a payout; stored, nothing booked")
	return ok, nil
}

// creditPayout books the credit that returns a payout's money: clearing → wallet,
// as much as Trustly says (another amount is flagged). A credit for a payout still
// reserved proves it was sent, so the send is booked first. A second credit with
// another notificationid is flagged and not booked; one in another currency is
// flagged and not booked, for staff to settle.
func (s *Service) creditPayout(ctx context.Context, tx *gorm.DB, d *trustly.TransferData, order *models.Order, now time.Time, log *slog.Logger) error {
	if order.CreditedAt != nil {
		order.AddFlag("more than one credit notification: only the first was booked")
		log.Error("alert: second credit for a payout; not booked", "amount", d.Amount, "currency", d.Currency)
		return nil
	}
	amount, err := transferAmount("credit", d)
	if err != nil {
		return err
	}
	setOnce(&order.CreditedAt, now)
	if amount.Currency != order.Amount.Currency {
		order.AddFlag(fmt.Sprintf("credit in %s for a payout in %s: not booked", amount.Currency, order.Amount.Currency))
		log.Error("alert: payout credit in another currency; not booked", "amount", d.Amount, "currency", d.Currency)
		return nil
	}
	if amount != order.Amount {
		order.AddFlag(fmt.Sprintf("credit of %s differs from the payout's %s: booked as credited", amount, order.Amount))
	}
	if err := s.payoutSent(ctx, tx, order, now, log); err != nil {
		return err
	}
	if err := s.payoutReturned(ctx, tx, order, amount, now, log); err != nil {
		return err
	}
	log.Warn("payout returned by the bank; money back in the wallet", "amount", amount.String())
	return nil
}

// payoutSent books "payout:<ID>:send" (reserved → clearing) once, when Trustly
// accepted the payout or a notification shows it has it. If the reservation was
// already released, Trustly contradicts what we booked: that is flagged for staff,
// and nothing is booked.
func (s *Service) payoutSent(ctx context.Context, tx *gorm.DB, o *models.Order, now time.Time, log *slog.Logger) error {
	switch {
	case o.SentAt != nil:
		return nil
	case o.ReleasedAt != nil:
		o.AddFlag("Trustly has this payout although its reservation was released: check it with Trustly")
		log.Error("alert: Trustly has a payout whose reservation was released")
		return nil
	}
	t := models.Move(o.Reference("send"), "Payout via Trustly", models.PlayerReserved(o.PlayerID), models.TrustlyClearing, o.Amount)
	if _, err := ledger.New(tx).Post(ctx, t); err != nil {
		return err
	}
	setOnce(&o.SentAt, now)
	return nil
}

// payoutReleased books "payout:<ID>:release" (reserved → wallet) once, for a payout
// that was never sent. Money that already left the reservation stays where it is.
func (s *Service) payoutReleased(ctx context.Context, tx *gorm.DB, o *models.Order, now time.Time) error {
	if o.SentAt != nil || o.ReleasedAt != nil {
		return nil
	}
	t := models.Move(o.Reference("release"), "Payout not sent: back to your balance", models.PlayerReserved(o.PlayerID), models.PlayerWallet(o.PlayerID), o.Amount)
	if _, err := ledger.New(tx).Post(ctx, t); err != nil {
		return err
	}
	setOnce(&o.ReleasedAt, now)
	return nil
}

// payoutReturned books "payout:<ID>:return" (clearing → wallet) once, for a payout
// that was sent. Money released before sending is not returned again (flagged).
func (s *Service) payoutReturned(ctx context.Context, tx *gorm.DB, o *models.Order, amount models.Money, now time.Time, log *slog.Logger) error {
	switch {
	case o.ReturnedAt != nil:
		return nil
	case o.SentAt == nil:
		o.AddFlag("Trustly returned a payout whose reservation was released: not booked again")
		log.Error("alert: return for a payout that was never booked as sent; not booked")
		return nil
	}
	t := models.Move(o.Reference("return"), "Payout returned by the bank", models.TrustlyClearing, models.PlayerWallet(o.PlayerID), amount)
	if _, err := ledger.New(tx).Post(ctx, t); err != nil {
		return err
	}
	setOnce(&o.ReturnedAt, now)
	return nil
}

