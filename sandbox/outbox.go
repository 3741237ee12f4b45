package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"gorm.io/gorm"

	"github.com/trustly-cashier/cashier/trustly"
)

// deliverLoop delivers due notifications until ctx ends. It is woken by kick and
// otherwise looks every PollInterval. One notification is delivered at a time, in
// order of due time, so an order's notifications arrive in their planned order
// unless chaos says otherwise.
func (s *Sandbox) deliverLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		s.expireKYC(ctx)
		s.expireCheckouts(ctx)
		s.deliverDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

func (s *Sandbox) deliverDue(ctx context.Context) {
	for ctx.Err() == nil {
		var rows []Outbox
		err := s.db.WithContext(ctx).Where("status = ? AND due_at <= ?", OutboxPending, s.now()).
			Order("due_at, id").Limit(20).Find(&rows).Error
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("outbox query", "err", err)
			}
			return
		}
		if len(rows) == 0 {
			return
		}
		progressed := false
		for i := range rows {
			if ctx.Err() != nil {
				return
			}
			s.delivering.Add(1) // WaitIdle
			ok := s.attempt(ctx, &rows[i])
			s.delivering.Add(-1)
			s.attempts.Add(1)
			if ok {
				progressed = true
			}
		}
		if !progressed {
			return // the database refuses; try again at the next tick rather than spin
		}
	}
}

// attempt makes one delivery attempt of row and records it. The notification's
// effect on the books is applied on its first attempt, whatever the answer, and a
// kyc's wait for its answer starts then. It
// reports whether the attempt was recorded.
func (s *Sandbox) attempt(ctx context.Context, row *Outbox) bool {
	log := s.log.With("order_id", row.OrderID, "notification_id", row.NotificationID, "method", row.Method)
	if !row.Fired {
		err := s.writeTx(ctx, func(tx *gorm.DB) error {
			if !row.Duplicate {
				if err := s.applyEffect(tx, row); err != nil {
					return err
				}
				if row.Method == trustly.MethodKYC {
					if err := s.startKYCWait(tx, row.OrderID); err != nil {
						return err
					}
				}
			}
			return tx.Model(row).Update("fired", true).Error
		})
		if err != nil {
			log.Error("apply notification effect", "err", err)
			return false
		}
		row.Fired = true
	}
	at := s.now()
	rec := Attempt{OutboxID: row.ID, NotificationID: row.NotificationID, OrderID: row.OrderID, At: at}
	var answer trustly.Answer
	if row.Unreachable > 0 {
		rec.Error = "merchant-unreachable scenario: attempt failed on purpose, nothing was sent"
		row.Unreachable--
	} else {
		answer, rec = s.post(ctx, row, rec)
		if ctx.Err() != nil {
			return false // shutting down: the attempt did not finish, it will be made again
		}
	}
	if rec.OK && row.Method == trustly.MethodKYC && answer.Limit != "" {
		if problem := s.checkLimit(ctx, row.OrderID, answer.Limit); problem != "" {
			rec.OK, rec.Error = false, "answer not accepted: "+problem
		}
	}
	row.Attempts++
	switch {
	case rec.OK:
		row.Status, row.AnswerStatus = OutboxDelivered, answer.Status
		row.DeliveredAt = &at
		log.Info("notification delivered", "attempt", row.Attempts, "answer", answer.Status, "http_status", rec.HTTPStatus)
	case row.Attempts-1 < len(s.cfg.RetrySchedule):
		row.DueAt = s.now().Add(s.cfg.RetrySchedule[row.Attempts-1])
		log.Warn("notification not answered", "attempt", row.Attempts, "http_status", rec.HTTPStatus,
			"err", rec.Error, "retry_at", row.DueAt.Format(time.RFC3339Nano))
	default:
		row.Status = OutboxUndelivered
		log.Error("notification undelivered, giving up", "attempts", row.Attempts, "err", rec.Error)
	}
	err := s.writeTx(context.WithoutCancel(ctx), func(tx *gorm.DB) error {
		if err := tx.Create(&rec).Error; err != nil {
			return err
		}
		return tx.Model(row).Select("status", "answer_status", "delivered_at", "due_at", "attempts", "unreachable").Updates(row).Error
	})
	if err != nil {
		log.Error("record attempt", "err", err)
		return false
	}
	if rec.OK && row.Method == trustly.MethodKYC && !row.Duplicate {
		if err := s.kycAnswered(context.WithoutCancel(ctx), row.OrderID, answer); err != nil {
			log.Error("apply kyc answer", "err", err)
		}
		s.kick()
	}
	return true
}

// checkLimit returns what is wrong with a kyc CONTINUE's limit: it is an amount of
// the order's currency, > 0 with two decimals, like every amount (API.md §5.5). An
// answer whose limit is not one does not count, rather than letting the player
// deposit past a cap the sandbox could not read.
func (s *Sandbox) checkLimit(ctx context.Context, orderID, limit string) string {
	var o Order
	if err := s.db.WithContext(ctx).Where("id = ?", orderID).Take(&o).Error; err != nil {
		return "order " + orderID + ": " + err.Error()
	}
	if _, ok := parseAmount(limit, o.Currency); !ok {
		return fmt.Sprintf("limit %q is not an amount > 0 with two decimals", limit)
	}
	return ""
}

// post sends the notification and checks the answer: it counts when it is a result
// signed with the merchant key that echoes uuid and method with a status valid for
// the method, whatever the HTTP status (a signed FAILED may come with 500).
func (s *Sandbox) post(ctx context.Context, row *Outbox, rec Attempt) (trustly.Answer, Attempt) {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, row.URL, bytes.NewReader([]byte(row.Body)))
	if err != nil {
		rec.Error = err.Error()
		return trustly.Answer{}, rec
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := s.http.Do(req)
	if err != nil {
		rec.Error = err.Error()
		rec.Millis = time.Since(start).Milliseconds()
		return trustly.Answer{}, rec
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	rec.HTTPStatus = resp.StatusCode
	rec.Millis = time.Since(start).Milliseconds()
	if len(raw) > 4096 {
		rec.Answer = string(raw[:4096])
	} else {
		rec.Answer = string(raw)
	}
	if err != nil {
		rec.Error = "read answer: " + err.Error()
		return trustly.Answer{}, rec
	}
	a, err := trustly.ParseAnswer(raw, s.cfg.MerchantKey, row.Method, row.UUID)
	if err != nil {
		rec.Error = fmt.Sprintf("answer not accepted: %v", err)
		return trustly.Answer{}, rec
	}
	rec.OK = true
	return a, rec
}

// now is the sandbox clock in UTC, so stored times compare correctly as text.
func (s *Sandbox) now() time.Time { return s.cfg.Now().UTC() }
