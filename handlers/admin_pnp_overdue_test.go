package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/net/html"
	"gorm.io/gorm"
)

// TestAdminShowsPayNPlayOverdue: a Pay N Play deposit the janitor flagged for
// holding a credit with no kyc, one for a pending with no credit, and an ordinary
// deposit pending with no credit (cashier.Service.Janitor's deposits-overdue
// job), are on the flagged list with their flag and counted on the home, and
// their order pages show the flag and, in the timeline, when the janitor found
// each overdue: where staff look for every other flag.
func TestAdminShowsPayNPlayOverdue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		start := time.Now().UTC().Add(-30 * time.Hour)
		found := start.Add(27 * time.Hour)
		made := func(i int, set func(o *models.Order)) models.Order {
			o := models.Order{MessageID: fmt.Sprintf("pnp-overdue-%d", i), Kind: models.OrderDeposit, PayNPlay: i < 3,
				EndUserID: fmt.Sprintf("pnp-visitor-%d", i), Amount: models.Money{Minor: 10000, Currency: "EUR"},
				TrustlyOrderID: fmt.Sprint(5100000000 + i), StartedAt: &start, PendingAt: &start, CreatedAt: start}
			set(&o)
			o.Refresh()
			if err := ta.DB.Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			return o
		}
		held := made(1, func(o *models.Order) { o.CreditHeldAt, o.KYCOverdueAt = &start, &found })
		pending := made(2, func(o *models.Order) { o.CreditOverdueAt = &found })
		ordinary := made(3, func(o *models.Order) { o.CreditOverdueAt = &found })
		if ordinary.Flag != models.FlagDepositPendingNoCredit {
			t.Fatalf("ordinary deposit overdue flagged %q; want %q", ordinary.Flag, models.FlagDepositPendingNoCredit)
		}

		if got := cl.get("/admin").wantStatus(http.StatusOK).text("home-flagged-orders"); !strings.HasPrefix(got, "3 flagged orders") {
			t.Errorf("home reads %q; want the 3 flagged orders counted", got)
		}
		list := cl.get(flaggedPath).wantStatus(http.StatusOK)
		ids := rowIDs(t, list)
		for _, o := range []models.Order{held, pending, ordinary} {
			if !slices.Contains(ids, o.ID) {
				t.Errorf("flagged list %v without order %d", ids, o.ID)
			}
		}
		var flags []string
		for _, n := range list.byTestID("tx-flag") {
			flags = append(flags, textOf(n))
		}
		for _, want := range []string{models.FlagHeldCreditKYCOverdue, models.FlagPendingNoCredit, models.FlagDepositPendingNoCredit} {
			if !slices.Contains(flags, want) {
				t.Errorf("flagged list flags %q; want %q among them", flags, want)
			}
		}
		for _, tt := range []struct {
			o     models.Order
			flag  string
			event string
		}{{held, models.FlagHeldCreditKYCOverdue, "kyc overdue"}, {pending, models.FlagPendingNoCredit, "credit overdue"},
			{ordinary, models.FlagDepositPendingNoCredit, "credit overdue"}} {
			page := cl.get(orderPath(tt.o.ID)).wantStatus(http.StatusOK)
			if got := page.byTestID("order-flag"); len(got) != 1 || textOf(got[0]) != tt.flag {
				t.Errorf("order %d page flags %d, first %q; want %q", tt.o.ID, len(got), page.text("order-flag"), tt.flag)
			}
			if !slices.ContainsFunc(page.byTestID("timeline-event"), func(n *html.Node) bool { return strings.HasSuffix(textOf(n), ": "+tt.event) }) {
				t.Errorf("order %d page timeline without %q", tt.o.ID, tt.event)
			}
		}
	})
}
