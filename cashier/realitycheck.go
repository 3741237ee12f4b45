package cashier

import (
	"context"
	"fmt"
	"time"

	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// Responsible gaming: the reality check. Every Config.RealityCheck interval of a
// signed-in session, the player is shown how long they have been signed in and the
// net result of the session (deposits minus payouts), until they acknowledge it;
// acknowledging starts the next interval. The session's sign-in time and last
// acknowledgement live in the (signed) session cookie; this file only computes.

// RealityCheckDefaults are the markets where the reality check is on without
// configuration (CASHIER_REALITY_CHECK overrides them), and its interval there.
// They are the project's reading of what those markets expect, not legal advice.
var RealityCheckDefaults = map[string]time.Duration{
	"SE": time.Hour,
	"NL": time.Hour,
	"ES": time.Hour,
}

// RealityCheckInterval is the interval of the player's market; 0 when it is off.
func (c Config) RealityCheckInterval(country string) time.Duration {
	if d, ok := c.RealityCheck[country]; ok {
		return d
	}
	return RealityCheckDefaults[country]
}

// RealityCheck is where a session stands with its reality check.
type RealityCheck struct {
	Interval time.Duration // 0: off in the player's market; nothing else is set
	// Due: an interval has passed since the last acknowledgement (or sign-in);
	// otherwise DueIn is how long until it has.
	Due   bool
	DueIn time.Duration
	// Spent is the time since sign-in; the money is the session's, filled only when Due.
	Spent    time.Duration
	Deposits models.Money // credited deposits started in the session, less what debits took back
	Payouts  models.Money // payouts requested in the session, counted as the payout window counts them (models.PayoutOutSQL)
	Net      models.Money // Deposits minus Payouts
}

// RealityCheckTimes is RealityCheck without the money, which it reads nothing
// for: whether the check is due (an acknowledgement of one that is not due
// changes nothing), or when it will be.
func (s *Service) RealityCheckTimes(player models.Player, signedIn, checked time.Time) RealityCheck {
	rc := RealityCheck{Interval: s.cfg.RealityCheckInterval(player.Country)}
	if rc.Interval <= 0 {
		return RealityCheck{}
	}
	now := s.now()
	if checked.Before(signedIn) {
		checked = signedIn
	}
	rc.Spent = now.Sub(signedIn)
	if next := checked.Add(rc.Interval); now.Before(next) {
		rc.DueIn = next.Sub(now)
		return rc
	}
	rc.Due = true
	return rc
}

// RealityCheck reports the reality check of the player's session signed in at
// signedIn and last acknowledged at checked (signedIn when never).
func (s *Service) RealityCheck(ctx context.Context, player models.Player, signedIn, checked time.Time) (RealityCheck, error) {
	rc := s.RealityCheckTimes(player, signedIn, checked)
	if !rc.Due {
		return rc, nil
	}
	err := readTx(ctx, s.db, func(tx *gorm.DB) error {
		// A deposit counts what stayed of it, as against the deposit limits
		// (limits.Counts): what its credit booked (CreditedMinor, when Trustly
		// credited another amount than asked), less what a debit took back
		// (DebitedMinor: the bank did not settle it), also when the debit came
		// first. Only deposits whose credit is booked count: a debited one is
		// credited still, whatever its status says.
		var deposits []models.Order
		if err := tx.Select("kind", "status", "amount_minor", "credited_minor", "debited_minor", "credited_at", "pay_n_play",
			"kyc_outcome", "kyc_limit_minor").
			Where("player_id = ? AND kind = ? AND amount_currency = ? AND created_at >= ? AND credited_at IS NOT NULL",
				player.ID, models.OrderDeposit, player.Currency, signedIn.UTC()).Find(&deposits).Error; err != nil {
			return err
		}
		var dep int64
		for _, o := range deposits {
			dep += limits.Counts(o)
		}
		// A payout counts what the payout approval window and the net deposit
		// limits count of it (models.PayoutOutSQL): its amount while it stands,
		// whatever left the wallet (a payout waiting for approval counts whole),
		// and nothing once it was released, cancelled or failed, at the bank too
		// (payoutfailed, though its money is out of the wallet until Trustly's
		// credit), but what a credit did not give back. One definition keeps the
		// three from telling the player different things about one payout.
		var pay int64
		if err := tx.Model(&models.Order{}).Select("COALESCE(SUM("+models.PayoutOutSQL+"), 0)").
			Where("player_id = ? AND kind = ? AND amount_currency = ? AND created_at >= ?",
				player.ID, models.OrderPayout, player.Currency, signedIn.UTC()).Scan(&pay).Error; err != nil {
			return err
		}
		rc.Deposits = models.Money{Minor: dep, Currency: player.Currency}
		rc.Payouts = models.Money{Minor: pay, Currency: player.Currency}
		rc.Net = models.Money{Minor: dep - pay, Currency: player.Currency}
		return nil
	})
	if err != nil {
		return RealityCheck{}, fmt.Errorf("reality check of player %d: %w", player.ID, err)
	}
	return rc, nil
}

// Now is the service's clock, for the session times of the reality check.
func (s *Service) Now() time.Time { return s.now() }
