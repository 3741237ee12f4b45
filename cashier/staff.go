package cashier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Back-office staff: their accounts, sign-in, second factor and the audit trail,
// over package staff. Every method that changes something writes exactly one audit
// row in the transaction of the change; a call that changes nothing writes none.
// The acting member is read again from the database inside that transaction, so a
// role changed or an account disabled a moment ago counts at once.

// msgStaffBadLogin answers every failed staff sign-in alike: unknown email, wrong
// password, wrong or missing code, disabled account.
const msgStaffBadLogin = "Email, password or code is wrong."

// totpIssuer names the cashier in staff's authenticator apps.
const totpIssuer = "Cashier back office"

// ErrNotAdmin is staff.ErrNotAllowed, for callers of the payout decisions.
var ErrNotAdmin = staff.ErrNotAllowed

// staffView is what an audit row keeps of a staff account.
func staffView(m staff.Member) map[string]any {
	return map[string]any{"email": m.Email, "role": m.Role, "disabled": m.Disabled, "totp": m.TOTPEnabled,
		"temporary_password": m.MustChangePassword}
}

// actor loads by from db (a transaction when the caller writes) and checks that
// the account is enabled and its role may do action.
func (s *Service) actor(ctx context.Context, db *gorm.DB, by staff.Member, action staff.Action) (staff.Member, error) {
	var m staff.Member
	if err := db.WithContext(ctx).Where("id = ?", by.ID).Limit(1).Find(&m).Error; err != nil {
		return staff.Member{}, fmt.Errorf("staff %d: %w", by.ID, err)
	}
	if m.ID == 0 || by.ID == 0 || m.Disabled || !staff.Can(m.Role, action) {
		return staff.Member{}, fmt.Errorf("staff %d %s: %w", by.ID, action, staff.ErrNotAllowed)
	}
	return m, nil
}

// StaffMember returns the staff account with id, or staff.ErrNotFound.
func (s *Service) StaffMember(ctx context.Context, id int64) (staff.Member, error) {
	var m staff.Member
	err := s.db.WithContext(ctx).Where("id = ?", id).Limit(1).Find(&m).Error
	switch {
	case err != nil:
		return staff.Member{}, fmt.Errorf("staff %d: %w", id, err)
	case m.ID == 0:
		return staff.Member{}, fmt.Errorf("staff %d: %w", id, staff.ErrNotFound)
	}
	return m, nil
}

// EnsureOwner makes the account configured at start (CASHIER_ADMIN_EMAIL and
// CASHIER_ADMIN_PASSWORD) an enabled owner with this password: it creates it, or
// restores an existing account of that email to owner, enabled, with this
// password, ending its sessions. The configuration is the owner's way back in, so
// it wins over changes made in the back office. Nothing changes, and nothing is
// audited, when the account is already so.
func (s *Service) EnsureOwner(ctx context.Context, email, password string) error {
	if err := staff.CheckNew(&email, password, staff.RoleOwner); err != nil {
		return fmt.Errorf("ensure owner %s: %w", email, err)
	}
	hash, err := hashPassword(password)
	if err != nil {
		return fmt.Errorf("ensure owner: hash password: %w", err)
	}
	// Two tries: another instance starting at the same moment may create the row
	// between our look-up and our insert; the second try then finds it.
	for range 2 {
		err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
			var m staff.Member
			if err := byEmail(tx, email).Limit(1).Find(&m).Error; err != nil {
				return err
			}
			now := s.now().UTC()
			if m.ID == 0 {
				m = staff.Member{Email: email, PasswordHash: hash, Role: staff.RoleOwner, CreatedAt: now}
				if err := tx.Create(&m).Error; err != nil {
					return err
				}
				return staff.Record(ctx, tx, now, staff.Audit{Event: staff.EventOwnerEnsured, SubjectID: m.ID,
					After: staff.JSON(staffView(m))})
			}
			if same, old := samePassword(m.PasswordHash, password); m.Role == staff.RoleOwner && !m.Disabled && same {
				if old { // the same password, hashed before it was normalized
					return tx.Model(&m).UpdateColumn("password_hash", hash).Error
				}
				return nil
			}
			before := m
			m.Role, m.Disabled, m.PasswordHash, m.SessionVersion = staff.RoleOwner, false, hash, m.SessionVersion+1
			if err := tx.Model(&m).Select("role", "disabled", "password_hash", "session_version", "updated_at").Updates(&m).Error; err != nil {
				return err
			}
			return staff.Record(ctx, tx, now, staff.Audit{Event: staff.EventOwnerEnsured, SubjectID: m.ID,
				Before: staff.JSON(staffView(before)), After: staff.JSON(staffView(m)), Reason: "set at start"})
		})
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("ensure owner %s: %w", email, err)
	}
	return nil
}

// CreateStaff opens a staff account on an owner's word, with a temporary password
// (Member.MustChangePassword): the member chooses their own at first sign-in. A
// request that does not validate, or names the email of an existing account, fails
// with a *models.Problem and changes nothing.
func (s *Service) CreateStaff(ctx context.Context, by staff.Member, email, password string, role staff.Role) (staff.Member, error) {
	if by.ID == 0 {
		return staff.Member{}, fmt.Errorf("create staff: %w", staff.ErrNotAllowed)
	}
	return s.createStaff(ctx, by, email, password, role)
}

// AddStaff opens a staff account from the command line (`cashier staff add`); the
// audit row names the system as its author.
func (s *Service) AddStaff(ctx context.Context, email, password string, role staff.Role) (staff.Member, error) {
	return s.createStaff(ctx, staff.Member{}, email, password, role)
}

func (s *Service) createStaff(ctx context.Context, by staff.Member, email, password string, role staff.Role) (staff.Member, error) {
	if err := staff.CheckNew(&email, password, role); err != nil {
		return staff.Member{}, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return staff.Member{}, fmt.Errorf("create staff: hash password: %w", err)
	}
	// An owner typed the password of an account made on the Staff page and knows
	// it: it is a temporary one, which the member replaces at first sign-in before
	// any other page, as after a reset. One added from the command line is the
	// operator's own choice.
	m := staff.Member{Email: email, PasswordHash: hash, Role: role, MustChangePassword: by.ID != 0}
	err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
		actor := staff.Member{}
		if by.ID != 0 {
			var err error
			if actor, err = s.actor(ctx, tx, by, staff.ActionManageStaff); err != nil {
				return err
			}
		}
		var n int64
		if err := tx.Model(&staff.Member{}).Where("email IN ?", models.EmailForms(email)).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return staff.ErrEmailTaken
		}
		now := s.now().UTC()
		m.CreatedAt = now
		if err := tx.Create(&m).Error; err != nil {
			return err
		}
		return staff.Record(ctx, tx, now, staff.Audit{Event: staff.EventStaffCreated, SubjectID: m.ID,
			After: staff.JSON(staffView(m))}.By(actor))
	})
	if errors.Is(err, staff.ErrEmailTaken) || errors.Is(err, gorm.ErrDuplicatedKey) {
		return staff.Member{}, models.Problemf("email", "A staff member with this email exists.")
	}
	if err != nil {
		return staff.Member{}, fmt.Errorf("create staff %s: %w", email, err)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "staff account created", slog.Int64("staff_id", m.ID),
		slog.String("role", string(role)), slog.Int64("by", by.ID))
	return m, nil
}

// changeStaff changes the account id on by's word (an owner) in one transaction
// with its audit row. change edits the member and returns the event; it returns ""
// when there is nothing to change, and then nothing is written.
func (s *Service) changeStaff(ctx context.Context, by staff.Member, id int64, change func(m *staff.Member) (staff.Event, error)) (staff.Member, error) {
	return s.changeStaffAs(ctx, by.ID, func(tx *gorm.DB) (staff.Member, error) { return s.actor(ctx, tx, by, staff.ActionManageStaff) }, id, change)
}

// changeStaffAs is changeStaff with the author of the change checked by actor, in
// the transaction: an owner, or the zero Member for the system (the command line).
// The rows of the author (byID; 0 for the system) and of the member changed are
// locked first, in id order: of two owners who demote or disable each other at
// once, the second waits for the first and then finds it may no longer act. A
// change that would leave no enabled owner is refused.
func (s *Service) changeStaffAs(ctx context.Context, byID int64, actor func(tx *gorm.DB) (staff.Member, error), id int64, change func(m *staff.Member) (staff.Event, error)) (staff.Member, error) {
	var m staff.Member
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := forUpdate(tx).Where("id IN ?", []int64{byID, id}).Order("id").Find(&[]staff.Member{}).Error; err != nil {
			return err
		}
		actor, err := actor(tx)
		if err != nil {
			return err
		}
		if err := forUpdate(tx).Where("id = ?", id).Limit(1).Find(&m).Error; err != nil {
			return err
		}
		if m.ID == 0 {
			return staff.ErrNotFound
		}
		before := m
		event, err := change(&m)
		if err != nil || event == "" {
			return err
		}
		if err := s.keepAnOwner(tx, before, m); err != nil {
			return err
		}
		m.SessionVersion++ // every change here ends the member's sessions
		if err := tx.Model(&m).Select("role", "disabled", "password_hash", "must_change_password", "totp_secret", "totp_enabled",
			"totp_last_step", "session_version", "updated_at").Updates(&m).Error; err != nil {
			return err
		}
		return staff.Record(ctx, tx, s.now().UTC(), staff.Audit{Event: event, SubjectID: m.ID,
			Before: staff.JSON(staffView(before)), After: staff.JSON(staffView(m))}.By(actor))
	})
	if err != nil {
		var problem *models.Problem
		if errors.As(err, &problem) {
			return staff.Member{}, problem
		}
		return staff.Member{}, fmt.Errorf("change staff %d: %w", id, err)
	}
	return m, nil
}

// keepAnOwner refuses, with a *models.Problem, a change from before to after that
// takes away the last enabled owner: nobody could manage staff any more but the
// command line. An owner cannot demote or disable themselves, so an owner acting
// always remains; this holds whoever acts.
func (s *Service) keepAnOwner(tx *gorm.DB, before, after staff.Member) error {
	wasOwner := before.Role == staff.RoleOwner && !before.Disabled
	if !wasOwner || (after.Role == staff.RoleOwner && !after.Disabled) {
		return nil
	}
	var others int64
	if err := tx.Model(&staff.Member{}).Where("role = ? AND disabled = ? AND id <> ?", staff.RoleOwner, false, before.ID).
		Count(&others).Error; err != nil {
		return err
	}
	if others == 0 {
		return models.Problemf("", "This is the last enabled owner: make another member an owner first.")
	}
	return nil
}

// SetStaffRole gives the account id another role and ends its sessions. An owner
// cannot change their own role, so that the last owner cannot lock everyone out.
func (s *Service) SetStaffRole(ctx context.Context, by staff.Member, id int64, role staff.Role) (staff.Member, error) {
	return s.changeStaff(ctx, by, id, func(m *staff.Member) (staff.Event, error) {
		switch {
		case !role.Valid():
			return "", models.Problemf("role", "Choose a role from the list.")
		case m.ID == by.ID:
			return "", models.Problemf("role", "You cannot change your own role.")
		case m.Role == role:
			return "", nil
		}
		m.Role = role
		return staff.EventRoleChanged, nil
	})
}

// SetStaffDisabled disables the account id, ending its sessions at once, or
// enables it again. An owner cannot disable themselves.
func (s *Service) SetStaffDisabled(ctx context.Context, by staff.Member, id int64, disabled bool) (staff.Member, error) {
	return s.changeStaff(ctx, by, id, func(m *staff.Member) (staff.Event, error) {
		switch {
		case m.ID == by.ID:
			return "", models.Problemf("", "You cannot disable your own account.")
		case m.Disabled == disabled:
			return "", nil
		}
		m.Disabled = disabled
		if disabled {
			return staff.EventStaffDisabled, nil
		}
		return staff.EventStaffEnabled, nil
	})
}

// ResetStaffTOTP removes the second factor of the account id on an owner's word,
// for a member who lost their authenticator app: they sign in with their password
// and set one up again (at once when CASHIER_ADMIN_2FA=required). Their sessions
// end. An owner cannot remove their own; the command line can
// (ResetStaffTOTPByEmail).
func (s *Service) ResetStaffTOTP(ctx context.Context, by staff.Member, id int64) (staff.Member, error) {
	return s.changeStaff(ctx, by, id, func(m *staff.Member) (staff.Event, error) {
		if m.ID == by.ID {
			return "", models.Problemf("", "You cannot remove your own second factor here.")
		}
		return resetTOTP(m), nil
	})
}

// ResetStaffTOTPByEmail removes the second factor of the account of email from the
// command line (`cashier staff reset-2fa`), for an owner who lost theirs or after
// CASHIER_TOTP_KEY was lost; the audit row names the system as its author. It
// reports whether there was one to remove.
func (s *Service) ResetStaffTOTPByEmail(ctx context.Context, email string) (staff.Member, bool, error) {
	var m staff.Member
	email = models.NormalEmail(email)
	if err := byEmail(s.db.WithContext(ctx), email).Limit(1).Find(&m).Error; err != nil {
		return staff.Member{}, false, fmt.Errorf("reset second factor of %s: %w", email, err)
	}
	if m.ID == 0 {
		return staff.Member{}, false, fmt.Errorf("reset second factor of %s: %w", email, staff.ErrNotFound)
	}
	reset := false
	m, err := s.changeStaffAs(ctx, 0, func(*gorm.DB) (staff.Member, error) { return staff.Member{}, nil }, m.ID,
		func(m *staff.Member) (staff.Event, error) {
			event := resetTOTP(m)
			reset = event != ""
			return event, nil
		})
	return m, reset, err
}

// SetStaffPassword gives the account id a temporary password on an owner's word,
// for a member who forgot theirs: their sessions end, and once signed in with it
// they must choose their own (Member.MustChangePassword) before any other page.
// The owner tells them it in person. An owner sets their own on the Password page.
func (s *Service) SetStaffPassword(ctx context.Context, by staff.Member, id int64, password string) (staff.Member, error) {
	if err := models.CheckStaffPassword(password); err != nil {
		return staff.Member{}, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return staff.Member{}, fmt.Errorf("set password of staff %d: %w", id, err)
	}
	return s.changeStaff(ctx, by, id, func(m *staff.Member) (staff.Event, error) {
		if m.ID == by.ID {
			return "", models.Problemf("password", "Change your own password on the Password page.")
		}
		m.PasswordHash, m.MustChangePassword = hash, true
		return staff.EventPasswordReset, nil
	})
}

// resetTOTP removes m's second factor, enrolled or begun, and returns the event to
// audit; "" when m has none.
func resetTOTP(m *staff.Member) staff.Event {
	if !m.TOTPEnabled && m.TOTPSecret == "" {
		return ""
	}
	m.TOTPSecret, m.TOTPEnabled, m.TOTPLastStep = "", false, 0
	return staff.EventTOTPReset
}

// StaffMembers lists every staff account by email, for owners.
func (s *Service) StaffMembers(ctx context.Context, by staff.Member) ([]staff.Member, error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionManageStaff); err != nil {
		return nil, err
	}
	var list []staff.Member
	if err := s.db.WithContext(ctx).Order("email").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("staff members: %w", err)
	}
	return list, nil
}

// AuthenticateStaff returns the enabled staff account with this email and
// password, and, when it has a second factor, a current code that was not used
// before. Every failure is the same *models.Problem after the same bcrypt work. A
// successful sign-in is audited. An email with Config.SignInFailures failed
// sign-ins in SignInWindow, anyone's or nobody's, fails with *SignInsLimited,
// unchecked; every failure with that one sentence counts, a wrong code too, so
// that the count tells nothing about the password.
func (s *Service) AuthenticateStaff(ctx context.Context, email, password, code string) (staff.Member, error) {
	email = models.NormalEmail(email)
	try, err := s.startSignIn(ctx, signInStaff, email)
	if err != nil {
		return staff.Member{}, err
	}
	m, err := s.confirmStaff(ctx, attemptSignIn, email, password, code, staff.EventSignIn)
	var problem *models.Problem
	switch err := s.staffCheckDone(ctx, try, email, err); {
	case errors.As(err, &problem):
		return staff.Member{}, problem
	case err != nil:
		return staff.Member{}, fmt.Errorf("staff sign-in: %w", err)
	}
	return m, nil
}

// Reauthenticate checks an already signed-in member's password (and code, when
// enrolled) again before a sensitive action, and audits it. It counts in the
// member's budget of failed sign-ins as a sign-in does (startPasswordCheck,
// staffCheckDone), but is refused only by a budget of the session's own (ctx's
// WithSession): a guesser who used up the member's budget at the sign-in page
// does not keep them from re-authenticating, and a stolen session gets no more
// guesses here than at the sign-in page: past the session's budget it fails with
// *SignInsLimited, unchecked, and the failure that used it up ends every session
// of the member's (SessionsEnded).
func (s *Service) Reauthenticate(ctx context.Context, by staff.Member, password, code string) error {
	cur, err := s.StaffMember(ctx, by.ID)
	if err != nil {
		return err
	}
	try, err := s.startPasswordCheck(ctx, signInStaff, attemptReauth, cur.Email)
	if err != nil {
		return err
	}
	_, err = s.confirmStaff(ctx, attemptReauth, cur.Email, password, code, staff.EventReauth)
	err = s.staffCheckDone(ctx, try, cur.Email, err)
	var problem *models.Problem
	if errors.As(err, &problem) {
		return problem
	}
	return err
}

// ChangeStaffPassword gives by a new password, on their current password and, when
// they have a second factor, a current code (used up, as at sign-in). Every session
// of theirs ends: the returned member carries the new SessionVersion, for the
// caller to sign the session it came from in again. A wrong password or code, or a
// new password that does not do, is a *models.Problem, and nothing changes. The
// check of the current password and code counts in the member's budget of failed
// sign-ins as Reauthenticate's does.
func (s *Service) ChangeStaffPassword(ctx context.Context, by staff.Member, current, code, password string) (staff.Member, error) {
	if err := models.CheckStaffPassword(password); err != nil {
		return staff.Member{}, err
	}
	if models.NormalPassword(password) == models.NormalPassword(current) {
		return staff.Member{}, models.Problemf("password", "Choose a password other than your current one.")
	}
	cur, err := s.StaffMember(ctx, by.ID)
	if err != nil {
		return staff.Member{}, err
	}
	try, err := s.startPasswordCheck(ctx, signInStaff, attemptPasswordChange, cur.Email)
	if err != nil {
		return staff.Member{}, err
	}
	m, err := s.checkStaffSecrets(ctx, attemptPasswordChange, cur.Email, current, code)
	if errors.As(err, new(*models.Problem)) {
		err = models.Problemf("current", "Your current password or code is wrong.")
	}
	if err == nil {
		err = s.replaceStaffPassword(ctx, m, code, password)
	}
	if err := s.staffCheckDone(ctx, try, cur.Email, err); err != nil {
		return staff.Member{}, err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "staff password changed", slog.Int64("staff_id", m.ID))
	return s.StaffMember(ctx, m.ID)
}

// replaceStaffPassword gives m, whose secrets were just checked, password, and
// uses up code as at sign-in (ChangeStaffPassword).
func (s *Service) replaceStaffPassword(ctx context.Context, m staff.Member, code, password string) error {
	hash, err := hashPassword(password)
	if err != nil {
		return fmt.Errorf("change password of staff %d: %w", m.ID, err)
	}
	err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := s.useTOTP(tx, &m, code); err != nil {
			return err
		}
		// Only if the password is still the one just checked: of two changes at
		// once, the second finds it changed and fails.
		res := tx.Model(&staff.Member{}).Where("id = ? AND password_hash = ? AND disabled = ?", m.ID, m.PasswordHash, false).
			Updates(map[string]any{"password_hash": hash, "must_change_password": false,
				"session_version": gorm.Expr("session_version + 1"), "updated_at": s.now().UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.Problemf("current", "Your current password or code is wrong.")
		}
		return staff.Record(ctx, tx, s.now().UTC(), staff.Audit{Event: staff.EventPasswordChanged, SubjectID: m.ID}.By(m))
	})
	var problem *models.Problem
	if errors.As(err, &problem) {
		return problem
	}
	if err != nil {
		return fmt.Errorf("change password of staff %d: %w", m.ID, err)
	}
	return nil
}

// confirmStaff checks email's password and code for attempt (checkStaffSecrets)
// and, when they are right, uses the code up and audits event, in one
// transaction: a code used meanwhile fails as a wrong code does.
func (s *Service) confirmStaff(ctx context.Context, attempt, email, password, code string, event staff.Event) (staff.Member, error) {
	m, err := s.checkStaffSecrets(ctx, attempt, email, password, code)
	if err != nil {
		return m, err
	}
	err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := s.useTOTP(tx, &m, code); err != nil {
			return err
		}
		return staff.Record(ctx, tx, s.now().UTC(), staff.Audit{Event: event, SubjectID: m.ID}.By(m))
	})
	if errors.As(err, new(*models.Problem)) {
		s.staffAuthFailed(ctx, attempt, m.ID, "code")
	}
	return m, err
}

// What a staff member's secrets are checked for, in log lines.
const (
	attemptSignIn         = "sign-in"
	attemptReauth         = "re-authentication"
	attemptPasswordChange = "password change"
)

// checkStaffSecrets finds the enabled account of email whose password is
// password and, when enrolled, for which code is a current code. It does not mark
// the code used; useTOTP does, in the caller's transaction. A wrong code after the
// right password counts against the account (codeFailed); while its codes are
// locked, every code is wrong unchecked, with the same answer. Every failure is
// logged (staffAuthFailed).
func (s *Service) checkStaffSecrets(ctx context.Context, attempt, email, password, code string) (staff.Member, error) {
	var m staff.Member
	if err := byEmail(s.db.WithContext(ctx), email).Limit(1).Find(&m).Error; err != nil {
		return staff.Member{}, fmt.Errorf("staff sign-in: %w", err)
	}
	hash, known := m.PasswordHash, m.ID != 0 && m.PasswordHash != "" && email != ""
	if !known {
		hash = dummyHash()
	}
	same, old := samePassword(hash, password)
	if !same || !known {
		s.staffAuthFailed(ctx, attempt, m.ID, "password")
		return staff.Member{}, models.Problemf("password", msgStaffBadLogin)
	}
	if m.Disabled {
		s.staffAuthFailed(ctx, attempt, m.ID, "disabled")
		return staff.Member{}, models.Problemf("password", msgStaffBadLogin)
	}
	if m.TOTPEnabled {
		if m.CodesLockedUntil != nil && s.now().Before(*m.CodesLockedUntil) {
			s.staffAuthFailed(ctx, attempt, m.ID, "code-locked")
			return staff.Member{}, models.Problemf("code", msgStaffBadLogin)
		}
		_, ok, err := s.matchTOTP(m, code)
		if err != nil {
			return staff.Member{}, err
		}
		if !ok {
			if err := s.codeFailed(ctx, m); err != nil {
				return staff.Member{}, err
			}
			s.staffAuthFailed(ctx, attempt, m.ID, "code")
			return staff.Member{}, models.Problemf("code", msgStaffBadLogin)
		}
	}
	if old {
		// m carries the hash the row has now: a password change next replaces
		// it only while it is still the one checked.
		m.PasswordHash = s.rehashPassword(ctx, &staff.Member{}, "staff_id", m.ID, m.PasswordHash, password)
	}
	return m, nil
}

// staffAuthFailed logs a failed check of a staff member's secrets at WARN: what for,
// the staff id when the email named an account, which factor failed ("password",
// "disabled", "code", "code-locked"), the client's address and the request id.
// Never the email, the password or the code.
func (s *Service) staffAuthFailed(ctx context.Context, attempt string, staffID int64, factor string) {
	attrs := []slog.Attr{slog.String("attempt", attempt), slog.String("factor", factor),
		slog.String("ip", staff.ClientIP(ctx)), slog.String("request_id", staff.RequestID(ctx))}
	if staffID != 0 {
		attrs = append(attrs, slog.Int64("staff_id", staffID))
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "staff authentication failed", attrs...)
}

// codeFailed counts a wrong code typed for m after the right password, in one
// conditional UPDATE, so that failures at once from many addresses are all counted:
// the MaxCodeFailures-th locks m's code check for CodeLockout and starts the count
// again. Failures while locked are not counted (the lock would never end). The
// start of a lock is logged at WARN.
func (s *Service) codeFailed(ctx context.Context, m staff.Member) error {
	now := s.now().UTC()
	after := staff.Member{ID: m.ID}
	res := s.db.WithContext(ctx).Model(&after).
		Clauses(clause.Returning{Columns: []clause.Column{{Name: "failed_codes"}, {Name: "codes_locked_until"}}}).
		Where("codes_locked_until IS NULL OR codes_locked_until <= ?", now).
		UpdateColumns(map[string]any{
			"failed_codes":       gorm.Expr("CASE WHEN failed_codes + 1 >= ? THEN 0 ELSE failed_codes + 1 END", staff.MaxCodeFailures),
			"codes_locked_until": gorm.Expr("CASE WHEN failed_codes + 1 >= ? THEN ? ELSE codes_locked_until END", staff.MaxCodeFailures, now.Add(staff.CodeLockout)),
		})
	if res.Error != nil {
		return fmt.Errorf("count wrong code of staff %d: %w", m.ID, res.Error)
	}
	if res.RowsAffected == 1 && after.CodesLockedUntil != nil && after.CodesLockedUntil.After(now) {
		s.log.LogAttrs(ctx, slog.LevelWarn, "staff codes locked after wrong codes", slog.Int64("staff_id", m.ID),
			slog.Int("failures", staff.MaxCodeFailures), slog.Time("until", *after.CodesLockedUntil),
			slog.String("ip", staff.ClientIP(ctx)), slog.String("request_id", staff.RequestID(ctx)))
	}
	return nil
}

// matchTOTP opens m's sealed second-factor secret and returns the step of code in
// it (staff.MatchTOTP). A secret that does not open is an error, never a match.
func (s *Service) matchTOTP(m staff.Member, code string) (int64, bool, error) {
	secret, err := s.secrets.Open(m.ID, m.TOTPSecret)
	if err != nil {
		return 0, false, fmt.Errorf("second factor of staff %d: %w", m.ID, err)
	}
	if secret == "" {
		return 0, false, nil
	}
	step, ok := staff.MatchTOTP(secret, code, s.now(), m.TOTPLastStep)
	return step, ok, nil
}

// SealStaffSecrets seals every second-factor secret an older version stored as
// plaintext, and returns how many it sealed. cmd/cashier calls it at every start,
// before serving: from then on a secret that is not sealed is refused, never used
// (staff.ErrNotSealed). Each secret is replaced only if it is still the one read,
// so instances starting together seal each one once.
func (s *Service) SealStaffSecrets(ctx context.Context) (int, error) {
	var members []staff.Member
	if err := s.db.WithContext(ctx).Select("id", "totp_secret").Where("totp_secret <> ?", "").Find(&members).Error; err != nil {
		return 0, fmt.Errorf("seal staff secrets: %w", err)
	}
	sealed := 0
	for _, m := range members {
		if staff.Sealed(m.TOTPSecret) {
			continue
		}
		v, err := s.secrets.Seal(m.ID, m.TOTPSecret)
		if err != nil {
			return sealed, err
		}
		var n int64
		err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
			res := tx.Model(&staff.Member{}).Where("id = ? AND totp_secret = ?", m.ID, m.TOTPSecret).Update("totp_secret", v)
			n = res.RowsAffected
			return res.Error
		})
		if err != nil {
			return sealed, fmt.Errorf("seal secret of staff %d: %w", m.ID, err)
		}
		sealed += int(n)
	}
	if sealed > 0 {
		s.log.Info("staff second-factor secrets sealed", "count", sealed)
	}
	return sealed, nil
}

// useTOTP marks code used for m, in tx: a conditional UPDATE, so that of two
// requests with one code only one succeeds. The count of wrong codes starts again.
// Without a second factor it does nothing.
func (s *Service) useTOTP(tx *gorm.DB, m *staff.Member, code string) error {
	if !m.TOTPEnabled {
		return nil
	}
	step, ok, err := s.matchTOTP(*m, code)
	if err != nil {
		return err
	}
	if !ok {
		return models.Problemf("code", msgStaffBadLogin)
	}
	res := tx.Model(&staff.Member{}).Where("id = ? AND totp_last_step < ?", m.ID, step).
		Updates(map[string]any{"totp_last_step": step, "failed_codes": 0})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return models.Problemf("code", msgStaffBadLogin)
	}
	m.TOTPLastStep = step
	return nil
}

// EndStaffSessions signs by out everywhere: every staff session cookie issued
// before is refused from now on, by every instance. It is audited as a sign-out.
func (s *Service) EndStaffSessions(ctx context.Context, by staff.Member) error {
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error {
		res := tx.Model(&staff.Member{}).Where("id = ?", by.ID).
			UpdateColumn("session_version", gorm.Expr("session_version + 1"))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return staff.ErrNotFound
		}
		return staff.Record(ctx, tx, s.now().UTC(), staff.Audit{Event: staff.EventSignOut, SubjectID: by.ID}.By(by))
	})
	if err != nil {
		return fmt.Errorf("end sessions of staff %d: %w", by.ID, err)
	}
	return nil
}

// StartTOTP gives by a new second-factor secret to enrol, replacing one not yet
// confirmed. One already enabled cannot be replaced this way (*models.Problem).
// Nothing is audited until ConfirmTOTP.
func (s *Service) StartTOTP(ctx context.Context, by staff.Member) (staff.Enrolment, error) {
	m, err := s.StaffMember(ctx, by.ID)
	if err != nil {
		return staff.Enrolment{}, err
	}
	if m.TOTPEnabled {
		return staff.Enrolment{}, models.Problemf("", "Your second factor is already set up.")
	}
	if m.TOTPSecret != "" {
		// The enrolment begun before, shown again. One whose secret no longer opens
		// (CASHIER_TOTP_KEY changed) is replaced: nothing was turned on with it.
		secret, err := s.secrets.Open(m.ID, m.TOTPSecret)
		if err == nil {
			return staff.EnrolmentFor(staff.TOTPURL(totpIssuer, m.Email, secret))
		}
		s.log.Warn("an unfinished second-factor enrolment does not open; a new secret replaces it", "staff_id", m.ID, "err", err)
	}
	e, err := staff.NewTOTP(totpIssuer, m.Email)
	if err != nil {
		return staff.Enrolment{}, err
	}
	sealed, err := s.secrets.Seal(m.ID, e.Secret)
	if err != nil {
		return staff.Enrolment{}, fmt.Errorf("start totp of staff %d: %w", m.ID, err)
	}
	err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
		return tx.Model(&staff.Member{}).Where("id = ? AND totp_enabled = ?", m.ID, false).
			Update("totp_secret", sealed).Error
	})
	if err != nil {
		return staff.Enrolment{}, fmt.Errorf("start totp of staff %d: %w", m.ID, err)
	}
	return e, nil
}

// TOTPEnrolment is the second-factor enrolment to show by, and writes nothing (the
// page that shows it is a GET): the one StartTOTP stored, when it opens; else
// pending, a secret sealed for by that the caller kept from an earlier call (the
// back office keeps it in the member's own session); else a new one. sealed is
// the secret shown, sealed for by, for the caller to keep and give back to
// ConfirmPendingTOTP; "" when the stored one is shown. One already enabled is a
// *models.Problem, as in StartTOTP.
func (s *Service) TOTPEnrolment(ctx context.Context, by staff.Member, pending string) (e staff.Enrolment, sealed string, err error) {
	m, err := s.StaffMember(ctx, by.ID)
	if err != nil {
		return staff.Enrolment{}, "", err
	}
	if m.TOTPEnabled {
		return staff.Enrolment{}, "", models.Problemf("", "Your second factor is already set up.")
	}
	if secret, err := s.secrets.Open(m.ID, m.TOTPSecret); err == nil && secret != "" {
		e, err := staff.EnrolmentFor(staff.TOTPURL(totpIssuer, m.Email, secret))
		return e, "", err
	}
	if secret, err := s.secrets.Open(m.ID, pending); err == nil && secret != "" {
		e, err := staff.EnrolmentFor(staff.TOTPURL(totpIssuer, m.Email, secret))
		return e, pending, err
	}
	if e, err = staff.NewTOTP(totpIssuer, m.Email); err != nil {
		return staff.Enrolment{}, "", err
	}
	if sealed, err = s.secrets.Seal(m.ID, e.Secret); err != nil {
		return staff.Enrolment{}, "", fmt.Errorf("totp enrolment of staff %d: %w", m.ID, err)
	}
	return e, sealed, nil
}

// ConfirmTOTP turns on the second factor StartTOTP gave by, once they type a
// current code from it; a wrong code is a *models.Problem. Every session of theirs
// ends, since each was opened with the password alone: the returned member carries
// the new SessionVersion, for the caller to sign the session it came from in again.
func (s *Service) ConfirmTOTP(ctx context.Context, by staff.Member, code string) (staff.Member, error) {
	return s.ConfirmPendingTOTP(ctx, by, "", code)
}

// ConfirmPendingTOTP is ConfirmTOTP for the enrolment TOTPEnrolment showed: the
// stored secret when one opens, else pending (sealed for by: one sealed for
// another member does not open), which is stored with the second factor turned on.
func (s *Service) ConfirmPendingTOTP(ctx context.Context, by staff.Member, pending, code string) (staff.Member, error) {
	var m staff.Member
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := forUpdate(tx).Where("id = ?", by.ID).Limit(1).Find(&m).Error; err != nil {
			return err
		}
		if m.ID == 0 || m.Disabled {
			return staff.ErrNotAllowed
		}
		if m.TOTPEnabled {
			return nil
		}
		before := m
		if secret, err := s.secrets.Open(m.ID, m.TOTPSecret); pending != "" && (err != nil || secret == "") {
			m.TOTPSecret = pending
		}
		step, ok, err := s.matchTOTP(m, code)
		if err != nil {
			return err
		}
		if !ok {
			return models.Problemf("code", "That code does not match. Type the six digits your app shows now.")
		}
		m.TOTPEnabled, m.TOTPLastStep, m.SessionVersion = true, step, m.SessionVersion+1
		if err := tx.Model(&m).Select("totp_secret", "totp_enabled", "totp_last_step", "session_version", "updated_at").Updates(&m).Error; err != nil {
			return err
		}
		return staff.Record(ctx, tx, s.now().UTC(), staff.Audit{Event: staff.EventTOTPEnabled, SubjectID: m.ID,
			Before: staff.JSON(staffView(before)), After: staff.JSON(staffView(m))}.By(m))
	})
	var problem *models.Problem
	if errors.As(err, &problem) {
		return staff.Member{}, problem
	}
	if err != nil {
		return staff.Member{}, fmt.Errorf("confirm totp of staff %d: %w", by.ID, err)
	}
	return m, nil
}

// AuditLog lists audit rows for a member who may view the back office.
func (s *Service) AuditLog(ctx context.Context, by staff.Member, f staff.Filter) ([]staff.Audit, error) {
	if _, err := s.actor(ctx, s.db, by, staff.ActionView); err != nil {
		return nil, err
	}
	return staff.List(ctx, s.db, f)
}
