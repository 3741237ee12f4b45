package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
)

// TestPathIDsCanonical: an id in a path is read only as written canonically,
// digits without a sign or a leading zero: /payouts/04 and /payouts/+4 are no
// pages (404) where /payouts/4 is one, and a form posted to such a path changes
// nothing; the same for every player and back-office route taking an :id.
func TestPathIDsCanonical(t *testing.T) {
	lv := startLive(t, fundingOptions())
	cl, player, acc := funded(t, lv, "anna@example.com", "1000")
	payout := strconv.FormatInt(requestPayout(t, cl, "250", acc.ID), 10)
	owner, _ := lv.staffSignedIn("owner@example.com", staff.RoleOwner)
	pid := strconv.FormatInt(player.ID, 10)
	odd := func(id string) []string { return []string{"0" + id, "+" + id, "00" + id, "%2B" + id} }

	for _, tt := range []struct {
		cl         *testClient
		path, tail string
		id         string
	}{
		{cl, "/payouts/", "", payout},
		{cl, "/payouts/", "/status", payout},
		{owner, "/admin/orders/", "", payout},
		{owner, "/admin/players/", "", pid},
	} {
		tt.cl.get(tt.path + tt.id + tt.tail).wantStatus(http.StatusOK)
		for _, id := range odd(tt.id) {
			if r := tt.cl.get(tt.path + id + tt.tail); r.Status != http.StatusNotFound {
				t.Errorf("GET %s%s%s: %d; want 404", tt.path, id, tt.tail, r.Status)
			}
		}
	}
	for _, tt := range []struct {
		cl   *testClient
		path string
		form url.Values
	}{
		{cl, "/payouts/%s/cancel", nil},
		{cl, "/bank-accounts/%s/remove", nil},
		{owner, "/admin/players/%s/block", url.Values{"reason": {"a test of paths"}}},
		{owner, "/admin/players/%s/notes", url.Values{"note": {"a test of paths"}}},
	} {
		id := payout
		if tt.path == "/bank-accounts/%s/remove" {
			id = strconv.FormatInt(acc.ID, 10)
		} else if tt.cl == owner {
			id = pid
		}
		for _, odd := range odd(id) {
			path := strings.Replace(tt.path, "%s", odd, 1)
			if r := tt.cl.submit(path, tt.form); r.Status != http.StatusNotFound {
				t.Errorf("POST %s: %d; want 404", path, r.Status)
			}
		}
	}
	// Nothing was changed by them: the payout can still be cancelled, the account
	// is still listed, the player is not blocked.
	if got := lv.playerNow(player); got.Blocked {
		t.Error("a block posted to a non-canonical path blocked the player")
	}
	if _, ok := cl.get("/bank-accounts").wantStatus(http.StatusOK).forms()["/bank-accounts/"+strconv.FormatInt(acc.ID, 10)+"/remove"]; !ok {
		t.Error("a removal posted to a non-canonical path removed the bank account")
	}
}
