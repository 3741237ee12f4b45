// Package staff is the back office's people and their trail: staff accounts (not
// players: no wallet, their own table, sign-in and sessions), the roles that say
// what each may do, their second factor, and the append-only audit of everything
// they do. cashier.Service composes it; handlers never call it directly.
//
// Functions here that write take the caller's transaction, so that an action and
// its audit row commit together or not at all.
package staff

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/trustly-cashier/cashier/models"
)

// Role is what a staff member may do. Each role may do everything the one before
// it may: viewer < operator < finance < owner.
type Role string

const (
	RoleViewer   Role = "viewer"   // reads everything in the back office, changes nothing
	RoleOperator Role = "operator" // approves and denies payouts, refunds up to a limit, blocks players
	RoleFinance  Role = "finance"  // reconciliation, refunds without limit
	RoleOwner    Role = "owner"    // staff accounts: creates them, changes roles, disables
)

// Roles lists every role, lowest first.
var Roles = []Role{RoleViewer, RoleOperator, RoleFinance, RoleOwner}

// rank orders the roles; an unknown role ranks below every known one.
func (r Role) rank() int {
	for i, known := range Roles {
		if r == known {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Action is something a back-office route or use case does; Can says which roles
// may do it. Route tables name the action each route needs.
type Action string

const (
	ActionView         Action = "view"          // see any back-office page
	ActionDecidePayout Action = "payout.decide" // approve or deny a payout waiting for approval
	ActionRefund       Action = "refund"        // refund a deposit, up to the operator's limit
	ActionRefundAny    Action = "refund.any"    // refund a deposit of any amount
	ActionBlockPlayer  Action = "player.block"  // block and unblock players, write notes
	ActionResolveFlag  Action = "flag.resolve"  // resolve a flagged order or an unmatched notification with a note
	ActionReconcile    Action = "reconcile"     // reconciliation reports, Trustly's balance
	ActionManageStaff  Action = "staff.manage"  // create staff, change roles, disable
	ActionSelf         Action = "self"          // a staff member's own second factor and re-authentication
)

// minimum is the lowest role that may do each action.
var minimum = map[Action]Role{
	ActionSelf:         RoleViewer,
	ActionView:         RoleViewer,
	ActionDecidePayout: RoleOperator,
	ActionRefund:       RoleOperator,
	ActionBlockPlayer:  RoleOperator,
	ActionResolveFlag:  RoleOperator,
	ActionRefundAny:    RoleFinance,
	ActionReconcile:    RoleFinance,
	ActionManageStaff:  RoleOwner,
}

// Can reports whether role may do action. An unknown role or action may do nothing.
func Can(role Role, action Action) bool {
	least, ok := minimum[action]
	return ok && role.rank() > 0 && role.rank() >= least.rank()
}

// Member is a staff account. Staff are not players: they have no wallet and cannot
// sign in to the cashier's player pages.
type Member struct {
	ID           int64  `gorm:"primaryKey"`
	Email        string `gorm:"size:254;not null;uniqueIndex"`
	PasswordHash string `gorm:"size:255;not null"` // bcrypt
	Role         Role   `gorm:"size:16;not null"`
	// TOTPSecret is the secret of the member's authenticator app, sealed
	// (SecretBox): never the base32 secret itself. It is set when enrolment starts
	// and used only once TOTPEnabled is set, after the member typed a valid code
	// from it.
	TOTPSecret  string `gorm:"size:255;not null;default:''"`
	TOTPEnabled bool   `gorm:"not null;default:false"`
	// TOTPLastStep is the 30-second step of the last code accepted, so that one code
	// cannot be used twice.
	TOTPLastStep int64 `gorm:"not null;default:0"`
	Disabled     bool  `gorm:"not null;default:false"` // a disabled member cannot sign in; their sessions ended
	// MustChangePassword is set by an owner's temporary password (for a member who
	// forgot theirs): until the member chooses their own, every back-office page but
	// their own account's sends them to do so.
	MustChangePassword bool `gorm:"not null;default:false"`
	// FailedCodes counts the wrong second-factor codes typed after the right
	// password since the last code accepted or the last lock; the MaxCodeFailures-th
	// locks the member's code check for CodeLockout (CodesLockedUntil) and starts the
	// count again. Addresses are limited apart; this bounds the guesses at one
	// account's code made from many addresses.
	FailedCodes int `gorm:"not null;default:0"`
	// CodesLockedUntil, while in the future, makes every code of the member wrong
	// without checking it. Nil: never locked.
	CodesLockedUntil *time.Time
	// SessionVersion is written into every staff session cookie; a cookie with
	// another version is refused. Logout, disabling and a role or password change
	// raise it, which ends every session of the member at once, on every instance.
	SessionVersion int64     `gorm:"not null;default:0"`
	CreatedAt      time.Time `gorm:"not null"`
	UpdatedAt      time.Time
}

// TableName keeps staff accounts in their own table.
func (Member) TableName() string { return "staff" }

// Approval is one staff member's approval of a payout that needs two (above
// Limits.TwoPersonAbove). The payout is sent on the approval of a second, different
// member; the first is kept here.
type Approval struct {
	ID        int64     `gorm:"primaryKey"`
	OrderID   int64     `gorm:"not null;uniqueIndex:idx_approval_order_staff"`
	StaffID   int64     `gorm:"not null;uniqueIndex:idx_approval_order_staff"`
	CreatedAt time.Time `gorm:"not null"`
}

// TableName names the approvals table.
func (Approval) TableName() string { return "staff_approvals" }

// Tables lists the package's tables, for migrations.
func Tables() []any { return []any{&Member{}, &Audit{}, &Approval{}, &Note{}, &Resolution{}} }

// Errors callers act on.
var (
	ErrNotFound   = errors.New("staff member not found")
	ErrNotAllowed = errors.New("staff role does not allow this")
	ErrEmailTaken = errors.New("a staff member with this email exists")
)

// The per-account bound on second-factor guesses (Member.FailedCodes).
const (
	MaxCodeFailures = 5
	CodeLockout     = 15 * time.Minute
)

// CheckNew normalizes email and checks a new account's email, password and role; it
// returns a *models.Problem naming the first field to fix.
func CheckNew(email *string, password string, role Role) error {
	*email = models.NormalEmail(*email)
	if a, err := mail.ParseAddress(*email); err != nil || a.Address != *email || len(*email) > models.MaxEmailLength {
		return models.Problemf("email", "Enter an email address such as anna@example.com.")
	}
	if err := models.CheckStaffPassword(password); err != nil {
		return err
	}
	if !role.Valid() {
		return models.Problemf("role", fmt.Sprintf("Choose a role: %s.", roleList()))
	}
	return nil
}

func roleList() string {
	s := make([]string, len(Roles))
	for i, r := range Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
