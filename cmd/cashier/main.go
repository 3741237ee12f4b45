// Command cashier runs the gaming cashier. With no Trustly credentials in the
// environment it starts the embedded Trustly sandbox and runs against it; see the
// README for every setting.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/metrics"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/handlers"
	"github.com/trustly-cashier/cashier/internal/failpoint"
	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
)

func main() {
	// The command line is read first, then the log's settings: a bad one stops
	// every command before anything is opened, migrated or served.
	cmd, err := command(os.Args[1:])
	if err != nil {
		commandFailed(os.Stderr, os.Getenv, err)
		os.Exit(2)
	}
	if cmd == "help" {
		fmt.Fprint(stdout(os.Getenv, os.Stdout), usage)
		return
	}
	log, code := startLog(os.Args[1:], os.Getenv, os.Stderr)
	if log == nil {
		os.Exit(code)
	}
	slog.SetDefault(log)
	ctx, stop := stopSignals(log, os.Exit)
	defer stop()
	out := stdout(os.Getenv, os.Stdout)
	if cmd == "backup" {
		if err := runBackup(ctx, os.Args[2:], os.Getenv, out, log); err != nil {
			commandFailed(os.Stderr, os.Getenv, err)
			os.Exit(2)
		}
		return
	}
	if cmd == "staff" {
		if err := runStaff(ctx, os.Args[2:], os.Getenv, os.Stdin, out, log); err != nil {
			commandFailed(os.Stderr, os.Getenv, err)
			os.Exit(2)
		}
		return
	}
	if err := run(ctx, os.Getenv, out, log); err != nil {
		log.Error("cashier stopped", "err", err)
		os.Exit(1)
	}
}

// usage is what `cashier --help` prints. It shows no setting's value: every
// setting is read from the environment, and the README lists them.
const usage = `usage: cashier                      run the cashier; every setting is read from the environment
                                    (README, "Configuration"), none from the command line
       cashier backup --to FILE     copy the SQLite database while the cashier runs (cashier backup --help)
       cashier staff add ...        add a back-office staff account (cashier staff --help)
       cashier staff reset-2fa ...  turn off a staff member's second factor
`

// command is the command args, the command line without the program, names: ""
// (no argument) runs the cashier, "backup" and "staff" their commands, "help"
// (help, -h, -help, --help) prints usage. Anything else is refused, naming the
// argument without what follows an "=" (a flag's value may be a secret): taken
// as no argument, a typo ("bakup") or a flag the cashier does not have would start
// another instance, janitor and all, against the database.
func command(args []string) (string, error) {
	if len(args) == 0 {
		return "", nil
	}
	switch a := args[0]; a {
	case "backup", "staff":
		return a, nil
	case "help", "-h", "-help", "--help":
		return "help", nil
	default:
		if name, _, ok := strings.Cut(a, "="); ok {
			a = name + "=…"
		}
		return "", fmt.Errorf("unknown command %q: want backup or staff, or no argument to run the cashier, whose settings "+
			"are read from the environment (cashier --help)", a)
	}
}

// run starts everything and blocks until ctx ends, then shuts down gracefully:
// requests in flight and background loops finish before the database closes
// (shutdown in watch.go).
func run(ctx context.Context, getenv func(string) string, out io.Writer, log *slog.Logger) error {
	cfg, err := loadConfig(getenv, log)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if err := failpoint.Check(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	db, err := store.Open(cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer closeDB(db, log) // deferred first: runs last

	// Trustly calls still waiting when the shutdown's grace is over are abandoned
	// (shutdown).
	calls, abandonCalls := context.WithCancel(context.Background())
	defer abandonCalls()
	tcfg := trustly.Config{URL: cfg.TrustlyURL, Username: cfg.TrustlyUsername, Password: cfg.TrustlyPassword,
		PrivateKey: cfg.MerchantKey, TrustlyKey: cfg.TrustlyKey, Env: cfg.TrustlyEnv, Logger: log, Stop: calls}
	if cfg.Sandbox() {
		sb, stopSandbox, err := startSandbox(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer stopSandbox()
		tcfg.URL, tcfg.Username, tcfg.Password, tcfg.TrustlyKey = cfg.SandboxBaseURL+"/api/1", sandboxUser, sandboxPassword, sb.PublicKey()
	}
	client, err := trustly.NewClient(tcfg)
	if err != nil {
		return err
	}
	reg := metrics.New()
	svc, err := cashier.New(cashier.Deps{DB: db, Trustly: client, MerchantKey: cfg.MerchantKey, TrustlyKey: tcfg.TrustlyKey,
		Log: log, Exclusions: cfg.Exclusions, Metrics: reg, TOTPKey: cfg.TOTPKey, Config: cashier.Config{BaseURL: cfg.BaseURL, NotifyToken: cfg.NotifyToken,
			ShopperStatement: cfg.ShopperStatement, IntegrationModule: "trustly-gaming-cashier-go/0.1", Limits: cfg.Limits,
			PayNPlay: cfg.PayNPlay, RealityCheck: cfg.RealityCheck, LimitPolicy: cfg.LimitPolicy,
			CheckoutExpiry: cfg.CheckoutExpiry, ResumeAfter: cfg.ResumeAfter, SandboxExtra: cfg.SandboxAttributes,
			SignInFailures: cfg.LoginLimitPerAccount}})
	if err != nil {
		return err
	}
	log.Info("responsible gaming", "reality_check", realityCheckSummary(cfg.RealityCheck))
	if markets := registerWarnings(cfg.Exclusions); markets != nil {
		log.Warn("no self-exclusion register for these markets: registrations and sign-ins there are refused until one is configured "+
			"(CASHIER_SPELPAUS_URL, CASHIER_CRUKS_URL, CASHIER_EE_EXCLUSIONS_URL) or the market is named in CASHIER_EXCLUSIONS_NONE",
			"markets", strings.Join(markets, ","))
	}
	// The cashier serves plain HTTP: an https base URL is a proxy's, whose address
	// every request then comes from unless it is trusted.
	if strings.HasPrefix(cfg.BaseURL, "https://") && len(cfg.TrustedProxies) == 0 {
		log.Warn("CASHIER_BASE_URL is https but CASHIER_TRUSTED_PROXIES is empty: the proxy that terminates TLS in front of the "+
			"cashier is not believed, so every player shares its rate-limit bucket (CASHIER_LOGIN_LIMIT sign-ins a minute for the whole "+
			"site) and the CSRF check does not compare the Referer; set CASHIER_TRUSTED_PROXIES to the proxy's address or range",
			"base_url", cfg.BaseURL)
	}
	if _, err := svc.SealStaffSecrets(ctx); err != nil {
		return err
	}
	if cfg.AdminPassword != "" {
		if err := svc.EnsureOwner(ctx, cfg.AdminEmail, cfg.AdminPassword); err != nil {
			return err
		}
	}
	web := handlers.Deps{Service: svc, Log: log, TrustlyOrigin: cfg.CheckoutOrigin,
		SessionKeys: handlers.SessionKeys{Hash: cfg.SessionHash, Block: cfg.SessionKey},
		Secure:      strings.HasPrefix(cfg.BaseURL, "https://"), TrustedProxies: cfg.TrustedProxies,
		LoginLimit: cfg.LoginLimit, OrderLimit: cfg.OrderLimit, OrderLimitPerIP: cfg.OrderLimitPerIP, Server: cfg.Server,
		Staff: cfg.Staff, IdleTimeout: cfg.SessionIdle, Metrics: reg, BaseURL: cfg.BaseURL}
	if err := web.Check(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	app := handlers.New(web)

	// Watching it: /metrics on its own address, the orders gauge counted at most
	// every 30 s.
	reg.WatchOrders(svc.OrderCounts, 30*time.Second)
	stopMetrics, err := serveMetrics(cfg.MetricsAddr, reg, cfg.Server, log)
	if err != nil {
		return err
	}
	defer stopMetrics()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on CASHIER_ADDR %s: %w", cfg.Addr, err)
	}
	fmt.Fprintf(out, "\nCashier ready: open %s/register to create a player, then deposit.\n", cfg.BaseURL)
	if cfg.Sandbox() {
		fmt.Fprintf(out, "Trustly: the embedded sandbox at %s (its orders and notifications: %s/sandbox/).\n", cfg.SandboxBaseURL, cfg.SandboxBaseURL)
	} else {
		fmt.Fprintf(out, "Trustly: %s environment at %s.\n", cfg.TrustlyEnv, cfg.TrustlyURL)
	}
	fmt.Fprintln(out, notifyURLLine(cfg))
	if cfg.AdminPassword != "" {
		fmt.Fprintf(out, "Back office: %s/admin/login, owner %s with the password of CASHIER_ADMIN_PASSWORD.\n\n", cfg.BaseURL, cfg.AdminEmail)
	} else {
		fmt.Fprintf(out, "Back office: no owner account; set CASHIER_ADMIN_PASSWORD (and CASHIER_ADMIN_EMAIL) to create one.\n\n")
	}
	log.Info("cashier listening", "addr", cfg.Addr, "trustly_env", cfg.TrustlyEnv, "database", dbKind(cfg.DatabaseURL))

	// Background loops run until shutdown ends loopsCtx, and shutdown waits for them
	// before the database closes: start each with loops.Go.
	loopsCtx, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	var loops sync.WaitGroup
	loops.Go(func() { janitor(loopsCtx, svc, log, cfg.JanitorEvery) })

	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	var served error
	select {
	case served = <-errc:
	case <-ctx.Done():
	}
	log.Info("shutting down")
	return errors.Join(served, shutdown(app, stopLoops, abandonCalls, &loops, log))
}

// stopSignals returns a context that SIGTERM or SIGINT (Ctrl-C) ends, which
// starts the graceful shutdown (run). A second one while it runs ends the process
// at once through exit, with an error line and the code a shell gives a process
// that signal ended (130 for SIGINT, 143 for SIGTERM): an operator pressing Ctrl-C
// again wants it stopped now, not after the requests in flight (what was in
// flight is settled as after a crash, by the janitor at the next start).
func stopSignals(log *slog.Logger, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			log.Error("second signal during shutdown: stopping at once, without waiting for requests and background jobs",
				"signal", sig.String())
			code := 128 + int(syscall.SIGTERM)
			if sig == os.Interrupt {
				code = 128 + int(syscall.SIGINT)
			}
			exit(code)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

// janitor runs the background jobs (cashier.Service.Janitor) at start and then
// every interval until ctx ends: payouts whose AccountPayout call had no known
// outcome are resent under the same MessageID, so Trustly pays at most once, and
// those answered 637 are settled from Trustly's ledger; refunds with no recorded
// outcome are checked; expired checkouts become abandoned; notifications for
// unknown orders are matched. Another instance running a job makes this one skip
// it. It returns once the run under way has stopped.
func janitor(ctx context.Context, svc *cashier.Service, log *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		skipped, err := svc.Janitor(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("janitor", "err", err)
		}
		if len(skipped) > 0 {
			log.Debug("janitor jobs skipped: another instance runs them", "jobs", skipped)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// The embedded sandbox's merchant credentials; it runs on loopback for this cashier
// alone.
const (
	sandboxUser     = "merchant"
	sandboxPassword = "sandbox"
)

// startSandbox runs the embedded sandbox on its own origin (the checkout must be a
// different site from the cashier, as Trustly's is) and returns a stop function.
func startSandbox(ctx context.Context, cfg *config, log *slog.Logger) (*sandbox.Sandbox, func(), error) {
	sb, err := sandbox.New(sandbox.Config{DataDir: filepath.Join(cfg.DataDir, "sandbox"), Username: sandboxUser,
		Password: sandboxPassword, MerchantKey: &cfg.MerchantKey.PublicKey, BaseURL: cfg.SandboxBaseURL,
		AdminPassword: cfg.SandboxAdminPassword, Logger: log.With("component", "sandbox"),
		PayNPlay: anyPayNPlay(cfg.PayNPlay)})
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", cfg.SandboxAddr)
	if err != nil {
		sb.Close()
		return nil, nil, fmt.Errorf("listen on SANDBOX_ADDR %s: %w", cfg.SandboxAddr, err)
	}
	// Its pages show every order's notifications and checkout links.
	if !sandbox.Loopback(ln.Addr()) && (!cfg.SandboxPublic || cfg.SandboxAdminPassword == "") {
		ln.Close()
		sb.Close()
		return nil, nil, fmt.Errorf("SANDBOX_ADDR %s is not a loopback address: set SANDBOX_PUBLIC=1 and SANDBOX_ADMIN_PASSWORD to serve the sandbox there", ln.Addr())
	}
	srv := sb.Server()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("sandbox server", "err", err)
		}
	}()
	sb.Start(ctx)
	return sb, func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
		sb.Close()
	}, nil
}

// anyPayNPlay reports whether some market has Pay N Play on; the embedded sandbox
// then accepts RequestKYC, as Trustly does once it has enabled Pay N Play.
func anyPayNPlay(m paynplay.Modes) bool {
	for _, c := range paynplay.Markets {
		if m.Enabled(c) {
			return true
		}
	}
	return false
}

func dbKind(dsn string) string {
	if store.IsPostgres(dsn) {
		return "postgres"
	}
	return "sqlite"
}

// notifyURLLine is the banner's line about the notification URL. The URL's last
// segment is a secret, so the line shows its first four characters only and says
// where the whole token is read from; neither the banner nor the log ever holds it.
func notifyURLLine(cfg *config) string {
	return fmt.Sprintf("Notification URL to register with Trustly: %s/trustly/notify/%s (the last part is a secret token, "+
		"shown in part; copy it whole from %s).", cfg.BaseURL, mask(cfg.NotifyToken), cfg.NotifyTokenFrom)
}

// mask is a secret's first four characters and an ellipsis.
func mask(secret string) string {
	if r := []rune(secret); len(r) > 4 {
		return string(r[:4]) + "…"
	}
	return "…"
}
