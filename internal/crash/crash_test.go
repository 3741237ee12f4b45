package crash

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/internal/failpoint"
	"github.com/trustly-cashier/cashier/internal/freeaddr"
	"github.com/trustly-cashier/cashier/models"
)

const adminEmail, adminPassword = "owner@example.com", "crash-owner-password"

// TestCrash kills the cashier again and again in the middle of money movements and
// checks, once it has been left to recover, that the books agree with Trustly's.
// CRASH=1 runs 120 cycles, otherwise 10; CRASH_CYCLES sets the number and
// CRASH_SEED replays a run.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness: builds and runs the binaries")
	}
	cycles := 10
	if os.Getenv("CRASH") == "1" {
		cycles = 120
	}
	if v, err := strconv.Atoi(os.Getenv("CRASH_CYCLES")); err == nil && v > 0 {
		cycles = v
	}
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("CRASH_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with: CRASH_SEED=%d CRASH_CYCLES=%d go test -count=1 -run TestCrash ./internal/crash", seed, cycles)
		}
	})
	h := newHarness(t, seed)
	h.run(cycles)
}

// harness is one sandbox process, alive throughout, and the cashier process that
// the harness kills and restarts, each on its own loopback port.
type harness struct {
	t       *testing.T
	rng     *rand.Rand
	dir     string
	bin     string
	sbURL   string
	addr    string // the cashier's
	env     []string
	cashier *exec.Cmd
	exited  chan struct{}
	players []*player
	admin   *client
	fired   map[string]int // failpoints that killed the cashier
}

func newHarness(t *testing.T, seed uint64) *harness {
	dir, err := os.MkdirTemp("", "crash-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			os.RemoveAll(dir)
		}
	})
	h := &harness{t: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), dir: dir, fired: map[string]int{}}
	h.bin = buildBinaries(t, h.dir)
	sbURL, merchantKey := startSandbox(t, h.dir, h.bin)
	h.sbURL = sbURL
	h.addr = freeaddr.Addr(t)
	h.env = append(cashierEnv(h.dir, sbURL, merchantKey),
		"CASHIER_ADDR="+h.addr, "CASHIER_BASE_URL=http://"+h.addr, "CASHIER_DATA="+filepath.Join(h.dir, "cashier"),
		"DATABASE_URL="+filepath.Join(h.dir, "cashier.db"))
	return h
}

// start runs the cashier with the failpoints fp (comma-separated, "" for none) and
// waits until it serves; false when a failpoint killed it first (a redelivery
// arrives as soon as it listens).
func (h *harness) start(fp string) bool {
	h.t.Helper()
	cmd := exec.Command(filepath.Join(h.bin, "cashier"))
	cmd.Env = append(h.env, failpoint.EnvVar+"="+fp)
	log := logFile(h.t, h.dir, "cashier.log")
	fmt.Fprintf(log, "\n=== start, failpoint %q ===\n", fp)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.cashier, h.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { cmd.Wait(); close(exited) }(h.exited)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + h.addr + "/login")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return true
			}
		}
		select {
		case <-h.exited:
			if fp != "" && h.died() {
				return false
			}
			h.t.Fatalf("cashier exited at start (failpoint %q); see %s", fp, filepath.Join(h.dir, "cashier.log"))
		default:
		}
		if time.Now().After(deadline) {
			h.t.Fatal("cashier did not start within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL, as kill -9 does, and waits for the process to end.
func (h *harness) kill() {
	h.cashier.Process.Signal(syscall.SIGKILL)
	<-h.exited
}

// died reports whether the cashier ended by SIGKILL on its own: a failpoint.
func (h *harness) died() bool {
	select {
	case <-h.exited:
		ws, ok := h.cashier.ProcessState.Sys().(syscall.WaitStatus)
		return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
	default:
		return false
	}
}

func (h *harness) run(cycles int) {
	t := h.t
	h.start("")
	h.admin = newClient(t, "http://"+h.addr)
	h.admin.form("/admin/login", "/admin/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	for i := range 3 {
		h.players = append(h.players, register(t, "http://"+h.addr, fmt.Sprintf("crash%d@example.com", i)))
	}
	waitingID := int64(0)
	if upgrading() {
		waitingID = h.waitingPayout()
	}
	h.kill()

	points := failpoint.Names
	for c := range cycles {
		if upgrading() && c == cycles/2 {
			upgrade(t, h.bin)
		}
		fp := ""
		if c%2 == 0 {
			fp = points[(c/2)%len(points)]
		}
		if !h.start(fp) {
			h.fired[fp]++
			continue
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for _, p := range h.players {
			wg.Go(func() { h.drive(p, stop, rand.New(rand.NewPCG(h.rng.Uint64(), 1))) })
		}
		wg.Go(func() { h.refunds(stop, rand.New(rand.NewPCG(h.rng.Uint64(), 2))) })
		limit := time.Duration(50+h.rng.IntN(700)) * time.Millisecond // a random moment
		if fp != "" {
			limit = 8 * time.Second // until the failpoint fires
		}
		select {
		case <-h.exited:
		case <-time.After(limit):
		}
		if h.died() {
			h.fired[fp]++
		} else {
			h.kill()
		}
		close(stop)
		wg.Wait()
	}
	t.Logf("%d kill cycles; failpoints fired: %v", cycles, h.fired)

	// Recovery: no failpoints, no new orders; retries, the janitor and Trustly's
	// redeliveries finish what the crashes left.
	h.start("")
	if waitingID != 0 {
		// The staff session the older release gave approves, on this build, the
		// payout that waited for approval since before the upgrade.
		path := fmt.Sprintf("/admin/approvals/%d/approve", waitingID)
		if status, err := h.admin.try("/admin/approvals", path, url.Values{"reason": {"after the upgrade"}}); err != nil {
			t.Fatalf("approve payout %d after the upgrade: %d %v", waitingID, status, err)
		}
		t.Logf("approved payout %d after the upgrade", waitingID)
	}
	var last error
	deadline := time.Now().Add(90 * time.Second)
	for {
		if last = h.check(false); last == nil {
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	h.cashier.Process.Signal(syscall.SIGTERM)
	<-h.exited
	if err := h.check(true); err != nil {
		t.Fatalf("after recovery: %v (before the last stop: %v); logs in %s", err, last, h.dir)
	}
	if db, err := openRead(filepath.Join(h.dir, "cashier.db")); err == nil {
		var rows []struct {
			Kind, Status string
			N            int
		}
		db.Model(&models.Order{}).Select("kind, status, count(*) AS n").Group("kind, status").Scan(&rows)
		var waiting models.Order
		if waitingID != 0 && (db.Where("id = ?", waitingID).Take(&waiting).Error != nil || waiting.Status != models.OrderConfirmed) {
			t.Errorf("payout %d approved after the upgrade: %s; want %s", waitingID, waiting.Status, models.OrderConfirmed)
		}
		closeDB(db)
		t.Logf("orders by kind and status: %v", rows)
	}
	if os.Getenv("CRASH") == "1" {
		for _, fp := range points {
			if h.fired[fp] == 0 {
				t.Errorf("failpoint %s never fired", fp)
			}
		}
	}
}

// drive makes p deposit and withdraw, and now and then add a bank account, until
// stop, ignoring failures: the cashier may die under any request.
func (h *harness) drive(p *player, stop chan struct{}, rng *rand.Rand) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		switch {
		case rng.IntN(10) == 0:
			p.addAccount(rng)
		case rng.IntN(3) > 0 || !p.withdraw(rng):
			p.deposit(rng)
		}
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
	}
}

// refunds has the owner refund part of a credited deposit now and then.
func (h *harness) refunds(stop chan struct{}, rng *rand.Rand) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(100+rng.IntN(300)) * time.Millisecond):
		}
		db, err := openRead(filepath.Join(h.dir, "cashier.db"))
		if err != nil {
			continue
		}
		var deps []models.Order
		db.Where("kind = ? AND status = ?", models.OrderDeposit, models.OrderCredited).Order("id DESC").Limit(5).Find(&deps)
		closeDB(db)
		if len(deps) == 0 {
			continue
		}
		d := deps[rng.IntN(len(deps))]
		path := fmt.Sprintf("/admin/orders/%d/refund", d.ID)
		h.admin.try("/admin/reauth?next="+url.QueryEscape(path), "/admin/reauth", url.Values{"password": {adminPassword}, "next": {path}})
		h.admin.try(path, path, url.Values{"amount": {strconv.Itoa(10 + rng.IntN(20))}, "reason": {"crash test"}})
	}
}

// check compares the cashier's books with the sandbox's (checkBooks), or returns
// why it cannot yet. final is unused: checkBooks already requires the sandbox to
// have nothing left to deliver.
func (h *harness) check(final bool) error {
	db, err := openRead(filepath.Join(h.dir, "cashier.db"))
	if err != nil {
		return err
	}
	defer closeDB(db)
	sb, err := openRead(filepath.Join(h.dir, "sandbox", "sandbox.db"))
	if err != nil {
		return err
	}
	defer closeDB(sb)
	_ = final
	return checkBooks(db, sb)
}

// waitingPayout has a new player deposit 6 000 kr and ask for a payout of 5 500,
// which waits for approval (the default approval_above is 5 000); it returns the
// payout's id.
func (h *harness) waitingPayout() int64 {
	t := h.t
	p := register(t, "http://"+h.addr, "waiting@example.com")
	p.try("/limits", "/limits", url.Values{"month": {"100000"}})
	if status, err := p.try("/cashier", "/deposit", url.Values{"amount": {"6000"}}); err != nil {
		t.Fatalf("deposit: %d %v", status, err)
	}
	db, err := openRead(filepath.Join(h.dir, "cashier.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer closeDB(db)
	var id int64
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		page, _ := p.get("/payout")
		if m := accountRE.FindStringSubmatch(page); m != nil {
			p.try("/payout", "/payout", url.Values{"amount": {"5500"}, "account": {m[1]}})
			db.Raw("SELECT id FROM orders WHERE kind = 'payout' AND status = ? AND amount_minor = 550000", models.OrderAwaitingApproval).Scan(&id)
			if id != 0 {
				t.Logf("payout %d waits for approval", id)
				return id
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no payout waiting for approval after 60 s")
		}
	}
}
