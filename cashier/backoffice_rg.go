package cashier

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// ErrLimitChangeNotFound means no deposit-limit change has the given id.
var ErrLimitChangeNotFound = errors.New("deposit-limit change not found")

// PlayerRG is what the back office shows of a player's responsible gaming: the
// deposit limits now with every change the player asked for (flagged raises among
// them, with their resolutions), and every break from play they took.
type PlayerRG struct {
	Limits limits.Status // in the player's currency, History newest first
	// Resolutions are the staff resolutions of the player's flagged limit
	// changes, by change id.
	Resolutions map[int64]staff.Resolution
	Break       *breaks.Break  // in force now; nil: none
	Breaks      []breaks.Break // every one, newest first
}

// playerRG reads player's PlayerRG in tx.
func (s *Service) playerRG(ctx context.Context, tx *gorm.DB, player models.Player) (PlayerRG, error) {
	now := s.now()
	var rg PlayerRG
	var err error
	if rg.Limits, err = s.limits.Status(ctx, tx, player, player.Currency, now.UTC()); err != nil {
		return PlayerRG{}, fmt.Errorf("deposit limits of player %d: %w", player.ID, err)
	}
	var flagged []int64
	for _, c := range rg.Limits.History {
		if c.Flag != "" {
			flagged = append(flagged, c.ID)
		}
	}
	if len(flagged) > 0 {
		var rs []staff.Resolution
		if err := tx.WithContext(ctx).Where("limit_change_id IN ?", flagged).Order("id").Find(&rs).Error; err != nil {
			return PlayerRG{}, fmt.Errorf("resolutions of player %d's limit changes: %w", player.ID, err)
		}
		rg.Resolutions = make(map[int64]staff.Resolution, len(rs))
		for _, r := range rs {
			rg.Resolutions[r.LimitChangeID] = r
		}
	}
	if rg.Breaks, err = breaks.List(ctx, tx, player.ID); err != nil {
		return PlayerRG{}, err
	}
	if b, ok, err := breaks.Current(ctx, tx, player.ID, now); err != nil {
		return PlayerRG{}, err
	} else if ok {
		rg.Break = &b
	}
	return rg, nil
}

// FlaggedRaise is a deposit-limit raise flagged for the back office (a policy's
// FlagRaiseAbove) that no one has resolved yet, with its player's email.
type FlaggedRaise struct {
	limits.Change
	PlayerEmail string
}

// flaggedRaises reads at most n unresolved flagged limit changes, newest first.
func flaggedRaises(tx *gorm.DB, n int) ([]FlaggedRaise, error) {
	var changes []limits.Change
	if err := unresolvedRaises(tx).Order("id DESC").Limit(n).Find(&changes).Error; err != nil {
		return nil, fmt.Errorf("flagged limit raises: %w", err)
	}
	ids := make([]int64, 0, len(changes))
	for _, c := range changes {
		if !slices.Contains(ids, c.PlayerID) {
			ids = append(ids, c.PlayerID)
		}
	}
	emails, err := playerEmails(tx, ids)
	if err != nil {
		return nil, fmt.Errorf("flagged limit raises: %w", err)
	}
	raises := make([]FlaggedRaise, len(changes))
	for i, c := range changes {
		raises[i] = FlaggedRaise{Change: c, PlayerEmail: emails[c.PlayerID]}
	}
	return raises, nil
}

// unresolvedRaises is the query of flagged deposit-limit changes no resolution
// covers, read through idx_limit_changes_flagged.
func unresolvedRaises(tx *gorm.DB) *gorm.DB {
	resolved := tx.Model(&staff.Resolution{}).Select("1").Where("flag_resolutions.limit_change_id = deposit_limit_changes.id")
	return tx.Model(&limits.Change{}).Where("flag <> ''").Where("NOT EXISTS (?)", resolved)
}

// ResolveLimitRaise records that staff looked at a flagged deposit-limit raise,
// with a note (what they did: contacted the player, checked affordability …). A
// change without a flag, or one resolved already, is a *models.Problem. The
// change itself is never altered: the limit applies as the policy says.
func (s *Service) ResolveLimitRaise(ctx context.Context, by staff.Member, changeID int64, note string) (staff.Resolution, error) {
	return s.resolve(ctx, by, note, func(tx *gorm.DB, r *staff.Resolution) (int64, error) {
		var c limits.Change
		if err := forUpdate(tx).Where("id = ?", changeID).Limit(1).Find(&c).Error; err != nil {
			return 0, err
		}
		if c.ID == 0 {
			return 0, ErrLimitChangeNotFound
		}
		var done int64
		if err := tx.Model(&staff.Resolution{}).Where("limit_change_id = ?", c.ID).Count(&done).Error; err != nil {
			return 0, err
		}
		if done > 0 {
			return 0, resolvedAlready(tx, fmt.Sprintf("The limit raise %d was", c.ID), "limit_change_id = ?", c.ID)
		}
		if c.Flag == "" {
			return 0, models.Problemf("", "This limit change has nothing waiting to be resolved.")
		}
		r.LimitChangeID, r.Flag = c.ID, c.Flag
		return c.PlayerID, nil
	})
}
