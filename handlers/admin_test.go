package handlers

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/securecookie"
	"github.com/pquerna/otp/totp"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"golang.org/x/net/html"
)

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// totpCode is the current code of secret, as an authenticator app shows it, at.
func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestStaffSessionEnds: a staff session ends after the idle timeout, and at once
// when an owner changes the member's role or disables them; a player's session
// opens no back-office page and a staff session no player page.
func TestStaffSessionEnds(t *testing.T) {
	clock := &testClock{now: time.Now()}
	ta := newTestApp(t, func(s *testSetup) { s.Web.Staff = StaffSettings{Idle: 10 * time.Minute, Now: clock.Now} })
	owner, _ := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
	op, m := ta.staffSignedIn("op@example.com", staff.RoleOperator)

	clock.Advance(9 * time.Minute)
	op.get("/admin").wantStatus(http.StatusOK)
	clock.Advance(9 * time.Minute) // 9 minutes since the last request: still alive
	op.get("/admin").wantStatus(http.StatusOK)
	clock.Advance(11 * time.Minute)
	op.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")
	owner.staffSignIn("owner@example.com", testPassword, "")
	owner.staffReauth(testPassword, "")

	op.staffSignIn("op@example.com", testPassword, "")
	owner.submit("/admin/staff/"+strconv.FormatInt(m.ID, 10)+"/role", url.Values{"role": {"finance"}}).wantRedirect("/admin/staff")
	op.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")

	op.staffSignIn("op@example.com", testPassword, "")
	owner.submit("/admin/staff/"+strconv.FormatInt(m.ID, 10)+"/disable", nil).wantRedirect("/admin/staff")
	op.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")
	op.get("/admin/login?next=%2Fadmin")
	if r := op.submit("/admin/login", url.Values{"email": {"op@example.com"}, "password": {testPassword}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a disabled member signing in: %d; want 422", r.Status)
	}

	// Staff are not players, and players are not staff.
	op2, _ := ta.staffSignedIn("op2@example.com", staff.RoleOperator)
	op2.get("/cashier").wantRedirect("/login?next=%2Fcashier")
	if r := op2.get("/admin"); r.has("deposit-form") || strings.Contains(r.Body, `href="/cashier"`) {
		t.Error("a staff page shows the player's wallet or deposit form")
	}
	pl, _ := ta.signedIn("anna@example.com")
	pl.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")
	if _, err := ta.Svc.AuthenticateStaff(context.Background(), "anna@example.com", testPassword, ""); err == nil {
		t.Error("a player's password signs in to the back office")
	}
}

// TestStaffSessionLifetime: a staff session ends twelve hours after sign-in however
// active it is (each request renews the cookie, so its own time stamp bounds
// nothing); changing the password keeps that limit; a cookie of an older version,
// without its sign-in time, has ended.
func TestStaffSessionLifetime(t *testing.T) {
	clock := &testClock{now: time.Now()}
	ta := newTestApp(t, func(s *testSetup) { s.Web.Staff = StaffSettings{Idle: 8 * time.Hour, Now: clock.Now} })
	cl, m := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	clock.Advance(7 * time.Hour)
	cl.get("/admin").wantStatus(http.StatusOK)
	cl.submit("/admin/password", url.Values{"current": {testPassword}, "password": {"a new password 1"}}).wantRedirect("/admin")
	clock.Advance(5 * time.Hour)
	cl.get("/admin").wantStatus(http.StatusOK) // 12 hours: still alive
	clock.Advance(time.Second)
	cl.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")
	cl.staffSignIn("op@example.com", "a new password 1", "")
	cl.get("/admin").wantStatus(http.StatusOK)

	// A cookie as an older version wrote it: everything but the sign-in time.
	m = ta.staffByEmail(m.Email)
	codec := securecookie.New(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32))
	codec.SetSerializer(securecookie.JSONEncoder{})
	old, err := codec.Encode(staffCookie, map[string]any{"StaffID": m.ID, "Role": m.Role, "Version": m.SessionVersion,
		"ID": "0123456789abcdef", "Seen": clock.Now().Unix()})
	if err != nil {
		t.Fatal(err)
	}
	forged := ta.client()
	forged.setCookie(staffCookie, old)
	forged.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")
}

// TestStaffTOTP: with CASHIER_ADMIN_2FA=required a member is sent to enrol before
// any other page; a code from the shown secret turns it on; from then on sign-in
// needs a current code, and a code is accepted only once.
func TestStaffTOTP(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.Staff.RequireTOTP = true })
	cl, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	cl.get("/admin").wantRedirect("/admin/2fa")
	cl.get("/admin/approvals").wantRedirect("/admin/2fa")
	page := cl.get("/admin/2fa").wantStatus(http.StatusOK)
	secret := page.text("totp-secret")
	if src := attr(page.byTestID("totp-qr")[0], "src"); !strings.HasPrefix(src, "data:image/png;base64,") {
		t.Errorf("QR code src %.40q; want a data: PNG", src)
	}
	if again := cl.get("/admin/2fa").text("totp-secret"); again != secret {
		t.Errorf("the secret changed on reload before it was confirmed: %q, %q", secret, again)
	}
	cl.submit("/admin/2fa", url.Values{"code": {"000000"}}).wantStatus(http.StatusUnprocessableEntity)
	cl.get("/admin").wantRedirect("/admin/2fa")
	now := time.Now()
	cl.submit("/admin/2fa", url.Values{"code": {totpCode(t, secret, now)}}).wantRedirect("/admin")
	cl.get("/admin").wantStatus(http.StatusOK)

	other := ta.client()
	if r := other.submit("/admin/login", url.Values{"email": {"op@example.com"}, "password": {testPassword}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("sign-in without a code: %d; want 422", r.Status)
	}
	if r := other.submit("/admin/login", url.Values{"email": {"op@example.com"}, "password": {testPassword},
		"code": {totpCode(t, secret, now)}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("sign-in with the code used to enrol: %d; want 422", r.Status)
	}
	other.staffSignIn("op@example.com", testPassword, totpCode(t, secret, now.Add(30*time.Second)))
	other.get("/admin").wantStatus(http.StatusOK)
}

// TestTOTPEnrolmentEndsOtherSessions: turning on a second factor ends every other
// session of the member, each opened with the password alone (a stolen one
// included); the browser that turned it on stays signed in.
func TestTOTPEnrolmentEndsOtherSessions(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	stolen := ta.client()
	stolen.staffSignIn("op@example.com", testPassword, "")
	secret := cl.get("/admin/2fa").text("totp-secret")
	cl.submit("/admin/2fa", url.Values{"code": {totpCode(t, secret, time.Now())}}).wantRedirect("/admin")
	stolen.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")
	if flash := cl.get("/admin").wantStatus(http.StatusOK).text("flash"); flash != "Your second factor is on. Your other sessions have ended." {
		t.Errorf("flash %q after turning the second factor on", flash)
	}
}

// TestTOTPEnrolmentNeedsPassword: turning a second factor on, and seeing the
// secret to turn it on with, needs the password typed in the last five minutes (at
// sign-in or on /admin/reauth). A session taken from a member without one, used
// later, could otherwise read the pending secret (to hold the codes of the app the
// member enrols later) or enrol an app of its own: every other session of the
// member's ends, and the member cannot sign in again without its codes.
func TestTOTPEnrolmentNeedsPassword(t *testing.T) {
	clock := &testClock{now: time.Now()}
	ta := newTestApp(t, func(s *testSetup) { s.Web.Staff.Now = clock.Now })
	ctx := context.Background()
	cl, m := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	clock.Advance(reauthWindow + time.Second)
	toReauth := "/admin/reauth?next=%2Fadmin%2F2fa"

	page := cl.get("/admin/2fa")
	if page.Status != http.StatusSeeOther || page.Header.Get("Location") != toReauth || page.has("totp-secret") {
		t.Errorf("GET /admin/2fa long after sign-in: %d to %q, secret shown %t; want 303 to %q and no secret",
			page.Status, page.Header.Get("Location"), page.has("totp-secret"), toReauth)
	}
	if got := ta.staffByEmail(m.Email); got.TOTPSecret != "" {
		t.Error("an enrolment was started without the password")
	}
	// A secret seen before, in another session: its code turns nothing on.
	enrol, err := ta.Svc.StartTOTP(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	cl.submit("/admin/2fa", url.Values{"code": {totpCode(t, enrol.Secret, time.Now())}}).wantRedirect(toReauth)
	if got := ta.staffByEmail(m.Email); got.TOTPEnabled {
		t.Fatal("a second factor was turned on without the password")
	}
	cl.get("/admin").wantStatus(http.StatusOK)

	cl.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {"/admin/2fa"}}).wantRedirect("/admin/2fa")
	secret := cl.get("/admin/2fa").wantStatus(http.StatusOK).text("totp-secret")
	cl.submit("/admin/2fa", url.Values{"code": {totpCode(t, secret, time.Now())}}).wantRedirect("/admin")
	if got := ta.staffByEmail(m.Email); !got.TOTPEnabled {
		t.Error("the second factor is not on after a re-authentication")
	}
}

// TestStaffTOTPReset: an owner resets the second factor of a member who lost
// their app: the member's sessions end, they sign in with their password alone and
// are sent to set up a new secret (CASHIER_ADMIN_2FA=required), whose codes then
// work and the old one's do not. An owner cannot reset their own, nor a member
// below owner anyone's; the Staff page offers the reset only for a factor that is on.
func TestStaffTOTPReset(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.Staff.RequireTOTP = true })
	ctx := context.Background()
	enrol := func(cl *testClient) string {
		t.Helper()
		secret := cl.get("/admin/2fa").text("totp-secret")
		cl.submit("/admin/2fa", url.Values{"code": {totpCode(t, secret, time.Now())}}).wantRedirect("/admin")
		return secret
	}
	owner, ownerMember := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
	ownerSecret := enrol(owner)
	op, opMember := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	oldSecret := enrol(op)
	opPath := "/admin/staff/" + strconv.FormatInt(opMember.ID, 10)

	page := owner.get("/admin/staff").wantStatus(http.StatusOK)
	if n := len(page.byTestID("reset-2fa")); n != 1 {
		t.Errorf("%d reset buttons on the Staff page; want 1 (the operator's; not the owner's own)", n)
	}
	op.submit(opPath+"/reset-2fa", nil).wantStatus(http.StatusForbidden)
	owner.staffReauth(testPassword, totpCode(t, ownerSecret, time.Now().Add(30*time.Second)))
	if r := owner.submit("/admin/staff/"+strconv.FormatInt(ownerMember.ID, 10)+"/reset-2fa", nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("an owner resetting their own second factor: %d; want 422", r.Status)
	}

	owner.submit(opPath+"/reset-2fa", nil).wantRedirect("/admin/staff")
	if flash := owner.get("/admin/staff").Body; !strings.Contains(flash, "op@example.com is signed out and sets up a second factor again") {
		t.Error("no flash after the reset")
	}
	op.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")
	if m, err := ta.Svc.StaffMember(ctx, opMember.ID); err != nil || m.TOTPEnabled || m.TOTPSecret != "" {
		t.Fatalf("after the reset: %+v, %v; want no second factor", m, err)
	}
	var audit []staff.Audit
	ta.DB.Where("event = ?", staff.EventTOTPReset).Find(&audit)
	if len(audit) != 1 || audit[0].StaffID != ownerMember.ID || audit[0].SubjectID != opMember.ID {
		t.Errorf("audit rows %+v; want one by the owner about the operator", audit)
	}

	again := ta.client()
	again.staffSignIn("op@example.com", testPassword, "")
	again.get("/admin").wantRedirect("/admin/2fa")
	newSecret := enrol(again)
	if newSecret == oldSecret {
		t.Error("the new enrolment shows the old secret")
	}
	late := time.Now().Add(30 * time.Second)
	if r := ta.client().submit("/admin/login", url.Values{"email": {"op@example.com"}, "password": {testPassword},
		"code": {totpCode(t, oldSecret, late)}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("sign-in with the lost app's code: %d; want 422", r.Status)
	}
	ta.client().staffSignIn("op@example.com", testPassword, totpCode(t, newSecret, late))
}

// TestAdminActionsAudited walks every state-changing back-office request (every
// POST in adminRoutes, and sign-in and sign-out) and checks that each leaves
// exactly one audit row, carrying the request's X-Request-ID, and that pages
// (GET) leave none. A POST route added to adminRoutes without a step here fails
// the test.
func TestAdminActionsAudited(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
		s.Cashier.Config.Limits = map[string]cashier.Limits{"SEK": twoPersonLimits()}
	}})
	ctx := context.Background()
	if err := lv.Svc.EnsureOwner(ctx, "owner@example.com", testPassword); err != nil {
		t.Fatal(err)
	}
	cl, player, acc := funded(t, lv, "anna@example.com", "30000")
	anna := player
	single := requestPayout(t, cl, "5500", acc.ID)
	denied := requestPayout(t, cl, "6000", acc.ID)
	double := requestPayout(t, cl, "12000", acc.ID)

	count := func() int64 {
		var n int64
		lv.DB.Model(&staff.Audit{}).Count(&n)
		return n
	}
	covered := map[string]bool{}
	// step makes one request and wants exactly one new audit row with its request id.
	step := func(route string, do func() *testResponse) *testResponse {
		t.Helper()
		covered[route] = true
		before := count()
		r := do()
		if r.Status >= 400 {
			t.Fatalf("%s: status %d\n%s", route, r.Status, r.Body)
		}
		var rows []staff.Audit
		lv.DB.Where("id > (SELECT COALESCE(MAX(id), 0) FROM audits) - ?", count()-before).Order("id").Find(&rows)
		if got := count() - before; got != 1 || rows[0].RequestID != r.Header.Get("X-Request-Id") {
			t.Errorf("%s: %d audit rows %+v; want 1 with request id %s", route, got, rows, r.Header.Get("X-Request-Id"))
		}
		return r
	}
	owner, op := lv.client(), lv.client()
	step("POST /admin/login", func() *testResponse {
		return owner.submit("/admin/login", url.Values{"email": {"owner@example.com"}, "password": {testPassword}})
	})
	// Staff accounts change only after a recent re-authentication.
	step("POST /admin/reauth", func() *testResponse {
		return owner.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {"/admin/staff"}})
	})
	var opID int64
	step("POST /admin/staff", func() *testResponse {
		r := owner.submit("/admin/staff", url.Values{"email": {"op@example.com"}, "password": {testPassword}, "role": {"viewer"}})
		m := lv.staffByEmail("op@example.com")
		opID = m.ID
		return r
	})
	opPath := "/admin/staff/" + strconv.FormatInt(opID, 10)
	step("POST /admin/staff/:id/role", func() *testResponse { return owner.submit(opPath+"/role", url.Values{"role": {"operator"}}) })
	step("POST /admin/staff/:id/disable", func() *testResponse { return owner.submit(opPath+"/disable", nil) })
	step("POST /admin/staff/:id/enable", func() *testResponse { return owner.submit(opPath+"/enable", nil) })
	secret := owner.get("/admin/2fa").text("totp-secret")
	now := time.Now()
	step("POST /admin/2fa", func() *testResponse {
		return owner.submit("/admin/2fa", url.Values{"code": {totpCode(t, secret, now)}})
	})

	step("POST /admin/approvals/:id/approve", func() *testResponse {
		return owner.submit(approvePath(single), url.Values{"reason": {"regular"}})
	})
	lv.waitPayout(single, models.OrderConfirmed, nil)
	step("POST /admin/approvals/:id/deny", func() *testResponse { return owner.submit(denyPath(denied), url.Values{"reason": {"source of funds"}}) })

	// Above the second threshold: re-authentication first, then two people.
	owner.submit(approvePath(double), nil).wantRedirect("/admin/reauth?next=%2Fadmin%2Fapprovals")
	step("POST /admin/reauth", func() *testResponse {
		return owner.submit("/admin/reauth", url.Values{"password": {testPassword}, "code": {totpCode(t, secret, now.Add(30*time.Second))},
			"next": {"/admin/approvals"}})
	})
	step("POST /admin/approvals/:id/approve (first of two)", func() *testResponse { return owner.submit(approvePath(double), nil) })
	var deposit models.Order
	lv.DB.Where("player_id = ? AND kind = ?", anna.ID, models.OrderDeposit).Take(&deposit)
	step("POST /admin/orders/:id/refund", func() *testResponse {
		return owner.submit(refundPath(deposit.ID), url.Values{"amount": {"100"}, "reason": {"goodwill"}}).wantRedirect(refundPath(deposit.ID))
	})
	// A refused Pay N Play deposit whose credit is held: its return is audited
	// when made, here refused by Trustly, which has no such deposit.
	at := time.Now().UTC()
	held := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit, PayNPlay: true,
		EndUserID: "pnp-audit", Amount: models.Money{Minor: 10000, Currency: "SEK"}, TrustlyOrderID: "1999999998",
		KYCOutcome: models.KYCFinish, KYCAt: &at, StartedAt: &at, CreatedAt: at}
	held.Refresh()
	if err := lv.DB.Create(&held).Error; err != nil {
		t.Fatal(err)
	}
	lv.apply(signNote(t, lv.Sandbox.Config.Key, trustly.MethodCredit, "7199999999", uuid.NewString(), held, "pnp-audit", nil).raw)
	step("POST /admin/orders/:id/return", func() *testResponse {
		return owner.submit(returnPath(held.ID), url.Values{"token": {models.NewMessageID(models.OrderRefund)}}).wantRedirect(orderPath(held.ID))
	})
	if o := lv.waitPayout(double, models.OrderAwaitingApproval, nil); o.ApprovedAt != nil {
		t.Fatal("a two-person payout was approved by one member")
	}
	owner.submit(approvePath(double), nil).wantRedirect("/admin/approvals") // the same member again: refused, no row
	// Not op@example.com: the owner, the first approver, added them on the Staff
	// page a moment ago. A member added from the command line is nobody's.
	lv.staff("second@example.com", staff.RoleOperator)
	op.staffSignIn("second@example.com", testPassword, "")
	op.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {"/admin/approvals"}}).wantRedirect("/admin/approvals")
	step("POST /admin/approvals/:id/approve (second of two)", func() *testResponse { return op.submit(approvePath(double), nil) })
	lv.waitPayout(double, models.OrderConfirmed, nil)

	// Players, flags and unmatched notifications.
	playerPath := playerPath(player.ID)
	step("POST /admin/players/:id/notes", func() *testResponse {
		return owner.submit(playerPath+"/notes", url.Values{"note": {"asked for ID"}})
	})
	step("POST /admin/players/:id/block", func() *testResponse {
		return owner.submit(playerPath+"/block", url.Values{"reason": {"fraud check"}})
	})
	step("POST /admin/players/:id/unblock", func() *testResponse { return owner.submit(playerPath+"/unblock", nil) })
	lv.DB.Model(&models.Order{}).Where("id = ?", denied).Update("flag", "a flag for the test")
	step("POST /admin/orders/:id/resolve", func() *testResponse {
		return owner.submit(orderPath(denied)+"/resolve", url.Values{"note": {"looked"}})
	})
	unmatched := models.Notification{NotificationID: "audit-unmatched", Method: "credit", UUID: "u", TrustlyOrderID: "1",
		Raw: "{}", ReceivedAt: time.Now(), LastDeliveryAt: time.Now()}
	lv.DB.Create(&unmatched)
	step("POST /admin/notifications/:id/resolve", func() *testResponse {
		return owner.submit("/admin/notifications/"+strconv.FormatInt(unmatched.ID, 10)+"/resolve", url.Values{"note": {"test"}})
	})
	refused := models.RefusedNotification{Digest: "audit-refused", NotificationID: "audit-refused", Method: "credit", Raw: "{}",
		Reason: "a test", Deliveries: 1, ReceivedAt: time.Now(), LastDeliveryAt: time.Now()}
	lv.DB.Create(&refused)
	step("POST /admin/refused/:id/resolve", func() *testResponse {
		return owner.submit(refusedResolvePath(refused.ID), url.Values{"note": {"a reshaped copy"}})
	})
	raise := limits.Change{PlayerID: anna.ID, Currency: "SEK", Period: limits.Month, AmountMinor: 2000000, PreviousMinor: 500000,
		RequestedAt: time.Now(), EffectiveAt: time.Now().Add(72 * time.Hour), Flag: "a raise above 10 000 SEK a month"}
	lv.DB.Create(&raise)
	step("POST /admin/limit-changes/:id/resolve", func() *testResponse {
		return owner.submit("/admin/limit-changes/"+strconv.FormatInt(raise.ID, 10)+"/resolve", url.Values{"note": {"called the player"}})
	})

	// The operator's second factor, set up by the service, then reset by the owner.
	opMember := lv.staffByEmail("op@example.com")
	enrol, err := lv.Svc.StartTOTP(ctx, opMember)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lv.Svc.ConfirmTOTP(ctx, opMember, totpCode(t, enrol.Secret, time.Now())); err != nil {
		t.Fatal(err)
	}
	step("POST /admin/staff/:id/reset-2fa", func() *testResponse { return owner.submit(opPath+"/reset-2fa", nil) })
	step("POST /admin/staff/:id/password", func() *testResponse {
		return owner.submit(opPath+"/password", url.Values{"password": {"a temporary one 1"}}).wantRedirect("/admin/staff")
	})
	op.staffSignIn("op@example.com", "a temporary one 1", "")
	step("POST /admin/password", func() *testResponse {
		return op.submit("/admin/password", url.Values{"current": {"a temporary one 1"}, "password": {"a new password 1"}}).wantRedirect("/admin")
	})

	// Viewing writes nothing, but for reading personal data out: a download of the
	// transactions CSV is two rows of its own, its start and its outcome
	// (TestExportsAudited, TestReadsNotRecordedNotBegun).
	for _, r := range adminRoutes() {
		if r.Method != http.MethodGet {
			continue
		}
		want := int64(0)
		if r.Path == "/admin/transactions.csv" {
			want = 2
		}
		before := count()
		owner.get(strings.ReplaceAll(r.Path, ":id", strconv.FormatInt(opID, 10)))
		if got := count() - before; got != want {
			t.Errorf("GET %s wrote %d audit rows; want %d", r.Path, got, want)
		}
	}
	step("POST /admin/logout", func() *testResponse { return owner.submit("/admin/logout", nil) })

	for _, r := range adminRoutes() {
		if r.Method == http.MethodPost && !covered["POST "+r.Path] {
			t.Errorf("POST %s changes something and has no step here: add one", r.Path)
		}
	}
}

// twoPersonLimits: SEK payouts up to 20 000, approval above 5 000, two approvals
// above 10 000.
// TestApprovalsBlockedPlayer: the approvals queue shows a payout whose player has
// been blocked since the request without its approve form, with a sentence saying
// what staff can do; approving it anyway (a form kept open from before) is refused
// with that sentence, the reason typed shown back, nothing is sent, and denying it
// works.
func TestApprovalsBlockedPlayer(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
		s.Cashier.Config.Limits = map[string]cashier.Limits{"SEK": twoPersonLimits()}
	}})
	cl, player, acc := funded(t, lv, "anna@example.com", "30000")
	waiting := requestPayout(t, cl, "6000", acc.ID)
	op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)

	if r := op.get(approvalsPath); !r.has("approve-form") || r.has("approval-blocked") {
		t.Fatal("before the block: no approve form, or a blocked notice")
	}
	op.submit(playerPath(player.ID)+"/block", url.Values{"reason": {"chargebacks"}}).wantRedirect(playerPath(player.ID))
	r := op.get(approvalsPath).wantStatus(http.StatusOK)
	if r.has("approve-form") || !strings.HasPrefix(r.text("approval-blocked"), "The player has been blocked since asking for this payout") ||
		!r.has("deny-form") {
		t.Fatalf("after the block: approve form %t, notice %q, deny form %t", r.has("approve-form"), r.text("approval-blocked"), r.has("deny-form"))
	}
	res := op.submit(approvePath(waiting), url.Values{"reason": {"ok"}}).wantStatus(http.StatusUnprocessableEntity)
	if got := res.text("flash"); !strings.HasPrefix(got, "The player has been blocked since asking for this payout") ||
		res.text("not-recorded-text") != "ok" {
		t.Errorf("answer to approving: %q, reason shown back %q; want the refusal and \"ok\"", got, res.text("not-recorded-text"))
	}
	if o := lv.waitPayout(waiting, models.OrderAwaitingApproval, nil); o.ApprovedAt != nil || o.SentAt != nil {
		t.Fatalf("the blocked player's payout was approved %v or sent %v", o.ApprovedAt, o.SentAt)
	}
	op.submit(denyPath(waiting), url.Values{"reason": {"player blocked"}}).wantRedirect(approvalsPath)
	lv.waitPayout(waiting, models.OrderCancelled, nil)
}

// TestOrderPageBlockedPlayerPayout: a payout whose player was blocked since asking
// shows on its order page, as in the approvals queue, the sentence saying it can
// only be denied, and no approve button (pressing it was refused).
func TestOrderPageBlockedPlayerPayout(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	cl, player, acc := funded(t, lv, "anna@example.com", "8000")
	waiting := requestPayout(t, cl, "6000", acc.ID)
	op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
	if r := op.get(orderPath(waiting)); !r.has("order-approve") || r.has("order-blocked") {
		t.Fatal("before the block: no approve button, or a blocked notice")
	}
	op.submit(playerPath(player.ID)+"/block", url.Values{"reason": {"chargebacks"}}).wantRedirect(playerPath(player.ID))
	r := op.get(orderPath(waiting)).wantStatus(http.StatusOK)
	if r.has("order-approve") || !r.has("order-deny") ||
		!strings.HasPrefix(r.text("order-blocked"), "The player has been blocked since asking for this payout") {
		t.Errorf("after the block: approve %t, deny %t, notice %q; want only deny, and the notice",
			r.has("order-approve"), r.has("order-deny"), r.text("order-blocked"))
	}
}

// TestBlockedOwnPayoutNotice: a payout waiting whose player was blocked since
// asking is, for the member whose email is the player's, one they may neither
// approve nor deny; the blocked notice in the approvals queue and on the order page
// must then not tell them to deny it, but say another member must decide it, while
// another member still reads that they can deny it.
func TestBlockedOwnPayoutNotice(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	cl, player, acc := funded(t, lv, "bo@example.com", "8000")
	waiting := requestPayout(t, cl, "6000", acc.ID)
	lv.waitPayout(waiting, models.OrderAwaitingApproval, nil)
	op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
	self, _ := lv.staffSignedIn("bo@example.com", staff.RoleFinance)
	viewer, _ := lv.staffSignedIn("viewer@example.com", staff.RoleViewer)
	op.submit(playerPath(player.ID)+"/block", url.Values{"reason": {"chargebacks"}}).wantRedirect(playerPath(player.ID))

	// A viewer decides nothing: the queue's notice says what happened and tells
	// them to do nothing (the order page shows the notice only to those who decide).
	if notice := strings.Join(strings.Fields(viewer.get(approvalsPath).wantStatus(http.StatusOK).text("approval-blocked")), " "); !strings.HasPrefix(notice, "The player has been blocked since asking for this payout") ||
		strings.Contains(notice, "Deny it") || strings.Contains(notice, "Another member") {
		t.Errorf("viewer, queue: notice %q; want the blockade said and nothing asked of a viewer", notice)
	}

	const blocked = "The player has been blocked since asking for this payout"
	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	for _, tt := range []struct {
		name       string
		cl         *testClient
		offersDeny bool
	}{{"own", self, false}, {"another member's", op, true}} {
		queue := tt.cl.get(approvalsPath).wantStatus(http.StatusOK)
		page := tt.cl.get(orderPath(waiting)).wantStatus(http.StatusOK)
		for _, where := range []struct {
			name, deny, notice string
			r                  *testResponse
		}{{"queue", "deny-form", words(queue.text("approval-blocked")), queue},
			{"order page", "order-deny", words(page.text("order-blocked")), page}} {
			r := where.r
			saysDeny := strings.Contains(where.notice, "Deny it")
			switch {
			case !strings.HasPrefix(where.notice, blocked):
				t.Errorf("%s, %s: notice %q; want it to start %q", tt.name, where.name, where.notice, blocked)
			case r.has(where.deny) != tt.offersDeny:
				t.Errorf("%s, %s: deny button %t; want %t", tt.name, where.name, r.has(where.deny), tt.offersDeny)
			case saysDeny != tt.offersDeny:
				t.Errorf("%s, %s: notice %q tells to deny it %t; want %t", tt.name, where.name, where.notice, saysDeny, tt.offersDeny)
			case !tt.offersDeny && !strings.Contains(where.notice, "Another member must decide it."):
				t.Errorf("%s, %s: notice %q; want it to say another member must decide it", tt.name, where.name, where.notice)
			}
		}
	}
}

// TestApprovalsHistoryCredited: beside a payout waiting for approval, a deposit
// of the player's that Trustly credited with another amount than it asked shows
// what the credit booked, as the transactions list and the order page do: staff
// deciding a payout must not read 8 000 deposited where 2 000 came in.
func TestApprovalsHistoryCredited(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	cl, player, acc := funded(t, lv, "anna@example.com", "8000")
	requestPayout(t, cl, "6000", acc.ID)
	// Trustly's credit booked 2 000 of the 8 000 asked.
	lv.DB.Model(&models.Order{}).Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Update("credited_minor", 200000)
	op, _ := lv.staffSignedIn("viewer@example.com", staff.RoleViewer)

	r := op.get(approvalsPath).wantStatus(http.StatusOK)
	rows := r.byTestID("approval-history-row")
	if len(rows) != 1 {
		t.Fatalf("%d history rows; want the deposit's", len(rows))
	}
	row := &testResponse{t: t, doc: rows[0], what: "history row"}
	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	sek := func(major int64) string { return words(models.Money{Minor: major * 100, Currency: "SEK"}.Display()) }
	if got, want := words(row.text("history-amount")), sek(8000); got != want {
		t.Errorf("amount %q; want %q", got, want)
	}
	if got, want := words(row.text("history-credited")), "credited "+sek(2000); got != want {
		t.Errorf("credited %q; want %q", got, want)
	}
}

// TestApprovalsHistoryAccountSelection: an account selection moves no money, and
// the approvals queue's history of the player's orders says so as the
// transactions list and the order page do, instead of an amount of 0,00 SEK.
func TestApprovalsHistoryAccountSelection(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	cl, player, acc := funded(t, lv, "anna@example.com", "8000")
	requestPayout(t, cl, "6000", acc.ID)
	sel := models.Order{MessageID: "sel-1", Kind: models.OrderSelectAccount, PlayerID: player.ID,
		Amount: models.Money{Currency: "SEK"}, Status: models.OrderPending, CreatedAt: time.Now()}
	if err := lv.DB.Create(&sel).Error; err != nil {
		t.Fatal(err)
	}
	op, _ := lv.staffSignedIn("viewer@example.com", staff.RoleViewer)
	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }

	var got []string
	for _, row := range op.get(approvalsPath).wantStatus(http.StatusOK).byTestID("approval-history-row") {
		got = append(got, words((&testResponse{t: t, doc: row, what: "history row"}).text("history-amount")))
	}
	want := []string{noMoneyText, words(models.Money{Minor: 800000, Currency: "SEK"}.Display())}
	if !slices.Equal(got, want) {
		t.Errorf("history amounts %q; want %q", got, want)
	}
	var listed []string
	for _, row := range op.get(transactionsPath).wantStatus(http.StatusOK).byTestID("tx-row") {
		if attr(row, "data-order") == strconv.FormatInt(sel.ID, 10) {
			listed = append(listed, words((&testResponse{t: t, doc: row, what: "tx row"}).text("tx-amount")))
		}
	}
	if !slices.Equal(listed, []string{noMoneyText}) {
		t.Errorf("transactions list amount %q; want %q", listed, noMoneyText)
	}
	if got := words(op.get(orderPath(sel.ID)).wantStatus(http.StatusOK).text("order-amount")); got != noMoneyText {
		t.Errorf("order page amount %q; want %q", got, noMoneyText)
	}
}

// TestApprovalsTimesNameTheirZone: the approvals queue shows when a payout was
// requested and the dates of the player's recent orders in the member's time zone
// and names it, as every other back-office page does; they were in UTC whatever
// zone the member chose.
func TestApprovalsTimesNameTheirZone(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	cl, player, acc := funded(t, lv, "anna@example.com", "8000")
	waiting := requestPayout(t, cl, "6000", acc.ID)
	var deposit, payout models.Order
	if err := lv.DB.Where("player_id = ? AND kind = ?", player.ID, models.OrderDeposit).Take(&deposit).Error; err != nil {
		t.Fatal(err)
	}
	if err := lv.DB.Take(&payout, waiting).Error; err != nil {
		t.Fatal(err)
	}
	op, _ := lv.staffSignedIn("viewer@example.com", staff.RoleViewer)
	const zone = "Pacific/Auckland" // never UTC's offset
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}

	r := op.get(approvalsPath + "?tz=" + url.QueryEscape(zone)).wantStatus(http.StatusOK)
	if got, want := r.text("approval-requested"), timeIn(payout.CreatedAt, loc)+" ("+zone+")"; got != want {
		t.Errorf("requested %q; want %q", got, want)
	}
	var headings []string
	for _, n := range r.find(func(n *html.Node) bool { return n.Data == "th" }) {
		headings = append(headings, textOf(n))
	}
	if !slices.Contains(headings, "Date ("+zone+")") {
		t.Errorf("history headings %q; want %q", headings, "Date ("+zone+")")
	}
	if got, want := r.text("history-date"), timeIn(deposit.CreatedAt, loc); got != want {
		t.Errorf("history date %q; want %q", got, want)
	}
	// The zone picked on another page holds here too.
	if got := op.get(approvalsPath).text("approval-requested"); !strings.HasSuffix(got, " ("+zone+")") {
		t.Errorf("requested %q, the zone remembered; want it in %s, named", got, zone)
	}
}

// TestDenyNeedsAReason: denying a payout needs a reason, and one of spaces alone
// (which the form's required attribute lets through) is none: the payout keeps
// waiting, reserved, with no audit row, and the queue says why.
func TestDenyNeedsAReason(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}})
	cl, _, acc := funded(t, lv, "anna@example.com", "8000")
	waiting := requestPayout(t, cl, "6000", acc.ID)
	op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)

	for _, reason := range []string{"", "   ", "\t\n"} {
		op.submit(denyPath(waiting), url.Values{"reason": {reason}}).wantRedirect(approvalsPath)
		if got := op.get(approvalsPath).text("flash"); got != "Say why the payout is denied." {
			t.Errorf("deny with reason %q: flash %q", reason, got)
		}
	}
	var o models.Order
	if err := lv.DB.Where("id = ?", waiting).Take(&o).Error; err != nil {
		t.Fatal(err)
	}
	if o.Status != models.OrderAwaitingApproval || o.DeniedAt != nil {
		t.Errorf("payout %s, denied at %v; want it still awaiting approval", o.Status, o.DeniedAt)
	}
	if n := lv.countRows(&staff.Audit{}, "order_id = ? AND event = ?", waiting, staff.EventPayoutDenied); n != 0 {
		t.Errorf("%d deny audit rows; want 0", n)
	}
}

// TestApprovalFormKeptAcrossReauth: approving a payout that needs two approvals
// without a recent re-authentication sends the member to confirm their password
// and back to the queue, where that payout's approve form shows once the reason
// they sent, and no other payout's form does; no URL of the way holds the reason.
// Nothing is approved until they send the form again, and the approval then
// records the reason.
func TestApprovalFormKeptAcrossReauth(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
		s.Cashier.Config.Limits = map[string]cashier.Limits{"SEK": twoPersonLimits()}
	}})
	cl, _, acc := funded(t, lv, "anna@example.com", "30000")
	double := requestPayout(t, cl, "12000", acc.ID)
	single := requestPayout(t, cl, "6000", acc.ID)
	op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)
	reason := "source of funds seen: salary & savings"
	approvals := func() int64 {
		return lv.countRows(&staff.Audit{}, "order_id = ? AND event IN ?", double,
			[]staff.Event{staff.EventPayoutFirstVote, staff.EventPayoutApproved})
	}
	// reasons are the approve forms' reasons by payout.
	reasons := func(r *testResponse) map[int64]string {
		t.Helper()
		got := map[int64]string{}
		for _, row := range r.byTestID("approval") {
			id, _ := strconv.ParseInt(attr(row, "data-order"), 10, 64)
			got[id] = ""
			var walk func(n *html.Node)
			walk = func(n *html.Node) {
				if attr(n, "data-testid") == "approve-reason" {
					got[id] = attr(n, "value")
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
			}
			walk(row)
		}
		return got
	}

	op.submit(approvePath(double), url.Values{"reason": {reason}}).wantRedirect("/admin/reauth?next=%2Fadmin%2Fapprovals")
	op.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {approvalsPath}}).wantRedirect(approvalsPath)
	if n := approvals(); n != 0 {
		t.Fatalf("%d approvals after the re-authentication alone; want 0", n)
	}
	queue := op.get(approvalsPath).wantStatus(http.StatusOK)
	if got, want := reasons(queue), map[int64]string{double: reason, single: ""}; !maps.Equal(got, want) {
		t.Errorf("approve reasons after the re-authentication %v; want %v", got, want)
	}
	if got, want := reasons(op.get(approvalsPath)), map[int64]string{double: "", single: ""}; !maps.Equal(got, want) {
		t.Errorf("approve reasons shown again %v; want %v", got, want)
	}

	op.submit(approvePath(double), url.Values{"reason": {reasons(queue)[double]}}).wantRedirect(approvalsPath)
	if got := op.get(approvalsPath).text("flash"); !strings.HasPrefix(got, fmt.Sprintf("Your approval of payout %d is recorded", double)) {
		t.Errorf("flash %q; want the first approval recorded", got)
	}
	var audit staff.Audit
	if err := lv.DB.Where("order_id = ? AND event = ?", double, staff.EventPayoutFirstVote).Take(&audit).Error; err != nil || audit.Reason != reason {
		t.Errorf("first approval's audit reason %q, %v; want %q", audit.Reason, err, reason)
	}
}

// TestDecisionFromOrderPageReturnsThere: approving or denying a payout from its
// order page goes back to that page with the outcome (and so does a refusal, and
// the re-authentication a second approval needs, where the reason typed comes
// back); the order page's forms say so in a field "back". Any other "back" (another
// site, another order, a path outside /admin) goes to the approvals queue.
func TestDecisionFromOrderPageReturnsThere(t *testing.T) {
	lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1"}, Setup: func(s *testSetup) {
		s.Cashier.Config.Limits = map[string]cashier.Limits{"SEK": twoPersonLimits()}
	}})
	cl, _, acc := funded(t, lv, "anna@example.com", "40000")
	// The 7 000 first: the payouts of 24 hours count together, and after the 6 000
	// it would need two approvals (13 000).
	approved := requestPayout(t, cl, "7000", acc.ID)
	denied := requestPayout(t, cl, "6000", acc.ID)
	double := requestPayout(t, cl, "12000", acc.ID)
	other := requestPayout(t, cl, "8000", acc.ID)
	op, _ := lv.staffSignedIn("op@example.com", staff.RoleOperator)

	page := op.get(orderPath(denied)).wantStatus(http.StatusOK)
	backs := page.find(func(n *html.Node) bool { return attr(n, "name") == "back" && attr(n, "value") == orderPath(denied) })
	if len(backs) != 2 {
		t.Errorf("%d order-page forms say back=%s; want the approve and the deny form", len(backs), orderPath(denied))
	}
	back := func(id int64) url.Values { return url.Values{"back": {orderPath(id)}} }
	withReason := func(v url.Values, reason string) url.Values { v.Set("reason", reason); return v }

	op.submit(denyPath(denied), withReason(back(denied), " ")).wantRedirect(orderPath(denied))
	if got := op.get(orderPath(denied)).text("flash"); got != "Say why the payout is denied." {
		t.Errorf("deny without a reason: flash %q", got)
	}
	op.submit(denyPath(denied), withReason(back(denied), "not the player's account")).wantRedirect(orderPath(denied))
	if got := op.get(orderPath(denied)).text("flash"); !strings.HasPrefix(got, fmt.Sprintf("Payout %d denied", denied)) {
		t.Errorf("deny: flash %q", got)
	}
	op.submit(approvePath(approved), withReason(back(approved), "ok")).wantRedirect(orderPath(approved))

	reason := "salary slips seen"
	op.submit(approvePath(double), withReason(back(double), reason)).
		wantRedirect("/admin/reauth?next=" + url.QueryEscape(orderPath(double)))
	op.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {orderPath(double)}}).wantRedirect(orderPath(double))
	if got := op.get(orderPath(double)).value("order-approve-reason"); got != reason {
		t.Errorf("order page after the re-authentication: reason %q; want %q", got, reason)
	}

	for _, b := range []string{"https://evil.example/admin", "//evil.example/admin", "/cashier", orderPath(denied),
		"/admin/orders/" + strconv.FormatInt(other, 10) + "/../../../cashier", ""} {
		op.submit(denyPath(other), url.Values{"back": {b}, "reason": {""}}).wantRedirect(approvalsPath)
	}
}

func twoPersonLimits() cashier.Limits {
	m := func(major int64) models.Money { return models.Money{Minor: major * 100, Currency: "SEK"} }
	return cashier.Limits{MinDeposit: m(10), MaxDeposit: m(50000), MinPayout: m(10), MaxPayout: m(20000),
		ApprovalAbove: m(5000), TwoPersonAbove: m(10000), QuickPicks: []models.Money{m(100)}}
}

// staffByEmail loads a staff account.
func (a *testApp) staffByEmail(email string) staff.Member {
	a.t.Helper()
	var m staff.Member
	if err := a.DB.Where("email = ?", email).Take(&m).Error; err != nil {
		a.t.Fatal(err)
	}
	return m
}

// TestStaffPasswordChange: a member changes their password on /admin/password
// with their current password and code; this browser stays signed in, another of
// theirs is signed out, and the new password signs in. A wrong current password is
// shown on the form, with nothing changed.
func TestStaffPasswordChange(t *testing.T) {
	ta := newTestApp(t)
	cl, m := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	other := ta.client()
	other.staffSignIn("op@example.com", testPassword, "")
	secret := cl.get("/admin/2fa").text("totp-secret")
	base := time.Now()
	cl.submit("/admin/2fa", url.Values{"code": {totpCode(t, secret, base.Add(-30*time.Second))}}).wantRedirect("/admin")

	page := cl.get("/admin/password").wantStatus(http.StatusOK)
	if !page.has("code") || !page.has("current") || !page.has("new-password") {
		t.Fatal("the password form lacks the current password, the code or the new password")
	}
	r := cl.submit("/admin/password", url.Values{"current": {"not my password"}, "code": {totpCode(t, secret, base)},
		"password": {"a new password 1"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "current password or code is wrong") {
		t.Errorf("a wrong current password: %d; want 422 with the reason", r.Status)
	}
	cl.submit("/admin/password", url.Values{"current": {testPassword}, "code": {totpCode(t, secret, base)},
		"password": {"a new password 1"}}).wantRedirect("/admin")
	if !strings.Contains(cl.get("/admin").wantStatus(http.StatusOK).Body, "Your password is changed") {
		t.Error("no flash after the change")
	}
	other.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")
	var audit []staff.Audit
	ta.DB.Where("event = ? AND subject_id = ?", staff.EventPasswordChanged, m.ID).Find(&audit)
	if len(audit) != 1 || audit[0].StaffID != m.ID {
		t.Errorf("audit %+v; want one row by the member", audit)
	}
	ta.client().staffSignIn("op@example.com", "a new password 1", totpCode(t, secret, base.Add(30*time.Second)))
}

// TestStaffTemporaryPassword: an owner gives a member who forgot their password a
// temporary one: the member's sessions end; signed in with it, every page but
// their own account's sends them to choose their own, and once they have, the back
// office is theirs again and the temporary password no longer works. An owner
// cannot set their own this way, nor a short one.
func TestStaffTemporaryPassword(t *testing.T) {
	ta := newTestApp(t)
	owner, ownerMember := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
	op, opMember := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	opPath := "/admin/staff/" + strconv.FormatInt(opMember.ID, 10) + "/password"

	if n := len(owner.get("/admin/staff").wantStatus(http.StatusOK).byTestID("temporary-password-form")); n != 1 {
		t.Errorf("%d temporary password forms; want 1 (the operator's, not the owner's own)", n)
	}
	owner.staffReauth(testPassword, "")
	for _, r := range []*testResponse{
		owner.submit("/admin/staff/"+strconv.FormatInt(ownerMember.ID, 10)+"/password", url.Values{"password": {"a temporary one 1"}}),
		owner.submit(opPath, url.Values{"password": {"short"}}),
	} {
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("own or short temporary password: %d; want 422", r.Status)
		}
	}
	op.submit(opPath, url.Values{"password": {"a temporary one 1"}}).wantStatus(http.StatusForbidden)

	owner.submit(opPath, url.Values{"password": {"a temporary one 1"}}).wantRedirect("/admin/staff")
	op.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")
	var audit []staff.Audit
	ta.DB.Where("event = ? AND subject_id = ?", staff.EventPasswordReset, opMember.ID).Find(&audit)
	if len(audit) != 1 || audit[0].StaffID != ownerMember.ID {
		t.Errorf("audit %+v; want one row by the owner", audit)
	}

	back := ta.client()
	back.staffSignIn("op@example.com", "a temporary one 1", "")
	for _, path := range []string{"/admin", "/admin/transactions", "/admin/approvals"} {
		back.get(path).wantRedirect("/admin/password")
	}
	back.submit("/admin/approvals/1/deny", url.Values{"reason": {"x"}}).wantRedirect("/admin/password")
	if page := back.get("/admin/password").wantStatus(http.StatusOK); !page.has("password-temporary") {
		t.Error("the password page does not say why the member is there")
	}
	back.submit("/admin/password", url.Values{"current": {"a temporary one 1"}, "password": {"my own password 1"}}).wantRedirect("/admin")
	back.get("/admin").wantStatus(http.StatusOK)
	if r := ta.client().submit("/admin/login", url.Values{"email": {"op@example.com"}, "password": {"a temporary one 1"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("the temporary password after the change: %d; want 422", r.Status)
	}
	ta.client().staffSignIn("op@example.com", "my own password 1", "")
}

// TestPasswordChecksRateLimited: changing a password, and a staff member's
// re-authentication, check the current password, so each signed-in account gets
// as many such tries a minute as signing in allows (here 3, shared by a member's
// password change and re-authentication), then 429; another account from the same
// address is not held up by it.
func TestPasswordChecksRateLimited(t *testing.T) {
	ta := newTestApp(t, func(s *testSetup) { s.Web.LoginLimit = 3 })
	player, _ := ta.signedIn("anna@example.com")
	other, _ := ta.signedIn("bert@example.com")
	staffer, _ := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	wrong := url.Values{"current": {"not my password"}, "password": {"a new password 1"}}
	reauth := url.Values{"password": {"not my password"}, "next": {"/admin"}}
	var got []int
	for range 4 {
		got = append(got, player.submit("/profile/password", wrong).Status)
	}
	got = append(got, staffer.submit("/admin/password", wrong).Status, staffer.submit("/admin/password", wrong).Status,
		staffer.submit("/admin/reauth", reauth).Status, staffer.submit("/admin/reauth", reauth).Status,
		other.submit("/profile/password", wrong).Status)
	want := []int{422, 422, 422, 429, 422, 422, 422, 429, 422}
	if !slices.Equal(got, want) {
		t.Errorf("statuses %v; want %v", got, want)
	}
}

// TestStaffManagementNeedsReauth: every change to staff accounts needs a
// re-authentication in the last five minutes. Without one, each form sends the
// owner to re-authenticate and back to the Staff page, and changes nothing, so a
// stolen owner session alone creates no owner and takes over no account; after
// one, each works; five minutes later they need another.
func TestStaffManagementNeedsReauth(t *testing.T) {
	clock := &testClock{now: time.Now()}
	ta := newTestApp(t, func(s *testSetup) { s.Web.Staff.Now = clock.Now })
	ctx := context.Background()
	owner, _ := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
	other := ta.staff("owner2@example.com", staff.RoleOwner)
	enrol, err := ta.Svc.StartTOTP(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ta.Svc.ConfirmTOTP(ctx, other, totpCode(t, enrol.Secret, time.Now())); err != nil {
		t.Fatal(err)
	}
	other = ta.staffByEmail(other.Email)
	otherPath := "/admin/staff/" + strconv.FormatInt(other.ID, 10)
	steps := []struct {
		path  string
		form  url.Values
		flash string
	}{
		{"/admin/staff", url.Values{"email": {"backdoor@example.com"}, "password": {"attacker password 1"}, "role": {"owner"}},
			"backdoor@example.com can now sign in as owner."},
		{otherPath + "/reset-2fa", nil, "owner2@example.com is signed out and sets up a second factor again"},
		{otherPath + "/password", url.Values{"password": {"attacker password 2"}}, "owner2@example.com has the temporary password"},
		{otherPath + "/role", url.Values{"role": {"viewer"}}, "owner2@example.com is now viewer."},
		{otherPath + "/disable", nil, "owner2@example.com is disabled and signed out."},
		{otherPath + "/enable", nil, "owner2@example.com is enabled."},
	}
	refused := func(when string, accounts int64) {
		t.Helper()
		var audits, backdoors int64
		ta.DB.Model(&staff.Audit{}).Count(&audits)
		for _, s := range steps {
			r := owner.submit(s.path, s.form)
			if loc := r.Header.Get("Location"); r.Status != http.StatusSeeOther || loc != "/admin/reauth?next=%2Fadmin%2Fstaff" {
				t.Errorf("POST %s %s: %d to %q; want 303 to /admin/reauth?next=%%2Fadmin%%2Fstaff", s.path, when, r.Status, loc)
			}
		}
		ta.DB.Model(&staff.Member{}).Where("email = ?", "backdoor@example.com").Count(&backdoors)
		if backdoors != accounts {
			t.Errorf("%s: %d accounts backdoor@example.com; want %d", when, backdoors, accounts)
		}
		if got := ta.staffByEmail(other.Email); got != other {
			t.Errorf("%s: the other owner changed:\n%+v\nwas\n%+v", when, got, other)
		}
		var after int64
		if ta.DB.Model(&staff.Audit{}).Count(&after); after != audits {
			t.Errorf("%s: %d audit rows written; want none", when, after-audits)
		}
	}
	refused("without re-authenticating", 0)

	owner.get("/admin/reauth?next=%2Fadmin%2Fstaff").wantStatus(http.StatusOK)
	owner.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {"/admin/staff"}}).wantRedirect("/admin/staff")
	for _, s := range steps {
		owner.submit(s.path, s.form).wantRedirect("/admin/staff")
		if flash := owner.get("/admin/staff").text("flash"); !strings.HasPrefix(flash, s.flash) {
			t.Errorf("POST %s after re-authenticating: flash %q; want %q", s.path, flash, s.flash)
		}
	}
	if m := ta.staffByEmail("backdoor@example.com"); m.Role != staff.RoleOwner {
		t.Errorf("the account created after re-authenticating: role %s; want owner", m.Role)
	}
	if m := ta.staffByEmail(other.Email); m.Role != staff.RoleViewer || m.Disabled || m.TOTPEnabled || !m.MustChangePassword {
		t.Errorf("the other owner after the changes: %+v; want a viewer, enabled, without a second factor, on a temporary password", m)
	}

	clock.Advance(reauthWindow + time.Second)
	other, steps = ta.staffByEmail(other.Email), steps[1:] // backdoor@example.com exists now
	refused("five minutes after re-authenticating", 1)
}

// TestStaffFormKeptAcrossReauth: adding a staff member without a recent
// re-authentication sends the owner to confirm their password and back to the
// Staff page, whose form shows once the email and role they sent. The password is
// never kept: neither the session nor the page holds it, and the owner types it
// again. No account exists until the form is sent again.
func TestStaffFormKeptAcrossReauth(t *testing.T) {
	ta := newTestApp(t)
	owner, _ := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
	sent := url.Values{"email": {"new@example.com"}, "password": {"a new password 1"}, "role": {"finance"}}
	accounts := func() int64 { return ta.countRows(&staff.Member{}, "email = ?", sent.Get("email")) }

	owner.submit(staffPath, sent).wantRedirect("/admin/reauth?next=%2Fadmin%2Fstaff")
	want := map[string]string{"email": sent.Get("email"), "role": sent.Get("role")}
	if v := ta.staffValues(owner); v.Kept == nil || !maps.Equal(v.Kept.Values, want) {
		t.Errorf("kept in the session %+v; want %v and no password", v.Kept, want)
	}
	owner.submit("/admin/reauth", url.Values{"password": {testPassword}, "next": {staffPath}}).wantRedirect(staffPath)
	if n := accounts(); n != 0 {
		t.Fatalf("%d accounts %s after the re-authentication alone; want 0", n, sent.Get("email"))
	}

	form := owner.get(staffPath).wantStatus(http.StatusOK)
	if email, role, password := form.value("new-email"), form.value("new-role"), form.value("new-password"); email != sent.Get("email") ||
		role != sent.Get("role") || password != "" || strings.Contains(form.Body, sent.Get("password")) {
		t.Errorf("the form after the re-authentication: email %q, role %q, password %q; want %q, %q and no password",
			email, role, password, sent.Get("email"), sent.Get("role"))
	}
	if again := owner.get(staffPath); again.value("new-email") != "" || again.value("new-role") != string(staff.RoleViewer) {
		t.Errorf("the form shown again: email %q, role %q; want a new form", again.value("new-email"), again.value("new-role"))
	}
	owner.submit(staffPath, url.Values{"email": {form.value("new-email")}, "password": {sent.Get("password")},
		"role": {form.value("new-role")}}).wantRedirect(staffPath)
	if m := ta.staffByEmail(sent.Get("email")); m.Role != staff.RoleFinance {
		t.Errorf("the account added: role %s; want finance", m.Role)
	}
}

// TestStaffCodesLockedPerAccount: wrong codes after the right password count
// against the account, whatever address they come from: after five, even the right
// code is refused, with the same sentence, for fifteen minutes, and a WARN line
// names the member and the address (never the email, password or code). After the
// lock the right code signs in; a correct sign-in starts the count again. Every
// failed sign-in and re-authentication is logged at WARN with the factor that
// failed. (Its 14 failed sign-ins in two minutes would also meet the account's
// budget of failed sign-ins, TestStaffSignInLimitPerAccount, which is raised here
// to see the code lock alone.)
func TestStaffCodesLockedPerAccount(t *testing.T) {
	clock := &testClock{now: time.Now()}
	ta := newTestApp(t, func(s *testSetup) {
		s.Web.LoginLimit = 3
		s.Web.TrustedProxies = []string{"0.0.0.0/8"}
		s.Cashier.Now, s.Web.Staff.Now = clock.Now, clock.Now
		s.Cashier.Config.SignInFailures = 20
	})
	cl, m := ta.staffSignedIn("op@example.com", staff.RoleOperator)
	secret := cl.get("/admin/2fa").text("totp-secret")
	cl.submit("/admin/2fa", url.Values{"code": {totpCode(t, secret, clock.Now())}}).wantRedirect("/admin")
	// wrong is a code none of the steps around now accepts.
	wrong := func() string {
		for _, c := range []string{"000000", "111111", "222222", "333333"} {
			if !slices.Contains([]string{totpCode(t, secret, clock.Now().Add(-30*time.Second)), totpCode(t, secret, clock.Now()),
				totpCode(t, secret, clock.Now().Add(30*time.Second))}, c) {
				return c
			}
		}
		panic("unreachable")
	}
	browser := ta.client()
	signIn := func(ip, code string) *testResponse {
		return browser.submitFrom(ip, "/admin/login", url.Values{"email": {m.Email}, "password": {testPassword}, "code": {code}})
	}
	refused := func(r *testResponse, what string) {
		t.Helper()
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Email, password or code is wrong.") {
			t.Fatalf("%s: %d; want 422 with the sign-in's one sentence", what, r.Status)
		}
	}
	failures := func(n int, from int) {
		t.Helper()
		for i := range n {
			refused(signIn(fmt.Sprintf("203.0.113.%d", from+i), wrong()), "a wrong code")
		}
	}

	failures(4, 1)
	clock.Advance(30 * time.Second)
	signIn("198.51.100.1", totpCode(t, secret, clock.Now())).wantRedirect("/admin")
	failures(4, 11) // the count started again at the correct sign-in: not locked
	clock.Advance(30 * time.Second)
	signIn("198.51.100.2", totpCode(t, secret, clock.Now())).wantRedirect("/admin")

	failures(5, 21)
	clock.Advance(30 * time.Second)
	refused(signIn("198.51.100.3", totpCode(t, secret, clock.Now())), "the right code after five wrong ones")
	cl.submit("/admin/reauth", url.Values{"password": {testPassword}, "code": {totpCode(t, secret, clock.Now())}, "next": {"/admin"}}).
		wantStatus(http.StatusUnprocessableEntity)
	logs := ta.Logs.String()
	locked := fmt.Sprintf(`msg="staff codes locked after wrong codes" staff_id=%d failures=5`, m.ID)
	if strings.Count(logs, locked) != 1 || !strings.Contains(logs, "ip=203.0.113.25 request_id=") {
		t.Errorf("want one lock line, from 203.0.113.25, in the log:\n%s", logs)
	}

	clock.Advance(staff.CodeLockout - time.Minute)
	refused(signIn("198.51.100.4", totpCode(t, secret, clock.Now())), "the right code during the lock")
	clock.Advance(time.Minute + time.Second)
	signIn("198.51.100.5", totpCode(t, secret, clock.Now())).wantRedirect("/admin")

	// The log: every failure at WARN, with what failed, and no secret.
	refused(ta.client().submitFrom("203.0.113.99", "/admin/login", url.Values{"email": {m.Email}, "password": {"not the password"}}), "a wrong password")
	logs = ta.Logs.String()
	for _, want := range []string{
		`attempt=sign-in factor=password ip=203.0.113.99 request_id=`,
		`attempt=sign-in factor=code ip=203.0.113.1 request_id=`,
		`attempt=sign-in factor=code-locked ip=198.51.100.3 request_id=`,
		`attempt=re-authentication factor=code-locked ip=`,
	} {
		if !strings.Contains(logs, `level=WARN msg="staff authentication failed" `+want) {
			t.Errorf("log lacks a WARN line with %q", want)
		}
	}
	for _, secret := range []string{m.Email, testPassword, "not the password", wrong()} {
		for line := range strings.Lines(logs) {
			if strings.Contains(line, "staff authentication failed") && strings.Contains(line, secret) {
				t.Errorf("a failure log line holds %q: %s", secret, line)
			}
		}
	}
}

// TestStaffAddedChoosesOwnPassword: a member an owner adds on the Staff page signs
// in with the password the owner typed and is sent to choose their own before any
// other page, told why; after it, the owner's choice no longer signs in.
func TestStaffAddedChoosesOwnPassword(t *testing.T) {
	ta := newTestApp(t)
	owner, _ := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
	owner.staffReauth(testPassword, "")
	owner.submit("/admin/staff", url.Values{"email": {"new@example.com"}, "password": {"the owner's choice 1"}, "role": {"operator"}}).
		wantRedirect("/admin/staff")
	if m := ta.staffByEmail("new@example.com"); m.ID == 0 || !m.MustChangePassword {
		t.Fatalf("added member %+v; want a temporary password", m)
	}
	if hint := owner.get("/admin/staff").wantStatus(http.StatusOK).text("new-password-hint"); !strings.Contains(hint, "chooses their own") {
		t.Error("the Staff page's form does not say the member chooses their own password")
	}

	member := ta.client()
	member.staffSignIn("new@example.com", "the owner's choice 1", "")
	for _, path := range []string{"/admin", "/admin/transactions", "/admin/approvals"} {
		member.get(path).wantRedirect("/admin/password")
	}
	if page := member.get("/admin/password").wantStatus(http.StatusOK); !page.has("password-temporary") {
		t.Error("the password page does not say why the member is there")
	}
	member.submit("/admin/password", url.Values{"current": {"the owner's choice 1"}, "password": {"the member's own 1"}}).wantRedirect("/admin")
	member.get("/admin/transactions").wantStatus(http.StatusOK)
	if r := ta.client().submit("/admin/login", url.Values{"email": {"new@example.com"}, "password": {"the owner's choice 1"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("the owner's choice after the member's own: %d; want 422", r.Status)
	}
}
