package cashier_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// registerService is playersService with a self-exclusion checker and a register
// timeout.
func registerService(t *testing.T, db *gorm.DB, x exclusions.Exclusions, timeout time.Duration) *cashier.Service {
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
	svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: key, TrustlyKey: pub, Exclusions: x,
		RegisterTimeout: timeout, Config: cashier.Config{BaseURL: "http://cashier.test", NotifyToken: "secret-token"}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// counting is a checker that counts its calls and passes them to next.
type counting struct {
	mu    sync.Mutex
	next  exclusions.Exclusions
	calls []exclusions.Person
}

func (c *counting) Check(ctx context.Context, p exclusions.Person) (exclusions.Result, error) {
	c.mu.Lock()
	c.calls = append(c.calls, p)
	c.mu.Unlock()
	return c.next.Check(ctx, p)
}

func (c *counting) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

func reg(email, country, first, last, personID, dob string) models.Registration {
	return models.Registration{Email: email, Password: "correct horse battery", FirstName: first, LastName: last,
		Country: country, PersonID: personID, DateOfBirth: dob}
}

// TestRegisterAsksTheRegister: in SE, EE and NL a registration needs what the
// register needs and is refused for an excluded person, storing nothing but the
// audit row (with no sentence: the registrant only typed the identity); elsewhere
// the register is not asked; one personnummer opens one account; and a player who
// excludes themselves later cannot sign in any more (only with the right password
// does anyone learn it).
func TestRegisterAsksTheRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := exclusions.Sandbox()
		x := &counting{next: fake}
		svc, ctx := registerService(t, db, x, 0), context.Background()

		for _, tt := range []struct {
			name  string
			r     models.Registration
			field string // the problem's field; "" with excluded
			excl  bool
			msg   string
		}{
			{"SE without personnummer", reg("a@example.com", "SE", "Anna", "Svensson", "", ""), "person_id", false, "Enter your personal identity number (personnummer"},
			{"SE with a wrong check digit", reg("a@example.com", "SE", "Anna", "Svensson", "19850202-1118", ""), "person_id", false, "Enter your personal identity number"},
			{"SE excluded in Spelpaus", reg("sven@example.com", "SE", "Sven", "Spelpaus", "19850202-1119", ""), "", true, ""},
			{"EE excluded", reg("jaan@example.com", "EE", "Jaan", "Keeld", "37505050004", ""), "", true, ""},
			{"NL without date of birth", reg("piet@example.com", "NL", "Piet", "Uitgesloten", "", ""), "date_of_birth", false, "Enter your date of birth"},
			{"NL excluded by name and date of birth", reg("piet@example.com", "NL", "Piet", "Uitgesloten", "", "1970-10-10"), "", true, ""},
		} {
			_, err := svc.Register(ctx, tt.r)
			var p *models.Problem
			if tt.excl {
				// The registrant only typed the identity: no sentence to show them, the
				// answer of a new account (ErrNotOpened), the true reason for the audit.
				if !errors.Is(err, cashier.ErrExcluded) || !errors.Is(err, cashier.ErrNotOpened) || errors.As(err, &p) {
					t.Errorf("%s: %v (problem %+v); want ErrExcluded and ErrNotOpened with no sentence", tt.name, err, p)
				}
				continue
			}
			if !errors.As(err, &p) || p.Field != tt.field || !strings.HasPrefix(p.Message, tt.msg) || errors.Is(err, cashier.ErrExcluded) {
				t.Errorf("%s: %v (problem %+v); want problem on %q starting %q", tt.name, err, p, tt.field, tt.msg)
			}
		}
		var n int64
		if db.Model(&models.Player{}).Count(&n); n != 0 {
			t.Fatalf("%d players after refused registrations; want none", n)
		}
		if db.Model(&staff.Audit{}).Where("event = ?", staff.EventRegistrationRefused).Count(&n); n != 3 {
			t.Errorf("%d registration.refused audit rows; want one for each excluded person", n)
		}

		calls := x.count()
		de, err := svc.Register(ctx, reg("de@example.com", "DE", "Dora", "Deutsch", "", ""))
		if err != nil || x.count() != calls {
			t.Fatalf("DE: %v, register asked %d times; want registered without asking", err, x.count()-calls)
		}
		if de.PersonID != "" {
			t.Errorf("DE player personid %q; want none", de.PersonID)
		}
		anna, err := svc.Register(ctx, reg("anna@example.com", "SE", "Anna", "Svensson", "19790131-1246", ""))
		if err != nil {
			t.Fatal(err)
		}
		if anna.PersonID != "SE197901311246" || anna.DateOfBirth != "1979-01-31" {
			t.Errorf("player personid %q dob %q; want SE197901311246, 1979-01-31", anna.PersonID, anna.DateOfBirth)
		}
		if _, err := svc.Register(ctx, reg("anna2@example.com", "SE", "Anna", "Svensson", "197901311246", "")); !errors.Is(err, cashier.ErrEmailTaken) {
			t.Errorf("second account for one personnummer: %v; want ErrEmailTaken (the same answer as a taken email)", err)
		}
		if _, _, err := svc.Authenticate(ctx, "anna@example.com", "correct horse battery"); err != nil {
			t.Fatalf("sign-in before the exclusion: %v", err)
		}

		fake.Entries = append(fake.Entries, exclusions.FakeEntry{Country: "SE", PersonID: "197901311246"})
		_, _, err = svc.Authenticate(ctx, "anna@example.com", "correct horse battery")
		if !errors.Is(err, cashier.ErrExcluded) || !strings.HasPrefix(problemMessage(err), "You are registered as excluded") {
			t.Errorf("sign-in after the exclusion: %v; want ErrExcluded with its sentence", err)
		}
		_, _, err = svc.Authenticate(ctx, "anna@example.com", "a wrong password")
		if errors.Is(err, cashier.ErrExcluded) || problemMessage(err) != "Email or password is wrong." {
			t.Errorf("wrong password of an excluded player: %v; want only the wrong-password sentence", err)
		}
	})
}

// stuck is a register that never answers and ignores its context, until the test
// ends.
type stuck struct{ release chan struct{} }

func (s stuck) Check(context.Context, exclusions.Person) (exclusions.Result, error) {
	<-s.release
	return exclusions.Result{Register: "stuck"}, nil
}

// switchable answers with whichever checker is set.
type switchable struct {
	mu sync.Mutex
	x  exclusions.Exclusions
}

func (s *switchable) set(x exclusions.Exclusions) { s.mu.Lock(); s.x = x; s.mu.Unlock() }
func (s *switchable) Check(ctx context.Context, p exclusions.Person) (exclusions.Result, error) {
	s.mu.Lock()
	x := s.x
	s.mu.Unlock()
	return x.Check(ctx, p)
}

// TestRegisterTimeoutFailsClosed: a register that does not answer within the
// timeout (even one that ignores its context) refuses registration and sign-in
// with the sentence saying so, and stores nothing.
func TestRegisterTimeoutFailsClosed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		x := &switchable{x: exclusions.Sandbox()}
		svc, ctx := registerService(t, db, x, 50*time.Millisecond), context.Background()
		if _, err := svc.Register(ctx, reg("anna@example.com", "SE", "Anna", "Svensson", "197901311246", "")); err != nil {
			t.Fatal(err)
		}

		x.set(stuck{release})
		// within waits for f, failing the test if it has not returned after 10 s
		// (the register timeout is 50 ms).
		within := func(what string, f func() error) error {
			done := make(chan error, 1)
			go func() { done <- f() }()
			select {
			case err := <-done:
				return err
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: no answer after 10 s; the register timeout is 50 ms", what)
				return nil
			}
		}
		const want = "We could not check the national self-exclusion register just now, so you cannot play yet."
		err := within("register", func() error {
			_, err := svc.Register(ctx, reg("bo@example.com", "SE", "Bo", "Ek", "196512171957", ""))
			return err
		})
		if !errors.Is(err, cashier.ErrRegisterUnavailable) || !strings.HasPrefix(problemMessage(err), want) {
			t.Errorf("register with a stuck register: %v; want ErrRegisterUnavailable saying %q", err, want)
		}
		err = within("sign-in", func() error {
			_, _, err := svc.Authenticate(ctx, "anna@example.com", "correct horse battery")
			return err
		})
		if !errors.Is(err, cashier.ErrRegisterUnavailable) || !strings.HasPrefix(problemMessage(err), want) {
			t.Errorf("sign-in with a stuck register: %v; want ErrRegisterUnavailable saying %q", err, want)
		}
		x.set(&exclusions.Fake{}) // answers again
		if _, _, err := svc.Authenticate(ctx, "anna@example.com", "correct horse battery"); err != nil {
			t.Errorf("sign-in once the register answers: %v", err)
		}
		var n int64
		if db.Model(&models.Player{}).Where("email = ?", "bo@example.com").Count(&n); n != 0 {
			t.Errorf("%d players for the refused registration; want none", n)
		}
	})
}

// deposits counts the deposit orders of player p.
func (e *payEnv) deposits(p models.Player) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Model(&models.Order{}).Where("player_id = ? AND kind = ?", p.ID, models.OrderDeposit).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// registerEnv is a payEnv whose services ask x, with a register timeout of 50 ms.
func registerEnv(t *testing.T, db *gorm.DB, x exclusions.Exclusions) *payEnv {
	t.Helper()
	e := newPayEnv(t, db)
	e.register, e.registerTimeout = x, 50*time.Millisecond
	e.svc = e.service(nil)
	return e
}

// TestDepositAsksTheRegister: a player of a register market who signed in and
// deposited, then excluded themselves in the national register, can start no
// deposit any more: the refusal says so, and no order is created and Trustly is not
// called. A payout of what they deposited still goes out, without asking the
// register. A player outside the register markets deposits without it being asked.
func TestDepositAsksTheRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := exclusions.Sandbox()
		x := &counting{next: fake}
		e := registerEnv(t, db, x)
		anna, err := e.svc.Register(e.ctx, reg("anna@example.com", "SE", "Anna", "Svensson", "19790131-1246", ""))
		if err != nil {
			t.Fatal(err)
		}
		if anna, _, err = e.svc.Authenticate(e.ctx, "anna@example.com", "correct horse battery"); err != nil {
			t.Fatalf("sign-in before the exclusion: %v", err)
		}
		calls := x.count()
		account := e.deposit(anna, 100)
		if got := x.count() - calls; got != 1 {
			t.Errorf("deposit before the exclusion asked the register %d times; want 1", got)
		}

		fake.Entries = append(fake.Entries, exclusions.FakeEntry{Country: "SE", PersonID: "197901311246"})
		orders, trustlyCalls := e.deposits(anna), e.apiCalls("Deposit")
		_, err = e.svc.StartDeposit(e.ctx, anna, e.money(anna, 100), "127.0.0.1")
		const want = "You are registered as excluded from gambling (Spelpaus), so you cannot deposit or play here."
		if !errors.Is(err, cashier.ErrExcluded) || !strings.HasPrefix(problemMessage(err), want) {
			t.Errorf("deposit after the exclusion: %v; want ErrExcluded saying %q", err, want)
		}
		if got := e.deposits(anna); got != orders {
			t.Errorf("%d deposit orders after the refusal; want %d", got, orders)
		}
		if got := e.apiCalls("Deposit") - trustlyCalls; got != 0 {
			t.Errorf("%d Deposit calls to Trustly for the refused deposit; want none", got)
		}

		calls = x.count()
		payout, err := e.svc.RequestPayout(e.ctx, anna, account.ID, e.money(anna, 60))
		if err != nil {
			t.Fatalf("payout of an excluded player: %v; want it to go out", err)
		}
		e.waitStatus(payout, models.OrderConfirmed)
		e.wantMoney(anna, 4000, 0)
		if got := x.count() - calls; got != 0 {
			t.Errorf("the payout asked the register %d times; want never", got)
		}

		dora, err := e.svc.Register(e.ctx, reg("dora@example.com", "DE", "Dora", "Deutsch", "", ""))
		if err != nil {
			t.Fatal(err)
		}
		calls = x.count()
		if _, err := e.svc.StartDeposit(e.ctx, dora, e.money(dora, 100), "127.0.0.1"); err != nil {
			t.Errorf("DE deposit: %v; want started", err)
		}
		if got := x.count() - calls; got != 0 {
			t.Errorf("DE deposit asked the register %d times; want never", got)
		}
	})
}

// TestDepositRegisterUnavailable: a register that does not answer within the
// timeout refuses the deposit with the sentence saying so, as at sign-in, with no
// order and no call to Trustly; once it answers again the deposit starts.
func TestDepositRegisterUnavailable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		x := &switchable{x: exclusions.Sandbox()}
		e := registerEnv(t, db, x)
		anna, err := e.svc.Register(e.ctx, reg("anna@example.com", "SE", "Anna", "Svensson", "19790131-1246", ""))
		if err != nil {
			t.Fatal(err)
		}

		x.set(stuck{release})
		trustlyCalls := e.apiCalls("Deposit")
		done := make(chan error, 1)
		go func() {
			_, err := e.svc.StartDeposit(e.ctx, anna, e.money(anna, 100), "127.0.0.1")
			done <- err
		}()
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("deposit: no answer after 10 s; the register timeout is 50 ms")
		}
		const want = "We could not check the national self-exclusion register just now, so you cannot play yet."
		if !errors.Is(err, cashier.ErrRegisterUnavailable) || !strings.HasPrefix(problemMessage(err), want) {
			t.Errorf("deposit with a stuck register: %v; want ErrRegisterUnavailable saying %q", err, want)
		}
		if got, calls := e.deposits(anna), e.apiCalls("Deposit")-trustlyCalls; got != 0 || calls != 0 {
			t.Errorf("%d deposit orders, %d Deposit calls to Trustly; want none", got, calls)
		}

		x.set(exclusions.Sandbox())
		if _, err := e.svc.StartDeposit(e.ctx, anna, e.money(anna, 100), "127.0.0.1"); err != nil {
			t.Errorf("deposit once the register answers: %v", err)
		}
	})
}

// TestPayNPlayDepositAsksTheRegister: a Pay N Play player, signed in after their
// first deposit, deposits again (StartDeposit, as the cashier page does): the
// register is asked before Trustly, and no order is created for an excluded player.
func TestPayNPlayDepositAsksTheRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := exclusions.Sandbox()
		e := newPayEnv(t, db)
		modes, err := paynplay.ParseModes("pure")
		if err != nil {
			t.Fatal(err)
		}
		e.cfg.PayNPlay, e.register = modes, fake
		e.svc = e.service(nil)
		svc := e.as("se-adult")
		amount := models.Money{Minor: 10000, Currency: "SEK"}
		first, err := svc.StartPayNPlay(e.ctx, &amount, "SE", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		out := e.pnpDone(first)
		if out.Player == nil {
			t.Fatalf("first deposit: %s %q; want a player", out.State, out.Message)
		}
		p := *out.Player
		id, err := paynplay.ParsePersonID("", p.PersonID)
		if err != nil {
			t.Fatal(err)
		}

		fake.Entries = append(fake.Entries, exclusions.FakeEntry{Country: "SE", PersonID: id.Number})
		orders, trustlyCalls := e.deposits(p), e.apiCalls("Deposit")
		_, err = svc.StartDeposit(e.ctx, p, amount, "127.0.0.1")
		if !errors.Is(err, cashier.ErrExcluded) {
			t.Errorf("signed-in player's deposit after the exclusion: %v; want ErrExcluded", err)
		}
		if got, calls := e.deposits(p), e.apiCalls("Deposit")-trustlyCalls; got != orders || calls != 0 {
			t.Errorf("%d deposit orders (want %d), %d Deposit calls to Trustly (want none)", got, orders, calls)
		}
	})
}

// TestExcludedSignsInWithdrawOnly: a password player whom the register excludes
// signs in withdraw-only while they have money here, a balance or a payout
// underway, with the register's name for the notice; with nothing here they are
// refused as before. A register that does not answer refuses the sign-in even of
// a player with money (fail closed), and a player the register does not list
// signs in fully.
func TestExcludedSignsInWithdrawOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := exclusions.Sandbox()
		x := &switchable{x: fake}
		e := registerEnv(t, db, x)
		anna, err := e.svc.Register(e.ctx, reg("anna@example.com", "SE", "Anna", "Svensson", "19790131-1246", ""))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Register(e.ctx, reg("bo@example.com", "SE", "Bo", "Berg", "19800101-1231", "")); err != nil {
			t.Fatal(err)
		}
		signIn := func(email string) (cashier.Access, error) {
			t.Helper()
			_, access, err := e.svc.Authenticate(e.ctx, email, "correct horse battery")
			return access, err
		}
		if access, err := signIn("anna@example.com"); err != nil || access != (cashier.Access{}) {
			t.Fatalf("sign-in before the exclusion: %+v, %v; want a full sign-in", access, err)
		}
		account := e.deposit(anna, 6000)

		fake.Entries = append(fake.Entries, exclusions.FakeEntry{Country: "SE", PersonID: "197901311246"},
			exclusions.FakeEntry{Country: "SE", PersonID: "198001011231"})
		want := cashier.Access{WithdrawOnly: true, Register: "fake"}
		if access, err := signIn("anna@example.com"); err != nil || access != want {
			t.Errorf("excluded, with a balance: %+v, %v; want %+v", access, err, want)
		}
		access, err := signIn("bo@example.com")
		if !errors.Is(err, cashier.ErrExcluded) || !strings.HasPrefix(problemMessage(err), "You are registered as excluded") || access.WithdrawOnly {
			t.Errorf("excluded, nothing here: %+v, %v; want ErrExcluded with its sentence", access, err)
		}

		x.set(&downable{next: fake, down: true})
		access, err = signIn("anna@example.com")
		if !errors.Is(err, cashier.ErrRegisterUnavailable) || access.WithdrawOnly {
			t.Errorf("excluded, with a balance, register down: %+v, %v; want ErrRegisterUnavailable (fail closed)", access, err)
		}
		x.set(fake)

		payout := e.awaitingApproval(anna, account.ID, 6000)
		e.wantMoney(anna, 0, 600000)
		if access, err := signIn("anna@example.com"); err != nil || access != want {
			t.Errorf("excluded, balance 0 with a payout awaiting approval: %+v, %v; want %+v", access, err, want)
		}
		if _, err := e.svc.CancelPayout(e.ctx, anna, payout.ID); err != nil {
			t.Fatal(err)
		}
		if access, err := signIn("anna@example.com"); err != nil || access != want {
			t.Errorf("excluded, the payout cancelled, the money back: %+v, %v; want %+v", access, err, want)
		}

		fake.Entries = fake.Entries[:len(fake.Entries)-2]
		if access, err := signIn("anna@example.com"); err != nil || access != (cashier.Access{}) {
			t.Errorf("the exclusion over: %+v, %v; want a full sign-in", access, err)
		}
	})
}

// downable is a register that fails while down is set and otherwise asks next.
type downable struct {
	next exclusions.Exclusions
	down bool
}

func (d *downable) Check(ctx context.Context, p exclusions.Person) (exclusions.Result, error) {
	if d.down {
		return exclusions.Result{}, exclusions.ErrUnavailable
	}
	return d.next.Check(ctx, p)
}
