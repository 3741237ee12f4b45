package handlers

import (
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

// TestNotifyEndpointAnswersWhatItCannotKeep: over real HTTP, on both databases,
// notifications carrying more than their columns keep get the same answer on
// PostgreSQL as on SQLite, at once: an account notification with attributes
// longer than kept is answered OK and saves the account; thirty strays naming a
// deposit's orderid with messageids of no order flag it past its flag column and
// are answered OK, and so is the deposit's own credit of another amount after
// them, which is booked; a notification whose method is longer than a method
// name is kept is refused (400), not failed (500) for Trustly to send it forever.
func TestNotifyEndpointAnswersWhatItCannotKeep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc := notifyService(t, db)
		url := notifyServer(t, svc)
		client := notifyClient(t)
		players, orders := notifyOrders(t, db, 1, 1, func(int) int64 { return 10000 })
		o, p := orders[0], players[0]
		send := func(n signedNote, status int, answer string) {
			t.Helper()
			got, body, err := post(client, url, n.raw)
			if err != nil || got != status {
				t.Fatalf("%s %s: HTTP %d %q, %v; want %d", n.method, n.id, got, body, err, status)
			}
			if answer == "" {
				return
			}
			if a, err := trustly.ParseAnswer(body, &notifyMerchantKey().PublicKey, n.method, n.uuid); err != nil || a.Status != answer {
				t.Fatalf("%s %s: answer %+v, %v; want %s", n.method, n.id, a, err, answer)
			}
		}
		send(signNote(t, notifyTrustlyKey(), trustly.MethodAccount, "3100000001", uuid.NewString(), o, "", map[string]any{
			"attributes": map[string]any{"bank": strings.Repeat("B", 150), "descriptor": strings.Repeat("*", 150),
				"lastdigits": strings.Repeat("1", 30), "clearinghouse": strings.Repeat("C", 50)}}), 200, "OK")
		var accounts int64
		db.Model(&models.BankAccount{}).Where("player_id = ?", p.ID).Count(&accounts)
		if accounts != 1 {
			t.Errorf("%d accounts saved; want 1", accounts)
		}
		for i := range 30 {
			stray := o
			stray.MessageID = fmt.Sprintf("dep-stray-%02d-%s", i, strings.Repeat("x", 40))
			send(signNote(t, notifyTrustlyKey(), trustly.MethodPending, fmt.Sprintf("31000001%02d", i), uuid.NewString(), stray, p.EndUserID, nil), 200, "OK")
		}
		send(signNote(t, notifyTrustlyKey(), trustly.MethodCredit, "3100000200", uuid.NewString(), o, p.EndUserID,
			map[string]any{"amount": "90.00"}), 200, "OK")
		w, err := svc.Wallet(t.Context(), p)
		if err != nil || w.Minor != 9000 {
			t.Errorf("wallet %d, %v; want 9000", w.Minor, err)
		}
		send(signNote(t, notifyTrustlyKey(), strings.Repeat("m", 40), "3100000300", uuid.NewString(), o, p.EndUserID, nil), 400, "")
		if err := ledger.New(db).Audit(t.Context()); err != nil {
			t.Error(err)
		}
	})
}
