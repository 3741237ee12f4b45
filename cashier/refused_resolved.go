package cashier

import (
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// ResolvedRefusedShown is how many resolved refused notifications the flagged
// list holds at most: the latest resolutions. Older ones are in the audit log.
const ResolvedRefusedShown = 50

// resolvedRefused reads the refused notifications a resolution covers now (the
// deliveries it saw are all there are, so none waits: newestRefused's rule, the
// other way), the latest resolution first, at most limit, with their rows as the
// waiting ones read (refusedRows). One naming no order of ours shows nowhere
// else but in the audit log. They are read through the resolutions' index on
// refused_notification_id, bounded by the refused notifications ever resolved,
// not by the orders'.
func resolvedRefused(tx *gorm.DB, limit int) ([]RefusedRow, error) {
	var refused []models.RefusedNotification
	err := tx.Model(&models.RefusedNotification{}).Select("refused_notifications.*").
		Joins("JOIN flag_resolutions ON flag_resolutions.refused_notification_id = refused_notifications.id" +
			" AND flag_resolutions.deliveries = refused_notifications.deliveries").
		Where("flag_resolutions.refused_notification_id > 0").
		Order("flag_resolutions.at DESC, flag_resolutions.id DESC").Limit(limit).Find(&refused).Error
	if err != nil {
		return nil, err
	}
	return refusedRows(tx, refused)
}
