package cashier_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestSelectedAccountReadsTheSignedData: the account a selection's result page
// shows is the one its verified notification's signed data names. The envelope
// may carry keys the signature does not cover, and Go's encoding/json matches
// names in any case: a "PARAMS" beside "params" named another of the player's
// accounts, which the page then showed as the one just selected.
func TestSelectedAccountReadsTheSignedData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		key := rigTrustlyKey()
		p := r.player()
		selection := func() models.Order {
			o := models.Order{MessageID: models.NewMessageID(models.OrderSelectAccount), Kind: models.OrderSelectAccount,
				PlayerID: p.ID, EndUserID: p.EndUserID, TrustlyOrderID: fmt.Sprintf("%010d", 1000000000+rigNext()),
				CreatedAt: time.Now().UTC()}
			o.Refresh()
			if err := db.Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			return o
		}
		other, chosen := selection(), selection()
		r.deliver(notify(t, key, "account", other, "", map[string]any{"accountid": "1111111111"}), "OK")
		n := notify(t, key, "account", chosen, "", nil) // accountid 2853579240
		n.raw = append(bytes.TrimSuffix(bytes.TrimSpace(n.raw), []byte("}")), []byte(`,"PARAMS":{"data":{"accountid":"1111111111"}}}`)...)
		r.deliver(n, "OK")
		_, account, err := r.svc.SelectedAccount(r.ctx, p, chosen.MessageID)
		if err != nil || account == nil || account.AccountID != "2853579240" {
			t.Fatalf("SelectedAccount = %+v, %v; want the account the signed data names, 2853579240", account, err)
		}
	})
}
