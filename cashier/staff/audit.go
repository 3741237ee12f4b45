package staff

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Audit is one row of the append-only trail: who did what to which order, player
// or staff account, what it was before and after, when (UTC) and in which request.
// Rows are only ever inserted, by Record, in the transaction of the action they
// describe; nothing in the code updates or deletes one, and the database refuses
// to (store.appendOnly's triggers).
type Audit struct {
	ID         int64     `gorm:"primaryKey"`
	At         time.Time `gorm:"not null;index"`                  // UTC
	StaffID    int64     `gorm:"not null;default:0;index"`        // who; 0 is the system (start-up, the command line)
	StaffEmail string    `gorm:"size:254;not null;default:''"`    // who, as they were called then
	Role       Role      `gorm:"size:16;not null;default:''"`     // their role then; "" for the system
	Event      Event     `gorm:"size:64;not null;index"`          // what
	OrderID    int64     `gorm:"not null;default:0;index"`        // the order acted on, if any
	PlayerID   int64     `gorm:"not null;default:0;index"`        // the player acted on, or the order's player
	SubjectID  int64     `gorm:"not null;default:0"`              // the staff account acted on, if any
	Before     string    `gorm:"type:text;not null;default:'{}'"` // JSON
	After      string    `gorm:"type:text;not null;default:'{}'"` // JSON
	Reason     string    `gorm:"size:500;not null;default:''"`    // the staff member's words, if any
	RequestID  string    `gorm:"size:32;not null;default:''"`     // the X-Request-ID of the request
}

// TableName names the audit table.
func (Audit) TableName() string { return "audits" }

// Event names what an audit row records.
type Event string

const (
	EventSignIn          Event = "staff.sign_in"          // signed in to the back office
	EventSignOut         Event = "staff.sign_out"         // signed out, ending every session
	EventReauth          Event = "staff.reauth"           // confirmed their password (and code) again
	EventOwnerEnsured    Event = "staff.owner_ensured"    // start-up made the configured owner exist
	EventStaffCreated    Event = "staff.created"          // an account was created
	EventRoleChanged     Event = "staff.role_changed"     // a role was changed; their sessions ended
	EventStaffDisabled   Event = "staff.disabled"         // an account was disabled; its sessions ended
	EventStaffEnabled    Event = "staff.enabled"          // a disabled account was enabled again
	EventTOTPEnabled     Event = "staff.totp_enabled"     // a second factor was enrolled
	EventTOTPReset       Event = "staff.totp_reset"       // a second factor was removed, to be set up again; their sessions ended
	EventPasswordChanged Event = "staff.password_changed" // a member changed their own password; their other sessions ended
	EventPasswordReset   Event = "staff.password_reset"   // an owner set a temporary password; the member's sessions ended
	EventPayoutApproved  Event = "payout.approved"        // approved; the payout was sent
	EventPayoutFirstVote Event = "payout.first_approval"  // the first of two approvals; the payout still waits
	EventPayoutDenied    Event = "payout.denied"          // denied; the money went back to the wallet
	EventPlayerBlocked   Event = "player.blocked"         // a player was blocked; their sessions ended
	EventPlayerUnblocked Event = "player.unblocked"       // a blocked player was unblocked
	EventPlayerNote      Event = "player.note"            // a note was written about a player
	EventFlagResolved    Event = "flag.resolved"          // a flagged order or an unmatched notification was resolved with a note
	EventRefund          Event = "refund.requested"       // a deposit refunded: the money reserved and Refund sent
	EventHeldReturn      Event = "held.return_requested"  // a refused deposit's held credit returned to the payer: Refund sent, nothing booked
	// EventExportStarted is a download of data from the back office (the
	// transactions CSV, with players' emails) about to begin: After names the
	// export and the filter. Recorded before the first row leaves, so a download
	// that crashes or is killed half-way is on record; one that cannot be recorded
	// exports nothing.
	EventExportStarted Event = "data.export_started"
	// EventExported is the outcome of a download EventExportStarted recorded: After
	// names the export, the filter, how many rows went out and whether it ran to its
	// end. Recorded when it ends, however it ends (but for a crash or a kill).
	EventExported Event = "data.exported"
	// EventReconcileStarted is a reconciliation run about to read Trustly's
	// AccountLedger: After names the currency and the days. Recorded before Trustly
	// is asked; a run that cannot be recorded asks nothing.
	EventReconcileStarted Event = "reports.reconcile_started"
	// EventReconciled is the outcome of a reconciliation run: After names the
	// currency, the days, what was found, and whether Trustly answered.
	EventReconciled Event = "reports.reconciled"
	// EventRegistrationRefused is the system's: a registration opened no account
	// for a reason the registrant was not told (the national register excludes the
	// person whose identity was typed). StaffID is 0.
	EventRegistrationRefused Event = "registration.refused"
	// EventSignInsLimited is the system's: an account had its last failed sign-in
	// of the window (cashier.SignInWindow), and every sign-in to it is refused until
	// the window ends. SubjectID is the account.
	EventSignInsLimited Event = "staff.sign_ins_limited"
)

// Events lists every Event, for filters.
var Events = []Event{EventSignIn, EventSignOut, EventReauth, EventOwnerEnsured, EventStaffCreated, EventRoleChanged,
	EventStaffDisabled, EventStaffEnabled, EventTOTPEnabled, EventTOTPReset, EventPasswordChanged, EventPasswordReset,
	EventPayoutApproved, EventPayoutFirstVote, EventPayoutDenied, EventPlayerBlocked, EventPlayerUnblocked, EventPlayerNote, EventFlagResolved, EventRefund,
	EventHeldReturn, EventExportStarted, EventExported, EventReconcileStarted, EventReconciled, EventRegistrationRefused, EventSignInsLimited}

// By fills in who acts: m, or the system when m is the zero Member.
func (a Audit) By(m Member) Audit {
	a.StaffID, a.StaffEmail, a.Role = m.ID, m.Email, m.Role
	return a
}

// JSON renders v for Before and After; a value that cannot be rendered becomes
// its error, never a failed action.
func JSON(v any) string {
	if v == nil {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf(`{"error": %q}`, err.Error())
	}
	return string(b)
}

// Record inserts a, in tx: the transaction of the action a describes. At is set
// to now in UTC and the request id taken from ctx when a has none.
func Record(ctx context.Context, tx *gorm.DB, now time.Time, a Audit) error {
	a.ID = 0
	if a.At.IsZero() {
		a.At = now
	}
	a.At = a.At.UTC()
	if a.RequestID == "" {
		a.RequestID = RequestID(ctx)
	}
	if a.Before == "" {
		a.Before = "{}"
	}
	if a.After == "" {
		a.After = "{}"
	}
	a.Reason = cutReason(a.Reason)
	if err := tx.WithContext(ctx).Create(&a).Error; err != nil {
		return fmt.Errorf("record audit %s: %w", a.Event, err)
	}
	return nil
}

// maxReason is how many bytes of the staff member's words an audit row keeps.
const maxReason = 500

// cutReason is reason cut to maxReason bytes between two characters: a character
// cut in two is not text, and PostgreSQL refuses the row, and the action with it.
func cutReason(reason string) string {
	if len(reason) <= maxReason {
		return reason
	}
	n := maxReason
	for n > 0 && !utf8.RuneStart(reason[n]) {
		n--
	}
	return reason[:n]
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id that Record writes into audit
// rows.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

type clientIPKey struct{}

// WithClientIP returns ctx carrying the address of the browser a request came from,
// for the log lines of failed sign-ins and re-authentications.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP is the client address in ctx, or "".
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}

// Filter selects audit rows; zero fields select everything.
type Filter struct {
	StaffID  int64
	Event    Event
	OrderID  int64
	PlayerID int64
	From, To time.Time // At ≥ From and At < To
	BeforeID int64     // keyset pagination: only rows older than this id
	Limit    int       // at most this many; 0 or more than 500 means 100
}

// List returns the rows f selects, newest first.
func List(ctx context.Context, db *gorm.DB, f Filter) ([]Audit, error) {
	q := db.WithContext(ctx).Model(&Audit{})
	if f.StaffID != 0 {
		q = q.Where("staff_id = ?", f.StaffID)
	}
	if f.Event != "" {
		q = q.Where("event = ?", f.Event)
	}
	if f.OrderID != 0 {
		q = q.Where("order_id = ?", f.OrderID)
	}
	if f.PlayerID != 0 {
		q = q.Where("player_id = ?", f.PlayerID)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	if f.BeforeID != 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var rows []Audit
	if err := q.Order("id DESC").Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return rows, nil
}
