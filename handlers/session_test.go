package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestSessionCookieFormats: cookies are written as JSON, cookies written as gob
// before still read, and a cookie under other keys or altered reads as nobody.
func TestSessionCookieFormats(t *testing.T) {
	keys := SessionKeys{Hash: bytes.Repeat([]byte{1}, 32), Block: bytes.Repeat([]byte{2}, 32)}
	s := newSessionStore(keys, false)
	want := sessionValues{PlayerID: 42, Role: models.RolePlayer, ID: "abc", Flash: "Saved."}

	written, err := securecookie.EncodeMulti(sessionCookie, want, s.store.Codecs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := securecookie.DecodeMulti(sessionCookie, written, &sessionValues{}, s.legacy...); err == nil {
		t.Error("a new cookie reads as gob; want JSON")
	}
	gob, err := securecookie.EncodeMulti(sessionCookie, want, securecookie.CodecsFromPairs(keys.Hash, keys.Block)...)
	if err != nil {
		t.Fatal(err)
	}
	other, err := securecookie.EncodeMulti(sessionCookie, want, securecookie.CodecsFromPairs(bytes.Repeat([]byte{3}, 32), keys.Block)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, raw string
		ok        bool
	}{
		{"json", written, true},
		{"gob, written before json", gob, true},
		{"other keys", other, false},
		{"altered", written[:len(written)-2] + "AA", false},
		{"empty", "", false},
	} {
		var got sessionValues
		err := s.decode(tt.raw, &got)
		if (err == nil) != tt.ok || (tt.ok && got != want) {
			t.Errorf("%s: got %+v, %v; want %+v, ok %t", tt.name, got, err, want, tt.ok)
		}
	}
}

// TestSessionCookieBothWays: the session's JSON leaves out the values that are
// zero (no one-time message, no Pay N Play orders, version 0), which had made the
// cookie every request carries 64 characters longer; a cookie of the layout before,
// with every key, reads as it did, and a cookie of this layout reads the same in
// the version before, so that neither an upgrade nor instances of both versions
// side by side sign anyone out.
func TestSessionCookieBothWays(t *testing.T) {
	keys := SessionKeys{Hash: bytes.Repeat([]byte{1}, 32), Block: bytes.Repeat([]byte{2}, 32)}
	// previous is sessionValues as the version before wrote it.
	type previous struct {
		PlayerID int64
		Role     models.Role
		Version  int64
		ID       string
		Flash    string
		PrevID   string `json:",omitempty"`
		// EndedID came after, as LoginEmail did: the version before drops it, and
		// refuses a token of a session signed out as any other (errFormExpired).
		EndedID               string `json:",omitempty"`
		Seen                  int64
		Since                 int64 `json:",omitempty"` // came after, as EndedID
		PayNPlay              string
		SignedInAt, CheckedAt int64  `json:",omitempty"`
		BankAt                int64  `json:",omitempty"`
		WithdrawOnly          bool   `json:",omitempty"`
		ExcludedBy            string `json:",omitempty"`
		Returned              string `json:",omitempty"`
		// LoginEmail came after: the version before it drops it from a cookie
		// (encoding/json ignores a key it has no field for), and the test's
		// conversions need the same fields.
		LoginEmail string `json:",omitempty"`
	}
	for _, v := range []sessionValues{
		{PlayerID: 42, Role: models.RolePlayer, ID: "abc", PrevID: "def", Seen: 1700000000, SignedInAt: 1700000000},
		{PlayerID: 42, Role: models.RolePlayer, Version: 3, ID: "abc", Flash: "Saved.", Seen: 1700000000, PayNPlay: "m1 m2"},
		{ID: "visitor"},
	} {
		codecs := newSessionStore(keys, false).store.Codecs
		old, err := securecookie.EncodeMulti(sessionCookie, previous(v), codecs...)
		if err != nil {
			t.Fatal(err)
		}
		var got sessionValues
		if err := newSessionStore(keys, false).decode(old, &got); err != nil || got != v {
			t.Errorf("a cookie of the layout before: %+v, %v; want %+v", got, err, v)
		}
		written, err := securecookie.EncodeMulti(sessionCookie, v, codecs...)
		if err != nil {
			t.Fatal(err)
		}
		var before previous
		if err := securecookie.DecodeMulti(sessionCookie, written, &before, codecs...); err != nil || sessionValues(before) != v {
			t.Errorf("the version before reads %+v, %v; want %+v", before, err, v)
		}
		if len(written) > len(old) {
			t.Errorf("%+v: cookie of %d characters; the layout before had only %d", v, len(written), len(old))
		}
	}
	j, err := json.Marshal(sessionValues{PlayerID: 42, Role: models.RolePlayer, ID: "abc", Seen: 1700000000})
	if err != nil || string(j) != `{"PlayerID":42,"Role":"player","ID":"abc","Seen":1700000000}` {
		t.Errorf("session JSON %s, %v; want only the values that are not zero", j, err)
	}
}

// TestLogoutEndsEveryCopy: after signing out, a copy of the cookie taken before is
// refused, and so is the session of another device; the ended cookie cannot sign
// out a later session. For players and staff alike, each with their own cookie.
func TestLogoutEndsEveryCopy(t *testing.T) {
	for _, tt := range []struct {
		role, page, login, logout, cookie string
	}{{"player", "/cashier", "/login", "/logout", sessionCookie}, {"staff", "/admin", "/admin/login", "/admin/logout", staffCookie}} {
		t.Run(tt.role, func(t *testing.T) {
			ta := newTestApp(t)
			email, toLogin := "anna@example.com", tt.login+"?next="+url.QueryEscape(tt.page)
			signIn := func(cl *testClient) { cl.signIn(email, testPassword) }
			if tt.role == "staff" {
				ta.staff(email, staff.RoleViewer)
				signIn = func(cl *testClient) { cl.staffSignIn(email, testPassword, "") }
			} else {
				ta.player(email)
			}
			device, other, stolen := ta.client(), ta.client(), ta.client()
			signIn(device)
			signIn(other)
			copied := device.cookie(tt.cookie).Value
			stolen.setCookie(tt.cookie, copied)
			stolen.get(tt.page).wantStatus(http.StatusOK)

			device.submit(tt.logout, nil).wantRedirect(tt.login)
			device.get(tt.page).wantRedirect(toLogin)
			stolen.get(tt.page).wantRedirect(toLogin)
			other.get(tt.page).wantRedirect(toLogin)

			again := ta.client()
			signIn(again)
			stolen.setCookie(tt.cookie, copied)
			// Refused (the browser's token is of the visitor's session its ended copy
			// left it, since signing out makes a new ID) or sent to sign in.
			if r := stolen.submit(tt.logout, nil); r.Status != http.StatusForbidden &&
				(r.Status != http.StatusSeeOther || r.Header.Get("Location") != tt.login) {
				t.Errorf("sign-out with the ended cookie: %d to %q; want 403 or 303 to %s", r.Status, r.Header.Get("Location"), tt.login)
			}
			again.get(tt.page).wantStatus(http.StatusOK)
		})
	}
}

// TestSessionsEndAcrossInstances: the session version lives in the database, so a
// sign-out on one instance, EndSessions (what blocking a player calls) and a new
// admin password end the session on another instance, on SQLite and PostgreSQL.
func TestSessionsEndAcrossInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		shared := func(s *testSetup) { s.Cashier.DB = db }
		a, b := newTestApp(t, shared), newTestApp(t, shared)
		player := a.player("anna@example.com")
		if err := a.Svc.EnsureOwner(context.Background(), "boss@example.com", testPassword); err != nil {
			t.Fatal(err)
		}
		// signedInOnB signs in on instance a and returns a browser of instance b with
		// that cookie, checked to work there.
		signedInOnB := func(email, page string) *testClient {
			t.Helper()
			cl := a.client()
			cl.signIn(email, testPassword)
			other := b.client()
			other.setCookie(sessionCookie, cl.cookie(sessionCookie).Value)
			other.get(page).wantStatus(http.StatusOK)
			return other
		}

		onB := signedInOnB("anna@example.com", "/cashier")
		first := a.client()
		first.signIn("anna@example.com", testPassword)
		first.submit("/logout", nil).wantRedirect("/login")
		onB.get("/cashier").wantRedirect("/login?next=%2Fcashier")

		onB = signedInOnB("anna@example.com", "/cashier")
		if err := a.Svc.EndSessions(context.Background(), player.ID); err != nil {
			t.Fatal(err)
		}
		onB.get("/cashier").wantRedirect("/login?next=%2Fcashier")
		if err := a.Svc.EndSessions(context.Background(), 1<<40); !errors.Is(err, cashier.ErrPlayerNotFound) {
			t.Errorf("EndSessions(unknown player) = %v; want ErrPlayerNotFound", err)
		}

		// Staff: a new owner password in the configuration ends the owner's session.
		cl := a.client()
		cl.staffSignIn("boss@example.com", testPassword, "")
		onB = b.client()
		onB.setCookie(staffCookie, cl.cookie(staffCookie).Value)
		onB.get("/admin").wantStatus(http.StatusOK)
		if err := a.Svc.EnsureOwner(context.Background(), "boss@example.com", testPassword); err != nil {
			t.Fatal(err)
		}
		onB.get("/admin").wantStatus(http.StatusOK) // the same password ends nothing
		if err := a.Svc.EnsureOwner(context.Background(), "boss@example.com", "a new password 2"); err != nil {
			t.Fatal(err)
		}
		onB.get("/admin").wantRedirect("/admin/login?next=%2Fadmin")
	})
}

// TestSessionCookieRemembered: a session cookie read once is read again from
// memory, to the same values, and only while the cookie itself is valid: one past
// its MaxAge is refused even when remembered, an altered one is never
// remembered, and the memory stays bounded.
func TestSessionCookieRemembered(t *testing.T) {
	keys := SessionKeys{Hash: bytes.Repeat([]byte{1}, 32), Block: bytes.Repeat([]byte{2}, 32)}
	s := newSessionStore(keys, false)
	want := sessionValues{PlayerID: 42, Role: models.RolePlayer, Version: 3, ID: "abc", Seen: 1700000000}
	raw, err := securecookie.EncodeMulti(sessionCookie, want, s.store.Codecs...)
	if err != nil {
		t.Fatal(err)
	}
	stamp, ok := cookieStamp(raw)
	if now := time.Now().Unix(); !ok || stamp < now-5 || stamp > now {
		t.Fatalf("cookieStamp = %d, %t; want about %d", stamp, ok, now)
	}
	for i := range 2 {
		var got sessionValues
		if err := s.decode(raw, &got); err != nil || got != want {
			t.Fatalf("read %d: %+v, %v; want %+v", i, got, err, want)
		}
		if _, ok := s.decoded.get(raw); !ok {
			t.Fatalf("read %d: the cookie is not remembered", i)
		}
	}

	// Remembered, but past its MaxAge: refused, as securecookie would refuse it.
	s.decoded.put(raw, decodedSession{v: want, stamp: time.Now().Unix() - sessionMaxAge - 1})
	if err := s.decode(raw, &sessionValues{}); err == nil {
		t.Error("a remembered cookie past its MaxAge was accepted")
	}

	altered := raw[:len(raw)-2] + "AA"
	if err := s.decode(altered, &sessionValues{}); err == nil {
		t.Fatal("an altered cookie was accepted")
	}
	if _, ok := s.decoded.get(altered); ok {
		t.Error("an altered cookie is remembered")
	}

	for i := range decodedMax + 10 {
		v := want
		v.ID = strconv.Itoa(i)
		raw, err := securecookie.EncodeMulti(sessionCookie, v, s.store.Codecs...)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.decode(raw, &sessionValues{}); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.decoded.len(); n > decodedMax {
		t.Errorf("%d cookies remembered; want at most %d", n, decodedMax)
	}
}
