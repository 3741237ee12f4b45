package handlers

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// stormSeed is STORM_SEED when set, so a failing storm can be replayed, or a fresh
// seed otherwise.
func stormSeed(t *testing.T) uint64 {
	t.Helper()
	if v := os.Getenv("STORM_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("STORM_SEED=%q: %v", v, err)
		}
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// stormOutcome is what Trustly does with one deposit in the storm.
type stormOutcome struct {
	methods []string // notifications sent, in no particular order
	status  models.OrderStatus
	booked  bool // the wallet keeps the amount
}

var stormOutcomes = []struct {
	weight int
	stormOutcome
}{
	{45, stormOutcome{[]string{"pending", "credit"}, models.OrderCredited, true}},
	{15, stormOutcome{[]string{"pending", "credit", "account"}, models.OrderCredited, true}},
	{5, stormOutcome{[]string{"credit"}, models.OrderCredited, true}},
	{10, stormOutcome{[]string{"pending", "credit", "debit"}, models.OrderDebited, false}},
	{5, stormOutcome{[]string{"pending", "credit", "account", "debit"}, models.OrderDebited, false}},
	{12, stormOutcome{[]string{"pending", "cancel"}, models.OrderFailed, false}},
	{8, stormOutcome{[]string{"cancel"}, models.OrderFailed, false}},
}

func pickOutcome(rng *rand.Rand) stormOutcome {
	total := 0
	for _, o := range stormOutcomes {
		total += o.weight
	}
	n := rng.IntN(total)
	for _, o := range stormOutcomes {
		if n < o.weight {
			return o.stormOutcome
		}
		n -= o.weight
	}
	panic("unreachable")
}

// TestNotificationStorm sends every notification of 1,000 deposits for 50 players
// 3–5 times each, in a seeded random order, from 8 concurrent senders through the
// real HTTP endpoint, and checks that every wallet and order ends as a simple model
// says, that the ledger balances, and that every repeat got the same signed bytes.
// Replay a failure with STORM_SEED=<seed from the failure>. -short sends 200.
func TestNotificationStorm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		seed := stormSeed(t)
		t.Logf("storm seed %d (replay with STORM_SEED=%d)", seed, seed)
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		const numPlayers, senders = 50, 8
		numOrders := 1000
		if testing.Short() {
			numOrders = 200
		}

		svc := notifyService(t, db)
		url := notifyServer(t, svc)
		client := notifyClient(t)
		amounts := make([]int64, numOrders)
		for i := range amounts {
			amounts[i] = 1000 + rng.Int64N(500000) // 10.00 to 5 009.99 SEK
		}
		players, orders := notifyOrders(t, db, numPlayers, numOrders, func(i int) int64 { return amounts[i] })

		// The model: what each order and wallet should end as.
		type planned struct {
			order   int
			method  string
			id, u   string
			repeats int
		}
		wantWallet := map[int64]int64{}
		wantStatus := make([]models.OrderStatus, numOrders)
		var plan []planned
		for i, o := range orders {
			out := pickOutcome(rng)
			wantStatus[i] = out.status
			if out.booked {
				wantWallet[o.PlayerID] += o.Amount.Minor
			}
			for _, m := range out.methods {
				var u [16]byte
				for k := range u {
					u[k] = byte(rng.UintN(256))
				}
				plan = append(plan, planned{order: i, method: m, id: fmt.Sprintf("%010d", 5000000000+len(plan)),
					u: uuid.UUID(u).String(), repeats: 3 + rng.IntN(3)})
			}
		}
		notes := make([]signedNote, len(plan))
		var wg sync.WaitGroup
		for w := range senders {
			wg.Go(func() {
				for i := w; i < len(plan); i += senders {
					p := plan[i]
					o := orders[p.order]
					notes[i] = signNote(t, notifyTrustlyKey(), p.method, p.id, p.u, o, players[(p.order)%numPlayers].EndUserID, nil)
				}
			})
		}
		wg.Wait()
		var deliveries []int
		for i, p := range plan {
			for range p.repeats {
				deliveries = append(deliveries, i)
			}
		}
		rng.Shuffle(len(deliveries), func(a, b int) { deliveries[a], deliveries[b] = deliveries[b], deliveries[a] })
		t.Logf("%d orders, %d notifications, %d deliveries", numOrders, len(plan), len(deliveries))

		// The storm.
		answers := make([][]byte, len(plan))
		var mu sync.Mutex
		var failures []string
		fail := func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			if len(failures) < 20 {
				failures = append(failures, fmt.Sprintf(format, args...))
			}
		}
		queue := make(chan int)
		start := time.Now()
		for range senders {
			wg.Go(func() {
				for i := range queue {
					status, body, err := post(client, url, notes[i].raw)
					if err != nil || status != 200 {
						fail("%s %s: HTTP %d %s %v", notes[i].method, notes[i].id, status, body, err)
						continue
					}
					mu.Lock()
					first := answers[i]
					if first == nil {
						answers[i] = body
					}
					mu.Unlock()
					if first != nil && !bytes.Equal(first, body) {
						fail("%s %s: repeat got other bytes:\n%s\nfirst:\n%s", notes[i].method, notes[i].id, body, first)
					}
				}
			})
		}
		for _, i := range deliveries {
			queue <- i
		}
		close(queue)
		wg.Wait()
		elapsed := time.Since(start)
		t.Logf("%d deliveries in %s: %.0f/s", len(deliveries), elapsed.Round(time.Millisecond), float64(len(deliveries))/elapsed.Seconds())
		if len(failures) > 0 {
			t.Fatalf("seed %d: %d+ failed deliveries, first: %v", seed, len(failures), failures)
		}

		// Every answer is a signed answer to its own notification.
		for i, n := range notes {
			want := trustly.StatusOK
			a, err := trustly.ParseAnswer(answers[i], &notifyMerchantKey().PublicKey, n.method, n.uuid)
			if err != nil || a.Status != want {
				t.Fatalf("seed %d: %s %s answer %s: %+v %v", seed, n.method, n.id, answers[i], a, err)
			}
		}
		ctx := context.Background()
		for _, p := range players {
			got, err := svc.Wallet(ctx, p)
			if err != nil || got.Minor != wantWallet[p.ID] {
				t.Errorf("seed %d: player %d wallet %d, %v; want %d", seed, p.ID, got.Minor, err, wantWallet[p.ID])
			}
		}
		var got []models.Order
		if err := db.Order("id").Find(&got).Error; err != nil {
			t.Fatal(err)
		}
		for i, o := range got {
			if o.Status != wantStatus[i] || o.Flag != "" {
				t.Errorf("seed %d: order %s: %s %q; want %s, no flag", seed, o.MessageID, o.Status, o.Flag, wantStatus[i])
			}
		}
		var stored, delivered int64
		db.Model(&models.Notification{}).Count(&stored)
		db.Model(&models.Notification{}).Select("COALESCE(SUM(deliveries), 0)").Scan(&delivered)
		if stored != int64(len(plan)) || delivered != int64(len(deliveries)) {
			t.Errorf("seed %d: %d notifications stored with %d deliveries; want %d and %d", seed, stored, delivered, len(plan), len(deliveries))
		}
		if err := ledger.New(db).Audit(ctx); err != nil {
			t.Errorf("seed %d: %v", seed, err)
		}
	})
}
