package cashier_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/cashier"
	"github.com/trustly-cashier/cashier/cashier/breaks"
	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"github.com/trustly-cashier/cashier/models"
	"github.com/trustly-cashier/cashier/trustly"
	"gorm.io/gorm"
)

// pnpRig is a rig whose markets are all Pay N Play (pure), with the sandbox's
// self-exclusion register.
func pnpRig(t *testing.T, db *gorm.DB) *rig {
	t.Helper()
	r := newRig(t, db, "", nil)
	client, err := trustly.NewClient(trustly.Config{URL: "http://127.0.0.1:9/api/1", Username: "merchant", Password: "secret",
		PrivateKey: rigMerchantKey(), TrustlyKey: &rigTrustlyKey().PublicKey, Env: "test", Logger: rigLog()})
	if err != nil {
		t.Fatal(err)
	}
	modes, _ := paynplay.ParseModes("pure")
	r.svc, err = cashier.New(cashier.Deps{TOTPKey: make([]byte, 32), DB: db, Trustly: client, MerchantKey: rigMerchantKey(),
		TrustlyKey: &rigTrustlyKey().PublicKey, Log: rigLog(), Exclusions: exclusions.Sandbox(),
		Config: cashier.Config{BaseURL: "http://cashier.test", NotifyToken: "tok-123", ShopperStatement: "Casino",
			IntegrationModule: "cashier-test/1", PayNPlay: modes}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pnpOrder creates a started Pay N Play deposit of an unknown visitor, as
// StartPayNPlay leaves it: no player, a fresh EndUserID.
func (r *rig) pnpOrder(minor int64, currency string) models.Order {
	r.t.Helper()
	now := time.Now().UTC()
	o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit, PayNPlay: true,
		EndUserID: models.NewEndUserID(), Amount: models.Money{Minor: minor, Currency: currency},
		TrustlyOrderID: fmt.Sprintf("%010d", 1000000000+rigNext()), CheckoutURL: "https://checkout.test/x",
		StartedAt: &now, CreatedAt: now}
	o.Refresh()
	if err := r.db.Create(&o).Error; err != nil {
		r.t.Fatal(err)
	}
	return o
}

// pnpLogin creates a started Pay N Play login ("Log in with your bank": a
// Deposit without an amount), as pnpOrder does a deposit.
func (r *rig) pnpLogin(currency string) models.Order {
	r.t.Helper()
	o := r.pnpOrder(0, currency)
	if err := r.db.Model(&o).Update("login_only", true).Error; err != nil {
		r.t.Fatal(err)
	}
	return r.reload(o)
}

// kycFor signs a kyc notification for the Pay N Play order o with attrs, whose
// lastname gets a number of its own (a person no other test has), under a fresh
// kyc entity id that starts with prefix.
func (r *rig) kycFor(o models.Order, prefix string, attrs map[string]any) note {
	r.t.Helper()
	attrs = maps.Clone(attrs)
	attrs["lastname"] = fmt.Sprintf("%s %d", attrs["lastname"], rigNext())
	return notify(r.t, rigTrustlyKey(), trustly.MethodKYC, o, o.EndUserID, kycFields(fmt.Sprintf("%s-%d", prefix, rigNext()), attrs))
}

// janitor runs the janitor once.
func (r *rig) janitor() {
	r.t.Helper()
	if _, err := r.svc.Janitor(r.ctx); err != nil {
		r.t.Fatal(err)
	}
}

// expireCheckout dates order o back past its checkout's life.
func (r *rig) expireCheckout(o models.Order) {
	r.t.Helper()
	at := time.Now().UTC().Add(-cashier.CheckoutExpiry - time.Minute)
	if err := r.db.Model(&models.Order{}).Where("id = ?", o.ID).Update("created_at", at).Error; err != nil {
		r.t.Fatal(err)
	}
}

// deliverTwice signs one notification of each of methods for the Pay N Play order
// o (the kyc with kyc's fields) and delivers them in the order perm, twice over:
// the kyc must be answered kycAnswer, every other one OK.
func (r *rig) deliverTwice(o models.Order, methods, perm []string, kyc map[string]any, kycAnswer string) {
	r.t.Helper()
	notes := map[string]note{}
	for _, m := range methods {
		var fields map[string]any
		if m == trustly.MethodKYC {
			fields = kyc
		}
		notes[m] = notify(r.t, rigTrustlyKey(), m, o, o.EndUserID, fields)
	}
	for range 2 {
		for _, m := range perm {
			want := "OK"
			if m == trustly.MethodKYC {
				want = kycAnswer
			}
			r.deliver(notes[m], want)
		}
	}
}

// kycFields are a kyc's kycentityid and attributes for a person.
func kycFields(entity string, attrs map[string]any) map[string]any {
	return map[string]any{"kycentityid": entity, "attributes": attrs}
}

var (
	dutchAdult = map[string]any{"firstname": "Jan", "lastname": "de Vries", "dob": "1975-07-14", "street": "Damrak 1",
		"zipcode": "1012 LG", "city": "Amsterdam", "country": "NL"}
	dutchMinor = map[string]any{"firstname": "Sanne", "lastname": "Jong", "dob": "2014-03-03", "street": "Coolsingel 40",
		"zipcode": "3011 AD", "city": "Rotterdam", "country": "NL"}
	swedishAdult = map[string]any{"personid": "SE197901311246", "firstname": "Åsa", "lastname": "Öberg-Lindqvist",
		"dob": "1979-01-31", "street": "Kungsgatan 1", "zipcode": "111 22", "city": "Stockholm", "country": "SE"}
)

// TestPayNPlayArrivalOrder delivers a Pay N Play deposit's kyc, pending, credit,
// account and cancel in every order, each twice, then a second kyc with another
// notificationid: every order ends with one player, created by the kyc, the credit
// booked to them exactly once and the account saved for them, whether the credit
// and the account came before the kyc (held) or after. For a minor the kyc says
// FINISH in every order: no player, nothing booked, and a credit that came anyway
// stays held and flagged.
func TestPayNPlayArrivalOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		for _, tt := range []struct {
			name   string
			attrs  map[string]any
			events []string
			kyc    string
		}{
			{"adult", dutchAdult, []string{"kyc", "pending", "credit", "account", "cancel"}, trustly.StatusContinue},
			{"minor", dutchMinor, []string{"kyc", "pending", "credit", "cancel"}, trustly.StatusFinish},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r.t = t
				for i, perm := range permutations(tt.events) {
					// A person of their own each time: one name and date of birth under
					// another kycentityid would be a lookalike of the one before.
					entity := fmt.Sprintf("entity-%s-%d-%d", tt.name, i, rigNext())
					attrs := maps.Clone(tt.attrs)
					attrs["lastname"] = fmt.Sprintf("%s %d", attrs["lastname"], i)
					o := r.pnpOrder(10000, "EUR")
					r.deliverTwice(o, tt.events, perm, kycFields(entity, attrs), tt.kyc)
					r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields(entity, attrs)), tt.kyc)

					got := r.reload(o)
					var players []models.Player
					if err := db.Where("kyc_entity_id = ?", entity).Find(&players).Error; err != nil {
						t.Fatal(err)
					}
					var credits int64
					db.Model(&models.Transfer{}).Where("reference = ?", got.Reference("credit")).Count(&credits)
					if tt.kyc == trustly.StatusFinish {
						if len(players) != 0 || got.PlayerID != 0 || credits != 0 || got.CreditedAt != nil ||
							!strings.Contains(got.Flag, "kyc was answered FINISH") || got.KYCOutcome != models.KYCFinish {
							t.Errorf("%v: %d players, order player %d, %d credits, flag %q, kyc %q; want none, nothing booked, flagged",
								perm, len(players), got.PlayerID, credits, got.Flag, got.KYCOutcome)
						}
						continue
					}
					if len(players) != 1 || got.PlayerID != players[0].ID || credits != 1 || got.Status != models.OrderCredited {
						t.Fatalf("%v: %d players, order player %d %s, %d credits; want one player owning the credited order, one credit",
							perm, len(players), got.PlayerID, got.Status, credits)
					}
					p := players[0]
					if r.wallet(p) != 10000 || p.Currency != "EUR" || p.EndUserID != o.EndUserID {
						t.Errorf("%v: wallet %d %s, EndUserID %q; want 100.00 EUR and the order's %q", perm, r.wallet(p), p.Currency, p.EndUserID, o.EndUserID)
					}
					var accounts int64
					db.Model(&models.BankAccount{}).Where("player_id = ?", p.ID).Count(&accounts)
					if accounts != 1 || got.Flag != models.FlagCancelAfterCredit {
						t.Errorf("%v: %d bank accounts, flag %q; want 1, %q", perm, accounts, got.Flag, models.FlagCancelAfterCredit)
					}
				}
				r.audit()
			})
		}
	})
}

// TestPayNPlayConcurrentKYC: one new person's kycs for several orders arrive at the
// same moment, each twice; there is still one player, who owns every order.
func TestPayNPlayConcurrentKYC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		var orders []models.Order
		var notes []note
		for range 4 {
			o := r.pnpOrder(10000, "SEK")
			orders = append(orders, o)
			notes = append(notes, notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("e-1", swedishAdult)))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 2*len(notes))
		for _, n := range append(notes, notes...) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answer, err := r.svc.HandleNotification(r.ctx, n.raw)
				if err == nil && !strings.Contains(string(answer), trustly.StatusContinue) {
					err = fmt.Errorf("answer %s", answer)
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		var players []models.Player
		db.Where("person_id = ?", "SE197901311246").Find(&players)
		if len(players) != 1 {
			t.Fatalf("%d players; want 1", len(players))
		}
		for _, o := range orders {
			if got := r.reload(o); got.PlayerID != players[0].ID {
				t.Errorf("order %d of player %d; want %d", o.ID, got.PlayerID, players[0].ID)
			}
		}
	})
}

// TestPayNPlayLookalike: a Dutch visitor whose bank identity has a player's name
// and date of birth under another kycentityid (Trustly's kycentityid may change)
// becomes a new player, and staff see the order flagged with the player it may be;
// once that player is blocked, the same identity under yet another kycentityid is
// refused: a new account would shed the block, or a break.
func TestPayNPlayLookalike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		kyc := func(entity, want string) models.Order {
			t.Helper()
			o := r.pnpOrder(10000, "EUR")
			r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields(entity, dutchAdult)), want)
			return r.reload(o)
		}
		first := kyc("k-first", trustly.StatusContinue)
		if first.PlayerID == 0 || first.Flag != "" {
			t.Fatalf("first kyc: player %d, flag %q; want a new player, no flag", first.PlayerID, first.Flag)
		}
		second := kyc("k-second", trustly.StatusContinue)
		wantFlag := fmt.Sprintf("player %d has this name and date of birth", first.PlayerID)
		if second.PlayerID == 0 || second.PlayerID == first.PlayerID || !strings.Contains(second.Flag, wantFlag) {
			t.Errorf("same person, new kycentityid: player %d (first %d), flag %q; want a new player, flagged %q",
				second.PlayerID, first.PlayerID, second.Flag, wantFlag)
		}
		if err := db.Model(&models.Player{}).Where("id = ?", first.PlayerID).Update("blocked", true).Error; err != nil {
			t.Fatal(err)
		}
		third := kyc("k-third", trustly.StatusFinish)
		var players int64
		db.Model(&models.Player{}).Where("country = ? AND date_of_birth = ?", "NL", "1975-07-14").Count(&players)
		if third.PlayerID != 0 || third.KYCOutcome != models.KYCFinish || !strings.Contains(third.KYCReasons, string(paynplay.RuleLookalikeClosed)) ||
			!strings.Contains(third.Flag, wantFlag) || players != 2 {
			t.Errorf("lookalike of a blocked player: player %d, kyc %s %q, flag %q, %d players; want refused, flagged, no third player",
				third.PlayerID, third.KYCOutcome, third.KYCReasons, third.Flag, players)
		}
		if text, _ := third.KYCRefusal(); text.ID != "kyc.lookalike-closed" {
			t.Errorf("refusal %+v; want kyc.lookalike-closed", text)
		}
	})
}

// TestPayNPlayPasswordLookalike: a password player who registered without an
// identity number (FI asks none; an SE account from before the personnummer was
// asked) has no personid, so a bank identity with one finds them by name, and by
// date of birth where they have one. Matti registered as "matti Meikalainen" and
// logs in at his bank, signed out, as Matti Juhani Meikäläinen: a new player is
// made, as he may be someone else of that name, and staff see the order flagged
// with the password player; the two accounts stay apart. His password account's
// own deposits are then refused: that bank identity is the other account's. Åsa,
// a Swedish password player with her date of birth and a permanent
// self-exclusion, is refused at her bank login (lookalike-closed), as for a Dutch
// lookalike, with no player made; a namesake born another day is not her.
func TestPayNPlayPasswordLookalike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		r.svc = hybridService(t, db, "FI=hybrid,SE=hybrid")
		key := rigTrustlyKey()
		kyc := func(o models.Order, entity string, attrs map[string]any, want string) models.Order {
			t.Helper()
			r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields(entity, attrs)), want)
			return r.reload(o)
		}
		password := func(first, last, country, dob string) models.Player {
			t.Helper()
			n := rigNext()
			p := models.Player{EndUserID: fmt.Sprintf("pw-%d", n), Email: fmt.Sprintf("pw-%d@example.com", n),
				PasswordHash: "$2a$10$abcdefghijklmnopqrstuv", FirstName: first, LastName: last, Country: country,
				Currency: models.Markets[country].Currency, DateOfBirth: dob, Role: models.RolePlayer}
			if err := db.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
			return p
		}
		matti := password("matti", "Meikalainen", "FI", "")
		bank := map[string]any{"personid": "FI131052-309U", "firstname": "Matti Juhani", "lastname": "Meikäläinen",
			"dob": "1952-10-13", "street": "Mannerheimintie 1", "zipcode": "00100", "city": "Helsinki", "country": "FI"}
		first := kyc(r.pnpOrder(5000, "EUR"), "k-matti", bank, trustly.StatusContinue)
		wantFlag := fmt.Sprintf("player %d has this name, no personid and no date of birth: check before paying out", matti.ID)
		if first.PlayerID == 0 || first.PlayerID == matti.ID || !strings.Contains(first.Flag, wantFlag) ||
			!strings.Contains(first.KYCReasons, string(paynplay.RuleLookalike)) {
			t.Errorf("bank login of a password player's name: player %d (password %d), flag %q, reasons %q; want a new player, flagged %q",
				first.PlayerID, matti.ID, first.Flag, first.KYCReasons, wantFlag)
		}
		var kept models.Player
		if err := db.Take(&kept, matti.ID).Error; err != nil || kept.PersonID != "" || kept.FirstName != "matti" {
			t.Errorf("password player after the other's kyc: %+v, %v; want unchanged, no personid", kept, err)
		}
		// His own deposit, signed in with the password: that identity is taken.
		own := r.pnpOrder(5000, "EUR")
		own.PlayerID, own.EndUserID = matti.ID, matti.EndUserID
		if err := db.Save(&own).Error; err != nil {
			t.Fatal(err)
		}
		if got := kyc(own, "k-matti", bank, trustly.StatusFinish); !strings.Contains(got.KYCReasons, string(paynplay.RuleIdentityTaken)) {
			t.Errorf("the password account's own deposit: reasons %q; want identity-taken", got.KYCReasons)
		}

		// A password player who deposits with their own bank identity takes its
		// names, and the key they are found by follows them.
		liisa := password("liisa", "Virtanen", "FI", "")
		linking := r.pnpOrder(5000, "EUR")
		linking.PlayerID, linking.EndUserID = liisa.ID, liisa.EndUserID
		if err := db.Save(&linking).Error; err != nil {
			t.Fatal(err)
		}
		kyc(linking, "k-liisa", map[string]any{"personid": "FI210388-246L", "firstname": "Liisa Maria", "lastname": "Virtanen",
			"dob": "1988-03-21", "street": "Kauppakatu 12", "zipcode": "40100", "city": "Jyväskylä", "country": "FI"}, trustly.StatusContinue)
		if err := db.Take(&liisa, liisa.ID).Error; err != nil || liisa.PersonID != "FI210388-246L" || liisa.NameKey != "virtanen|liisa maria" {
			t.Errorf("password player linked: personid %q, name key %q, %v; want FI210388-246L, %q", liisa.PersonID, liisa.NameKey, err, "virtanen|liisa maria")
		}

		other := password("Åsa", "Öberg-Lindqvist", "SE", "1990-01-01")
		if err := db.Model(&models.Player{}).Where("id = ?", other.ID).Update("blocked", true).Error; err != nil {
			t.Fatal(err)
		}
		asa := password("Asa", "Oberg Lindqvist", "SE", "1979-01-31")
		if _, err := r.svc.TakeBreak(r.ctx, asa, "", breaks.ExclusionEver); err != nil {
			t.Fatal(err)
		}
		got := kyc(r.pnpOrder(10000, "SEK"), "k-asa", swedishAdult, trustly.StatusFinish)
		var made int64
		db.Model(&models.Player{}).Where("person_id = ?", swedishAdult["personid"]).Count(&made)
		wantReason := fmt.Sprintf("%s: player %d has this name and date of birth and no personid and is blocked or on a break",
			paynplay.RuleLookalikeClosed, asa.ID)
		if got.KYCReasons != wantReason || got.PlayerID != 0 || made != 0 || !strings.Contains(got.Flag, fmt.Sprintf("player %d", asa.ID)) {
			t.Errorf("bank login of a self-excluded password player: reasons %q, player %d, %d made, flag %q; want only %q, no player, flagged",
				got.KYCReasons, got.PlayerID, made, got.Flag, wantReason)
		}
		if text, _ := got.KYCRefusal(); text.ID != "kyc.lookalike-closed" {
			t.Errorf("refusal %+v; want kyc.lookalike-closed", text)
		}
	})
}

// TestPayNPlayBlockedByStaff: a player staff blocked who comes back through their
// bank (the same identity) is refused at the kyc, in a deposit and a login alike,
// and their credit is not booked: a blocked player cannot sign in, so money taken
// would sit where they cannot reach it.
func TestPayNPlayBlockedByStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		o := r.pnpOrder(10000, "EUR")
		r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("k-blocked", dutchAdult)), trustly.StatusContinue)
		p := r.reload(o).PlayerID
		if err := db.Model(&models.Player{}).Where("id = ?", p).Update("blocked", true).Error; err != nil {
			t.Fatal(err)
		}
		again := r.pnpOrder(10000, "EUR")
		r.deliver(notify(t, key, trustly.MethodKYC, again, again.EndUserID, kycFields("k-blocked", dutchAdult)), trustly.StatusFinish)
		r.deliver(notify(t, key, trustly.MethodCredit, again, again.EndUserID, nil), "OK")
		got := r.reload(again)
		if got.PlayerID != 0 || got.CreditedAt != nil || !strings.Contains(got.KYCReasons, string(paynplay.RuleBlocked)) {
			t.Errorf("blocked player's deposit: player %d, credited %v, reasons %q; want refused as blocked, nothing booked",
				got.PlayerID, got.CreditedAt, got.KYCReasons)
		}
	})
}

// blockWhileDeciding is the deposit limits of a kyc decision during which staff
// block player: the first time it is asked, it blocks them.
type blockWhileDeciding struct {
	db     *gorm.DB
	player int64
	asked  int
}

func (b *blockWhileDeciding) DepositAllowance(context.Context, paynplay.Depositor, string) (paynplay.Allowance, error) {
	b.asked++
	if b.asked == 1 {
		if err := b.db.Model(&models.Player{}).Where("id = ?", b.player).Update("blocked", true).Error; err != nil {
			return paynplay.Allowance{}, err
		}
	}
	return paynplay.Allowance{}, nil
}

// TestPayNPlayBlockedDuringDecision: staff block a returning player while their
// kyc is being decided (outside the write lock, where the register and the
// limits are asked): the decision is taken again and refused, and nothing is
// booked to the blocked player.
func TestPayNPlayBlockedDuringDecision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		o := r.pnpOrder(10000, "EUR")
		r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("k-race", dutchAdult)), trustly.StatusContinue)
		blocking := &blockWhileDeciding{db: db, player: r.reload(o).PlayerID}
		r.svc = pnpLimitsService(t, db, blocking)
		again := r.pnpOrder(10000, "EUR")
		r.deliver(notify(t, key, trustly.MethodKYC, again, again.EndUserID, kycFields("k-race", dutchAdult)), trustly.StatusFinish)
		r.deliver(notify(t, key, trustly.MethodCredit, again, again.EndUserID, nil), "OK")
		got := r.reload(again)
		if blocking.asked == 0 || got.PlayerID != 0 || got.CreditedAt != nil || !strings.Contains(got.KYCReasons, string(paynplay.RuleBlocked)) {
			t.Errorf("blocked during the decision: limits asked %d times, player %d, credited %v, reasons %q; want decided again, refused, nothing booked",
				blocking.asked, got.PlayerID, got.CreditedAt, got.KYCReasons)
		}
	})
}

// TestPayNPlayHybridBlockedDuringDecision: staff block a signed-in password player
// while the kyc of their own Pay N Play deposit is being decided (hybrid: the
// order is theirs from the start, and the identity is new). The decision is taken
// again in the write transaction and refused, and the credit is not booked to
// them; the same deposit without the block is booked, so the test can fail.
func TestPayNPlayHybridBlockedDuringDecision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, block := range []bool{false, true} {
			r := pnpRig(t, db)
			key := rigTrustlyKey()
			n := rigNext()
			p := models.Player{EndUserID: fmt.Sprintf("p-%d", n), Email: fmt.Sprintf("jan%d@example.com", n),
				FirstName: "Jan", LastName: "de Vries", Country: "NL", Currency: "EUR", CreatedAt: time.Now()}
			if err := db.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
			o := r.pnpOrder(10000, "EUR")
			if err := db.Model(&o).Updates(map[string]any{"player_id": p.ID, "end_user_id": p.EndUserID}).Error; err != nil {
				t.Fatal(err)
			}
			o = r.reload(o)
			var limits paynplay.Limits = &blockWhileDeciding{db: db, player: p.ID, asked: 1} // asked: never blocks
			if block {
				limits = &blockWhileDeciding{db: db, player: p.ID}
			}
			r.svc = pnpLimitsService(t, db, limits)
			want := trustly.StatusContinue
			if block {
				want = trustly.StatusFinish
			}
			entity := fmt.Sprintf("k-hybrid-%d", n)
			r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields(entity, dutchAdult)), want)
			r.deliver(notify(t, key, trustly.MethodCredit, o, o.EndUserID, nil), "OK")
			got := r.reload(o)
			asked := limits.(*blockWhileDeciding).asked
			switch {
			case !block && (got.PlayerID != p.ID || got.CreditedAt == nil || r.wallet(p) != 10000):
				t.Errorf("not blocked: player %d, credited %v, wallet %d; want booked to player %d", got.PlayerID, got.CreditedAt, r.wallet(p), p.ID)
			case block && (asked == 0 || got.CreditedAt != nil || r.wallet(p) != 0 || !strings.Contains(got.KYCReasons, string(paynplay.RuleBlocked))):
				t.Errorf("blocked during the decision: limits asked %d times, credited %v, wallet %d, reasons %q; want decided again, refused, nothing booked",
					asked, got.CreditedAt, r.wallet(p), got.KYCReasons)
			}
		}
	})
}

// TestPayNPlayHeldCreditDebitedThenRefused: a hybrid player's Pay N Play deposit
// is theirs from the start, yet its credit is held until the kyc says CONTINUE.
// The debit that follows is held too, and once the kyc says FINISH neither is
// booked: the player got nothing, so nothing is taken from their wallet, and
// staff are told the bank took the held credit back.
func TestPayNPlayHeldCreditDebitedThenRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		p := r.player()
		now := time.Now().UTC()
		o := models.Order{MessageID: models.NewMessageID(models.OrderDeposit), Kind: models.OrderDeposit, PayNPlay: true,
			PlayerID: p.ID, EndUserID: p.EndUserID, Amount: models.Money{Minor: 10000, Currency: "SEK"},
			TrustlyOrderID: fmt.Sprintf("%010d", 1000000000+rigNext()), CheckoutURL: "https://checkout.test/x",
			StartedAt: &now, CreatedAt: now}
		o.Refresh()
		if err := db.Create(&o).Error; err != nil {
			t.Fatal(err)
		}
		r.deliver(notify(t, key, trustly.MethodCredit, o, p.EndUserID, nil), "OK")
		if w := r.wallet(p); w != 0 {
			t.Fatalf("held credit booked: wallet %d", w)
		}
		r.deliver(notify(t, key, trustly.MethodDebit, o, p.EndUserID, nil), "OK")
		r.deliver(notify(t, key, trustly.MethodKYC, o, "someone-else", kycFields("entity-x", swedishAdult)), "FINISH")
		r.audit()
		got := r.reload(o)
		if w := r.wallet(p); w != 0 || got.Flag != models.FlagHeldCreditDebited {
			t.Errorf("wallet %d (status %s, flag %q); want 0, flagged %q: the credit was never booked, so there is nothing to take back",
				w, got.Status, got.Flag, models.FlagHeldCreditDebited)
		}
	})
}

// TestPayNPlayDebitBeforeKYC: an unknown visitor's credit is held until the kyc,
// and a debit that comes before the kyc is held too and answered OK (nothing of
// the deposit will be left booked). The kyc CONTINUE then books both: the bank
// took the deposit back, so the new player's wallet ends at zero.
func TestPayNPlayDebitBeforeKYC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		o := r.pnpOrder(10000, "EUR")
		r.deliver(notify(t, key, trustly.MethodCredit, o, o.EndUserID, nil), "OK")
		r.deliver(notify(t, key, trustly.MethodDebit, o, o.EndUserID, nil), "OK")
		r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("entity-debit-1", dutchAdult)), "CONTINUE")
		r.audit()
		got := r.reload(o)
		var p models.Player
		if err := db.Take(&p, got.PlayerID).Error; err != nil {
			t.Fatal(err)
		}
		if w := r.wallet(p); w != 0 || got.Status != models.OrderDebited {
			t.Errorf("wallet %d (status %s, flag %q); want 0 debited: the deposit was debited by the bank", w, got.Status, got.Flag)
		}
	})
}

// TestPayNPlayDebitArrivalOrder delivers an unknown visitor's kyc, credit and
// debit in every order, each twice: after CONTINUE every order ends with the new
// player's wallet at zero and the order debited, whatever was held; after FINISH
// nothing is booked at all, staff are told the held credit was taken back, and
// the order reads failed: refused, nothing to return.
func TestPayNPlayDebitArrivalOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		for _, tt := range []struct {
			name   string
			attrs  map[string]any
			kyc    string
			status models.OrderStatus
			flag   string
		}{
			{"adult", dutchAdult, trustly.StatusContinue, models.OrderDebited, ""},
			{"minor", dutchMinor, trustly.StatusFinish, models.OrderFailed, models.FlagHeldCreditDebited},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r.t = t
				events := []string{trustly.MethodKYC, trustly.MethodCredit, trustly.MethodDebit}
				for i, perm := range permutations(events) {
					entity := fmt.Sprintf("entity-debit-%s-%d-%d", tt.name, i, rigNext())
					attrs := maps.Clone(tt.attrs)
					attrs["lastname"] = fmt.Sprintf("%s %d", attrs["lastname"], i)
					o := r.pnpOrder(10000, "EUR")
					r.deliverTwice(o, events, perm, kycFields(entity, attrs), tt.kyc)
					got := r.reload(o)
					var transfers int64
					db.Model(&models.Transfer{}).Where("reference LIKE ?", got.Reference("")+"%").Count(&transfers)
					if got.Status != tt.status || got.Flag != tt.flag {
						t.Errorf("%v: %s %q; want %s %q", perm, got.Status, got.Flag, tt.status, tt.flag)
					}
					if tt.kyc == trustly.StatusFinish {
						if got.PlayerID != 0 || transfers != 0 {
							t.Errorf("%v: player %d, %d transfers; want none", perm, got.PlayerID, transfers)
						}
						continue
					}
					var p models.Player
					if err := db.Take(&p, got.PlayerID).Error; err != nil {
						t.Fatal(err)
					}
					if w := r.wallet(p); w != 0 || transfers != 2 {
						t.Errorf("%v: wallet %d, %d transfers; want 0, a credit and its debit", perm, w, transfers)
					}
				}
				r.audit()
			})
		}
	})
}

// TestPayNPlayKYCBooksWhatWasHeld: before the kyc, an unknown visitor's order
// stores credits and debits it refuses (another enduserid, another currency) or
// does not book (a second one) beside the credit and the debit it holds; the kyc
// books exactly the held ones, whichever came first.
func TestPayNPlayKYCBooksWhatWasHeld(t *testing.T) {
	type event struct {
		method string
		fields map[string]any
		answer string
	}
	credit := event{trustly.MethodCredit, nil, "OK"}
	for _, tt := range []struct {
		name   string
		events []event
		wallet int64
		status models.OrderStatus
	}{
		{"a credit refused for its enduserid, then the credit",
			[]event{{trustly.MethodCredit, map[string]any{"enduserid": "pnp-someone-else"}, "OK"}, credit}, 10000, models.OrderCredited},
		{"a credit refused for its currency, then the credit",
			[]event{{trustly.MethodCredit, map[string]any{"currency": "SEK"}, "OK"}, credit}, 10000, models.OrderCredited},
		{"the credit, then a second one",
			[]event{credit, {trustly.MethodCredit, map[string]any{"amount": "50.00"}, "OK"}}, 10000, models.OrderCredited},
		{"a debit refused for its enduserid, then the debit",
			[]event{credit, {trustly.MethodDebit, map[string]any{"enduserid": "pnp-someone-else"}, "FAILED"},
				{trustly.MethodDebit, map[string]any{"amount": "40.00"}, "OK"}}, 6000, models.OrderDebited},
		{"the debit, then a second one",
			[]event{credit, {trustly.MethodDebit, map[string]any{"amount": "40.00"}, "OK"}, {trustly.MethodDebit, nil, "OK"}},
			6000, models.OrderDebited},
	} {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *gorm.DB) {
				r := pnpRig(t, db)
				key := rigTrustlyKey()
				o := r.pnpOrder(10000, "EUR")
				for _, e := range tt.events {
					r.deliver(notify(t, key, e.method, o, o.EndUserID, e.fields), e.answer)
				}
				r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("entity-held", dutchAdult)), "CONTINUE")
				r.audit()
				got := r.reload(o)
				var p models.Player
				if err := db.Take(&p, got.PlayerID).Error; err != nil {
					t.Fatal(err)
				}
				if w := r.wallet(p); w != tt.wallet || got.Status != tt.status {
					t.Errorf("wallet %d, status %s (flag %q); want %d %s: the kyc books what was held", w, got.Status, got.Flag, tt.wallet, tt.status)
				}
			})
		})
	}
}

// TestPayNPlayLoginDebited: a debit for a Pay N Play login (an order of no amount,
// which no credit can follow) takes nothing back, since nothing was given, and is
// answered FAILED before and after the kyc; the kyc after it is still answered and
// signs the person in, and staff see the debit.
func TestPayNPlayLoginDebited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		o := r.pnpOrder(0, "EUR")
		if err := db.Model(&o).Update("login_only", true).Error; err != nil {
			t.Fatal(err)
		}
		o = r.reload(o)
		r.deliver(notify(t, key, trustly.MethodDebit, o, o.EndUserID, map[string]any{"amount": "100.00"}), "FAILED")
		r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("k-login-debit", dutchAdult)), trustly.StatusContinue)
		// After the kyc too: nothing was credited, so nothing is taken back.
		r.deliver(notify(t, key, trustly.MethodDebit, o, o.EndUserID, map[string]any{"amount": "50.00"}), "FAILED")
		r.audit()
		got := r.reload(o)
		var p models.Player
		if err := db.Take(&p, got.PlayerID).Error; err != nil {
			t.Fatalf("no player signed in: %v", err)
		}
		if w := r.wallet(p); w != 0 || !strings.Contains(got.Flag, "debit") {
			t.Errorf("wallet %d, flag %q; want 0 and the debit flagged for staff", w, got.Flag)
		}
	})
}

// TestPayNPlayTimelineShowsHeld: the back office's timeline of a Pay N Play
// deposit shows its credit and debit held before the kyc, and the kyc's decision.
func TestPayNPlayTimelineShowsHeld(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		r := pnpRig(t, db)
		key := rigTrustlyKey()
		o := r.pnpOrder(10000, "EUR")
		r.deliver(notify(t, key, trustly.MethodCredit, o, o.EndUserID, nil), "OK")
		r.deliver(notify(t, key, trustly.MethodDebit, o, o.EndUserID, nil), "OK")
		r.deliver(notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields("k-timeline", dutchAdult)), trustly.StatusContinue)
		var names []string
		for _, e := range cashier.Timeline(r.reload(o)) {
			names = append(names, e.Name)
		}
		got := strings.Join(names, ", ")
		for _, want := range []string{"credit held", "debit held", "kyc continue", "credited", "debited"} {
			if !strings.Contains(got, want) {
				t.Errorf("timeline %q lacks %q", got, want)
			}
		}
	})
}

// TestPayNPlayLoginCreditNotBooked: a credit Trustly sends for a Pay N Play
// login, which asked for no money (and whose kyc let a player on a break in, and
// read no deposit limits), is flagged for staff and never booked, before or after
// the kyc.
func TestPayNPlayLoginCreditNotBooked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, creditFirst := range []bool{true, false} {
			r := pnpRig(t, db)
			key := rigTrustlyKey()
			o := r.pnpOrder(0, "EUR")
			if err := db.Model(&o).Update("login_only", true).Error; err != nil {
				t.Fatal(err)
			}
			o = r.reload(o)
			credit := notify(t, key, trustly.MethodCredit, o, o.EndUserID, map[string]any{"amount": "5000.00"})
			entity := fmt.Sprintf("k-login-credit-%d", rigNext())
			attrs := maps.Clone(dutchAdult)
			attrs["lastname"] = fmt.Sprintf("de Vries %d", rigNext())
			kyc := notify(t, key, trustly.MethodKYC, o, o.EndUserID, kycFields(entity, attrs))
			if creditFirst {
				r.deliver(credit, "OK")
				r.deliver(kyc, trustly.StatusContinue)
			} else {
				r.deliver(kyc, trustly.StatusContinue)
				r.deliver(credit, "OK")
			}
			r.audit()
			got := r.reload(o)
			var p models.Player
			if err := db.Take(&p, got.PlayerID).Error; err != nil {
				t.Fatalf("no player signed in: %v", err)
			}
			if w := r.wallet(p); w != 0 || got.CreditedAt != nil || !strings.Contains(got.Flag, "on a Pay N Play login") {
				t.Errorf("credit first %t: wallet %d, credited %v, flag %q; want nothing booked, flagged", creditFirst, w, got.CreditedAt, got.Flag)
			}
		}
	})
}
