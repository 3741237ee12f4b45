// Command sandbox runs the Trustly sandbox on its own: the JSON-RPC API, the fake
// checkout and the notification deliverer, with its state in --data.
//
//	go run ./cmd/sandbox --merchant-key merchant-public.pem
//
// It listens on loopback. Its /sandbox/ pages show every order's notifications
// and checkout links, so another address needs --public and an admin password.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/trustly"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. It prints the URLs to look at on out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	data := fs.String("data", "sandbox-data", "data directory (SQLite database, and the key unless --key)")
	username := fs.String("username", "merchant", "the merchant's API username")
	password := fs.String("password", "sandbox", "the merchant's API password")
	merchantKey := fs.String("merchant-key", "", "PEM file with the merchant's public key (required)")
	keyFile := fs.String("key", "", "PEM file with the sandbox's private key, created when absent (default DATA/sandbox-private.pem)")
	baseURL := fs.String("base-url", "", "public URL of the sandbox for checkout URLs (default http://ADDR)")
	payNPlay := fs.Bool("paynplay", true, "allow RequestKYC (Pay N Play); without it such a Deposit gets 732")
	notifyDelay := fs.Duration("notify-delay", 2*time.Second, "from checkout completion to the first notification")
	lateDelay := fs.Duration("late-delay", 2*time.Minute, "deposit-delayed: how much later the credit comes")
	kycTimeout := fs.Duration("kyc-timeout", 30*time.Second, "an unanswered kyc counts as FINISH after this")
	public := fs.Bool("public", false, "allow a --addr that is not loopback (needs an admin password)")
	adminPassword := fs.String("admin-password", "", "password for the /sandbox/ pages (HTTP Basic, any user name); required with --public")
	adminPasswordFile := fs.String("admin-password-file", "", "file holding the --admin-password")
	stepDelay := fs.Duration("step-delay", 500*time.Millisecond, "between one order's notifications")
	retries := fs.String("retry", "", "waits before each redelivery, such as 100ms,1sx600 (x repeats); default Trustly's 10s, 30s, 2m … for 24 h")
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *adminPasswordFile != "" {
		b, err := os.ReadFile(*adminPasswordFile)
		if err != nil {
			return fmt.Errorf("--admin-password-file: %w", err)
		}
		*adminPassword = strings.TrimSpace(string(b))
	}
	schedule, err := parseRetry(*retries)
	if err != nil {
		return fmt.Errorf("--retry: %w", err)
	}
	if *merchantKey == "" {
		return errors.New("--merchant-key is required: the merchant's public key (openssl rsa -in private.pem -pubout)")
	}
	mk, err := trustly.LoadPublicKey(*merchantKey)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return err
	}
	if *keyFile == "" {
		*keyFile = filepath.Join(*data, "sandbox-private.pem")
	}
	key, err := sandbox.LoadOrCreateKey(*keyFile)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if err := exposure(ln.Addr(), *public, *adminPassword); err != nil {
		ln.Close()
		return err
	}
	if *baseURL == "" {
		*baseURL = "http://" + ln.Addr().String()
	}
	sb, err := sandbox.New(sandbox.Config{DataDir: *data, Username: *username, Password: *password, MerchantKey: mk,
		Key: key, BaseURL: *baseURL, AdminPassword: *adminPassword, NotifyDelay: *notifyDelay, LateDelay: *lateDelay, KYCTimeout: *kycTimeout,
		PayNPlay: *payNPlay, Logger: log, StepDelay: *stepDelay, RetrySchedule: schedule})
	if err != nil {
		return err
	}
	defer sb.Close()
	sb.Start(ctx)
	// Write the public key beside the private one, for the cashier's configuration.
	pubPath := filepath.Join(*data, "sandbox-public.pem")
	if err := os.WriteFile(pubPath, trustly.PublicKeyPEM(sb.PublicKey()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, `Trustly sandbox
  API            POST %[1]s/api/1  (also /1), username %[2]q
  orders         %[1]s/sandbox/%[5]s
  public key     %[1]s/sandbox/public-key.pem  (also %[3]s)
  data           %[4]s
Stop with Ctrl-C.
`, *baseURL, *username, pubPath, *data, pagesNote(*adminPassword))
	srv := sb.Server()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// exposure refuses an address reachable from other machines unless --public was
// given with an admin password.
func exposure(addr net.Addr, public bool, adminPassword string) error {
	switch {
	case sandbox.Loopback(addr):
		return nil
	case !public:
		return fmt.Errorf("--addr %s is not a loopback address, and the sandbox's pages show every order's notifications and checkout links: pass --public with --admin-password(-file) to serve it there", addr)
	case adminPassword == "":
		return fmt.Errorf("--public needs --admin-password or --admin-password-file: the sandbox's pages would be open to anyone reaching %s", addr)
	}
	return nil
}

func pagesNote(adminPassword string) string {
	if adminPassword == "" {
		return "  (no password: keep it on loopback)"
	}
	return "  (admin password required)"
}

// parseRetry reads a retry schedule: durations separated by commas, each maybe
// followed by xN to repeat it N times. "" is nil: the sandbox's default.
func parseRetry(v string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		d, n := part, 1
		if i := strings.LastIndex(part, "x"); i > 0 {
			var err error
			if n, err = strconv.Atoi(part[i+1:]); err != nil || n < 1 || n > 100000 {
				return nil, fmt.Errorf("%q: want a duration, or a duration and xN", part)
			}
			d = part[:i]
		}
		wait, err := time.ParseDuration(d)
		if err != nil || wait <= 0 {
			return nil, fmt.Errorf("%q: want a duration such as 500ms", part)
		}
		for range n {
			out = append(out, wait)
		}
	}
	return out, nil
}
