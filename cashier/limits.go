package cashier

import (
	"context"
	"fmt"

	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// DepositLimits reads the player's deposit limits in their wallet's currency now:
// each period's limit, what is used, pending raises and the history.
func (s *Service) DepositLimits(ctx context.Context, player models.Player) (limits.Status, error) {
	var st limits.Status
	err := readTx(ctx, s.db, func(tx *gorm.DB) (err error) {
		st, err = s.limits.Status(ctx, tx, player, player.Currency, s.now().UTC())
		return err
	})
	if err != nil {
		return limits.Status{}, fmt.Errorf("deposit limits of player %d: %w", player.ID, err)
	}
	return st, nil
}

// SetDepositLimits records the player's wanted deposit limits (see limits.Service.Set)
// in one write transaction. A raise flagged by the market's policy is logged for
// the back office; the flag stays on the change's row.
func (s *Service) SetDepositLimits(ctx context.Context, player models.Player, wanted map[limits.Period]int64) ([]limits.Change, error) {
	var changes []limits.Change
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) (err error) {
		changes, err = s.limits.Set(ctx, tx, player, player.Currency, wanted)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		log := s.log.With("player_id", player.ID, "limit_change_id", c.ID, "period", c.Period,
			"amount", c.Amount().String(), "currency", c.Currency, "effective_at", c.EffectiveAt)
		if c.Flag != "" {
			log.Warn("deposit limit raise flagged for the back office", "flag", c.Flag)
		} else {
			log.Info("deposit limit changed")
		}
	}
	return changes, nil
}
