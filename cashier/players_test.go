package cashier_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// playersService is a Service on db whose Trustly client points at a closed port:
// the player use cases never call Trustly. Its staff secrets are sealed with
// totpKey, 32 zero bytes when not given.
func playersService(t *testing.T, db *gorm.DB, totpKey ...byte) *cashier.Service {
	t.Helper()
	return playersServiceWith(t, db, cashier.Config{BaseURL: "http://cashier.test", NotifyToken: "secret-token"}, totpKey...)
}

// playersServiceWith is playersService with cfg; with Pay N Play on, the
// sandbox's register is its checker.
func playersServiceWith(t *testing.T, db *gorm.DB, cfg cashier.Config, totpKey ...byte) *cashier.Service {
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
	if totpKey == nil {
		totpKey = make([]byte, 32)
	}
	var register exclusions.Exclusions
	if len(cfg.PayNPlay) > 0 {
		register = exclusions.Sandbox() // Pay N Play needs one
	}
	svc, err := cashier.New(cashier.Deps{TOTPKey: totpKey, DB: db, Trustly: client, MerchantKey: key, TrustlyKey: pub,
		Config: cfg, Exclusions: register})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func anna() models.Registration {
	return models.Registration{Email: " Anna@Example.com ", Password: "correct horse battery", FirstName: "Anna",
		LastName: "Andersson", Country: "SE"}
}

func problemMessage(err error) string {
	var p *models.Problem
	if errors.As(err, &p) {
		return p.Message
	}
	return ""
}

func TestRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		p, err := svc.Register(ctx, anna())
		if err != nil {
			t.Fatal(err)
		}
		if p.ID == 0 || p.Email != "anna@example.com" || p.Currency != "SEK" || p.Role != models.RolePlayer ||
			!strings.HasPrefix(p.EndUserID, "p-") || p.PasswordHash == "" || strings.Contains(p.PasswordHash, "horse") {
			t.Errorf("Register = %+v; want id, lower-case email, SEK, player role, EndUserID and a bcrypt hash", p)
		}
		got, err := svc.Player(ctx, p.ID)
		if err != nil || got.Email != p.Email || got.EndUserID != p.EndUserID {
			t.Errorf("Player(%d) = %+v, %v; want the registered player", p.ID, got, err)
		}

		fi := models.Registration{Email: "ANNA@example.com", Password: "another password", FirstName: "A",
			LastName: "B", Country: "FI"}
		if _, err = svc.Register(ctx, fi); !errors.Is(err, cashier.ErrEmailTaken) {
			t.Errorf("Register(duplicate) = %v; want ErrEmailTaken", err)
		}
		if same, err := svc.Player(ctx, p.ID); err != nil || same.PasswordHash != p.PasswordHash || same.Country != "SE" {
			t.Errorf("the duplicate registration changed the account: %+v, %v", same, err)
		}
		// The failed insert left the connection usable (no aborted transaction).
		fi.Email = "eero@example.fi"
		if p, err := svc.Register(ctx, fi); err != nil || p.Currency != "EUR" {
			t.Errorf("Register(FI) = %+v, %v; want an EUR player", p, err)
		}
	})
}

// Concurrent registrations of one email pass the look-up together; the unique index
// decides, and the losers get the same Problem as a later duplicate.
func TestRegisterConcurrentDuplicate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc := playersService(t, db)
		errs := make(chan error, 6)
		for range cap(errs) {
			go func() {
				_, err := svc.Register(context.Background(), anna())
				errs <- err
			}()
		}
		ok := 0
		for range cap(errs) {
			switch err := <-errs; {
			case err == nil:
				ok++
			case !errors.Is(err, cashier.ErrEmailTaken):
				t.Errorf("Register = %v; want success or ErrEmailTaken", err)
			}
		}
		if ok != 1 {
			t.Errorf("successful registrations = %d; want 1", ok)
		}
	})
}

// TestRegisterLengths: the longest email and names the rules allow are stored on
// both databases, and one character more is a Problem, not a database error.
func TestRegisterLengths(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		email := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." +
			strings.Repeat("d", 58) + ".se"
		r := anna()
		r.Email, r.FirstName, r.LastName = email, strings.Repeat("Å", 100), strings.Repeat("ö", 100)
		p, err := svc.Register(ctx, r)
		if err != nil || len(p.Email) != 254 {
			t.Fatalf("Register(254-character email, 100-character names) = %v; want it stored", err)
		}
		if got, err := svc.Player(ctx, p.ID); err != nil || got.FirstName != r.FirstName || got.LastName != r.LastName {
			t.Errorf("stored names %q %q, %v; want them whole", got.FirstName, got.LastName, err)
		}
		for _, tt := range []struct{ name, email, first string }{
			{"255-character email", "x" + email, "Anna"},
			{"101-character first name", "anna@example.com", strings.Repeat("Å", 101)},
		} {
			r := anna()
			r.Email, r.FirstName = tt.email, tt.first
			_, err := svc.Register(ctx, r)
			if p := (*models.Problem)(nil); !errors.As(err, &p) {
				t.Errorf("%s: Register = %v; want a Problem", tt.name, err)
			}
		}
	})
}

func TestRegisterRefusesInvalid(t *testing.T) {
	svc := playersService(t, storetest.SQLite(t))
	for _, tt := range []struct {
		name   string
		change func(r *models.Registration)
		field  string
	}{
		{"email", func(r *models.Registration) { r.Email = "anna" }, "email"},
		{"short password", func(r *models.Registration) { r.Password = "short" }, "password"},
		{"no last name", func(r *models.Registration) { r.LastName = " " }, "name"},
		{"unserved country", func(r *models.Registration) { r.Country = "US" }, "country"},
	} {
		r := anna()
		tt.change(&r)
		_, err := svc.Register(context.Background(), r)
		var p *models.Problem
		if !errors.As(err, &p) || p.Field != tt.field {
			t.Errorf("%s: Register = %v; want a Problem on %q", tt.name, err, tt.field)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	db := storetest.SQLite(t)
	svc, ctx := playersService(t, db), context.Background()
	p, err := svc.Register(ctx, anna())
	if err != nil {
		t.Fatal(err)
	}
	// A Pay N Play player has no password and cannot sign in with an empty one.
	if err := db.Create(&models.Player{EndUserID: "p-pnp", Email: "pnp@example.com", Country: "SE", Currency: "SEK"}).Error; err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		email, password string
		ok              bool
	}{
		{"anna@example.com", "correct horse battery", true},
		{"  ANNA@example.com", "correct horse battery", true},
		{"anna@example.com", "correct horse battery ", false},
		{"anna@example.com", "", false},
		{"nobody@example.com", "correct horse battery", false},
		{"pnp@example.com", "", false},
		{"", "", false},
	} {
		got, _, err := svc.Authenticate(ctx, tt.email, tt.password)
		if tt.ok && (err != nil || got.ID != p.ID) {
			t.Errorf("Authenticate(%q, %q) = %d, %v; want player %d", tt.email, tt.password, got.ID, err, p.ID)
		}
		if !tt.ok && problemMessage(err) != "Email or password is wrong." {
			t.Errorf("Authenticate(%q, %q) = %d, %v; want Problem %q", tt.email, tt.password, got.ID, err, "Email or password is wrong.")
		}
	}
}

func TestPlayerNotFound(t *testing.T) {
	svc := playersService(t, storetest.SQLite(t))
	if _, err := svc.Player(context.Background(), 42); !errors.Is(err, cashier.ErrPlayerNotFound) {
		t.Errorf("Player(42) = %v; want ErrPlayerNotFound", err)
	}
}

func TestWalletStartsAtZero(t *testing.T) {
	svc, ctx := playersService(t, storetest.SQLite(t)), context.Background()
	p, err := svc.Register(ctx, anna())
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Wallet(ctx, p)
	if err != nil || got != (models.Money{Minor: 0, Currency: "SEK"}) {
		t.Errorf("Wallet = %+v, %v; want 0 SEK", got, err)
	}
}

// TestChangePassword: a player changes their password on their current one: every
// session of theirs ends (the version goes up), the old password stops working and
// the new one signs in. A wrong current password, a short or unchanged new one, or
// a stale copy of the player after the change changes nothing; a Pay N Play player
// has no password to change.
func TestChangePassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		p, err := svc.Register(ctx, anna())
		if err != nil {
			t.Fatal(err)
		}
		var problem *models.Problem
		for name, try := range map[string][2]string{
			"wrong current password": {"correct horse battery!", "a new password 1"},
			"short new password":     {"correct horse battery", "short"},
			"the same password":      {"correct horse battery", "correct horse battery"},
		} {
			if _, err := svc.ChangePassword(ctx, p, try[0], try[1]); !errors.As(err, &problem) {
				t.Errorf("%s: %v; want a *models.Problem", name, err)
			}
		}
		if after, _ := svc.Player(ctx, p.ID); after.PasswordHash != p.PasswordHash || after.SessionVersion != p.SessionVersion {
			t.Fatal("a refused change changed the player")
		}
		changed, err := svc.ChangePassword(ctx, p, "correct horse battery", "a new password 1")
		if err != nil {
			t.Fatal(err)
		}
		if changed.SessionVersion != p.SessionVersion+1 {
			t.Errorf("session version %d → %d; want one more: every session ends", p.SessionVersion, changed.SessionVersion)
		}
		if _, _, err := svc.Authenticate(ctx, "anna@example.com", "correct horse battery"); err == nil {
			t.Error("the old password still signs in")
		}
		if _, _, err := svc.Authenticate(ctx, "anna@example.com", "a new password 1"); err != nil {
			t.Errorf("the new password: %v", err)
		}
		if _, err := svc.ChangePassword(ctx, p, "correct horse battery", "another password 1"); !errors.As(err, &problem) {
			t.Errorf("a second change with the old password: %v; want a *models.Problem", err)
		}
		// The same change sent again (a double click whose first answer the browser
		// dropped) answers as the first did, and ends no session more.
		again, err := svc.ChangePassword(ctx, p, "correct horse battery", "a new password 1")
		if err != nil || again.SessionVersion != changed.SessionVersion {
			t.Errorf("the same change again: version %d, %v; want %d and no error", again.SessionVersion, err, changed.SessionVersion)
		}
		pnp := models.Player{EndUserID: "pnp-x", FirstName: "Åsa", LastName: "Öberg", Country: "SE", Currency: "SEK",
			Role: models.RolePlayer, CreatedAt: time.Now()}
		if err := db.Create(&pnp).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ChangePassword(ctx, pnp, "", "a new password 1"); !errors.As(err, &problem) || problem.ID != "problem.no_password" {
			t.Errorf("a Pay N Play player: %v; want problem.no_password", err)
		}
	})
}

// TestChangePasswordSentTwiceAtOnce: the same change sent four times at once (a
// double click, a retry) changes the password once, ends every session once, and
// answers each sending that it is changed: the sendings that find the password
// changed by another find it is the one they asked for. Four different changes
// at once change it once.
func TestChangePasswordSentTwiceAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		p, err := svc.Register(ctx, anna())
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 4)
		for range cap(errs) {
			go func() {
				_, err := svc.ChangePassword(ctx, p, "correct horse battery", "a new password 1")
				errs <- err
			}()
		}
		for range cap(errs) {
			if err := <-errs; err != nil {
				t.Errorf("one of four same changes at once: %v; want it changed", err)
			}
		}
		if after, _ := svc.Player(ctx, p.ID); after.SessionVersion != p.SessionVersion+1 {
			t.Errorf("session version %d → %d; want one more", p.SessionVersion, after.SessionVersion)
		}
		if _, _, err := svc.Authenticate(ctx, "anna@example.com", "a new password 1"); err != nil {
			t.Errorf("the new password: %v", err)
		}

		// Four different changes at once: one wins, the others find the password
		// changed to another than theirs and are refused.
		type result struct {
			password string
			err      error
		}
		results := make(chan result, 4)
		for i := range cap(results) {
			go func() {
				password := fmt.Sprintf("password number %d", i)
				_, err := svc.ChangePassword(ctx, p, "a new password 1", password)
				results <- result{password, err}
			}()
		}
		var won []string
		for range cap(results) {
			if r := <-results; r.err == nil {
				won = append(won, r.password)
			}
		}
		if len(won) != 1 {
			t.Fatalf("of four different changes at once %q went through; want one", won)
		}
		if _, _, err := svc.Authenticate(ctx, "anna@example.com", won[0]); err != nil {
			t.Errorf("the winner's password: %v", err)
		}
	})
}

// TestSetPasswordRaces: a player without a password (Pay N Play) sets an email
// and a password. Of six forms at once with different emails one wins, and the
// others are told the account has a password; the winner's email and password
// sign in. A registration of an email at the same time as a player sets it
// gives the email to one account: the other is refused (ErrEmailTaken, or the
// Problem that does not say the email is taken) and nothing of it is stored.
func TestSetPasswordRaces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), cashier.WithBankSignIn(context.Background(), time.Now()) // logged in with the bank just now
		bankOnly := func(name string) models.Player {
			p := models.Player{EndUserID: "pnp-" + name, FirstName: name, LastName: "Bank", Country: "SE", Currency: "SEK",
				Role: models.RolePlayer, CreatedAt: time.Now()}
			if err := db.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
			return p
		}
		p := bankOnly("Sven")
		type result struct {
			email string
			err   error
		}
		results := make(chan result, 6)
		for i := range cap(results) {
			go func() {
				email := "sven" + strings.Repeat("x", i) + "@example.com"
				_, err := svc.SetPassword(ctx, p, email, "a new password 1", "a new password 1")
				results <- result{email, err}
			}()
		}
		var won []string
		var problem *models.Problem
		for range cap(results) {
			switch r := <-results; {
			case r.err == nil:
				won = append(won, r.email)
			case !errors.As(r.err, &problem) || problem.ID != "problem.has_password":
				t.Errorf("SetPassword(%s) = %v; want success or problem.has_password", r.email, r.err)
			}
		}
		after, _ := svc.Player(ctx, p.ID)
		if len(won) != 1 || after.Email != won[0] || after.SessionVersion != p.SessionVersion+1 {
			t.Fatalf("winners %q, the player's email %q, session version %d; want one winner, theirs, %d",
				won, after.Email, after.SessionVersion, p.SessionVersion+1)
		}
		if _, _, err := svc.Authenticate(ctx, won[0], "a new password 1"); err != nil {
			t.Errorf("the email and password set: %v", err)
		}

		for i := range 4 {
			p := bankOnly("Lars" + strings.Repeat("x", i))
			email := "lars" + strings.Repeat("x", i) + "@example.com"
			reg := anna()
			reg.Email = email
			done := make(chan error, 1)
			go func() {
				_, err := svc.Register(ctx, reg)
				done <- err
			}()
			_, setErr := svc.SetPassword(ctx, p, email, "a new password 1", "a new password 1")
			regErr := <-done
			setOK := setErr == nil
			switch {
			case setOK && !errors.Is(regErr, cashier.ErrEmailTaken):
				t.Errorf("round %d: the player set the email and the registration got %v; want ErrEmailTaken", i, regErr)
			case !setOK && (regErr != nil || !errors.As(setErr, &problem) || problem.ID != "problem.email_unusable"):
				t.Errorf("round %d: SetPassword = %v, Register = %v; want problem.email_unusable after the registration", i, setErr, regErr)
			}
			var n int64
			if err := db.Model(&models.Player{}).Where("email = ?", email).Count(&n).Error; err != nil || n != 1 {
				t.Errorf("round %d: %d accounts with the email (%v); want 1", i, n, err)
			}
			if got, _ := svc.Player(ctx, p.ID); !setOK && (got.Email != "" || got.PasswordHash != "" || got.SessionVersion != p.SessionVersion) {
				t.Errorf("round %d: the refused player changed: %+v", i, got)
			}
		}
	})
}

// TestSetPasswordRefused: what registration refuses (an email that is not one, a
// short password) and two passwords that differ are refused with a Problem naming
// the field; a player who has a password changes it with ChangePassword, and in a
// pure Pay N Play market the bank is the only way in; without a bank login in
// the last cashier.BankSignInWindow (none, or one a second older) the form is
// refused too. None of them changes the player.
func TestSetPasswordRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		modes, err := paynplay.ParseModes("SE=hybrid,FI=pure")
		if err != nil {
			t.Fatal(err)
		}
		svc, ctx := playersServiceWith(t, db, cashier.Config{BaseURL: "http://cashier.test", NotifyToken: "secret-token",
			PayNPlay: modes}), cashier.WithBankSignIn(context.Background(), time.Now())
		bankOnly := func(country, currency string) models.Player {
			p := models.Player{EndUserID: "pnp-" + country, FirstName: "Sven", LastName: "Bank", Country: country,
				Currency: currency, Role: models.RolePlayer, CreatedAt: time.Now()}
			if err := db.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
			return p
		}
		se, fi := bankOnly("SE", "SEK"), bankOnly("FI", "EUR")
		reg := anna()
		reg.PersonID = "19790131-1246"
		withPassword, err := svc.Register(ctx, reg)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name                   string
			player                 models.Player
			email, password, again string
			want                   string
		}{
			{"not an email", se, "sven", "a new password 1", "a new password 1", "problem.email"},
			{"too long", se, strings.Repeat("a", 250) + "@example.com", "a new password 1", "a new password 1", "problem.email_length"},
			{"short password", se, "sven@example.com", "short", "short", "problem.password"},
			{"passwords differ", se, "sven@example.com", "a new password 1", "a new password 2", "problem.password_again"},
			{"pure market", fi, "sven@example.com", "a new password 1", "a new password 1", "problem.no_password"},
			{"has a password", withPassword, "sven@example.com", "a new password 1", "a new password 1", "problem.has_password"},
			{"the email of another", se, "ANNA@example.com", "a new password 1", "a new password 1", "problem.email_unusable"},
			{"no bank login", se, "sven@example.com", "a new password 1", "a new password 1", "problem.bank_login_old"},
			{"a bank login too long ago", se, "sven@example.com", "a new password 1", "a new password 1", "problem.bank_login_old"},
		} {
			ctx := ctx
			switch tt.name {
			case "no bank login":
				ctx = context.Background()
			case "a bank login too long ago":
				ctx = cashier.WithBankSignIn(ctx, time.Now().Add(-cashier.BankSignInWindow-time.Second))
			}
			var problem *models.Problem
			if _, err := svc.SetPassword(ctx, tt.player, tt.email, tt.password, tt.again); !errors.As(err, &problem) || problem.ID != tt.want {
				t.Errorf("%s: %v; want %s", tt.name, err, tt.want)
			}
			if got, _ := svc.Player(ctx, tt.player.ID); got.Email != tt.player.Email || got.PasswordHash != tt.player.PasswordHash ||
				got.SessionVersion != tt.player.SessionVersion {
				t.Errorf("%s: the player changed", tt.name)
			}
		}
		if _, err := svc.SetPassword(ctx, se, "sven@example.com", "a new password 1", "a new password 1"); err != nil {
			t.Errorf("hybrid market: %v", err)
		}
	})
}
