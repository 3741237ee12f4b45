package cashier

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/raw"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrPlayerNotFound means no player has the given id.
var ErrPlayerNotFound = errors.New("player not found")

// ErrNotOpened means a registration opened no account for a reason the person
// registering may not learn: anyone can type another person's email or identity
// number, so the caller answers exactly as for a new account. Register has
// recorded the true reason (ErrEmailTaken, or ErrExcluded beside it).
var ErrNotOpened = errors.New("registration opened no account")

// ErrEmailTaken means a registration named the email (or identity number) of an
// existing account; it is an ErrNotOpened, and Register has told the owner.
var ErrEmailTaken = fmt.Errorf("an account with this email exists: %w", ErrNotOpened)

// msgBadLogin is Authenticate's one sentence for an unknown email and a wrong
// password alike, so the form does not reveal who has an account.
const msgBadLogin = "Email or password is wrong."

// Register opens a player account. A registration that does not validate fails
// with a *models.Problem; the wallet's currency follows from the country.
//
// In a market with a national self-exclusion register (RegisterMarkets) it needs
// what the register needs, and asks it first: a register without an answer fails
// with ErrRegisterUnavailable (see checkRegister) and nothing is stored. An
// excluded person fails with ErrNotOpened and ErrExcluded, and no sentence: the
// identity is only typed, by anyone, so whether that person is excluded is not
// the registrant's to learn (the caller answers as for a new account). The
// refusal is written to the audit trail instead (registration.refused), and the
// account's owner, or a bank-verified Pay N Play player, is told at sign-in, at a
// deposit and in the kyc decision.
//
// A registration with the email of an existing account fails with ErrEmailTaken
// after the same bcrypt work as a new one, changes nothing, and tells the owner.
// There is no email sending yet: telling the owner is an info log line naming the
// player id, never the address.
func (s *Service) Register(ctx context.Context, r models.Registration) (models.Player, error) {
	if err := r.Validate(); err != nil {
		return models.Player{}, err
	}
	personID, dob, err := s.registrationIdentity(r)
	if err != nil {
		return models.Player{}, err
	}
	if born, field := statedBirthDate(r); born != "" && paynplay.Underage(born, r.Country, s.now()) {
		return models.Player{}, models.ProblemT(field, "kyc.underage", "You must be 18 or older to play.")
	}
	hash, err := hashPassword(r.Password)
	if err != nil {
		return models.Player{}, fmt.Errorf("register: hash password: %w", err)
	}
	player := models.Player{
		EndUserID:    models.NewEndUserID(),
		Email:        r.Email,
		PasswordHash: hash,
		FirstName:    r.FirstName,
		LastName:     r.LastName,
		Country:      r.Country,
		Currency:     models.Markets[r.Country].Currency,
		Role:         models.RolePlayer,
		CreatedAt:    s.now().UTC(),
		PersonID:     personID,
		DateOfBirth:  dob,
	}
	if lang.Supported(r.Language) {
		player.Language = r.Language
	}
	if err := s.checkRegister(ctx, player, "registration"); err != nil {
		var excluded excludedBy
		if errors.As(err, &excluded) {
			return models.Player{}, s.refuseRegistration(ctx, player, excluded)
		}
		return models.Player{}, fmt.Errorf("register: %w", err)
	}
	var owner models.Player
	// Under the SQLite writer lock like every write: outside it, a registration
	// racing a batch of writeTx could find the database locked. The look-up spares
	// the insert in the common case; concurrent registrations of one email pass it
	// together, and the unique index decides.
	err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := findOwner(tx, r.Email, personID, &owner); err != nil || owner.ID != 0 {
			return err
		}
		return tx.Create(&player).Error
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		err = findOwner(s.db.WithContext(ctx), r.Email, personID, &owner)
	}
	switch {
	case err != nil:
		return models.Player{}, fmt.Errorf("register: %w", err)
	case owner.ID != 0:
		s.log.LogAttrs(ctx, slog.LevelInfo, "registration with the email of an existing account (or its personal identity number); tell its owner",
			slog.Int64("player_id", owner.ID))
		return models.Player{}, ErrEmailTaken
	}
	return player, nil
}

// refuseRegistration records in the audit trail that the register excludes the
// person player would have been, and returns ErrNotOpened with ErrExcluded and no
// sentence for the page. The audit row has what staff need to answer that person
// (the email, the register and its reference) and no whole identity number. It
// is written in a transaction, as a new account is, so the answer takes as long.
func (s *Service) refuseRegistration(ctx context.Context, player models.Player, excluded excludedBy) error {
	after := map[string]string{"email": player.Email, "country": player.Country, "register": excluded.register,
		"reference": excluded.reference}
	if person := registerPerson(player); len(person.PersonID) > 2 {
		after["personid"] = "…" + person.PersonID[len(person.PersonID)-2:]
	}
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error {
		return staff.Record(ctx, tx, s.now().UTC(), staff.Audit{Event: staff.EventRegistrationRefused,
			After: staff.JSON(after), Reason: "self-excluded in the national register (" + excluded.register + ")"})
	})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	return fmt.Errorf("register: %w: %w", ErrNotOpened, excluded)
}

// statedBirthDate is the date of birth a registration states, and the field that
// states it: its personal identity number's, or the date typed (already checked by
// Validate). Whatever the market, no one under 18 opens an account.
func statedBirthDate(r models.Registration) (dob, field string) {
	if r.PersonID != "" {
		if id, err := paynplay.ParsePersonID(r.Country, r.PersonID); err == nil {
			return id.BirthDate(), "person_id"
		}
	}
	return r.DateOfBirth, "date_of_birth"
}

// findOwner finds the account that already has email or, when set, personID (one
// person, one account).
func findOwner(db *gorm.DB, email, personID string, owner *models.Player) error {
	if err := byEmail(db, email).Limit(1).Find(owner).Error; err != nil || owner.ID != 0 || personID == "" {
		return err
	}
	return db.Where("person_id = ?", personID).Limit(1).Find(owner).Error
}

// byEmail reads the players of email (models.NormalEmail) in any form it may be
// kept in (models.EmailForms), the normal form first.
func byEmail(db *gorm.DB, email string) *gorm.DB {
	forms := models.EmailForms(email)
	if len(forms) == 1 {
		return db.Where("email = ?", email)
	}
	return db.Where("email IN ?", forms).Order(clause.OrderBy{Expression: clause.Expr{
		SQL: "CASE WHEN email = ? THEN 0 ELSE 1 END", Vars: []any{email}, WithoutParentheses: true}})
}

// Authenticate returns the player with this email and password, and what the
// sign-in opens. Both a wrong password and an unknown email fail with the same
// *models.Problem after the same bcrypt work. Players without a password (Pay N
// Play) cannot sign in this way. In a market with a national self-exclusion
// register, a right password is then checked with the register as Register does:
// a player it excludes who has a balance or a payout underway is signed in
// withdraw-only (Access.WithdrawOnly), one with nothing here fails with
// ErrExcluded, and a register without an answer fails closed with
// ErrRegisterUnavailable. An email with Config.SignInFailures failed sign-ins in
// SignInWindow, anyone's or nobody's, fails with *SignInsLimited, unchecked.
func (s *Service) Authenticate(ctx context.Context, email, password string) (models.Player, Access, error) {
	email = models.NormalEmail(email)
	try, err := s.startSignIn(ctx, signInPlayer, email)
	if err != nil {
		return models.Player{}, Access{}, err
	}
	var player models.Player
	if err := byEmail(s.db.WithContext(ctx), email).Limit(1).Find(&player).Error; err != nil {
		s.signInPassed(ctx, try) // nothing was checked
		return models.Player{}, Access{}, fmt.Errorf("authenticate: %w", err)
	}
	hash, known := player.PasswordHash, player.ID != 0 && player.PasswordHash != "" && email != ""
	if !known {
		hash = dummyHash()
	}
	same, old := samePassword(hash, password)
	if !same || !known {
		s.signInFailed(ctx, try, player.ID)
		return models.Player{}, Access{}, models.ProblemT("password", "problem.bad_login", msgBadLogin)
	}
	s.signInPassed(ctx, try)
	if old {
		player.PasswordHash = s.rehashPassword(ctx, &models.Player{}, "player_id", player.ID, hash, password)
	}
	if player.Blocked { // told only to someone who knows the password
		return models.Player{}, Access{}, PlayerBlocked()
	}
	// Only after the password: the register's answer is the account owner's to see.
	if err := s.checkRegister(ctx, player, "sign-in"); err != nil {
		access, err := s.withdrawOnly(ctx, player, err)
		if err != nil {
			return models.Player{}, Access{}, fmt.Errorf("authenticate: %w", err)
		}
		return player, access, nil
	}
	return player, Access{}, nil
}

// ChangePassword gives player a new password on their current one. Every session
// of theirs ends: the returned player carries the new SessionVersion, for the
// caller to sign the session it came from in again. The same change sent again
// (twice at once, or after the first was done) finds the password already the one
// asked for and answers as the first did. A wrong current password, a
// new password that does not do, or a Pay N Play player, who has no password, is
// a *models.Problem, and nothing changes.
//
// A wrong current password counts as a failed sign-in to the player's email
// (startPasswordCheck), and in a budget of the session's own (ctx's WithSession):
// past Config.SignInFailures in SignInWindow from this session, the change fails
// with *SignInsLimited, unchecked, however many failed at the sign-in page. The
// failure that uses the session's budget up ends every session of the player's
// (SessionsEnded, passwordChangeFailed). Without a session in ctx the change is
// refused by the account's shared budget.
func (s *Service) ChangePassword(ctx context.Context, player models.Player, current, password string) (models.Player, error) {
	p, err := s.Player(ctx, player.ID)
	if err != nil {
		return models.Player{}, err
	}
	if p.PasswordHash == "" {
		return models.Player{}, models.ProblemT("", "problem.no_password", "You sign in with your bank, so your account has no password to change.")
	}
	try, err := s.startPasswordCheck(ctx, signInPlayer, attemptPasswordChange, p.Email)
	if err != nil {
		return models.Player{}, err
	}
	if same, _ := samePassword(p.PasswordHash, current); !same {
		// The same change sent again once the first was done (a double click, a
		// retry): the password is the one asked for, so it is changed, as the
		// first sending said. This tells no more than a right current password.
		if models.NormalPassword(password) != models.NormalPassword(current) {
			if again, _ := samePassword(p.PasswordHash, password); again {
				s.signInPassed(ctx, try)
				return p, nil
			}
		}
		return models.Player{}, s.passwordChangeFailed(ctx, try, p)
	}
	s.signInPassed(ctx, try)
	if err := models.CheckPassword(password); err != nil {
		return models.Player{}, err
	}
	if models.NormalPassword(password) == models.NormalPassword(current) {
		return models.Player{}, models.ProblemT("password", "problem.password_same", "Choose a password other than your current one.")
	}
	hash, err := hashPassword(password)
	if err != nil {
		return models.Player{}, fmt.Errorf("change password of player %d: %w", p.ID, err)
	}
	var changed int64
	err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
		// Only if the password is still the one just checked: of two changes at
		// once, the second finds it changed.
		res := tx.Model(&models.Player{}).Where("id = ? AND password_hash = ?", p.ID, p.PasswordHash).
			Updates(map[string]any{"password_hash": hash, "session_version": gorm.Expr("session_version + 1")})
		changed = res.RowsAffected
		return res.Error
	})
	switch {
	case err != nil:
		return models.Player{}, fmt.Errorf("change password of player %d: %w", p.ID, err)
	case changed == 0:
		// Changed meanwhile. By this same change sent twice at once (a double
		// click), it is done, as the other sending says.
		if now, err := s.Player(ctx, p.ID); err == nil {
			if same, _ := samePassword(now.PasswordHash, password); same {
				return now, nil
			}
		}
		return models.Player{}, models.ProblemT("current", "problem.password_current", "Your current password is wrong.")
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "password changed", slog.Int64("player_id", p.ID))
	return s.Player(ctx, p.ID)
}

// BankSignInWindow is how long after the Pay N Play sign-in that made (or last
// refreshed) a session SetPassword takes that session's form. A player who has a
// password types it to change it (ChangePassword); a player without one has only
// their bank login, so it stands in for the current password, and only a recent
// one shows that whoever holds the session is the person the bank identified
// rather than someone with a copy of its cookie, which lives for hours (12, or
// as long as it is used): with the password they chose, such a copy would keep
// the account, its balance and its payouts, after the session ended. 15 minutes
// are long enough to find the profile page after the deposit that signed in,
// and short enough that a cookie taken later is of no use for this.
const BankSignInWindow = 15 * time.Minute

type bankSignInKey struct{}

// WithBankSignIn returns ctx carrying at, when the Pay N Play sign-in that made or
// last refreshed the session SetPassword's form comes from signed it in (by the
// service's clock), for SetPassword. The web layer keeps it in the session it
// signed in, never takes it from a form; a session with none (a password sign-in)
// passes the zero time, which is never recent.
func WithBankSignIn(ctx context.Context, at time.Time) context.Context {
	return context.WithValue(ctx, bankSignInKey{}, at)
}

// BankSignInRecent reports whether a bank sign-in at at is recent enough for
// SetPassword now: within BankSignInWindow, by the service's clock.
func (s *Service) BankSignInRecent(at time.Time) bool {
	return !s.now().After(at.Add(BankSignInWindow))
}

// SetPassword gives a player without a password (one Pay N Play's "Deposit &
// play" made) an email and a password, so that they sign in at /login as a
// password player does, with everything Authenticate checks (the sign-in
// limits, a block, the national register with the identity the bank gave, a
// withdraw-only session), and need no deposit to come back for their money. It
// has registration's rules: the email's form (lower case, as sign-in reads it),
// the password's strength, and again, the password typed twice, must be the
// same. Every session of theirs ends: the returned player carries the new
// SessionVersion, for the caller to sign the session it came from in again.
//
// In a pure Pay N Play market the bank is the only way in, and a player who has
// a password changes it with ChangePassword: both are a *models.Problem, and
// nothing changes. An email another account has is a *models.Problem that does
// not say so ("This email cannot be used here"), after the same bcrypt work, and
// the owner is told as for a registration with their email (an info log line with
// their player id, never the address): it is what that registration's answer
// lets anyone learn by signing in with the password they gave, and the player
// asking here is one the bank identified.
//
// Only within BankSignInWindow of the bank sign-in of ctx (WithBankSignIn): later
// it is a *models.Problem (problem.bank_login_old) saying a password can be chosen
// within that time of logging in with the bank, nothing changes, and an info line
// is logged with the player's id.
func (s *Service) SetPassword(ctx context.Context, player models.Player, email, password, again string) (models.Player, error) {
	p, err := s.Player(ctx, player.ID)
	if err != nil {
		return models.Player{}, err
	}
	if s.cfg.PayNPlay.For(p.Country) == paynplay.ModePure {
		return models.Player{}, models.ProblemT("", "problem.no_password", "You sign in with your bank, so your account has no password to change.")
	}
	if p.PasswordHash != "" {
		return models.Player{}, models.ProblemT("", "problem.has_password", "Your account has a password already: change it with your current one.")
	}
	if at, _ := ctx.Value(bankSignInKey{}).(time.Time); !s.BankSignInRecent(at) {
		s.log.LogAttrs(ctx, slog.LevelInfo, "email and password refused: the bank login is not recent", slog.Int64("player_id", p.ID),
			slog.Time("bank_login_at", at))
		return models.Player{}, BankLoginOld()
	}
	email = models.NormalEmail(email)
	if err := models.CheckEmail(email); err != nil {
		return models.Player{}, err
	}
	if err := models.CheckPassword(password); err != nil {
		return models.Player{}, err
	}
	if models.NormalPassword(again) != models.NormalPassword(password) {
		return models.Player{}, models.ProblemT("password_again", "problem.password_again", "The two passwords differ. Type the same password twice.")
	}
	hash, err := hashPassword(password)
	if err != nil {
		return models.Player{}, fmt.Errorf("set password of player %d: %w", p.ID, err)
	}
	var owner models.Player
	var changed int64
	err = writeTx(ctx, s.db, func(tx *gorm.DB) error {
		if err := byEmail(tx, email).Limit(1).Find(&owner).Error; err != nil || owner.ID != 0 {
			return err
		}
		// Only while the player has no password: of two forms at once, the second
		// finds one set.
		res := tx.Model(&models.Player{}).Where("id = ? AND password_hash = ?", p.ID, "").
			Updates(map[string]any{"email": email, "password_hash": hash, "session_version": gorm.Expr("session_version + 1")})
		changed = res.RowsAffected
		return res.Error
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) { // a registration of this email came meanwhile
		err = s.db.WithContext(ctx).Where("email = ?", email).Limit(1).Find(&owner).Error
	}
	switch {
	case err != nil:
		return models.Player{}, fmt.Errorf("set password of player %d: %w", p.ID, err)
	case owner.ID != 0:
		s.log.LogAttrs(ctx, slog.LevelInfo, "email of an existing account chosen on another player's profile; tell its owner",
			slog.Int64("player_id", owner.ID), slog.Int64("by_player_id", p.ID))
		return models.Player{}, models.ProblemT("email", "problem.email_unusable", "This email cannot be used here. Choose another.")
	case changed == 0:
		return models.Player{}, models.ProblemT("", "problem.has_password", "Your account has a password already: change it with your current one.")
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "email and password set", slog.Int64("player_id", p.ID))
	return s.Player(ctx, p.ID)
}

// PlayerBlocked is the refusal of a blocked player's sign-in: with their password
// (Authenticate), or by a Pay N Play order whose kyc let them in before staff
// blocked them; and of a deposit, an account or a payout asked for by a page the
// session check let through just before the block (refuseBlocked), translated
// as every other refusal is.
func PlayerBlocked() *models.Problem {
	return models.ProblemT("", "problem.player_blocked", msgPlayerBlocked)
}

// BankLoginOld is SetPassword's refusal after BankSignInWindow, the sentence the
// profile page shows instead of the form then.
func BankLoginOld() *models.Problem {
	return models.ProblemT("", "problem.bank_login_old", "You can choose an email and a password within 15 minutes of logging in "+
		"with your bank. To do so, log out, log in again with \"Deposit & play\" and come back to this page.",
		"Minutes", int(BankSignInWindow/time.Minute))
}

// Player returns the player with id, or ErrPlayerNotFound.
//
// Every signed-in page asks for it (requirePlayer), so it reads with one
// prepared statement (raw.Query) rather than through GORM, whose statement
// building and scanning cost twice the read.
func (s *Service) Player(ctx context.Context, id int64) (models.Player, error) {
	rows, err := raw.Query(ctx, s.db, "SELECT "+playerColumns+" FROM players WHERE id = ?", id)
	if err != nil {
		return models.Player{}, fmt.Errorf("player %d: %w", id, err)
	}
	defer rows.Close()
	var row playerRow
	if rows.Next() {
		err = row.scan(rows)
	}
	switch {
	case err != nil:
		return models.Player{}, fmt.Errorf("player %d: %w", id, err)
	case rows.Err() != nil:
		return models.Player{}, fmt.Errorf("player %d: %w", id, rows.Err())
	case row.p.ID == 0:
		return models.Player{}, fmt.Errorf("player %d: %w", id, ErrPlayerNotFound)
	}
	return row.p, nil
}

// playerColumns are the players table's columns, in models.Player's order, as
// playerRow.scan reads them (TestPlayerReadsEveryColumn checks they are all of
// them).
const playerColumns = "id, end_user_id, email, password_hash, first_name, last_name, country, currency, role, person_id, " +
	"kyc_entity_id, date_of_birth, name_key, name_key_fold, street, zipcode, city, kyc_at, created_at, session_version, blocked, language"

// playerRow is a row of playerColumns being read, with the columns that may be
// NULL beside the player: rows.Scan takes their addresses, which puts the whole
// row on the heap, one allocation where the player and the three had been four.
type playerRow struct {
	p               models.Player
	email, personID sql.NullString
	kycAt           sql.NullTime
}

// scan reads the row into r.p: NULL email and person_id as "" (their nullempty
// serializer), a NULL kyc_at as nil.
func (r *playerRow) scan(rows *sql.Rows) error {
	p := &r.p
	err := rows.Scan(&p.ID, &p.EndUserID, &r.email, &p.PasswordHash, &p.FirstName, &p.LastName, &p.Country, &p.Currency,
		&p.Role, &r.personID, &p.KYCEntityID, &p.DateOfBirth, &p.NameKey, &p.NameKeyFold, &p.Street, &p.Zipcode, &p.City, &r.kycAt, &p.CreatedAt,
		&p.SessionVersion, &p.Blocked, &p.Language)
	if err != nil {
		return err
	}
	p.Email, p.PersonID = r.email.String, r.personID.String
	if r.kycAt.Valid {
		p.KYCAt = &r.kycAt.Time
	}
	return nil
}

// Wallet is the player's playable balance in their currency.
func (s *Service) Wallet(ctx context.Context, player models.Player) (models.Money, error) {
	return ledger.New(s.db).Balance(ctx, models.PlayerWallet(player.ID), player.Currency)
}

// EndSessions signs the player out everywhere: every session cookie issued before
// is refused from now on, by every instance, since the version it carries is
// checked against the database on each request. Signing out calls it; so will
// blocking a player and changing a password.
func (s *Service) EndSessions(ctx context.Context, playerID int64) error {
	err := writeTx(ctx, s.db, func(tx *gorm.DB) error {
		res := tx.Model(&models.Player{}).Where("id = ?", playerID).
			UpdateColumn("session_version", gorm.Expr("session_version + 1"))
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrPlayerNotFound
		}
		return res.Error
	})
	if err != nil {
		return fmt.Errorf("end sessions of player %d: %w", playerID, err)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "sessions ended", slog.Int64("player_id", playerID))
	return nil
}

// SetLanguage keeps the language the player chose with the language picker. It
// fails with ErrPlayerNotFound for an unknown player; a language the cashier
// does not speak is refused.
func (s *Service) SetLanguage(ctx context.Context, playerID int64, language string) error {
	if !lang.Supported(language) {
		return fmt.Errorf("set language of player %d: %q is not a language we speak", playerID, language)
	}
	return writeTx(ctx, s.db, func(tx *gorm.DB) error {
		res := tx.Model(&models.Player{}).Where("id = ?", playerID).UpdateColumn("language", language)
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrPlayerNotFound
		}
		return res.Error
	})
}
