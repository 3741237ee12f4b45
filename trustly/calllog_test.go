package trustly

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestCallLogNamesOrder: the client's line about a call names the order it is
// for, as the caller's lines do: our MessageID (message_id) for the calls that
// send one, Trustly's OrderID (trustly_order_id) for those that name an order of
// Trustly's. Without them an operator reading "trustly error" (a 637, a refusal)
// or an unreadable answer could not tell which payout or refund it was.
func TestCallLogNamesOrder(t *testing.T) {
	ctx := context.Background()
	tk := trustlyKey(t)
	p := newPeer(t, func(m *Message) (int, []byte, error) {
		if m.Method == "AccountPayout" {
			return status200(EncodeError(tk, m.Method, m.UUID, CodeDuplicateMessageID, ""))
		}
		return status200(EncodeResult(tk, m.Method, m.UUID, map[string]any{"orderid": "1187741486", "result": "1"}))
	})
	var logs bytes.Buffer
	c := newClient(t, p.URL, func(cfg *Config) {
		cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	c.AccountPayout(ctx, AccountPayoutParams{NotificationURL: notifyURL, EndUserID: "player-1",
		MessageID: "pay-42", AccountID: "1234567890", Amount: "800.00", Currency: "SEK"})
	c.Refund(ctx, RefundParams{OrderID: "1187741486", Amount: "25.50", Currency: "EUR"})
	want := map[string][2]string{"AccountPayout": {"message_id", "pay-42"}, "Refund": {"trustly_order_id", "1187741486"}}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		method, _ := m["trustly_method"].(string)
		if w, ok := want[method]; ok {
			if m[w[0]] != w[1] {
				t.Errorf("%s line %q: %s %v; want %s", method, m["msg"], w[0], m[w[0]], w[1])
			}
			delete(want, method)
		}
	}
	for method := range want {
		t.Errorf("no line about %s", method)
	}
}
