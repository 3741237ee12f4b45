package trustly

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// trustlySide is the key our fake Trustly signs with; generated once per test binary.
var trustlySide = sync.OnceValues(GenerateKey)

func trustlyKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := trustlySide()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func merchantKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := LoadPrivateKey("testdata/test-merchant-private.pem")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func tree(t testing.TB, s string) any {
	t.Helper()
	v, err := Decode([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// peer is an httptest server playing Trustly: it verifies every request with the
// merchant's public key and answers with reply, which signs with trustlyKey.
type peer struct {
	URL      string
	mu       sync.Mutex
	requests []*Message
}

// replyFunc answers one verified request. It runs on the server's goroutine, so it
// returns its failure rather than calling t.Fatal: the peer reports it with t.Errorf
// and answers HTTP 500.
type replyFunc func(m *Message) (status int, body []byte, err error)

func newPeer(t *testing.T, reply replyFunc) *peer {
	t.Helper()
	merchant, tk := &merchantKey(t).PublicKey, trustlyKey(t)
	p := &peer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("peer: read request: %v", err)
			return
		}
		m, err := ParseMessage(raw)
		if err != nil || m.Kind != KindRequest {
			t.Errorf("peer: request %s: kind %v, %v", raw, m, err)
			w.Write(EncodeUnsignedError(CodeUnknown, ""))
			return
		}
		if err := m.Verify(merchant); err != nil {
			t.Errorf("peer: request signature: %v", err)
			body, err := EncodeError(tk, m.Method, m.UUID, CodeUnableToVerifyRSASignature, "")
			if err != nil {
				t.Errorf("peer: sign error: %v", err)
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			w.Write(body)
			return
		}
		p.mu.Lock()
		p.requests = append(p.requests, m)
		p.mu.Unlock()
		status, body, err := reply(m)
		if err != nil {
			t.Errorf("peer: reply to %s: %v", m.Method, err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *peer) received() []*Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*Message(nil), p.requests...)
}

// result answers with a signed result carrying data (JSON text), read here on the
// test's goroutine.
func result(t *testing.T, data string) replyFunc {
	t.Helper()
	key, d := trustlyKey(t), tree(t, data)
	return func(m *Message) (int, []byte, error) {
		b, err := EncodeResult(key, m.Method, m.UUID, d)
		return http.StatusOK, b, err
	}
}

// status200 is the reply of an encoder's result, for replyFuncs.
func status200(b []byte, err error) (int, []byte, error) { return http.StatusOK, b, err }

func newClient(t *testing.T, url string, edit ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{URL: url, Username: "merchant_username", Password: "merchant_password",
		PrivateKey: merchantKey(t), TrustlyKey: &trustlyKey(t).PublicKey, Env: "test",
		Logger: slog.New(slog.DiscardHandler)}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const notifyURL = "https://casino.example/trustly/notify/9f8e7d6c5b4a"

func TestMethodsMapData(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		call     func(c *Client) (any, error)
		method   string
		wantData string // what the peer must receive, Username and Password included
		reply    string
		want     any
	}{{
		name: "deposit minimal",
		call: func(c *Client) (any, error) {
			return c.Deposit(ctx, DepositParams{NotificationURL: notifyURL, EndUserID: "player-1", MessageID: "dep-1",
				Currency: "SEK", Amount: "100.00"})
		},
		method: "Deposit",
		wantData: `{"NotificationURL":"` + notifyURL + `","EndUserID":"player-1","MessageID":"dep-1",
			"Attributes":{"Currency":"SEK","Amount":"100.00"},"Username":"merchant_username","Password":"merchant_password"}`,
		reply: `{"orderid":"1927416284","url":"https://test.trustly.com/_/orderclient.php?OrderID=1927416284"}`,
		want:  DepositResult{OrderID: "1927416284", URL: "https://test.trustly.com/_/orderclient.php?OrderID=1927416284"},
	}, {
		name: "deposit flags, urls and extra",
		call: func(c *Client) (any, error) {
			return c.Deposit(ctx, DepositParams{NotificationURL: notifyURL, EndUserID: "pnp-1", MessageID: "dep-2",
				Currency: "EUR", SuggestedMinAmount: "10.00", SuggestedMaxAmount: "500.00", Locale: "fi_FI",
				Country: "FI", IP: "2001:db8::1", URLTarget: TargetTop, TemplateURL: "https://casino.example/tpl",
				NationalIdentificationNumber: "19790131-1234", UnchangeableNationalIdentificationNumber: true,
				AccountID: "2853579240", RequestKYC: true, HoldNotifications: true,
				Extra: map[string]string{"SandboxScenario": "deposit-ok", "SandboxAutoComplete": "1"}})
		},
		method: "Deposit",
		wantData: `{"NotificationURL":"` + notifyURL + `","EndUserID":"pnp-1","MessageID":"dep-2",
			"Attributes":{"Currency":"EUR","SuggestedMinAmount":"10.00","SuggestedMaxAmount":"500.00","Locale":"fi_FI",
			"Country":"FI","IP":"2001:db8::1","URLTarget":"_top","TemplateURL":"https://casino.example/tpl",
			"NationalIdentificationNumber":"19790131-1234","UnchangeableNationalIdentificationNumber":"1",
			"AccountID":"2853579240","RequestKYC":"1","HoldNotifications":"1",
			"SandboxScenario":"deposit-ok","SandboxAutoComplete":"1"},
			"Username":"merchant_username","Password":"merchant_password"}`,
		reply: `{"orderid":"7","url":"https://sandbox.example/checkout/7","extra":"new field"}`,
		want:  DepositResult{OrderID: "7", URL: "https://sandbox.example/checkout/7"},
	}, {
		name: "account payout",
		call: func(c *Client) (any, error) {
			return c.AccountPayout(ctx, AccountPayoutParams{NotificationURL: notifyURL, EndUserID: "player-1",
				MessageID: "wd-1", AccountID: "1234567890", Amount: "800.00", Currency: "SEK",
				ShopperStatement: "Casino Example", ExternalReference: "ref-9"})
		},
		method: "AccountPayout",
		wantData: `{"NotificationURL":"` + notifyURL + `","EndUserID":"player-1","MessageID":"wd-1",
			"AccountID":"1234567890","Amount":"800.00","Currency":"SEK",
			"Attributes":{"ShopperStatement":"Casino Example","ExternalReference":"ref-9"},
			"Username":"merchant_username","Password":"merchant_password"}`,
		reply: `{"orderid":"1873227513","result":"1"}`,
		want:  AccountPayoutResult{OrderID: "1873227513"},
	}, {
		name: "account payout without attributes leaves the key out",
		call: func(c *Client) (any, error) {
			return c.AccountPayout(ctx, AccountPayoutParams{NotificationURL: notifyURL, EndUserID: "player-1",
				MessageID: "wd-2", AccountID: "1234567890", Amount: "0.01", Currency: "EUR"})
		},
		method: "AccountPayout",
		wantData: `{"NotificationURL":"` + notifyURL + `","EndUserID":"player-1","MessageID":"wd-2",
			"AccountID":"1234567890","Amount":"0.01","Currency":"EUR",
			"Username":"merchant_username","Password":"merchant_password"}`,
		reply: `{"orderid":"1873227514","result":"1"}`,
		want:  AccountPayoutResult{OrderID: "1873227514"},
	}, {
		name: "refund",
		call: func(c *Client) (any, error) {
			return c.Refund(ctx, RefundParams{OrderID: "1187741486", Amount: "25.50", Currency: "EUR",
				ExternalReference: "rf-1"})
		},
		method: "Refund",
		wantData: `{"OrderID":"1187741486","Amount":"25.50","Currency":"EUR","Attributes":{"ExternalReference":"rf-1"},
			"Username":"merchant_username","Password":"merchant_password"}`,
		reply: `{"orderid":"1187741486","result":"1"}`,
		want:  RefundResult{OrderID: "1187741486"},
	}, {
		name: "register account, IBAN market and a company",
		call: func(c *Client) (any, error) {
			return c.RegisterAccount(ctx, RegisterAccountParams{EndUserID: "player-2", ClearingHouse: "FINLAND",
				AccountNumber: "FI2112345600000785", Firstname: "Oy Example Ab", DateOfBirth: "1979-01-31",
				AddressCountry: "FI", AddressPostalCode: "00100", AddressCity: "Helsinki", AddressLine1: "Mannerheimintie 1",
				AddressLine2: "B 12", Address: "Mannerheimintie 1 B 12", MobilePhone: "+358401234567",
				NationalIdentificationNumber: "010190-123A", Email: "a@example.fi"})
		},
		method: "RegisterAccount",
		wantData: `{"EndUserID":"player-2","ClearingHouse":"FINLAND","BankNumber":"","AccountNumber":"FI2112345600000785",
			"Firstname":"Oy Example Ab","Lastname":"","Attributes":{"DateOfBirth":"1979-01-31","AddressCountry":"FI",
			"AddressPostalCode":"00100","AddressCity":"Helsinki","AddressLine1":"Mannerheimintie 1","AddressLine2":"B 12",
			"Address":"Mannerheimintie 1 B 12","MobilePhone":"+358401234567","NationalIdentificationNumber":"010190-123A",
			"Email":"a@example.fi"},"Username":"merchant_username","Password":"merchant_password"}`,
		reply: `{"accountid":"2853579240","clearinghouse":"FINLAND","bank":"Nordea","descriptor":"**000785"}`,
		want:  RegisterAccountResult{AccountID: "2853579240", ClearingHouse: "FINLAND", Bank: "Nordea", Descriptor: "**000785"},
	}, {
		name: "select account",
		call: func(c *Client) (any, error) {
			return c.SelectAccount(ctx, SelectAccountParams{NotificationURL: notifyURL, EndUserID: "player-1",
				MessageID: "sel-1", Locale: "sv_SE", Country: "SE", Firstname: "Åsa", Lastname: "Öberg",
				IP: "198.51.100.23", SuccessURL: "https://casino.example/ok?x=1", FailURL: "http://localhost:8080/fail",
				URLTarget: TargetParent, MobilePhone: "+46709876543", Email: "asa@example.se",
				NationalIdentificationNumber: "197901311234", DateOfBirth: "1979-01-31", RequestKYC: true,
				Extra: map[string]string{"SandboxScenario": "account-ok"}})
		},
		method: "SelectAccount",
		wantData: `{"NotificationURL":"` + notifyURL + `","EndUserID":"player-1","MessageID":"sel-1",
			"Attributes":{"Locale":"sv_SE","Country":"SE","Firstname":"Åsa","Lastname":"Öberg","IP":"198.51.100.23",
			"SuccessURL":"https://casino.example/ok?x=1","FailURL":"http://localhost:8080/fail","URLTarget":"_parent",
			"MobilePhone":"+46709876543","Email":"asa@example.se","NationalIdentificationNumber":"197901311234",
			"DateOfBirth":"1979-01-31","RequestKYC":"1","SandboxScenario":"account-ok"},
			"Username":"merchant_username","Password":"merchant_password"}`,
		reply: `{"orderid":"1611133011","url":"https://test.trustly.com/_/orderclient.php?OrderID=1611133011"}`,
		want:  SelectAccountResult{OrderID: "1611133011", URL: "https://test.trustly.com/_/orderclient.php?OrderID=1611133011"},
	}, {
		name: "get withdrawals, eta null and numbers accepted",
		call: func(c *Client) (any, error) {
			return c.GetWithdrawals(ctx, GetWithdrawalsParams{OrderID: "1873227513"})
		},
		method:   "GetWithdrawals",
		wantData: `{"OrderID":"1873227513","Username":"merchant_username","Password":"merchant_password"}`,
		reply: `[{"orderid":"1873227513","reference":"wd-1","accountid":"1234567890","amount":"800.00","currency":"SEK",
			"datestamp":"2024-01-20 09:11:02.1+01","modificationdate":"2024-01-20 09:12:00+01","transferstate":"EXECUTING",
			"eta":null},
			{"orderid":1873227514,"amount":"11","currency":"SEK","transferstate":"CONFIRMED","eta":"2024-01-22"}]`,
		want: []Withdrawal{{OrderID: "1873227513", Reference: "wd-1", AccountID: "1234567890", Amount: "800.00",
			Currency: "SEK", Datestamp: "2024-01-20 09:11:02.1+01", ModificationDate: "2024-01-20 09:12:00+01",
			TransferState: "EXECUTING"},
			{OrderID: "1873227514", Amount: "11", Currency: "SEK", TransferState: "CONFIRMED", ETA: "2024-01-22"}},
	}, {
		name:     "get withdrawals, none",
		call:     func(c *Client) (any, error) { return c.GetWithdrawals(ctx, GetWithdrawalsParams{OrderID: "1"}) },
		method:   "GetWithdrawals",
		wantData: `{"OrderID":"1","Username":"merchant_username","Password":"merchant_password"}`,
		reply:    `[]`,
		want:     []Withdrawal{},
	}, {
		name: "account ledger",
		call: func(c *Client) (any, error) {
			return c.AccountLedger(ctx, AccountLedgerParams{FromDate: "2024-01-01", ToDate: "2024-02-01", Currency: "SEK"})
		},
		method: "AccountLedger",
		wantData: `{"FromDate":"2024-01-01","ToDate":"2024-02-01","Currency":"SEK",
			"Username":"merchant_username","Password":"merchant_password"}`,
		reply: vectorData(t, "response-accountledger-array"),
		want: []LedgerEntry{{UserID: "2853579240", Datestamp: "2024-01-14 15:03:29.713445+01", OrderID: "1927416284",
			AccountName: "SUSPENSE_ACCOUNT_CLIENT_FUNDS_SWEDEN_ESSE", MessageID: "dep-2024-000001",
			TransactionType: "User deposit", Currency: "SEK", Amount: "100.00"},
			{UserID: "2853579240", Datestamp: "2024-01-20 09:11:02.1+01", OrderID: "1873227513",
				AccountName: "SUSPENSE_ACCOUNT_CLIENT_FUNDS_SWEDEN_ESSE", MessageID: "wd-2024-000007",
				TransactionType: "User withdrawal", Currency: "SEK", Amount: "-800.00"}},
	}, {
		name:     "balance",
		call:     func(c *Client) (any, error) { return c.Balance(ctx) },
		method:   "Balance",
		wantData: `{"Username":"merchant_username","Password":"merchant_password"}`,
		reply:    vectorData(t, "response-balance-array"),
		want:     []AccountBalance{{Currency: "EUR", Balance: "12345.67"}, {Currency: "SEK", Balance: "-100.00"}},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPeer(t, result(t, tt.reply))
			got, err := tt.call(newClient(t, p.URL))
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("result\ngot  %#v\nwant %#v", got, tt.want)
			}
			reqs := p.received()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			if reqs[0].Method != tt.method {
				t.Errorf("method: got %q, want %q", reqs[0].Method, tt.method)
			}
			if _, err := uuid.Parse(reqs[0].UUID); err != nil {
				t.Errorf("UUID %q: %v", reqs[0].UUID, err)
			}
			if want := tree(t, tt.wantData); !reflect.DeepEqual(reqs[0].Data, want) {
				t.Errorf("Data\ngot  %s\nwant %s", asJSON(reqs[0].Data), asJSON(want))
			}
		})
	}
}

func vectorData(t *testing.T, name string) string {
	t.Helper()
	for _, v := range loadVectors(t) {
		if v.Name == name {
			return v.DataJSON
		}
	}
	t.Fatalf("no vector %s", name)
	return ""
}

// TestRequestsMatchVectors builds requests whose signed text must be the golden
// plaintext of Trustly-shaped vectors (the uuid aside, which is fresh per request).
func TestRequestsMatchVectors(t *testing.T) {
	ctx := context.Background()
	vs := map[string]vector{}
	for _, v := range loadVectors(t) {
		vs[v.Name] = v
	}
	for _, tt := range []struct {
		vector string
		call   func(c *Client) error
	}{{
		vector: "request-deposit-full",
		call: func(c *Client) error {
			_, err := c.Deposit(ctx, DepositParams{NotificationURL: notifyURL, EndUserID: "player-000042",
				MessageID: "dep-2024-000001", Locale: "sv_SE", Amount: "100.00", Currency: "SEK", Country: "SE",
				MobilePhone: "+46709876543", Firstname: "Åsa", Lastname: "Öberg-Lindqvist",
				NationalIdentificationNumber: "19790131-1234", ShopperStatement: "Casino Example", IP: "198.51.100.23",
				SuccessURL: "https://casino.example/cashier/success?order=dep-2024-000001&lang=sv",
				FailURL:    "https://casino.example/cashier/fail", URLTarget: TargetTop,
				IntegrationModule: "gaming-cashier-go/0.1", Email: "asa.oberg@example.se",
				UnchangeableNationalIdentificationNumber: true,
				// The vector combines Amount with suggestions, which Deposit refuses;
				// Extra sends attributes as given.
				Extra: map[string]string{"SuggestedMinAmount": "50.00", "SuggestedMaxAmount": "1000.00"}})
			return err
		},
	}, {
		vector: "request-deposit-paynplay",
		call: func(c *Client) error {
			_, err := c.Deposit(ctx, DepositParams{NotificationURL: "https://casino.example/trustly/notify/pnp-3a1b",
				EndUserID: "pnp-5b8f2c", MessageID: "pnp-2024-000009", Locale: "fi_FI", Amount: "250.00",
				Currency: "EUR", Country: "FI", ShopperStatement: "Casino Example", IP: "203.0.113.7",
				SuccessURL: "https://casino.example/pnp/success", FailURL: "https://casino.example/pnp/fail",
				RequestKYC: true})
			return err
		},
	}, {
		vector: "request-accountpayout-php-typed",
		call: func(c *Client) error {
			_, err := c.AccountPayout(ctx, AccountPayoutParams{NotificationURL: "https://casino.example/trustly/notify/wd-0007",
				EndUserID: "player-000042", MessageID: "wd-2024-000007", AccountID: "1234567890", Amount: "800.00",
				Currency: "SEK", Extra: map[string]string{"HoldNotifications": "1"}})
			return err
		},
	}, {
		vector: "request-refund",
		call: func(c *Client) error {
			_, err := c.Refund(ctx, RefundParams{OrderID: "1187741486", Amount: "25.50", Currency: "EUR"})
			return err
		},
	}} {
		t.Run(tt.vector, func(t *testing.T) {
			v := vs[tt.vector]
			p := newPeer(t, result(t, `{"orderid":"1","url":"https://x.example/","result":"1"}`))
			if err := tt.call(newClient(t, p.URL)); err != nil {
				t.Fatal(err)
			}
			m := p.received()[0]
			got, err := Serialize(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimPrefix(v.Plaintext, v.Method+v.UUID); got != want {
				t.Errorf("serialized Data\ngot  %q\nwant %q", got, want)
			}
		})
	}
}

func TestCallFailures(t *testing.T) {
	ctx := context.Background()
	wrongKey := merchantKey(t) // a key Trustly's side never signs with
	tk := trustlyKey(t)
	refund := func(c *Client) error {
		_, err := c.Refund(ctx, RefundParams{OrderID: "1187741486", Amount: "25.50", Currency: "EUR"})
		return err
	}
	for _, tt := range []struct {
		name   string
		reply  replyFunc
		is     []error
		code   int  // a *Error with this code is expected when not 0
		signed bool // ... and Signed
	}{{
		name: "signed error",
		reply: func(m *Message) (int, []byte, error) {
			return status200(EncodeError(tk, m.Method, m.UUID, CodeInvalidCredentials, ""))
		},
		code: CodeInvalidCredentials, signed: true,
	}, {
		// Trustly signs one for any unreadable request, which anyone can send:
		// it is bound to no request, and ours are readable.
		name: "signed error for an unreadable request has null uuid and method",
		reply: func(m *Message) (int, []byte, error) {
			return status200(EncodeError(tk, "", "", CodeUnknown, ""))
		},
		is: []error{ErrMismatch, ErrOutcomeUnknown},
	}, {
		name: "signed error with null uuid",
		reply: func(m *Message) (int, []byte, error) {
			return status200(EncodeError(tk, m.Method, "", CodeInvalidCredentials, ""))
		},
		is: []error{ErrMismatch, ErrOutcomeUnknown},
	}, {
		name: "signed error with null method",
		reply: func(m *Message) (int, []byte, error) {
			return status200(EncodeError(tk, "", m.UUID, CodeInvalidCredentials, ""))
		},
		is: []error{ErrMismatch, ErrOutcomeUnknown},
	}, {
		name: "HTTP 500 with a signed error body",
		reply: func(m *Message) (int, []byte, error) {
			b, err := EncodeError(tk, m.Method, m.UUID, CodeInvalidOrderID, "")
			return http.StatusInternalServerError, b, err
		},
		code: CodeInvalidOrderID, signed: true,
	}, {
		name: "unsigned error",
		reply: func(m *Message) (int, []byte, error) {
			return http.StatusOK, EncodeUnsignedError(CodeUnknown, ""), nil
		},
		code: CodeUnknown, signed: false,
	}, {
		name: "uuid mismatch",
		reply: func(m *Message) (int, []byte, error) {
			return status200(EncodeResult(tk, m.Method, uuid.NewString(), map[string]any{"orderid": "1", "result": "1"}))
		},
		is: []error{ErrMismatch, ErrOutcomeUnknown},
	}, {
		name: "method mismatch",
		reply: func(m *Message) (int, []byte, error) {
			return status200(EncodeResult(tk, "Deposit", m.UUID, map[string]any{"orderid": "1", "result": "1"}))
		},
		is: []error{ErrMismatch, ErrOutcomeUnknown},
	}, {
		name: "error for another request",
		reply: func(m *Message) (int, []byte, error) {
			return status200(EncodeError(tk, m.Method, uuid.NewString(), CodeUnknown, ""))
		},
		is: []error{ErrMismatch},
	}, {
		name: "signed with the wrong key",
		reply: func(m *Message) (int, []byte, error) {
			return status200(EncodeResult(wrongKey, m.Method, m.UUID, map[string]any{"orderid": "1", "result": "1"}))
		},
		is: []error{ErrBadSignature, ErrOutcomeUnknown},
	}, {
		name: "error signed with the wrong key",
		reply: func(m *Message) (int, []byte, error) {
			return status200(EncodeError(wrongKey, m.Method, m.UUID, CodeInvalidOrderID, ""))
		},
		is: []error{ErrBadSignature},
	}, {
		name: "data changed after signing",
		reply: func(m *Message) (int, []byte, error) {
			b, err := EncodeResult(tk, m.Method, m.UUID, map[string]any{"orderid": "1", "result": "1"})
			return http.StatusOK, []byte(strings.Replace(string(b), `"orderid":"1"`, `"orderid":"2"`, 1)), err
		},
		is: []error{ErrBadSignature},
	}, {
		name:  "result 0",
		reply: result(t, `{"orderid":"1187741486","result":"0"}`),
		is:    []error{ErrRefused},
	}, {
		name:  "result 0 as a number",
		reply: result(t, `{"orderid":"1187741486","result":0}`),
		is:    []error{ErrRefused},
	}, {
		name: "HTTP 502 from a proxy",
		reply: func(m *Message) (int, []byte, error) {
			return http.StatusBadGateway, []byte("<html>bad gateway</html>"), nil
		},
		is: []error{ErrOutcomeUnknown},
	}, {
		name:  "result without orderid",
		reply: result(t, `{"result":"1"}`),
	}, {
		name:  "result data is an array",
		reply: result(t, `[{"orderid":"1"}]`),
	}, {
		name:  "orderid is an object",
		reply: result(t, `{"orderid":{"id":"1"},"result":"1"}`),
	}} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPeer(t, tt.reply)
			err := refund(newClient(t, p.URL))
			if err == nil {
				t.Fatal("got no error")
			}
			for _, want := range tt.is {
				if !errors.Is(err, want) {
					t.Errorf("got %v, want errors.Is %v", err, want)
				}
			}
			var te *Error
			if tt.code != 0 {
				if !errors.As(err, &te) {
					t.Fatalf("got %v, want a *Error", err)
				}
				if te.Code != tt.code || te.Message != ErrorName(tt.code) || te.Signed != tt.signed {
					t.Errorf("got code %d %s signed %t, want %d %s signed %t",
						te.Code, te.Message, te.Signed, tt.code, ErrorName(tt.code), tt.signed)
				}
				if errors.Is(err, ErrOutcomeUnknown) {
					t.Errorf("got %v, want a definite failure", err)
				}
			} else if errors.As(err, &te) {
				t.Errorf("got *Error %v, want another failure", te)
			}
			if !strings.HasPrefix(err.Error(), "Refund") {
				t.Errorf("got %q, want it to name the method", err)
			}
		})
	}
}

func TestCallTimeoutLeavesOutcomeUnknown(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c := newClient(t, srv.URL, func(cfg *Config) { cfg.HTTP = &http.Client{Timeout: 50 * time.Millisecond} })
	start := time.Now()
	_, err := c.AccountPayout(context.Background(), AccountPayoutParams{NotificationURL: notifyURL,
		EndUserID: "player-1", MessageID: "wd-1", AccountID: "1", Amount: "10.00", Currency: "SEK"})
	if !errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "outcome unknown") {
		t.Fatalf("got %v, want an outcome-unknown error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v, want the 50 ms timeout to apply", d)
	}
}

func TestConfigExtraDoesNotReplaceAttributes(t *testing.T) {
	p := newPeer(t, result(t, `{"orderid":"1","url":"https://x.example/"}`))
	c := newClient(t, p.URL, func(cfg *Config) {
		cfg.Extra = map[string]string{"SandboxScenario": "deposit-ok", "Locale": "en_GB"}
	})
	_, err := c.Deposit(context.Background(), DepositParams{NotificationURL: notifyURL, EndUserID: "p", MessageID: "m",
		Currency: "SEK", Locale: "sv_SE", Extra: map[string]string{"SandboxScenario": "deposit-cancel"}})
	if err != nil {
		t.Fatal(err)
	}
	got := p.received()[0].Data.(map[string]any)["Attributes"]
	want := tree(t, `{"Currency":"SEK","Locale":"sv_SE","SandboxScenario":"deposit-cancel"}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Attributes\ngot  %s\nwant %s", asJSON(got), asJSON(want))
	}
}

func TestInvalidParamsSendNothing(t *testing.T) {
	ctx := context.Background()
	p := newPeer(t, result(t, `{"orderid":"1","url":"https://x.example/","result":"1"}`))
	c := newClient(t, p.URL)
	dep := DepositParams{NotificationURL: notifyURL, EndUserID: "p", MessageID: "m", Currency: "SEK"}
	deposit := func(edit func(*DepositParams)) func() error {
		return func() error {
			d := dep
			edit(&d)
			_, err := c.Deposit(ctx, d)
			return err
		}
	}
	pay := AccountPayoutParams{NotificationURL: notifyURL, EndUserID: "p", MessageID: "m", AccountID: "1",
		Amount: "1.00", Currency: "SEK"}
	payout := func(edit func(*AccountPayoutParams)) func() error {
		return func() error {
			a := pay
			edit(&a)
			_, err := c.AccountPayout(ctx, a)
			return err
		}
	}
	for _, tt := range []struct {
		name  string
		call  func() error
		field string // the error must name it
	}{
		{"deposit no NotificationURL", deposit(func(d *DepositParams) { d.NotificationURL = "" }), "NotificationURL"},
		{"deposit NotificationURL with query", deposit(func(d *DepositParams) { d.NotificationURL += "?a=1" }), "NotificationURL"},
		{"deposit NotificationURL relative", deposit(func(d *DepositParams) { d.NotificationURL = "/notify" }), "NotificationURL"},
		{"deposit no EndUserID", deposit(func(d *DepositParams) { d.EndUserID = " " }), "EndUserID"},
		{"deposit no MessageID", deposit(func(d *DepositParams) { d.MessageID = "" }), "MessageID"},
		{"deposit no Currency", deposit(func(d *DepositParams) { d.Currency = "" }), "Currency"},
		{"deposit lower-case Currency", deposit(func(d *DepositParams) { d.Currency = "sek" }), "Currency"},
		{"deposit Amount without decimals", deposit(func(d *DepositParams) { d.Amount = "100" }), "Amount"},
		{"deposit Amount one decimal", deposit(func(d *DepositParams) { d.Amount = "100.0" }), "Amount"},
		{"deposit Amount three decimals", deposit(func(d *DepositParams) { d.Amount = "1.005" }), "Amount"},
		{"deposit Amount zero", deposit(func(d *DepositParams) { d.Amount = "0.00" }), "Amount"},
		{"deposit Amount negative", deposit(func(d *DepositParams) { d.Amount = "-1.00" }), "Amount"},
		{"deposit Amount comma", deposit(func(d *DepositParams) { d.Amount = "1,00" }), "Amount"},
		{"deposit Amount leading zero", deposit(func(d *DepositParams) { d.Amount = "01.00" }), "Amount"},
		{"deposit SuggestedMaxAmount", deposit(func(d *DepositParams) { d.SuggestedMaxAmount = "1e3" }), "SuggestedMaxAmount"},
		{"deposit Amount with suggestions", deposit(func(d *DepositParams) { d.Amount, d.SuggestedMinAmount = "10.00", "5.00" }), "Amount"},
		{"deposit URLTarget", deposit(func(d *DepositParams) { d.URLTarget = "_blank" }), "URLTarget"},
		{"deposit Locale", deposit(func(d *DepositParams) { d.Locale = "sv-SE" }), "Locale"},
		{"deposit Country", deposit(func(d *DepositParams) { d.Country = "se" }), "Country"},
		{"deposit two IPs", deposit(func(d *DepositParams) { d.IP = "1.2.3.4,5.6.7.8" }), "IP"},
		{"deposit SuccessURL", deposit(func(d *DepositParams) { d.SuccessURL = "javascript:alert(1)" }), "SuccessURL"},
		{"deposit unchangeable without number", deposit(func(d *DepositParams) { d.UnchangeableNationalIdentificationNumber = true }), "UnchangeableNationalIdentificationNumber"},
		{"deposit Extra repeats a field", deposit(func(d *DepositParams) { d.Extra = map[string]string{"Currency": "EUR"} }), "Extra.Currency"},
		{"payout no AccountID", payout(func(a *AccountPayoutParams) { a.AccountID = "" }), "AccountID"},
		{"payout no Amount", payout(func(a *AccountPayoutParams) { a.Amount = "" }), "Amount"},
		{"payout no NotificationURL", payout(func(a *AccountPayoutParams) { a.NotificationURL = "" }), "NotificationURL"},
		{"payout Currency", payout(func(a *AccountPayoutParams) { a.Currency = "SEKK" }), "Currency"},
		{"refund no OrderID", func() error {
			_, err := c.Refund(ctx, RefundParams{Amount: "1.00", Currency: "SEK"})
			return err
		}, "OrderID"},
		{"refund bad Amount", func() error {
			_, err := c.Refund(ctx, RefundParams{OrderID: "1", Amount: ".50", Currency: "SEK"})
			return err
		}, "Amount"},
		{"register no ClearingHouse", func() error {
			_, err := c.RegisterAccount(ctx, RegisterAccountParams{EndUserID: "p", AccountNumber: "1", Firstname: "A"})
			return err
		}, "ClearingHouse"},
		{"register no AccountNumber", func() error {
			_, err := c.RegisterAccount(ctx, RegisterAccountParams{EndUserID: "p", ClearingHouse: "SWEDEN", Firstname: "A"})
			return err
		}, "AccountNumber"},
		{"register no Firstname", func() error {
			_, err := c.RegisterAccount(ctx, RegisterAccountParams{EndUserID: "p", ClearingHouse: "SWEDEN", AccountNumber: "1"})
			return err
		}, "Firstname"},
		{"register DateOfBirth", func() error {
			_, err := c.RegisterAccount(ctx, RegisterAccountParams{EndUserID: "p", ClearingHouse: "SWEDEN",
				AccountNumber: "1", Firstname: "A", DateOfBirth: "31-01-1979"})
			return err
		}, "DateOfBirth"},
		{"select no MessageID", func() error {
			_, err := c.SelectAccount(ctx, SelectAccountParams{NotificationURL: notifyURL, EndUserID: "p"})
			return err
		}, "MessageID"},
		{"select URLTarget", func() error {
			_, err := c.SelectAccount(ctx, SelectAccountParams{NotificationURL: notifyURL, EndUserID: "p",
				MessageID: "m", URLTarget: "top"})
			return err
		}, "URLTarget"},
		{"withdrawals no OrderID", func() error {
			_, err := c.GetWithdrawals(ctx, GetWithdrawalsParams{})
			return err
		}, "OrderID"},
		{"ledger FromDate", func() error {
			_, err := c.AccountLedger(ctx, AccountLedgerParams{FromDate: "2024-1-1", ToDate: "2024-02-01", Currency: "SEK"})
			return err
		}, "FromDate"},
		{"ledger ToDate before FromDate", func() error {
			_, err := c.AccountLedger(ctx, AccountLedgerParams{FromDate: "2024-02-01", ToDate: "2024-01-01", Currency: "SEK"})
			return err
		}, "ToDate"},
		{"ledger ToDate not a date", func() error {
			_, err := c.AccountLedger(ctx, AccountLedgerParams{FromDate: "2024-02-01", ToDate: "2024-02-30", Currency: "SEK"})
			return err
		}, "ToDate"},
		{"ledger no Currency", func() error {
			_, err := c.AccountLedger(ctx, AccountLedgerParams{FromDate: "2024-01-01", ToDate: "2024-02-01"})
			return err
		}, "Currency"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, ErrInvalidParams) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("got %v, want ErrInvalidParams naming %s", err, tt.field)
			}
		})
	}
	if n := len(p.received()); n != 0 {
		t.Errorf("got %d requests at the server, want 0", n)
	}
}

func TestAmountRule(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{{"0.01", true}, {"100.00", true}, {"1000000.50", true}, {"0.10", true}, {"0.00", false}, {"00.00", false},
		{"1", false}, {"1.0", false}, {"1.000", false}, {" 1.00", false}, {"1.00 ", false}, {"+1.00", false},
		{"1e2", false}, {"١.٠٠", false}, {"", false}} {
		if err := amount(tt.in); (err == nil) != tt.ok {
			t.Errorf("amount(%q) = %v; want ok %t", tt.in, err, tt.ok)
		}
	}
}

func TestPayoutState(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want PayoutState
	}{{"CONFIRMED", PayoutPaid}, {"confirmed", PayoutPaid}, {"FAILED", PayoutFailed}, {"ERROR", PayoutFailed},
		{"BOUNCED", PayoutFailed}, {"RETURNED", PayoutFailed}, {"PENDING", PayoutInProgress},
		{"QUEUED", PayoutInProgress}, {"PREPARING", PayoutInProgress}, {"PREPARED", PayoutInProgress},
		{"EXECUTING", PayoutInProgress}, {"EXECUTED", PayoutInProgress}, {"SOMETHING_NEW", PayoutInProgress},
		{"", PayoutInProgress}} {
		if got := (Withdrawal{TransferState: tt.in}).State(); got != tt.want {
			t.Errorf("State(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestAnswerTooLarge: the client reads at most 10 MiB of an answer. One larger
// is an error saying so, of unknown outcome, never read as its first 10 MiB:
// cut there, a signed refusal of an AccountPayout padded with spaces past the
// limit and followed by more read as the refusal (which releases the payout's
// money while Trustly may pay it), where the whole answer is unreadable, and an
// answer cut in its middle read as "unexpected end of JSON input".
func TestAnswerTooLarge(t *testing.T) {
	tk := trustlyKey(t)
	for _, tt := range []struct {
		name  string
		reply replyFunc
	}{{
		name: "signed refusal padded past the limit",
		reply: func(m *Message) (int, []byte, error) {
			b, err := EncodeResult(tk, m.Method, m.UUID, map[string]any{"orderid": "1", "result": "0"})
			return http.StatusOK, append(append(b, bytes.Repeat([]byte(" "), maxAnswer)...), "trailing"...), err
		},
	}, {
		name: "result larger than the limit",
		reply: func(m *Message) (int, []byte, error) {
			return status200(EncodeResult(tk, m.Method, m.UUID, map[string]any{"orderid": "1", "result": "1",
				"note": strings.Repeat("x", maxAnswer)}))
		},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPeer(t, tt.reply)
			_, err := newClient(t, p.URL).AccountPayout(context.Background(), AccountPayoutParams{NotificationURL: notifyURL,
				EndUserID: "player-1", MessageID: "wd-1", AccountID: "1", Amount: "10.00", Currency: "SEK"})
			if !errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrRefused) {
				t.Fatalf("got %v; want an outcome-unknown error, not a refusal", err)
			}
			if !strings.Contains(err.Error(), "larger than 10 MiB") {
				t.Errorf("got %q; want it to say the answer is larger than 10 MiB", err)
			}
		})
	}
}
