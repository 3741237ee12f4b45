package main

import (
	"strings"
	"testing"
	"time"
)

// TestTrustlyURLErrorsHideSecrets: a TRUSTLY_API_URL the start refuses is shown
// without a secret its query may carry (a token pasted with the URL). The "https
// only" error for Trustly's test and live environments printed the URL as it was
// given, its query included, unlike its neighbours; redactURL showed a query too.
func TestTrustlyURLErrorsHideSecrets(t *testing.T) {
	const secret = "query-Secret-0123456789"
	for _, url := range []string{
		"http://test.trustly.com/api/1?token=" + secret,  // https only
		"http://api.trustly.com/1?password=" + secret,    // https only
		"ftp://test.trustly.com/api/1?token=" + secret,   // not an http(s) URL
		"http://[test.trustly.com/api/1?token=" + secret, // no URL at all
	} {
		_, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"TRUSTLY_API_URL": url})), quiet)
		if err == nil {
			t.Errorf("TRUSTLY_API_URL=%q: the start went on; want it stopped", url)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, secret) || !strings.Contains(msg, "TRUSTLY_API_URL") {
			t.Errorf("TRUSTLY_API_URL=%q: got %q; want TRUSTLY_API_URL named and the query's secret not shown", url, msg)
		}
	}
}

// TestCheckoutExpiryAtMostTrustlys: CASHIER_CHECKOUT_EXPIRY above 30 minutes, the
// longest a Trustly checkout URL lives (API.md §4.1), stops the start naming the
// variable and the 30 minutes. It was taken up to 1h, and the pages then showed
// "waiting" for a checkout that no longer worked.
func TestCheckoutExpiryAtMostTrustlys(t *testing.T) {
	for _, tt := range []struct {
		value string
		ok    bool
	}{{"30m", true}, {"1800s", true}, {"2s", true}, {"30m1s", false}, {"31m", false}, {"1h", false}} {
		c, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"CASHIER_CHECKOUT_EXPIRY": tt.value})), quiet)
		switch {
		case tt.ok && err != nil:
			t.Errorf("CASHIER_CHECKOUT_EXPIRY=%s: got %v; want it taken", tt.value, err)
		case tt.ok && c.CheckoutExpiry.String() != mustDuration(t, tt.value).String():
			t.Errorf("CASHIER_CHECKOUT_EXPIRY=%s: got %s; want %s", tt.value, c.CheckoutExpiry, tt.value)
		case !tt.ok && err == nil:
			t.Errorf("CASHIER_CHECKOUT_EXPIRY=%s: the start went on; want it stopped", tt.value)
		case !tt.ok && (!strings.Contains(err.Error(), "CASHIER_CHECKOUT_EXPIRY") || !strings.Contains(err.Error(), "30m")):
			t.Errorf("CASHIER_CHECKOUT_EXPIRY=%s: got %q; want CASHIER_CHECKOUT_EXPIRY and 30m named", tt.value, err)
		}
	}
}

func mustDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
