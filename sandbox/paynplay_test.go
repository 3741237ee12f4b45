package sandbox_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/trustly-cashier/cashier/sandbox"
	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// pnp is a sandbox with a merchant that answers each order's kyc as its deposit
// said, and every other notification OK.
type pnp struct {
	env     *sandboxtest.Env
	m       *sandboxtest.Merchant
	client  *trustly.Client
	answers sync.Map // messageid → trustly.Answer; Status "" sends no valid answer
}

var (
	cont   = trustly.Answer{Status: trustly.StatusContinue}
	finish = trustly.Answer{Status: trustly.StatusFinish, Message: "refused"}
	silent = trustly.Answer{} // no valid answer: HTTP 503
)

func startPNP(t *testing.T, opts ...func(*sandbox.Config)) *pnp {
	t.Helper()
	p := &pnp{env: sandboxtest.Start(t, opts...)}
	p.m = sandboxtest.NewMerchant(t, p.env)
	p.client = p.env.Client(t)
	p.m.Answer = func(n *trustly.Notification, _ int) (trustly.Answer, int, bool) {
		if n.Method != trustly.MethodKYC {
			return trustly.Answer{Status: trustly.StatusOK}, http.StatusOK, true
		}
		a, _ := p.answers.Load(n.Data.(*trustly.KYCData).MessageID)
		if a, ok := a.(trustly.Answer); ok && a.Status != "" {
			return a, http.StatusOK, true
		}
		return trustly.Answer{}, http.StatusServiceUnavailable, false
	}
	return p
}

// deposit starts a Pay N Play Deposit whose kyc the merchant answers with kyc;
// amount "" makes it a login-only order.
func (p *pnp) deposit(t *testing.T, country, amount string, kyc trustly.Answer, extra map[string]string) trustly.DepositResult {
	t.Helper()
	id := uuid.NewString()
	p.answers.Store(id, kyc)
	cur := "EUR"
	if country == "SE" {
		cur = "SEK"
	}
	res, err := p.client.Deposit(context.Background(), trustly.DepositParams{NotificationURL: p.m.URL,
		EndUserID: "pnp-" + id, MessageID: id, Currency: cur, Amount: amount, RequestKYC: true, Country: country,
		SuccessURL: "https://casino.example/ok", FailURL: "https://casino.example/fail", Extra: extra})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// loginAs walks a checkout through the bank and login steps as person, with the
// login step's extra form values; it returns the login step's response.
func loginAs(t *testing.T, res trustly.DepositResult, person string, extra url.Values) *http.Response {
	t.Helper()
	p, ok := sandbox.PersonByID(person)
	if !ok {
		t.Fatalf("no test person %s", person)
	}
	tok := session(t, res.URL)
	if r := form(t, res.URL, "bank", url.Values{"session": {tok}, "bank": {p.Country + "|" + sandbox.Banks[p.Country][0]}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("bank step: HTTP %d", r.StatusCode)
	}
	v := url.Values{"session": {tok}, "person": {person}}
	for k, x := range extra {
		v[k] = x
	}
	return form(t, res.URL, "login", v)
}

func getPage(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func wantMethods(t *testing.T, got []*trustly.Notification, want ...string) {
	t.Helper()
	if !slices.Equal(sandboxtest.Methods(got), want) {
		t.Fatalf("notifications %v, want %v", sandboxtest.Methods(got), want)
	}
}

// TestPayNPlayKYCPerPerson: SandboxAutoComplete with SandboxPerson logs in as that
// person, and the kyc carries exactly the person's data: personid in SE, FI and
// EE only, the country as ISO alpha-2, and a kycentityid of its own.
func TestPayNPlayKYCPerPerson(t *testing.T) {
	p := startPNP(t)
	orders := map[string]trustly.DepositResult{}
	for _, per := range sandbox.Persons {
		orders[per.ID] = p.deposit(t, per.Country, "", cont, map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": per.ID})
	}
	p.env.WaitIdle(t)
	entities := map[string]string{} // kycentityid → person
	for _, per := range sandbox.Persons {
		got := p.m.ForOrder(orders[per.ID].OrderID)
		wantMethods(t, got, "kyc") // login only: no money notification
		kyc := got[0].Data.(*trustly.KYCData)
		want := map[string]string{"firstname": per.Firstname, "lastname": per.Lastname, "dob": per.DOB,
			"street": per.Street, "zipcode": per.Zipcode, "city": per.City, "country": per.Country}
		if per.Country != "NL" {
			want["personid"] = per.PersonID
		}
		if kyc.Abort || !maps.Equal(kyc.Attributes, want) {
			t.Errorf("%s: kyc abort %t, attributes %v; want %v", per.ID, kyc.Abort, kyc.Attributes, want)
		}
		if _, err := uuid.Parse(kyc.KYCEntityID); err != nil || entities[kyc.KYCEntityID] != "" {
			t.Errorf("%s: kycentityid %q not a UUID of its own (also %s)", per.ID, kyc.KYCEntityID, entities[kyc.KYCEntityID])
		}
		entities[kyc.KYCEntityID] = per.ID
		if kyc.OrderID != orders[per.ID].OrderID || !strings.HasPrefix(kyc.EndUserID, "pnp-") {
			t.Errorf("%s: kyc orderid %s enduserid %s", per.ID, kyc.OrderID, kyc.EndUserID)
		}
	}
}

// TestPayNPlayReturningPerson: a person logging in again, by auto-complete or in
// the checkout, gets the same personid and kycentityid (also in another sandbox:
// the id is derived from the person); another person of the market does not.
func TestPayNPlayReturningPerson(t *testing.T) {
	p := startPNP(t)
	kyc := func(res trustly.DepositResult) *trustly.KYCData {
		t.Helper()
		return p.m.WaitFor(t, res.OrderID, 1, 5*time.Second)[0].Data.(*trustly.KYCData)
	}
	first := kyc(p.deposit(t, "SE", "", cont, map[string]string{"SandboxAutoComplete": "1"}))
	res := p.deposit(t, "SE", "", cont, nil)
	loginAs(t, res, "se-adult", nil)
	again := kyc(res)
	other := kyc(p.deposit(t, "SE", "", cont, map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "se-adult2"}))
	p.env.WaitIdle(t)
	const entity = "1954a498-1733-5adf-86cb-1b8086b8385f" // se-adult's, in every sandbox
	if first.KYCEntityID != entity || again.KYCEntityID != entity ||
		first.Attributes["personid"] != "SE197901311246" || again.Attributes["personid"] != "SE197901311246" {
		t.Errorf("se-adult: kycentityid %s then %s, personid %s then %s; want %s and SE197901311246 both times",
			first.KYCEntityID, again.KYCEntityID, first.Attributes["personid"], again.Attributes["personid"], entity)
	}
	if first.EndUserID == again.EndUserID {
		t.Errorf("both orders had enduserid %s; the test needs two", first.EndUserID)
	}
	if other.KYCEntityID == entity || other.Attributes["personid"] == first.Attributes["personid"] {
		t.Errorf("se-adult2 has se-adult's ids: %+v", other)
	}
}

// TestPayNPlayLimit: CONTINUE with limit caps a fixed Amount, and a typed amount
// cannot exceed it.
func TestPayNPlayLimit(t *testing.T) {
	p := startPNP(t)
	capped := p.deposit(t, "FI", "100.00", trustly.Answer{Status: trustly.StatusContinue, Limit: "60.00"},
		map[string]string{"SandboxAutoComplete": "1", "SandboxPerson": "fi-adult2"})

	id := uuid.NewString()
	p.answers.Store(id, trustly.Answer{Status: trustly.StatusContinue, Limit: "25.50"})
	typed, err := p.client.Deposit(context.Background(), trustly.DepositParams{NotificationURL: p.m.URL,
		EndUserID: "pnp-" + id, MessageID: id, Currency: "EUR", SuggestedMinAmount: "10.00",
		SuggestedMaxAmount: "500.00", RequestKYC: true, Country: "EE"})
	if err != nil {
		t.Fatal(err)
	}
	loginAs(t, typed, "ee-adult2", nil)
	p.m.WaitFor(t, typed.OrderID, 1, 5*time.Second)
	tok := session(t, typed.URL)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(getPage(t, typed.URL), `data-testid="account-next"`) {
		if time.Now().After(deadline) {
			t.Fatal("the checkout did not continue after CONTINUE")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r := form(t, typed.URL, "account", url.Values{"session": {tok}, "account": {"0"}, "amount": {"25.51"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("25.51 above the limit 25.50: HTTP %d, want 422", r.StatusCode)
	}
	form(t, typed.URL, "account", url.Values{"session": {tok}, "account": {"0"}, "amount": {"25.50"}})
	form(t, typed.URL, "confirm", url.Values{"session": {tok}})
	p.env.WaitIdle(t)

	for _, tt := range []struct {
		res  trustly.DepositResult
		want string
	}{{capped, "60.00"}, {typed, "25.50"}} {
		got := p.m.ForOrder(tt.res.OrderID)
		wantMethods(t, got, "kyc", "pending", "credit", "account")
		for _, n := range got[1:3] {
			if d := n.Data.(*trustly.TransferData); d.Amount != tt.want {
				t.Errorf("order %s: %s of %s, want %s", tt.res.OrderID, n.Method, d.Amount, tt.want)
			}
		}
	}
}

// TestPayNPlayCheckoutOutcome: in the checkout, FINISH cancels and leads to
// FailURL; a login-only order answered CONTINUE leads to SuccessURL and no
// notification follows the kyc; a login-only order answered FINISH is cancelled.
func TestPayNPlayCheckoutOutcome(t *testing.T) {
	p := startPNP(t)
	for _, tt := range []struct {
		name, amount, person string
		kyc                  trustly.Answer
		want                 []string
		result, link         string
	}{
		{"deposit finish", "50.00", "se-excluded", finish, []string{"kyc", "cancel"}, "The order was cancelled.", "https://casino.example/fail"},
		{"login continue", "", "nl-adult2", cont, []string{"kyc"}, "You are logged in.", "https://casino.example/ok"},
		{"login finish", "", "fi-minor", finish, []string{"kyc", "cancel"}, "The order was cancelled.", "https://casino.example/fail"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			per, _ := sandbox.PersonByID(tt.person)
			res := p.deposit(t, per.Country, tt.amount, tt.kyc, nil)
			if r := loginAs(t, res, tt.person, nil); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("login: HTTP %d", r.StatusCode)
			}
			p.env.WaitIdle(t) // the kyc answered and everything it caused delivered
			wantMethods(t, p.m.ForOrder(res.OrderID), tt.want...)
			page := getPage(t, res.URL)
			if !strings.Contains(page, tt.result) || !strings.Contains(page, `href="`+tt.link+`"`) {
				t.Errorf("page after the kyc does not say %q and lead to %s:\n%s", tt.result, tt.link, page)
			}
			// A stale login form now goes to where the order ended.
			r := form(t, res.URL, "login", url.Values{"session": {session(t, res.URL)}, "person": {tt.person}})
			if loc := r.Header.Get("Location"); !strings.Contains(loc, "/checkout/"+res.OrderID) {
				t.Errorf("stale login: redirect to %q", loc)
			}
		})
	}
}

// TestPayNPlayKYCResend: SandboxKYCResend and the checkout option deliver the kyc a
// second time with the same bytes (notificationid, uuid, signature); with a delay
// the copy arrives after the credit. The order plays out once.
//
// The delayed copy is due an hour after its kyc was queued and the sandbox's clock
// moves that hour only once the order's pending, credit and account have arrived:
// a real delay of 300 ms put the copy before the pending whenever the merchant's
// answer took longer, as it does on a loaded machine.
func TestPayNPlayKYCResend(t *testing.T) {
	var skew atomic.Int64 // added to the sandbox's clock
	p := startPNP(t, func(c *sandbox.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	soon := p.deposit(t, "SE", "10.00", cont, map[string]string{"SandboxAutoComplete": "1", "SandboxKYCResend": "1"})
	late := p.deposit(t, "EE", "10.00", cont, map[string]string{"SandboxAutoComplete": "1", "SandboxKYCResend": "1h"})
	browser := p.deposit(t, "FI", "", cont, nil)
	if r := loginAs(t, browser, "fi-adult", url.Values{"kycresend": {"1"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: HTTP %d", r.StatusCode)
	}
	// Everything but the late copy has arrived: no order waits for a kyc answer
	// when the clock jumps past the kyc timeout.
	p.m.WaitFor(t, soon.OrderID, 5, 10*time.Second)
	p.m.WaitFor(t, late.OrderID, 4, 10*time.Second)
	p.m.WaitFor(t, browser.OrderID, 2, 10*time.Second)
	skew.Store(int64(time.Hour))
	p.env.WaitIdle(t)
	for _, tt := range []struct {
		name string
		res  trustly.DepositResult
		want []string
		kycs [2]int
	}{
		{"soon", soon, []string{"kyc", "kyc", "pending", "credit", "account"}, [2]int{0, 1}},
		{"after the credit", late, []string{"kyc", "pending", "credit", "account", "kyc"}, [2]int{0, 4}},
		{"checkout option, login only", browser, []string{"kyc", "kyc"}, [2]int{0, 1}},
	} {
		got := p.m.ForOrder(tt.res.OrderID)
		if !slices.Equal(sandboxtest.Methods(got), tt.want) {
			t.Errorf("%s: notifications %v, want %v", tt.name, sandboxtest.Methods(got), tt.want)
			continue
		}
		if a, b := got[tt.kycs[0]].Raw, got[tt.kycs[1]].Raw; !bytes.Equal(a, b) {
			t.Errorf("%s: the redelivered kyc differs:\n%s\n%s", tt.name, a, b)
		}
	}
}

// TestPayNPlayKYCTimeoutOption: SandboxKYCTimeout and the checkout option shorten
// the wait for an unanswered kyc (Config.KYCTimeout is an hour here): the order is
// cancelled and the player goes to FailURL.
func TestPayNPlayKYCTimeoutOption(t *testing.T) {
	p := startPNP(t, func(c *sandbox.Config) { c.KYCTimeout = time.Hour })
	auto := p.deposit(t, "SE", "10.00", silent, map[string]string{"SandboxAutoComplete": "1", "SandboxKYCTimeout": "300ms"})
	browser := p.deposit(t, "NL", "10.00", silent, nil)
	if r := loginAs(t, browser, "nl-adult", url.Values{"kyctimeout": {"soon"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("kyctimeout soon: HTTP %d, want 422", r.StatusCode)
	}
	if r := form(t, browser.URL, "login", url.Values{"session": {session(t, browser.URL)}, "person": {"nl-adult"},
		"kyctimeout": {"300ms"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: HTTP %d", r.StatusCode)
	}
	p.env.WaitIdle(t) // within 10 s: only the option can have ended the wait
	for _, res := range []trustly.DepositResult{auto, browser} {
		got := sandboxtest.Methods(p.m.ForOrder(res.OrderID))
		if len(got) < 2 || got[0] != "kyc" || slices.Index(got, "cancel") != len(got)-1 ||
			slices.ContainsFunc(got[:len(got)-1], func(m string) bool { return m != "kyc" }) {
			t.Errorf("order %s: notifications %v; want unanswered kyc attempts, then one cancel", res.OrderID, got)
		}
	}
	if page := getPage(t, browser.URL); !strings.Contains(page, `href="https://casino.example/fail"`) {
		t.Errorf("the page after the kyc timeout does not lead to FailURL:\n%s", page)
	}
}

// TestPayNPlayAttributes: the sandbox's Pay N Play attributes are checked (717).
func TestPayNPlayAttributes(t *testing.T) {
	p := startPNP(t)
	for _, extra := range []map[string]string{{"SandboxPerson": "se-nobody"}, {"SandboxKYCTimeout": "0s"},
		{"SandboxKYCTimeout": "soon"}, {"SandboxKYCResend": "twice"}, {"SandboxKYCResend": "-1s"}} {
		_, err := p.client.Deposit(context.Background(), trustly.DepositParams{NotificationURL: p.m.URL,
			EndUserID: "pnp-x", MessageID: uuid.NewString(), Currency: "SEK", Amount: "10.00", RequestKYC: true, Extra: extra})
		var terr *trustly.Error
		if !errors.As(err, &terr) || terr.Code != trustly.CodeInvalidOrderAttribute {
			t.Errorf("%v: %v, want 717", extra, err)
		}
	}
}

// TestPayNPlayNationalID: as Trustly pre-fills the bank login with the Deposit's
// NationalIdentificationNumber, auto-complete logs in as the person it names and
// the checkout preselects them; with UnchangeableNationalIdentificationNumber
// nobody else may log in.
func TestPayNPlayNationalID(t *testing.T) {
	p := startPNP(t)
	start := func(country, nin string, fixed bool, extra map[string]string) trustly.DepositResult {
		t.Helper()
		id := uuid.NewString()
		p.answers.Store(id, cont)
		res, err := p.client.Deposit(context.Background(), trustly.DepositParams{NotificationURL: p.m.URL,
			EndUserID: "player-" + id, MessageID: id, Currency: "EUR", RequestKYC: true, Country: country,
			NationalIdentificationNumber: nin, UnchangeableNationalIdentificationNumber: fixed,
			SuccessURL: "https://casino.example/ok", FailURL: "https://casino.example/fail", Extra: extra})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	auto := map[string]string{"SandboxAutoComplete": "1"}
	for _, tt := range []struct{ country, nin, want string }{
		{"SE", "199006152350", "SE199006152350"},
		{"SE", "SE19900615-2350", "SE199006152350"},
		{"", "FI210388-246L", "FI210388-246L"},
		{"EE", "39211300577", "EE39211300577"},
		{"SE", "199001011234", "SE197901311246"}, // no such test person: the country's adult
	} {
		res := start(tt.country, tt.nin, false, auto)
		kyc := p.m.WaitFor(t, res.OrderID, 1, 5*time.Second)[0].Data.(*trustly.KYCData)
		if got := kyc.Attributes["personid"]; got != tt.want {
			t.Errorf("NationalIdentificationNumber %q: kyc personid %s, want %s", tt.nin, got, tt.want)
		}
	}

	res := start("SE", "SE199006152350", true, nil)
	tok := session(t, res.URL)
	form(t, res.URL, "bank", url.Values{"session": {tok}, "bank": {"SE|SEB"}})
	if page := getPage(t, res.URL); !regexp.MustCompile(`value="se-adult2" checked`).MatchString(page) {
		t.Errorf("the login step does not preselect se-adult2:\n%s", page)
	}
	if r := form(t, res.URL, "login", url.Values{"session": {tok}, "person": {"se-adult"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("another person than the fixed one: HTTP %d, want 422", r.StatusCode)
	}
	if r := form(t, res.URL, "login", url.Values{"session": {tok}, "person": {"se-adult2"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the fixed person: HTTP %d, want 303", r.StatusCode)
	}
	p.env.WaitIdle(t)
	wantMethods(t, p.m.ForOrder(res.OrderID), "kyc")
}

// TestPayNPlayKYCTimeoutFromFirstDelivery: the wait for a kyc answer starts when
// the kyc first goes out, not when the player logs in. Here the deliverer is busy
// with another order's notification while the kyc is queued, and the sandbox
// restarts an hour later, far past KYCTimeout (2 s): the kyc still goes out, is
// answered and the deposit plays out, where it was cancelled unsent before (as the
// timeout subtest of TestPayNPlay was, now and then, on a loaded machine).
func TestPayNPlayKYCTimeoutFromFirstDelivery(t *testing.T) {
	p := startPNP(t)
	busy := make(chan struct{})
	var first atomic.Bool
	blocker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // the server notices a closed connection only after the body
		if first.CompareAndSwap(false, true) {
			close(busy)
			<-r.Context().Done() // the first notification holds the deliverer until the sandbox stops
		}
		http.Error(w, "not this test's merchant", http.StatusServiceUnavailable)
	}))
	defer blocker.Close()
	if _, err := p.client.Deposit(context.Background(), trustly.DepositParams{NotificationURL: blocker.URL, EndUserID: "other",
		MessageID: uuid.NewString(), Currency: "SEK", Amount: "10.00", Extra: map[string]string{"SandboxAutoComplete": "1"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-busy:
	case <-time.After(10 * time.Second):
		t.Fatal("the other order's first notification never went out")
	}
	res := p.deposit(t, "SE", "10.00", cont, map[string]string{"SandboxAutoComplete": "1"})
	if err := p.env.Sandbox.Close(); err != nil {
		t.Fatal(err)
	}
	if got := p.m.ForOrder(res.OrderID); len(got) != 0 {
		t.Fatalf("before the restart: %v; the test needs the kyc unsent", sandboxtest.Methods(got))
	}

	cfg := p.env.Config
	cfg.Now = func() time.Time { return time.Now().Add(time.Hour) }
	sandboxtest.StartWith(t, cfg).WaitIdle(t)
	wantMethods(t, p.m.ForOrder(res.OrderID), "kyc", "pending", "credit", "account")
}

// TestPayNPlayCancelDuringKYCTimeout: an order the player cancels in the checkout
// just as its kyc times out has one cancel notification. The timeout read the
// order, then the player's cancel ended it, and the timeout cancelled it again from
// what it had read, with a second cancel of its own notificationid; a query hook
// puts the player's cancel exactly there.
func TestPayNPlayCancelDuringKYCTimeout(t *testing.T) {
	p := startPNP(t)
	res := p.deposit(t, "SE", "10.00", silent, nil)
	var once sync.Once
	const hook = "test:cancel-after-expiry-read"
	err := p.env.Sandbox.DB().Callback().Query().After("gorm:query").Register(hook, func(tx *gorm.DB) {
		if !strings.Contains(tx.Statement.SQL.String(), "kyc_deadline <") || tx.RowsAffected == 0 {
			return
		}
		once.Do(func() {
			if r := form(t, res.URL, "cancel", url.Values{"session": {session(t, res.URL)}}); r.StatusCode != http.StatusSeeOther {
				t.Errorf("cancel: HTTP %d", r.StatusCode)
			}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := loginAs(t, res, "se-adult", url.Values{"kyctimeout": {"100ms"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: HTTP %d", r.StatusCode)
	}
	p.env.WaitIdle(t)
	got := sandboxtest.Methods(p.m.ForOrder(res.OrderID))
	cancels := 0
	for _, m := range got {
		if m == "cancel" {
			cancels++
		} else if m != "kyc" {
			cancels = -1
			break
		}
	}
	// The unanswered kyc is retried as any notification, also after the cancel.
	if cancels != 1 || got[0] != "kyc" {
		t.Errorf("notifications %v; want unanswered kyc attempts and one cancel", got)
	}
}
