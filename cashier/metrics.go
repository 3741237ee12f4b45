package cashier

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
)

// Metrics receives what the cashier measures, for an operator's dashboards. The
// package cashier/metrics implements it with Prometheus; Deps.Metrics nil means
// nothing is measured. Every method must be cheap and safe from many goroutines:
// they are called on the money paths. Label values are few and fixed (methods,
// outcomes, job names), never ids or amounts.
type Metrics interface {
	// APICall counts one call to Trustly's API: its method ("Deposit",
	// "AccountPayout"), how long it took, and its outcome (APIOutcome).
	APICall(method string, took time.Duration, outcome string)
	// Notification counts one notification from Trustly: its method ("credit";
	// "unverified" when the body did not verify), its outcome ("applied",
	// "redelivered", "refused" for a body refused with 400, "failed" when it could
	// not be applied and Trustly will deliver it again) and how long it took.
	Notification(method, outcome string, took time.Duration)
	// JanitorRun counts one run of a background job: job names it
	// ("resume_payouts", "abandoned_deposits", …), err is its error or nil.
	JanitorRun(job string, took time.Duration, err error)
	// Retry counts one more attempt at something whose earlier attempt failed or
	// had no known outcome: what names it ("payout_resend", "notification", …).
	Retry(what string)
	// PayoutResume counts one payout resent under its MessageID after its first
	// AccountPayout had no known outcome, with the payout's status after the call
	// ("sent", "checking", "failed", …) or "error".
	PayoutResume(outcome string)
}

// noMetrics is Deps.Metrics when none is given.
type noMetrics struct{}

func (noMetrics) APICall(string, time.Duration, string)      {}
func (noMetrics) Notification(string, string, time.Duration) {}
func (noMetrics) JanitorRun(string, time.Duration, error)    {}
func (noMetrics) Retry(string)                               {}
func (noMetrics) PayoutResume(string)                        {}

// APIOutcome names the outcome of a call to Trustly for Metrics.APICall: "ok" for a
// result, Trustly's error code ("637") for an error Trustly answered, "refused" for
// a result "0", "invalid" for a request our client refused to send, and "unknown"
// when no answer came (a timeout, a broken connection, an unsigned answer).
func APIOutcome(err error) string {
	var te *trustly.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &te) && te.Signed:
		return strconv.Itoa(te.Code)
	case errors.Is(err, trustly.ErrRefused):
		return "refused"
	case errors.Is(err, trustly.ErrInvalidParams):
		return "invalid"
	}
	return "unknown"
}

// notificationOutcome is the outcome for Metrics.Notification of a notification
// handled with err; ok is the outcome when err is nil.
func notificationOutcome(ok string, err error) string {
	switch {
	case err == nil:
		return ok
	case errors.Is(err, ErrBadNotification):
		return "refused"
	}
	return "failed"
}

// OrderCount is how many orders of one kind are in one status.
type OrderCount struct {
	Kind   models.OrderKind
	Status models.OrderStatus
	N      int64
}

// OrderCounts counts the orders by kind and status, for the orders gauge. It reads
// the whole orders table once; callers cache the answer (cashier/metrics keeps it
// 30 s).
func (s *Service) OrderCounts(ctx context.Context) ([]OrderCount, error) {
	var counts []OrderCount
	err := s.db.WithContext(ctx).Model(&models.Order{}).Select("kind, status, COUNT(*) AS n").
		Group("kind, status").Order("kind, status").Scan(&counts).Error
	return counts, err
}

// Ready reports whether the service can do its work: the database answers, its
// migrations have run (the orders table, which the last of them indexes, is
// there), it can take a write now (store.CheckWritable: on SQLite the write lock
// taken and given back at once, and room on the disk; on PostgreSQL not
// read-only), and Trustly's public key is loaded to verify notifications. It
// writes nothing.
func (s *Service) Ready(ctx context.Context) error {
	if s.trustlyKey == nil || s.merchantKey == nil {
		return errors.New("ready: a key is missing")
	}
	var ids []int64
	if err := s.db.WithContext(ctx).Model(&models.Order{}).Limit(1).Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("ready: database: %w", err)
	}
	if err := store.CheckWritable(ctx, s.db); err != nil {
		return fmt.Errorf("ready: database takes no writes: %w", err)
	}
	return nil
}

// payoutResumeOutcome is the outcome for Metrics.PayoutResume of a resent payout:
// its status after the call, or "error" when the outcome could not be recorded.
func payoutResumeOutcome(order models.Order, err error) string {
	var problem *models.Problem
	if err != nil && !errors.As(err, &problem) {
		return "error"
	}
	return string(order.Status)
}
