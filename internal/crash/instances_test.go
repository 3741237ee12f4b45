package crash

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/internal/freeaddr"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// instanceHeader names, in the proxy's answers, the instance that served the
// request: "0" or "1".
const instanceHeader = "X-Test-Instance"

// TestTwoInstances runs two cmd/cashier processes on one PostgreSQL schema behind
// the test's own round-robin proxy, which is also the address the sandbox (a
// process of its own) sends notifications to. A player whose every other request
// goes to the other instance registers, signs in, deposits and withdraws; a storm
// of players deposits while the notifications are split across both and one
// instance is killed with SIGKILL and restarted; many payouts race against one
// balance across both. Then the books must agree with the sandbox's, as in
// TestCrash, and the race must have sent exactly the balance. CRASH=1 runs a
// larger storm. Without TEST_DATABASE_URL it is skipped (failed under CI=true).
func TestTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("two instances: builds and runs the binaries")
	}
	dsn := storetest.PostgresDSN(t)
	storm, deposits, racers := 6, 2, 12
	if os.Getenv("CRASH") == "1" {
		storm, deposits, racers = 30, 6, 40
	}
	ti := newTwoInstances(t, dsn)
	defer ti.stop()

	ti.alternatingPlayer()
	ti.stormAndKill(storm, deposits)
	if upgrading() {
		// A rolling upgrade: instance 0 is killed and comes back as this tree's
		// build while instance 1, the older release, serves, and a player deposits
		// through both; then instance 1 follows.
		ti.kill(0)
		upgrade(t, ti.bin)
		ti.start(0)
		mixed := register(t, ti.base, "mixed@example.com")
		rng := rand.New(rand.NewPCG(7, 7))
		for range 4 {
			mixed.deposit(rng)
		}
		ti.kill(1)
		ti.start(1)
	}
	ti.payoutRace(racers)

	var last error
	deadline := time.Now().Add(90 * time.Second)
	for {
		if last = ti.check(); last == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if last != nil {
		t.Fatalf("books: %v; logs in %s", last, ti.dir)
	}
	ti.stop()
	if err := ti.check(); err != nil {
		t.Fatalf("books after both instances stopped: %v; logs in %s", err, ti.dir)
	}
	var rows []struct {
		Kind, Status string
		N            int
	}
	ti.db.Model(&models.Order{}).Select("kind, status, count(*) AS n").Group("kind, status").Order("kind, status").Scan(&rows)
	t.Logf("orders by kind and status: %v; requests served per instance: %v", rows, ti.proxy.served())
}

// twoInstances is the sandbox, two cashier processes on one database, and the
// round-robin proxy in front of them.
type twoInstances struct {
	t     *testing.T
	dir   string
	bin   string
	env   []string
	addrs [2]string
	procs [2]*exec.Cmd
	ended [2]chan struct{}
	proxy *roundRobin
	base  string           // the proxy's URL: the cashier's public address
	db    *gorm.DB         // the cashier's database, read by the checks
	sbDir string           // the sandbox's data
	ids   map[string]int64 // player ids by email
}

func newTwoInstances(t *testing.T, dsn string) *twoInstances {
	dir, err := os.MkdirTemp("", "instances-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			os.RemoveAll(dir)
		}
	})
	ti := &twoInstances{t: t, dir: dir, sbDir: filepath.Join(dir, "sandbox"), ids: map[string]int64{}}
	ti.bin = buildBinaries(t, dir)
	sbURL, merchantKey := startSandbox(t, dir, ti.bin)

	ti.addrs = [2]string{freeaddr.Addr(t), freeaddr.Addr(t)}
	ti.proxy = newRoundRobin(t, "http://"+ti.addrs[0], "http://"+ti.addrs[1])
	ti.proxy.duplicate = true
	srv := httptest.NewServer(ti.proxy)
	t.Cleanup(srv.Close)
	ti.base = srv.URL
	ti.env = append(cashierEnv(dir, sbURL, merchantKey), "CASHIER_BASE_URL="+ti.base, "DATABASE_URL="+dsn)

	// One after the other: the first migrates the schema, the second finds it done.
	ti.start(0)
	ti.start(1)
	ti.db, err = gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeDB(ti.db) })
	return ti
}

// start runs instance i, with its own data directory and log, and waits until it
// serves.
func (ti *twoInstances) start(i int) {
	ti.t.Helper()
	cmd := exec.Command(filepath.Join(ti.bin, "cashier"))
	cmd.Env = append(ti.env, "CASHIER_ADDR="+ti.addrs[i], "CASHIER_DATA="+filepath.Join(ti.dir, fmt.Sprintf("cashier%d", i)))
	log := logFile(ti.t, ti.dir, fmt.Sprintf("cashier%d.log", i))
	fmt.Fprintf(log, "\n=== start ===\n")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		ti.t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() { cmd.Wait(); close(ended) }()
	ti.procs[i], ti.ended[i] = cmd, ended
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + ti.addrs[i] + "/login")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ended:
			ti.t.Fatalf("cashier %d exited at start; see %s", i, filepath.Join(ti.dir, fmt.Sprintf("cashier%d.log", i)))
		default:
		}
		if time.Now().After(deadline) {
			ti.t.Fatalf("cashier %d did not start within 30 s", i)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends instance i with SIGKILL, as kill -9 does.
func (ti *twoInstances) kill(i int) {
	ti.procs[i].Process.Signal(syscall.SIGKILL)
	<-ti.ended[i]
}

// stop ends both instances gracefully; it may be called twice.
func (ti *twoInstances) stop() {
	for i, p := range ti.procs {
		if p != nil {
			p.Process.Signal(syscall.SIGTERM)
			<-ti.ended[i]
		}
	}
}

// check is checkBooks on the shared database and the sandbox's.
func (ti *twoInstances) check() error {
	sb, err := openRead(filepath.Join(ti.sbDir, "sandbox.db"))
	if err != nil {
		return err
	}
	defer closeDB(sb)
	return checkBooks(ti.db, sb)
}

// playerID is the id of the player signed up as email.
func (ti *twoInstances) playerID(email string) int64 {
	ti.t.Helper()
	if id, ok := ti.ids[email]; ok {
		return id
	}
	var p models.Player
	if err := ti.db.Where("email = ?", email).Take(&p).Error; err != nil {
		ti.t.Fatalf("player %s: %v", email, err)
	}
	ti.ids[email] = p.ID
	return p.ID
}

// waitWallet waits until the player's wallet holds want (minor units) and they
// have a bank account to be paid to.
func (ti *twoInstances) waitWallet(email string, want int64) {
	ti.t.Helper()
	id := ti.playerID(email)
	deadline := time.Now().Add(60 * time.Second)
	for {
		w, _ := ledger.New(ti.db).Balance(context.Background(), models.PlayerWallet(id), "SEK")
		var accounts int64
		ti.db.Model(&models.BankAccount{}).Where("player_id = ?", id).Count(&accounts)
		if w.Minor == want && accounts > 0 {
			return
		}
		if time.Now().After(deadline) {
			ti.t.Fatalf("%s: wallet %d and %d bank accounts after 60 s; want %d and one", email, w.Minor, accounts, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alternatingPlayer registers, signs in, deposits and withdraws with every other
// request going to the other instance: each form's CSRF token comes from one
// instance and is checked by the other, and the session cookie one instance set is
// read by the other. Nothing else uses the proxy's browser lane meanwhile, so the
// alternation is exact; a lone GET now and then flips which instance serves the
// page and which the POST.
func (ti *twoInstances) alternatingPlayer() {
	t := ti.t
	var seen []string
	p := &player{client: newClient(t, ti.base), email: "alternating@example.com"}
	p.http.Transport = recordInstance{&seen}
	flip := func() {
		if _, err := p.get("/healthz"); err != nil {
			t.Fatal(err)
		}
	}
	p.form("/register", "/register", registration(p.email))
	flip()
	p.form("/login", "/login", url.Values{"email": {p.email}, "password": {"crash-password-1"}})
	p.form("/limits", "/limits", url.Values{"month": {"100000"}})
	p.form("/cashier", "/deposit", url.Values{"amount": {"300"}})
	ti.waitWallet(p.email, 30000)
	flip()
	page, err := p.get("/payout")
	m := accountRE.FindStringSubmatch(page)
	if err != nil || m == nil {
		t.Fatalf("the payout page offers no account: %v", err)
	}
	p.form("/payout", "/payout", url.Values{"amount": {"100"}, "account": {m[1]}})
	ti.waitWallet(p.email, 20000)
	for i := 1; i < len(seen); i++ {
		if seen[i] == seen[i-1] {
			t.Fatalf("requests %d and %d both went to instance %s: the proxy did not alternate (%v)", i-1, i, seen[i], seen)
		}
	}
	t.Logf("alternating player: %d requests across instances %v", len(seen), seen)
}

// recordInstance notes which instance served each request of one client.
type recordInstance struct{ seen *[]string }

func (r recordInstance) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		*r.seen = append(*r.seen, res.Header.Get(instanceHeader))
	}
	return res, err
}

// stormAndKill has storm players deposit concurrently, deposits times each, with
// their notifications split across both instances; once some deposits have been
// credited (the storm is under way) instance 1 is killed with SIGKILL, the storm
// goes on against the survivor (and the proxy's 502s for the dead one, which the
// sandbox retries), and instance 1 is restarted once the survivor has credited more.
func (ti *twoInstances) stormAndKill(storm, deposits int) {
	t := ti.t
	var players []*player
	for i := range storm {
		players = append(players, register(t, ti.base, fmt.Sprintf("storm%d@example.com", i)))
	}
	credited := func() int64 {
		var n int64
		ti.db.Model(&models.Order{}).Where("kind = ? AND status = ?", models.OrderDeposit, models.OrderCredited).Count(&n)
		return n
	}
	before := credited()
	var wg sync.WaitGroup
	for i, p := range players {
		rng := rand.New(rand.NewPCG(uint64(i), 3))
		wg.Go(func() {
			for range deposits {
				p.deposit(rng) // a deposit the dead instance refused is simply not made
			}
		})
	}
	waitFor(t, "a deposit of the storm credited", func() bool { return credited() > before })
	ti.kill(1)
	atKill := credited()
	t.Logf("killed instance 1 with %d of the storm's deposits credited", atKill-before)
	waitFor(t, "a notification to the dead instance refused and the survivor crediting more deposits", func() bool {
		return ti.proxy.refused.Load() > 0 && credited() > atKill
	})
	wg.Wait()
	ti.start(1)
}

// payoutRace gives a player 200 SEK and has racers concurrent payout requests of
// 50 SEK each, split across both instances, race for it: exactly four may be
// reserved and sent, and once Trustly has executed them the wallet is empty and the
// sandbox's books show exactly 200 SEK paid out.
func (ti *twoInstances) payoutRace(racers int) {
	t := ti.t
	p := register(t, ti.base, "racer@example.com")
	p.form("/cashier", "/deposit", url.Values{"amount": {"200"}})
	ti.waitWallet(p.email, 20000)
	page, err := p.get("/payout")
	m := accountRE.FindStringSubmatch(page)
	if err != nil || m == nil {
		t.Fatalf("the payout page offers no account: %v", err)
	}
	var served sync.Map
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range racers {
		wg.Go(func() {
			body, err := p.get("/payout")
			tok := csrfRE.FindStringSubmatch(body)
			if err != nil || tok == nil {
				t.Errorf("payout page: %v", err)
				return
			}
			<-start
			res, err := p.http.PostForm(p.base+"/payout", url.Values{"csrf": {tok[1]}, "amount": {"50"}, "account": {m[1]}})
			if err != nil {
				t.Errorf("payout: %v", err)
				return
			}
			res.Body.Close()
			served.Store(res.Header.Get(instanceHeader), true)
		})
	}
	close(start)
	wg.Wait()
	for _, i := range []string{"0", "1"} {
		if _, ok := served.Load(i); !ok {
			t.Errorf("no payout request of the race reached instance %s", i)
		}
	}
	id := ti.playerID(p.email)
	var orders []models.Order
	ti.db.Where("player_id = ? AND kind = ?", id, models.OrderPayout).Find(&orders)
	var reserved int64
	for _, o := range orders {
		if o.Status != models.OrderFailed && o.Status != models.OrderCancelled {
			reserved += o.Amount.Minor
		}
	}
	if reserved != 20000 {
		t.Fatalf("the race reserved %d in %d payout orders; want exactly the balance, 20000", reserved, len(orders))
	}
	ti.waitWallet(p.email, 0)
	waitFor(t, "the sandbox to pay out the race's 200 SEK", func() bool {
		sb, err := openRead(filepath.Join(ti.sbDir, "sandbox.db"))
		if err != nil {
			return false
		}
		defer closeDB(sb)
		var p models.Player
		ti.db.Take(&p, id)
		var paid int64
		sb.Table("ledger_entries").Where("end_user_id = ? AND amount_minor < 0", p.EndUserID).Select("COALESCE(-SUM(amount_minor), 0)").Scan(&paid)
		if paid > 20000 {
			t.Fatalf("the sandbox paid out %d to the racer; the balance was 20000", paid)
		}
		return paid == 20000
	})
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// roundRobin is a reverse proxy that sends each request to the next of its
// backends in turn, keeping two turns: one for Trustly's notifications and one for
// everything else, so that a player alone on the proxy alternates exactly even
// while notifications arrive. It names the backend in instanceHeader; a dead
// backend answers 502, as a load balancer without health checks would.
type roundRobin struct {
	backends []*httputil.ReverseProxy
	turns    [2]atomic.Uint64 // browsers, notifications
	counts   []atomic.Int64
	refused  atomic.Int64 // notifications answered 502: their backend was down
	// duplicate sends each notification to the next backend as well, at once.
	duplicate bool
}

func newRoundRobin(t *testing.T, backends ...string) *roundRobin {
	rr := &roundRobin{counts: make([]atomic.Int64, len(backends))}
	for i, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		rr.backends = append(rr.backends, &httputil.ReverseProxy{
			Rewrite: func(r *httputil.ProxyRequest) {
				r.SetURL(u)
				r.Out.Host = r.In.Host // the public host, as a load balancer keeps it
			},
			ModifyResponse: func(res *http.Response) error {
				res.Header.Set(instanceHeader, strconv.Itoa(i))
				return nil
			},
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				if strings.HasPrefix(r.URL.Path, "/trustly/notify/") {
					rr.refused.Add(1)
				}
				w.Header().Set(instanceHeader, strconv.Itoa(i))
				http.Error(w, err.Error(), http.StatusBadGateway)
			},
		})
	}
	return rr
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lane := 0
	if strings.HasPrefix(r.URL.Path, "/trustly/notify/") {
		lane = 1
	}
	i := int((rr.turns[lane].Add(1) - 1) % uint64(len(rr.backends)))
	rr.counts[i].Add(1)
	if lane == 1 && rr.duplicate {
		// Trustly redelivers a notification whose answer was slow: the copy reaches
		// the other instance while the first is still being processed.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		other := r.Clone(r.Context())
		other.Body, r.Body = io.NopCloser(bytes.NewReader(body)), io.NopCloser(bytes.NewReader(body))
		var wg sync.WaitGroup
		wg.Go(func() { rr.backends[(i+1)%len(rr.backends)].ServeHTTP(httptest.NewRecorder(), other) })
		defer wg.Wait()
	}
	rr.backends[i].ServeHTTP(w, r)
}

// served is how many requests went to each backend.
func (rr *roundRobin) served() []int64 {
	out := make([]int64, len(rr.counts))
	for i := range rr.counts {
		out[i] = rr.counts[i].Load()
	}
	return out
}
