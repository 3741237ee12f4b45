package cashier_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestEmailsNormalized: a player's email is one address whichever form of its
// accented letters the device sends (Unicode NFC or NFD), as passwords are
// (TestPasswordsNormalized): it is kept in NFC, signs in typed either way, is
// taken for a registration in the other form, and its failed sign-ins count in
// one budget whatever the form. An address kept in NFD by a version before this
// signs in from both forms, and of two accounts kept one in each form, the NFC
// one is the one signed in to by its NFC address.
func TestEmailsNormalized(t *testing.T) {
	const nfc, nfd = "z\u00f6\u00eb@example.com", "zo\u0308e\u0308@example.com"
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		register := func(email string) (models.Player, error) {
			r := anna()
			r.Email, r.Country = email, "DE"
			return svc.Register(ctx, r)
		}
		signsInAs := func(email string, want int64) {
			t.Helper()
			p, _, err := svc.Authenticate(ctx, email, anna().Password)
			if err != nil || p.ID != want {
				t.Errorf("Authenticate(%+q) = player %d, %v; want player %d", email, p.ID, err, want)
			}
		}
		p, err := register(nfd)
		if err != nil {
			t.Fatal(err)
		}
		if p.Email != nfc {
			t.Errorf("email kept %+q; want %+q", p.Email, nfc)
		}
		signsInAs(nfc, p.ID)
		signsInAs(nfd, p.ID)
		if _, err := register(nfc); !errors.Is(err, cashier.ErrEmailTaken) {
			t.Errorf("registering %+q again in NFC: %v; want ErrEmailTaken", nfc, err)
		}

		// Kept in NFD by a version before this.
		if err := db.Model(&models.Player{}).Where("id = ?", p.ID).Update("email", nfd).Error; err != nil {
			t.Fatal(err)
		}
		signsInAs(nfc, p.ID)
		signsInAs(nfd, p.ID)
		if _, err := register(nfc); !errors.Is(err, cashier.ErrEmailTaken) {
			t.Errorf("registering %+q with %+q kept: %v; want ErrEmailTaken", nfc, nfd, err)
		}
		// Two accounts of one address, one kept in each form: NFC's is the one.
		q := models.Player{EndUserID: "p-nfc-twin", Email: nfc, PasswordHash: p.PasswordHash, FirstName: "Zoë",
			LastName: "Twin", Country: "DE", Currency: "EUR"}
		if err := db.Create(&q).Error; err != nil {
			t.Fatal(err)
		}
		signsInAs(nfd, q.ID)
		signsInAs(nfc, q.ID)

		// Failed sign-ins in either form count in one budget.
		for i := range cashier.DefaultSignInFailures {
			email := nfc
			if i%2 == 0 {
				email = nfd
			}
			if _, _, err := svc.Authenticate(ctx, email, "wrong password "+email); err == nil {
				t.Fatalf("a wrong password signed in")
			}
		}
		var limited *cashier.SignInsLimited
		if _, _, err := svc.Authenticate(ctx, nfc, anna().Password); !errors.As(err, &limited) {
			t.Errorf("right password after %d failures in either form: %v; want *SignInsLimited", cashier.DefaultSignInFailures, err)
		}
	})
}
