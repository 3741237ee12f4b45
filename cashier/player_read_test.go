package cashier

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

var schemaCache sync.Map

// TestPlayerReadsEveryColumn: Service.Player reads a player as GORM does, every
// field, with and without the columns that may be NULL, on both databases; and
// its column list is the players table's, so a field added to models.Player
// fails here until Player reads it.
func TestPlayerReadsEveryColumn(t *testing.T) {
	s, err := schema.Parse(&models.Player{}, &schemaCache, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, f := range s.Fields {
		if f.DBName != "" {
			cols = append(cols, f.DBName)
		}
	}
	if got, want := playerColumns, strings.Join(cols, ", "); got != want {
		t.Fatalf("playerColumns = %q;\nthe table's columns are %q", got, want)
	}
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc := &Service{db: db}
		kyc := time.Date(2026, 2, 3, 4, 5, 6, 789000000, time.UTC)
		for _, p := range []models.Player{
			{EndUserID: "e-full", Email: "full@example.com", PasswordHash: "$2a$hash", FirstName: "Åsa", LastName: "Öberg",
				Country: "SE", Currency: "SEK", Role: models.RolePlayer, PersonID: "198001011234", KYCEntityID: "k-1",
				DateOfBirth: "1980-01-01", Street: "Gatan 1", Zipcode: "111 22", City: "Stockholm", KYCAt: &kyc,
				CreatedAt: kyc.Add(time.Hour), SessionVersion: 7, Blocked: true, Language: "sv"},
			{EndUserID: "e-bare", Country: "FI", Currency: "EUR", CreatedAt: kyc},
		} {
			if err := db.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
			var want models.Player
			if err := db.Where("id = ?", p.ID).Take(&want).Error; err != nil {
				t.Fatal(err)
			}
			got, err := svc.Player(context.Background(), p.ID)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("Player(%d) = %+v, %v;\nGORM reads %+v", p.ID, got, err, want)
			}
		}
		if _, err := svc.Player(context.Background(), 4711); err == nil || !strings.Contains(err.Error(), ErrPlayerNotFound.Error()) {
			t.Errorf("an unknown player: %v; want ErrPlayerNotFound", err)
		}
	})
}
