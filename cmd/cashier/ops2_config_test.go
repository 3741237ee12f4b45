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

// TestResumeAfterPastCallTimeout: CASHIER_PAYOUT_RESUME_AFTER no longer than the
// Trustly client's 30 s call timeout stops the start with Trustly's test or live
// environment and with the embedded sandbox, naming both figures: the janitor
// would resend a payout while its first AccountPayout call may still be on its
// way. It was taken from 1s. A sandbox at a custom TRUSTLY_API_URL still takes
// one (the crash harness runs with 1s).
func TestResumeAfterPastCallTimeout(t *testing.T) {
	sandbox := func(t *testing.T, extra map[string]string) map[string]string {
		m := map[string]string{"CASHIER_DATA": t.TempDir()}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	custom := func(t *testing.T, extra map[string]string) map[string]string {
		m := reviewTrustlyEnv(t, extra)
		m["TRUSTLY_API_URL"] = "http://127.0.0.1:8081/api/1"
		return m
	}
	for _, tt := range []struct {
		where string
		vars  func(*testing.T, map[string]string) map[string]string
		value string
		ok    bool
	}{
		{"test", reviewTrustlyEnv, "2m", true},
		{"test", reviewTrustlyEnv, "31s", true},
		{"test", reviewTrustlyEnv, "30s", false},
		{"test", reviewTrustlyEnv, "1s", false},
		{"sandbox", sandbox, "31s", true},
		{"sandbox", sandbox, "10s", false},
		{"custom", custom, "1s", true},
	} {
		c, err := loadConfig(env(tt.vars(t, map[string]string{"CASHIER_PAYOUT_RESUME_AFTER": tt.value})), quiet)
		switch {
		case tt.ok && err != nil:
			t.Errorf("%s, CASHIER_PAYOUT_RESUME_AFTER=%s: got %v; want it taken", tt.where, tt.value, err)
		case tt.ok && c.ResumeAfter != mustDuration(t, tt.value):
			t.Errorf("%s, CASHIER_PAYOUT_RESUME_AFTER=%s: got %s; want %s", tt.where, tt.value, c.ResumeAfter, tt.value)
		case !tt.ok && err == nil:
			t.Errorf("%s, CASHIER_PAYOUT_RESUME_AFTER=%s: the start went on; want it stopped", tt.where, tt.value)
		case !tt.ok:
			msg := err.Error()
			if !strings.Contains(msg, "CASHIER_PAYOUT_RESUME_AFTER") || !strings.Contains(msg, `"`+tt.value+`"`) || !strings.Contains(msg, "30s") {
				t.Errorf("%s, CASHIER_PAYOUT_RESUME_AFTER=%s: got %q; want the variable, its value and the client's 30s named", tt.where, tt.value, msg)
			}
		}
	}
}
