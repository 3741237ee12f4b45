package handlers

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
)

// This file is the one bridge between gorilla/sessions (net/http) and Fiber
// (fasthttp): the store supplies the cookie options and the securecookie codecs,
// and the session is encoded and decoded with those codecs directly.

const (
	sessionCookie = "cashier_session"
	// sessionMaxAge is how long a sign-in lasts, counted from the sign-in
	// (sessionValues.Since) however active the session is. The cookie's own time,
	// which the codecs check too, is renewed by every write (the idle clock moves
	// Seen once a minute), so it bounds only a cookie nobody uses.
	sessionMaxAge = 12 * 60 * 60
)

// sessionValues is everything the cashier remembers about a browser between
// requests. The cookie is signed and encrypted; the player is loaded from the
// database on each request that needs them, so the cookie decides only who it is,
// and only while its Version is the player's SessionVersion. A value that is zero
// is left out of the JSON (omitempty), as absent keys read as zero: the cookie goes
// with every request, and an empty message, no Pay N Play orders and version 0
// made a signed-in player's 64 characters longer (476, 412 without). Both
// layouts read the same in this version and the one before
// (TestSessionCookieBothWays).
type sessionValues struct {
	PlayerID int64       `json:",omitempty"` // 0: nobody is signed in
	Role     models.Role `json:",omitempty"` // the role at sign-in; a changed role signs the player out
	Version  int64       `json:",omitempty"` // the player's SessionVersion at sign-in; a raised one signs the player out
	// ID is random and new at every sign-in; a visitor's session gets one when a
	// page first shows it a form. CSRF tokens are bound to it (csrfBinding).
	ID    string `json:",omitempty"`
	Flash string `json:",omitempty"` // a one-time message for the next page
	// PrevID is the ID this browser's session had before its latest sign-in and,
	// when that was a visitor's after a signed-in session ended, a space and that
	// session's EndedID: a form whose token is bound to one of them was loaded
	// before the player signed in again (errSignedInAgain). "" when there was none.
	PrevID string `json:",omitempty"`
	// EndedID is the ID of the signed-in session that ended in this browser
	// (signed out, idle, ended elsewhere) and made this visitor's session, whose ID
	// is new: no token of the ended session works for any form, and one sent with
	// such a token leads to signing in again rather than to "form expired"
	// (errCSRFEnded). Sign-in moves it into PrevID.
	EndedID string `json:",omitempty"`
	// Seen is when the signed-in browser was last active (Unix seconds), kept to
	// the minute; a session idle for longer than the store's idle timeout ends.
	// 0 in cookies from before it was kept: counted from their next request.
	Seen int64 `json:",omitempty"`
	// Since is when this browser signed in (Unix seconds, the store's clock); a
	// signed-in session ends sessionMaxAge after it, however active. 0 in cookies
	// from before it was kept: counted from their next request.
	Since int64 `json:",omitempty"`
	// PayNPlay holds the MessageIDs of the Pay N Play orders this browser started,
	// newest last, space-separated (at most maxPayNPlayBound). Only a browser
	// holding an order's id is signed in by it, and only as the player its kyc
	// named; a sign-in keeps them, but the order that signs the browser in is
	// dropped from them.
	PayNPlay string `json:",omitempty"`
	// Responsible gaming (rg.go): when the session's first page was shown after
	// sign-in, and when the reality check was last acknowledged, in Unix seconds.
	SignedInAt, CheckedAt int64 `json:",omitempty"`
	// BankAt is when the Pay N Play sign-in that made this session, or last signed
	// this browser in again, happened (the service's clock, Unix seconds): the bank
	// login stands in for the current password a player without one cannot type,
	// and the form to choose an email and a password works only within
	// cashier.BankSignInWindow of it. Only payNPlayReturn sets it; 0 otherwise.
	BankAt int64 `json:",omitempty"`
	// WithdrawOnly marks a withdraw-only session (cashier.Access): the national
	// register ExcludedBy excluded the player when they signed in. Only signIn sets
	// them, from the sign-in's Access, and nothing clears them: a session stays
	// withdraw-only until it ends, and only a new sign-in that the register allows
	// opens a full one.
	WithdrawOnly bool   `json:",omitempty"`
	ExcludedBy   string `json:",omitempty"`
	// Returned holds the result pages ("/deposit/success?order=…") of the newest
	// deposits and account selections this browser was shown one of (Trustly's
	// checkout sends it there when it is done), space-separated, newest last: their
	// checkout pages, where Back leads, show those pages again rather than the
	// checkout (cameBack).
	Returned string `json:",omitempty"`
	// LoginEmail is the email a registration just typed, for the sign-in page's
	// field, once (takeLoginEmail): the new player types only the password.
	LoginEmail string `json:",omitempty"`
}

// access is what this session's sign-in opened.
func access(c *fiber.Ctx) cashier.Access {
	v := session(c)
	return cashier.Access{WithdrawOnly: v.WithdrawOnly, Register: v.ExcludedBy}
}

// sessionStore reads and writes the session cookie.
//
// The values are serialized as JSON: gorilla's default, gob, sends its type
// description with every value, which made decoding the cookie cost more than the
// rest of a page. Cookies written as gob before are still read, with the same keys
// and the same checks, until they expire or are written again.
type sessionStore struct {
	store  *sessions.CookieStore
	legacy []securecookie.Codec // the same keys with gob, for cookies written before JSON
	// staffCodecs sign and encrypt the staff cookie (admin_session.go); staff are
	// its settings.
	staffCodecs []securecookie.Codec
	staff       StaffSettings
	// deviceCodecs sign and encrypt the known-device cookies (known_device.go).
	deviceCodecs []securecookie.Codec
	// idle ends a signed-in session after this long without a request; 0: never
	// (the cookie's sessionMaxAge still applies).
	idle time.Duration
	now  func() time.Time
	// decoded remembers the cookies already read (decode).
	decoded *decodedCookies
	// csrf signs the CSRF tokens of this store's sessions (middleware.go).
	csrf *csrfTokens
}

// jsonCodecs sign and encrypt a cookie of our own (the staff session, a known
// device) with keys, as JSON, and decode none older than maxAge seconds.
func jsonCodecs(keys SessionKeys, maxAge int) []securecookie.Codec {
	codecs := securecookie.CodecsFromPairs(keys.Hash, keys.Block)
	for _, c := range codecs {
		c.(*securecookie.SecureCookie).SetSerializer(securecookie.JSONEncoder{})
		c.(*securecookie.SecureCookie).MaxAge(maxAge)
	}
	return codecs
}

func newSessionStore(keys SessionKeys, secure bool) *sessionStore {
	store := sessions.NewCookieStore(keys.Hash, keys.Block)
	store.Options = &sessions.Options{Path: "/", MaxAge: sessionMaxAge, HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode}
	store.MaxAge(sessionMaxAge) // sets the codecs' MaxAge too: older cookies do not decode
	legacy := securecookie.CodecsFromPairs(keys.Hash, keys.Block)
	for i, c := range store.Codecs {
		c.(*securecookie.SecureCookie).SetSerializer(securecookie.JSONEncoder{})
		legacy[i].(*securecookie.SecureCookie).MaxAge(sessionMaxAge)
	}
	return &sessionStore{store: store, legacy: legacy, staffCodecs: jsonCodecs(keys, staffMaxAge), deviceCodecs: jsonCodecs(keys, deviceMaxAge), staff: StaffSettings{}.withDefaults(), now: time.Now,
		decoded: &decodedCookies{m: map[string]decodedSession{}}, csrf: newCSRFTokens(keys.Hash)}
}

// cookieName is the name of the site-wide cookie name (Path=/) in this store's
// browsers: over https "__Host-" name, which browsers take only from this very
// host, Secure, with Path=/ and no Domain. A sibling subdomain or the parent domain
// can set cookies for this host, but never a __Host- one, so it cannot plant a
// session or CSRF token of its choosing here (cookie tossing; a login CSRF with
// the attacker's own session and token). Plain http has no such prefix. The
// session cookie's signature still covers sessionCookie, so a cookie reads the
// same under either name.
func (s *sessionStore) cookieName(name string) string {
	if s != nil && s.store.Options.Secure {
		return "__Host-" + name
	}
	return name
}

// errCookieExpired is a remembered cookie past its MaxAge.
var errCookieExpired = errors.New("session cookie expired")

// decode reads a cookie value into v, written as JSON or, before that, as gob.
//
// A browser sends the same cookie with every page, and verifying and decrypting
// it was a tenth of a signed-in page's work: a cookie read once is remembered
// with its values and its own time, and read again from memory while that time is
// within its MaxAge, as securecookie would check. Only cookies that verified are
// remembered; whether their player may still be signed in is the database's
// answer on every request (signedInPlayer), not the cookie's.
func (s *sessionStore) decode(raw string, v *sessionValues) error {
	got, err := s.read(raw)
	*v = got
	return err
}

// read is decode returning the values, which a cookie remembered gives without an
// allocation: decode's v, whose address goes to securecookie, was on the heap
// for every request.
func (s *sessionStore) read(raw string) (sessionValues, error) {
	if d, ok := s.decoded.get(raw); ok {
		if d.stamp < time.Now().Unix()-sessionMaxAge {
			return sessionValues{}, errCookieExpired
		}
		return d.v, nil
	}
	var v sessionValues
	err := securecookie.DecodeMulti(sessionCookie, raw, &v, s.store.Codecs...)
	if err != nil {
		v = sessionValues{}
		err = securecookie.DecodeMulti(sessionCookie, raw, &v, s.legacy...)
	}
	if err == nil {
		if stamp, ok := cookieStamp(raw); ok {
			s.decoded.put(strings.Clone(raw), decodedSession{v: v, stamp: stamp}) // raw may be Fiber's buffer
		}
	}
	return v, err
}

// cookieStamp is the time securecookie wrote into a cookie it encoded (Unix
// seconds), which its MaxAge counts from: the cookie is base64 of
// "time|value|mac".
func cookieStamp(raw string) (int64, bool) {
	b, err := base64.URLEncoding.DecodeString(raw)
	if err != nil {
		return 0, false
	}
	head, _, ok := bytes.Cut(b, []byte("|"))
	if !ok {
		return 0, false
	}
	stamp, err := strconv.ParseInt(string(head), 10, 64)
	return stamp, err == nil
}

// decodedMax bounds how many cookies decodedCookies remembers: a few hundred
// bytes each.
const decodedMax = 4096

// decodedCookies remembers verified session cookies and their values; when full,
// an arbitrary one is forgotten for each new one.
type decodedCookies struct {
	mu sync.Mutex
	m  map[string]decodedSession
}

type decodedSession struct {
	v     sessionValues
	stamp int64 // the cookie's own time (cookieStamp)
}

func (d *decodedCookies) get(raw string) (decodedSession, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[raw]
	return v, ok
}

func (d *decodedCookies) put(raw string, v decodedSession) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.m[raw]; !ok && len(d.m) >= decodedMax {
		for k := range d.m {
			delete(d.m, k)
			break
		}
	}
	d.m[raw] = v
}

func (d *decodedCookies) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.m)
}

// Locals keys of this file.
const (
	sessionStoreKey  = "handlers.sessionStore"
	sessionValuesKey = "handlers.session"
)

// msgIdleSignedOut is the one-time message after a session ended for idleness.
const msgIdleSignedOut = "You were logged out after a while without activity. Log in again to go on."

// middleware makes the store available to the helpers below for this request,
// and keeps a signed-in session's clocks: a session idle past s.idle, or signed
// in more than sessionMaxAge ago, ends here, before any handler sees it, and an
// active one has Seen moved on (at most once a minute, so that not every request
// rewrites the cookie).
func (s *sessionStore) middleware(c *fiber.Ctx) error {
	c.Locals(sessionStoreKey, s)
	v := session(c)
	if v.PlayerID == 0 {
		return c.Next()
	}
	now := s.now().Unix()
	switch {
	case s.idleEnded(v):
		// A form of the open pages sent now leads to signing in again, back to it
		// (EndedID); no token of the session works any more.
		if err := endSession(c, tr(c, "session.idle")); err != nil {
			return err
		}
	case s.lifetimeEnded(v):
		// The page to sign in says the session ended (redirectToLogin).
		if err := endSession(c, ""); err != nil {
			return err
		}
	case v.Since == 0 || (s.idle > 0 && now-v.Seen >= 60):
		if v.Since == 0 {
			v.Since = now
		}
		if s.idle > 0 {
			v.Seen = now
		}
		if err := saveSession(c, v); err != nil {
			return err
		}
	}
	return c.Next()
}

// idleEnded reports whether the signed-in session v was idle past s.idle.
func (s *sessionStore) idleEnded(v sessionValues) bool {
	return s.idle > 0 && v.Seen != 0 && s.now().Unix()-v.Seen > int64(s.idle/time.Second)
}

// lifetimeEnded reports whether the signed-in session v was signed in more than
// sessionMaxAge ago.
func (s *sessionStore) lifetimeEnded(v sessionValues) bool {
	return v.Since != 0 && s.now().Unix()-v.Since > sessionMaxAge
}

func storeOf(c *fiber.Ctx) *sessionStore {
	s, _ := c.Locals(sessionStoreKey).(*sessionStore)
	return s
}

// session returns this request's session values. A missing, expired or tampered
// cookie is an empty session: nobody signed in.
func session(c *fiber.Ctx) sessionValues {
	if v, ok := c.Locals(sessionValuesKey).(sessionValues); ok {
		return v
	}
	var v sessionValues
	if s := storeOf(c); s != nil {
		if raw := c.Cookies(s.cookieName(sessionCookie)); raw != "" {
			var err error
			if v, err = s.read(raw); err != nil {
				v = sessionValues{}
			}
		}
	}
	c.Locals(sessionValuesKey, v)
	return v
}

// saveSession writes v into the cookie.
func saveSession(c *fiber.Ctx, v sessionValues) error {
	s := storeOf(c)
	if s == nil {
		return nil // a route without sessions
	}
	encoded, err := securecookie.EncodeMulti(sessionCookie, v, s.store.Codecs...)
	if err != nil {
		return err
	}
	c.Locals(sessionValuesKey, v)
	c.Cookie(s.cookie(encoded, s.store.Options.MaxAge))
	return nil
}

func (s *sessionStore) cookie(value string, maxAge int) *fiber.Cookie {
	o := s.store.Options
	ck := &fiber.Cookie{Name: s.cookieName(sessionCookie), Value: value, Path: o.Path, Domain: o.Domain, MaxAge: maxAge,
		Secure: o.Secure, HTTPOnly: o.HttpOnly, SameSite: fiber.CookieSameSiteLaxMode}
	if maxAge < 0 {
		ck.MaxAge, ck.Expires = 0, time.Unix(0, 0)
	}
	return ck
}

// signIn starts a fresh session for player with what the sign-in opened (a
// withdraw-only one for a player the national register excludes): new values and a
// new id, nothing kept from what the browser had before but its id (and the
// EndedID before it), as PrevID, and the Pay N Play orders it started
// (sessionValues.PayNPlay). The CSRF tokens of the session before do not work in
// this one (PrevID only picks the sentence they are refused with); the response
// carries a token of the new one.
func signIn(c *fiber.Ctx, player models.Player, access cashier.Access) error {
	c.Locals(playerKey, player)
	c.Locals(localizerKey, nil)
	if lang.Supported(player.Language) {
		setLangCookie(c, player.Language)
	}
	v := sessionValues{PlayerID: player.ID, Role: player.Role, Version: player.SessionVersion,
		ID: newSessionID(), WithdrawOnly: access.WithdrawOnly}
	v.PrevID = strings.TrimSpace(session(c).ID + " " + session(c).EndedID)
	// The Pay N Play orders this browser started stay its own: a checkout under
	// way in another tab returns to a page that says how it went, not "page not
	// found". They sign in no one but the player their kyc named (payNPlayReturn).
	v.PayNPlay = session(c).PayNPlay
	if access.WithdrawOnly {
		v.ExcludedBy = access.Register
	}
	if s := storeOf(c); s != nil {
		v.Seen = s.now().Unix()
		v.Since = v.Seen
		setWayIn(c, s, player)
	}
	if err := saveSession(c, v); err != nil {
		return err
	}
	csrfTokenFor(c, playerCSRF)
	return nil
}

// newSessionID is a random session ID (sessionValues.ID, staffValues.ID).
func newSessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// wayInCookie remembers for a year how this browser last signed in, so that a
// browser whose session has ended is sent where its player can sign in again: a
// Pay N Play player has no password and signs in with the bank on the start page
// of their market ("bank:FI"), anyone else with a password ("password"). The
// session cannot tell once it has ended (the cookie expired, was signed out
// elsewhere or cannot be read), and the market's mode cannot either (a hybrid
// market has both kinds). It is a hint, not a credential: it names no one, and a
// changed value only shows another of the public sign-in pages.
const wayInCookie = "cashier_way_in"

// setWayIn keeps how player signed in as this browser's wayInCookie.
func setWayIn(c *fiber.Ctx, s *sessionStore, player models.Player) {
	way := "password"
	if player.PasswordHash == "" {
		way = "bank:" + player.Country
	}
	c.Cookie(&fiber.Cookie{Name: wayInCookie, Value: way, Path: "/", MaxAge: 365 * 24 * 60 * 60,
		Secure: s.store.Options.Secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

// bankWayIn reports whether this browser last signed in with the bank, and the
// market it did so in ("" when not one of ours).
func bankWayIn(c *fiber.Ctx) (market string, ok bool) {
	rest, ok := strings.CutPrefix(c.Cookies(wayInCookie), "bank:")
	if !ok {
		return "", false
	}
	if _, known := models.Markets[rest]; !known {
		rest = ""
	}
	return rest, true
}

// signOut deletes this browser's session cookie. A copy of the cookie elsewhere
// still names the player: ending the session for good is the service's
// EndSessions.
func signOut(c *fiber.Ctx) {
	c.Locals(sessionValuesKey, sessionValues{})
	c.Locals(playerKey, nil)
	if s := storeOf(c); s != nil {
		c.Cookie(s.cookie("", -1))
	}
}

// endSession ends the signed-in session in this browser (signing out, idle, ended
// elsewhere): the cookie becomes a visitor's with a new ID and flash for the next
// page, and the response carries a CSRF token of the new session. No token of the
// ended session works for any form any more, a visitor's either (signing in,
// registering, a language, Pay N Play); its ID is kept as EndedID only so that
// such a form, left open in another tab, leads to signing in again.
func endSession(c *fiber.Ctx, flash string) error {
	ended := session(c).ID
	if session(c).PlayerID == 0 {
		ended = session(c).EndedID // ended already: a visitor's ID has no signed-in forms
	}
	signOut(c)
	if err := saveSession(c, sessionValues{ID: newSessionID(), EndedID: ended, Flash: flash}); err != nil {
		return err
	}
	csrfTokenFor(c, playerCSRF)
	return nil
}

// setFlash keeps message for the next page shown.
func setFlash(c *fiber.Ctx, message string) error {
	v := session(c)
	v.Flash = message
	return saveSession(c, v)
}

// takeLoginEmail returns the email a registration left for the sign-in page's
// field and removes it from the session.
func takeLoginEmail(c *fiber.Ctx) string {
	v := session(c)
	if v.LoginEmail == "" {
		return ""
	}
	email := v.LoginEmail
	v.LoginEmail = ""
	if err := saveSession(c, v); err != nil {
		return ""
	}
	return email
}

// takeFlash returns the one-time message and removes it from the session.
func takeFlash(c *fiber.Ctx) string {
	v := session(c)
	if v.Flash == "" {
		return ""
	}
	message := v.Flash
	v.Flash = ""
	if v == (sessionValues{}) {
		signOut(c) // nothing left worth a cookie
	} else if err := saveSession(c, v); err != nil {
		return ""
	}
	return message
}

// maxPayNPlayBound is how many Pay N Play orders a browser's session remembers:
// enough for a player who starts again from another tab, few enough for a cookie.
const maxPayNPlayBound = 3

// bindPayNPlay remembers in this browser's session that it started the Pay N Play
// order messageID; call it before sending the browser to the order's checkout.
func bindPayNPlay(c *fiber.Ctx, messageID string) error {
	v := session(c)
	ids := append(strings.Fields(v.PayNPlay), messageID)
	if len(ids) > maxPayNPlayBound {
		ids = ids[len(ids)-maxPayNPlayBound:]
	}
	v.PayNPlay = strings.Join(ids, " ")
	return saveSession(c, v)
}

// boundPayNPlay reports whether this browser started the Pay N Play order messageID.
func boundPayNPlay(c *fiber.Ctx, messageID string) bool {
	return messageID != "" && slices.Contains(strings.Fields(session(c).PayNPlay), messageID)
}

// unbindPayNPlay forgets the order messageID in this browser's session.
func unbindPayNPlay(c *fiber.Ctx, messageID string) error {
	v := session(c)
	ids := slices.DeleteFunc(strings.Fields(v.PayNPlay), func(id string) bool { return id == messageID })
	v.PayNPlay = strings.Join(ids, " ")
	if v == (sessionValues{}) {
		signOut(c)
		return nil
	}
	return saveSession(c, v)
}
