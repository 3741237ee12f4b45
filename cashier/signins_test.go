package cashier_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// signInService is a Service on db reading the time from now, with failures
// failed sign-ins per account (0: the default).
func signInService(t *testing.T, db *gorm.DB, now func() time.Time, failures int) *cashier.Service {
	t.Helper()
	key, err := trustly.LoadPrivateKey("../trustly/testdata/test-merchant-private.pem")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := trustly.LoadPublicKey("../trustly/testdata/test-merchant-public.pem")
	if err != nil {
		t.Fatal(err)
	}
	client, err := trustly.NewClient(trustly.Config{URL: "http://127.0.0.1:1/api/1", Username: "u", Password: "p",
		PrivateKey: key, TrustlyKey: pub, Env: "test"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: key, TrustlyKey: pub,
		Now: now, Config: cashier.Config{BaseURL: "http://cashier.test", NotifyToken: "secret-token", SignInFailures: failures}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// signInOutcome names what a sign-in came to: "in", "wrong" (the one sentence of
// a failed sign-in), "limited" (refused unchecked, with the wait), or the error.
func signInOutcome(err error, limit time.Duration) string {
	var limited *cashier.SignInsLimited
	switch {
	case err == nil:
		return "in"
	case errors.As(err, &limited):
		if limited.RetryAfter <= 0 || limited.RetryAfter > limit {
			return fmt.Sprintf("limited with a wait of %v", limited.RetryAfter)
		}
		return "limited"
	case problemMessage(err) == "Email or password is wrong." || problemMessage(err) == "Email, password or code is wrong.":
		return "wrong"
	}
	return err.Error()
}

// TestSignInsLimitedPerAccount: a guesser spreading wrong passwords for one player
// over many addresses and instances gets DefaultSignInFailures (10) checked in
// SignInWindow, also when they all come at once; every later sign-in to that
// account is refused unchecked, the right password too, until the window ends. An
// email nobody has is counted and refused the same way (the answer says nothing of
// whether it is someone's), another player is not held back, and a right password
// does not use up the budget (nor give back the failures before it). A second
// instance on the database counts in the same budget (on SQLite: the instance
// after a restart).
func TestSignInsLimitedPerAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		var mu sync.Mutex
		now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		svc, ctx := signInService(t, db, clock, 0), context.Background()
		for _, email := range []string{"anna@example.com", "bert@example.com", "carl@example.com"} {
			r := anna()
			r.Email = email
			if _, err := svc.Register(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		const right = "correct horse battery"
		try := func(svc *cashier.Service, email, password string) string {
			_, _, err := svc.Authenticate(ctx, email, password)
			return signInOutcome(err, cashier.SignInWindow)
		}

		// 24 wrong passwords for Anna at once: 10 checked, 14 refused unchecked.
		got := map[string]int{}
		var wg sync.WaitGroup
		for i := range 24 {
			wg.Go(func() {
				o := try(svc, " ANNA@example.com", fmt.Sprintf("guess %d", i))
				mu.Lock()
				got[o]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if got["wrong"] != cashier.DefaultSignInFailures || got["limited"] != 24-cashier.DefaultSignInFailures || len(got) != 2 {
			t.Errorf("24 wrong passwords at once: %v; want %d wrong and the rest limited", got, cashier.DefaultSignInFailures)
		}
		if o := try(svc, "anna@example.com", right); o != "limited" {
			t.Errorf("the right password after 10 failures: %s; want limited", o)
		}
		if o := try(signInService(t, db, clock, 0), "anna@example.com", right); o != "limited" {
			t.Errorf("the right password at a second instance: %s; want limited", o)
		}
		if o := try(svc, "bert@example.com", right); o != "in" {
			t.Errorf("another player: %s; want in", o)
		}

		// An email of nobody's: the same count, the same answers.
		var seq []string
		for i := range cashier.DefaultSignInFailures + 1 {
			seq = append(seq, try(svc, "nobody@example.com", fmt.Sprintf("guess %d", i)))
		}
		seq = append(seq, try(svc, "nobody@example.com", right))
		for i, o := range seq {
			want := "wrong"
			if i >= cashier.DefaultSignInFailures {
				want = "limited"
			}
			if o != want {
				t.Errorf("unknown email, attempt %d: %s; want %s (as a player's)", i+1, o, want)
			}
		}

		// Carl: nine wrong, the right one (free), a tenth wrong, and then nothing.
		for i := range 9 {
			if o := try(svc, "carl@example.com", fmt.Sprintf("guess %d", i)); o != "wrong" {
				t.Fatalf("Carl's wrong password %d: %s", i+1, o)
			}
		}
		for i, want := range []string{"in", "wrong", "limited"} {
			password := right
			if i == 1 {
				password = "guess 10"
			}
			if o := try(svc, "carl@example.com", password); o != want {
				t.Errorf("Carl after nine failures, attempt %d: %s; want %s", i+1, o, want)
			}
		}

		// The window ends 15 minutes after Anna's first failure.
		advance(cashier.SignInWindow - time.Second)
		if o := try(svc, "anna@example.com", right); o != "limited" {
			t.Errorf("a second before the window ends: %s; want limited", o)
		}
		advance(time.Second)
		if o := try(svc, "anna@example.com", right); o != "in" {
			t.Errorf("after the window: %s; want in", o)
		}
	})
}

// TestStaffSignInsLimitedPerAccount: staff sign-ins have the same budget per
// email (a wrong code after the right password counts as any failure: the answer
// is the same sentence). The failure that uses up a member's budget is written to
// the audit trail once, by the system, naming the member; an email of nobody's
// writes nothing there.
func TestStaffSignInsLimitedPerAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
		svc, ctx := signInService(t, db, func() time.Time { return now }, 3), context.Background()
		const password = "a staff password 1"
		m, err := svc.AddStaff(ctx, "ops@example.com", password, staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		other, err := svc.AddStaff(ctx, "fin@example.com", password, staff.RoleFinance)
		if err != nil {
			t.Fatal(err)
		}
		try := func(email, password string) string {
			_, err := svc.AuthenticateStaff(ctx, email, password, "")
			return signInOutcome(err, cashier.SignInWindow)
		}
		var seq []string
		for i := range 5 {
			seq = append(seq, try("OPS@example.com ", fmt.Sprintf("guess %d", i)), try("nobody@example.com", fmt.Sprintf("guess %d", i)))
		}
		seq = append(seq, try("ops@example.com", password), try("nobody@example.com", password))
		want := []string{"wrong", "wrong", "wrong", "wrong", "wrong", "wrong", "limited", "limited", "limited", "limited", "limited", "limited"}
		if fmt.Sprint(seq) != fmt.Sprint(want) {
			t.Errorf("a member's and nobody's sign-ins in turn: %v; want %v", seq, want)
		}
		if o := try("fin@example.com", password); o != "in" {
			t.Errorf("another member: %s; want in", o)
		}
		var rows []staff.Audit
		if err := db.Where("event = ?", staff.EventSignInsLimited).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].SubjectID != m.ID || rows[0].StaffID != 0 || rows[0].SubjectID == other.ID {
			t.Fatalf("audit rows %+v; want one, by the system, naming member %d", rows, m.ID)
		}
		var after map[string]any
		if err := json.Unmarshal([]byte(rows[0].After), &after); err != nil || after["failures"] != float64(3) {
			t.Errorf("audit row's after %s; want the failures counted", rows[0].After)
		}

		// With a second factor: the right password with no code or a wrong one fails
		// as a wrong password does, and counts as one; were it not counted, a guesser
		// would learn the password from the count.
		two, err := svc.AddStaff(ctx, "two@example.com", password, staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		e, err := svc.StartTOTP(ctx, two)
		if err != nil {
			t.Fatal(err)
		}
		code := func(at time.Time) string {
			c, err := totp.GenerateCode(e.Secret, at)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if _, err := svc.ConfirmTOTP(ctx, two, code(now.Add(-30*time.Second))); err != nil {
			t.Fatal(err)
		}
		wrongCode := "000000"
		for _, c := range []string{"000000", "111111", "222222", "333333"} {
			if !slices.Contains([]string{code(now.Add(-30 * time.Second)), code(now), code(now.Add(30 * time.Second))}, c) {
				wrongCode = c
				break
			}
		}
		seq = nil
		for _, tt := range [][2]string{{password, ""}, {password, wrongCode}, {"guess", code(now)}, {password, code(now)}} {
			_, err := svc.AuthenticateStaff(ctx, "two@example.com", tt[0], tt[1])
			seq = append(seq, signInOutcome(err, cashier.SignInWindow))
		}
		if want := []string{"wrong", "wrong", "wrong", "limited"}; fmt.Sprint(seq) != fmt.Sprint(want) {
			t.Errorf("no code, a wrong code, a wrong password, then all right: %v; want %v", seq, want)
		}
	})
}

// changeOutcome names what a player's password change came to: "changed",
// "wrong" (the current password), "limited" (refused unchecked, with the wait),
// "limited, logged out" (the failure that used up the budget, which ended the
// player's sessions), or the error.
func changeOutcome(err error) string {
	var limited *cashier.SignInsLimited
	switch {
	case err == nil:
		return "changed"
	case errors.As(err, &limited):
		if limited.RetryAfter <= 0 || limited.RetryAfter > cashier.SignInWindow {
			return fmt.Sprintf("limited with a wait of %v", limited.RetryAfter)
		}
		if limited.SessionsEnded {
			return "limited, logged out"
		}
		return "limited"
	case problemMessage(err) == "Your current password is wrong.":
		return "wrong"
	}
	return err.Error()
}

// TestPasswordChangeCountsAsSignIns: a player's password change checks the
// current password, so it counts in the account's budget of failed sign-ins, with
// the failures at the sign-in page: someone holding a stolen session gets no more
// guesses than a guesser at /login, not CASHIER_LOGIN_LIMIT a minute for as long
// as the session lives. After 3 failed sign-ins, 24 wrong current passwords at
// once get 7 checked: 6 answered "wrong", and the one that uses the budget up ends
// every session of the player's and says so; 17 are refused unchecked. From then
// on the right current password is refused unchecked, and so is signing in, until
// the window ends; the password is the one it was. A right current password does
// not count (a new password that does not do, the same one). Another player is
// not held back; on PostgreSQL a second instance counts in the same budget.
func TestPasswordChangeCountsAsSignIns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		var mu sync.Mutex
		now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		svc, ctx := signInService(t, db, clock, 0), context.Background()
		second := svc // another instance on the same database, on PostgreSQL
		if db.Dialector.Name() == "postgres" {
			second = signInService(t, db, clock, 0)
		}
		const right = "correct horse battery"
		p, err := svc.Register(ctx, anna())
		if err != nil {
			t.Fatal(err)
		}
		r := anna()
		r.Email = "bert@example.com"
		bert, err := svc.Register(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		change := func(svc *cashier.Service, p models.Player, current, password string) string {
			_, err := svc.ChangePassword(ctx, p, current, password)
			return changeOutcome(err)
		}
		for i := range 3 {
			if _, _, err := svc.Authenticate(ctx, "anna@example.com", fmt.Sprintf("guess %d", i)); signInOutcome(err, cashier.SignInWindow) != "wrong" {
				t.Fatalf("wrong password %d at sign-in: %v", i+1, err)
			}
		}
		for _, tt := range [][2]string{{right, "short"}, {right, right}} {
			if o := change(svc, p, tt[0], tt[1]); o == "changed" || strings.HasPrefix(o, "limited") || o == "wrong" {
				t.Fatalf("the right current password with the new %q: %s; want the new password refused", tt[1], o)
			}
		}

		got := map[string]int{}
		var wg sync.WaitGroup
		for i := range 24 {
			wg.Go(func() {
				o := change([]*cashier.Service{svc, second}[i%2], p, fmt.Sprintf("guess %d", i), "a new password 1")
				mu.Lock()
				got[o]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if want := map[string]int{"wrong": 6, "limited, logged out": 1, "limited": 17}; !maps.Equal(got, want) {
			t.Errorf("24 wrong current passwords at once after 3 failed sign-ins: %v; want %v", got, want)
		}
		after, err := svc.Player(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.SessionVersion != p.SessionVersion+1 {
			t.Errorf("session version %d after the budget was used up; want %d (every session ended once)", after.SessionVersion, p.SessionVersion+1)
		}
		if o := change(second, after, right, "a new password 1"); o != "limited" {
			t.Errorf("the right current password past the budget: %s; want limited", o)
		}
		if _, _, err := svc.Authenticate(ctx, "anna@example.com", right); signInOutcome(err, cashier.SignInWindow) != "limited" {
			t.Errorf("signing in with the right password past the budget: %v; want limited", err)
		}
		if o := change(svc, bert, "guess", "a new password 1"); o != "wrong" {
			t.Errorf("another player's wrong current password: %s; want wrong", o)
		}

		mu.Lock()
		now = now.Add(cashier.SignInWindow)
		mu.Unlock()
		if _, _, err := svc.Authenticate(ctx, "anna@example.com", right); err != nil {
			t.Errorf("signing in with the password after the window: %v; want in (it was not changed)", err)
		}
		if o := change(svc, after, right, "a new password 1"); o != "changed" {
			t.Errorf("the right current password after the window: %s; want changed", o)
		}
	})
}

// staffCheckOutcome names what a staff member's password check came to, as
// signInOutcome: "in" (it passed), "wrong" (the sentence of a wrong password or
// code), "limited", or the error.
func staffCheckOutcome(err error) string {
	if problemMessage(err) == "Your current password or code is wrong." {
		return "wrong"
	}
	return signInOutcome(err, cashier.SignInWindow)
}

// TestStaffPasswordChecksCountAsSignIns: a staff member's re-authentication and
// password change check their password (and code) again, so they count in the
// member's budget of failed sign-ins, with the failures at the sign-in page: a
// stolen staff session gets no more guesses than a guesser at /admin/login. With
// a budget of 4: a right re-authentication is free; a failed sign-in, a wrong
// re-authentication, a wrong password change and another wrong re-authentication
// use it up, and from then on the right password is refused unchecked at
// re-authentication, password change and sign-in. The failure that used it up is
// audited once, by the system, naming the member and where it failed. A wrong code
// counts as a wrong password does. Another member is not held back.
func TestStaffPasswordChecksCountAsSignIns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
		svc, ctx := signInService(t, db, func() time.Time { return now }, 4), context.Background()
		const password = "a staff password 1"
		m, err := svc.AddStaff(ctx, "ops@example.com", password, staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		other, err := svc.AddStaff(ctx, "fin@example.com", password, staff.RoleFinance)
		if err != nil {
			t.Fatal(err)
		}
		signIn := func(email, password string) string {
			_, err := svc.AuthenticateStaff(ctx, email, password, "")
			return signInOutcome(err, cashier.SignInWindow)
		}
		reauth := func(m staff.Member, password, code string) string {
			return staffCheckOutcome(svc.Reauthenticate(ctx, m, password, code))
		}
		change := func(m staff.Member, current, code string) string {
			_, err := svc.ChangeStaffPassword(ctx, m, current, code, "a new password 1")
			return staffCheckOutcome(err)
		}
		seq := []string{reauth(m, password, ""), signIn("ops@example.com", "guess 1"), reauth(m, "guess 2", ""),
			change(m, "guess 3", ""), reauth(m, "guess 4", ""),
			reauth(m, password, ""), change(m, password, ""), signIn("ops@example.com", password), reauth(other, password, "")}
		want := []string{"in", "wrong", "wrong", "wrong", "wrong", "limited", "limited", "limited", "in"}
		if fmt.Sprint(seq) != fmt.Sprint(want) {
			t.Errorf("a right re-authentication, four failures over the three forms, then the right password at each, then another member:\n%v; want\n%v", seq, want)
		}
		var rows []staff.Audit
		if err := db.Where("event = ?", staff.EventSignInsLimited).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		var after map[string]any
		if len(rows) != 1 || rows[0].SubjectID != m.ID || rows[0].StaffID != 0 || json.Unmarshal([]byte(rows[0].After), &after) != nil ||
			after["attempt"] != "re-authentication" || after["failures"] != float64(4) {
			t.Fatalf("audit rows %+v; want one, by the system, naming member %d and the re-authentication", rows, m.ID)
		}

		// With a second factor: no code and a wrong code after the right password
		// count as wrong passwords do, at re-authentication and password change.
		two, err := svc.AddStaff(ctx, "two@example.com", password, staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		e, err := svc.StartTOTP(ctx, two)
		if err != nil {
			t.Fatal(err)
		}
		code := func(at time.Time) string {
			c, err := totp.GenerateCode(e.Secret, at)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if two, err = svc.ConfirmTOTP(ctx, two, code(now.Add(-30*time.Second))); err != nil {
			t.Fatal(err)
		}
		wrongCode := "000000"
		for _, c := range []string{"000000", "111111", "222222", "333333"} {
			if !slices.Contains([]string{code(now.Add(-30 * time.Second)), code(now), code(now.Add(30 * time.Second))}, c) {
				wrongCode = c
				break
			}
		}
		seq = []string{reauth(two, password, ""), change(two, password, wrongCode), reauth(two, password, wrongCode),
			reauth(two, "guess", code(now)), reauth(two, password, code(now))}
		if want := []string{"wrong", "wrong", "wrong", "wrong", "limited"}; fmt.Sprint(seq) != fmt.Sprint(want) {
			t.Errorf("no code, a wrong code twice, a wrong password, then all right: %v; want %v", seq, want)
		}
		if err := db.Where("event = ? AND subject_id = ?", staff.EventSignInsLimited, two.ID).Find(&rows).Error; err != nil || len(rows) != 1 {
			t.Errorf("audit rows of the member with a second factor: %+v, %v; want one", rows, err)
		}
	})
}

// TestSignInCountsSurviveRestart: on SQLite the failed sign-ins per account were
// kept in the instance's memory, so a restart (a deploy, a crash, one the guesser
// provoked) gave a guesser a fresh budget. They are kept in the database, as on
// PostgreSQL: a service started again on the same file still refuses the right
// password after 10 failures, and counts a known device's failures apart.
func TestSignInCountsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cashier.db")
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()
	open := func() (*cashier.Service, *gorm.DB) {
		t.Helper()
		db, err := store.Open(path, slog.Default())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close(db) })
		return signInService(t, db, clock, 0), db
	}
	svc, db := open()
	if _, err := svc.Register(ctx, anna()); err != nil {
		t.Fatal(err)
	}
	device := cashier.WithKnownDevice(ctx, cashier.KnownDevice{Account: anna().Email, ID: "a-browser"})
	for i := range cashier.DefaultSignInFailures {
		if _, _, err := svc.Authenticate(ctx, anna().Email, fmt.Sprintf("guess %d", i)); signInOutcome(err, cashier.SignInWindow) != "wrong" {
			t.Fatalf("wrong password %d: %v", i+1, err)
		}
		if _, _, err := svc.Authenticate(device, anna().Email, fmt.Sprintf("typo %d", i)); signInOutcome(err, cashier.SignInWindow) != "wrong" {
			t.Fatalf("the known device's wrong password %d: %v", i+1, err)
		}
	}
	store.Close(db)
	again, _ := open()
	for name, ctx := range map[string]context.Context{"without a device": ctx, "the known device": device} {
		if _, _, err := again.Authenticate(ctx, anna().Email, "correct horse battery"); signInOutcome(err, cashier.SignInWindow) != "limited" {
			t.Errorf("%s, the right password after 10 failures and a restart: %v; want limited", name, err)
		}
	}
	if _, _, err := again.Authenticate(cashier.WithKnownDevice(ctx, cashier.KnownDevice{Account: anna().Email, ID: "another browser"}),
		anna().Email, "correct horse battery"); err != nil {
		t.Errorf("another known device after the restart: %v; want in", err)
	}
}

// TestSessionPasswordChecksConcurrent: a session's password checks are refused by
// the session's own budget, also when they all come at once: after a guesser used
// up the account's budget at the sign-in page, 24 wrong current passwords at once
// from one session (over two instances on PostgreSQL) get 10 checked: 9 answered
// "wrong", the one that used the session's budget up ends the player's sessions,
// 14 refused unchecked. Another session of the player's still gets its own check;
// the shared budget counted them all, so signing in is still refused.
func TestSessionPasswordChecksConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		var mu sync.Mutex
		now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		svc, ctx := signInService(t, db, clock, 0), context.Background()
		second := svc
		if db.Dialector.Name() == "postgres" {
			second = signInService(t, db, clock, 0)
		}
		p, err := svc.Register(ctx, anna())
		if err != nil {
			t.Fatal(err)
		}
		for i := range cashier.DefaultSignInFailures {
			if _, _, err := svc.Authenticate(ctx, p.Email, fmt.Sprintf("guess %d", i)); signInOutcome(err, cashier.SignInWindow) != "wrong" {
				t.Fatalf("wrong password %d at sign-in: %v", i+1, err)
			}
		}
		stolen := cashier.WithSession(ctx, "a stolen session")
		got := map[string]int{}
		var wg sync.WaitGroup
		for i := range 24 {
			wg.Go(func() {
				_, err := []*cashier.Service{svc, second}[i%2].ChangePassword(stolen, p, fmt.Sprintf("guess %d", i), "a new password 1")
				mu.Lock()
				got[changeOutcome(err)]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if want := map[string]int{"wrong": 9, "limited, logged out": 1, "limited": 14}; !maps.Equal(got, want) {
			t.Errorf("24 wrong current passwords at once from one session: %v; want %v", got, want)
		}
		if _, err := svc.ChangePassword(cashier.WithSession(ctx, "the player's own"), p, "a typo", "a new password 1"); changeOutcome(err) != "wrong" {
			t.Errorf("another session's wrong current password: %v; want wrong (its own budget)", err)
		}
		if _, _, err := svc.Authenticate(ctx, p.Email, "correct horse battery"); signInOutcome(err, cashier.SignInWindow) != "limited" {
			t.Errorf("signing in with the right password: %v; want limited", err)
		}
	})
}
