package cashier_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestKYCLogKeysOnce: a Pay N Play kyc for a new person, whose credit and debit
// came first and were held, logs each attribute once per line. The notification's
// logger carries the order's player_id, none before the kyc, and the held
// notifications booked under the kyc's notification_id: a second key of the same
// name in one JSON line is dropped or refused by log collectors, and the text
// format gives two values for it.
func TestKYCLogKeysOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		var logs lockedBuffer
		log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		r := pnpRig(t, db)
		modes, _ := paynplay.ParseModes("pure")
		client, err := trustly.NewClient(trustly.Config{URL: "http://127.0.0.1:9/api/1", Username: "merchant", Password: "secret",
			PrivateKey: rigMerchantKey(), TrustlyKey: &rigTrustlyKey().PublicKey, Env: "test", Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		r.svc, err = cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: rigMerchantKey(),
			TrustlyKey: &rigTrustlyKey().PublicKey, Log: log, Exclusions: exclusions.Sandbox(),
			Config: cashier.Config{BaseURL: "http://cashier.test", NotifyToken: "tok-123", ShopperStatement: "Casino",
				IntegrationModule: "cashier-test/1", PayNPlay: modes}})
		if err != nil {
			t.Fatal(err)
		}
		key := rigTrustlyKey()
		o := r.pnpOrder(10000, "EUR")
		credit := notify(t, key, trustly.MethodCredit, o, o.EndUserID, nil)
		r.deliver(credit, "OK")
		debit := notify(t, key, trustly.MethodDebit, o, o.EndUserID, map[string]any{"amount": "40.00"})
		r.deliver(debit, "OK")
		r.deliver(r.kycFor(o, "entity-logkeys", dutchAdult), "CONTINUE")
		got := r.reload(o)
		if got.PlayerID == 0 || got.Status != models.OrderDebited {
			t.Fatalf("order player %d, status %s; want a new player's debited order", got.PlayerID, got.Status)
		}

		want := map[string]map[string]any{
			"pay n play player created":        {"player_id": float64(got.PlayerID)},
			"held credit booked after the kyc": {"held_notification_id": credit.id},
			"held debit booked after the kyc":  {"held_notification_id": debit.id},
			"kyc decided":                      {"player_id": float64(got.PlayerID)},
		}
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if dup := duplicateKey(line); dup != "" {
				t.Errorf("key %q twice in %s", dup, line)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			for k, v := range want[fmt.Sprint(m["msg"])] {
				if m[k] != v {
					t.Errorf("%s: %s %v; want %v", m["msg"], k, m[k], v)
				}
			}
			delete(want, fmt.Sprint(m["msg"]))
		}
		for msg := range want {
			t.Errorf("no %q line", msg)
		}
	})
}

// duplicateKey is a key the JSON object line has twice at its top level, or "".
func duplicateKey(line string) string {
	dec := json.NewDecoder(strings.NewReader(line))
	if _, err := dec.Token(); err != nil {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		k := fmt.Sprint(tok)
		if seen[k] {
			return k
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}

// lockedBuffer is a bytes.Buffer for a logger written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

var _ io.Writer = (*lockedBuffer)(nil)
