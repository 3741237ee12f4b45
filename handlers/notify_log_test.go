package handlers

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestNotificationLogJoinsItsRequest: the JSON log lines one notification writes
// (its notification_id on each) carry the request_id of the request line of the
// POST /trustly/notify that brought it, so an operator can join the two. Before,
// the request line had no notification_id and the notification's lines no
// request_id.
func TestNotificationLogJoinsItsRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		logs := &syncBuffer{}
		log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		a := newTestApp(t, func(s *testSetup) { s.Cashier.DB, s.Cashier.Log, s.Web.Log = db, log, log })
		ln, base := notifyListen(t)
		go a.App.Listener(ln)
		t.Cleanup(func() { a.App.Shutdown() })
		players, orders := notifyOrders(t, db, 1, 1, func(int) int64 { return 10000 })
		credit := signNote(t, notifyTrustlyKey(), "credit", "3000000077", uuid.NewString(), orders[0], players[0].EndUserID, nil)
		status, body, err := post(notifyClient(t), base+"/trustly/notify/"+testNotifyToken, credit.raw)
		if err != nil || status != 200 {
			t.Fatalf("credit: HTTP %d %s, %v; want 200", status, body, err)
		}

		var requestIDs, noteLines []string
		var noteRequestIDs []string
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("log line %q is not JSON: %v", line, err)
			}
			id, _ := m["request_id"].(string)
			if m["msg"] == "request" && strings.Contains(m["route"].(string), "notify") {
				requestIDs = append(requestIDs, id)
			}
			if m["notification_id"] == credit.id {
				noteLines = append(noteLines, line)
				noteRequestIDs = append(noteRequestIDs, id)
			}
		}
		if len(requestIDs) != 1 || requestIDs[0] == "" {
			t.Fatalf("request lines of the notification: got request ids %q; want one, not empty\n%s", requestIDs, logs.String())
		}
		if len(noteLines) == 0 {
			t.Fatalf("no log line names notification_id %s\n%s", credit.id, logs.String())
		}
		for i, id := range noteRequestIDs {
			if id != requestIDs[0] {
				t.Errorf("notification line %s: got request_id %q; want %q, the request line's", noteLines[i], id, requestIDs[0])
			}
		}
	})
}
