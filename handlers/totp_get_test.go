package handlers

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/staff"
)

// TestTOTPPageWritesNothing: the page that shows a new second factor's secret is
// a GET, and a GET writes nothing: the secret waits, sealed, in the member's own
// staff session until a code from it is typed, and only that form stores it and
// turns it on. Reloads show the same secret; another browser of the same member is
// shown one of its own, and the one confirmed is the one that counts.
func TestTOTPPageWritesNothing(t *testing.T) {
	ta := newTestApp(t)
	cl, m := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	other := ta.client()
	other.staffSignIn("op@example.com", testPassword, "")
	before := dbDigest(t, ta.DB)
	secret := cl.get("/admin/2fa").wantStatus(http.StatusOK).text("totp-secret")
	if again := cl.get("/admin/2fa").text("totp-secret"); again != secret || secret == "" {
		t.Errorf("the secret on reload: %q, then %q; want the same", secret, again)
	}
	elsewhere := other.get("/admin/2fa").wantStatus(http.StatusOK).text("totp-secret")
	if changed := changedTables(before, dbDigest(t, ta.DB)); len(changed) > 0 {
		t.Errorf("GET /admin/2fa wrote to %v; want nothing written", changed)
	}
	if elsewhere == secret {
		t.Errorf("another browser was shown the same secret %q", secret)
	}

	cl.submit("/admin/2fa", url.Values{"code": {"000000"}}).wantStatus(http.StatusUnprocessableEntity)
	if got := cl.get("/admin/2fa").text("totp-secret"); got != secret {
		t.Errorf("after a wrong code the page shows %q; want %q", got, secret)
	}
	now := time.Now()
	cl.submit("/admin/2fa", url.Values{"code": {totpCode(t, secret, now)}}).wantRedirect("/admin")
	var stored staff.Member
	if err := ta.DB.Where("id = ?", m.ID).Take(&stored).Error; err != nil || !stored.TOTPEnabled {
		t.Fatalf("after the code: enabled %t, %v; want the second factor on", stored.TOTPEnabled, err)
	}
	// The other browser's session ended with the change; its secret counts for nothing.
	again := ta.client()
	again.get("/admin/login")
	again.submit("/admin/login", url.Values{"email": {"op@example.com"}, "password": {testPassword},
		"code": {totpCode(t, elsewhere, now.Add(30*time.Second))}}).wantStatus(http.StatusUnprocessableEntity)
	again.submit("/admin/login", url.Values{"email": {"op@example.com"}, "password": {testPassword},
		"code": {totpCode(t, secret, now.Add(30*time.Second))}}).wantRedirect("/admin")
}
