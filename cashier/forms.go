package cashier

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trustly-cashier/cashier/models"
)

// orderForm is a player's form that carries the MessageID of the order it makes
// (its token, made when the form is shown), so that the same form sent twice (a
// double click, a browser sending it again) makes one order: the deposit form and
// the withdrawal form, and the "Add account with Trustly" form.
type orderForm struct {
	kind      models.OrderKind
	problemID string // the *models.Problem for a token that is not this form's
	problem   string
	what      string // for the log: "deposit", "withdrawal", "account selection"
	// ready reports whether an order the form made can be shown as it stands; nil:
	// at once. A deposit is ready once its Deposit call is answered (a checkout URL,
	// or a failure) or a notification overtook the answer, which the second sending
	// waits for, up to formWait: until then the order is created.
	ready func(models.Order) bool
	// unanswered is what becomes of an order not ready formWait after it was made,
	// whose call no process will answer now (the one making it stopped) or not in
	// time; nil: it is shown as it stands.
	unanswered func(s *Service, ctx context.Context, o models.Order) (models.Order, error)
}

var (
	depositForm = orderForm{kind: models.OrderDeposit, problemID: "problem.deposit_form", problem: msgDepositForm, what: "deposit",
		ready: checkoutAnswered, unanswered: (*Service).abandonUnanswered}
	payoutForm = orderForm{kind: models.OrderPayout, problemID: "problem.payout_form", problem: msgPayoutForm, what: "withdrawal"}
	// selectForm: a selection, like a deposit, is ready once its SelectAccount call
	// is answered, and one whose call no process will answer is abandoned.
	selectForm = orderForm{kind: models.OrderSelectAccount, problemID: "problem.select_form", problem: msgSelectForm,
		what: "account selection", ready: checkoutAnswered, unanswered: (*Service).abandonUnanswered}
)

// checkoutAnswered reports whether the call asking Trustly for o's checkout
// (Deposit, SelectAccount) was answered, with a checkout URL or a failure, or a
// notification overtook the answer: o is no longer created.
func checkoutAnswered(o models.Order) bool { return o.Status != models.OrderCreated }

// formWait bounds how long a form sent again waits for the order the first
// sending made to be ready: about as long as Trustly takes to answer a Deposit.
const formWait = 10 * time.Second

// errCheckoutFailed marks the Problem of an order that was committed and whose
// Trustly call then failed (startCheckoutWith): the order is this sending's own,
// not one another sending of its form made.
var errCheckoutFailed = errors.New("checkout call failed")

// once returns the order f's token made before (made false), or makes it with
// create (made true). The token is looked for first, and again when create fails
// before its order is committed: a form sent twice at once meets the other
// sending's order at the MessageID's unique index, or finds that the other took
// the money or the deposit limits' headroom. An empty token is a new one; a token
// of another shape, or another order's, fails with f's *models.Problem.
func (s *Service) once(ctx context.Context, player models.Player, f orderForm, token string,
	create func(messageID string) (models.Order, error)) (order models.Order, made bool, err error) {
	if token == "" {
		token = models.NewMessageID(f.kind)
	} else if !models.IsMessageID(f.kind, token) {
		return models.Order{}, false, models.ProblemT("", f.problemID, f.problem)
	}
	if prior, found, err := s.orderOfForm(ctx, player, f, token); found || err != nil {
		return prior, false, err
	}
	order, err = create(token)
	if err != nil && !errors.Is(err, errCheckoutFailed) {
		if prior, found, perr := s.orderOfForm(ctx, player, f, token); found || perr != nil {
			return prior, false, perr
		}
	}
	return order, err == nil, err
}

// orderOfForm is the order f's token made (found), if any, once it is ready or
// formWait has passed since it was made or since this sending came (sentBefore).
// One still not ready then goes through f.unanswered: a deposit whose Deposit
// call a process killed after committing the order never answered is abandoned,
// rather than shown as starting until the janitor comes by. A token another
// player's order or another kind of order has is f's *models.Problem.
func (s *Service) orderOfForm(ctx context.Context, player models.Player, f orderForm, token string) (models.Order, bool, error) {
	ready := f.ready
	if ready == nil {
		ready = func(models.Order) bool { return true }
	}
	prior, found, late, err := sentBefore(ctx, s, func() (models.Order, bool, error) {
		var prior models.Order
		if err := s.db.WithContext(ctx).Where("message_id = ?", token).Limit(1).Find(&prior).Error; err != nil {
			return prior, false, err
		}
		if prior.ID != 0 && (prior.Kind != f.kind || prior.PlayerID != player.ID) {
			return prior, false, models.ProblemT("", f.problemID, f.problem)
		}
		return prior, prior.ID != 0, nil
	}, ready, func(o models.Order) time.Time { return o.CreatedAt })
	var problem *models.Problem
	switch {
	case errors.As(err, &problem):
		return models.Order{}, false, problem
	case err != nil:
		return models.Order{}, false, fmt.Errorf("%s of form %s: %w", f.what, token, err)
	case !found:
		return models.Order{}, false, nil
	case !late:
		s.log.Warn(f.what+" form sent again; the order it made is not made twice",
			"order_id", prior.ID, "player_id", player.ID, "status", prior.Status)
		return prior, true, nil
	}
	if f.unanswered != nil {
		if prior, err = f.unanswered(s, context.WithoutCancel(ctx), prior); err != nil {
			return models.Order{}, false, fmt.Errorf("%s of form %s: %w", f.what, token, err)
		}
	}
	s.log.Warn(f.what+" form sent again; the order it made was not answered in time, and is not made twice",
		"order_id", prior.ID, "player_id", player.ID, "status", prior.Status)
	return prior, true, nil
}

// sentBefore is what an earlier sending of a form made, found by find (found
// false: nothing yet), once ready says it can be shown, or (late) once formWait
// has passed since it was made (made) or since this sending came: the process
// making it stopped, or is that slow. The orders of the deposit, withdrawal and
// add-account forms, and the bank details form's registration, are waited for
// here.
func sentBefore[T any](ctx context.Context, s *Service, find func() (T, bool, error), ready func(T) bool,
	made func(T) time.Time) (prior T, found, late bool, err error) {
	deadline := time.Now().Add(formWait)
	for {
		prior, found, err = find()
		switch {
		case err != nil || !found:
			return prior, false, false, err
		case ready(prior):
			return prior, true, false, nil
		case time.Now().After(deadline) || s.now().Sub(made(prior)) >= formWait:
			return prior, true, true, nil
		}
		select {
		case <-ctx.Done():
			return prior, false, false, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
