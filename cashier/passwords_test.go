package cashier_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// The passwords of TestPasswordsCountCharacters: the length rule counts
// characters, so scripts of two bytes a character and emoji of four are held to
// the same 10 (staff 12) to 128 as Latin letters.
var (
	cyrillic30      = strings.Repeat("пароль", 5)                  // 30 characters, 60 bytes
	cyrillic9       = strings.Repeat("ж", 9)                       // 9 characters, 18 bytes: short for a player
	cyrillic11      = strings.Repeat("ж", 11)                      // 11 characters, 22 bytes: short for staff
	emoji100        = strings.Repeat("🔑", 99) + "🎲"                // 100 characters, 400 bytes
	emojiOther      = strings.Repeat("🔑", 99) + "🎰"                // its last character changed
	emojiFront      = strings.Repeat("🔑", 18)                      // its first 72 bytes
	greek128        = strings.Repeat("αβγδεζηθ", 16)               // 128 characters, 256 bytes
	greek129        = greek128 + "ι"                               // one too many
	wantLength      = "Choose a password of 10 to 128 characters." // problem.password in English, a player's
	wantStaffLength = "Choose a password of 12 to 128 characters." // a staff member's
)

// TestPasswordsCountCharacters: a player's password is 10 to 128 characters and a
// staff member's 12 to 128, counted as characters, not bytes: a Cyrillic password of 30
// characters (60 bytes) registers and signs in, as do emoji passwords of 100
// characters (400 bytes, past bcrypt's 72), and changing only the last character of
// one is refused, so nothing past byte 72 is ignored. 9 (staff: 11) or 129
// characters are refused with the sentence that says so, in registration, a password change, a Pay
// N Play player's first password, a staff account and a temporary password alike.
func TestPasswordsCountCharacters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		refused := func(what string, err error) {
			t.Helper()
			var p *models.Problem
			if !errors.As(err, &p) || p.Field != "password" || p.Message != wantLength {
				t.Errorf("%s: %v; want the problem %q", what, err, wantLength)
			}
		}
		staffRefused := func(what string, err error) {
			t.Helper()
			var p *models.Problem
			if !errors.As(err, &p) || p.Field != "password" || p.Message != wantStaffLength {
				t.Errorf("%s: %v; want the problem %q", what, err, wantStaffLength)
			}
		}
		signsIn := func(what, email, password string, want bool) {
			t.Helper()
			_, _, err := svc.Authenticate(ctx, email, password)
			if (err == nil) != want {
				t.Errorf("%s: sign-in %v; want signed in %t", what, err, want)
			}
		}
		for i, pw := range []string{cyrillic30, emoji100, greek128} {
			r := anna()
			r.Email, r.Password = fmt.Sprintf("chars%d@example.com", i), pw
			if _, err := svc.Register(ctx, r); err != nil {
				t.Fatalf("register with a password of %d characters, %d bytes: %v", len([]rune(pw)), len(pw), err)
			}
			signsIn(fmt.Sprintf("%d characters", len([]rune(pw))), r.Email, pw, true)
		}
		signsIn("the emoji password with its last character changed", "chars1@example.com", emojiOther, false)
		signsIn("the emoji password's first 72 bytes", "chars1@example.com", emojiFront, false)
		for _, pw := range []string{cyrillic9, greek129} {
			r := anna()
			r.Email, r.Password = "short@example.com", pw
			_, err := svc.Register(ctx, r)
			refused(fmt.Sprintf("register with %d characters", len([]rune(pw))), err)
		}

		// A change to a long password, and a Pay N Play player's first one.
		p, err := svc.Register(ctx, anna())
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.ChangePassword(ctx, p, "correct horse battery", cyrillic9)
		refused("change to 9 characters", err)
		if _, err := svc.ChangePassword(ctx, p, "correct horse battery", cyrillic11); err != nil {
			t.Fatalf("a player's change to 11 characters: %v", err)
		}
		signsIn("after the change to 11 characters", "anna@example.com", cyrillic11, true)
		if _, err := svc.ChangePassword(ctx, p, cyrillic11, emoji100); err != nil {
			t.Fatalf("change to the emoji password: %v", err)
		}
		signsIn("after the change", "anna@example.com", emoji100, true)
		signsIn("after the change, the last character changed", "anna@example.com", emojiOther, false)
		if _, err := svc.ChangePassword(ctx, p, emoji100, emoji100); err == nil {
			t.Error("a change to the same emoji password was taken")
		}
		pnp := models.Player{EndUserID: "pnp-chars", FirstName: "Åsa", LastName: "Öberg", Country: "SE", Currency: "SEK",
			Role: models.RolePlayer, CreatedAt: time.Now()}
		if err := db.Create(&pnp).Error; err != nil {
			t.Fatal(err)
		}
		bank := cashier.WithBankSignIn(ctx, time.Now())
		_, err = svc.SetPassword(bank, pnp, "pnp@example.com", cyrillic9, cyrillic9)
		refused("a Pay N Play player's first password of 9 characters", err)
		if _, err := svc.SetPassword(bank, pnp, "pnp@example.com", cyrillic30, cyrillic30); err != nil {
			t.Fatalf("a Pay N Play player's first password: %v", err)
		}
		signsIn("the Pay N Play player", "pnp@example.com", cyrillic30, true)

		// Staff: an account, a temporary password, a change.
		_, err = svc.AddStaff(ctx, "short@example.com", cyrillic11, staff.RoleOwner)
		staffRefused("a staff account with 11 characters", err)
		owner, err := svc.AddStaff(ctx, "owner@example.com", emoji100, staff.RoleOwner)
		if err != nil {
			t.Fatalf("a staff account with the emoji password: %v", err)
		}
		if _, err := svc.AuthenticateStaff(ctx, "owner@example.com", emoji100, ""); err != nil {
			t.Errorf("staff sign-in with the emoji password: %v", err)
		}
		if _, err := svc.AuthenticateStaff(ctx, "owner@example.com", emojiOther, ""); err == nil {
			t.Error("staff sign-in with the last character changed: signed in")
		}
		op, err := svc.AddStaff(ctx, "op@example.com", "operator password 1", staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.SetStaffPassword(ctx, owner, op.ID, greek129)
		staffRefused("a temporary password of 129 characters", err)
		set, err := svc.SetStaffPassword(ctx, owner, op.ID, greek128)
		if err != nil {
			t.Fatalf("a temporary password of 128 characters: %v", err)
		}
		_, err = svc.ChangeStaffPassword(ctx, set, greek128, "", cyrillic11)
		staffRefused("a staff change to 11 characters", err)
		if _, err := svc.ChangeStaffPassword(ctx, set, greek128, "", cyrillic30); err != nil {
			t.Fatalf("a staff change to the Cyrillic password: %v", err)
		}
		if _, err := svc.AuthenticateStaff(ctx, "op@example.com", cyrillic30, ""); err != nil {
			t.Errorf("staff sign-in after the change: %v", err)
		}
	})
}

// TestPasswordHashedBeforeStillVerifies: a password of at most 72 bytes is given
// to bcrypt as it is, as before passwords were counted in characters, so a hash
// stored then (of an ASCII password, of one of exactly 72 bytes, of one in another
// script) still signs its player and its staff member in, and the pre-hash of
// longer passwords never applies to it.
func TestPasswordHashedBeforeStillVerifies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		for i, pw := range []string{"correct horse battery", strings.Repeat("x", 72), strings.Repeat("я", 36)} {
			hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
			if err != nil {
				t.Fatal(err)
			}
			email := fmt.Sprintf("old%d@example.com", i)
			p := models.Player{EndUserID: fmt.Sprintf("p-old-%d", i), Email: email, PasswordHash: string(hash),
				FirstName: "Anna", LastName: "Andersson", Country: "SE", Currency: "SEK", Role: models.RolePlayer, CreatedAt: time.Now()}
			if err := db.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
			if _, _, err := svc.Authenticate(ctx, email, pw); err != nil {
				t.Errorf("a player's hash made before, of %d bytes: %v; want signed in", len(pw), err)
			}
			m, err := svc.AddStaff(ctx, email, "some password 1", staff.RoleViewer)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Model(&staff.Member{}).Where("id = ?", m.ID).Update("password_hash", string(hash)).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := svc.AuthenticateStaff(ctx, email, pw, ""); err != nil {
				t.Errorf("a staff member's hash made before, of %d bytes: %v; want signed in", len(pw), err)
			}
		}
	})
}
