package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestAdminSearchPersonIDAsWritten: staff find a player, and the player's orders,
// by the personnummer as people write it ("19800101-1234", "198001011234"), as the
// player typed it at registration, not only by the stored "SE198001011234"; a
// number that is no valid personid still finds nothing. The stored form alone was
// searched, so a personid read from a letter or a phone call found no one.
func TestAdminSearchPersonIDAsWritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		p := ta.player("anna@example.com")
		// As a kyc or a register market's registration stores it.
		p.PersonID = "SE" + strings.ReplaceAll(nextSEPersonID(), "-", "")
		if err := ta.DB.Model(&p).Update("person_id", p.PersonID).Error; err != nil {
			t.Fatal(err)
		}
		ta.player("bert@example.com") // another player, who must not be found
		now := time.Now().UTC()
		o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit,
			Status: models.OrderCredited, PlayerID: p.ID, EndUserID: p.EndUserID,
			Amount: models.Money{Minor: 10000, Currency: "SEK"}, TrustlyOrderID: "1000000078", CreatedAt: now}
		if err := ta.DB.Create(&o).Error; err != nil {
			t.Fatal(err)
		}
		cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		if !strings.HasPrefix(p.PersonID, "SE") {
			t.Fatalf("stored personid %q; want the SE form", p.PersonID)
		}
		number := strings.TrimPrefix(p.PersonID, "SE") // 12 digits
		for _, term := range []string{p.PersonID, strings.ToLower(p.PersonID), number, number[:8] + "-" + number[8:],
			" " + number[:8] + "-" + number[8:] + " "} {
			r := cl.get("/admin/players?q=" + url.QueryEscape(term)).wantStatus(http.StatusOK)
			if rows := r.byTestID("player-row"); len(rows) != 1 || !strings.Contains(textOf(rows[0]), "anna@example.com") {
				t.Errorf("players search %q: %d rows; want anna alone", term, len(rows))
			}
			r = cl.get("/admin/transactions?q=" + url.QueryEscape(term)).wantStatus(http.StatusOK)
			if ids := rowIDs(t, r); len(ids) != 1 || ids[0] != o.ID {
				t.Errorf("transactions search %q: %v; want order %d", term, ids, o.ID)
			}
		}
		wrong := number[:11] + string('0'+(number[11]-'0'+1)%10) // the check digit off by one
		if rows := cl.get("/admin/players?q=" + url.QueryEscape(wrong)).byTestID("player-row"); len(rows) != 0 {
			t.Errorf("a number with a wrong check digit found %d players; want none", len(rows))
		}
	})
}

// TestAdminSearchPersonIDOfBankAccount: a player whose identity number only their
// bank account knows (the holder the bank named in an account notification,
// bank_accounts.person_id; the player's own personid is empty) is found by it, as
// people write it, in the players search and, with their orders, in the
// transactions search. Only the player table's personid was searched, so such a
// player was found by no identity number.
func TestAdminSearchPersonIDOfBankAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		p := ta.player("anna@example.com")
		if p.PersonID != "" {
			t.Fatalf("the player has a personid %q of their own", p.PersonID)
		}
		number := strings.ReplaceAll(nextSEPersonID(), "-", "") // 12 digits
		if err := ta.DB.Create(&models.BankAccount{PlayerID: p.ID, AccountID: "2853579240", Verified: true,
			Source: models.AccountFromDeposit, PersonID: "SE" + number}).Error; err != nil {
			t.Fatal(err)
		}
		ta.player("bert@example.com") // another player, who must not be found
		o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit,
			Status: models.OrderCredited, PlayerID: p.ID, EndUserID: p.EndUserID,
			Amount: models.Money{Minor: 10000, Currency: "SEK"}, TrustlyOrderID: "1000000078", CreatedAt: time.Now().UTC()}
		if err := ta.DB.Create(&o).Error; err != nil {
			t.Fatal(err)
		}
		cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		for _, term := range []string{"SE" + number, number, number[:8] + "-" + number[8:]} {
			r := cl.get("/admin/players?q=" + url.QueryEscape(term)).wantStatus(http.StatusOK)
			if rows := r.byTestID("player-row"); len(rows) != 1 || !strings.Contains(textOf(rows[0]), "anna@example.com") {
				t.Errorf("players search %q: %d rows; want anna alone", term, len(rows))
			}
			r = cl.get("/admin/transactions?q=" + url.QueryEscape(term)).wantStatus(http.StatusOK)
			if ids := rowIDs(t, r); len(ids) != 1 || ids[0] != o.ID {
				t.Errorf("transactions search %q: %v; want order %d", term, ids, o.ID)
			}
		}
	})
}

// TestAdminSearchRefundsByDepositOrderID: a refund has no Trustly orderid of its
// own, and its row shows its deposit's, "(of the deposit)", the one Trustly knows
// it by; searching that orderid finds the deposit and its refunds (also in the
// export and the totals), not the deposit alone, and no other deposit's refunds.
func TestAdminSearchRefundsByDepositOrderID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		viewer, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		storetest.SeedOrders(t, ta.DB, "x-", 6, 2, 0) // x-3 and x-6 are credited deposits
		var dep, other models.Order
		ta.DB.Where("message_id = ?", "x-3").Take(&dep)
		ta.DB.Where("message_id = ?", "x-6").Take(&other)
		refund := func(parent models.Order, n int) models.Order {
			r := models.Order{MessageID: models.NewMessageID(models.OrderRefund), Kind: models.OrderRefund, PlayerID: parent.PlayerID,
				ParentID: parent.ID, Amount: models.Money{Minor: int64(n) * 100, Currency: parent.Amount.Currency},
				Status: models.OrderSent, CreatedAt: time.Now()}
			if err := ta.DB.Create(&r).Error; err != nil {
				t.Fatal(err)
			}
			return r
		}
		r1, r2 := refund(dep, 1), refund(dep, 2)
		refund(other, 1)

		got := rowIDs(t, viewer.get("/admin/transactions?q="+url.QueryEscape(dep.TrustlyOrderID)).wantStatus(http.StatusOK))
		if want := []int64{r2.ID, r1.ID, dep.ID}; !slices.Equal(got, want) {
			t.Errorf("search %q lists %v; want the deposit's refunds and the deposit %v", dep.TrustlyOrderID, got, want)
		}
		csvBody := viewer.get("/admin/transactions.csv?q=" + url.QueryEscape(dep.TrustlyOrderID)).wantStatus(http.StatusOK).Body
		if n := strings.Count(csvBody, "\n"); n != 4 {
			t.Errorf("the export of search %q has %d lines; want the header and 3 rows:\n%s", dep.TrustlyOrderID, n, csvBody)
		}
		// The refund's own messageid still finds the refund alone.
		if got := rowIDs(t, viewer.get("/admin/transactions?q="+url.QueryEscape(r1.MessageID))); !slices.Equal(got, []int64{r1.ID}) {
			t.Errorf("search of a refund's messageid lists %v; want %d", got, r1.ID)
		}
	})
}
