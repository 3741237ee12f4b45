package cashier_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/internal/failpoint"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// A crash child is this test binary run again as a process of its own, as the
// cashier a kill -9 stops in the middle of a money path: it opens the payEnv's
// database, calls Trustly through the payEnv's proxy (so its calls are counted and
// its answers can be held), and runs one step (a deposit form, a withdrawal form,
// the add-account button, a payout's approval, a refund, the return of held money,
// ResumePayouts) with a failpoint on, or KillBefore, which kills it with SIGKILL
// there, or is killed by the test while its call is held. The payEnv's own Service
// is then the cashier started again on the same database; Trustly's notifications
// about what the child started reach it.

// crashChildEnv names the file describing the child's step; the child test runs
// only when it is set.
const crashChildEnv = "CASHIER_CRASH_CHILD"

// crashStep is what a crash child does, and where.
type crashStep struct {
	DSN, API, BaseURL, NotifyToken   string
	Username, Password               string
	MerchantKeyPEM, TrustlyKeyPEM    []byte
	SandboxExtra                     map[string]string
	Kind                             string // "deposit", "payout", "approve", "selectaccount", "registeraccount", "refund", "heldreturn" or "resume"
	PlayerID, AccountID, AmountMinor int64
	StaffID, DepositID               int64 // refund, heldreturn: the member refunding deposit DepositID, or returning its held credit
	PayoutID                         int64 // approve: the payout the member StaffID approves
	Token                            string
	// KillBefore, a column of orders, kills the child (SIGKILL) just before an
	// UPDATE of orders that sets it: a crash between two statements where no
	// failpoint is.
	KillBefore string
}

// TestCrashChildProcess is the crash child; it does nothing unless a crash test
// started it.
func TestCrashChildProcess(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("runs only as a crash test's child process")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var step crashStep
	if err := json.Unmarshal(raw, &step); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(step.DSN, payLog())
	if err != nil {
		t.Fatal(err)
	}
	mk, err := trustly.ParsePrivateKey(step.MerchantKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := trustly.ParsePublicKey(step.TrustlyKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	client, err := trustly.NewClient(trustly.Config{URL: step.API, Username: step.Username, Password: step.Password,
		PrivateKey: mk, TrustlyKey: tk, Env: "sandbox", Logger: payLog()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := payConfig(step.BaseURL, step.NotifyToken)
	cfg.SandboxExtra = step.SandboxExtra
	svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: mk, TrustlyKey: tk,
		Config: cfg, Log: payLog(), Exclusions: exclusions.Sandbox()})
	if err != nil {
		t.Fatal(err)
	}
	if col := step.KillBefore; col != "" {
		err := db.Callback().Update().Before("gorm:update").Register("crash:kill_before", func(tx *gorm.DB) {
			if set, ok := tx.Statement.Dest.(map[string]any); ok && tx.Statement.Table == "orders" {
				if _, ok := set[col]; ok {
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var player models.Player
	if step.PlayerID != 0 { // a return of held money is nobody's
		if err := db.Take(&player, step.PlayerID).Error; err != nil {
			t.Fatal(err)
		}
	}
	amount := models.Money{Minor: step.AmountMinor, Currency: player.Currency}
	switch step.Kind {
	case "deposit":
		_, err = svc.StartDepositOnce(t.Context(), player, step.Token, amount, "127.0.0.1")
	case "payout":
		_, err = svc.RequestPayoutOnce(t.Context(), player, step.Token, step.AccountID, amount)
	case "registeraccount":
		_, err = svc.RegisterBankAccountOnce(t.Context(), player, step.Token, "SE", "6112", "69706212")
	case "selectaccount":
		_, err = svc.StartSelectAccountOnce(t.Context(), player, step.Token, "127.0.0.1")
	case "approve":
		_, err = svc.ApprovePayout(t.Context(), staff.Member{ID: step.StaffID}, step.PayoutID, "crash test")
	case "refund":
		_, err = svc.RefundDepositOnce(t.Context(), staff.Member{ID: step.StaffID}, step.DepositID, step.Token, amount, "crash test")
	case "heldreturn":
		_, err = svc.ReturnHeldOnce(t.Context(), staff.Member{ID: step.StaffID}, step.DepositID, step.Token, "crash test")
	case "resume":
		err = svc.ResumePayouts(t.Context())
	default:
		err = fmt.Errorf("unknown step %q", step.Kind)
	}
	// Reached only when the failpoint did not fire.
	t.Fatalf("the crash child lived through its step (%s): %v", step.Kind, err)
}

// crashChild starts step in a child process with failpoint fp on ("" for none),
// on e's database and through e's proxy, and returns it running.
func (e *payEnv) crashChild(fp string, step crashStep) *exec.Cmd {
	e.t.Helper()
	step.DSN = e.dsn()
	step.API, step.BaseURL, step.NotifyToken = e.api, e.cfg.BaseURL, e.cfg.NotifyToken
	step.Username, step.Password = e.sb.Username, e.sb.Password
	step.MerchantKeyPEM, step.TrustlyKeyPEM = trustly.PrivateKeyPEM(e.sb.MerchantKey), trustly.PublicKeyPEM(e.sb.TrustlyKey)
	step.SandboxExtra = e.cfg.SandboxExtra
	raw, err := json.Marshal(step)
	if err != nil {
		e.t.Fatal(err)
	}
	path := e.t.TempDir() + "/step.json"
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path, failpoint.EnvVar+"="+fp)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

// crash runs step in a child process that failpoint fp kills, and waits for it to
// die by SIGKILL.
func (e *payEnv) crash(fp string, step crashStep) {
	e.t.Helper()
	cmd := e.crashChild(fp, step)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		wantKilled(e.t, cmd, err)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		e.t.Fatalf("failpoint %s never killed the crash child", fp)
	}
}

// wantKilled checks the child ended by SIGKILL.
func wantKilled(t *testing.T, cmd *exec.Cmd, err error) {
	t.Helper()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("crash child: %v; want it killed", err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("crash child ended with %v; want SIGKILL", cmd.ProcessState)
	}
}

// dsn is how another process opens e's database: the SQLite file, or the
// PostgreSQL schema of the test.
func (e *payEnv) dsn() string {
	e.t.Helper()
	if e.db.Dialector.Name() == "postgres" {
		var schema string
		if err := e.db.Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
			e.t.Fatal(err)
		}
		u, err := url.Parse(os.Getenv("TEST_DATABASE_URL"))
		if err != nil {
			e.t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	var rows []struct {
		Name, File string
	}
	if err := e.db.Raw("PRAGMA database_list").Scan(&rows).Error; err != nil {
		e.t.Fatal(err)
	}
	for _, r := range rows {
		if r.Name == "main" && r.File != "" {
			return r.File
		}
	}
	e.t.Fatal("no SQLite file")
	return ""
}

// byMessageID is the order with messageID.
func (e *payEnv) byMessageID(messageID string) models.Order {
	e.t.Helper()
	var o models.Order
	if err := e.db.Where("message_id = ?", messageID).Take(&o).Error; err != nil {
		e.t.Fatalf("order %s: %v", messageID, err)
	}
	return o
}
