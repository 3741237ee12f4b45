// Command seed fills an empty cashier database with a realistic history (package
// internal/seed): players of four markets, their deposits and payouts in every
// final state over two years, the notifications and API calls behind them, and
// ledger transfers with balanced entries and balances.
//
//	go run ./cmd/seed -db cashier-big.db -players 10000 -orders 200000 -transfers 1000000
//	go run ./cmd/seed -db postgres://postgres@127.0.0.1:5432/big?sslmode=disable
//
// The database is created and migrated as the cashier would (store.Open) and must
// hold no players, orders or transfers yet. The same -seed and -until give the same
// rows. Every seeded player with an email signs in with seed.Password.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/internal/seed"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(out)
	dsn := fs.String("db", "", "SQLite file or postgres:// URL of the database to fill (required)")
	players := fs.Int("players", seed.Full.Players, "players")
	orders := fs.Int("orders", seed.Full.Orders, "deposit and payout orders")
	transfers := fs.Int("transfers", seed.Full.Transfers, "ledger transfers in all: the orders' own and play")
	seedN := fs.Uint64("seed", 1, "random seed; the same seed and -until give the same database")
	until := fs.String("until", "", "the day the history ends, YYYY-MM-DD (default today, UTC)")
	days := fs.Int("days", 730, "how many days back the history reaches")
	audit := fs.Bool("audit", true, "check the ledger's invariants afterwards (ledger.Audit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("-db is required, and nothing else")
	}
	cfg := seed.Config{Players: *players, Orders: *orders, Transfers: *transfers, Seed: *seedN,
		Span: time.Duration(*days) * 24 * time.Hour,
		Log:  func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }}
	if *until != "" {
		t, err := time.Parse(time.DateOnly, *until)
		if err != nil {
			return fmt.Errorf("-until: %w", err)
		}
		cfg.Until = t
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := store.Open(*dsn, log)
	if err != nil {
		return err
	}
	defer store.Close(db)
	stats, err := seed.Run(ctx, db, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d players (%d bank accounts, %d limit changes, %d breaks), %d orders, %d transfers (%d entries, %d balances), %d notifications, %d API calls\n",
		stats.Players, stats.BankAccounts, stats.LimitChanges, stats.Breaks, stats.Orders, stats.Transfers, stats.Entries,
		stats.Balances, stats.Notifications, stats.APICalls)
	for _, s := range slices.Sorted(maps.Keys(stats.Statuses)) {
		fmt.Fprintf(out, "  %-26s %d\n", s, stats.Statuses[s])
	}
	if *audit {
		start := time.Now()
		if err := ledger.New(db).Audit(ctx); err != nil {
			return err
		}
		fmt.Fprintf(out, "ledger audit clean (%s)\n", time.Since(start).Round(time.Millisecond))
	}
	return nil
}
