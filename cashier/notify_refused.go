package cashier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// keepRefused stores raw, a body that verified with Trustly's key and was refused
// for its data (trustly.ErrBadData, why), for staff (models.RefusedNotification),
// and raises the alert naming its notificationid. It is refused all the same: it
// gets no signed answer, so Trustly delivers its own again, and nothing of it is
// applied. A body delivered again counts one more delivery on its row. Only
// verified bodies come here, so what is stored is Trustly's text, reshaped or
// not, never anyone's junk. A failure to store is logged; the refusal stands.
func (s *Service) keepRefused(ctx context.Context, raw []byte, why error) {
	method, id, _, messageID := refusedNames(raw)
	log := s.log.With("notification_id", id, "method", method)
	if rid := staff.RequestID(ctx); rid != "" {
		log = log.With("request_id", rid)
	}
	sum := sha256.Sum256(raw)
	now := s.now().UTC()
	row := models.RefusedNotification{Digest: hex.EncodeToString(sum[:]), NotificationID: id, Method: method,
		MessageID: truncate(messageID, 64), Raw: string(raw), Reason: truncate(why.Error(), 500), Deliveries: 1, ReceivedAt: now, LastDeliveryAt: now}
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "digest"}},
			DoUpdates: clause.Assignments(map[string]any{"deliveries": gorm.Expr("refused_notifications.deliveries + 1"),
				"last_delivery_at": now}),
		}).Create(&row).Error
	})
	if err != nil {
		log.Error("refused notification not stored", "err", err)
	}
	log.LogAttrs(ctx, slog.LevelError, "alert: notification signed by Trustly refused for its data; stored raw for staff, not applied",
		slog.String("err", why.Error()))
}

// refusedNames are the method, notificationid, orderid and messageid a refused
// body names, as far as they read as text (a string or a number), method and
// notificationid cut to their columns: "" for any that does not. It is a best
// effort over a body refused for its shape, and no more.
func refusedNames(raw []byte) (method, id, orderID, messageID string) {
	m, err := trustly.ParseMessage(raw)
	if err != nil {
		return "", "", "", ""
	}
	if d, err := m.DataObject(); err == nil {
		id, orderID, messageID = trustly.ValueText(d["notificationid"]), trustly.ValueText(d["orderid"]), trustly.ValueText(d["messageid"])
	}
	return truncate(m.Method, 32), truncate(id, 64), orderID, messageID
}
