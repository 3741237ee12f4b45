package cashier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// maxCallText bounds the request and response text an APICall keeps; an
// AccountLedger answer can be long.
const maxCallText = 64 << 10

// callAbout names what a Trustly call is about, for its APICall rows.
type callAbout struct {
	PlayerID  int64
	OrderIDs  []int64 // none: one row with OrderID 0, or the order of MessageID
	MessageID string  // an order known by its MessageID only (startCheckout's callers)
}

// aboutOrder is a call made for order.
func aboutOrder(order models.Order) callAbout {
	return callAbout{PlayerID: order.PlayerID, OrderIDs: []int64{order.ID}}
}

// aboutMessage is a call made for the order with messageID, stored before the
// call.
func aboutMessage(order models.Order) callAbout {
	return callAbout{PlayerID: order.PlayerID, MessageID: order.MessageID}
}

// aboutOrders is one call made for several orders (AccountLedger).
func aboutOrders(orders []models.Order) callAbout {
	about := callAbout{}
	for _, o := range orders {
		about.OrderIDs = append(about.OrderIDs, o.ID)
	}
	return about
}

// aboutPlayer is a call made for a player, with no order (RegisterAccount).
func aboutPlayer(player models.Player) callAbout { return callAbout{PlayerID: player.ID} }

// recorded calls Trustly's method f with p and keeps the call as APICall rows: the
// parameters (credentials and signature are the client's, never in p), the result
// or error, and the latency, and counts it in the service's Metrics by method,
// latency and outcome (APIOutcome). Keeping it never changes the call's outcome: a
// row that cannot be written is logged. Call sites wrap their client call in it:
//
//	res, err := recorded(ctx, s, aboutOrder(order), s.trustly.Deposit, trustly.DepositParams{…})
func recorded[P, R any](ctx context.Context, s *Service, about callAbout, f func(context.Context, P) (R, error), p P) (R, error) {
	at, start := s.now().UTC(), time.Now()
	res, err := f(ctx, p)
	took := time.Since(start)
	s.metrics.APICall(callMethod(p), took, APIOutcome(err))
	s.recordCall(ctx, about, p, res, err, at, took)
	return res, err
}

// recordCall writes the APICall rows of one call.
func (s *Service) recordCall(ctx context.Context, about callAbout, params, result any, callErr error, at time.Time, took time.Duration) {
	method := callMethod(params)
	call := models.APICall{PlayerID: about.PlayerID, Method: method, Request: s.callText(params),
		LatencyMS: took.Milliseconds(), At: at}
	if callErr == nil {
		call.Response = s.callText(result)
	} else {
		var te *trustly.Error
		if errors.As(callErr, &te) {
			call.ErrorCode = te.Code
		}
		call.Error = truncate(callErr.Error(), 500)
	}
	ctx = context.WithoutCancel(ctx)
	ids := about.OrderIDs
	if len(ids) == 0 && about.MessageID != "" {
		var id int64
		if err := s.db.WithContext(ctx).Model(&models.Order{}).Where("message_id = ?", about.MessageID).
			Limit(1).Pluck("id", &id).Error; err == nil && id != 0 {
			ids = []int64{id}
		}
	}
	if len(ids) == 0 {
		ids = []int64{0}
	}
	rows := make([]models.APICall, len(ids))
	for i, id := range ids {
		rows[i] = call
		rows[i].OrderID = id
	}
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error { return tx.Create(&rows).Error })
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "api call not recorded", slog.String("trustly_method", method),
			slog.Any("order_ids", ids), slog.String("err", err.Error()))
	}
}

// callMethod is the Trustly method of params: "Deposit" for trustly.DepositParams.
func callMethod(params any) string {
	return strings.TrimSuffix(reflect.TypeOf(params).Name(), "Params")
}

// callText is v as JSON for staff, with the notification token masked: it is a
// secret in the NotificationURL of most calls. It is masked as JSON writes it
// (& < > become \u0026 \u003c \u003e, which the configuration allows in it).
func (s *Service) callText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf(`{"error": %q}`, err.Error())
	}
	text := string(b)
	if token := s.cfg.NotifyToken; token != "" {
		quoted, _ := json.Marshal(token) // a string: never fails
		text = strings.ReplaceAll(text, string(quoted[1:len(quoted)-1]), "[token]")
		text = strings.ReplaceAll(text, token, "[token]")
	}
	return truncate(text, maxCallText)
}

// APICalls lists the calls made to Trustly for an order, oldest first.
func apiCalls(ctx context.Context, db *gorm.DB, orderID int64) ([]models.APICall, error) {
	var calls []models.APICall
	if err := db.WithContext(ctx).Where("order_id = ?", orderID).Order("id").Find(&calls).Error; err != nil {
		return nil, fmt.Errorf("api calls of order %d: %w", orderID, err)
	}
	return calls, nil
}

// APICallMethods are the Trustly methods the cashier calls, each kept as APICall
// rows (recorded): the back office's list of calls filters by one of them.
var APICallMethods = []string{"Deposit", "SelectAccount", "RegisterAccount", "AccountPayout", "Refund",
	"GetWithdrawals", "AccountLedger", "Balance"}

// CallOutcome is how a kept call to Trustly ended, as the back office filters it.
type CallOutcome string

const (
	CallAnswered  CallOutcome = "ok"        // Trustly answered with a result
	CallRefused   CallOutcome = "trustly"   // Trustly answered with an error code (APICall.ErrorCode)
	CallTransport CallOutcome = "transport" // an error with no code of Trustly's: unreachable, timed out, an answer refused
)

// CallOutcomes lists every CallOutcome.
var CallOutcomes = []CallOutcome{CallAnswered, CallRefused, CallTransport}

// OutcomeOf is how call ended: the rule APICallsList's outcome filter writes in
// SQL, for a call already read.
func OutcomeOf(call models.APICall) CallOutcome {
	switch {
	case call.Error == "":
		return CallAnswered
	case call.ErrorCode != 0:
		return CallRefused
	default:
		return CallTransport
	}
}

// APICallFilter selects the calls the back office lists. Zero fields select
// everything.
type APICallFilter struct {
	Method    string      // one of APICallMethods
	Outcome   CallOutcome // "" for any
	ErrorCode int         // with Outcome CallRefused: only this code of Trustly's
	PlayerID  int64
	OrderID   int64
	From, To  time.Time // At ≥ From and At < To
	BeforeID  int64     // keyset pagination: only calls listed after this one
	Limit     int       // at most this many; 0 or more than 500 means 100
}

// APICallsList lists the calls made to Trustly that f selects, newest first (by
// the time a call started, then by id), for a member who may view the back
// office: every call, those about no order too (RegisterAccount, Balance,
// AccountLedger). Each filter reads an index of its own (store's
// apiCallIndexes), ordered as the list is, so a page reads only its rows: a
// failure's outcome reads the partial indexes of failed calls, whose predicate
// the query names as written there; "ok" reads the time index and skips the
// failures, which are few.
func (s *Service) APICallsList(ctx context.Context, by staff.Member, f APICallFilter) ([]models.APICall, error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	q := db.Model(&models.APICall{})
	if f.Method != "" {
		q = q.Where("method = ?", f.Method)
	}
	q = outcomeWhere(q, f.Outcome, f.ErrorCode)
	if f.PlayerID != 0 {
		q = q.Where("player_id = ?", f.PlayerID)
	}
	if f.OrderID != 0 {
		q = q.Where("order_id = ?", f.OrderID)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	if f.BeforeID != 0 {
		var last models.APICall
		switch err := db.Select("id", "at").Where("id = ?", f.BeforeID).Limit(1).Find(&last).Error; {
		case err != nil:
			return nil, fmt.Errorf("api calls before %d: %w", f.BeforeID, err)
		case last.ID == 0:
			return nil, nil // a page after a call that is not there: nothing
		}
		q = q.Where("(at, id) < (?, ?)", last.At.UTC(), last.ID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var calls []models.APICall
	if err := q.Order("at DESC, id DESC").Limit(f.Limit).Find(&calls).Error; err != nil {
		return nil, fmt.Errorf("list api calls: %w", err)
	}
	return calls, nil
}

// outcomeWhere narrows q, a query of api_calls, to the calls that ended as
// outcome ("": any), with Trustly's code when code is not 0: the rule OutcomeOf
// follows in Go, written as the partial indexes of failed calls name it
// (error <> ”), so that a failure's outcome reads them. APICallsList's filter
// and the home page's count of failed calls (BackOfficeHome) both use it.
func outcomeWhere(q *gorm.DB, outcome CallOutcome, code int) *gorm.DB {
	switch outcome {
	case CallAnswered:
		q = q.Where("error = ''")
	case CallRefused:
		q = q.Where("error <> ''")
		if code != 0 {
			q = q.Where("error_code = ?", code)
		} else {
			q = q.Where("error_code <> 0")
		}
	case CallTransport:
		q = q.Where("error <> ''").Where("error_code = 0")
	}
	return q
}
