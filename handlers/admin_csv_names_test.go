package handlers

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestTransactionsCSVNamesKinds: every row of the export says what it is as the
// transactions page names it, in the columns kind_name and status_name beside
// the codes programs read: a return of held money and a bank login read so,
// though their kind codes are refund and deposit, which the file alone left
// indistinguishable from a refund and a deposit; a payout the bank returned
// reads as the page has it.
func TestTransactionsCSVNamesKinds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		storetest.SeedOrders(t, ta.DB, "k-", 6, 2, 0)
		now := time.Now().UTC()
		set := func(id string, v map[string]any) {
			t.Helper()
			if err := ta.DB.Model(&models.Order{}).Where("message_id = ?", id).Updates(v).Error; err != nil {
				t.Fatal(err)
			}
		}
		set("k-1", map[string]any{"kind": models.OrderRefund, "returns_held": true, "status": models.OrderSent})
		set("k-3", map[string]any{"login_only": true, "status": models.OrderSignedIn})
		set("k-4", map[string]any{"kind": models.OrderRefund, "status": models.OrderConfirmed})
		set("k-5", map[string]any{"kind": models.OrderPayout, "status": models.OrderFailed, "returned_at": now})
		set("k-6", map[string]any{"status": models.OrderRefusedHeld})
		want := map[string][3]string{
			"k-1": {"refund", "Return of held money", "Sent"},
			"k-2": {"selectaccount", "Account selection", "Credited"},
			"k-3": {"deposit", "Bank login", "Signed in"},
			"k-4": {"refund", "Refund", "Confirmed"},
			"k-5": {"payout", "Payout", "Failed"},
			"k-6": {"deposit", "Deposit", "Refused — money held to return"},
		}
		r := cl.get("/admin/transactions.csv").wantStatus(http.StatusOK)
		records, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := func(name string) int {
			i := slices.Index(records[0], name)
			if i < 0 {
				t.Fatalf("no column %s in %v", name, records[0])
			}
			return i
		}
		msg, kind, kindName, statusName := col("message_id"), col("kind"), col("kind_name"), col("status_name")
		if len(records) != 7 {
			t.Fatalf("%d rows; want 6", len(records)-1)
		}
		for _, row := range records[1:] {
			w, ok := want[row[msg]]
			if ok && row[msg] == "k-2" {
				w[2] = statusLabel(models.OrderStatus(row[col("status")]))
			}
			if got := [3]string{row[kind], row[kindName], row[statusName]}; !ok || got != w {
				t.Errorf("%s: kind %q, kind_name %q, status_name %q; want %q", row[msg], got[0], got[1], got[2], w)
			}
		}
	})
}
