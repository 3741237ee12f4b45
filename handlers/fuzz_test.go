package handlers

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
	"github.com/valyala/fasthttp"
)

// FuzzSessionCookie feeds cookie values to the session and staff cookie decoding
// and checks that it never panics and that a value decodes only when it carries a
// valid HMAC-SHA256 under the store's hash key for that cookie's name, checked here
// from securecookie's format (base64 of "date|value|mac", the mac over
// "name|date|value") rather than with securecookie: no signature, no signed-in
// session. Fresh cookies (JSON, gob, staff) are added at run time, as committed ones
// would expire; the committed seeds in testdata/fuzz/FuzzSessionCookie are altered,
// foreign-keyed and malformed values.
func FuzzSessionCookie(f *testing.F) {
	keys := SessionKeys{Hash: bytes.Repeat([]byte{1}, 32), Block: bytes.Repeat([]byte{2}, 32)}
	s := newSessionStore(keys, false)
	player := sessionValues{PlayerID: 42, Role: models.RolePlayer, Version: 3, ID: "abc", Seen: time.Now().Unix()}
	for _, codecs := range [][]securecookie.Codec{s.store.Codecs, s.legacy} {
		raw, err := securecookie.EncodeMulti(sessionCookie, player, codecs...)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	staff, err := securecookie.EncodeMulti(staffCookie, staffValues{StaffID: 7}, s.staffCodecs...)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(staff)
	f.Fuzz(func(t *testing.T, raw string) {
		var v sessionValues
		if err := s.decode(raw, &v); err == nil && !signedCookie(keys.Hash, sessionCookie, raw) {
			t.Fatalf("cookie %q decodes to %+v without a valid signature", raw, v)
		}
		var sv staffValues
		if err := securecookie.DecodeMulti(staffCookie, raw, &sv, s.staffCodecs...); err == nil && !signedCookie(keys.Hash, staffCookie, raw) {
			t.Fatalf("staff cookie %q decodes to %+v without a valid signature", raw, sv)
		}
	})
}

// signedCookie reports whether raw is securecookie's "date|value|mac" in base64 with
// mac the HMAC-SHA256 under hashKey of "name|date|value".
func signedCookie(hashKey []byte, name, raw string) bool {
	b, err := base64.URLEncoding.DecodeString(raw)
	if err != nil {
		return false
	}
	parts := bytes.SplitN(b, []byte("|"), 3)
	if len(parts) != 3 {
		return false
	}
	mac := hmac.New(sha256.New, hashKey)
	mac.Write([]byte(name + "|"))
	mac.Write(parts[0])
	mac.Write([]byte("|"))
	mac.Write(parts[1])
	return hmac.Equal(mac.Sum(nil), parts[2])
}

// FuzzTxFilter feeds the transactions filter form, as a query string through Fiber,
// to txForm and txFilter (the back office's hand-written form parsing) and checks
// that they never panic and that what is accepted is valid: kinds and states from
// their lists, a positive player id, a known currency, dates at midnight in the
// member's zone, amounts not negative. The filter must also survive its own links:
// formQuery's query string reads back to the same form and filter, and a page
// cursor for any order reads back to that order's keyset.
// Seeds: testdata/fuzz/FuzzTxFilter.
func FuzzTxFilter(f *testing.F) {
	app := fiber.New()
	form := func(query string, zone *time.Location) (f cashierForm) {
		ctx := &fasthttp.RequestCtx{}
		ctx.Request.SetRequestURI(transactionsPath + "?" + query)
		c := app.AcquireCtx(ctx)
		defer app.ReleaseCtx(c)
		in := txForm(c, zone)
		f.in = in
		f.filter, f.err = txFilter(in, zone)
		return f
	}
	f.Fuzz(func(t *testing.T, kind, status, player, currency, from, to, minimum, maximum, search, zoneName string, id, nanos int64) {
		zone, ok := loadZone(zoneName)
		if !ok {
			zone = time.UTC
		}
		q := url.Values{"kind": {kind}, "status": {status}, "player": {player}, "currency": {currency}, "from": {from},
			"to": {to}, "min": {minimum}, "max": {maximum}, "q": {search}}
		got := form(q.Encode(), zone)
		if got.err != nil {
			return
		}
		tf := got.filter
		midnight := func(d time.Time) bool {
			d = d.In(zone)
			return d.IsZero() || d.Hour() == 0 && d.Minute() == 0 && d.Second() == 0 && d.Nanosecond() == 0
		}
		switch {
		case tf.Kind != "" && !slices.Contains(cashier.TxKinds, tf.Kind),
			tf.Status != "" && !slices.Contains(cashier.TxStatuses, tf.Status),
			tf.PlayerID < 0 || (tf.PlayerID == 0) != (got.in.Player == ""),
			tf.Currency != "" && !models.ValidCurrency(tf.Currency),
			!midnight(tf.From) || !midnight(tf.To),
			tf.MinMinor != nil && *tf.MinMinor < 0 || tf.MaxMinor != nil && *tf.MaxMinor < 0:
			t.Fatalf("query %q accepted as %+v", q.Encode(), tf)
		}
		again := form(formQuery(got.in).Encode(), zone)
		if again.err != nil || again.in != got.in || !reflect.DeepEqual(again.filter, tf) {
			t.Fatalf("query %q: form %+v, filter %+v; its link %q reads %+v, %+v, %v",
				q.Encode(), got.in, tf, formQuery(got.in).Encode(), again.in, again.filter, again.err)
		}
		if id <= 0 {
			return
		}
		o := models.Order{ID: id, CreatedAt: time.Unix(0, nanos)}
		back := tf
		if err := readTxCursor(txCursor(tf, o), &back); err != nil || back.BeforeID != id ||
			tf.Dated() && !back.BeforeAt.Equal(o.CreatedAt) {
			t.Fatalf("cursor %q for order %d at %d in %+v: read %+v, %v", txCursor(tf, o), id, nanos, tf, back, err)
		}
	})
}

// cashierForm is one reading of the filter form.
type cashierForm struct {
	in     views.TxFilterForm
	filter cashier.TxFilter
	err    error
}

// FuzzReadTxCursor feeds ?before= values to readTxCursor and checks that it never
// panics and that what it accepts is a positive order id, dated exactly when the
// filter is, and that the cursor written for that keyset reads back to it.
// Seeds: testdata/fuzz/FuzzReadTxCursor.
func FuzzReadTxCursor(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string, dated bool) {
		var tf cashier.TxFilter
		if dated {
			tf.From = time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
		}
		got := tf
		if err := readTxCursor(text, &got); err != nil {
			return
		}
		if got.BeforeID <= 0 || !dated && !got.BeforeAt.IsZero() {
			t.Fatalf("cursor %q (dated %t) accepted as %+v", text, dated, got)
		}
		again := tf
		o := models.Order{ID: got.BeforeID, CreatedAt: got.BeforeAt}
		if err := readTxCursor(txCursor(tf, o), &again); err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("cursor %q reads %+v; its own cursor %q reads %+v, %v", text, got, txCursor(tf, o), again, err)
		}
	})
}
