package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/trustly-cashier/cashier/cashier/store"
)

// backupUsage explains `cashier backup`.
const backupUsage = `usage: cashier backup --to FILE

backup writes a consistent copy of the SQLite database the environment names
(DATABASE_URL, or CASHIER_DATA/cashier.db) to FILE, a new file only its owner can
read, while the cashier keeps running: every transaction committed when it starts,
including those still in the write-ahead log (cashier.db-wal), which copying
cashier.db alone would lose. The copy is checked before the command says it is
done. To restore, stop the cashier, put the copy in place of cashier.db (and
remove cashier.db-wal and cashier.db-shm), and start it. A PostgreSQL database is
backed up with pg_dump or the server's own archiving.`

// runBackup runs `cashier backup …` with args (after "backup").
func runBackup(ctx context.Context, args []string, getenv func(string) string, out io.Writer, _ *slog.Logger) error {
	fs := flag.NewFlagSet("cashier backup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	to := fs.String("to", "", "the file to write the copy to")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *to == "" {
		return errors.New(backupUsage)
	}
	if err := checkBlank(getenv, "DATABASE_URL", "CASHIER_DATA"); err != nil {
		return err
	}
	dsn := databaseURL(getenv)
	if err := checkDatabaseURL(dsn); err != nil {
		return err
	}
	if store.IsPostgres(dsn) {
		return store.ErrBackupPostgres
	}
	if _, err := os.Stat(store.SQLitePath(dsn)); err != nil {
		return fmt.Errorf("no database to back up: %w", err)
	}
	if err := store.Backup(ctx, dsn, *to); err != nil {
		return err
	}
	fmt.Fprintf(out, "Backed up %s to %s.\n", store.SQLitePath(dsn), *to)
	return nil
}
