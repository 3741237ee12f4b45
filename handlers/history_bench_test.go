package handlers

// "Flat in history" (issue 14): the cashier page, the history page, a fresh
// notification and a payout request, each timed on an empty database and on one
// seeded by internal/seed, in the same run, one operation on each in turn. Each
// benchmark reports both times per operation and their ratio, full ÷ empty (goal:
// at most 1.2).
//
// BENCH_HISTORY_SCALE sets the seeded size as a fraction of the goal's 10 000
// players, 200 000 orders and 1 000 000 ledger transfers: 0.01 by default, so that
// `make bench` stays fast; 1 is the full size, which takes a few minutes to seed
// the first time and needs a longer -timeout:
//
//	BENCH_HISTORY_SCALE=1 go test ./handlers -run '^$' -bench BenchmarkHistory -timeout 60m
//
// The seeded SQLite file is kept in BENCH_HISTORY_CACHE (default the user's cache
// directory, cashier-bench/), one per scale, seed (BENCH_HISTORY_SEED, default 1)
// and seed.Version; each benchmark works on a copy of it.

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/store"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/internal/seed"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// testTrustlyKey is the key newTestApp's Trustly signs with: its client and its
// notification check both trust the test merchant key's public half.
var testTrustlyKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := trustly.LoadPrivateKey("../trustly/testdata/test-merchant-private.pem")
	if err != nil {
		panic(err)
	}
	return k
})

// trustlyStub is Trustly's API over real HTTP for payouts: it accepts every
// AccountPayout with a signed result and a fresh orderid, and says nothing else
// (no notifications). busy is the time it spent answering, signatures included.
type trustlyStub struct {
	URL  string
	busy atomic.Int64 // nanoseconds
	seq  atomic.Int64
}

func newTrustlyStub(t testing.TB) *trustlyStub {
	t.Helper()
	s := &trustlyStub{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer func() { s.busy.Add(int64(time.Since(start))) }()
		raw, _ := io.ReadAll(r.Body)
		m, err := trustly.ParseMessage(raw)
		if err != nil || m.Method != "AccountPayout" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		body, err := trustly.EncodeResult(testTrustlyKey(), m.Method, m.UUID,
			map[string]any{"orderid": strconv.FormatInt(8_000_000_000+s.seq.Add(1), 10), "result": "1"})
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/api/1"
	return s
}

// withTrustly points the test app's Trustly client at url.
func withTrustly(t testing.TB, url string) func(s *testSetup) {
	return func(s *testSetup) {
		client, err := trustly.NewClient(trustly.Config{URL: url, Username: "merchant", Password: "secret",
			PrivateKey: testTrustlyKey(), TrustlyKey: &testTrustlyKey().PublicKey, Env: "test", Logger: s.Cashier.Log})
		if err != nil {
			t.Fatal(err)
		}
		s.Cashier.Trustly = client
	}
}

// benchSeq numbers the orders and notifications the benchmarks and plan tests
// make, apart from the seeded ones (Trustly orderids 14…, notification ids 3…).
var benchSeq atomic.Int64

// startedDeposits stores n deposits of player that Trustly has started, as
// StartDeposit leaves them, and returns them.
func startedDeposits(t testing.TB, db *gorm.DB, player models.Player, n int, amount models.Money) []models.Order {
	t.Helper()
	now := time.Now().UTC()
	orders := make([]models.Order, n)
	for i := range orders {
		k := benchSeq.Add(1)
		orders[i] = models.Order{MessageID: fmt.Sprintf("dep-bench%015d", k), Kind: models.OrderDeposit, PlayerID: player.ID,
			EndUserID: player.EndUserID, Amount: amount, TrustlyOrderID: strconv.FormatInt(9_000_000_000+k, 10),
			CheckoutURL: "https://checkout.test/" + strconv.FormatInt(k, 10), StartedAt: &now, CreatedAt: now}
		orders[i].Refresh()
	}
	if n > 0 {
		if err := db.CreateInBatches(&orders, 200).Error; err != nil {
			t.Fatal(err)
		}
	}
	return orders
}

// note signs a notification of method about order o as Trustly would send it.
func note(t testing.TB, method string, o models.Order, player models.Player) []byte {
	t.Helper()
	id := strconv.FormatInt(7_000_000_000+benchSeq.Add(1), 10)
	var extra map[string]any
	if method == trustly.MethodPayoutConfirmation {
		extra = map[string]any{"amount": o.Amount.String(), "currency": o.Amount.Currency,
			"timestamp": trustly.FormatTimestamp(time.Now())}
	}
	return signNote(t, testTrustlyKey(), method, id, uuid.NewString(), o, player.EndUserID, extra).raw
}

// apply hands raw to the service as the notification endpoint does.
func (a *testApp) apply(raw []byte) {
	a.t.Helper()
	if _, err := a.Svc.HandleNotification(context.Background(), raw); err != nil {
		a.t.Fatal(err)
	}
}

// deposited deposits amount for player through Trustly's notifications
// (account, pending, credit), which also saves the verified bank account payouts
// go to, and returns that account.
func (a *testApp) deposited(player models.Player, amount models.Money) models.BankAccount {
	a.t.Helper()
	o := startedDeposits(a.t, a.DB, player, 1, amount)[0]
	for _, m := range []string{trustly.MethodAccount, trustly.MethodPending, trustly.MethodCredit} {
		a.apply(note(a.t, m, o, player))
	}
	var acc models.BankAccount
	if err := a.DB.Where("player_id = ?", player.ID).Take(&acc).Error; err != nil {
		a.t.Fatal(err)
	}
	return acc
}

// historyScale is BENCH_HISTORY_SCALE, 0.01 unless set.
func historyScale(tb testing.TB) float64 {
	scale := 0.01
	if v := os.Getenv("BENCH_HISTORY_SCALE"); v != "" {
		s, err := strconv.ParseFloat(v, 64)
		if err != nil || s <= 0 || s > 10 {
			tb.Fatalf("BENCH_HISTORY_SCALE=%q: want a fraction of the full size such as 0.01, or 1", v)
		}
		scale = s
	}
	return scale
}

// seededDB opens a copy of a database seeded at BENCH_HISTORY_SCALE, seeding it
// into the cache first if it is not there.
func seededDB(tb testing.TB) *gorm.DB {
	tb.Helper()
	scale := historyScale(tb)
	seedN := uint64(1)
	if v := os.Getenv("BENCH_HISTORY_SEED"); v != "" {
		if _, err := fmt.Sscan(v, &seedN); err != nil {
			tb.Fatalf("BENCH_HISTORY_SEED=%q: %v", v, err)
		}
	}
	dir := os.Getenv("BENCH_HISTORY_CACHE")
	if dir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(d, "cashier-bench")
		} else {
			dir = tb.TempDir()
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	cached := filepath.Join(dir, fmt.Sprintf("history-%g-%d-v%d.db", scale, seedN, seed.Version))
	if _, err := os.Stat(cached); err != nil {
		cfg := seed.Scaled(scale)
		cfg.Seed = seedN
		cfg.Log = func(format string, args ...any) { tb.Logf("seed: "+format, args...) }
		tmp := fmt.Sprintf("%s.tmp-%d", cached, os.Getpid())
		db, err := store.Open(tmp, slog.New(slog.DiscardHandler))
		if err != nil {
			tb.Fatal(err)
		}
		_, err = seed.Run(context.Background(), db, cfg)
		store.Close(db)
		if err == nil {
			err = os.Rename(tmp, cached)
		}
		os.Remove(tmp + "-wal")
		os.Remove(tmp + "-shm")
		if err != nil {
			os.Remove(tmp)
			tb.Fatal(err)
		}
	}
	// Migrate the cached database itself, so that a copy opens without building
	// the indexes added since it was seeded.
	db, err := store.Open(cached, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	store.Close(db)
	path := filepath.Join(tb.TempDir(), "seeded.db")
	if err := copyFile(cached, path); err != nil {
		tb.Fatal(err)
	}
	if db, err = store.Open(path, slog.Default()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close(db) })
	return db
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// historyEnv is the cashier on one of the two databases, served on a real
// listener, with a signed-in player whose own history is the same on both: one
// deposit of 1 000 000 SEK (and its bank account), and what the benchmarks add.
type historyEnv struct {
	name    string
	ta      *testApp
	url     string
	session *http.Cookie
	player  models.Player
	account models.BankAccount
	stub    *trustlyStub
}

// historyEnvs are the empty and the seeded environment, in that order.
func historyEnvs(b *testing.B) []*historyEnv {
	b.Helper()
	var envs []*historyEnv
	for _, name := range []string{"empty", "full"} {
		var db *gorm.DB
		if name == "empty" {
			db = storetest.SQLite(b)
		} else {
			db = seededDB(b)
		}
		stub := newTrustlyStub(b)
		ta := newTestApp(b, func(s *testSetup) { s.Cashier.DB = db }, withTrustly(b, stub.URL))
		cl, p := ta.signedIn("bench@example.com")
		acc := ta.deposited(p, models.Money{Minor: 100_000_000, Currency: "SEK"})
		envs = append(envs, &historyEnv{name: name, ta: ta, url: serve(b, ta.App), session: cl.cookie(sessionCookie),
			player: p, account: acc, stub: stub})
	}
	return envs
}

// timeBoth runs op on each environment in turn, each first every other time:
// three times to warm up (i < 0), then b.N times, and reports the mean time per
// operation on each and their ratio. ready, if not nil, runs between the two.
func timeBoth(b *testing.B, envs []*historyEnv, ready func(), op func(e *historyEnv, i int)) {
	for i := -3; i < 0; i++ {
		for _, e := range envs {
			op(e, i)
		}
	}
	if ready != nil {
		ready()
	}
	took := make([]time.Duration, len(envs))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range envs {
			k := (i + j) % len(envs) // each goes first every other time
			start := time.Now()
			op(envs[k], i)
			took[k] += time.Since(start)
		}
	}
	b.StopTimer()
	empty, full := took[0].Seconds()*1000/float64(b.N), took[1].Seconds()*1000/float64(b.N)
	b.ReportMetric(empty, "empty-ms/op")
	b.ReportMetric(full, "full-ms/op")
	b.ReportMetric(full/empty, "ratio")
}

// getPage GETs path as the environment's player and fails unless it is a 200.
func (e *historyEnv) getPage(b *testing.B, client *http.Client, path string) {
	req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	req.AddCookie(e.session)
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: GET %s: %d", e.name, path, resp.StatusCode)
	}
}

// BenchmarkHistoryCashierPage: the signed-in GET /cashier over HTTP.
func BenchmarkHistoryCashierPage(b *testing.B) {
	envs := historyEnvs(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	timeBoth(b, envs, nil, func(e *historyEnv, _ int) { e.getPage(b, client, "/cashier") })
}

// BenchmarkHistoryHistoryPage: the player's GET /history over HTTP: their
// newest orders and wallet movements.
func BenchmarkHistoryHistoryPage(b *testing.B) {
	envs := historyEnvs(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	timeBoth(b, envs, nil, func(e *historyEnv, _ int) { e.getPage(b, client, "/history") })
}

// BenchmarkHistoryNotification: a fresh credit notification for a started
// deposit of the player, POSTed to the notification endpoint over HTTP and
// answered (verified, stored, booked and signed), one at a time.
func BenchmarkHistoryNotification(b *testing.B) {
	envs := historyEnvs(b)
	client := notifyClient(b)
	n := b.N + 3
	notes := make([][][]byte, len(envs))
	for k, e := range envs {
		for _, o := range startedDeposits(b, e.ta.DB, e.player, n, models.Money{Minor: 10000, Currency: "SEK"}) {
			notes[k] = append(notes[k], note(b, trustly.MethodCredit, o, e.player))
		}
	}
	timeBoth(b, envs, nil, func(e *historyEnv, i int) {
		k := 0
		if e == envs[1] {
			k = 1
		}
		status, body, err := post(client, e.url+"/trustly/notify/"+testNotifyToken, notes[k][i+3])
		if err != nil || status != http.StatusOK {
			b.Fatalf("%s: notification: HTTP %d %s %v", e.name, status, body, err)
		}
	})
}

// BenchmarkHistoryPayoutRequest: the player asks for a payout of 10 SEK
// (cashier.Service.RequestPayout: checks, reserve, AccountPayout at a stub
// Trustly over HTTP, sent). peer-ms/op is the stub's share of each request (its
// RSA signature), the same on both databases.
func BenchmarkHistoryPayoutRequest(b *testing.B) {
	envs := historyEnvs(b)
	ctx := context.Background()
	ready := func() {
		for _, e := range envs {
			e.stub.busy.Store(0)
		}
	}
	timeBoth(b, envs, ready, func(e *historyEnv, i int) {
		o, err := e.ta.Svc.RequestPayout(ctx, e.player, e.account.ID, models.Money{Minor: 1000, Currency: "SEK"})
		if err != nil || o.Status != models.OrderSent {
			b.Fatalf("%s: payout %s, %v; want sent", e.name, o.Status, err)
		}
	})
	b.ReportMetric(float64(envs[0].stub.busy.Load()+envs[1].stub.busy.Load())/2e6/float64(b.N), "peer-ms/op")
}
