package sandbox_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// named starts deposits from a merchant that names its player.
type named struct {
	env    *sandboxtest.Env
	m      *sandboxtest.Merchant
	client *trustly.Client
}

func startNamed(t *testing.T) *named {
	t.Helper()
	n := &named{env: sandboxtest.Start(t)}
	n.m, n.client = sandboxtest.NewMerchant(t, n.env), n.env.Client(t)
	return n
}

// deposit starts a SEK deposit in SE of endUser named first last, with nin as
// its NationalIdentificationNumber ("" for none).
func (n *named) deposit(t *testing.T, endUser, first, last, nin string, kyc bool, extra map[string]string) trustly.DepositResult {
	t.Helper()
	res, err := n.client.Deposit(context.Background(), trustly.DepositParams{NotificationURL: n.m.URL,
		EndUserID: endUser, MessageID: uuid.NewString(), Currency: "SEK", Amount: "100.00", Country: "SE",
		Firstname: first, Lastname: last, NationalIdentificationNumber: nin, RequestKYC: kyc,
		SuccessURL: "https://casino.example/ok", FailURL: "https://casino.example/fail", Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// account waits for the order's account notification.
func (n *named) account(t *testing.T, orderID string) *trustly.AccountData {
	t.Helper()
	n.env.WaitIdle(t)
	for _, got := range n.m.ForOrder(orderID) {
		if d, ok := got.Data.(*trustly.AccountData); ok {
			return d
		}
	}
	t.Fatalf("order %s: no account notification among %v", orderID, sandboxtest.Methods(n.m.ForOrder(orderID)))
	return nil
}

// checkout walks res's checkout as person, with the account at index account.
func checkout(t *testing.T, res trustly.DepositResult, person, account string) {
	t.Helper()
	tok := session(t, res.URL)
	for _, s := range []struct {
		action string
		values url.Values
	}{
		{"bank", url.Values{"bank": {"SE|Handelsbanken"}}},
		{"login", url.Values{"person": {person}}},
		{"account", url.Values{"account": {account}}},
		{"confirm", url.Values{"scenario": {"deposit-ok"}}},
	} {
		s.values.Set("session", tok)
		if r := form(t, res.URL, s.action, s.values); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s as %s: HTTP %d", s.action, person, r.StatusCode)
		}
	}
}

// TestNamedPersonCheckout: a Deposit naming a player who is none of the test
// persons offers, first and selected, that person at the login step, with the
// date of birth and personid of the NationalIdentificationNumber; logged in as
// them, the account notification names them, and each of their deposits comes
// from the same accountid. The fixed test persons are still there.
func TestNamedPersonCheckout(t *testing.T) {
	n := startNamed(t)
	a := n.deposit(t, "player-anna", "Anna", "Andersson", "19900315-1231", false, nil)
	tok := session(t, a.URL)
	if r := form(t, a.URL, "bank", url.Values{"session": {tok}, "bank": {"SE|Handelsbanken"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("bank step: HTTP %d", r.StatusCode)
	}
	page := getPage(t, a.URL)
	radios := regexp.MustCompile(`<input type="radio" name="person" value="([^"]+)"( checked)?`).FindAllStringSubmatch(page, -1)
	if len(radios) != 5 || radios[0][1] != "named" || radios[0][2] == "" {
		t.Fatalf("login step offers %q; want the named person first and selected, then the four SE test persons", radios)
	}
	for _, r := range radios[1:] {
		if r[2] != "" {
			t.Errorf("test person %s is selected too", r[1])
		}
	}
	if want := "Anna Andersson, born 1990-03-15"; !strings.Contains(page, want) || !strings.Contains(page, "(the person the merchant named)") {
		t.Errorf("login step does not show %q (the person the merchant named):\n%s", want, page)
	}
	for _, id := range []string{"se-adult", "se-adult2", "se-minor", "se-excluded"} {
		if !strings.Contains(page, `data-testid="person-`+id+`"`) {
			t.Errorf("test person %s is no longer offered", id)
		}
	}
	v := url.Values{"session": {tok}, "person": {"named"}}
	if r := form(t, a.URL, "login", v); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login as the named person: HTTP %d", r.StatusCode)
	}
	for _, s := range []struct{ action, field, value string }{{"account", "account", "0"}, {"confirm", "scenario", "deposit-ok"}} {
		if r := form(t, a.URL, s.action, url.Values{"session": {tok}, s.field: {s.value}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: HTTP %d", s.action, r.StatusCode)
		}
	}
	first := n.account(t, a.OrderID)
	if got := first.Attributes["name"]; got != "Anna Andersson" {
		t.Errorf("account holder %q, want Anna Andersson", got)
	}
	if got := first.Attributes["personid"]; got != "SE199003151231" {
		t.Errorf("account personid %q, want SE199003151231", got)
	}

	b := n.deposit(t, "player-anna", "Anna", "Andersson", "199003151231", false, nil)
	checkout(t, b, "named", "0")
	if again := n.account(t, b.OrderID); again.AccountID != first.AccountID || again.Attributes["name"] != "Anna Andersson" {
		t.Errorf("second deposit from accountid %s of %q; want %s, as the first", again.AccountID, again.Attributes["name"], first.AccountID)
	}

	// Without a number: no personid, and still one stable account per name.
	c, d := n.deposit(t, "player-bo", "Bo", "Ek", "", false, nil), n.deposit(t, "player-bo", "Bo", "Ek", "", false, nil)
	checkout(t, c, "named", "1")
	checkout(t, d, "named", "1")
	ac, ad := n.account(t, c.OrderID), n.account(t, d.OrderID)
	if ac.Attributes["name"] != "Bo Ek" || ac.Attributes["personid"] != "" || ac.AccountID != ad.AccountID || ac.AccountID == first.AccountID {
		t.Errorf("Bo Ek's deposits: holders %q, %q, personid %q, accountids %s, %s (Anna's %s); want Bo Ek twice, none, the same, not Anna's",
			ac.Attributes["name"], ad.Attributes["name"], ac.Attributes["personid"], ac.AccountID, ad.AccountID, first.AccountID)
	}

	// A test person can still be chosen.
	e := n.deposit(t, "player-anna", "Anna", "Andersson", "", false, nil)
	checkout(t, e, "se-adult", "0")
	if got := n.account(t, e.OrderID).Attributes["name"]; got != "Åsa Öberg-Lindqvist" {
		t.Errorf("logged in as se-adult: holder %q", got)
	}
}

// TestNamedPersonNotOffered: no named person made from the order when the
// merchant names none, names a test person (by name, see
// TestNamedTestPersonOffered, or by number), or starts Pay N Play, whose player
// is unknown until the kyc.
func TestNamedPersonNotOffered(t *testing.T) {
	n := startNamed(t)
	for _, tt := range []struct {
		name, first, last, nin string
		kyc                    bool
	}{
		{"no names", "", "", "", false},
		{"no last name", "Anna", "", "", false},
		{"a test person's name", "Åsa", "Öberg", "", false},
		{"a test person's number", "Anna", "Andersson", "SE199006152350", false},
		{"Pay N Play", "Anna", "Andersson", "199003151231", true},
	} {
		res := n.deposit(t, "player-"+uuid.NewString(), tt.first, tt.last, tt.nin, tt.kyc, nil)
		tok := session(t, res.URL)
		if r := form(t, res.URL, "bank", url.Values{"session": {tok}, "bank": {"SE|Handelsbanken"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: bank step: HTTP %d", tt.name, r.StatusCode)
		}
		if page := getPage(t, res.URL); strings.Contains(page, `data-testid="person-named"`) || !strings.Contains(page, `data-testid="person-se-adult"`) {
			t.Errorf("%s: the login step offers a named person, or not the test persons", tt.name)
		}
		r := form(t, res.URL, "login", url.Values{"session": {tok}, "person": {"named"}})
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: login as a named person: HTTP %d, want 422", tt.name, r.StatusCode)
		}
	}
}

// TestNamedTestPersonOffered: a Deposit naming a player who is one of the
// country's test persons (the names folded as the cashier compares a holder's)
// offers that test person as the person the merchant named, first and selected,
// listed once under its own id; the country's other test persons follow. The
// checkout offered no named person then, and selected the country's adult.
func TestNamedTestPersonOffered(t *testing.T) {
	n := startNamed(t)
	for _, tt := range []struct {
		first, last, id, label string
	}{
		{"Lars", "Nilsson", "se-adult2", "Lars Nilsson, born 1990-06-15"},
		{"asa", "oberg lindqvist", "se-adult", "Åsa Öberg-Lindqvist, born 1979-01-31"},
		{"Sven", "Spelpaus", "se-excluded", "Sven Spelpaus, born 1985-02-02"},
	} {
		res := n.deposit(t, "player-"+uuid.NewString(), tt.first, tt.last, "", false, nil)
		tok := session(t, res.URL)
		if r := form(t, res.URL, "bank", url.Values{"session": {tok}, "bank": {"SE|Handelsbanken"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s %s: bank step: HTTP %d", tt.first, tt.last, r.StatusCode)
		}
		page := getPage(t, res.URL)
		radios := regexp.MustCompile(`<input type="radio" name="person" value="([^"]+)"( checked)?`).FindAllStringSubmatch(page, -1)
		var ids []string
		for _, r := range radios {
			ids = append(ids, r[1])
			if r[2] != "" && r[1] != tt.id {
				t.Errorf("%s %s: %s is selected too", tt.first, tt.last, r[1])
			}
		}
		if len(radios) != 4 || radios[0][1] != tt.id || radios[0][2] == "" {
			t.Errorf("%s %s: login step offers %q; want %s first and selected, then the three other SE test persons, once each",
				tt.first, tt.last, ids, tt.id)
		}
		for _, id := range []string{"se-adult", "se-adult2", "se-minor", "se-excluded"} {
			if c := strings.Count(page, `data-testid="person-`+id+`"`); c != 1 {
				t.Errorf("%s %s: test person %s offered %d times; want once", tt.first, tt.last, id, c)
			}
		}
		if strings.Contains(page, `data-testid="person-named"`) {
			t.Errorf("%s %s: a person made from the order is offered beside the test person", tt.first, tt.last)
		}
		_, label, _ := strings.Cut(page, `data-testid="person-`+tt.id+`"`)
		label, _, _ = strings.Cut(label, "</label>")
		if !strings.Contains(label, tt.label) || !strings.Contains(label, "(the person the merchant named") {
			t.Errorf("%s %s: login step shows %s as %q; want %q, the person the merchant named", tt.first, tt.last, tt.id, label, tt.label)
		}
		checkout(t, res, tt.id, "0")
		if got := n.account(t, res.OrderID).Attributes["name"]; got != strings.SplitN(tt.label, ",", 2)[0] {
			t.Errorf("%s %s: logged in as %s, holder %q", tt.first, tt.last, tt.id, got)
		}
	}
}

// TestNamedPersonAutoComplete: auto-complete logs in as the named person unless
// SandboxPerson or the number of a test person says otherwise; Pay N Play's
// stays the country's adult.
func TestNamedPersonAutoComplete(t *testing.T) {
	n := startNamed(t)
	auto := map[string]string{"SandboxAutoComplete": "1"}
	for _, tt := range []struct {
		name, nin string
		extra     map[string]string
		kyc       bool
		want      string
	}{
		{"named", "", auto, false, "Anna Andersson"},
		{"SandboxPerson", "", map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-adult2"}, false, "Lars Nilsson"},
		{"a test person's number", "SE198502021119", auto, false, "Sven Spelpaus"},
	} {
		res := n.deposit(t, "player-"+uuid.NewString(), "Anna", "Andersson", tt.nin, tt.kyc, tt.extra)
		if got := n.account(t, res.OrderID).Attributes["name"]; got != tt.want {
			t.Errorf("%s: auto-complete logged in as %q, want %q", tt.name, got, tt.want)
		}
	}
	res := n.deposit(t, "pnp-"+uuid.NewString(), "Anna", "Andersson", "", true, auto)
	got := n.m.WaitFor(t, res.OrderID, 1, 5*time.Second)
	if k, ok := got[0].Data.(*trustly.KYCData); !ok || k.Attributes["firstname"] != "Åsa" {
		t.Errorf("Pay N Play auto-complete: %s %+v, want a kyc naming the country's adult", got[0].Method, got[0].Data)
	}
}
