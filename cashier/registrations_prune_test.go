package cashier_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// registrations are the tokens of the bank details forms recorded, by token.
func (e *payEnv) registrations() map[string]bool {
	e.t.Helper()
	var tokens []string
	if err := e.db.Model(&models.AccountRegistration{}).Pluck("token", &tokens).Error; err != nil {
		e.t.Fatal(err)
	}
	got := map[string]bool{}
	for _, token := range tokens {
		got[token] = true
	}
	return got
}

// TestJanitorPrunesRegistrations: a bank details form's registration serves the
// form sent again, which its page's CSRF token allows for 12 hours at most; the
// janitor deletes those older than cashier.RegistrationKept (a day) and keeps the
// others, whose form sent again still shows its first result and asks Trustly
// nothing. More than a batch of old ones go in one run; one made exactly
// RegistrationKept before stays, and goes a microsecond later. A form whose registration went is
// registered as a new one, as Trustly gives the same account again.
func TestJanitorPrunesRegistrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newPayEnv(t, db)
		p := e.namedPlayer("SE", "Åsa", "Öberg-Lindqvist")
		now := e.clock.Now() // a whole second, which PostgreSQL stores exactly
		e.clock.Advance(now.Truncate(time.Second).Add(time.Second).Sub(now))
		register := func(token string) models.BankAccount {
			t.Helper()
			a, err := e.svc.RegisterBankAccountOnce(e.ctx, p, token, "SE", "6112", "69706212")
			if err != nil {
				t.Fatalf("register with form %s: %v", token, err)
			}
			return a
		}
		old, edge, recent := models.NewRegistrationToken(), models.NewRegistrationToken(), models.NewRegistrationToken()
		added := register(old)
		e.clock.Advance(time.Hour)
		register(edge)
		edgeAt := e.clock.Now()
		e.clock.Advance(cashier.RegistrationKept - time.Hour)
		register(recent)
		// Another player's registrations of long ago, more than a batch of them.
		other := e.namedPlayer("SE", "Bo", "Ek")
		var many []models.AccountRegistration
		for i := range 1234 {
			many = append(many, models.AccountRegistration{Token: fmt.Sprintf("reg-%024x", i), PlayerID: other.ID,
				CreatedAt: e.clock.Now().Add(-48 * time.Hour)})
		}
		if err := db.CreateInBatches(many, 200).Error; err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(edgeAt.Add(cashier.RegistrationKept).Sub(e.clock.Now()))
		calls := e.apiCalls("RegisterAccount")

		e.janitor()
		got := e.registrations()
		if len(got) != 2 || !got[edge] || !got[recent] {
			t.Fatalf("after the janitor: %d registrations, the form exactly a day old kept %t, the recent one %t; want those two",
				len(got), got[edge], got[recent])
		}
		if a := register(recent); a.ID != added.ID || !a.Known {
			t.Errorf("recent form sent again: account %d known %t; want account %d, known", a.ID, a.Known, added.ID)
		}
		if n := e.apiCalls("RegisterAccount"); n != calls {
			t.Errorf("%d RegisterAccount calls after the recent form sent again; want %d", n, calls)
		}

		e.clock.Advance(time.Microsecond)
		e.janitor()
		if got := e.registrations(); len(got) != 1 || !got[recent] {
			t.Errorf("a microsecond later: %v; want the recent form's alone", got)
		}
		if a := register(old); a.ID != added.ID || !a.Known {
			t.Errorf("a form of two days ago sent again: account %d known %t; want account %d, known", a.ID, a.Known, added.ID)
		}
		if n := e.apiCalls("RegisterAccount"); n != calls+1 {
			t.Errorf("%d RegisterAccount calls after the old form sent again; want %d", n, calls+1)
		}
	})
}
