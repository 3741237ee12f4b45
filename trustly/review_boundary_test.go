package trustly

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// Adversarial review (review-a): results whose signed data has a shape Trustly
// never sends. The signature binds only method + uuid + the joined text of the
// data, so every result must be checked against its method's shape after
// verifying, like notifications (API.md §12.1 #9).

// TestReviewMoneyOutResultMustSayAccepted: AccountPayout and Refund answer
// {"orderid": "...", "result": "1"}; only "1" means accepted and "0" refused
// (§4.2, §4.3). A signed result without "result", or with any other value, says
// neither: it must not be taken as accepted. In particular the refusal
// {"orderid":"X","result":"0"} signs exactly like {"orderid":"Xresult0"} and
// like {"orderid":"X","resul":"t0"}, which must not turn a refused payout into a
// sent one (the money would stay reserved as sent while no payout exists). An
// orderid that is not digits is not Trustly's.
func TestReviewMoneyOutResultMustSayAccepted(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func(c *Client) error{
		"AccountPayout": func(c *Client) error {
			_, err := c.AccountPayout(ctx, AccountPayoutParams{NotificationURL: notifyURL, EndUserID: "player-1",
				MessageID: "wd-1", AccountID: "1234567890", Amount: "800.00", Currency: "SEK"})
			return err
		},
		"Refund": func(c *Client) error {
			_, err := c.Refund(ctx, RefundParams{OrderID: "1187741486", Amount: "25.50", Currency: "EUR"})
			return err
		},
	}
	for _, data := range []string{
		`{"orderid":"1187741486"}`,
		`{"orderid":"1187741486result0"}`,
		`{"orderid":"1187741486","resul":"t0"}`,
		`{"orderid":"1187741486","result":""}`,
		`{"orderid":"1187741486","result":null}`,
		`{"orderid":"1187741486","result":"2"}`,
		`{"orderid":"1187741486","result":"01"}`,
		`{"orderid":"1187741486","result":{}}`,
		`{"orderid":"1187741486","result":["1"]}`,
		`{"orderid":"118774 1486","result":"1"}`,
		`{"orderid":"-1","result":"1"}`,
	} {
		for method, call := range calls {
			t.Run(method+" "+data, func(t *testing.T) {
				p := newPeer(t, result(t, data))
				err := call(newClient(t, p.URL))
				if err == nil {
					t.Fatalf("signed result data %s taken as accepted", data)
				}
				if !errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrRefused) {
					t.Errorf("got %v, want ErrOutcomeUnknown: Trustly answered, but not what it did", err)
				}
			})
		}
	}
	// What Trustly sends is still accepted, and a number 1 as PHP writes flags.
	for _, data := range []string{`{"orderid":"1187741486","result":"1"}`, `{"orderid":"1187741486","result":1}`,
		`{"orderid":"1187741486","result":"1","newfield":"x"}`} {
		for method, call := range calls {
			p := newPeer(t, result(t, data))
			if err := call(newClient(t, p.URL)); err != nil {
				t.Errorf("%s %s: %v", method, data, err)
			}
		}
	}
}

// TestReviewCheckoutURLMustBeAWebPage: the url of a Deposit or SelectAccount
// result goes into our page's iframe, its fallback link and, on mobile,
// window.location.replace (static/js/checkout.js). Only an absolute https URL
// may come back, or an http one from an API spoken over http (a sandbox; the
// peer here is one); a javascript:, data:, relative, scheme-relative or
// credentialed URL is not Trustly's checkout, and neither is an orderid that is
// not digits.
func TestReviewCheckoutURLMustBeAWebPage(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func(c *Client) (string, error){
		"Deposit": func(c *Client) (string, error) {
			r, err := c.Deposit(ctx, DepositParams{NotificationURL: notifyURL, EndUserID: "player-1", MessageID: "dep-1",
				Currency: "SEK", Amount: "100.00"})
			return r.URL, err
		},
		"SelectAccount": func(c *Client) (string, error) {
			r, err := c.SelectAccount(ctx, SelectAccountParams{NotificationURL: notifyURL, EndUserID: "player-1", MessageID: "sel-1"})
			return r.URL, err
		},
	}
	for _, data := range []string{
		`{"orderid":"1927416284","url":"javascript:alert(document.cookie)"}`,
		`{"orderid":"1927416284","url":"JavaScript:alert(1)"}`,
		`{"orderid":"1927416284","url":"data:text/html,<script>alert(1)</script>"}`,
		`{"orderid":"1927416284","url":"//evil.example/checkout"}`,
		`{"orderid":"1927416284","url":"/checkout/1927416284"}`,
		`{"orderid":"1927416284","url":"https://user:pw@evil.example/checkout"}`,
		`{"orderid":"1927416284","url":" https://test.trustly.com/_/orderclient.php"}`,
		`{"orderid":"1927416284","url":"https:///orderclient.php"}`,
		`{"orderid":"1927416284","url":{"href":"https://test.trustly.com/"}}`,
		`{"orderid":"1927416284urlhttps://test.trustly.com/"}`,
		`{"orderid":"1927416284x","url":"https://test.trustly.com/_/orderclient.php"}`,
	} {
		for method, call := range calls {
			t.Run(method+" "+data, func(t *testing.T) {
				p := newPeer(t, result(t, data))
				u, err := call(newClient(t, p.URL))
				if err == nil {
					t.Fatalf("checkout %q accepted from %s", u, data)
				}
			})
		}
	}
	for method, call := range calls {
		var base string // the peer's own URL, known once it runs
		p := newPeer(t, func(m *Message) (int, []byte, error) {
			// The sandbox: plain http, from an API spoken over plain http.
			return status200(EncodeResult(trustlyKey(t), m.Method, m.UUID,
				map[string]any{"orderid": "1927416284", "url": base + "/checkout/1927416284?session=x"}))
		})
		base = p.URL
		if u, err := call(newClient(t, p.URL)); err != nil || !strings.HasPrefix(u, p.URL+"/checkout/") {
			t.Errorf("%s: sandbox checkout over http: %q, %v", method, u, err)
		}
		p = newPeer(t, result(t, `{"orderid":"1927416284","url":"https://test.trustly.com/_/orderclient.php?SessionID=x&OrderID=1927416284&Locale=sv_SE"}`))
		if _, err := call(newClient(t, p.URL)); err != nil {
			t.Errorf("%s: https checkout: %v", method, err)
		}
	}
}

// TestReviewResultWithErrorIsAmbiguous: a JSON-RPC response carries a result or
// an error, never both. One with both says two things; the client must not pick
// the result and report success (for a payout: sent) when an error sits beside
// it.
func TestReviewResultWithErrorIsAmbiguous(t *testing.T) {
	tk := trustlyKey(t)
	p := newPeer(t, func(m *Message) (int, []byte, error) {
		res, err := EncodeResult(tk, m.Method, m.UUID, map[string]any{"orderid": "1187741486", "result": "1"})
		if err != nil {
			return 0, nil, err
		}
		body := strings.TrimSuffix(string(res), "}") +
			`,"error":{"name":"JSONRPCError","code":620,"message":"ERROR_UNKNOWN"}}`
		return http.StatusOK, []byte(body), nil
	})
	_, err := newClient(t, p.URL).Refund(context.Background(), RefundParams{OrderID: "1187741486", Amount: "25.50", Currency: "EUR"})
	if err == nil || !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("a response with both result and error: got %v, want ErrOutcomeUnknown", err)
	}
}

// TestReviewCheckoutURLFromTrustlyIsHTTPS: with Trustly's https API, a plain
// http checkout URL is refused: Trustly serves its checkout over https only.
func TestReviewCheckoutURLFromTrustlyIsHTTPS(t *testing.T) {
	for _, u := range []string{"http://test.trustly.com/_/orderclient.php", "http://evil.example/checkout"} {
		if checkoutURL(TestURL, u) == nil {
			t.Errorf("checkout %q accepted from %s", u, TestURL)
		}
	}
	for _, u := range []string{"https://test.trustly.com/_/orderclient.php?SessionID=x", "https://trustly.com/_/x"} {
		if err := checkoutURL(LiveURL, u); err != nil {
			t.Errorf("checkout %q: %v", u, err)
		}
	}
	if err := checkoutURL("http://127.0.0.1:8081/api/1", "http://localhost:8081/checkout/1?session=x"); err != nil {
		t.Errorf("a sandbox's checkout: %v", err)
	}
}
