package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier/metrics"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/handlers"
	"github.com/trustly-cashier/cashier/sandbox"
	"gorm.io/gorm"
)

// logLevel reads CASHIER_LOG_LEVEL: debug, info (the default), warn or error. At
// info the log has one line per money event and nothing per request; debug adds a
// line per request and per notification received.
func logLevel(getenv func(string) string) (slog.Level, error) {
	if err := checkBlank(getenv, "CASHIER_LOG_LEVEL", "LOG_FORMAT"); err != nil {
		return slog.LevelInfo, err
	}
	v := strings.TrimSpace(getenv("CASHIER_LOG_LEVEL"))
	// Named levels only: slog.Level's own reading also takes offsets ("INFO-4",
	// which is debug; "debug+2"), which the setting does not document.
	switch strings.ToLower(v) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("CASHIER_LOG_LEVEL %q: want debug, info, warn or error", v)
}

// newLogger is the cashier's logger on w, as CASHIER_LOG_LEVEL (logLevel) and
// LOG_FORMAT say: LOG_FORMAT is json for JSON lines, text or empty for text lines,
// in any case as the level is. Anything else is refused rather than read as text,
// so that a typo ("jsno") stops the start, before anything is migrated or served,
// instead of feeding text to a collector that parses JSON.
func newLogger(getenv func(string) string, w io.Writer) (*slog.Logger, error) {
	level, err := logLevel(getenv)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: level}
	switch v := strings.TrimSpace(getenv("LOG_FORMAT")); strings.ToLower(v) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("LOG_FORMAT %q: want json or text (or unset, for text)", v)
	}
}

// startLog is the logger of the command args name (none: the cashier itself),
// as newLogger reads it, or nil and the exit code when CASHIER_LOG_LEVEL or
// LOG_FORMAT is refused. A refused setting stops the command as every other bad
// setting does: the cashier logs the error line "cashier stopped" with
// "configuration: " and the setting's error, in JSON when LOG_FORMAT says json
// and otherwise in text, LOG_FORMAT's default (a LOG_FORMAT refused says nothing
// of the format wanted), and exits 1; `cashier backup` and `cashier staff` say it
// as their own errors (commandFailed) and exit 2.
func startLog(args []string, getenv func(string) string, stderr io.Writer) (*slog.Logger, int) {
	log, err := newLogger(getenv, stderr)
	if err == nil {
		return log, 0
	}
	err = fmt.Errorf("configuration: %w", err)
	if len(args) > 0 && (args[0] == "backup" || args[0] == "staff") {
		commandFailed(stderr, getenv, err)
		return nil, 2
	}
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if jsonLog(getenv) {
		h = slog.NewJSONHandler(stderr, nil)
	}
	slog.New(h).Error("cashier stopped", "err", err)
	return nil, 1
}

// jsonLog reports whether LOG_FORMAT asks for JSON lines.
func jsonLog(getenv func(string) string) bool {
	return strings.EqualFold(strings.TrimSpace(getenv("LOG_FORMAT")), "json")
}

// stdout is where the start banner and the commands' words for the operator go:
// w itself, or with LOG_FORMAT=json a writer that makes each line written an info
// line of JSON on w (lineLog), so that a log shipper parses every line of stdout
// as it does stderr's.
func stdout(getenv func(string) string, w io.Writer) io.Writer {
	if !jsonLog(getenv) {
		return w
	}
	return &lineLog{log: slog.New(slog.NewJSONHandler(w, nil))}
}

// commandFailed writes the error a command stops with to w: as it is, or with
// LOG_FORMAT=json as an error line of JSON (a CASHIER_LOG_LEVEL the logger
// refused included).
func commandFailed(w io.Writer, getenv func(string) string, err error) {
	if !jsonLog(getenv) {
		fmt.Fprintln(w, err)
		return
	}
	slog.New(slog.NewJSONHandler(w, nil)).Error("cashier stopped", "err", err.Error())
}

// lineLog writes each line written to it as an info line of log, its text the
// message; blank lines are dropped. One goroutine writes to it.
type lineLog struct {
	log  *slog.Logger
	rest []byte // a line not ended yet
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.rest = append(l.rest, p...)
	for {
		i := bytes.IndexByte(l.rest, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := strings.TrimSpace(string(l.rest[:i])); line != "" {
			l.log.Info(line)
		}
		l.rest = l.rest[i+1:]
	}
}

// serveMetrics serves reg's /metrics on addr (CASHIER_METRICS_ADDR), apart from
// the cashier's public address, and returns a function that stops it. An empty addr
// serves nothing. /metrics is for the operator's own network: on an address other
// machines can reach (every interface, as a container needs, or one that is not
// loopback) it is served all the same, with one warning that it must be
// firewalled. The address listened on decides, so a host name counts as what it
// resolved to. A request and an idle connection get server's read and idle
// timeouts, as on the cashier's own address.
func serveMetrics(addr string, reg *metrics.Registry, server handlers.Server, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on CASHIER_METRICS_ADDR %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", reg.Handler())
	// The cashier's own read and idle timeouts (CASHIER_READ_TIMEOUT,
	// CASHIER_IDLE_TIMEOUT): without them a body trickling in, or a keep-alive
	// connection left idle, held its connection for good.
	server = server.WithDefaults()
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: server.ReadTimeout,
		IdleTimeout: server.IdleTimeout}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String())
	if !sandbox.Loopback(ln.Addr()) {
		log.Warn("/metrics is reachable beyond this machine: firewall it to the operator's internal network "+
			"(or set CASHIER_METRICS_ADDR to a loopback address such as 127.0.0.1:9100)", "addr", ln.Addr().String())
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// shutdownTimeout bounds how long requests in flight and the background jobs'
// current steps may take to finish once the cashier is told to stop.
// abandonedGrace is the time they have after it to record the Trustly calls
// abandoned then.
const (
	shutdownTimeout = 10 * time.Second
	abandonedGrace  = 5 * time.Second
)

// shutdown stops the cashier in the order that loses nothing: the app stops
// accepting connections and waits for the requests in flight (notifications being
// applied, Trustly calls made for a player); then the background loops, whose
// context stopLoops ends, finish their current step (a payout call in flight is
// detached from that context and is recorded). When shutdownTimeout has passed and
// something still runs, abandonCalls abandons the Trustly calls still waiting for
// an answer (a Trustly that stopped answering would hold each for the client's
// 30 s): each is recorded as of unknown outcome, which the janitor settles at the
// next start (a payout resent under its MessageID), and the requests and jobs
// waiting on them end within abandonedGrace. The caller closes the database after
// shutdown returns, and only then.
func shutdown(app *fiber.App, stopLoops, abandonCalls context.CancelFunc, loops *sync.WaitGroup, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout+abandonedGrace)
	defer cancel()
	abandon := time.AfterFunc(shutdownTimeout, func() {
		log.Warn("still busy " + shutdownTimeout.String() + " into the shutdown: Trustly calls still waiting for an answer are abandoned, " +
			"recorded as of unknown outcome and settled by the janitor at the next start")
		abandonCalls()
	})
	defer abandon.Stop()
	err := app.ShutdownWithContext(ctx)
	if err != nil {
		err = fmt.Errorf("shut down the web server: %w", err)
	}
	stopLoops()
	loops.Wait()
	log.Info("requests and background jobs finished")
	return err
}

// closeDB closes the database, last.
func closeDB(db *gorm.DB, log *slog.Logger) {
	if err := store.Close(db); err != nil {
		log.Error("close database", "err", err)
		return
	}
	log.Info("database closed")
}
