package cashier_test

import (
	"context"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestSearchEmailInEitherUnicodeForm: staff find a player, and the player's
// orders, by an email typed with its accents composed (NFC) or decomposed (NFD),
// whichever form the player's email is kept in (NFC now, NFD by a version
// before), as the player signs in with either (TestEmailsNormalized); and by a
// name kept in NFC typed decomposed.
func TestSearchEmailInEitherUnicodeForm(t *testing.T) {
	const nfc, nfd = "z\u00f6\u00eb@example.com", "zo\u0308e\u0308@example.com"
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		ctx, by := context.Background(), viewer(t, db)
		p := r.player()
		if err := db.Model(&p).Update("first_name", "Zo\u00eb").Error; err != nil {
			t.Fatal(err)
		}
		o := r.order(p, 10000)
		for _, kept := range []string{nfc, nfd} {
			if err := db.Model(&models.Player{}).Where("id = ?", p.ID).Update("email", kept).Error; err != nil {
				t.Fatal(err)
			}
			for _, term := range []string{nfc, nfd, " " + nfd + " "} {
				found, _, err := r.svc.SearchPlayers(ctx, by, term)
				if err != nil || len(found) != 1 || found[0].ID != p.ID {
					t.Errorf("kept %+q: SearchPlayers(%+q) = %d players, %v; want player %d", kept, term, len(found), err, p.ID)
				}
				rows, err := r.svc.Transactions(ctx, by, cashier.TxFilter{Search: term})
				if err != nil || len(rows) != 1 || rows[0].ID != o.ID {
					t.Errorf("kept %+q: Transactions(Search %+q) = %d rows, %v; want order %d", kept, term, len(rows), err, o.ID)
				}
			}
		}
		found, _, err := r.svc.SearchPlayers(ctx, by, "zoe\u0308")
		if err != nil || len(found) != 1 || found[0].ID != p.ID {
			t.Errorf("SearchPlayers(name in NFD) = %d players, %v; want player %d", len(found), err, p.ID)
		}
	})
}
