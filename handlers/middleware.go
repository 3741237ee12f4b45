package handlers

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/metrics"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/static"
)

// middleware holds the handlers that wrap routes. routes.go uses them by name:
// mw.csrf and mw.session on every page, mw.loginLimit on sign-in and registration,
// mw.orderLimit on every request that starts an order, requirePlayer on pages
// for signed-in players and requireStaff (admin_session.go) on the back office.
type middleware struct {
	log         *slog.Logger
	svc         *cashier.Service
	metrics     *metrics.Registry
	handleError fiber.ErrorHandler
	csp         string
	secure      bool
	base        *url.URL // Deps.BaseURL; nil: every host is served
	proxies     []netip.Prefix

	csrf       fiber.Handler
	session    fiber.Handler
	sessions   *sessionStore // session's store, for serverError's pages
	loginLimit fiber.Handler
	// passwordLimit bounds password checks per signed-in account; after
	// requirePlayer or requireStaff.
	passwordLimit fiber.Handler
	orderLimit    []fiber.Handler // per IP address, then per player; after requirePlayer
	static        fiber.Handler
}

func newMiddleware(d Deps, handleError fiber.ErrorHandler) *middleware {
	mw := &middleware{log: d.Log, svc: d.Service, metrics: d.Metrics, handleError: handleError, secure: d.Secure,
		csp: "default-src 'self'; frame-src " + d.TrustlyOrigin + "; frame-ancestors 'self'; form-action 'self'" +
			"; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; object-src 'none'"}
	if d.BaseURL != "" {
		mw.base, _ = url.Parse(strings.TrimRight(d.BaseURL, "/"))
	}
	for _, p := range d.TrustedProxies {
		prefix, _ := parsePrefix(p)
		mw.proxies = append(mw.proxies, prefix)
	}
	mw.csrf = mw.checkCSRF
	sessions := newSessionStore(d.SessionKeys, d.Secure)
	sessions.staff = d.Staff.withDefaults()
	sessions.idle = d.IdleTimeout
	mw.session, mw.sessions = sessions.middleware, sessions
	// The sign-in and password limiters count across instances when several may
	// share the database: on one instance's memory, n instances behind a balancer
	// would give a guesser n times the tries.
	var counts fiber.Storage
	if c := d.Service.SharedCounters(); c != nil {
		counts = c
	}
	mw.loginLimit = limiter.New(limiter.Config{
		Max:          d.LoginLimit,
		Expiration:   time.Minute,
		KeyGenerator: func(c *fiber.Ctx) string { return "login:" + mw.clientNetwork(c) },
		LimitReached: func(c *fiber.Ctx) error { return errTooManyAttempts },
		Storage:      counts,
	})
	// Password changes and staff re-authentication check the current password: as
	// many tries a minute per signed-in account as signing in allows per address.
	// It runs after the sign-in check, so only the account's own requests count.
	mw.passwordLimit = limiter.New(limiter.Config{
		Max:        d.LoginLimit,
		Expiration: time.Minute,
		KeyGenerator: func(c *fiber.Ctx) string {
			if m := currentStaff(c); m.ID != 0 {
				return "staff:" + strconv.FormatInt(m.ID, 10)
			}
			return "player:" + strconv.FormatInt(currentPlayer(c).ID, 10)
		},
		LimitReached: func(c *fiber.Ctx) error { return errTooManyAttempts },
		Storage:      counts,
	})
	// Order limits: the limiter's memory is this instance's, so with n instances
	// behind a balancer a player may start up to n times as many. Per address
	// every form sent counts (a script's bound); per player only the orders
	// started: a form refused for its amount gives its count back (orderCount).
	mw.orderLimit = []fiber.Handler{
		limiter.New(limiter.Config{Max: d.OrderLimitPerIP, Expiration: time.Minute, KeyGenerator: mw.clientNetwork,
			LimitReached: mw.ordersLimited("ip")}),
		newOrderCount(d.OrderLimit, time.Minute).handler(
			func(c *fiber.Ctx) string { return strconv.FormatInt(currentPlayer(c).ID, 10) },
			mw.ordersLimited("player")),
	}
	mw.static = staticFiles()
	return mw
}

// ordersLimited refuses an order over the limit of bucket ("ip" or "player") with a
// sentence for the player, and logs it with the player's id.
func (mw *middleware) ordersLimited(bucket string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		mw.log.LogAttrs(c.UserContext(), slog.LevelWarn, "order rate limit reached", slog.String("bucket", bucket),
			slog.Int64("player_id", currentPlayer(c).ID), slog.String("route", routeOf(c)),
			slog.String("request_id", requestID(c)))
		return errTooManyOrders
	}
}

// Locals keys of this file.
const (
	csrfContextKey = "handlers.csrf"
	playerKey      = "handlers.player"
	unmatchedKey   = "handlers.unmatched"
)

// requestID gives each request a random id, in the X-Request-ID response header,
// in every log line about it, on error pages and (through the request's context)
// in the audit rows staff actions write. An incoming X-Request-ID is not trusted.
func (mw *middleware) requestID(c *fiber.Ctx) error {
	setRequestID(c)
	return c.Next()
}

// setRequestID gives the request its id. The id is kept only in the request's
// context, where the audit rows read it, and requestID reads it from there.
func setRequestID(c *fiber.Ctx) {
	var b [8]byte
	rand.Read(b[:])
	var h [16]byte
	hex.Encode(h[:], b[:])
	id := string(h[:])
	c.Set(fiber.HeaderXRequestID, id)
	c.SetUserContext(staff.WithRequestID(c.UserContext(), id))
}

// withClientIP puts the client's address (clientIP) into the request's context,
// for the service's log lines about failed sign-ins, players' and staff's, and
// password checks.
func (mw *middleware) withClientIP(c *fiber.Ctx) error {
	c.SetUserContext(staff.WithClientIP(c.UserContext(), mw.clientIP(c)))
	return c.Next()
}

// requestID is the request's id (setRequestID); "" before it has one.
func requestID(c *fiber.Ctx) string {
	return staff.RequestID(c.UserContext())
}

// logRequests writes one line per request: method, route, status, duration and
// request id, and counts the request in the metrics (metricRoute). It never logs
// bodies, cookies, query strings or the notification token. Errors are turned
// into pages here, so the line has the final status. The line is at debug level:
// at info every page view and notification flooded the log; a 5xx is an error.
func (mw *middleware) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if err := mw.handleError(c, err); err != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	status, took := c.Response().StatusCode(), time.Since(start)
	mw.metrics.Request(metricMethod(c), metricRoute(c), status, took)
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	mw.log.LogAttrs(c.UserContext(), level, "request",
		slog.String("method", c.Method()),
		slog.String("route", routeOf(c)),
		slog.Int("status", status),
		slog.Float64("ms", float64(took.Microseconds())/1000),
		slog.String("request_id", requestID(c)))
	return nil
}

// hostExempt are the paths served on any host: Trustly's notifications, whose URL
// Trustly keeps as it was registered, and the health checks, which a load
// balancer asks by address.
var hostExempt = []string{"/trustly/notify/", healthPath, readyPath}

// canonicalHost redirects a request on another host than the base URL's to the
// same path there, so that a browser keeps one session cookie (the cookie of
// "localhost" is not sent to "127.0.0.1"). GET and HEAD get 302, anything else
// 307, which keeps the method.
func (mw *middleware) canonicalHost(c *fiber.Ctx) error {
	if mw.base == nil || strings.EqualFold(c.Hostname(), mw.base.Host) {
		return c.Next()
	}
	path := c.Path()
	for _, p := range hostExempt {
		if strings.HasPrefix(path, p) {
			return c.Next()
		}
	}
	status := fiber.StatusTemporaryRedirect
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		status = fiber.StatusFound
	}
	return c.Redirect(mw.base.Scheme+"://"+mw.base.Host+string(c.Request().URI().RequestURI()), status)
}

// notifyPath is the notification route; the last segment is a secret.
const notifyPath = "/trustly/notify/:token"

// routeOf names the request for logs: the route pattern when a route matched, the
// path for static files, unknown pages and requests refused before a route (routed), except that nothing under the
// notification path is ever logged as it came.
func routeOf(c *fiber.Ctx) string {
	path := c.Path()
	switch {
	case strings.HasPrefix(strings.ToLower(path), "/trustly/notify"):
		return notifyPath
	case c.Locals(unmatchedKey) != nil || !routed(c) || strings.HasPrefix(path, "/static/"):
		return path
	}
	return c.Route().Path
}

// recoverPanics turns a panic into an error with its stack, which the error handler
// logs with the request id.
func (mw *middleware) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return c.Next()
}

// securityHeaders sets the Content-Security-Policy and its companions on every
// response. The policy allows no inline script or style, frames only Trustly's
// checkout, and lets forms post only here: no page has a form for Trustly,
// whose checkout's own forms, in its frame, are under its policy, not ours.
func (mw *middleware) securityHeaders(c *fiber.Ctx) error {
	mw.setSecurityHeaders(c)
	return c.Next()
}

// serverError is the app's ErrorHandler, which sees only what the server refuses
// before the middleware runs (every other error becomes a page in logRequests): a
// malformed request, a body over BodyLimit, headers over the read buffer. Those
// error pages are HTML too, and get the security headers and a request id as every
// page does: without them any site could frame them. The session cookie is read
// (not written) as mw.session reads it, so that a signed-in player sees their
// navigation there too; a session idle past its end reads as nobody's.
func (mw *middleware) serverError(c *fiber.Ctx, err error) error {
	mw.setSecurityHeaders(c)
	if requestID(c) == "" {
		setRequestID(c)
	}
	if storeOf(c) == nil && mw.sessions != nil {
		c.Locals(sessionStoreKey, mw.sessions)
		if v := session(c); v.PlayerID != 0 && (mw.sessions.idleEnded(v) || mw.sessions.lifetimeEnded(v)) {
			c.Locals(sessionValuesKey, sessionValues{ID: v.ID})
		}
	}
	return mw.handleError(c, err)
}

func (mw *middleware) setSecurityHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentSecurityPolicy, mw.csp)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "strict-origin-when-cross-origin")
	c.Set(fiber.HeaderXFrameOptions, "SAMEORIGIN")
	if mw.secure {
		c.Set(fiber.HeaderStrictTransportSecurity, "max-age=31536000")
	}
}

// clientIP is the address the limiter counts by. Behind trusted proxies it is the
// right-most X-Forwarded-For address that is not one of them: addresses to its left
// were written by the client and could be anything. Several X-Forwarded-For lines
// are one list in their order (a proxy may add its own line below the client's).
func (mw *middleware) clientIP(c *fiber.Ctx) string {
	remote, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok || !mw.trusted(remote.Unmap()) {
		return c.Context().RemoteIP().String()
	}
	var hops []string
	for _, line := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(line), ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !mw.trusted(a.Unmap()) {
			return a.Unmap().String()
		}
	}
	return remote.Unmap().String()
}

// clientNetwork is what the limiters per address count by: an IPv4 client's
// address, and an IPv6 client's /64, the network one subscriber or server gets
// whole. Counted by its whole IPv6 address, one host could take a new address for
// every sign-in attempt and never reach a limit.
func (mw *middleware) clientNetwork(c *fiber.Ctx) string {
	ip := mw.clientIP(c)
	a, err := netip.ParseAddr(ip)
	if a = a.Unmap().WithZone(""); err != nil || !a.Is6() {
		return ip
	}
	p, _ := a.Prefix(64)
	return p.String()
}

func (mw *middleware) trusted(a netip.Addr) bool {
	for _, p := range mw.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// requirePlayer lets only signed-in people through and puts them in c.Locals for
// currentPlayer. Others are sent to sign in, and back here afterwards.
func requirePlayer(svc *cashier.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		player, err := signedInPlayer(c, svc)
		if err != nil {
			return err
		}
		if player.ID == 0 {
			return redirectToLogin(c)
		}
		c.Locals(realityCheckKey, svc) // responsible gaming: the reality check in chrome
		return c.Next()
	}
}

// signedInPlayer loads the session's player once per request; zero when nobody is
// signed in. A session whose player is gone or blocked, whose role changed or
// whose sessions were ended since (a raised SessionVersion) is ended (endSession).
func signedInPlayer(c *fiber.Ctx, svc *cashier.Service) (models.Player, error) {
	if p, ok := c.Locals(playerKey).(models.Player); ok {
		return p, nil
	}
	s := session(c)
	if s.PlayerID == 0 {
		return models.Player{}, nil
	}
	player, err := svc.Player(c.UserContext(), s.PlayerID)
	switch {
	case errors.Is(err, cashier.ErrPlayerNotFound) || (err == nil && (player.Role != s.Role || player.SessionVersion != s.Version || player.Blocked)):
		return models.Player{}, endSession(c, "")
	case err != nil:
		return models.Player{}, err
	}
	c.Locals(playerKey, player)
	return player, nil
}

// currentPlayer is the signed-in player on routes behind requirePlayer.
func currentPlayer(c *fiber.Ctx) models.Player {
	p, _ := c.Locals(playerKey).(models.Player)
	return p
}

// formPage is the page a form that needs a signed-in player is on, for coming
// back to it after signing in again, and the fields whose values come back with
// it in the page's query, which fills them in. A bank account's number is not
// among them: a URL stays in the browser's history.
type formPage struct {
	Path   string
	Fields []string
}

// formPages are the forms a player may send with a session that has ended, by
// the path they post to.
var formPages = map[string]formPage{
	"/deposit":              {"/cashier", []string{"amount"}},
	"/payout":               {"/payout", []string{"amount", "account"}},
	"/limits":               {"/limits", []string{"day", "week", "month"}},
	"/bank-accounts/new":    {"/bank-accounts/new", []string{"country", "bank"}},
	"/bank-accounts/select": {"/bank-accounts", nil},
	"/breaks":               {"/breaks", nil},
	"/profile/password":     {"/profile", nil},
}

// redirectToLogin sends someone who is not signed in to sign in, and back
// afterwards: to the page asked for, or for a form sent, to the page the form is
// on with the amount typed. Only this site's own paths are kept (localPath). A
// request that came with a session that has ended (expired, signed out
// elsewhere, or unreadable) says so on the sign-in page. A browser that last
// signed in with the bank (wayInCookie) has no password to type: it goes to the
// start page of its market instead, with the amount of a deposit form it sent.
func redirectToLogin(c *fiber.Ctx) error {
	market, bank := bankWayIn(c)
	if sessionEnded(c) && session(c).Flash == "" {
		id := "session.ended"
		if bank {
			id = "session.ended_bank"
		}
		if err := setFlash(c, tr(c, id)); err != nil {
			return err
		}
	}
	if bank {
		q := url.Values{}
		if market != "" {
			q.Set("market", market)
		}
		if c.Method() != fiber.MethodGet && c.Path() == "/deposit" {
			if amount := sentField(c, "amount"); amount != "" {
				q.Set("amount", amount)
			}
		}
		landing := "/"
		if len(q) > 0 {
			landing += "?" + q.Encode()
		}
		return c.Redirect(landing, fiber.StatusSeeOther)
	}
	next := c.OriginalURL()
	if c.Method() != fiber.MethodGet {
		var ok bool
		if next, ok = formPageURL(c, formPages); !ok {
			return c.Redirect("/login", fiber.StatusSeeOther)
		}
	}
	return c.Redirect("/login?next="+url.QueryEscape(localPath(next)), fiber.StatusSeeOther)
}

// visitorFormPages are the forms of visitors, by the path they post to, with the
// page each is on: a language chosen on the page of a refused one goes back there
// (here). What is typed into the registration stays out of the URL.
var visitorFormPages = map[string]formPage{
	"/register":         {"/register", nil},
	"/login":            {"/login", []string{"next"}},
	"/paynplay/deposit": {"/", []string{"market", "amount"}},
	"/paynplay/login":   {"/", []string{"market"}},
}

// formPageURL is the page the form sent to this request's path is on, among
// pages, with what was typed into its Fields in the query, which fills them in
// again; ok is false for a path of none of pages' forms.
func formPageURL(c *fiber.Ctx, pages map[string]formPage) (next string, ok bool) {
	page, ok := pages[c.Path()]
	if !ok {
		return "", false
	}
	q := url.Values{}
	for _, f := range page.Fields {
		if v := sentField(c, f); v != "" {
			q.Set(f, v)
		}
	}
	next = page.Path
	if len(q) > 0 {
		next += "?" + q.Encode()
	}
	return next, true
}

// here is the page the language picker goes back to (views.Chrome.Here): the URL
// of a page got, with its query, an error page's too; for a form sent, the page
// the form is on with what was typed (formPageURL), as after signing in again; ""
// for any other request, which goes back to the cashier or the start page.
func here(c *fiber.Ctx) string {
	if c.Method() == fiber.MethodGet {
		return c.OriginalURL()
	}
	if next, ok := formPageURL(c, formPages); ok {
		return next
	}
	next, _ := formPageURL(c, visitorFormPages)
	return next
}

// sentField is the value of a form's field to fill in again after signing in:
// what was typed, or for the amount a quick pick pressed without JavaScript, which
// sends its amount as "pick" (as deposit reads it); "" for anything longer than
// anyone types. The sign-in form's next, where it leads, is kept as a local path.
func sentField(c *fiber.Ctx, field string) string {
	v := c.FormValue(field)
	if field == "next" && v != "" {
		return localPath(v) // a page to go to after signing in: a path, not typed
	}
	if pick := c.FormValue("pick"); field == "amount" && pick != "" {
		v = pick
	}
	return typedAmount(strings.TrimSpace(v))
}

// sessionEnded reports whether the request came with a session cookie that named
// a player or could not be read: a session that has ended, not a visitor's.
func sessionEnded(c *fiber.Ctx) bool {
	s := storeOf(c)
	raw := c.Cookies(s.cookieName(sessionCookie))
	if raw == "" {
		return false
	}
	var v sessionValues
	return s == nil || s.decode(raw, &v) != nil || v.PlayerID != 0
}

// localPath returns next when it is a path on this site, else /cashier: a sign-in
// link must not send anyone elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/cashier"
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return "/cashier"
	}
	return next
}

// staticFiles serves the embedded static files. A request with the ?v= content
// hash that static.Path adds is cached for a year; without it, for five minutes.
func staticFiles() fiber.Handler {
	files := filesystem.New(filesystem.Config{Root: http.FS(static.FS), Browse: false})
	return func(c *fiber.Ctx) error {
		if c.Query("v") != "" {
			c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		} else {
			c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		}
		err := files(c)
		if errors.Is(err, fiber.ErrForbidden) {
			return errNotFound // a directory: no listings, and nothing to tell
		}
		return err
	}
}

// readableInput refuses with 400 a request whose query or form (urlencoded or
// multipart) holds a name or value that is not text: bytes that are not UTF-8, or
// NUL. Our pages are UTF-8 and no browser sends either from them; PostgreSQL
// refuses both in any statement (SQLSTATE 22021), which made a 500 of every page
// that looked them up or stored them, and SQLite kept them in players' names.
func readableInput(c *fiber.Ctx) error {
	readable := true
	check := func(k, v []byte) {
		readable = readable && isText(k) && isText(v)
	}
	c.Request().URI().QueryArgs().VisitAll(check)
	c.Request().PostArgs().VisitAll(check)
	if strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEMultipartForm) {
		if form, err := c.MultipartForm(); err == nil {
			for k, vs := range form.Value {
				for _, v := range vs {
					check([]byte(k), []byte(v))
				}
			}
		}
	}
	if !readable {
		return fiber.ErrBadRequest
	}
	return c.Next()
}

// isText reports whether b is UTF-8 without NUL.
func isText(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	return utf8.Valid(b)
}

// notFound ends the route list.
func notFound(c *fiber.Ctx) error {
	c.Locals(unmatchedKey, true)
	return errNotFound
}

// CSRF tokens are signed double-submit tokens bound to the browser's session: the
// token is in an HttpOnly cookie and in a hidden field of every form, the two must
// match, and the token's signature covers its expiry and the session it was
// issued to (csrfBinding). They need no server-side store and stay valid across
// restarts and instances; nobody without the key can make one, and a token taken
// from one session, with its cookie, is refused with any other: planting both in a
// victim's browser (from a sibling subdomain, say) does not pass. Signing in
// starts a new session, so the tokens of the sign-in page do not carry over.
//
// Fiber's csrf middleware made and checked tokens through hooks that do not see
// the request (KeyGenerator, Storage), so it could not bind them to a session:
// checkCSRF and csrfToken take its place. A token is made when a page shows a
// form, not on every request, and reused from the cookie while it is good for the
// session for more than half its life: a page view costs one signature check and
// no cookie.

const (
	csrfField = "csrf" // the hidden field's name; see views.CSRF
	csrfTTL   = 12 * time.Hour
)

// csrfScope is one token cookie. Players' pages and the back office have one
// each, so that neither replaces the token of the other's open forms: back-office
// tokens are bound to the staff session, which players' pages cannot see.
type csrfScope struct {
	cookie   string
	path     string
	sameSite string
	staff    bool
}

var (
	playerCSRF = csrfScope{cookie: "cashier_csrf", path: "/", sameSite: fiber.CookieSameSiteLaxMode}
	staffCSRF  = csrfScope{cookie: "cashier_staff_csrf", path: "/admin", sameSite: fiber.CookieSameSiteStrictMode, staff: true}
)

// cookieName is the scope's cookie in this request's browser: the players' is
// site-wide, a __Host- cookie over https (sessionStore.cookieName); the back
// office's has the path /admin, which a __Host- cookie may not have, and is bound
// to the staff session, which a sibling site cannot plant without a staff account.
func (scope csrfScope) cookieName(c *fiber.Ctx) string {
	if scope.staff {
		return scope.cookie
	}
	return storeOf(c).cookieName(scope.cookie)
}

// csrfScopeOf is the scope of the request's forms: the back office's under /admin,
// where the staff cookie is sent, the players' elsewhere.
func csrfScopeOf(c *fiber.Ctx) csrfScope {
	if p := c.Path(); p == "/admin" || strings.HasPrefix(p, "/admin/") {
		return staffCSRF
	}
	return playerCSRF
}

// csrfBinding is the value of this browser's session that scope's tokens are
// bound to: in the back office the staff session's ID once a member is signed
// in, else the player session's ID, which is new at every sign-in. A session
// without an ID (a visitor's) is given one when create is set, so that sign-in
// and registration forms are bound to their browser too; without create it is
// "". The staff session counts as its cookie came, whether or not it is still
// live: requireStaff decides that after the check.
func csrfBinding(c *fiber.Ctx, scope csrfScope, create bool) (string, error) {
	if scope.staff {
		if id := staffSession(c).ID; id != "" {
			return "staff " + id, nil
		}
	}
	v := session(c)
	if v.ID == "" {
		if !create || storeOf(c) == nil {
			return "", nil
		}
		v.ID = newSessionID()
		if err := saveSession(c, v); err != nil {
			return "", err
		}
	}
	return playerBinding(v.ID), nil
}

// playerBinding is what the tokens of the player session id are bound to.
func playerBinding(id string) string { return "player " + id }

// csrfTokens makes and checks tokens.
type csrfTokens struct {
	key []byte
	now func() time.Time
	// macs are HMACs keyed with key, kept from one token to the next: a new one
	// costs two blocks of SHA-256 for its key and five allocations, on every page
	// with a form (csrfToken checks the browser's token there).
	macs *sync.Pool // of *csrfMAC
}

// csrfMAC is one of csrfTokens.macs, with room for what it signs and its sum.
type csrfMAC struct {
	h   hash.Hash
	buf []byte
}

func newCSRFTokens(sessionHashKey []byte) *csrfTokens {
	m := hmac.New(sha256.New, sessionHashKey)
	m.Write([]byte("cashier csrf token v2"))
	key := m.Sum(nil)
	return &csrfTokens{key: key, now: time.Now, macs: &sync.Pool{New: func() any {
		return &csrfMAC{h: hmac.New(sha256.New, key), buf: make([]byte, 0, 128)}
	}}}
}

// sign appends to dst the HMAC of payload (fixed length) followed by binding.
func (t *csrfTokens) sign(dst, payload []byte, binding string) []byte {
	m := t.macs.Get().(*csrfMAC)
	defer t.macs.Put(m)
	m.h.Reset()
	m.buf = append(append(m.buf[:0], payload...), binding...)
	m.h.Write(m.buf)
	m.buf = m.h.Sum(m.buf[:0])
	return append(dst, m.buf...)
}

// generate returns a new token for the session binding:
// base64url(16 random bytes, 8-byte expiry) "." base64url(HMAC(payload, binding)).
func (t *csrfTokens) generate(binding string) string {
	payload := make([]byte, 24)
	rand.Read(payload[:16])
	binary.BigEndian.PutUint64(payload[16:], uint64(t.now().Add(csrfTTL).Unix()))
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(t.sign(nil, payload, binding))
}

// left is how long token stays valid for the session binding; 0 when it is not
// valid for it. The token's two parts are decoded into arrays of their only
// lengths, a payload of 24 bytes and an HMAC-SHA256: a page with a form checks
// the browser's token.
func (t *csrfTokens) left(token, binding string) time.Duration {
	p, s, ok := strings.Cut(token, ".")
	if !ok || len(token) > 128 || binding == "" {
		return 0
	}
	enc := base64.RawURLEncoding
	var payload [24]byte
	var sig, want [sha256.Size]byte
	if enc.DecodedLen(len(p)) != len(payload) || enc.DecodedLen(len(s)) != len(sig) {
		return 0
	}
	if _, err := enc.Decode(payload[:], []byte(p)); err != nil {
		return 0
	}
	if _, err := enc.Decode(sig[:], []byte(s)); err != nil || !hmac.Equal(sig[:], t.sign(want[:0], payload[:], binding)) {
		return 0
	}
	return max(time.Unix(int64(binary.BigEndian.Uint64(payload[16:])), 0).Sub(t.now()), 0)
}

func (t *csrfTokens) valid(token, binding string) bool { return t.left(token, binding) > 0 }

// csrfHeader carries the CSRF token of a request made by script instead of a form.
const csrfHeader = "X-CSRF-Token"

// Why checkCSRF refused a request, for the log.
var (
	errCSRFMissing  = errors.New("csrf token missing")
	errCSRFMismatch = errors.New("csrf token does not match its cookie")
	errCSRFInvalid  = errors.New("csrf token invalid, expired or of another session")
	errCSRFBefore   = errors.New("csrf token of this browser's session before the player signed in again")
	errCSRFEnded    = errors.New("csrf token of a signed-in session that has ended")
	errNoReferer    = errors.New("referer not supplied")
	errBadReferer   = errors.New("referer invalid")
)

// checkCSRF lets through a request that changes something (any method but GET,
// HEAD, OPTIONS and TRACE) only with a token in its body or X-CSRF-Token header
// that is its scope's cookie and is valid for this browser's session, while that
// session is live: a token of a signed-in session that has ended (signed out here
// or elsewhere, idle, blocked; liveSession) is refused for every form, a
// visitor's too, and the browser is sent to sign in. Over https the Referer must
// be this site as well.
// A refusal's reason is logged at debug, beside the request's line: at info the
// log has no line per request, and an expired form is an everyday one.
func (mw *middleware) checkCSRF(c *fiber.Ctx) error {
	c.Vary(fiber.HeaderCookie)
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return c.Next()
	}
	err := csrfRefusal(c)
	if err == nil {
		live, lerr := mw.liveSession(c)
		if lerr != nil {
			return lerr
		}
		if !live {
			err = errCSRFEnded
		}
	}
	if err != nil {
		mw.log.LogAttrs(c.UserContext(), slog.LevelDebug, "csrf check failed", slog.String("request_id", requestID(c)),
			slog.String("route", routeOf(c)), slog.String("reason", err.Error()))
		switch {
		case errors.Is(err, errCSRFEnded) && csrfScopeOf(c).staff:
			return redirectToStaffLogin(c)
		case errors.Is(err, errCSRFEnded):
			return redirectToLogin(c)
		case errors.Is(err, errCSRFBefore):
			return errSignedInAgain
		}
		return errFormExpired
	}
	return c.Next()
}

// liveSession reports whether the session this request's CSRF token was checked
// against (csrfBinding) is still live: a staff session as signedInStaff finds it,
// a player's signed-in one as signedInPlayer does (each ends this browser's copy
// when it is not), a visitor's always. The token alone cannot tell: a copy of a
// cookie and its token from before signing out are still the pair they were.
func (mw *middleware) liveSession(c *fiber.Ctx) (bool, error) {
	if csrfScopeOf(c).staff && staffSession(c).ID != "" {
		m, err := signedInStaff(c, mw.svc)
		return m.ID != 0, err
	}
	if session(c).PlayerID == 0 {
		return true, nil
	}
	p, err := signedInPlayer(c, mw.svc)
	return p.ID != 0, err
}

// csrfRefusal is why checkCSRF refuses the request; nil lets it through.
func csrfRefusal(c *fiber.Ctx) error {
	if c.Protocol() == "https" {
		if err := refererMatchesHost(c); err != nil {
			return err
		}
	}
	token, err := csrfFromBody(c)
	if err != nil {
		return err
	}
	scope, s := csrfScopeOf(c), storeOf(c)
	if subtle.ConstantTimeCompare([]byte(token), []byte(c.Cookies(scope.cookieName(c)))) != 1 {
		return signedInSince(c, scope, token, errCSRFMismatch)
	}
	binding, err := csrfBinding(c, scope, false)
	if err != nil || s == nil || !s.csrf.valid(token, binding) {
		return signedInSince(c, scope, token, errCSRFInvalid)
	}
	return nil
}

// signedInSince is errCSRFBefore when token, refused for why, is a player's token
// we signed for this browser's session before its latest sign-in (PrevID), still
// within its time: the page was loaded, perhaps in another tab, before the player
// signed in again, which made a new session and a new token cookie. It is
// errCSRFEnded for a token of the signed-in session whose end made this visitor's
// (EndedID): the form is refused all the same, and its sender sent to sign in
// again, back to it. Anything else,
// a forged token included, stays why: only a token of this browser's own earlier
// session learns more than that the form was refused.
func signedInSince(c *fiber.Ctx, scope csrfScope, token string, why error) error {
	s := storeOf(c)
	if s == nil || scope.staff {
		return why
	}
	v := session(c)
	if v.EndedID != "" && s.csrf.valid(token, playerBinding(v.EndedID)) {
		return errCSRFEnded
	}
	for prev := range strings.FieldsSeq(v.PrevID) {
		if s.csrf.valid(token, playerBinding(prev)) {
			return errCSRFBefore
		}
	}
	return why
}

// refererMatchesHost: the Referer names this site, with the request's scheme.
func refererMatchesHost(c *fiber.Ctx) error {
	referer := strings.ToLower(c.Get(fiber.HeaderReferer))
	if referer == "" {
		return errNoReferer
	}
	u, err := url.Parse(referer)
	if err != nil || u.Scheme != c.Protocol() || u.Host != c.Hostname() {
		return errBadReferer
	}
	return nil
}

// csrfFromBody reads the CSRF token from the form body (urlencoded or multipart)
// or the X-CSRF-Token header, never from the query string: a token in a URL ends
// up in logs, history and Referer headers, and Fiber's form lookup reads the query
// too.
func csrfFromBody(c *fiber.Ctx) (string, error) {
	if t := c.Get(csrfHeader); t != "" {
		return t, nil
	}
	if t := c.Request().PostArgs().Peek(csrfField); len(t) > 0 {
		return string(t), nil
	}
	if form, err := c.MultipartForm(); err == nil && len(form.Value[csrfField]) > 0 && form.Value[csrfField][0] != "" {
		return form.Value[csrfField][0], nil
	}
	return "", errCSRFMissing
}

// issuedCSRF is the token csrfToken chose in this request, and the binding it
// is for.
type issuedCSRF struct{ binding, token string }

// csrfToken is the CSRF token for the forms of the page being rendered, for
// views.CSRF: the browser's token cookie while it is valid for the session as it
// is now for more than half its life, else a new one, put in the cookie.
func csrfToken(c *fiber.Ctx) string {
	return csrfTokenFor(c, csrfScopeOf(c))
}

func csrfTokenFor(c *fiber.Ctx, scope csrfScope) string {
	s := storeOf(c)
	if s == nil {
		return ""
	}
	binding, err := csrfBinding(c, scope, true)
	if err != nil || binding == "" {
		return ""
	}
	if t, ok := c.Locals(csrfContextKey).(issuedCSRF); ok && t.binding == binding {
		return t.token
	}
	token := c.Cookies(scope.cookieName(c))
	if s.csrf.left(token, binding) <= csrfTTL/2 {
		token = s.csrf.generate(binding)
		c.Cookie(&fiber.Cookie{Name: scope.cookieName(c), Value: token, Path: scope.path, Expires: s.csrf.now().Add(csrfTTL),
			Secure: s.store.Options.Secure, HTTPOnly: true, SameSite: scope.sameSite})
	}
	c.Locals(csrfContextKey, issuedCSRF{binding: binding, token: token})
	return token
}
