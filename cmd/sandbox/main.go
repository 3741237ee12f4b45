// Command sandbox runs the Trustly sandbox on its own: the JSON-RPC API, the fake
// checkout and the notification deliverer, with its state in --data.
//
//	go run ./cmd/sandbox --merchant-key merchant-public.pem
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
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
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		return err
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
	if *baseURL == "" {
		*baseURL = "http://" + ln.Addr().String()
	}
	sb, err := sandbox.New(sandbox.Config{DataDir: *data, Username: *username, Password: *password, MerchantKey: mk,
		Key: key, BaseURL: *baseURL, NotifyDelay: *notifyDelay, LateDelay: *lateDelay, KYCTimeout: *kycTimeout,
		PayNPlay: *payNPlay, Logger: log})
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
  orders         %[1]s/sandbox/
  public key     %[1]s/sandbox/public-key.pem  (also %[3]s)
  data           %[4]s
Stop with Ctrl-C.
`, *baseURL, *username, pubPath, *data)
	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
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
