package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/trustly-cashier/cashier/models"
)

// This file is the one bridge between gorilla/sessions (net/http) and Fiber
// (fasthttp): the store supplies the cookie options and the securecookie codecs,
// and the session is encoded and decoded with those codecs directly.

const (
	sessionCookie = "cashier_session"
	// sessionMaxAge is how long a sign-in lasts, counted from the last time the
	// cookie was written (sign-in, or a one-time message).
	sessionMaxAge = 12 * 60 * 60
)

// sessionValues is everything the cashier remembers about a browser between
// requests. The cookie is signed and encrypted; the player is loaded from the
// database on each request that needs them, so the cookie decides only who it is,
// and only while its Version is the player's SessionVersion.
type sessionValues struct {
	PlayerID int64       // 0: nobody is signed in
	Role     models.Role // the role at sign-in; a changed role signs the player out
	Version  int64       // the player's SessionVersion at sign-in; a raised one signs the player out
	ID       string      // random, new at every sign-in
	Flash    string      // a one-time message for the next page
	// Responsible gaming (rg.go): when the session's first page was shown after
	// sign-in, and when the reality check was last acknowledged, in Unix seconds.
	SignedInAt, CheckedAt int64 `json:",omitempty"`
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
	staffCodecs := securecookie.CodecsFromPairs(keys.Hash, keys.Block)
	for _, c := range staffCodecs {
		c.(*securecookie.SecureCookie).SetSerializer(securecookie.JSONEncoder{})
		c.(*securecookie.SecureCookie).MaxAge(staffMaxAge)
	}
	return &sessionStore{store: store, legacy: legacy, staffCodecs: staffCodecs, staff: StaffSettings{}.withDefaults()}
}

// decode reads a cookie value into v, written as JSON or, before that, as gob.
func (s *sessionStore) decode(raw string, v *sessionValues) error {
	err := securecookie.DecodeMulti(sessionCookie, raw, v, s.store.Codecs...)
	if err != nil {
		*v = sessionValues{}
		err = securecookie.DecodeMulti(sessionCookie, raw, v, s.legacy...)
	}
	return err
}

// Locals keys of this file.
const (
	sessionStoreKey  = "handlers.sessionStore"
	sessionValuesKey = "handlers.session"
)

// middleware makes the store available to the helpers below for this request.
func (s *sessionStore) middleware(c *fiber.Ctx) error {
	c.Locals(sessionStoreKey, s)
	return c.Next()
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
		if raw := c.Cookies(sessionCookie); raw != "" {
			if err := s.decode(raw, &v); err != nil {
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
	ck := &fiber.Cookie{Name: sessionCookie, Value: value, Path: o.Path, Domain: o.Domain, MaxAge: maxAge,
		Secure: o.Secure, HTTPOnly: o.HttpOnly, SameSite: fiber.CookieSameSiteLaxMode}
	if maxAge < 0 {
		ck.MaxAge, ck.Expires = 0, time.Unix(0, 0)
	}
	return ck
}

// signIn starts a fresh session for player: new values and a new id, nothing kept
// from what the browser had before.
func signIn(c *fiber.Ctx, player models.Player) error {
	b := make([]byte, 16)
	rand.Read(b)
	c.Locals(playerKey, player)
	return saveSession(c, sessionValues{PlayerID: player.ID, Role: player.Role, Version: player.SessionVersion,
		ID: hex.EncodeToString(b)})
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

// setFlash keeps message for the next page shown.
func setFlash(c *fiber.Ctx, message string) error {
	v := session(c)
	v.Flash = message
	return saveSession(c, v)
}

// takeFlash returns the one-time message and removes it from the session.
func takeFlash(c *fiber.Ctx) string {
	v := session(c)
	if v.Flash == "" {
		return ""
	}
	message := v.Flash
	v.Flash = ""
	if v.PlayerID == 0 {
		signOut(c) // nothing left worth a cookie
	} else if err := saveSession(c, v); err != nil {
		return ""
	}
	return message
}
