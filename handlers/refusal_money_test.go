package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// TestRefusalSaysNoMoneyOnlyWhenNoneCame: a Pay N Play refusal says "No money was
// moved" only while no money came. A visitor's "Deposit & play" refused by the
// kyc through the sandbox (under 18) says it on its return page, in English and
// in Swedish; once the bank's credit came all the same (refused-held, to be
// returned) the same page gives the kyc's reason and the sentence that the money
// goes back, and no longer says that none moved. So does a signed-in player's
// deposit result page of a held deposit, whether its refusal was stored as a
// message id or (an old row) only as its English sentence.
func TestRefusalSaysNoMoneyOnlyWhenNoneCame(t *testing.T) {
	noMoney := map[string]string{"en": "No money was moved", "sv": "Inga pengar flyttades"}
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		lv := startLive(t, liveOptions{Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-minor"},
			Setup: func(s *testSetup) {
				withPayNPlay(t, "hybrid")(s)
				s.Cashier.DB = db
			}})
		hold := func(o *models.Order) {
			t.Helper()
			now := time.Now().UTC()
			o.CreditHeldAt, o.HeldCreditID = &now, strconv.FormatInt(2000000000+now.UnixNano()%1000000, 10)
			o.Refresh()
			if o.Status != models.OrderRefusedHeld {
				t.Fatalf("order %d: %s; want refused-held", o.ID, o.Status)
			}
			if err := lv.DB.Save(o).Error; err != nil {
				t.Fatal(err)
			}
		}
		for _, code := range []string{"en", "sv"} {
			cl := lv.client()
			cl.submit("/language", url.Values{"lang": {code}, "back": {"/"}}).wantRedirect("/")
			id := startPayNPlay(cl, "SE", "100")
			if out := lv.waitDecision(id); out.State != cashier.PayNPlayRefused {
				t.Fatalf("%s: the minor's deposit: %s; want refused", code, out.State)
			}
			path := cashier.PayNPlayFailPath + "?order=" + url.QueryEscape(id)
			page := cl.get(path).wantStatus(http.StatusOK)
			if got := page.text("refusal"); !strings.Contains(got, "18") || !strings.Contains(got, noMoney[code]) {
				t.Errorf("%s: the refused deposit, no money: %q; want the kyc's reason and %q", code, got, noMoney[code])
			}
			lv.Sandbox.WaitIdle(t) // the checkout's cancel is in: nothing changes the order but the test
			o := lv.order(id)
			hold(&o)
			page = cl.get(path).wantStatus(http.StatusOK)
			if got := page.text("refusal"); !strings.Contains(got, "18") || strings.Contains(page.text("paynplay-refused"), noMoney[code]) {
				t.Errorf("%s: the refused deposit, credit held: %q, %q; want the kyc's reason without %q", code, got,
					page.text("paynplay-refused"), noMoney[code])
			}
			if !page.has("refusal-held") {
				t.Errorf("%s: the refused deposit, credit held: no sentence that the money goes back", code)
			}
		}

		// A signed-in player's deposits refused and held: one with its refusal's
		// message id, one of an old row with only the English sentence.
		cl, p := lv.signedIn("anna@example.com")
		text, err := models.EncodeText(models.Text{ID: "kyc.self-excluded", Args: []any{"Register", "Spelpaus"}}, 2000)
		if err != nil {
			t.Fatal(err)
		}
		for i, stored := range []struct{ text, message string }{
			{text, "You are registered as excluded from gambling (Spelpaus), so you cannot play here. No money was moved."},
			{"", "You must be 18 or older to play. No money was moved."},
		} {
			now := time.Now().UTC()
			o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit, PayNPlay: true,
				PlayerID: p.ID, EndUserID: p.EndUserID, Amount: models.Money{Minor: 10000, Currency: "SEK"},
				TrustlyOrderID: strconv.FormatInt(1000000200+int64(i)+now.UnixNano()%1000*10, 10), CheckoutURL: "https://checkout.test/x",
				StartedAt: &now, CreatedAt: now, KYCOutcome: models.KYCFinish, KYCAt: &now, KYCReasons: "test",
				KYCText: stored.text, KYCMessage: stored.message, Status: models.OrderFailed}
			if err := lv.DB.Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			for _, code := range []string{"en", "sv"} {
				cl.submit("/language", url.Values{"lang": {code}, "back": {"/cashier"}}).wantRedirect("/cashier")
				path := "/deposit/fail?order=" + url.QueryEscape(o.MessageID)
				if got := cl.get(path).wantStatus(http.StatusOK).text("kyc-refusal"); !strings.Contains(got, noMoney[code]) {
					t.Errorf("%s, row %d, no money: %q; want %q", code, i, got, noMoney[code])
				}
			}
			hold(&o)
			for _, code := range []string{"en", "sv"} {
				cl.submit("/language", url.Values{"lang": {code}, "back": {"/cashier"}}).wantRedirect("/cashier")
				r := cl.get("/deposit/fail?order=" + url.QueryEscape(o.MessageID)).wantStatus(http.StatusOK)
				if got := r.text("kyc-refusal"); got == "" || strings.Contains(got, noMoney[code]) || strings.Contains(got, noMoney["en"]) {
					t.Errorf("%s, row %d, credit held: %q; want the reason without a word that no money moved", code, i, got)
				}
				if got := r.text("result-held"); got == "" {
					t.Errorf("%s, row %d, credit held: no sentence that the money goes back", code, i)
				}
			}
		}
	})
}
