package handlers

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier"
)

// Probes for whoever runs the cashier: a load balancer, an orchestrator. They take
// no session and no CSRF token, and say nothing beyond "ok" or what is missing.
const (
	healthPath = "/healthz" // the process is up and serving
	readyPath  = "/readyz"  // it can do its work: cashier.Service.Ready
)

// healthz answers 200 while the process serves requests; it touches nothing else,
// so a slow database never gets the process restarted.
func healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok\n")
}

// readyz answers 200 when the service is ready (the database answers, migrations
// have run, Trustly's key is loaded) and 503 otherwise, with the reason in the log
// only. A balancer sends no players to an instance that is not ready.
func readyz(svc *cashier.Service, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-store")
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := svc.Ready(ctx); err != nil {
			log.LogAttrs(c.UserContext(), slog.LevelWarn, "not ready", slog.String("err", err.Error()))
			return c.Status(fiber.StatusServiceUnavailable).SendString("not ready\n")
		}
		return c.SendString("ready\n")
	}
}

// metricMethod is the request's method for the metrics: one of the methods Fiber
// routes, as a string of its own (c.Method() points into a buffer that fasthttp
// reuses for the next request), or "other".
func metricMethod(c *fiber.Ctx) string {
	for _, m := range fiber.DefaultMethods {
		if c.Method() == m {
			return m
		}
	}
	return "other"
}

// metricRoute names the request for the metrics: the route pattern when a route
// matched, "/static" for static files and "unmatched" for unknown paths, so that a
// scan of random URLs adds no series.
func metricRoute(c *fiber.Ctx) string {
	switch {
	case strings.HasPrefix(strings.ToLower(c.Path()), "/trustly/notify"):
		return notifyPath
	case c.Locals(unmatchedKey) != nil || !routed(c):
		return "unmatched"
	case strings.HasPrefix(c.Path(), "/static/"):
		return "/static"
	}
	return c.Route().Path
}

// routed reports whether the request reached one of routes.go's routes. A request
// the middleware answered before that (a form without its CSRF token, unreadable
// input) has the middleware's route in Fiber, whose path is "/": a route of its
// own only for the path "/".
func routed(c *fiber.Ctx) bool {
	return c.Route().Path != "/" || c.Path() == "/"
}
