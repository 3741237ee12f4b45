package models

import "time"

// Notification is one notification Trustly sent us, kept with the answer we gave.
// NotificationID is Trustly's idempotency key: the row is written in the same
// transaction that applies the notification, so a notification is either applied
// and answered, or neither, and every redelivery gets Answer again.
//
// Notifications for orders we do not know are kept too, with OrderID nil, for
// reconciliation.
//
// Its indexes are those its readers use: NotificationID (every delivery), OrderID
// (an order's notifications) and the unmatched ones (store's backOfficeIndexes).
// Every index is one more entry written with each notification, so none is kept
// for a lookup nobody makes.
type Notification struct {
	ID             int64  `gorm:"primaryKey"`
	NotificationID string `gorm:"size:64;not null;uniqueIndex"`
	Method         string `gorm:"size:32;not null"` // as Trustly spells it: "credit", "account", …
	UUID           string `gorm:"size:64;not null"` // of the first delivery; the stored Answer echoes it
	TrustlyOrderID string `gorm:"size:64;not null"`
	OrderID        *int64 `gorm:"index"`              // our Order.ID; nil when the order is unknown
	Raw            string `gorm:"type:text;not null"` // the body exactly as it arrived
	// Answer is the signed response we sent first, byte for byte; Status is its
	// data.status (OK, FAILED, CONTINUE, FINISH).
	Answer     string `gorm:"type:text;not null;default:''"`
	Status     string `gorm:"size:16;not null;default:''"`
	Deliveries int    `gorm:"not null;default:1"` // how many times Trustly sent it
	// Flag is set for staff when another body, not a redelivery, came under this
	// NotificationID; that body was refused (see trustly.Notification.SameEvent).
	Flag           string    `gorm:"size:500;not null;default:''"`
	ReceivedAt     time.Time `gorm:"not null"`
	LastDeliveryAt time.Time `gorm:"not null"`
}

// RefusedNotification is a body signed with Trustly's key that was refused for its
// data (trustly.ErrBadData): a copy of a genuine notification reshaped, its text
// shifted between keys or attributes, or a shape this version does not take. It
// was answered 400 with no signed answer, as any body that does not fit its
// method, so Trustly delivers its own again, and nothing of it was applied; it is
// kept here, as it came, for staff to read, one row per distinct body (Digest),
// counting its deliveries. It is kept apart from Notification, whose unique
// NotificationID a copy must not take from the genuine body.
type RefusedNotification struct {
	ID     int64  `gorm:"primaryKey"`
	Digest string `gorm:"size:64;not null;uniqueIndex"` // SHA-256 of Raw, hex
	// NotificationID and Method are the body's, as far as they read as text
	// (cut to their columns); "" when they do not.
	NotificationID string `gorm:"size:64;not null;index"`
	Method         string `gorm:"size:32;not null"`
	// MessageID is the messageid the body names, as far as it reads as text (cut
	// to its column); "" when it does not, and in rows kept before it was. The
	// order page reads its refused bodies by it (idx_refused_notifications_message).
	MessageID  string `gorm:"size:64;not null;default:'';index:idx_refused_notifications_message"`
	Raw        string `gorm:"type:text;not null"` // the body exactly as it arrived
	Reason     string `gorm:"size:500;not null"`  // why it was refused
	Deliveries int    `gorm:"not null;default:1"`
	// ReceivedAt is the first delivery: the flagged list reads the newest first
	// through idx_refused_notifications_received, so that it reads no more than
	// it shows however many were kept.
	ReceivedAt     time.Time `gorm:"not null;index:idx_refused_notifications_received"`
	LastDeliveryAt time.Time `gorm:"not null"`
}
