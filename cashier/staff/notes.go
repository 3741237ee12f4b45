package staff

import "time"

// Note is a staff member's words about a player. Notes are only ever added, each
// with its audit row; none is changed or removed.
type Note struct {
	ID         int64     `gorm:"primaryKey"`
	PlayerID   int64     `gorm:"not null;index"`
	StaffID    int64     `gorm:"not null"`
	StaffEmail string    `gorm:"size:254;not null"` // who, as they were called then
	Text       string    `gorm:"size:2000;not null"`
	At         time.Time `gorm:"not null"` // UTC
}

// TableName names the notes table.
func (Note) TableName() string { return "player_notes" }

// Resolution says that a staff member looked at a flagged order, at a
// notification for an unknown order, at a flagged deposit-limit raise or at a
// notification refused for its data, and what they concluded. It names exactly
// one of the four. An order's resolution covers the flags it had then (Flag): a new
// flag raised later puts the order back on the list. Resolutions are only ever
// added; the order keeps showing them.
type Resolution struct {
	ID             int64 `gorm:"primaryKey"`
	OrderID        int64 `gorm:"not null;default:0;index"`
	NotificationID int64 `gorm:"not null;default:0;index"` // models.Notification.ID
	LimitChangeID  int64 `gorm:"not null;default:0;index"` // limits.Change.ID
	// RefusedNotificationID is models.RefusedNotification.ID, and Deliveries the
	// deliveries it had counted when resolved: a delivery since (the body still
	// being refused) puts it back on the list.
	RefusedNotificationID int64     `gorm:"not null;default:0;index"`
	Deliveries            int       `gorm:"not null;default:0"`
	Flag                  string    `gorm:"size:2000;not null;default:''"`
	Note                  string    `gorm:"size:2000;not null"`
	StaffID               int64     `gorm:"not null"`
	StaffEmail            string    `gorm:"size:254;not null"`
	At                    time.Time `gorm:"not null"` // UTC
}

// TableName names the resolutions table.
func (Resolution) TableName() string { return "flag_resolutions" }
