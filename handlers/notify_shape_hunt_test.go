package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/ledger"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// TestNotifyEndpointWireShapes: over real HTTP, on both databases, a credit of a
// 100.00 SEK deposit signed with Trustly's key but with its values in odd shapes.
// Numbers kept as their literal text are Trustly's text and are booked; any value
// whose shape the method does not have (a sign, a space, an exponent, a zero, a
// bool, an array, null, a nested object, a date in another format, a key the
// method lacks) is refused with 400 and no signed answer, and changes nothing; an
// amount with a third decimal that is not zero is a 500, for Trustly to deliver it
// again until someone looks, and books nothing; a duplicate key is read as
// encoding/json reads it, the last one, which is the one the signature covers.
func TestNotifyEndpointWireShapes(t *testing.T) {
	type shape struct {
		name   string
		extra  map[string]any
		edit   func(raw []byte) []byte // the signed body, changed after signing
		status int
		wallet int64 // booked on the deposit's player
	}
	shapes := []shape{
		{name: "amount as a number", extra: map[string]any{"amount": json.Number("100.00")}, status: 200, wallet: 10000},
		{name: "amount without decimals", extra: map[string]any{"amount": "100"}, status: 200, wallet: 10000},
		{name: "amount with zero decimals past two", extra: map[string]any{"amount": "100.000000"}, status: 200, wallet: 10000},
		{name: "amount with a leading zero", extra: map[string]any{"amount": "0100.00"}, status: 200, wallet: 10000},
		{name: "orderid and notificationid as numbers", extra: map[string]any{"orderid": json.Number("%ORDER%"),
			"notificationid": json.Number("%ID%")}, status: 200, wallet: 10000},
		{name: "timestamp without a fraction", extra: map[string]any{"timestamp": "2026-12-06 21:00:00+01"}, status: 200, wallet: 10000},
		{name: "nested object inside attributes", extra: map[string]any{"attributes": map[string]any{"x": map[string]any{"y": "1"}}},
			status: 200, wallet: 10000},
		{name: "attributes null", extra: map[string]any{"attributes": nil}, status: 200, wallet: 10000},
		{name: "duplicate amount before the signed one", edit: func(raw []byte) []byte {
			return bytes.Replace(raw, []byte(`"data":{`), []byte(`"data":{"amount":"9999.00",`), 1)
		}, status: 200, wallet: 10000},
		{name: "duplicate amount after the signed one", edit: func(raw []byte) []byte {
			return bytes.Replace(raw, []byte(`"amount":"100.00"`), []byte(`"amount":"100.00","amount":"9999.00"`), 1)
		}, status: 400},
		{name: "amount with a plus", extra: map[string]any{"amount": "+100.00"}, status: 400},
		{name: "amount with spaces", extra: map[string]any{"amount": " 100.00 "}, status: 400},
		{name: "amount with an exponent", extra: map[string]any{"amount": "1e2"}, status: 400},
		{name: "amount as a number with an exponent", extra: map[string]any{"amount": json.Number("1E2")}, status: 400},
		{name: "amount minus zero", extra: map[string]any{"amount": "-0.00"}, status: 400},
		{name: "amount zero", extra: map[string]any{"amount": "0.00"}, status: 400},
		{name: "amount past 15 digits", extra: map[string]any{"amount": "1000000000000000.00"}, status: 400},
		{name: "amount true", extra: map[string]any{"amount": "true"}, edit: func(raw []byte) []byte {
			return bytes.Replace(raw, []byte(`"amount":"true"`), []byte(`"amount":true`), 1)
		}, status: 400},
		{name: "amount an array", edit: func(raw []byte) []byte {
			return bytes.Replace(raw, []byte(`"amount":"100.00"`), []byte(`"amount":["100.00"]`), 1)
		}, status: 400},
		{name: "amount null", extra: map[string]any{"amount": nil}, status: 400},
		{name: "amount an object", extra: map[string]any{"amount": map[string]any{"value": "100.00"}}, status: 400},
		{name: "enduserid a bool", extra: map[string]any{"enduserid": "false"}, edit: func(raw []byte) []byte {
			return bytes.Replace(raw, []byte(`"enduserid":"false"`), []byte(`"enduserid":false`), 1)
		}, status: 400},
		{name: "currency lower case", extra: map[string]any{"currency": "sek"}, status: 400},
		{name: "currency XXX", extra: map[string]any{"currency": "XXX"}, status: 400},
		{name: "timestamp in RFC 3339", extra: map[string]any{"timestamp": "2026-12-06T21:00:00Z"}, status: 400},
		{name: "timestamp as a number", extra: map[string]any{"timestamp": json.Number("1765054800")}, status: 400},
		{name: "an extra nested object", extra: map[string]any{"extra": map[string]any{"amount": "1.00"}}, status: 400},
		{name: "an extra key", extra: map[string]any{"fee": "1.00"}, status: 400},
		{name: "amount with a third decimal", extra: map[string]any{"amount": "100.001"}, status: 500},
	}
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc := notifyService(t, db)
		url := notifyServer(t, svc)
		client := notifyClient(t)
		players, orders := notifyOrders(t, db, len(shapes), len(shapes), func(int) int64 { return 10000 })
		for i, sh := range shapes {
			o, p := orders[i], players[i]
			id := fmt.Sprintf("32%08d", i)
			extra := map[string]any{}
			for k, v := range sh.extra {
				if n, ok := v.(json.Number); ok {
					v = json.Number(strings.NewReplacer("%ORDER%", o.TrustlyOrderID, "%ID%", id).Replace(string(n)))
				}
				extra[k] = v
			}
			n := signNote(t, notifyTrustlyKey(), trustly.MethodCredit, id, uuid.NewString(), o, p.EndUserID, extra)
			if sh.edit != nil {
				if edited := sh.edit(n.raw); !bytes.Equal(edited, n.raw) {
					n.raw = edited
				} else {
					t.Fatalf("%s: the edit changed nothing", sh.name)
				}
			}
			status, body, err := post(client, url, n.raw)
			if err != nil || status != sh.status {
				t.Errorf("%s: HTTP %d %q, %v; want %d", sh.name, status, body, err, sh.status)
				continue
			}
			if status == 200 {
				if a, err := trustly.ParseAnswer(body, &notifyMerchantKey().PublicKey, n.method, n.uuid); err != nil || a.Status != trustly.StatusOK {
					t.Errorf("%s: answer %+v, %v; want OK", sh.name, a, err)
				}
			} else if len(body) != 0 && strings.Contains(string(body), "Signature") {
				t.Errorf("%s: HTTP %d with a signed body %q; want none", sh.name, status, body)
			}
			w, err := ledger.New(db).Balance(t.Context(), models.PlayerWallet(p.ID), "SEK")
			if err != nil || w.Minor != sh.wallet {
				t.Errorf("%s: wallet %d, %v; want %d", sh.name, w.Minor, err, sh.wallet)
			}
			var got models.Order
			if err := db.Take(&got, o.ID).Error; err != nil {
				t.Fatal(err)
			}
			want := models.OrderCredited
			if sh.wallet == 0 {
				want = o.Status
			}
			if got.Status != want {
				t.Errorf("%s: order %s; want %s", sh.name, got.Status, want)
			}
			var stored int64
			db.Model(&models.Notification{}).Where("notification_id = ?", id).Count(&stored)
			if (stored == 1) != (status == 200) {
				t.Errorf("%s: %d notifications stored after HTTP %d", sh.name, stored, status)
			}
		}
		if err := ledger.New(db).Audit(t.Context()); err != nil {
			t.Errorf("ledger audit: %v", err)
		}
	})
}
