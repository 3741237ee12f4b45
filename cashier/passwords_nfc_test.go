package cashier_test

import (
	"context"
	"errors"
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

// The passwords of TestPasswordsNormalized: one password as a Mac or most
// keyboards send it (é one code point, NFC) and as some devices send it (e and a
// combining acute accent, NFD).
const (
	cafeNFC   = "caf\u00e9 au lait 1"
	cafeNFD   = "cafe\u0301 au lait 1"
	cremeNFC  = "cr\u00e8me br\u00fbl\u00e9e 2"
	cremeNFD  = "cre\u0300me bru\u0302le\u0301e 2"
	nfcOnly   = "d\u00e9j\u00e0 vu 3 \u00c5sa" // hashed as typed before: NFC already
	staffNFC  = "\u00c5ngstr\u00f6m staff 1"
	staffNFD  = "A\u030angstro\u0308m staff 1"
	staff2NFC = "Sm\u00f6rg\u00e5sbord 22"
	staff2NFD = "Smo\u0308rga\u030asbord 22"
)

// TestPasswordsNormalized: a player's password is the same password whichever
// form of its accented letters the device sends (Unicode NFC or NFD): it is
// hashed in NFC at registration, a password change and a Pay N Play player's first
// password, and compared in NFC at sign-in, so a password registered with é as one
// code point signs in typed as e and a combining accent, and the other way round;
// a change to the same password in the other form is refused as the same.
func TestPasswordsNormalized(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		signsIn := func(what, email, password string) {
			t.Helper()
			if _, _, err := svc.Authenticate(ctx, email, password); err != nil {
				t.Errorf("%s: %v; want signed in", what, err)
			}
		}
		for _, tt := range []struct{ email, registered, typed string }{
			{"nfd@example.com", cafeNFD, cafeNFC}, {"nfc@example.com", cafeNFC, cafeNFD}} {
			r := anna()
			r.Email, r.Password = tt.email, tt.registered
			if _, err := svc.Register(ctx, r); err != nil {
				t.Fatal(err)
			}
			signsIn("registered "+tt.email+", typed in the other form", tt.email, tt.typed)
			signsIn("registered "+tt.email+", typed as registered", tt.email, tt.registered)
		}

		p, err := svc.Register(ctx, anna())
		if err != nil {
			t.Fatal(err)
		}
		if p, err = svc.ChangePassword(ctx, p, "correct horse battery", cafeNFD); err != nil {
			t.Fatalf("change to an NFD password: %v", err)
		}
		signsIn("changed to NFD, typed in NFC", "anna@example.com", cafeNFC)
		if _, err := svc.ChangePassword(ctx, p, cafeNFD, cafeNFC); problemMessage(err) != "Choose a password other than your current one." {
			t.Errorf("change to the same password in the other form: %v; want refused as the same", err)
		}
		if _, err := svc.ChangePassword(ctx, p, cafeNFC, cremeNFD); err != nil {
			t.Fatalf("change with the current password in the other form: %v", err)
		}
		signsIn("changed again, typed in NFC", "anna@example.com", cremeNFC)

		pnp := models.Player{EndUserID: "pnp-nfd", FirstName: "Åsa", LastName: "Öberg", Country: "SE", Currency: "SEK",
			Role: models.RolePlayer, CreatedAt: time.Now()}
		if err := db.Create(&pnp).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetPassword(cashier.WithBankSignIn(ctx, time.Now()), pnp, "pnp-nfd@example.com", cremeNFD, cremeNFC); err != nil {
			t.Fatalf("a Pay N Play player's first password, typed twice in two forms: %v", err)
		}
		signsIn("the Pay N Play player's NFD password, typed in NFC", "pnp-nfd@example.com", cremeNFC)
	})
}

// TestPasswordLengthAfterNormalizing: the length rule counts the characters of the
// NFC form, the one stored, so a password is as long from every device: 9
// characters with an é typed as two code points (10) are short, and 128 with one
// typed so (129) are not too long; staff alike (11 characters, 12 code points).
func TestPasswordLengthAfterNormalizing(t *testing.T) {
	short, long := "cafe\u0301 123", strings.Repeat("x", 124)+"cafe\u0301" // 9 and 128 characters in NFC
	staffShort := "cafe\u0301 123 45"                                      // 11 in NFC
	for _, tt := range []struct {
		what  string
		err   error
		valid bool
	}{
		{"9 characters, 10 code points", models.CheckPassword(short), false},
		{"128 characters, 129 code points", models.CheckPassword(long), true},
		{"staff: 11 characters, 12 code points", models.CheckStaffPassword(staffShort), false},
		{"staff: 128 characters, 129 code points", models.CheckStaffPassword(long), true},
	} {
		if (tt.err == nil) != tt.valid {
			t.Errorf("%s: %v; want valid %t", tt.what, tt.err, tt.valid)
		}
	}
}

// TestPasswordHashedBeforeNormalizing: a hash stored before passwords were
// normalized, of a password typed in NFD, still signs its player and its staff
// member in when typed as it was; that sign-in replaces it by the hash of the NFC
// form, without ending a session, so that from then on the password also signs in
// typed in NFC. A staff member's password change on such a hash goes through. A
// hash of an NFC password needs nothing and is left as it is. The configured
// owner's, given again at start as before, is renewed in NFC the same way.
func TestPasswordHashedBeforeNormalizing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		oldHash := func(pw string) string {
			t.Helper()
			h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			return string(h)
		}
		verifies := func(what, hash, pw string) {
			t.Helper()
			if bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) != nil {
				t.Errorf("%s: the stored hash is not of %q", what, pw)
			}
		}

		// A player.
		hash := oldHash(cafeNFD)
		p := models.Player{EndUserID: "p-nfd-old", Email: "old@example.com", PasswordHash: hash, FirstName: "Anna",
			LastName: "Andersson", Country: "SE", Currency: "SEK", Role: models.RolePlayer, CreatedAt: time.Now(), SessionVersion: 3}
		if err := db.Create(&p).Error; err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Authenticate(ctx, "old@example.com", cafeNFD); err != nil {
			t.Fatalf("a player's NFD hash made before, typed as then: %v; want signed in", err)
		}
		got, err := svc.Player(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		verifies("after the player's sign-in", got.PasswordHash, cafeNFC)
		if got.SessionVersion != 3 {
			t.Errorf("session version %d after the rehash; want 3, no session ended", got.SessionVersion)
		}
		if _, _, err := svc.Authenticate(ctx, "old@example.com", cafeNFC); err != nil {
			t.Errorf("the player's password typed in NFC after the rehash: %v; want signed in", err)
		}
		if _, _, err := svc.Authenticate(ctx, "old@example.com", cafeNFD); err != nil {
			t.Errorf("the player's password typed in NFD after the rehash: %v; want signed in", err)
		}
		nfc := oldHash(nfcOnly)
		q := models.Player{EndUserID: "p-nfc-old", Email: "old-nfc@example.com", PasswordHash: nfc, FirstName: "Anna",
			LastName: "Andersson", Country: "SE", Currency: "SEK", Role: models.RolePlayer, CreatedAt: time.Now()}
		if err := db.Create(&q).Error; err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Authenticate(ctx, "old-nfc@example.com", nfcOnly); err != nil {
			t.Fatalf("a player's NFC hash made before: %v", err)
		}
		if got, _ := svc.Player(ctx, q.ID); got.PasswordHash != nfc {
			t.Error("an NFC hash made before was replaced")
		}

		// A staff member: a sign-in, and a password change on the old hash.
		for _, tt := range []struct {
			email  string
			change bool
		}{{"old-staff@example.com", false}, {"old-staff-change@example.com", true}} {
			m, err := svc.AddStaff(ctx, tt.email, "some password 12", staff.RoleViewer)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Model(&staff.Member{}).Where("id = ?", m.ID).Update("password_hash", oldHash(staffNFD)).Error; err != nil {
				t.Fatal(err)
			}
			if tt.change {
				if _, err := svc.ChangeStaffPassword(ctx, m, staffNFD, "", staff2NFD); err != nil {
					t.Fatalf("a staff change on an NFD hash made before, typed as then: %v", err)
				}
				if _, err := svc.AuthenticateStaff(ctx, tt.email, staff2NFC, ""); err != nil {
					t.Errorf("staff sign-in after the change, typed in NFC: %v", err)
				}
				continue
			}
			if _, err := svc.AuthenticateStaff(ctx, tt.email, staffNFD, ""); err != nil {
				t.Fatalf("a staff member's NFD hash made before, typed as then: %v; want signed in", err)
			}
			got, err := svc.StaffMember(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			verifies("after the staff sign-in", got.PasswordHash, staffNFC)
			if got.SessionVersion != m.SessionVersion {
				t.Errorf("staff session version %d after the rehash; want %d", got.SessionVersion, m.SessionVersion)
			}
			if _, err := svc.AuthenticateStaff(ctx, tt.email, staffNFC, ""); err != nil {
				t.Errorf("the staff password typed in NFC after the rehash: %v; want signed in", err)
			}
		}

		// The configured owner, whose password from the environment was hashed
		// as given: given again in the same form at start, the hash is renewed
		// in NFC and nothing else changes (no session ends).
		if err := svc.EnsureOwner(ctx, "boss@example.com", staffNFD); err != nil {
			t.Fatal(err)
		}
		var boss staff.Member
		if err := db.Where("email = ?", "boss@example.com").First(&boss).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Model(&staff.Member{}).Where("id = ?", boss.ID).Update("password_hash", oldHash(staffNFD)).Error; err != nil {
			t.Fatal(err)
		}
		if err := svc.EnsureOwner(ctx, "boss@example.com", staffNFD); err != nil {
			t.Fatal(err)
		}
		got2, err := svc.StaffMember(ctx, boss.ID)
		if err != nil {
			t.Fatal(err)
		}
		verifies("the configured owner's after start", got2.PasswordHash, staffNFC)
		if got2.SessionVersion != boss.SessionVersion {
			t.Errorf("the configured owner's session version %d after the rehash; want %d", got2.SessionVersion, boss.SessionVersion)
		}
	})
}

// TestStaffPasswordsNormalized: a staff member's password is hashed in NFC when
// the account is made, at a temporary password and a change, and at start for the
// configured owner, and compared in NFC at sign-in: typed in the other form it
// signs in, a change to it in the other form is refused as the same, and the
// owner's password given again at start in the other form changes nothing.
func TestStaffPasswordsNormalized(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		signsIn := func(what, email, password string) {
			t.Helper()
			if _, err := svc.AuthenticateStaff(ctx, email, password, ""); err != nil {
				t.Errorf("%s: %v; want signed in", what, err)
			}
		}
		owner, err := svc.AddStaff(ctx, "owner@example.com", staffNFD, staff.RoleOwner)
		if err != nil {
			t.Fatal(err)
		}
		signsIn("made with an NFD password, typed in NFC", "owner@example.com", staffNFC)
		op, err := svc.AddStaff(ctx, "op@example.com", "operator password 1", staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		op, err = svc.SetStaffPassword(ctx, owner, op.ID, staff2NFC)
		if err != nil {
			t.Fatal(err)
		}
		signsIn("a temporary NFC password, typed in NFD", "op@example.com", staff2NFD)
		var p *models.Problem
		if _, err := svc.ChangeStaffPassword(ctx, op, staff2NFD, "", staff2NFC); !errors.As(err, &p) || p.Message != "Choose a password other than your current one." {
			t.Errorf("a staff change to the same password in the other form: %v; want refused as the same", err)
		}
		if _, err := svc.ChangeStaffPassword(ctx, op, staff2NFD, "", staffNFD); err != nil {
			t.Fatalf("a staff change with the current password in the other form: %v", err)
		}
		signsIn("changed to NFD, typed in NFC", "op@example.com", staffNFC)

		if err := svc.EnsureOwner(ctx, "boss@example.com", staff2NFD); err != nil {
			t.Fatal(err)
		}
		signsIn("the configured owner's NFD password, typed in NFC", "boss@example.com", staff2NFC)
		var before staff.Member
		if err := db.Where("email = ?", "boss@example.com").First(&before).Error; err != nil {
			t.Fatal(err)
		}
		if err := svc.EnsureOwner(ctx, "boss@example.com", staff2NFC); err != nil {
			t.Fatal(err)
		}
		var after staff.Member
		if err := db.Where("email = ?", "boss@example.com").First(&after).Error; err != nil {
			t.Fatal(err)
		}
		if after.SessionVersion != before.SessionVersion || after.PasswordHash != before.PasswordHash {
			t.Errorf("the owner's password given again in NFC: session version %d → %d, hash changed %t; want nothing changed",
				before.SessionVersion, after.SessionVersion, after.PasswordHash != before.PasswordHash)
		}
	})
}

// TestPasswordHashRenewedOnlyIfUnchanged: the renewal of an old hash after a
// sign-in replaces the hash only while the row still has the one the sign-in
// checked: a password changed meanwhile (on another device, by the player who
// suspected the old one known) is kept, never overwritten by the old password's.
func TestPasswordHashRenewedOnlyIfUnchanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		p, err := svc.Register(ctx, anna())
		if err != nil {
			t.Fatal(err)
		}
		old, err := bcrypt.GenerateFromPassword([]byte(cafeNFD), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		// It returns the hash checked, so a staff password change next fails its
		// conditional update as on any password changed meanwhile.
		if got := svc.RenewPlayerPasswordHash(ctx, p.ID, string(old), cafeNFD); got != string(old) {
			t.Errorf("renewal of a hash changed meanwhile returned %q; want the hash checked", got)
		}
		after, err := svc.Player(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.PasswordHash != p.PasswordHash {
			t.Error("the renewal of an old hash overwrote the password changed meanwhile")
		}
		if _, _, err := svc.Authenticate(ctx, "anna@example.com", "correct horse battery"); err != nil {
			t.Errorf("the password changed meanwhile: %v; want signed in", err)
		}
		if _, _, err := svc.Authenticate(ctx, "anna@example.com", cafeNFC); err == nil {
			t.Error("the old password signs in after its renewal was refused")
		}
	})
}
