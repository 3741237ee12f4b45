package cashier

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store"
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

// TestOpenMendsNameKeysOfOlderFold: a player an older version kept with names
// typed decomposed (NFD) has the name key that version's fold made of them, with
// the combining accents left in, which no bank's names fold to now that FoldName
// reads NFC (eab1a14), so a kyc with a personid did not find them as a lookalike.
// The start makes the key again with the current fold; the lookalike check then
// finds them, and a second start (a player written meanwhile included) reads the
// players to do from a partial index of their own and writes nothing, on both
// databases; more than a batch is done.
func TestOpenMendsNameKeysOfOlderFold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		p := models.Player{EndUserID: "nfd-older", FirstName: "Matti", LastName: "Meika\u0308la\u0308inen", Country: "FI", Currency: "EUR"}
		if err := db.Create(&p).Error; err != nil {
			t.Fatal(err)
		}
		// More than a batch of others, of another country, keyed the same way.
		var others []models.Player
		for i := range 450 {
			others = append(others, models.Player{EndUserID: fmt.Sprintf("nfd-older-%d", i), FirstName: fmt.Sprintf("A\u0308sa%d", i),
				LastName: "O\u0308berg", Country: "SE", Currency: "SEK"})
		}
		if err := db.CreateInBatches(others, 100).Error; err != nil {
			t.Fatal(err)
		}
		// As an older version kept them: its fold lower-cased and left the
		// combining diaereses where they were.
		if err := db.Exec("UPDATE players SET name_key = ?, name_key_fold = 0 WHERE id = ?", "meika\u0308la\u0308inen|matti", p.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("UPDATE players SET name_key = ?, name_key_fold = 0 WHERE country = 'SE'", "o\u0308berg|a\u0308sa").Error; err != nil {
			t.Fatal(err)
		}
		id, err := paynplay.ParseIdentity(paynplay.KYC{KYCEntityID: "k-nfd", PersonID: "FI131052-309U", FirstName: "Matti Juhani",
			LastName: "Meikäläinen", DOB: "1952-10-13", Country: "FI"})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		var got models.Player
		if err := db.Take(&got, p.ID).Error; err != nil {
			t.Fatal(err)
		}
		if want := models.NameKey(p.FirstName, p.LastName); got.NameKey != want || want != "meikalainen|matti" {
			t.Errorf("name key after the start %q; want %q (meikalainen|matti)", got.NameKey, want)
		}
		var all []models.Player
		if err := db.Order("id").Find(&all).Error; err != nil {
			t.Fatal(err)
		}
		for _, o := range all {
			if want := models.NameKey(o.FirstName, o.LastName); o.NameKey != want || o.NameKeyFold != models.NameFold {
				t.Fatalf("player %d after the start: name key %q, fold %d; want %q, %d", o.ID, o.NameKey, o.NameKeyFold, want, models.NameFold)
			}
		}
		if ps, err := lookalikes(db, id); err != nil || len(ps) != 1 || ps[0].ID != p.ID {
			t.Errorf("lookalikes of the bank's Matti Juhani Meikäläinen: %+v, %v; want player %d", ps, err, p.ID)
		}
		// A player this version writes is keyed with the current fold.
		if err := db.Create(&models.Player{EndUserID: "nfc-new", FirstName: "Liisa", LastName: "Virtanen", Country: "FI", Currency: "EUR"}).Error; err != nil {
			t.Fatal(err)
		}

		var mu sync.Mutex
		var writes, reads []string
		var readVars []any
		record := func(tx *gorm.DB) {
			sql := tx.Statement.SQL.String()
			mu.Lock()
			defer mu.Unlock()
			if strings.HasPrefix(sql, "UPDATE players") && strings.Contains(sql, "name_key") {
				writes = append(writes, sql)
			}
			if strings.HasPrefix(sql, "SELECT") && strings.Contains(sql, "name_key_fold") {
				reads, readVars = append(reads, sql), slices.Clone(tx.Statement.Vars)
			}
		}
		if err := db.Callback().Query().After("gorm:query").Register("rekey:query", record); err != nil {
			t.Fatal(err)
		}
		if err := db.Callback().Raw().After("gorm:raw").Register("rekey:raw", record); err != nil {
			t.Fatal(err)
		}
		if err := db.Callback().Update().After("gorm:update").Register("rekey:update", record); err != nil {
			t.Fatal(err)
		}
		if err := store.Migrate(db); err != nil {
			t.Fatal(err)
		}
		if len(writes) != 0 || len(reads) != 1 {
			t.Fatalf("second start: name key writes %v, reads %v; want none and one", writes, reads)
		}
		plan, err := storetest.Explain(db, reads[0], readVars...)
		if err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(plan, "\n\t"); !strings.Contains(text, "idx_players_name_key_fold") || strings.Contains(text, "SCAN players") || strings.Contains(text, "Seq Scan") {
			t.Errorf("the players to rekey: %s reads\n\t%s\nwant idx_players_name_key_fold alone", reads[0], text)
		} else if testing.Verbose() {
			t.Logf("%s\n\t%s", reads[0], text)
		}
	})
}
