package handlers

import (
	"crypto/subtle"
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/internal/failpoint"
)

// notifyBodyLimit is the largest notification body read; Trustly's are a few kB.
const notifyBodyLimit = 1 << 20

// notify receives Trustly's notifications at POST /trustly/notify/:token.
//
// Trustly is a machine, not a browser, so this handler writes its statuses itself
// instead of returning errors for the error pages: 200 with the signed answer when
// the notification was applied (or applied before); 404 with an empty body for a
// wrong token, so the URL reveals nothing; 400 for a body that is not a
// notification signed by Trustly, or whose data does not fit its method, or that is
// another body under a known notificationid (cashier.ErrBadNotification), which gets
// no signed answer; 500 when it could not
// be applied, so Trustly delivers it again. Refusals are logged on log with the
// request id and the sender's address (clientIP, which knows the trusted proxies).
func notify(svc *cashier.Service, log *slog.Logger, clientIP func(*fiber.Ctx) string) fiber.Handler {
	token := []byte(svc.Config().NotifyToken)
	return func(c *fiber.Ctx) error {
		if subtle.ConstantTimeCompare([]byte(c.Params("token")), token) != 1 {
			c.Status(fiber.StatusNotFound) // no body: nothing to learn from it
			return nil
		}
		body := c.Body()
		if len(body) > notifyBodyLimit {
			log.LogAttrs(c.UserContext(), slog.LevelWarn, "trustly notification refused: body too large",
				slog.Int("bytes", len(body)), slog.String("ip", clientIP(c)), slog.String("request_id", requestID(c)))
			return c.SendStatus(fiber.StatusRequestEntityTooLarge)
		}
		answer, err := svc.HandleNotification(c.UserContext(), body)
		switch {
		case errors.Is(err, cashier.ErrBadNotification):
			log.LogAttrs(c.UserContext(), slog.LevelError, "alert: trustly notification refused: not signed by Trustly, malformed, or conflicting with a stored one",
				slog.String("err", err.Error()), slog.String("ip", clientIP(c)), slog.Int("bytes", len(body)),
				slog.String("request_id", requestID(c)))
			return c.SendStatus(fiber.StatusBadRequest)
		case err != nil:
			// HandleNotification logged the details; no answer makes Trustly retry.
			return c.SendStatus(fiber.StatusInternalServerError)
		}
		failpoint.Hit("notify.before_reply")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Send(answer)
	}
}
