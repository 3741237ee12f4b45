package handlers

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestTransactionsCSVDefusesFormulas: every cell of the export that holds text
// from outside (a player's email from Trustly's kyc or account data, Trustly's
// orderids, a flag quoting a notification) starts with an apostrophe when a
// spreadsheet could read it as a formula: = + - @ first, or a tab, carriage return
// or line feed first, or any of = + - @ after leading spaces and line breaks, which
// spreadsheets that trim cells on import run as well (" =HYPERLINK(…)" went out
// as it was). Text that starts otherwise is left as it is, and the amounts, ids
// and times are numbers a spreadsheet adds up, never defused.
func TestTransactionsCSVDefusesFormulas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		cl, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		texts := []struct{ in, want string }{
			{"=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"},
			{" =HYPERLINK(\"http://evil\")", "' =HYPERLINK(\"http://evil\")"},
			{"   +1+cmd|' /C calc'!A0", "'   +1+cmd|' /C calc'!A0"},
			{" -2+3", "' -2+3"},
			{"  @SUM(1)", "'  @SUM(1)"},
			{"\t=1", "'\t=1"},
			{"\r=1", "'\r=1"},
			{"\n=1", "'\n=1"},
			{" \r\n =1", "' \n =1"}, // encoding/csv reads a quoted \r\n as \n
			{"\tplain", "'\tplain"},
			{"plain = text", "plain = text"},
			{" plain", " plain"},
			{"a@example.com", "a@example.com"},
		}
		n := len(texts)
		storetest.SeedOrders(t, ta.DB, "f-", 3*n, 3*n, 0) // order i of player i; f-3k a deposit
		for k, tx := range texts {
			i := 3 * (k + 1)
			id := "f-" + strconv.Itoa(i)
			set := map[string]any{"flag": tx.in, "trustly_order_id": tx.in}
			if err := ta.DB.Model(&models.Order{}).Where("message_id = ?", id).Updates(set).Error; err != nil {
				t.Fatal(err)
			}
			var dep models.Order
			ta.DB.Where("message_id = ?", id).Take(&dep)
			// A refund of it, whose last column is the deposit's Trustly orderid.
			ref := "f-" + strconv.Itoa(i-1)
			if err := ta.DB.Model(&models.Order{}).Where("message_id = ?", ref).Updates(map[string]any{"kind": models.OrderRefund,
				"parent_id": dep.ID, "trustly_order_id": "", "status": models.OrderSent, "amount_minor": 100}).Error; err != nil {
				t.Fatal(err)
			}
			p := models.Player{Email: "p" + strconv.Itoa(k) + "@example.com", EndUserID: "f-player-" + strconv.Itoa(k),
				Currency: dep.Amount.Currency, Country: "SE"}
			if err := ta.DB.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
			if err := ta.DB.Model(&p).Update("email", tx.in).Error; err != nil { // as a kyc might bring it
				t.Fatal(err)
			}
			if err := ta.DB.Model(&models.Order{}).Where("message_id IN ?", []string{id, ref}).Update("player_id", p.ID).Error; err != nil {
				t.Fatal(err)
			}
		}

		r := cl.get(transactionsPath + ".csv").wantStatus(http.StatusOK)
		records, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, name := range records[0] {
			col[name] = i
		}
		byMessage := map[string][]string{}
		for _, row := range records[1:] {
			byMessage[row[col["message_id"]]] = row
			for _, name := range []string{"order_id", "created", "amount", "player_id", "credited"} {
				if v := row[col[name]]; strings.HasPrefix(v, "'") {
					t.Errorf("row %s: %s %q defused; want it as it is", row[col["message_id"]], name, v)
				}
			}
			if a := row[col["amount"]]; a != "" {
				if _, err := strconv.ParseFloat(a, 64); err != nil {
					t.Errorf("row %s: amount %q is not a number", row[col["message_id"]], a)
				}
			}
		}
		for k, tx := range texts {
			i := 3 * (k + 1)
			dep, ref := byMessage["f-"+strconv.Itoa(i)], byMessage["f-"+strconv.Itoa(i-1)]
			if dep == nil || ref == nil {
				t.Fatalf("rows of f-%d and f-%d missing", i, i-1)
			}
			for _, c := range []struct {
				what string
				got  string
			}{{"flag", dep[col["flag"]]}, {"trustly_order_id", dep[col["trustly_order_id"]]}, {"player_email", dep[col["player_email"]]},
				{"refund's deposit_trustly_order_id", ref[col["deposit_trustly_order_id"]]}, {"refund's player_email", ref[col["player_email"]]}} {
				if c.got != tx.want {
					t.Errorf("%s of text %q: %q; want %q", c.what, tx.in, c.got, tx.want)
				}
			}
		}
	})
}
