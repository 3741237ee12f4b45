package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestAdminOddQueries: the back office's lists, filters, pages and ids sent odd
// values (negative, huge, non-numeric, SQL-ish, years 0 and 9999, impossible
// dates, other digits, NUL) answer 200, 404 or 422 with a sentence, never a 500,
// on both databases; a list's page past its end is an empty page. What the hunt
// tried, already right.
func TestAdminOddQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		cl, _ := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
		storetest.SeedOrders(t, ta.DB, "o-", 60, 10, 0)
		odd := []string{"-1", "0", "abc", "99999999999999999999", "9223372036854775807", "-9223372036854775808", "1e5",
			"' OR 1=1 --", "0000-01-01", "0001-01-01", "9999-12-31", "2026-02-30", "1_2", "-1_5",
			"9223372036854775807_9223372036854775807", "１２", " 5 ", "99999999999999999999.99", "1.001", "\x00"}
		fields := map[string][]string{
			transactionsPath:             {"kind", "status", "player", "currency", "from", "to", "min", "max", "q", "before", "tz"},
			transactionsPath + "/totals": {"player", "from", "to", "min", "max", "q"},
			transactionsPath + ".csv":    {"player", "from", "to", "min", "max", "q"},
			"/admin/audit":               {"staff", "event", "order", "player", "from", "to", "before"},
			"/admin/api-calls":           {"method", "outcome", "code", "order", "player", "from", "to", "before"},
			"/admin/reports":             {"from", "to"},
			"/admin/players":             {"q"},
		}
		for path, keys := range fields {
			for _, k := range keys {
				for _, v := range odd {
					q := url.Values{k: {v}}
					if k == "min" || k == "max" {
						q.Set("currency", "SEK")
					}
					r := cl.get(path + "?" + q.Encode())
					if r.Status != http.StatusOK && r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
						t.Errorf("%s?%s: %d; want 200, or 400 or 422 with a sentence", path, q.Encode(), r.Status)
					}
					if r.Status == http.StatusUnprocessableEntity && !strings.HasSuffix(path, ".csv") && !strings.Contains(r.Body, `class="problem"`) {
						t.Errorf("%s?%s: 422 without a sentence", path, q.Encode())
					}
				}
			}
		}
		for _, id := range []string{"0", "-1", "abc", "99999999999999999999", "9223372036854775807", "1.5", "%20"} {
			for _, p := range []string{"/admin/orders/" + id, "/admin/players/" + id, "/admin/orders/" + id + "/refund"} {
				if r := cl.get(p); r.Status != http.StatusNotFound {
					t.Errorf("%s: %d; want 404", p, r.Status)
				}
			}
		}
		if r := cl.get(transactionsPath + "?before=1").wantStatus(http.StatusOK); r.has("tx-row") {
			t.Error("the page before order 1 lists orders; want an empty page")
		}
	})
}
