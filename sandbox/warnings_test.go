package sandbox_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// logBuffer collects the sandbox's log for a test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns what was logged since the last take.
func (b *logBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

// TestWarnings: what Trustly asks for without always refusing is logged as a
// warning and answered: a Deposit (not Pay N Play) without Firstname, Lastname or
// Email (API.md §4.1, D), and Balance or GetWithdrawals called again within
// PollEvery (§4.6, §4.8).
func TestWarnings(t *testing.T) {
	logs := &logBuffer{}
	clock := &limitClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	env := sandboxtest.Start(t, func(c *sandbox.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		c.LimitNow = clock.Now
	})
	ctx := context.Background()
	client := env.Client(t)
	m := sandboxtest.NewMerchant(t, env)
	for i, tt := range []struct {
		name   string
		params trustly.DepositParams
		want   []string
	}{
		{"no names", trustly.DepositParams{}, []string{"Deposit without Firstname", "Deposit without Lastname", "Deposit without Email"}},
		{"no email", trustly.DepositParams{Firstname: "Åsa", Lastname: "Öberg"}, []string{"Deposit without Email"}},
		{"all", trustly.DepositParams{Firstname: "Åsa", Lastname: "Öberg", Email: "asa@example.com"}, nil},
		{"pay n play", trustly.DepositParams{RequestKYC: true, Country: "SE"}, nil},
	} {
		p := tt.params
		p.NotificationURL, p.EndUserID, p.MessageID = m.URL, "player-1", "dep-warn-"+string(rune('a'+i))
		p.Currency, p.Amount, p.ShopperStatement = "SEK", "100.00", "Test Casino"
		if _, err := client.Deposit(ctx, p); err != nil {
			t.Fatalf("%s: %v; want the Deposit accepted", tt.name, err)
		}
		got := logs.take()
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: log lacks %q:\n%s", tt.name, w, got)
			}
		}
		if n := strings.Count(got, "level=WARN"); n != len(tt.want) {
			t.Errorf("%s: %d warnings; want %d:\n%s", tt.name, n, len(tt.want), got)
		}
	}

	for range 2 {
		if _, err := client.Balance(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := logs.take(); strings.Count(got, "called more often than Trustly allows") != 1 || !strings.Contains(got, "api_method=Balance") {
		t.Errorf("Balance twice at once: want one warning naming Balance:\n%s", got)
	}
}
