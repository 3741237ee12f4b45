package cashier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// Responsible gaming: the breaks from play a player chooses here (package breaks).
// While one is in force the player may not deposit, by the cashier's form or by
// Pay N Play, and a kyc for them is answered FINISH; they may still sign in, see
// their balance and history, and withdraw. There is no way to end a break early:
// no route, no method, and the table refuses updates and deletes.

// Sentences shown to players about breaks.
const (
	msgOnBreak        = "You chose %s, so deposits and play are paused until %s. Withdrawals are not affected."
	msgOnBreakForever = "You chose a permanent self-exclusion, so deposits and play are closed for good. Withdrawals are not affected."
	msgBreakRunning   = "You already have a break until %s. A break cannot be shortened; choose a longer one to extend it."
	msgBreakForever   = "You have a permanent self-exclusion, which cannot be changed."
	msgBreakKind      = "Choose one of the breaks listed."
	msgBreakForm      = "This break form is out of date; open the breaks page again."
	msgTwinOnBreak    = "We cannot start a deposit on this account just now. Please contact support."
)

// BreakEnd is when b ends, for people: "2026-01-27 14:01 UTC", rounded up to the
// minute so that it never reads earlier than the break ends; "" when permanent.
func BreakEnd(b breaks.Break) string {
	if b.EndsAt == nil {
		return ""
	}
	end := b.EndsAt.UTC()
	if r := end.Truncate(time.Minute); r.Before(end) {
		end = r.Add(time.Minute)
	}
	return end.Format("2006-01-02 15:04") + " UTC"
}

// BreakSentence is the sentence telling the player what b stops and until when.
func BreakSentence(b breaks.Break) string {
	if b.Permanent() {
		return msgOnBreakForever
	}
	return fmt.Sprintf(msgOnBreak, b.Kind.Label(), BreakEnd(b))
}

// BreakText is BreakSentence as a message to translate: "breaks.on_break" with
// the kind ("break.kind.time-out-7d") and the end rounded up to the minute.
func BreakText(b breaks.Break) models.Text {
	if b.Permanent() {
		return models.Text{ID: "breaks.on_break_forever"}
	}
	return models.Text{ID: "breaks.on_break", Args: []any{"Kind", BreakKindText(b.Kind), "Until", BreakEndTime(b)}}
}

// BreakKindText is a kind of break as a message to translate: "a 7-day time-out".
func BreakKindText(k breaks.Kind) models.Text { return models.Text{ID: "break.kind." + string(k)} }

// BreakEndTime is when b ends rounded up to the minute, as BreakEnd shows it.
func BreakEndTime(b breaks.Break) time.Time {
	if b.EndsAt == nil {
		return time.Time{}
	}
	end := b.EndsAt.UTC()
	if r := end.Truncate(time.Minute); r.Before(end) {
		end = r.Add(time.Minute)
	}
	return end
}

// breakProblem is the Problem of a deposit or play refused because of b.
func breakProblem(b breaks.Break) *models.Problem {
	t := BreakText(b)
	return models.ProblemT("", t.ID, BreakSentence(b), t.Args...)
}

// TakeBreak starts a break of kind for the player now. It fails with a
// *models.Problem for an unknown kind, and when a break in force ends no earlier
// than this one would: a break can be extended, never shortened. The form that
// confirms a break carries token (models.NewBreakToken, made when the form was
// shown), kept with the break: the same form sent again (a double click, a browser sending it again after a
// reload), also at the same moment, returns the break it took as it stands and
// writes nothing. The form's break is looked for under the player's row lock, so
// of two sendings at once the second finds the first's. An empty token is a new
// one; a token of another shape, or one that took another player's break or
// another kind, is a *models.Problem.
func (s *Service) TakeBreak(ctx context.Context, player models.Player, token string, kind breaks.Kind) (breaks.Break, error) {
	if !kind.Valid() {
		return breaks.Break{}, models.ProblemT("kind", "breaks.kind", msgBreakKind)
	}
	if token != "" && !models.IsBreakToken(token) {
		return breaks.Break{}, models.ProblemT("", "problem.break_form", msgBreakForm)
	}
	var b breaks.Break
	again := false
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error {
		// The player's row lock orders the break with a deposit being started
		// (StartDeposit reads the break under the same lock), and with another
		// sending of its form.
		if err := forUpdate(tx).Select("id").Where("id = ?", player.ID).Take(&models.Player{}).Error; err != nil {
			return fmt.Errorf("lock player %d: %w", player.ID, err)
		}
		if token != "" {
			prior, found, err := breaks.Taken(ctx, tx, token)
			switch {
			case err != nil:
				return err
			case found && (prior.PlayerID != player.ID || prior.Kind != kind):
				return models.ProblemT("", "problem.break_form", msgBreakForm)
			case found:
				b, again = prior, true
				return nil
			}
		}
		var err error
		b, err = breaks.Take(ctx, tx, player.ID, kind, token, s.now())
		return err
	})
	switch {
	case errors.Is(err, breaks.ErrRunning) && b.Permanent():
		return breaks.Break{}, models.ProblemT("kind", "breaks.forever", msgBreakForever)
	case errors.Is(err, breaks.ErrRunning):
		return breaks.Break{}, models.ProblemT("kind", "breaks.running", fmt.Sprintf(msgBreakRunning, BreakEnd(b)), "Until", BreakEndTime(b))
	case err != nil:
		return breaks.Break{}, err
	}
	if again {
		s.log.LogAttrs(ctx, slog.LevelWarn, "break form sent again; the break it took is not taken twice",
			slog.Int64("player_id", player.ID), slog.Int64("break_id", b.ID))
		return b, nil
	}
	ends := "never"
	if b.EndsAt != nil {
		ends = b.EndsAt.Format(time.RFC3339)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "break taken", slog.Int64("player_id", player.ID),
		slog.String("kind", string(kind)), slog.String("ends_at", ends))
	return b, nil
}

// CurrentBreak is the player's break in force now; ok is false when there is none.
func (s *Service) CurrentBreak(ctx context.Context, player models.Player) (b breaks.Break, ok bool, err error) {
	return breaks.Current(ctx, s.db, player.ID, s.now())
}

// Breaks lists the player's breaks, newest first.
func (s *Service) Breaks(ctx context.Context, player models.Player) ([]breaks.Break, error) {
	return breaks.List(ctx, s.db, player.ID)
}

// refuseOnBreak fails with a *models.Problem saying until when when the player
// has a break in force: the guard of every start of a deposit.
func (s *Service) refuseOnBreak(ctx context.Context, player models.Player) error {
	b, ok, err := s.CurrentBreak(ctx, player)
	switch {
	case err != nil:
		return err
	case ok:
		return breakProblem(b)
	}
	return nil
}

// onBreak is the sentence for the kyc decision, in English (BreakSentence) and as
// a message id (BreakText), of the player's break in force; "" and the zero Text
// when there is none.
func (s *Service) onBreak(ctx context.Context, player models.Player) (string, models.Text, error) {
	b, ok, err := s.CurrentBreak(ctx, player)
	if err != nil || !ok {
		return "", models.Text{}, err
	}
	// The kyc's refusal page is usually a visitor's, whose pages are in UTC: the
	// player's market goes with the text, for the page to write the break's end in
	// their time zone (handlers' kycMessage).
	t := BreakText(b)
	t.Args = append(t.Args, "Country", player.Country)
	return BreakSentence(b), t, nil
}

// refuseTwinOnBreak fails with a *models.Problem when another account of the
// player's market with their names (models.NameKey) and date of birth has a break
// in force at at (twinOnBreak): where the market asks no identity number (NL), a
// second account under another email is all that would stand between a person and
// the break they took. It reads in tx, the transaction that creates the deposit
// order.
//
// The sentence does not describe the other account: the names and date of birth
// are only typed, and a namesake would learn of another person's break. log gets
// the true reason, with both accounts, for staff.
func refuseTwinOnBreak(ctx context.Context, tx *gorm.DB, log *slog.Logger, player models.Player, at time.Time) error {
	twin, err := twinOnBreak(ctx, tx, player, at)
	if err != nil || twin == 0 {
		return err
	}
	log.LogAttrs(ctx, slog.LevelInfo, "deposit refused: an account with the same names and date of birth is on a break",
		slog.Int64("player_id", player.ID), slog.Int64("other_player_id", twin))
	return twinProblem()
}

// RefuseTwinOnBreak fails with the deposit form's *models.Problem when another
// account with the player's names and date of birth is on a break now
// (refuseTwinOnBreak): for a deposit started before that break, whose checkout is
// not offered during it.
func (s *Service) RefuseTwinOnBreak(ctx context.Context, player models.Player) error {
	return refuseTwinOnBreak(ctx, s.db, s.log, player, s.now())
}

// twinProblem is the refusal of a deposit because another account with the
// player's names and date of birth is on a break: it names neither that account
// nor the break.
func twinProblem() *models.Problem {
	return models.ProblemT("", "breaks.other_account", msgTwinOnBreak)
}

// twinOnBreak is the id of another account of the person that has a break in
// force at at; 0 for none. Another account is the person's when the bank named
// the same person for both (samePerson: the identity number of a Pay N Play
// player's kyc, or of the holder of a bank account the player deposited from), or,
// in the player's market, when it has their names (models.NameKey) and date of
// birth: players without a date of birth are not compared so, nor two whose
// identity numbers differ. It is the rule of every deposit's start
// (refuseTwinOnBreak) and of the kyc decision (decisionPlayer, onBreakSince).
func twinOnBreak(ctx context.Context, tx *gorm.DB, player models.Player, at time.Time) (int64, error) {
	same, err := samePerson(ctx, tx, player)
	if err != nil {
		return 0, err
	}
	for _, id := range same {
		switch _, on, err := breaks.Current(ctx, tx, id, at); {
		case err != nil:
			return 0, err
		case on:
			return id, nil
		}
	}
	if player.DateOfBirth == "" || player.NameKey == "" {
		return 0, nil
	}
	var twins []models.Player
	if err := tx.WithContext(ctx).Select("id", "person_id").Where("country = ? AND name_key = ? AND date_of_birth = ? AND id <> ?",
		player.Country, player.NameKey, player.DateOfBirth, player.ID).Limit(20).Find(&twins).Error; err != nil {
		return 0, fmt.Errorf("accounts like player %d: %w", player.ID, err)
	}
	for _, twin := range twins {
		if twin.PersonID != "" && player.PersonID != "" && twin.PersonID != player.PersonID {
			continue // two people: their identity numbers differ
		}
		switch _, on, err := breaks.Current(ctx, tx, twin.ID, at); {
		case err != nil:
			return 0, err
		case on:
			return twin.ID, nil
		}
	}
	return 0, nil
}

// maxSamePerson bounds how many other accounts of one person samePerson reads.
const maxSamePerson = 20

// samePerson are the ids of the other players the bank named as player's person:
// the identity numbers player is known by (their kyc's, and those of the holders
// of their bank accounts, from account notifications) are another player's kyc
// identity or the holder of one of their bank accounts. Such accounts are one
// person's wherever their names or dates of birth differ, or are missing (a
// Finnish password account has neither an identity number nor a date of birth).
// None for a player the bank never named.
func samePerson(ctx context.Context, tx *gorm.DB, player models.Player) ([]int64, error) {
	db := tx.WithContext(ctx)
	var ids []string
	if err := db.Model(&models.BankAccount{}).Distinct("person_id").Where("player_id = ? AND person_id <> ''", player.ID).
		Limit(maxSamePerson).Pluck("person_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("bank identities of player %d: %w", player.ID, err)
	}
	if player.PersonID != "" && !slices.Contains(ids, player.PersonID) {
		ids = append(ids, player.PersonID)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var byKYC, byBank []int64
	if err := db.Model(&models.Player{}).Where("person_id IN ? AND id <> ?", ids, player.ID).Order("id").
		Limit(maxSamePerson).Pluck("id", &byKYC).Error; err != nil {
		return nil, fmt.Errorf("accounts of player %d's person: %w", player.ID, err)
	}
	if err := db.Model(&models.BankAccount{}).Distinct("player_id").Where("person_id IN ? AND player_id <> ?", ids, player.ID).
		Order("player_id").Limit(maxSamePerson).Pluck("player_id", &byBank).Error; err != nil {
		return nil, fmt.Errorf("accounts of player %d's person: %w", player.ID, err)
	}
	for _, id := range byBank {
		if !slices.Contains(byKYC, id) {
			byKYC = append(byKYC, id)
		}
	}
	return byKYC, nil
}

// flagBankPersonOnBreak flags a deposit whose account notification names a person
// (bankPersonID) with another account here on a break: where registration asks
// no identity number, that is the first the cashier learns who paid, and the
// money has moved, so the deposit stays booked as for any credit, and staff are
// told (flag and alert) to review it with the player. The account saved with the
// person starts no further deposit while the break runs (twinOnBreak).
func flagBankPersonOnBreak(ctx context.Context, tx *gorm.DB, order *models.Order, d *trustly.AccountData, at time.Time, log *slog.Logger) error {
	if order.Kind != models.OrderDeposit || order.PlayerID == 0 || bankPersonID(d) == "" {
		return nil
	}
	twin, err := twinOnBreak(ctx, tx, models.Player{ID: order.PlayerID}, at)
	if err != nil || twin == 0 {
		return err
	}
	order.AddFlag(models.FlagKindPersonOnBreak, fmt.Sprintf("bank account %s names the person of player %d, who is on a break: deposit booked, review with the player",
		clip(d.AccountID, 64), twin))
	log.LogAttrs(ctx, slog.LevelError, "alert: deposit from the bank identity of a player on a break; booked, flagged",
		slog.Int64("other_player_id", twin), slog.String("account_id", clip(d.AccountID, 64)))
	return nil
}
