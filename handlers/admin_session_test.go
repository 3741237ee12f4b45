package handlers

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/trustly-cashier/cashier/cashier/staff"
)

// TestKeptFormBounded: a form sent without a recent re-authentication is kept in
// the staff cookie only while it is small: no field longer than the form's
// maxlength allows (500 UTF-16 code units, as the browser counts them) and a
// cookie the browser keeps (under 4 KB). A form that does not fit is not kept, and
// the form kept before it is gone too (one at a time); either way the member goes
// to confirm their password, signed in as before.
func TestKeptFormBounded(t *testing.T) {
	ta := newTestApp(t)
	fin, _ := ta.staffSignedIn("fin@example.com", staff.RoleFinance)
	for _, tt := range []struct {
		what   string
		reason string
		kept   bool
	}{
		{"500 three-byte characters", strings.Repeat("€", 500), true},
		{"501 characters", strings.Repeat("a", 501), false},
		{"250 characters outside the BMP (500 code units)", strings.Repeat("😀", 250), true},
		{"251 characters outside the BMP (502 code units)", strings.Repeat("😀", 251), false},
		{"a reason with an ampersand", "paid twice & asked for it back", true},
		{"500 ampersands (3 000 bytes of JSON)", strings.Repeat("&", 500), false},
		{"500 characters", strings.Repeat("a", 500), true},
	} {
		r := fin.submit(refundPath(1), url.Values{"amount": {"100"}, "reason": {tt.reason}, "token": {"ref-0"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/admin/reauth?next=%2Fadmin%2Forders%2F1%2Frefund" {
			t.Errorf("%s: %d to %q; want 303 to the re-authentication", tt.what, r.Status, r.Header.Get("Location"))
			continue
		}
		if c := r.cookie(staffCookie); c == nil || len(c.Name)+1+len(c.Value) > 4096 {
			t.Errorf("%s: staff cookie %v; want one of at most 4 096 bytes", tt.what, c)
		}
		v := ta.staffValues(fin)
		if v.StaffID == 0 {
			t.Fatalf("%s: signed out", tt.what)
		}
		if got := v.Kept != nil && v.Kept.Values["reason"] == tt.reason; got != tt.kept || (!tt.kept && v.Kept != nil) {
			t.Errorf("%s: kept %+v; want kept %t", tt.what, v.Kept, tt.kept)
		}
	}
}

// TestKeptFormEndsWithTheSession: the form kept across the re-authentication is
// the member's alone: signing out drops it, and neither their next sign-in nor
// another member's sign-in in the same browser starts with it.
func TestKeptFormEndsWithTheSession(t *testing.T) {
	ta := newTestApp(t)
	cl, _ := ta.staffSignedIn("fin@example.com", staff.RoleFinance)
	other := ta.staff("other@example.com", staff.RoleFinance)
	sent := url.Values{"amount": {"100"}, "reason": {"the player's circumstances"}}
	keep := func() {
		t.Helper()
		cl.submit(refundPath(1), sent).wantRedirect("/admin/reauth?next=%2Fadmin%2Forders%2F1%2Frefund")
		if v := ta.staffValues(cl); v.Kept == nil || v.Kept.Values["reason"] != sent.Get("reason") {
			t.Fatalf("kept %+v; want the form sent", v.Kept)
		}
	}

	keep()
	cl.submit("/admin/logout", nil).wantRedirect("/admin/login")
	if v := ta.staffValues(cl); v.Kept != nil {
		t.Errorf("after signing out: kept %+v; want none", v.Kept)
	}
	cl.staffSignIn("fin@example.com", testPassword, "")
	if v := ta.staffValues(cl); v.Kept != nil {
		t.Errorf("signed in again: kept %+v; want none", v.Kept)
	}

	keep()
	cl.staffSignIn("other@example.com", testPassword, "")
	if v := ta.staffValues(cl); v.Kept != nil || v.StaffID != other.ID {
		t.Errorf("another member signed in over the session: staff %d, kept %+v; want %d, with none", v.StaffID, v.Kept, other.ID)
	}
}

// TestStaffIdleSignOutSaysSo: the sign-in page a member is sent to after the idle
// timeout ended their session says so, once, whether the request was a page or a
// form; a plain visit to the sign-in page, and a session ended for another reason
// (disabled), say nothing of it. The sentence travels in the session, never in
// the address, which stays the local ?next= it was.
func TestStaffIdleSignOutSaysSo(t *testing.T) {
	const said = "You were signed out after 10 minutes without activity."
	clock := &testClock{now: time.Now()}
	ta := newTestApp(t, func(s *testSetup) { s.Web.Staff = StaffSettings{Idle: 10 * time.Minute, Now: clock.Now} })
	owner, _ := ta.staffSignedIn("owner@example.com", staff.RoleOwner)
	op, m := ta.staffSignedIn("op@example.com", staff.RoleOperator)

	if r := ta.client().get("/admin/login").wantStatus(http.StatusOK); r.has("flash") {
		t.Errorf("a plain visit to the sign-in page: %q; want no message", r.text("flash"))
	}
	clock.Advance(11 * time.Minute)
	op.get("/admin/approvals").wantRedirect("/admin/login?next=%2Fadmin%2Fapprovals")
	if got := op.get("/admin/login?next=%2Fadmin%2Fapprovals").wantStatus(http.StatusOK).text("flash"); got != said {
		t.Errorf("the sign-in page after the idle timeout: %q; want %q", got, said)
	}
	if r := op.get("/admin/login?next=%2Fadmin%2Fapprovals"); r.has("flash") {
		t.Errorf("the sign-in page again: %q; want the message shown once", r.text("flash"))
	}

	op.staffSignIn("op@example.com", testPassword, "")
	clock.Advance(11 * time.Minute)
	op.submit("/admin/players/1/notes", url.Values{"note": {"idle"}}).wantRedirect("/admin/login")
	if got := op.get("/admin/login").text("flash"); got != said {
		t.Errorf("the sign-in page after a form sent idle: %q; want %q", got, said)
	}

	op.staffSignIn("op@example.com", testPassword, "")
	owner.staffSignIn("owner@example.com", testPassword, "")
	owner.staffReauth(testPassword, "")
	owner.submit("/admin/staff/"+strconv.FormatInt(m.ID, 10)+"/disable", nil).wantRedirect("/admin/staff")
	op.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")
	if r := op.get("/admin/login?next=%2Fadmin"); r.has("flash") {
		t.Errorf("the sign-in page after being disabled: %q; want no idle message", r.text("flash"))
	}
}

// TestStaffMaxAgeSignOutSaysSo: the sign-in page a member is sent to when their
// session ends twelve hours after sign-in, however active, says so, once, as the
// idle end says its own, whether the request was a page or a form; a session of
// an older version, whose sign-in time nobody knows, ends without it.
func TestStaffMaxAgeSignOutSaysSo(t *testing.T) {
	const said = "You were signed out 12 hours after signing in; please sign in again."
	clock := &testClock{now: time.Now()}
	ta := newTestApp(t, func(s *testSetup) { s.Web.Staff = StaffSettings{Idle: 8 * time.Hour, Now: clock.Now} })
	op, m := ta.staffSignedIn("op@example.com", staff.RoleOperator)

	clock.Advance(7 * time.Hour)
	op.get("/admin").wantStatus(http.StatusOK)
	clock.Advance(5*time.Hour + time.Second)
	op.get("/admin/approvals").wantRedirect("/admin/login?next=%2Fadmin%2Fapprovals")
	if got := op.get("/admin/login?next=%2Fadmin%2Fapprovals").wantStatus(http.StatusOK).text("flash"); got != said {
		t.Errorf("the sign-in page twelve hours after signing in: %q; want %q", got, said)
	}
	if r := op.get("/admin/login?next=%2Fadmin%2Fapprovals"); r.has("flash") {
		t.Errorf("the sign-in page again: %q; want the message shown once", r.text("flash"))
	}

	op.staffSignIn("op@example.com", testPassword, "")
	clock.Advance(7 * time.Hour)
	op.get("/admin").wantStatus(http.StatusOK)
	clock.Advance(5*time.Hour + time.Second)
	op.submit("/admin/players/1/notes", url.Values{"note": {"late"}}).wantRedirect("/admin/login")
	if got := op.get("/admin/login").text("flash"); got != said {
		t.Errorf("the sign-in page after a form sent twelve hours after signing in: %q; want %q", got, said)
	}

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
	if r := forged.get("/admin/login?next=%2Fadmin"); r.has("flash") {
		t.Errorf("the sign-in page after a session without its sign-in time: %q; want no message", r.text("flash"))
	}
}

// TestIdleText: the idle timeout as the sign-in page says it, over the range
// CASHIER_ADMIN_IDLE allows (1m–8h).
func TestIdleText(t *testing.T) {
	for _, tt := range []struct {
		in   time.Duration
		want string
	}{{time.Minute, "1 minute"}, {15 * time.Minute, "15 minutes"}, {time.Hour, "1 hour"},
		{90 * time.Minute, "1 hour 30 minutes"}, {121 * time.Minute, "2 hours 1 minute"}, {8 * time.Hour, "8 hours"},
		{90 * time.Second, "1m30s"}} {
		if got := idleText(tt.in); got != tt.want {
			t.Errorf("idleText(%s) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
