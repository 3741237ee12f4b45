package cashier

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// SignInWindow is how long an account's failed sign-ins are counted: from its
// first failure after the previous window ended.
const SignInWindow = 15 * time.Minute

// DefaultSignInFailures is Config.SignInFailures when it is 0.
const DefaultSignInFailures = 10

// SignInsLimited is the error of a sign-in refused unchecked: the account it
// names (a player's or a staff member's email, whether or not anyone has it) had
// its failed sign-ins for this window. The web's limits per address cannot stop a
// guesser with many addresses; this one counts per account, on every instance. A
// signed-in session's password checks (a password change, a staff member's
// re-authentication) count in the same budget, but are refused only by a budget of
// the session's own (WithSession). A sign-in from a known device of the account's
// (KnownDevice) counts in a budget of its own and is refused only when that one is
// used up.
type SignInsLimited struct {
	RetryAfter time.Duration // until the window ends
	// SessionsEnded says that every session of the player's or staff member's was
	// ended along (ChangePassword, Reauthenticate, ChangeStaffPassword).
	SessionsEnded bool
}

func (e *SignInsLimited) Error() string {
	return fmt.Sprintf("too many failed sign-ins for this account; try again in %v", e.RetryAfter.Round(time.Second))
}

// Kinds of accounts a sign-in names, in the keys of their counts.
const (
	signInPlayer = "player"
	signInStaff  = "staff"
)

// attemptCounts keeps the counts of sign-ins per account: store.Counters, in the
// database (on SQLite too, so that they survive a restart). Take counts one
// attempt under key and returns the attempts in its window, this one included,
// and the window's end; GiveBack takes one back in the window still running.
type attemptCounts interface {
	Take(ctx context.Context, key string, now time.Time, window time.Duration) (int64, time.Time, error)
	GiveBack(ctx context.Context, key string, now time.Time) error
}

func (c Config) signInFailures() int64 {
	if c.SignInFailures > 0 {
		return int64(c.SignInFailures)
	}
	return DefaultSignInFailures
}

// signInTry is one sign-in's place in its account's budget, or in its known
// device's (device).
type signInTry struct {
	kind, key string
	device    bool      // counted in the budget of a known device of the account's
	session   bool      // counted in the budget of a signed-in session (startPasswordCheck)
	attempt   string    // what the password is checked for (attemptSignIn when empty), in logs and the audit
	n         int64     // the attempts counted in the window, this one included
	until     time.Time // the window's end
	// shared is the key of the account's shared budget when try is a session's
	// (session): the check counts there too, unrefused, and is given back there too;
	// sharedN is its count there.
	shared  string
	sharedN int64
}

// usedUp reports whether try was the attempt its budget counted last in this
// window (last: from now on it refuses), or, for a session's check, the one that
// used up the account's shared budget (shared: from now on sign-ins without a
// known device are refused, while the session's checks go on).
func (try signInTry) usedUp(limit int64) (last, shared bool) {
	return try.n == limit, try.shared != "" && try.sharedN == limit
}

// KnownDevice is a browser that signed in to an account before, as the web layer
// read it from the cookie that sign-in gave it (signed, and not expired). It is no
// credential: it only moves the browser's sign-ins to the account of Account into
// a budget of their own (startSignIn), so that a guesser elsewhere who used up the
// account's shared budget does not keep its owner out. Only a sign-in with the
// account's password gives a browser one, so a guesser has none of the account's.
type KnownDevice struct {
	Account string // the email the browser signed in with
	ID      string // random, new at every sign-in
}

type knownDeviceKey struct{}

// WithKnownDevice returns ctx carrying d, for Authenticate and AuthenticateStaff.
func WithKnownDevice(ctx context.Context, d KnownDevice) context.Context {
	return context.WithValue(ctx, knownDeviceKey{}, d)
}

type sessionKey struct{}

// WithSession returns ctx carrying id, the random ID of the signed-in session a
// password check comes from (a player's or a staff member's), for ChangePassword,
// Reauthenticate and ChangeStaffPassword: their checks are refused by a budget of
// that session's own (startPasswordCheck). The ID is new at every sign-in, and only
// a sign-in, with the password, gives one.
func WithSession(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, sessionKey{}, id)
}

// signInKey is the key of the shared budget of the account of email (normalized)
// of kind. It holds a hash of the email, of a bounded length, and never what
// someone typed.
func signInKey(kind, email string) string {
	sum := sha256.Sum256([]byte(email))
	return "signin:" + kind + ":" + hex.EncodeToString(sum[:])
}

// startSignIn counts a sign-in to the account of email (normalized) before anything
// about it is looked up, so that it is counted and refused alike whether or not
// anyone has that email: past the budget it is *SignInsLimited, the right password
// or not, and none is checked. A sign-in counts from its start, not from its
// failure: of many at once, no more than the budget get their password checked. The
// caller gives it back (signInPassed) when the password was right.
//
// A sign-in from a known device of this very account (ctx's KnownDevice, for
// email) counts in that device's budget, of the same size, instead of the
// account's shared one, and is refused only when the device's is used up: a
// guesser without the device's cookie can keep every other browser out for the
// window, never the ones the owner signed in with before. A device given for
// another email (the guesser's own account) counts in the shared budget as no
// device does.
func (s *Service) startSignIn(ctx context.Context, kind, email string) (signInTry, error) {
	email = models.NormalEmail(email)
	try := signInTry{kind: kind, key: signInKey(kind, email)}
	if d, ok := ctx.Value(knownDeviceKey{}).(KnownDevice); ok && d.ID != "" && email != "" && models.NormalEmail(d.Account) == email {
		sum := sha256.Sum256([]byte(d.ID))
		try.key, try.device = try.key+":device:"+hex.EncodeToString(sum[:]), true
	}
	return s.takeSignIn(ctx, try)
}

// takeSignIn counts try in its budget (startSignIn).
func (s *Service) takeSignIn(ctx context.Context, try signInTry) (signInTry, error) {
	kind := try.kind
	now := s.now()
	n, until, err := s.signIns.Take(ctx, try.key, now, SignInWindow)
	if err != nil {
		return signInTry{}, fmt.Errorf("sign-in: %w", err)
	}
	try.n, try.until = n, until
	if n > s.cfg.signInFailures() {
		s.log.LogAttrs(ctx, slog.LevelDebug, "sign-in refused: too many failed sign-ins for the account", slog.String("account", kind),
			slog.Bool("device", try.device), slog.Time("until", until), slog.String("ip", staff.ClientIP(ctx)), slog.String("request_id", staff.RequestID(ctx)))
		return signInTry{}, &SignInsLimited{RetryAfter: until.Sub(now)}
	}
	return try, nil
}

// startPasswordCheck counts a check of a signed-in account's password (attempt: a
// password change, a staff member's re-authentication) as a sign-in to the
// account of email (startSignIn). It is refused by a budget of the session's own
// (ctx's WithSession), of the same size, and counted in the account's shared one
// as well, unrefused: a guesser at the sign-in page who used up the shared budget
// does not keep the signed-in owner from re-authenticating or changing their
// password, while someone holding a stolen session gets no more guesses at the
// password than a guesser at the sign-in page, none past the session's budget,
// the right password included, and their failures still count at the sign-in
// page. The check that uses the session's budget up ends the account's sessions
// (passwordChangeFailed, staffSignInFailed). A check without a session counts in
// and is refused by the shared budget, as a sign-in without a known device.
func (s *Service) startPasswordCheck(ctx context.Context, kind, attempt, email string) (signInTry, error) {
	shared := signInKey(kind, models.NormalEmail(email))
	id, _ := ctx.Value(sessionKey{}).(string)
	if id == "" {
		try, err := s.takeSignIn(ctx, signInTry{kind: kind, key: shared})
		try.attempt = attempt
		return try, err
	}
	sum := sha256.Sum256([]byte(id))
	try, err := s.takeSignIn(ctx, signInTry{kind: kind, key: shared + ":session:" + hex.EncodeToString(sum[:]), session: true})
	if err != nil {
		return signInTry{}, err
	}
	n, _, err := s.signIns.Take(ctx, shared, s.now(), SignInWindow)
	if err != nil {
		s.signInPassed(ctx, try)
		return signInTry{}, fmt.Errorf("sign-in: %w", err)
	}
	try.attempt, try.shared, try.sharedN = attempt, shared, n
	return try, nil
}

// signInFailed notes the failure of try and reports whether it was the last its
// budget may have in this window: every sign-in to the account (or from its known
// device, or check from its session) is refused from now on, which is logged at
// WARN with id, when the email is someone's (never the email itself). A session's
// check that used up the account's shared budget is logged as well, with session
// false, and is not the last: the session's checks go on.
func (s *Service) signInFailed(ctx context.Context, try signInTry, id int64) bool {
	last, shared := try.usedUp(s.cfg.signInFailures())
	if !last && !shared {
		return false
	}
	failures, session := try.n, try.session
	if !last {
		failures, session = try.sharedN, false
	}
	attrs := []slog.Attr{slog.String("account", try.kind), slog.Bool("device", try.device), slog.Bool("session", session),
		slog.String("attempt", cmp.Or(try.attempt, attemptSignIn)), slog.Int64("failures", failures),
		slog.Duration("window", SignInWindow), slog.String("ip", staff.ClientIP(ctx)), slog.String("request_id", staff.RequestID(ctx))}
	if id != 0 {
		attrs = append(attrs, slog.Int64(try.kind+"_id", id))
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "sign-ins limited after failed sign-ins", attrs...)
	return last
}

// signInPassed gives back the count of a sign-in whose password was right: a
// sign-in is counted only when it failed. It does not give back the failures
// before it: a guesser's count goes on whoever else signs in.
func (s *Service) signInPassed(ctx context.Context, try signInTry) {
	for _, key := range []string{try.key, try.shared} {
		if key == "" {
			continue
		}
		if err := s.signIns.GiveBack(ctx, key, s.now()); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "sign-in count not given back", slog.String("account", try.kind), slog.String("err", err.Error()))
		}
	}
}

// passwordChangeFailed notes a wrong current password at player p's password
// change (try, signInFailed) and returns its answer: the sentence of a wrong
// password, or, for the failure that used up the session's budget (or the
// account's, without a session),
// *SignInsLimited with SessionsEnded, after ending every session of the player's.
// A session whose holder has the password wrong that often is more likely someone
// else's, a stolen cookie, than the player's, and a session cookie cannot be ended
// alone: a thief's copy of it goes on until the session version changes. The
// player logs in again once the window ends.
func (s *Service) passwordChangeFailed(ctx context.Context, try signInTry, p models.Player) error {
	if !s.signInFailed(ctx, try, p.ID) {
		return models.ProblemT("current", "problem.password_current", "Your current password is wrong.")
	}
	if err := s.EndSessions(ctx, p.ID); err != nil {
		return fmt.Errorf("change password of player %d: %w", p.ID, err)
	}
	return &SignInsLimited{RetryAfter: try.until.Sub(s.now()), SessionsEnded: true}
}

// staffCheckDone ends try, a check of a staff member's secrets (a sign-in, a
// re-authentication, a password change) for the account of email, whose outcome is
// err: a *models.Problem (a wrong password or code, a disabled account) counts as a
// failed sign-in (staffSignInFailed); the right secrets, or a failure of ours, are
// given back (signInPassed). It returns err, the error of writing the audit, or
// *SignInsLimited when the failure used up a session's budget (staffSignInFailed).
func (s *Service) staffCheckDone(ctx context.Context, try signInTry, email string, err error) error {
	if errors.As(err, new(*models.Problem)) {
		if aerr := s.staffSignInFailed(ctx, try, email); aerr != nil {
			return aerr
		}
		return err
	}
	s.signInPassed(ctx, try)
	return err
}

// staffSignInFailed notes the failure of try, a staff sign-in to email (signInFailed).
// The failure that uses up a member's budget is written to the audit trail: from
// now on sign-ins to the account are refused until the window ends. The author is
// the system; the row names the member, where the last failure was (attempt) and
// its address. An email of nobody's is only logged. A session's check that used up
// the member's shared budget is audited so too.
//
// The failure that uses up a signed-in session's budget (a re-authentication or a
// password change, startPasswordCheck) ends every session of the member's in the
// same transaction, as a player's password change does (passwordChangeFailed): a
// session whose holder has the password wrong that often is more likely a stolen
// one, and a staff cookie cannot be ended alone. It returns *SignInsLimited with
// SessionsEnded, and the row says session and sessions_ended.
func (s *Service) staffSignInFailed(ctx context.Context, try signInTry, email string) error {
	last, shared := try.usedUp(s.cfg.signInFailures())
	if !last && !shared {
		return nil
	}
	var m staff.Member
	if err := byEmail(s.db.WithContext(ctx), email).Limit(1).Find(&m).Error; err != nil {
		return fmt.Errorf("limit sign-ins: %w", err)
	}
	s.signInFailed(ctx, try, m.ID)
	if m.ID == 0 {
		return nil
	}
	after := map[string]any{"failures": s.cfg.signInFailures(), "window": SignInWindow.String(), "ip": staff.ClientIP(ctx),
		"attempt": cmp.Or(try.attempt, attemptSignIn)}
	if try.device {
		after["device"] = true // only the device that failed is refused
	}
	ended := try.session && last // the session's budget: the member's sessions end
	if ended {
		after["session"], after["sessions_ended"] = true, true
	}
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error {
		if ended {
			if err := tx.Model(&staff.Member{}).Where("id = ?", m.ID).
				UpdateColumn("session_version", gorm.Expr("session_version + 1")).Error; err != nil {
				return err
			}
		}
		return staff.Record(ctx, tx, s.now().UTC(), staff.Audit{Event: staff.EventSignInsLimited, SubjectID: m.ID,
			After: staff.JSON(after)})
	})
	if err != nil {
		return fmt.Errorf("limit sign-ins of staff %d: %w", m.ID, err)
	}
	if ended {
		return &SignInsLimited{SessionsEnded: true, RetryAfter: try.until.Sub(s.now())}
	}
	return nil
}
