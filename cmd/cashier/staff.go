package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/trustly"
)

// staffUsage explains `cashier staff`.
const staffUsage = `usage: cashier staff add --email EMAIL --role ROLE [--password-file FILE]
       cashier staff reset-2fa --email EMAIL

add adds a back-office staff account to the database the environment names
(DATABASE_URL, or CASHIER_DATA/cashier.db). ROLE is viewer, operator, finance or
owner. The password is read from FILE, or else from the first line of standard
input; it is never a command-line argument, which other users could see.

reset-2fa removes the second factor of the account of EMAIL, for an owner who
lost their authenticator app (an owner resets anyone else's on /admin/staff) or
after CASHIER_TOTP_KEY was lost: they sign in with their password and set one up
again. Their sessions end.`

// runStaff runs `cashier staff …` with args (after "staff").
func runStaff(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, out io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		return errors.New(staffUsage)
	}
	fs := flag.NewFlagSet("cashier staff "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the staff member's email")
	switch args[0] {
	case "add":
		role := fs.String("role", "", "viewer, operator, finance or owner")
		passwordFile := fs.String("password-file", "", "a file holding the password")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || *email == "" || *role == "" {
			return errors.New(staffUsage)
		}
		password, err := readPassword(*passwordFile, stdin)
		if err != nil {
			return err
		}
		return withStaffService(getenv, log, func(svc *cashier.Service, baseURL string) error {
			m, err := svc.AddStaff(ctx, *email, password, staff.Role(*role))
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "Added %s as %s (staff id %d). They sign in at %s/admin/login.\n", m.Email, m.Role, m.ID, baseURL)
			return nil
		})
	case "reset-2fa":
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || *email == "" {
			return errors.New(staffUsage)
		}
		return withStaffService(getenv, log, func(svc *cashier.Service, baseURL string) error {
			m, reset, err := svc.ResetStaffTOTPByEmail(ctx, *email)
			switch {
			case err != nil:
				return err
			case !reset:
				fmt.Fprintf(out, "%s has no second factor; nothing changed.\n", m.Email)
			default:
				fmt.Fprintf(out, "Removed the second factor of %s and ended their sessions. They sign in at %s/admin/login and set one up again.\n",
					m.Email, baseURL)
			}
			return nil
		})
	}
	return errors.New(staffUsage)
}

// withStaffService runs do with a Service on the database the environment names,
// and the cashier's base URL, then closes the database. Staff accounts call no
// Trustly method: the client and keys only satisfy cashier.New.
func withStaffService(getenv func(string) string, log *slog.Logger, do func(svc *cashier.Service, baseURL string) error) error {
	cfg, err := loadConfig(getenv, log)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	db, err := store.Open(cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer store.Close(db)
	trustlyKey := cfg.TrustlyKey
	if trustlyKey == nil {
		trustlyKey = &cfg.MerchantKey.PublicKey
	}
	client, err := trustly.NewClient(trustly.Config{URL: "http://127.0.0.1:1/api/1", Username: "-", Password: "-",
		PrivateKey: cfg.MerchantKey, TrustlyKey: trustlyKey, Env: "test", Logger: log})
	if err != nil {
		return err
	}
	svc, err := cashier.New(cashier.Deps{DB: db, Trustly: client, MerchantKey: cfg.MerchantKey, TrustlyKey: trustlyKey,
		Log: log, TOTPKey: cfg.TOTPKey, Config: cashier.Config{BaseURL: cfg.BaseURL, NotifyToken: cfg.NotifyToken, Limits: cfg.Limits}})
	if err != nil {
		return err
	}
	return do(svc, cfg.BaseURL)
}

// readPassword reads the password from the file at path, or from the first line of
// stdin when path is empty.
func readPassword(path string, stdin io.Reader) (string, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		return "", errors.New("give the password on standard input (one line) or with --password-file")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
