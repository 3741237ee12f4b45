package cashier_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// withNewUUID is n as Trustly might deliver it again: the same method and data
// under another uuid, signed afresh (whether Trustly keeps the uuid on a
// redelivery is unknown, API.md §6.2).
func withNewUUID(t testing.TB, n note) note {
	t.Helper()
	v, err := trustly.Decode(n.raw)
	if err != nil {
		t.Fatal(err)
	}
	data := v.(map[string]any)["params"].(map[string]any)["data"]
	n.uuid = uuid.NewString()
	if n.raw, err = trustly.EncodeNotification(rigTrustlyKey(), n.method, n.uuid, data); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestKYCRedeliveredWithAnotherUUIDKeepsLimit: a kyc answered CONTINUE with a
// limit (a new Swede may bring the policy's 1 000 SEK of the 2 000 asked) and
// delivered again under another uuid, as when our first answer was lost, is
// answered as the first time: CONTINUE with the same limit, signed for the new
// uuid, never CONTINUE alone, which would let Trustly's checkout take the 2 000
// past the deposit limits. The same holds for the same uuid (the stored bytes).
func TestKYCRedeliveredWithAnotherUUIDKeepsLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		r.svc = pnpLimitsService(t, db, nil)
		o := r.pnpOrder(200000, "SEK")
		kyc := notify(t, rigTrustlyKey(), trustly.MethodKYC, o, o.EndUserID, kycFields("entity-"+o.MessageID, swedishAdult))
		answerOf := func(n note, raw []byte) trustly.Answer {
			t.Helper()
			a, err := trustly.ParseAnswer(raw, &rigMerchantKey().PublicKey, n.method, n.uuid)
			if err != nil {
				t.Fatalf("answer %s: %v", raw, err)
			}
			return a
		}
		first := answerOf(kyc, r.deliver(kyc, trustly.StatusContinue))
		if first.Limit != "1000.00" {
			t.Fatalf("first answer %+v; want CONTINUE with limit 1000.00", first)
		}
		before := r.counts()
		for _, again := range []note{kyc, withNewUUID(t, kyc), withNewUUID(t, kyc)} {
			if got := answerOf(again, r.deliver(again, trustly.StatusContinue)); got != first {
				t.Errorf("redelivery under uuid %s answered %+v; want %+v", again.uuid, got, first)
			}
		}
		if after := r.counts(); after != before {
			t.Errorf("redeliveries changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})
}
