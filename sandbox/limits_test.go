package sandbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// limitClock is a merchant's clock that a test moves (Config.LimitNow).
type limitClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *limitClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *limitClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestPollLimits: Balance, and GetWithdrawals per order, called again within
// PollEvery of the previous call are answered as usual and listed by TooOften;
// one PollEvery after the previous call, or about another order, they are not.
// An order Trustly does not know (655) counts as well: the call was made.
func TestPollLimits(t *testing.T) {
	clock := &limitClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	env := sandboxtest.Start(t, func(c *sandbox.Config) { c.LimitNow = clock.Now })
	ctx := context.Background()
	client := env.Client(t)
	withdrawals := func(order string) {
		t.Helper()
		if _, err := client.GetWithdrawals(ctx, trustly.GetWithdrawalsParams{OrderID: order}); !trustly.IsCode(err, trustly.CodeInvalidOrderID) {
			t.Fatalf("GetWithdrawals %s: %v; want 655, as for any unknown order", order, err)
		}
	}
	balance := func() {
		t.Helper()
		if _, err := client.Balance(ctx); err != nil {
			t.Fatalf("Balance: %v; want an answer, too often or not", err)
		}
	}
	start := clock.Now()
	withdrawals("1111111111")
	balance()
	clock.Advance(sandbox.PollEvery - time.Second)
	withdrawals("1111111111") // too often
	withdrawals("2222222222") // another order
	balance()                 // too often
	clock.Advance(sandbox.PollEvery)
	withdrawals("1111111111")
	balance()
	clock.Advance(time.Minute)
	balance() // too often: a minute after the previous call, however long after the first

	soon := start.Add(sandbox.PollEvery - time.Second)
	want := []sandbox.TooOftenCall{
		{Method: "GetWithdrawals", Key: "1111111111", At: soon, Previous: start},
		{Method: "Balance", At: soon, Previous: start},
		{Method: "Balance", At: soon.Add(sandbox.PollEvery + time.Minute), Previous: soon.Add(sandbox.PollEvery)},
	}
	got := env.Sandbox.TooOften()
	if len(got) != len(want) {
		t.Fatalf("TooOften = %+v; want %+v", got, want)
	}
	for i := range want {
		if g, w := got[i], want[i]; g.Method != w.Method || g.Key != w.Key || !g.At.Equal(w.At) || !g.Previous.Equal(w.Previous) {
			t.Errorf("TooOften[%d] = %+v; want %+v", i, g, w)
		}
	}
	for _, tt := range []struct {
		method, key string
		want        int
	}{{"GetWithdrawals", "1111111111", 3}, {"GetWithdrawals", "2222222222", 1}, {"Balance", "", 4}} {
		if got := env.Sandbox.PolledCalls(tt.method, tt.key); got != tt.want {
			t.Errorf("PolledCalls(%s, %q) = %d; want %d", tt.method, tt.key, got, tt.want)
		}
	}
}
