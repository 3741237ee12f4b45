package cashier_test

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// shiftAttrs returns a change for reshape that shifts text between a signed
// notification's attributes: key's value swallows the keys in swallowed (and
// their values), in signing order. The signed text stays the same.
func shiftAttrs(key string, swallowed ...string) func(d map[string]any) {
	return func(d map[string]any) {
		a := d["attributes"].(map[string]any)
		v := a[key].(string)
		for _, k := range swallowed {
			v += k + a[k].(string)
			delete(a, k)
		}
		a[key] = v
	}
}

// refusedRows is the refused notifications stored for staff, oldest first.
func (r *rig) refusedRows() []models.RefusedNotification {
	r.t.Helper()
	var rows []models.RefusedNotification
	if err := r.db.Order("id").Find(&rows).Error; err != nil {
		r.t.Fatal(err)
	}
	return rows
}

// refuseShifted delivers each copy, twice, and checks it is refused as any
// notification that does not fit its method (ErrBadNotification, ErrBadData, no
// answer), that nothing the cashier keeps changed, and that each body is stored
// raw once for staff, with its notificationid and two deliveries.
func (r *rig) refuseShifted(copies map[string]note) {
	r.t.Helper()
	before, stored := r.counts(), len(r.refusedRows())
	for name, copy := range copies {
		for range 2 {
			answer, err := r.svc.HandleNotification(r.ctx, copy.raw)
			if !errors.Is(err, cashier.ErrBadNotification) || !errors.Is(err, trustly.ErrBadData) || answer != nil {
				r.t.Errorf("%s: got answer %q, %v; want no answer, ErrBadData", name, answer, err)
			}
		}
	}
	if after := r.counts(); after != before {
		r.t.Errorf("the shifted copies changed the database:\nbefore %s\nafter  %s", before, after)
	}
	rows := r.refusedRows()
	if len(rows) != stored+len(copies) {
		r.t.Fatalf("%d refused notifications stored; want %d, one for each copy", len(rows)-stored, len(copies))
	}
	for name, copy := range copies {
		i := 0
		for i < len(rows) && rows[i].Raw != string(copy.raw) {
			i++
		}
		if i == len(rows) {
			r.t.Errorf("%s: not stored raw", name)
			continue
		}
		if row := rows[i]; row.NotificationID != copy.id || row.Method != copy.method || row.Deliveries != 2 || row.Reason == "" {
			r.t.Errorf("%s: stored as %s %s, %d deliveries, reason %q; want %s %s, 2, a reason",
				name, row.Method, row.NotificationID, row.Deliveries, row.Reason, copy.method, copy.id)
		}
	}
}

// TestAccountAttributesShifted: the signed text joins the attributes' keys and
// values with no separator, so a copy of a genuine account notification with
// text shifted between its attributes verifies: its lastdigits swallowing the
// holder's name and personid, the name swallowing the personid, the name's key
// taking its value's start. Such a copy was applied: the bank account saved with
// a lastdigits of "706212nameBertil Berg…" and no personid, the holder's name
// unchecked (no flag), and the genuine one, coming after it, refused as another
// body under a known notificationid. Each copy is refused unanswered now and
// stored raw for staff, nothing saved; the genuine one, after them, is saved with
// its lastdigits and personid and its holder flagged.
func TestAccountAttributesShifted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		p := r.player()
		o := r.order(p, 10000)
		genuine := notify(t, rigTrustlyKey(), trustly.MethodAccount, o, p.EndUserID, map[string]any{"attributes": map[string]any{
			"clearinghouse": "SWEDEN", "bank": "Handelsbanken", "descriptor": "**706212", "lastdigits": "706212",
			"name": "Bertil Berg", "personid": "SE197901311246", "address": "Kungsgatan 1", "zipcode": "111 22",
			"city": "Stockholm"}})
		r.refuseShifted(map[string]note{
			"lastdigits swallows name and personid": reshape(t, genuine, shiftAttrs("lastdigits", "name", "personid")),
			"name swallows personid":                reshape(t, genuine, shiftAttrs("name", "personid")),
			"descriptor swallows lastdigits":        reshape(t, genuine, shiftAttrs("descriptor", "lastdigits")),
			"name's key takes its value's start": reshape(t, genuine, func(d map[string]any) {
				a := d["attributes"].(map[string]any)
				a["nameBertil"] = " Berg" + "personid" + a["personid"].(string)
				delete(a, "name")
				delete(a, "personid")
			}),
		})
		r.deliver(genuine, trustly.StatusOK)
		var accounts []models.BankAccount
		if err := db.Where("player_id = ?", p.ID).Find(&accounts).Error; err != nil {
			t.Fatal(err)
		}
		if len(accounts) != 1 || accounts[0].LastDigits != "706212" || accounts[0].PersonID != "SE197901311246" {
			t.Errorf("after the genuine account notification: accounts %+v; want one, lastdigits 706212, personid SE197901311246", accounts)
		}
		if got := r.reload(o); !strings.Contains(got.Flag, `holder "Bertil Berg" is not the player's name`) {
			t.Errorf("after the genuine account notification: flags %q; want the holder's name flagged", got.Flag)
		}
	})
}

// TestKYCAttributesShifted: copies of a genuine Pay N Play kyc with text shifted
// between its attributes verify too. Applied, the one whose lastname swallowed
// the personid was answered FINISH (no personid for SE) and the one whose street
// swallowed the zipcode CONTINUE, with the player's street "Kungsgatan 1zipcode111
// 22"; either way the genuine kyc after it was refused as another body under a
// known notificationid, and the player never got in. They are refused unanswered
// now and stored raw for staff; the genuine one is answered CONTINUE and makes
// the player with the address Trustly sent.
func TestKYCAttributesShifted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		o := r.pnpOrder(10000, "SEK")
		genuine := notify(t, rigTrustlyKey(), trustly.MethodKYC, o, o.EndUserID,
			kycFields("entity-"+o.MessageID, maps.Clone(swedishAdult)))
		r.refuseShifted(map[string]note{
			"lastname swallows personid": reshape(t, genuine, shiftAttrs("lastname", "personid")),
			"street swallows zipcode":    reshape(t, genuine, shiftAttrs("street", "zipcode")),
			"city swallows country":      reshape(t, genuine, shiftAttrs("city", "country")),
		})
		r.deliver(genuine, trustly.StatusContinue)
		got := r.reload(o)
		var player models.Player
		if err := db.Take(&player, got.PlayerID).Error; err != nil {
			t.Fatalf("no player after the genuine kyc: %v", err)
		}
		if player.Street != "Kungsgatan 1" || player.Zipcode != "111 22" || player.PersonID != "SE197901311246" {
			t.Errorf("player %q %q %q; want Kungsgatan 1, 111 22, SE197901311246", player.Street, player.Zipcode, player.PersonID)
		}
	})
}

// TestAccountAttributesFreeText: a genuine account notification whose bank's
// name holds, in lower case, the name of an attribute it does not carry
// ("Velocity Bank", "Bank of the city", an account without the KYC add-on's
// city) was refused unanswered as text shifted between attributes, so the bank
// account was never saved and Trustly delivered it again and again. It is saved
// now, answered OK, nothing kept as refused; a copy of one with a city whose bank
// swallowed that city is still refused and stored for staff.
func TestAccountAttributesFreeText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRig(t, db, "", nil)
		for _, bank := range []string{"Velocity Bank", "Bank of the city"} {
			p := r.player()
			o := r.order(p, 10000)
			r.deliver(notify(t, rigTrustlyKey(), trustly.MethodAccount, o, p.EndUserID, map[string]any{"attributes": map[string]any{
				"clearinghouse": "SWEDEN", "bank": bank, "descriptor": "**706212", "lastdigits": "706212"}}), trustly.StatusOK)
			var accounts []models.BankAccount
			if err := db.Where("player_id = ?", p.ID).Find(&accounts).Error; err != nil {
				t.Fatal(err)
			}
			if len(accounts) != 1 || accounts[0].Bank != bank || accounts[0].LastDigits != "706212" {
				t.Errorf("after the account notification of %q: accounts %+v; want one, bank %q, lastdigits 706212", bank, accounts, bank)
			}
		}
		if rows := r.refusedRows(); len(rows) != 0 {
			t.Errorf("%d notifications kept as refused; want none", len(rows))
		}
		p := r.player()
		o := r.order(p, 10000)
		genuine := notify(t, rigTrustlyKey(), trustly.MethodAccount, o, p.EndUserID, map[string]any{"attributes": map[string]any{
			"clearinghouse": "SWEDEN", "bank": "Velocity Bank", "descriptor": "**706212", "lastdigits": "706212",
			"name": "Bertil Berg", "city": "Stockholm"}})
		r.refuseShifted(map[string]note{"bank swallows city": reshape(t, genuine, shiftAttrs("bank", "city"))})
	})
}
