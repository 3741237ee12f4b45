package cashier_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
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
// does not use up the budget (nor give back the failures before it). On
// PostgreSQL a second instance on the database counts in the same budget.
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
		if db.Dialector.Name() == "postgres" {
			if o := try(signInService(t, db, clock, 0), "anna@example.com", right); o != "limited" {
				t.Errorf("the right password at a second instance: %s; want limited", o)
			}
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
