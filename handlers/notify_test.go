package handlers

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
	"github.com/valyala/fasthttp"
	"gorm.io/gorm"
)

// Keys for the notification tests: "Trustly" signs with the test merchant key from
// trustly/testdata; the cashier answers with a key of its own.
var (
	notifyTrustlyKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := trustly.LoadPrivateKey("../trustly/testdata/test-merchant-private.pem")
		if err != nil {
			panic(err)
		}
		return k
	})
	notifyMerchantKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := trustly.GenerateKey()
		if err != nil {
			panic(err)
		}
		return k
	})
)

const notifyTestToken = "n0t1fy-t0k3n"

// notifyService is a cashier on db that trusts notifyTrustlyKey; its Trustly client
// points nowhere.
func notifyService(t testing.TB, db *gorm.DB) *cashier.Service {
	return notifyServiceKeys(t, db, notifyMerchantKey(), &notifyTrustlyKey().PublicKey)
}

// notifyServiceKeys is notifyService answering with merchant and trusting trustlyKey.
func notifyServiceKeys(t testing.TB, db *gorm.DB, merchant *rsa.PrivateKey, trustlyKey *rsa.PublicKey) *cashier.Service {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	client, err := trustly.NewClient(trustly.Config{URL: "http://127.0.0.1:9/api/1", Username: "u", Password: "p",
		PrivateKey: merchant, TrustlyKey: trustlyKey})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: merchant,
		TrustlyKey: trustlyKey, Log: log,
		Config: cashier.Config{BaseURL: "http://cashier.test", NotifyToken: notifyTestToken}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// notifyServer serves only the notification route on 127.0.0.1 over real HTTP and
// returns the notification URL.
func notifyServer(t testing.TB, svc *cashier.Service) string {
	t.Helper()
	ln, base := notifyListen(t)
	notifyServe(t, ln, svc)
	return base + "/trustly/notify/" + notifyTestToken
}

// notifyListen opens a listener on 127.0.0.1 and returns it with its base URL.
func notifyListen(t testing.TB) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, "http://" + ln.Addr().String()
}

// notifyServe serves the notification route on ln until the test ends.
func notifyServe(t testing.TB, ln net.Listener, svc *cashier.Service) {
	t.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true, BodyLimit: 4 << 20})
	app.Post("/trustly/notify/:token", notify(svc, slog.New(slog.DiscardHandler), func(c *fiber.Ctx) string { return c.IP() }))
	go app.Listener(ln)
	t.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second); ln.Close() })
}

// notifyClient is an HTTP client keeping enough idle connections for the senders.
func notifyClient(t testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// post sends body and returns the status and response body.
func post(c *http.Client, url string, body []byte) (int, []byte, error) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// fastPost sends body to url through c, as post does: the notification
// benchmarks' senders, on fasthttp's client, which costs the two cores they share
// with the endpoint less than Go's (one goroutine a request instead of three).
func fastPost(c *fasthttp.HostClient, url string, body []byte) (int, []byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.SetBodyRaw(body)
	if err := c.Do(req, resp); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

// notifyOrders stores players and started deposits, order i for player i%players,
// each naming its player's enduserid as StartDeposit's orders do.
func notifyOrders(t testing.TB, db *gorm.DB, players, orders int, amount func(i int) int64) ([]models.Player, []models.Order) {
	t.Helper()
	ps := make([]models.Player, players)
	for i := range ps {
		ps[i] = models.Player{EndUserID: fmt.Sprintf("p-%d", i), Email: fmt.Sprintf("p%d@example.com", i),
			Country: "SE", Currency: "SEK", CreatedAt: time.Now()}
	}
	if err := db.CreateInBatches(&ps, 100).Error; err != nil {
		t.Fatal(err)
	}
	list := make([]models.Order, orders)
	now := time.Now().UTC()
	for i := range list {
		list[i] = models.Order{MessageID: fmt.Sprintf("dep-%06d", i), Kind: models.OrderDeposit, PlayerID: ps[i%players].ID,
			EndUserID: ps[i%players].EndUserID, Amount: models.Money{Minor: amount(i), Currency: "SEK"}, TrustlyOrderID: fmt.Sprintf("%010d", 1000000000+i),
			StartedAt: &now, CreatedAt: now}
		list[i].Refresh()
	}
	if len(list) == 0 {
		return ps, nil
	}
	if err := db.CreateInBatches(&list, 200).Error; err != nil {
		t.Fatal(err)
	}
	return ps, list
}

// signedNote is a notification as Trustly sends it.
type signedNote struct {
	method, uuid, id string
	raw              []byte
}

// signNote signs a notification of method for order o with key.
func signNote(t testing.TB, key *rsa.PrivateKey, method, id, u string, o models.Order, endUserID string, extra map[string]any) signedNote {
	data := map[string]any{"notificationid": id, "orderid": o.TrustlyOrderID, "messageid": o.MessageID,
		"enduserid": endUserID, "attributes": map[string]any{}}
	switch method {
	case trustly.MethodPending, trustly.MethodCredit, trustly.MethodDebit:
		data["amount"], data["currency"] = o.Amount.String(), o.Amount.Currency
		data["timestamp"] = trustly.FormatTimestamp(time.Now())
	case trustly.MethodCancel:
		data["timestamp"] = trustly.FormatTimestamp(time.Now())
	case trustly.MethodAccount:
		delete(data, "enduserid")
		data["accountid"], data["verified"] = fmt.Sprintf("acc-%d", o.PlayerID), "1"
		data["attributes"] = map[string]any{"bank": "Nordea", "descriptor": "**1234", "lastdigits": "1234", "clearinghouse": "SWEDEN"}
	}
	for k, v := range extra {
		data[k] = v
	}
	raw, err := trustly.EncodeNotification(key, method, u, data)
	if err != nil {
		t.Fatal(err)
	}
	return signedNote{method: method, uuid: u, id: id, raw: raw}
}

func TestNotifyEndpoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc := notifyService(t, db)
		url := notifyServer(t, svc)
		client := notifyClient(t)
		players, orders := notifyOrders(t, db, 1, 1, func(int) int64 { return 10000 })
		o, p := orders[0], players[0]
		credit := signNote(t, notifyTrustlyKey(), "credit", "3000000001", uuid.NewString(), o, p.EndUserID, nil)
		// A decimal the schema accepts, but not an amount of SEK: it cannot be booked.
		badAmount := signNote(t, notifyTrustlyKey(), "credit", "3000000002", uuid.NewString(), o, p.EndUserID, map[string]any{"amount": "1.005"})
		notDecimal := signNote(t, notifyTrustlyKey(), "credit", "3000000004", uuid.NewString(), o, p.EndUserID, map[string]any{"amount": "x"})
		reshaped := reshapeNote(t, credit.raw, func(d map[string]any) {
			d["orderid"] = d["orderid"].(string) + "timestamp" + d["timestamp"].(string)
			delete(d, "timestamp")
		})
		wrongKey := signNote(t, notifyMerchantKey(), "credit", "3000000003", uuid.NewString(), o, p.EndUserID, nil)
		tampered := bytes.Replace(credit.raw, []byte(`"100.00"`), []byte(`"900.00"`), 1)
		base := strings.TrimSuffix(url, notifyTestToken)

		var first []byte
		for _, tt := range []struct {
			name   string
			url    string
			body   []byte
			status int
			answer string // OK, FAILED, … for a signed answer; "" for none
		}{
			{"wrong token", base + "guess", credit.raw, 404, ""},
			{"no token", strings.TrimSuffix(base, "/"), credit.raw, 404, ""}, // no route: the app's own 404
			{"token prefix", base + notifyTestToken[:4], credit.raw, 404, ""},
			{"tampered", url, tampered, 400, ""},
			{"wrong key", url, wrongKey.raw, 400, ""},
			{"not JSON", url, []byte("hello"), 400, ""},
			{"amount not a decimal", url, notDecimal.raw, 400, ""},
			{"reshaped copy of the credit", url, reshaped, 400, ""},
			{"too large", url, bytes.Repeat([]byte(" "), notifyBodyLimit+1), 413, ""},
			{"cannot be applied", url, badAmount.raw, 500, ""},
			{"credit", url, credit.raw, 200, "OK"},
			{"credit again", url, credit.raw, 200, "OK"},
		} {
			status, body, err := post(client, tt.url, tt.body)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if status != tt.status {
				t.Errorf("%s: got HTTP %d %q, want %d", tt.name, status, body, tt.status)
				continue
			}
			if tt.answer == "" {
				if status == 404 && len(body) != 0 && tt.name != "no token" {
					t.Errorf("%s: 404 with body %q; want none", tt.name, body)
				}
				continue
			}
			a, err := trustly.ParseAnswer(body, &notifyMerchantKey().PublicKey, credit.method, credit.uuid)
			if err != nil || a.Status != tt.answer {
				t.Errorf("%s: answer %q: %+v, %v; want %s", tt.name, body, a, err, tt.answer)
			}
			if first == nil {
				first = body
			} else if !bytes.Equal(body, first) {
				t.Errorf("%s: answer differs from the first:\n%s\n%s", tt.name, body, first)
			}
		}
		w, err := svc.Wallet(context.Background(), p)
		if err != nil || w.Minor != 10000 {
			t.Fatalf("wallet %d, %v; want 10000", w.Minor, err)
		}
		var n int64
		db.Model(&models.Notification{}).Count(&n)
		if n != 1 {
			t.Fatalf("%d notifications stored, want 1 (only the genuine credit)", n)
		}
	})
}

// BenchmarkNotifyEndpoint sends fresh credit notifications through the HTTP
// endpoint from 8 senders (SQLite), reporting notifications/s, and, in the same
// run, the rate of the bare cryptography every notification needs (verify the
// notification, sign the answer) on the same goroutines, with their ratio. The goal
// is a ratio of at least 0.85: the database, HTTP and JSON add little to RSA.
// BENCH_SENDERS changes the number of senders (both phases use it).
func BenchmarkNotifyEndpoint(b *testing.B) {
	r := benchNotify(b, []*gorm.DB{storetest.SQLite(b)}, notifyTrustlyKey(), notifyMerchantKey(), benchSenders())
	r.reportRates(b)
	// CPU time per notification, both phases: what the ratio comes to on a machine
	// doing nothing else, and what the profile should be read against.
	b.ReportMetric(r.perOp(r.endpointCPU), "endpoint-cpu-µs/op")
	b.ReportMetric(r.perOp(r.bareCPU), "bare-cpu-µs/op")
	b.ReportMetric(float64(r.bareCPU)/float64(r.endpointCPU), "cpu-ratio")
}

// BenchmarkNotifyCeiling is BenchmarkNotifyEndpoint without the database: the
// same notifications from as many senders over the same HTTP, to a handler that
// verifies each and signs its OK answer, nothing else, divided by the same bare
// rate. Its ratio is what BenchmarkNotifyEndpoint would reach on this machine if
// the durable transaction cost nothing: the ceiling of the endpoint's ratio.
func BenchmarkNotifyCeiling(b *testing.B) {
	trustlyKey, merchantKey := notifyTrustlyKey(), notifyMerchantKey()
	cryptoOnly := func(c *fiber.Ctx) error {
		n, err := trustly.ParseNotification(c.Body(), &trustlyKey.PublicKey)
		if err != nil {
			return c.SendStatus(fiber.StatusBadRequest)
		}
		answer, err := trustly.EncodeAnswer(merchantKey, n.Method, n.UUID, trustly.Answer{Status: trustly.StatusOK})
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(answer)
	}
	r := benchNotifyTo(b, []*gorm.DB{storetest.SQLite(b)}, trustlyKey, merchantKey, benchSenders(), cryptoOnly)
	r.reportRates(b)
	b.ReportMetric(float64(r.bareCPU)/float64(r.endpointCPU), "cpu-ratio")
}

// benchSenders is the number of senders of the notification benchmarks: 8, or
// BENCH_SENDERS.
func benchSenders() int {
	senders := 8
	if v := os.Getenv("BENCH_SENDERS"); v != "" {
		fmt.Sscan(v, &senders)
	}
	return senders
}

// notifyRun is what benchNotify measured: the wall and process CPU time of the
// endpoint phase (b.N notifications over HTTP) and of the bare phase (the same
// notifications verified and answered, with no HTTP and no database).
type notifyRun struct {
	n                    int
	endpoint, bare       time.Duration
	endpointCPU, bareCPU time.Duration
}

func (r notifyRun) perOp(d time.Duration) float64 { return float64(d.Microseconds()) / float64(r.n) }

// reportRates reports notifications/s, signverify/s and their ratio.
func (r notifyRun) reportRates(b *testing.B) {
	endpointRate := float64(r.n) / r.endpoint.Seconds()
	bareRate := float64(r.n) / r.bare.Seconds()
	b.ReportMetric(endpointRate, "notifications/s")
	b.ReportMetric(bareRate, "signverify/s")
	b.ReportMetric(endpointRate/bareRate, "ratio")
}

// benchNotify is the notification benchmarks' run: one cashier instance per
// database in dbs (each its own service and HTTP server; the first holds the
// players and orders), b.N fresh credit notifications signed with trustlyKey
// before the timer, sent by senders goroutines over HTTP, the senders taking the
// instances in turn; then the same notifications verified and answered with
// merchantKey on as many goroutines, with no HTTP and no database. Every order
// must end credited.
func benchNotify(b *testing.B, dbs []*gorm.DB, trustlyKey, merchantKey *rsa.PrivateKey, senders int) notifyRun {
	return benchNotifyTo(b, dbs, trustlyKey, merchantKey, senders, nil)
}

// benchNotifyTo is benchNotify; with cryptoOnly, each instance's endpoint is a
// handler that only verifies a notification and signs its OK answer (the bare
// phase's work behind the same HTTP), and no order is credited.
func benchNotifyTo(b *testing.B, dbs []*gorm.DB, trustlyKey, merchantKey *rsa.PrivateKey, senders int, cryptoOnly fiber.Handler) notifyRun {
	var urls []string
	for _, db := range dbs {
		if cryptoOnly != nil {
			ln, base := notifyListen(b)
			app := fiber.New(fiber.Config{DisableStartupMessage: true, BodyLimit: 4 << 20})
			app.Post("/trustly/notify/:token", cryptoOnly)
			go app.Listener(ln)
			b.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second); ln.Close() })
			urls = append(urls, base+"/trustly/notify/"+notifyTestToken)
			continue
		}
		urls = append(urls, notifyServer(b, notifyServiceKeys(b, db, merchantKey, &trustlyKey.PublicKey)))
	}
	senderClients := make([]*fasthttp.HostClient, len(urls))
	for i, u := range urls {
		senderClients[i] = &fasthttp.HostClient{Addr: strings.TrimPrefix(strings.SplitN(u, "/trustly/", 2)[0], "http://"),
			MaxConns: senders, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	}
	players, orders := notifyOrders(b, dbs[0], 50, b.N, func(i int) int64 { return int64(1000 + i%5000*100) })
	notes := make([]signedNote, b.N)
	var wg sync.WaitGroup
	for w := range senders {
		wg.Go(func() {
			for i := w; i < b.N; i += senders {
				notes[i] = signNote(b, trustlyKey, trustly.MethodCredit, fmt.Sprintf("%010d", 4000000000+i), uuid.NewString(),
					orders[i], players[i%len(players)].EndUserID, nil)
			}
		})
	}
	wg.Wait()
	run := func(work func(sender int, n signedNote) error) (wall, cpu time.Duration) {
		var next atomic.Int64
		cpuStart, start := processCPU(), time.Now()
		var wg sync.WaitGroup
		for s := range senders {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(notes) {
						return
					}
					if err := work(s, notes[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start), processCPU() - cpuStart
	}

	r := notifyRun{n: b.N}
	b.ResetTimer()
	r.endpoint, r.endpointCPU = run(func(sender int, n signedNote) error {
		i := sender % len(urls)
		status, body, err := fastPost(senderClients[i], urls[i], n.raw)
		if err != nil || status != 200 {
			return fmt.Errorf("notification %s: HTTP %d %s %v", n.id, status, body, err)
		}
		return nil
	})
	b.StopTimer()
	r.bare, r.bareCPU = run(func(_ int, n signedNote) error {
		parsed, err := trustly.ParseNotification(n.raw, &trustlyKey.PublicKey)
		if err != nil {
			return err
		}
		_, err = trustly.EncodeAnswer(merchantKey, parsed.Method, parsed.UUID, trustly.Answer{Status: trustly.StatusOK})
		return err
	})
	if cryptoOnly != nil {
		return r
	}
	var credited int64
	if err := dbs[0].Model(&models.Order{}).Where("status = ?", models.OrderCredited).Count(&credited).Error; err != nil || credited != int64(b.N) {
		b.Fatalf("%d orders credited, %v; want %d", credited, err, b.N)
	}
	return r
}

// reshapeNote moves text between keys of a signed notification's data, as an
// attacker who saw a genuine one would, keeping its signature, uuid and method.
func reshapeNote(t testing.TB, raw []byte, change func(d map[string]any)) []byte {
	t.Helper()
	v, err := trustly.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	change(v.(map[string]any)["params"].(map[string]any)["data"].(map[string]any))
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReshapedNotificationThroughSandbox: an attacker who sees the sandbox's
// genuine credit on its way delivers a reshaped copy of it first (the timestamp
// moved into orderid, the signature kept). The copy verifies with Trustly's key,
// is answered 400 and stores nothing; the genuine credit, delivered next, is booked.
func TestReshapedNotificationThroughSandbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		env := sandboxtest.Start(t)
		ln, base := notifyListen(t)
		proxyLn, proxyBase := notifyListen(t)
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: env.Client(t), MerchantKey: env.MerchantKey,
			TrustlyKey: env.TrustlyKey, Log: log, Config: cashier.Config{BaseURL: proxyBase, NotifyToken: notifyTestToken,
				ShopperStatement: "Casino", IntegrationModule: "cashier-test/1",
				SandboxExtra: map[string]string{"SandboxAutoComplete": "1", "SandboxScenario": "deposit-ok"}}})
		if err != nil {
			t.Fatal(err)
		}
		notifyServe(t, ln, svc)
		cashierURL := base + "/trustly/notify/" + notifyTestToken
		client := notifyClient(t)

		type attempt struct {
			verified bool
			status   int
			stored   int64
			err      error
		}
		var mu sync.Mutex
		var attempts []attempt
		proxy := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			if m, err := trustly.ParseMessage(body); err == nil && m.Method == trustly.MethodCredit {
				copy := reshapeNote(t, body, func(d map[string]any) {
					d["orderid"] = d["orderid"].(string) + "timestamp" + d["timestamp"].(string)
					delete(d, "timestamp")
				})
				var a attempt
				if cm, err := trustly.ParseMessage(copy); err == nil {
					a.verified = cm.Verify(env.TrustlyKey) == nil
				}
				a.status, _, a.err = post(client, cashierURL, copy)
				if a.err == nil {
					a.err = db.Model(&models.Notification{}).Where("raw = ?", string(copy)).Count(&a.stored).Error
				}
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
			}
			status, answer, err := post(client, cashierURL, body)
			if err != nil {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write(answer)
		})}
		go proxy.Serve(proxyLn)
		t.Cleanup(func() { proxy.Close() })

		ctx := context.Background()
		players, _ := notifyOrders(t, db, 1, 0, nil)
		p := players[0]
		// The sandbox's auto-complete logs in as its first Swedish person, whose name
		// the account notification gives: the player has it, so nothing is flagged.
		p.FirstName, p.LastName = "Åsa", "Öberg-Lindqvist"
		if err := db.Model(&p).Updates(map[string]any{"first_name": p.FirstName, "last_name": p.LastName}).Error; err != nil {
			t.Fatal(err)
		}
		order, err := svc.StartDeposit(ctx, p, models.Money{Minor: 25000, Currency: "SEK"}, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, err := svc.OrderByMessageID(ctx, p, order.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			w, err := svc.Wallet(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status == models.OrderCredited && w.Minor == 25000 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 10 s: order %s %q, wallet %d; want credited, 25000", got.Status, got.Flag, w.Minor)
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(attempts) == 0 {
			t.Fatal("the sandbox's credit never passed the proxy")
		}
		for i, a := range attempts {
			if !a.verified || a.status != http.StatusBadRequest || a.stored != 0 || a.err != nil {
				t.Errorf("reshaped copy %d: verified %t, HTTP %d, stored %d, %v; want verified, 400, none stored", i, a.verified, a.status, a.stored, a.err)
			}
		}
		got, err := svc.OrderByMessageID(ctx, p, order.MessageID)
		if err != nil || got.Flag != "" {
			t.Errorf("order flag %q, %v; want none", got.Flag, err)
		}
	})
}

// TestDepositThroughSandbox starts deposits at the sandbox over real HTTP. With the
// sandbox's auto-complete, its notifications come back through the endpoint and
// the wallet shows what each scenario means.
func TestDepositThroughSandbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		env := sandboxtest.Start(t)
		ln, base := notifyListen(t)
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		svc, err := cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: env.Client(t), MerchantKey: env.MerchantKey,
			TrustlyKey: env.TrustlyKey, Log: log, Config: cashier.Config{BaseURL: base, NotifyToken: notifyTestToken,
				ShopperStatement: "Casino", IntegrationModule: "cashier-test/1",
				SandboxExtra: map[string]string{"SandboxAutoComplete": "1"}}})
		if err != nil {
			t.Fatal(err)
		}
		notifyServe(t, ln, svc)
		ctx := context.Background()
		players, _ := notifyOrders(t, db, 3, 0, nil)

		for i, tt := range []struct {
			scenario string
			amount   int64
			status   models.OrderStatus
			wallet   int64
			methods  int // notifications the scenario sends
		}{
			{"deposit-ok", 25000, models.OrderCredited, 25000, 3},
			{"deposit-credit-then-debit", 10000, models.OrderDebited, 0, 4},
			{"deposit-cancel", 10000, models.OrderFailed, 0, 1},
		} {
			t.Run(tt.scenario, func(t *testing.T) {
				p := players[i]
				p.FirstName, p.LastName = "Anna", "Svensson"
				// Config returns a copy sharing the map: this picks the next order's scenario.
				svc.Config().SandboxExtra["SandboxScenario"] = tt.scenario
				order, err := svc.StartDeposit(ctx, p, models.Money{Minor: tt.amount, Currency: "SEK"}, "127.0.0.1")
				if err != nil {
					t.Fatal(err)
				}
				// Notifications may already have overtaken Deposit's result: any status.
				if order.StartedAt == nil || order.CheckoutURL == "" || order.TrustlyOrderID == "" {
					t.Fatalf("started: %+v", order)
				}
				// Every notification is applied before it is answered, so once the
				// sandbox is idle the order is final: exactly the scenario's notifications.
				env.WaitIdle(t)
				got, err := svc.OrderByMessageID(ctx, p, order.MessageID)
				if err != nil {
					t.Fatal(err)
				}
				var n int64
				db.Model(&models.Notification{}).Where("order_id = ?", order.ID).Count(&n)
				w, err := svc.Wallet(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status != tt.status || w.Minor != tt.wallet || n != int64(tt.methods) {
					t.Fatalf("once the sandbox is idle: order %s, wallet %d, %d notifications; want %s, %d, %d", got.Status, w.Minor, n, tt.status, tt.wallet, tt.methods)
				}
				var accounts []models.BankAccount
				db.Where("player_id = ?", p.ID).Find(&accounts)
				if wantAccount := tt.methods >= 3; wantAccount != (len(accounts) == 1 && accounts[0].Source == models.AccountFromDeposit) {
					t.Errorf("bank accounts %+v; want one from the deposit: %t", accounts, wantAccount)
				}
			})
		}
	})
}

// processCPU is the CPU time, user and system, this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
