package trustly

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Hunt (w4): answers a peer signing with the real key could give, and what the
// client makes of them.

// TestCallDoesNotFollowRedirects: Trustly's API never redirects. Go's default
// client follows a 307 or 308 with the same POST body, which carries our
// Password, to wherever Location points, another host or plain http, and takes
// whatever that host answers (a peer there signing with Trustly's key answers
// as Trustly). A redirect is an answer the client cannot read: the outcome is
// unknown, and nothing goes to the other host, also with a Config.HTTP of the
// caller's.
func TestCallDoesNotFollowRedirects(t *testing.T) {
	ctx := context.Background()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, own := range []bool{false, true} {
			t.Run(http.StatusText(status)+map[bool]string{false: "", true: " own client"}[own], func(t *testing.T) {
				other := newPeer(t, result(t, `{"orderid":"1187741486","result":"1"}`))
				var hits atomic.Int32
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					hits.Add(1)
					http.Redirect(w, r, other.URL+"/api/1", status)
				}))
				t.Cleanup(srv.Close)
				c := newClient(t, srv.URL, func(cfg *Config) {
					if own {
						cfg.HTTP = &http.Client{Timeout: 5 * time.Second}
					}
				})
				_, err := c.AccountPayout(ctx, AccountPayoutParams{NotificationURL: notifyURL, EndUserID: "player-1",
					MessageID: "wd-1", AccountID: "1234567890", Amount: "800.00", Currency: "SEK"})
				if !errors.Is(err, ErrOutcomeUnknown) {
					t.Errorf("got %v, want ErrOutcomeUnknown", err)
				}
				if n := len(other.received()); n != 0 {
					t.Errorf("the host redirected to received %d requests, with our password", n)
				}
				if hits.Load() != 1 {
					t.Errorf("API called %d times, want 1", hits.Load())
				}
			})
		}
	}
}

// TestListResultRowsStrict: GetWithdrawals, AccountLedger and Balance answer
// arrays of rows whose values are text (API.md §4.6–4.8). A row whose amount is
// not decimal money text (more than two decimals that are not zeros, a sign on
// a withdrawal, words), whose currency is not ISO 4217, whose date is not
// Trustly's timestamp or whose orderid is not digits is not Trustly's: the
// whole answer is refused rather than read, since a refund check counts the
// rows it can read (settleRefund), and a row it cannot would let a refund
// Trustly carried out be released as refused. A number kept as its literal
// text, as notifications take it, is still read.
func TestListResultRowsStrict(t *testing.T) {
	ctx := context.Background()
	const wd = `"orderid":"1187741486","reference":"1","accountid":"1234567890","datestamp":"2024-05-04 10:55:04.675573+00","modificationdate":"2024-05-04 10:55:04.67227+00","transferstate":"EXECUTING","eta":null`
	const le = `"userid":"1000000001","datestamp":"2024-01-14 10:39:10.054526+01","orderid":"1187741486","accountname":"SUSPENSE_ACCOUNT_CLIENT_FUNDS_SWEDEN_ESSE","messageid":"wd-1","transactiontype":"AccountPayout","gluepayid":"1187741486"`
	calls := map[string]func(c *Client) error{
		"GetWithdrawals": func(c *Client) error {
			_, err := c.GetWithdrawals(ctx, GetWithdrawalsParams{OrderID: "1187741486"})
			return err
		},
		"AccountLedger": func(c *Client) error {
			_, err := c.AccountLedger(ctx, AccountLedgerParams{FromDate: "2024-01-01", ToDate: "2024-02-01", Currency: "SEK"})
			return err
		},
		"Balance": func(c *Client) error {
			_, err := c.Balance(ctx)
			return err
		},
	}
	for _, tt := range []struct{ method, data string }{
		{"GetWithdrawals", `[{` + wd + `,"amount":"25.501","currency":"EUR"}]`},
		{"GetWithdrawals", `[{` + wd + `,"amount":25.501,"currency":"EUR"}]`},
		{"GetWithdrawals", `[{` + wd + `,"amount":"-25.50","currency":"EUR"}]`},
		{"GetWithdrawals", `[{` + wd + `,"amount":"25,50","currency":"EUR"}]`},
		{"GetWithdrawals", `[{` + wd + `,"amount":"1e3","currency":"EUR"}]`},
		{"GetWithdrawals", `[{` + wd + `,"amount":"25.50","currency":"eur"}]`},
		{"GetWithdrawals", `[{` + wd + `,"amount":"25.50","currency":"XYZ"}]`},
		{"GetWithdrawals", `[{` + wd + `,"amount":"25.50","currency":"EURO"}]`},
		{"GetWithdrawals", `[{` + strings.Replace(wd, "2024-05-04 10:55:04.675573+00", "04/05/2024", 1) + `,"amount":"25.50","currency":"EUR"}]`},
		{"GetWithdrawals", `[{` + strings.Replace(wd, "2024-05-04 10:55:04.67227+00", "1714820104", 1) + `,"amount":"25.50","currency":"EUR"}]`},
		{"GetWithdrawals", `[{` + strings.Replace(wd, `"orderid":"1187741486"`, `"orderid":"ord-1"`, 1) + `,"amount":"25.50","currency":"EUR"}]`},
		{"GetWithdrawals", `[{` + wd + `,"amount":"25.50","currency":"EUR"},{` + strings.Replace(wd, "2024-05-04 10:55:04.675573+00", "yesterday", 1) + `,"amount":"25.50","currency":"EUR"}]`},
		{"AccountLedger", `[{` + le + `,"amount":"-5.005","currency":"SEK"}]`},
		{"AccountLedger", `[{` + le + `,"amount":"five","currency":"SEK"}]`},
		{"AccountLedger", `[{` + le + `,"amount":"-5.00","currency":"kr"}]`},
		{"AccountLedger", `[{` + strings.Replace(le, "2024-01-14 10:39:10.054526+01", "2024-01-14T10:39:10Z", 1) + `,"amount":"-5.00","currency":"SEK"}]`},
		{"AccountLedger", `[{` + strings.Replace(le, `"orderid":"1187741486"`, `"orderid":"1187741486x"`, 1) + `,"amount":"-5.00","currency":"SEK"}]`},
		{"Balance", `[{"currency":"SEK","balance":"1403.641"}]`},
		{"Balance", `[{"currency":"SEK","balance":"lots"}]`},
		{"Balance", `[{"currency":"sek","balance":"1403.64"}]`},
		{"Balance", `[{"currency":"ZZZ","balance":"1403.64"}]`},
	} {
		t.Run(tt.method+" "+tt.data, func(t *testing.T) {
			p := newPeer(t, result(t, tt.data))
			if err := calls[tt.method](newClient(t, p.URL)); err == nil {
				t.Errorf("signed %s rows %s read as Trustly's", tt.method, tt.data)
			}
		})
	}
	// What Trustly sends is still read: amounts without decimals or with many
	// zeros, numbers as their text, a null eta, negative ledger amounts and
	// balances.
	for _, tt := range []struct{ method, data string }{
		{"GetWithdrawals", `[]`},
		{"GetWithdrawals", `null`},
		{"GetWithdrawals", `[{` + wd + `,"amount":"25.50","currency":"EUR"}]`},
		{"GetWithdrawals", `[{` + wd + `,"amount":"11","currency":"SEK"}]`},
		{"GetWithdrawals", `[{` + wd + `,"amount":25.5,"currency":"SEK"}]`},
		{"GetWithdrawals", `[{` + strings.Replace(wd, `"eta":null`, `"eta":"2024-05-06"`, 1) + `,"amount":"25.50","currency":"EUR"}]`},
		{"AccountLedger", `[{` + le + `,"amount":"-5.00000000000000000000","currency":"SEK"}]`},
		{"AccountLedger", `[{` + strings.NewReplacer(`"orderid":"1187741486"`, `"orderid":null`, `"messageid":"wd-1"`, `"messageid":null`).Replace(le) + `,"amount":"1000.00","currency":"SEK"}]`},
		{"Balance", `[{"currency":"SEK","balance":"1403.64"},{"currency":"EUR","balance":"-3.5"}]`},
		{"Balance", `[{"currency":"SEK","balance":0}]`},
	} {
		p := newPeer(t, result(t, tt.data))
		if err := calls[tt.method](newClient(t, p.URL)); err != nil {
			t.Errorf("%s %s: %v", tt.method, tt.data, err)
		}
	}
}

// TestCheckoutURLOnTrustlysHost: from Trustly's API (a host under trustly.com),
// the checkout URL of a Deposit or SelectAccount must be on a host under
// trustly.com too, where Trustly serves every checkout: the player's browser
// opens it in the iframe, its link and, on mobile, as the whole page. The
// signature binds no shape, so the genuine {"orderid":…,"url":"https://test.trustly.com/_/…"}
// signs exactly like {"orderid":…,"url":"https://test.tr","ustly.com/_/…":""},
// whose url is on test.tr, someone else's host; https alone let it through.
func TestCheckoutURLOnTrustlysHost(t *testing.T) {
	const genuine = `{"orderid":"1927416284","url":"https://test.trustly.com/_/orderclient.php?SessionID=x&OrderID=1927416284"}`
	const reshaped = `{"orderid":"1927416284","url":"https://test.tr","ustly.com/_/orderclient.php?SessionID=x&OrderID=1927416284":""}`
	a, err := Serialize(tree(t, genuine))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := Serialize(tree(t, reshaped)); err != nil || a != b {
		t.Fatalf("the reshape signs %q, the genuine result %q (%v): the test shows nothing", b, a, err)
	}
	ctx := context.Background()
	calls := map[string]func(c *Client) error{
		"Deposit": func(c *Client) error {
			_, err := c.Deposit(ctx, DepositParams{NotificationURL: notifyURL, EndUserID: "player-1", MessageID: "dep-1",
				Currency: "SEK", Amount: "100.00"})
			return err
		},
		"SelectAccount": func(c *Client) error {
			_, err := c.SelectAccount(ctx, SelectAccountParams{NotificationURL: notifyURL, EndUserID: "player-1", MessageID: "sel-1"})
			return err
		},
	}
	// The client speaks to Trustly's test API; a transport takes the call to the peer.
	atTrustly := func(p *peer) func(*Config) {
		return func(cfg *Config) {
			cfg.URL = TestURL
			cfg.HTTP = &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
				r = r.Clone(r.Context())
				r.URL.Scheme, r.URL.Host = "http", strings.TrimPrefix(p.URL, "http://")
				return http.DefaultTransport.RoundTrip(r)
			})}
		}
	}
	for _, data := range []string{reshaped,
		`{"orderid":"1927416284","url":"https://evil.example/_/orderclient.php"}`,
		`{"orderid":"1927416284","url":"https://test.trustly.com.evil.example/x"}`,
		`{"orderid":"1927416284","url":"https://eviltrustly.com/x"}`,
		`{"orderid":"1927416284","url":"https://127.0.0.1/x"}`,
	} {
		for method, call := range calls {
			t.Run(method+" "+data, func(t *testing.T) {
				p := newPeer(t, result(t, data))
				err := call(newClient(t, p.URL, atTrustly(p)))
				if !errors.Is(err, ErrOutcomeUnknown) {
					t.Errorf("got %v, want ErrOutcomeUnknown: a checkout on another host than Trustly's", err)
				}
			})
		}
	}
	for _, data := range []string{genuine,
		`{"orderid":"1927416284","url":"https://trustly.com/_/orderclient.php"}`,
		`{"orderid":"1927416284","url":"https://checkout.trustly.com/x"}`,
		`{"orderid":"1927416284","url":"https://TEST.Trustly.com./x"}`,
	} {
		for method, call := range calls {
			p := newPeer(t, result(t, data))
			if err := call(newClient(t, p.URL, atTrustly(p))); err != nil {
				t.Errorf("%s %s: %v", method, data, err)
			}
		}
	}
	// A sandbox, spoken to at another address, keeps its own checkout host.
	if err := checkoutURL("http://127.0.0.1:8081/api/1", "http://sandbox.example:8081/checkout/1"); err != nil {
		t.Errorf("a sandbox's checkout: %v", err)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestSignedErrorMustBeAnError: the signature binds method, uuid and data, not
// the envelope, so a signed result's inner part moved under "error" verifies as
// a signed error whose code is the unsigned outer one: an accepted payout
// ({"orderid":…,"result":"1"}) read as Trustly's refusal 620, which releases the
// player's money while Trustly pays it. The signed data of an error is
// {"code": an integer, "message": text} (API.md §2.3) and nothing else, which
// also keeps {"code":"616messageERROR_INVALID_CREDENTIALS"} (signed like the
// genuine one) from leaving the code to the outer, unsigned one. Any other
// signed error is an answer that cannot be read: the outcome is unknown.
func TestSignedErrorMustBeAnError(t *testing.T) {
	tk := trustlyKey(t)
	wrap := func(code int, data string) replyFunc {
		d := tree(t, data)
		return func(m *Message) (int, []byte, error) {
			inner, err := signed(tk, m.Method, m.UUID, d, false)
			if err != nil {
				return 0, nil, err
			}
			b, err := encode(map[string]any{"version": Version, "error": map[string]any{
				"name": "JSONRPCError", "code": code, "message": ErrorName(code), "error": inner}})
			return http.StatusOK, b, err
		}
	}
	payout := func(c *Client) error {
		_, err := c.AccountPayout(context.Background(), AccountPayoutParams{NotificationURL: notifyURL, EndUserID: "player-1",
			MessageID: "wd-1", AccountID: "1234567890", Amount: "800.00", Currency: "SEK"})
		return err
	}
	for _, tt := range []struct {
		code int
		data string
	}{
		{CodeUnknown, `{"orderid":"1187741486","result":"1"}`},
		{CodeInvalidParameters, `{"orderid":"1187741486","result":"1"}`},
		{CodeUnknown, `{"code":"616messageERROR_INVALID_CREDENTIALS"}`},
		{CodeUnknown, `{"code":616}`},
		{CodeUnknown, `{"message":"ERROR_UNKNOWN"}`},
		{CodeUnknown, `{}`},
		{CodeUnknown, `null`},
		{CodeUnknown, `[616,"ERROR_INVALID_CREDENTIALS"]`},
		{CodeUnknown, `{"code":"","message":"ERROR_UNKNOWN"}`},
		{CodeUnknown, `{"code":616.5,"message":"ERROR_INVALID_CREDENTIALS"}`},
		{CodeUnknown, `{"code":{},"message":"ERROR_INVALID_CREDENTIALS"}`},
		{CodeUnknown, `{"code":620,"message":"ERROR_UNKNOWN","orderid":"1187741486","result":"1"}`},
	} {
		t.Run(tt.data, func(t *testing.T) {
			p := newPeer(t, wrap(tt.code, tt.data))
			err := payout(newClient(t, p.URL))
			var te *Error
			if errors.As(err, &te) || !errors.Is(err, ErrOutcomeUnknown) {
				t.Errorf("got %v, want ErrOutcomeUnknown and no *Error", err)
			}
		})
	}
	// Trustly's signed errors are still read, their signed code winning, a code
	// written as text too.
	for _, tt := range []struct {
		outer int
		data  string
		want  int
	}{
		{CodeInvalidCredentials, `{"code":616,"message":"ERROR_INVALID_CREDENTIALS"}`, CodeInvalidCredentials},
		{CodeUnknown, `{"code":637,"message":"ERROR_DUPLICATE_MESSAGE_ID"}`, CodeDuplicateMessageID},
		{CodeInvalidParameters, `{"code":"623","message":"ERROR_INVALID_PARAMETERS"}`, CodeInvalidParameters},
	} {
		p := newPeer(t, wrap(tt.outer, tt.data))
		err := payout(newClient(t, p.URL))
		var te *Error
		if !errors.As(err, &te) || te.Code != tt.want || !te.Signed || errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("%s: got %v, want signed error %d", tt.data, err, tt.want)
		}
	}
}
