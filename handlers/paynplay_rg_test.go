package handlers

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/limits"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"gorm.io/gorm"
)

// Responsible-gaming gates on Pay N Play's "Deposit & play" (POST /paynplay/deposit),
// held against the deposit form's (POST /deposit): a signed-in player is sent to
// the cashier, whose form has the gates, and a player identified by their bank in
// the kyc is refused for what refuses their deposit form, in the same words.

// rgPayNPlay is a live hybrid Swedish cashier on db whose checkouts log in as
// the sandbox's se-adult, with Åsa, a password player of that identity, signed
// in through cl.
func rgPayNPlay(t *testing.T, db *gorm.DB, setup func(s *testSetup)) (*liveApp, *testClient, models.Player) {
	t.Helper()
	lv := startLive(t, liveOptions{
		Setup: func(s *testSetup) {
			withPayNPlay(t, "hybrid")(s)
			s.Cashier.DB = db
			if setup != nil {
				setup(s)
			}
		},
		Extra: map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-adult"},
	})
	asa, err := lv.Svc.Register(t.Context(), models.Registration{Email: "asa@example.com", Password: testPassword,
		FirstName: "Åsa", LastName: "Öberg-Lindqvist", Country: "SE", PersonID: "19790131-1246"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lv.Svc.SetDepositLimits(t.Context(), asa, map[limits.Period]int64{limits.Month: 1_000_000}); err != nil {
		t.Fatal(err)
	}
	cl := lv.client()
	cl.signIn(asa.Email, testPassword)
	return lv, cl, asa
}

// depositWords is the sentence the deposit form of cl answers a deposit of
// amount with (422), where no order may start.
func depositWords(t *testing.T, cl *testClient, amount string) string {
	t.Helper()
	return cl.submit("/deposit", url.Values{"amount": {amount}}).wantStatus(http.StatusUnprocessableEntity).text("problem")
}

// bankDepositWords starts "Deposit & play" of amount in a new browser, signed
// out, which the sandbox logs in as Åsa's bank identity, and returns the refusal
// its return page shows, in language (the default when ""); it fails the test
// when the kyc let the deposit go on.
func bankDepositWords(t *testing.T, lv *liveApp, amount, language string) string {
	t.Helper()
	cl := lv.client()
	if language != "" {
		cl.submit("/language", url.Values{"lang": {language}, "back": {"/"}}).wantRedirect("/")
	}
	id := startPayNPlay(cl, "SE", amount)
	if out := lv.waitDecision(id); out.State != cashier.PayNPlayRefused {
		t.Fatalf("Deposit & play with the bank identity: kyc %s (reasons %q); want refused", out.State, out.Order.KYCReasons)
	}
	return cl.get(cashier.PayNPlayFailPath + "?order=" + url.QueryEscape(id)).wantStatus(http.StatusOK).text("refusal")
}

// TestPayNPlayDepositSignedInGoesToCashier: "Deposit & play" sent by a signed-in
// player (a start page open from before the sign-in) starts nothing, whatever
// holds their deposits back (a break, a reality check due, a spent limit): it
// goes to the cashier, whose deposit form has the gates. No order, no call to
// Trustly.
func TestPayNPlayDepositSignedInGoesToCashier(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		clock := &testClock{now: time.Now().UTC()}
		lv, cl, asa := rgPayNPlay(t, db, func(s *testSetup) {
			s.Cashier.Now = clock.Now
			s.Cashier.Config.RealityCheck = map[string]time.Duration{"SE": 30 * time.Minute}
		})
		cl.get("/cashier").wantStatus(http.StatusOK)
		orders := func() int64 { return lv.countRows(&models.Order{}, "1 = 1") }
		try := func(what string) {
			t.Helper()
			before := orders()
			cl.submit("/paynplay/deposit", url.Values{"market": {"SE"}, "amount": {"100"}}).wantRedirect("/cashier")
			if got := orders(); got != before {
				t.Errorf("%s: %d orders after Deposit & play; want %d", what, got, before)
			}
		}
		try("signed in")
		clock.Advance(31 * time.Minute)
		if !cl.get("/cashier").has("reality-check") {
			t.Fatal("no reality check due after 31 minutes")
		}
		try("reality check due")
		cl.submit("/reality-check", url.Values{"next": {"/cashier"}}).wantRedirect("/cashier")
		if _, err := lv.Svc.TakeBreak(t.Context(), asa, "", breaks.TimeOut24h); err != nil {
			t.Fatal(err)
		}
		try("on a break")
	})
}

// TestPayNPlayDepositRefusedAsTheForm: a player whom the deposit form refuses is
// refused by the kyc of "Deposit & play" with their bank identity, signed out, in
// the form's words: on a break; when another account with their names and date of
// birth (one from before the personnummer was asked) is on a break; when their
// monthly deposit limit is used up (which limit, and when deposits open again, in
// the page's language and the market's time zone).
func TestPayNPlayDepositRefusedAsTheForm(t *testing.T) {
	t.Run("twin on a break", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *gorm.DB) {
			lv, cl, asa := rgPayNPlay(t, db, nil)
			twin := models.Player{EndUserID: models.NewEndUserID(), Email: "asa.old@example.com",
				PasswordHash: "$2a$10$abcdefghijklmnopqrstuv", FirstName: asa.FirstName, LastName: asa.LastName,
				Country: "SE", Currency: "SEK", DateOfBirth: asa.DateOfBirth, Role: models.RolePlayer}
			if err := lv.DB.Create(&twin).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := lv.Svc.TakeBreak(t.Context(), twin, "", breaks.TimeOut30d); err != nil {
				t.Fatal(err)
			}
			want := depositWords(t, cl, "100")
			if want == "" {
				t.Fatal("the deposit form let Åsa deposit while her other account is on a break")
			}
			if got := bankDepositWords(t, lv, "100", ""); got != want {
				t.Errorf("Deposit & play refused with %q; want the deposit form's %q", got, want)
			}
		})
	})
	t.Run("on a break", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *gorm.DB) {
			lv, cl, asa := rgPayNPlay(t, db, nil)
			if _, err := lv.Svc.TakeBreak(t.Context(), asa, "", breaks.TimeOut7d); err != nil {
				t.Fatal(err)
			}
			want := depositWords(t, cl, "100")
			if got := bankDepositWords(t, lv, "100", ""); got != want {
				t.Errorf("Deposit & play refused with %q; want the deposit form's %q", got, want)
			}
		})
	})
	t.Run("limit used up", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *gorm.DB) {
			lv, cl, asa := rgPayNPlay(t, db, nil)
			spent := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit,
				PlayerID: asa.ID, Status: models.OrderCredited, Amount: models.Money{Minor: 1_000_000, Currency: "SEK"},
				CreditedMinor: 1_000_000, CreatedAt: time.Now().UTC()}
			if err := lv.DB.Create(&spent).Error; err != nil {
				t.Fatal(err)
			}
			for _, language := range []string{"en", "sv"} {
				cl.submit("/language", url.Values{"lang": {language}, "back": {"/cashier"}}).wantRedirect("/cashier")
				want := depositWords(t, cl, "100")
				if got := bankDepositWords(t, lv, "100", language); got != want {
					t.Errorf("%s: Deposit & play refused with %q; want the deposit form's %q", language, got, want)
				}
			}
		})
	})
}
