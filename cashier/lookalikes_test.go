package cashier

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestLookalikesReadAnIndex: a kyc's search for lookalikes, which the player waits
// for in the checkout, reads one index range of the identity's country and date of
// birth (NL) or names (an identity with a personid) on both databases, not every
// player without a personid.
func TestLookalikesReadAnIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		// Players enough for PostgreSQL's planner to weigh its indexes as it would
		// at scale: many names and dates of birth in each country, and in FI half of
		// them password players who gave none.
		var ps []models.Player
		for i := range 400 {
			p := models.Player{EndUserID: fmt.Sprintf("alike-%d", i), FirstName: fmt.Sprintf("First%d", i%37),
				LastName: fmt.Sprintf("Last%d", i%53), Country: []string{"NL", "FI"}[i%2], Currency: "EUR",
				DateOfBirth: time.Date(1950+i%50, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)}
			if i%4 == 1 {
				p.DateOfBirth = ""
			}
			ps = append(ps, p)
		}
		if err := db.CreateInBatches(ps, 100).Error; err != nil {
			t.Fatal(err)
		}
		if db.Dialector.Name() == "postgres" {
			if err := db.Exec("ANALYZE players").Error; err != nil {
				t.Fatal(err)
			}
		}
		type stmt struct {
			sql  string
			vars []any
		}
		var got []stmt
		if err := db.Callback().Query().After("gorm:query").Register("test:lookalikes", func(tx *gorm.DB) {
			got = append(got, stmt{tx.Statement.SQL.String(), slices.Clone(tx.Statement.Vars)})
		}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			kyc   paynplay.KYC
			index string
		}{
			{paynplay.KYC{KYCEntityID: "k-nl", FirstName: "Jan", LastName: "de Vries", DOB: "1975-07-14", Country: "NL"}, "idx_players_country_dob"},
			{paynplay.KYC{KYCEntityID: "k-fi", PersonID: "FI131052-309U", FirstName: "Matti Juhani", LastName: "Meikäläinen",
				DOB: "1952-10-13", Country: "FI"}, "idx_players_country_name"},
		} {
			id, err := paynplay.ParseIdentity(tt.kyc)
			if err != nil {
				t.Fatal(err)
			}
			got = nil
			if _, err := lookalikes(db, id); err != nil || len(got) != 1 {
				t.Fatalf("%s: %d statements, %v; want one", id.Country, len(got), err)
			}
			plan, err := storetest.Explain(db, got[0].sql, got[0].vars...)
			if err != nil {
				t.Fatal(err)
			}
			if text := strings.Join(plan, "\n\t"); !strings.Contains(text, tt.index) {
				t.Errorf("%s: %s reads\n\t%s\nwant %s", id.Country, got[0].sql, text, tt.index)
			} else if testing.Verbose() {
				t.Logf("%s: %s\n\t%s", id.Country, got[0].sql, text)
			}
		}
	})
}
