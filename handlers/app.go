// Package handlers is the cashier's web layer on Fiber: it parses requests, calls one
// cashier method and renders a views page or redirects. routes.go lists every URL;
// the middleware here gives each request an id, a log line, security headers,
// sessions, CSRF checks and one place where errors become pages.
package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/metrics"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/lang"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/views"
	"github.com/valyala/fasthttp"
)

// SessionKeys sign and encrypt the session cookie. Hash is an HMAC-SHA256 key of 32
// or 64 random bytes, Block an AES-256 key of 32 random bytes. Changing them signs
// everybody out.
type SessionKeys struct {
	Hash, Block []byte
}

// Deps is what the web layer is built from.
type Deps struct {
	Service     *cashier.Service
	SessionKeys SessionKeys
	// TrustlyOrigin is the origin of Trustly's checkout, the only site the pages may
	// frame and post forms to: "https://test.trustly.com", or the embedded sandbox's
	// "http://127.0.0.1:8081".
	TrustlyOrigin string
	// Secure marks cookies Secure, names the site-wide session and CSRF cookies
	// "__Host-…" (sessionStore.cookieName) and sends HSTS. An https BaseURL sets it
	// (in any case of the scheme); set it by hand when there is none.
	Secure bool
	Log    *slog.Logger // defaults to slog.Default()
	// LoginLimit is how many sign-in and registration attempts one IP address may
	// make per minute; 0 means 10.
	LoginLimit int
	// TrustedProxies are the reverse proxies (IP addresses or CIDR ranges) whose
	// X-Forwarded-For and X-Forwarded-Proto headers are believed. Empty: none.
	// Behind a proxy they are needed twice: the limiters count the client's address,
	// not the proxy's, and the CSRF check compares the Referer with the site only on
	// https, which the app learns from the proxy's X-Forwarded-Proto.
	TrustedProxies []string
	// OrderLimit is how many orders (deposits, account selections and
	// registrations, payout requests) one player may start per minute; 0 means 10.
	// OrderLimitPerIP is the same for one IP address, whoever is signed in; 0 means
	// 30. Each order costs a call to Trustly.
	OrderLimit, OrderLimitPerIP int
	// Server bounds what one connection may cost; zero fields keep the defaults of
	// DefaultServer.
	Server Server
	// Staff configures back-office sessions; zero fields keep their defaults.
	Staff StaffSettings
	// IdleTimeout ends a signed-in session after this long without a request (a
	// Pay N Play player has no password to guard a forgotten browser); 0 means
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
	// BaseURL is the public URL ("http://127.0.0.1:3000"). Cookies belong to one
	// host, so a browser on another name for this server ("localhost" for
	// "127.0.0.1") would lose its session on the way back from Trustly: such a
	// request is redirected to BaseURL, except Trustly's notifications and the
	// health checks. Empty: every host is served.
	BaseURL string
	// Metrics counts every request by route pattern and status (watch.go); nil
	// counts nothing.
	Metrics *metrics.Registry
}

// DefaultIdleTimeout is how long a signed-in session may stay idle when
// Deps.IdleTimeout is 0.
const DefaultIdleTimeout = 30 * time.Minute

// Server bounds the connections the app serves.
type Server struct {
	// MaxConnections is how many connections are served at once (Fiber's
	// Concurrency); one more is answered 503 and closed.
	MaxConnections int
	ReadTimeout    time.Duration // to read one whole request
	WriteTimeout   time.Duration // to write one response
	IdleTimeout    time.Duration // a keep-alive connection idle this long is closed
	// ReadBufferSize is the bytes kept per connection for reading; it bounds the
	// request headers (cookies included): larger headers are refused with 431.
	ReadBufferSize int
}

// DefaultServer is what a zero Server field means. Idle connections give back
// their buffers (fasthttp's ReduceMemoryUsage), and at most MaxConnections of
// them are kept: 20 000 idle connections had grown the process to 382 MB.
var DefaultServer = Server{MaxConnections: 8192, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second,
	IdleTimeout: 60 * time.Second, ReadBufferSize: 8192}

// writeBufferSize is the bytes a response is gathered in before it is written. A
// cashier page (about 5 kB) and its headers (the Content-Security-Policy alone is
// 1 kB) outgrew fasthttp's 4 kB, so each page went out in two writes, headers then
// body: one system call more and a second packet the browser waits for
// (BenchmarkCashierPage: 0.27 -> 0.28). Idle connections give the buffer back
// (ReduceMemoryUsage), so it costs memory only while a response is written.
const writeBufferSize = 16 << 10

// WithDefaults returns s with each zero field taken from DefaultServer.
func (s Server) WithDefaults() Server {
	pick := func(v, def int) int {
		if v == 0 {
			return def
		}
		return v
	}
	pickD := func(v, def time.Duration) time.Duration {
		if v == 0 {
			return def
		}
		return v
	}
	d := DefaultServer
	return Server{MaxConnections: pick(s.MaxConnections, d.MaxConnections), ReadTimeout: pickD(s.ReadTimeout, d.ReadTimeout),
		WriteTimeout: pickD(s.WriteTimeout, d.WriteTimeout), IdleTimeout: pickD(s.IdleTimeout, d.IdleTimeout),
		ReadBufferSize: pick(s.ReadBufferSize, d.ReadBufferSize)}
}

// Check reports the first thing wrong with d.
func (d Deps) Check() error {
	switch {
	case d.Service == nil:
		return errors.New("handlers: a cashier service is required")
	case len(d.SessionKeys.Hash) != 32 && len(d.SessionKeys.Hash) != 64:
		return fmt.Errorf("handlers: the session hash key has %d bytes; want 32 or 64", len(d.SessionKeys.Hash))
	case len(d.SessionKeys.Block) != 32:
		return fmt.Errorf("handlers: the session block key has %d bytes; want 32", len(d.SessionKeys.Block))
	case d.IdleTimeout < 0:
		return errors.New("handlers: the idle timeout cannot be negative")
	case d.LoginLimit < 0 || d.OrderLimit < 0 || d.OrderLimitPerIP < 0:
		return errors.New("handlers: a rate limit cannot be negative")
	case d.Server.MaxConnections < 0 || d.Server.ReadTimeout < 0 || d.Server.WriteTimeout < 0 ||
		d.Server.IdleTimeout < 0 || d.Server.ReadBufferSize < 0:
		return errors.New("handlers: a server limit cannot be negative")
	case d.Staff.Idle < 0:
		return errors.New("handlers: the staff idle timeout cannot be negative")
	case d.Server.ReadBufferSize != 0 && d.Server.ReadBufferSize < 1024:
		return fmt.Errorf("handlers: a read buffer of %d bytes cannot hold a browser's request headers; want at least 1024", d.Server.ReadBufferSize)
	}
	if _, err := origin(d.TrustlyOrigin); err != nil {
		return err
	}
	if d.BaseURL != "" {
		if u, err := url.Parse(d.BaseURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("handlers: base URL %q is not an http(s) URL", d.BaseURL)
		}
	}
	for _, p := range d.TrustedProxies {
		if _, err := parsePrefix(p); err != nil {
			return fmt.Errorf("handlers: trusted proxy %q: %w", p, err)
		}
	}
	return nil
}

// origin checks that s is a bare http(s) origin, "https://host[:port]", so it can
// go into the Content-Security-Policy as it is.
func origin(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, " ;,'\"") {
		return "", fmt.Errorf("handlers: Trustly origin %q is not an origin such as https://test.trustly.com", s)
	}
	return u.Scheme + "://" + u.Host, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// New returns the cashier's web app. It panics when d does not pass Check; call
// Check first to report a configuration mistake nicely.
func New(d Deps) *fiber.App {
	return newApp(d, routes)
}

// newApp is New with the routes that mount adds after the middleware every
// request passes (request id, log, recovery, security headers, canonical host).
func newApp(d Deps, mount func(app *fiber.App, svc *cashier.Service, mw *middleware)) *fiber.App {
	if err := d.Check(); err != nil {
		panic(err)
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.LoginLimit == 0 {
		d.LoginLimit = 10
	}
	if d.OrderLimit == 0 {
		d.OrderLimit = 10
	}
	if d.OrderLimitPerIP == 0 {
		d.OrderLimitPerIP = 30
	}
	if d.IdleTimeout == 0 {
		d.IdleTimeout = DefaultIdleTimeout
	}
	d.Server = d.Server.WithDefaults()
	d.TrustlyOrigin, _ = origin(d.TrustlyOrigin)
	// Browsers reach an https base URL over https: its cookies are Secure, whatever
	// the caller set (TestHTTPSBaseURLMakesCookiesSecure).
	if u, err := url.Parse(d.BaseURL); err == nil && u.Scheme == "https" {
		d.Secure = true
	}
	handleError := errorHandler(d.Log)
	mw := newMiddleware(d, handleError)
	app := fiber.New(fiber.Config{
		AppName:                 "cashier",
		DisableStartupMessage:   true,
		ErrorHandler:            mw.serverError,
		Concurrency:             d.Server.MaxConnections,
		ReadTimeout:             d.Server.ReadTimeout,
		WriteTimeout:            d.Server.WriteTimeout,
		IdleTimeout:             d.Server.IdleTimeout,
		ReadBufferSize:          d.Server.ReadBufferSize,
		ReduceMemoryUsage:       true,
		WriteBufferSize:         writeBufferSize,
		BodyLimit:               1 << 20, // forms and Trustly's notifications are a few kB
		EnableTrustedProxyCheck: true,    // X-Forwarded-* only from TrustedProxies
		TrustedProxies:          d.TrustedProxies,
		// A URL is answered only as routes.go spells it: in any case the back
		// office answered at /ADMIN/…, outside a proxy's rule for /admin, and with
		// the players' CSRF scope, since the staff cookies' path and csrfScopeOf
		// read "/admin" as written.
		CaseSensitive: true,
	})
	app.Use(mw.requestID, mw.logRequests, mw.recoverPanics, mw.securityHeaders, mw.canonicalHost)
	mount(app, d.Service, mw)
	refuseUnknownMethods(app, mw)
	return app
}

// refuseUnknownMethods answers a request whose method Fiber does not know
// (PROPFIND, BREW, a lower-case "get") with 400 through serverError, the site's
// error page with its security headers, as any request refused before the
// middleware. Fiber's own answer, before any middleware, was a bare "Invalid http
// method" without them (TestUnknownMethodFramed).
func refuseUnknownMethods(app *fiber.App, mw *middleware) {
	srv := app.Server()
	routed := srv.Handler
	srv.Handler = func(rctx *fasthttp.RequestCtx) {
		if slices.Contains(fiber.DefaultMethods, string(rctx.Method())) {
			routed(rctx)
			return
		}
		c := app.AcquireCtx(rctx)
		defer app.ReleaseCtx(c)
		if err := mw.serverError(c, fiber.ErrBadRequest); err != nil {
			c.Status(fiber.StatusBadRequest)
		}
	}
}

// render writes page as the response body; the status is whatever was set before.
// Pages carry personal data, so no cache keeps them.
func render(c *fiber.Ctx, page templ.Component) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return page.Render(c.UserContext(), c.Response().BodyWriter())
}

// asProblem returns the *models.Problem in err, or nil. A handler that gets one
// re-renders its form with the problem and status 422.
func asProblem(err error) *models.Problem {
	var problem *models.Problem
	if errors.As(err, &problem) {
		return problem
	}
	return nil
}

// chrome is what the page frame needs from this request: the CSRF token, who is
// signed in, the one-time message (which it consumes) and the current path.
func chrome(c *fiber.Ctx) views.Chrome {
	s := session(c)
	ch := views.Chrome{L: loc(c), CSRF: csrfToken(c), SignedIn: s.PlayerID != 0, Flash: takeFlash(c), Current: c.Path()}
	if _, ok := c.Locals(playerKey).(models.Player); ok {
		ch.SignedIn = true
	}
	ch.Here = here(c)
	if err := realityCheckChrome(c, &ch); err != nil {
		slog.Default().Error("reality check not shown", "request_id", requestID(c), "err", err)
	}
	return ch
}

// Errors with a sentence of ours, for handlers and middleware to return; the error
// handler shows their message. Other *fiber.Error values (Fiber's own) keep their
// status but get a generic sentence. A message about the player's input is a
// *models.Problem instead.
var (
	errFormExpired     = fiber.NewError(fiber.StatusForbidden, "This form has expired or was sent from another site. Go back, reload the page and try again.")
	errSignedInAgain   = fiber.NewError(fiber.StatusForbidden, "You signed in again since this page was loaded (perhaps in another tab). Reload the page and try again.")
	errTooManyAttempts = fiber.NewError(fiber.StatusTooManyRequests, "You have tried too many times. Wait a minute and try again.")
	errTooManyOrders   = fiber.NewError(fiber.StatusTooManyRequests, "You have started many payments in a short time. Wait a minute and try again.")
	errForbidden       = fiber.NewError(fiber.StatusForbidden, "Your account does not have access to this page.")
	errNotFound        = fiber.NewError(fiber.StatusNotFound, "There is no page at this address.")
	// errExportNotRecorded is an export of personal data whose audit row could not
	// be written before it began (cashier.ErrNotRecorded), and so did not begin.
	errExportNotRecorded = fiber.NewError(fiber.StatusServiceUnavailable, "The export was not started: it could not be recorded in the audit, so nothing was exported. Try again in a moment; if it fails again, tell the operator.")

	ourErrors = map[*fiber.Error]bool{errFormExpired: true, errSignedInAgain: true, errTooManyAttempts: true, errTooManyOrders: true,
		errForbidden: true, errNotFound: true, errExportNotRecorded: true}
)

// Titles and sentences of error pages.
var (
	statusTitles = map[int]string{400: "Bad request", 403: "Not allowed", 404: "Page not found", 405: "Page not found",
		413: "Too large", 422: "Please check", 429: "Too many attempts", 503: "Not available"}
	statusMessages = map[int]string{
		fiber.StatusBadRequest:            "The request could not be read. Go back and try again.",
		fiber.StatusForbidden:             "You do not have access to this page.",
		fiber.StatusNotFound:              "There is no page at this address.",
		fiber.StatusMethodNotAllowed:      "There is no page at this address.",
		fiber.StatusRequestEntityTooLarge: "What you sent is too large.",
	}
	genericMessage = "Something went wrong on our side. Please try again in a moment."
)

// errorHandler is the one place where errors become responses. A *models.Problem
// that reached it is shown with 422; Fiber's errors keep their status with a
// sentence of ours; anything else is a 500 whose details go only to the log, tied
// to the page by the request id.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		page := views.ErrorPage{Status: fiber.StatusInternalServerError, Title: "Something went wrong",
			Message: genericMessage, RequestID: requestID(c)}
		var problem *models.Problem
		var ferr *fiber.Error
		var reauth *reauthNeeded
		var limited *cashier.SignInsLimited
		var refused *roleRefused
		switch {
		case errors.As(err, &reauth):
			return c.Redirect("/admin/reauth?next="+url.QueryEscape(reauth.next), fiber.StatusSeeOther)
		case errors.As(err, &limited):
			page.Status, page.Title = fiber.StatusTooManyRequests, statusTitles[fiber.StatusTooManyRequests]
			page.Message = tooManySignIns(c, limited, lang.For(lang.Default, nil))
		case errors.As(err, &refused):
			page.Status, page.Title, page.Message = fiber.StatusForbidden, statusTitles[403], refused.message()
		case errors.Is(err, staff.ErrNotAllowed):
			page.Status, page.Title, page.Message = fiber.StatusForbidden, statusTitles[403], errForbidden.Message
		case errors.As(err, &problem):
			page.Status, page.Title, page.Message = fiber.StatusUnprocessableEntity, statusTitles[422], problem.Message
		case errors.As(err, &ferr) && (ferr.Code < 500 || ourErrors[ferr]):
			page.Status, page.Title = ferr.Code, statusTitles[ferr.Code]
			if page.Title == "" {
				page.Title = "Request refused"
			}
			switch {
			case ourErrors[ferr]:
				page.Message = ferr.Message
			case statusMessages[ferr.Code] != "":
				page.Message = statusMessages[ferr.Code]
			default:
				page.Message = "This request could not be handled."
			}
		default:
			log.LogAttrs(c.UserContext(), slog.LevelError, "request failed", slog.String("request_id", page.RequestID),
				slog.String("method", c.Method()), slog.String("route", routeOf(c)), slog.String("err", err.Error()))
		}
		c.Response().ResetBody()
		c.Status(page.Status)
		page.Chrome = errorChrome(c)
		view := views.Error(page)
		if strings.HasPrefix(c.Path(), "/admin") {
			view = views.AdminError(page, adminChromeKeep(c))
		} else {
			translateError(c, &page, problem)
			if limited != nil {
				page.Message = tooManySignIns(c, limited, loc(c))
			}
			view = views.Error(page)
		}
		if rerr := render(c, view); rerr != nil {
			c.Response().ResetBody()
			return c.SendString(page.Message)
		}
		return nil
	}
}

// tooManySignIns is the sentence of a sign-in or password check refused for its
// account's failed sign-ins, in l's language, with the wait in whole minutes; it
// puts the wait in seconds in Retry-After, as the limits per address do. The
// answer is the same for the right password and a wrong one, for anyone's email
// and nobody's; a player whose sessions were ended for it is told so.
func tooManySignIns(c *fiber.Ctx, limited *cashier.SignInsLimited, l *lang.Localizer) string {
	c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(int64((limited.RetryAfter+time.Second-1)/time.Second), 10))
	minutes := int((limited.RetryAfter + time.Minute - 1) / time.Minute)
	id := "error.too_many_sign_ins"
	if limited.SessionsEnded {
		id = "error.too_many_attempts_logged_out"
	}
	return l.T(id, "Wait", l.N("duration.minutes", max(minutes, 1)))
}

// errorChrome is chrome without consuming the one-time message, which the next
// proper page still shows; the language picker goes back to the error page's
// path, or after a form to the form's page.
func errorChrome(c *fiber.Ctx) views.Chrome {
	s := session(c)
	ch := views.Chrome{L: loc(c), CSRF: csrfToken(c), SignedIn: s.PlayerID != 0, Current: c.Path(), Here: here(c)}
	if c.Method() == fiber.MethodGet {
		// Without the query, which may name another player's order: a page not
		// found shows nothing of what was asked for (TestOtherPlayersIDs).
		ch.Here = c.Path()
	}
	if _, ok := c.Locals(playerKey).(models.Player); ok {
		ch.SignedIn = true
	}
	return ch
}
