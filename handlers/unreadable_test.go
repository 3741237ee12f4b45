package handlers

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestUnreadableInputRefused: a query or form value that is not text (a NUL byte,
// bytes that are not UTF-8) is refused with 400 before any handler reads it, on
// every browser route. PostgreSQL refuses such bytes in any statement (SQLSTATE
// 22021), so they made a 500 of the registration form, the deposit and account
// pages' ?order= and the back office's player search; SQLite stored them in a
// player's name.
func TestUnreadableInputRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		ta := newTestApp(t, func(s *testSetup) { s.Cashier.DB = db })
		player, _ := ta.signedIn("anna@example.com")
		member, _ := ta.staffSignedIn("viewer@example.com", staff.RoleViewer)
		register := func(first string) url.Values {
			return url.Values{"email": {"nul@example.com"}, "password": {testPassword}, "first_name": {first},
				"last_name": {"Andersson"}, "country": {"DK"}}
		}
		for _, tt := range []struct {
			name string
			send func() *testResponse
		}{
			{"NUL in a name", func() *testResponse { return ta.client().submit("/register", register("An\x00na")) }},
			{"not UTF-8 in a name", func() *testResponse { return ta.client().submit("/register", register("An\xffna")) }},
			{"NUL in a multipart name", func() *testResponse {
				cl := ta.client()
				var body bytes.Buffer
				w := multipart.NewWriter(&body)
				for k, v := range register("An\x00na") {
					w.WriteField(k, v[0])
				}
				w.WriteField(csrfField, cl.csrf())
				w.Close()
				req := cl.request(http.MethodPost, "/register", &body)
				req.Header.Set("Content-Type", w.FormDataContentType())
				return cl.do(req)
			}},
			{"NUL in ?order=", func() *testResponse { return player.get("/deposit/status?order=dep-%00") }},
			{"not UTF-8 in ?order=", func() *testResponse { return player.get("/deposit/checkout?order=%FF") }},
			{"a surrogate in ?order=", func() *testResponse { return player.get("/accounts/status?order=%ED%A0%80") }},
			{"not UTF-8 in a search", func() *testResponse { return member.get("/admin/players?q=%C3%28") }},
			{"NUL in a search", func() *testResponse { return member.get("/admin/transactions?q=%00") }},
			{"not UTF-8 in a name of a field", func() *testResponse { return member.get("/admin/players?%FF=1") }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := tt.send()
				if r.Status != http.StatusBadRequest {
					t.Errorf("%s: status %d; want 400", r.what, r.Status)
				}
				if strings.Contains(ta.Logs.String(), "request failed") {
					t.Errorf("%s: the app logged a failure:\n%s", r.what, ta.Logs.String())
				}
			})
		}
		var n int64
		if err := db.Model(&models.Player{}).Where("email = ?", "nul@example.com").Count(&n).Error; err != nil || n != 0 {
			t.Errorf("players registered with an unreadable name: %d (%v); want none", n, err)
		}
		// Text in any script is text.
		ta.client().submit("/register", register("Åsa Ölund-Ñúñez 李")).wantRedirect("/login")
	})
}
